"""Bad input through the real `attest` entry point against a real anvil node: each case is one clear
error line (exit 2, naming the file) or a clean skip reported at the end — never a traceback, never
a hang, and never a transaction: the bank's nonce and the chain's head are checked around each case.

A 2 GB sparse file is legitimately publishable as a raw file: it is hashed in 1 MiB chunks, and the
peak RSS of the publishing process (measured in a wrapper process, RUSAGE_CHILDREN) stays small.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, build_consortium
from worlds import ATTEST, run_attest

from attest.chain.connection import Chain
from attest.chain.keystore import create_keystore
from attest.devtools.node import AnvilNode, dev_private_keys

pytestmark = pytest.mark.anvil

REPO_ROOT = Path(__file__).resolve().parent.parent
PUBLISH_MANY = REPO_ROOT / "scripts" / "publish_many.py"
PASSWORD = "bad-input password 9"
TIMEOUT = 120
FIGURES = json.loads((EXAMPLES / "webank-2022-figures.json").read_text(encoding="utf-8"))


@dataclass
class Net:
    root: Path
    node: AnvilNode
    chain: Chain
    bank: str
    manifest: Path
    keystore: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
        env.update(
            ATTEST_PASSWORD=PASSWORD, ATTEST_DEPLOYMENT=str(self.manifest), ATTEST_RPC_URL=self.node.rpc_url
        )
        env["ATTEST_KEYSTORE"] = str(self.keystore)
        return env

    def attest(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return run_attest(*args, env=self.env(), cwd=self.root, timeout=TIMEOUT)

    def state(self) -> tuple[int, int]:
        return self.chain.head(), self.chain.nonce(self.bank)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root = tmp_path_factory.mktemp("bad-input")
    node = AnvilNode(root / "node")
    node.start()
    try:
        chain = Chain.connect(node.rpc_url)
        c = build_consortium(chain, funder_key=dev_private_keys(1)[0])
        manifest = root / "local.json"
        manifest.write_bytes(c.dep.manifest.dump())
        keystore = root / "bank.json"
        create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
        yield Net(root, node, chain, c.bank.address, manifest, keystore)
    finally:
        node.stop(timeout=5)
        node.kill()


def refused(net: Net, name: str, *args: str | Path, needles: tuple[str, ...] = ()) -> str:
    """Run a command that must fail with exit 2, one line naming `name`, and change nothing on-chain."""
    before = net.state()
    result = net.attest(*args)
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert name in lines[0], lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert net.state() == before  # no block, no nonce used: nothing was sent
    return lines[0]


def write_figures(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_empty_file(net: Net, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.touch()
    refused(net, "empty.pdf", "publish", "file", empty, "--year", "2022", needles=("empty",))
    empty_json = tmp_path / "empty.json"
    empty_json.touch()
    refused(net, "empty.json", "publish", "figures", empty_json)


def test_invalid_json(net: Net, tmp_path: Path) -> None:
    bad = tmp_path / "figures.json"
    bad.write_text('{"schema": "esg-figures/1", "reporting_year": 2022,', encoding="utf-8")
    refused(net, "figures.json", "publish", "figures", bad)


def test_duplicate_keys(net: Net, tmp_path: Path) -> None:
    text = json.dumps(FIGURES, ensure_ascii=False).replace(
        '"reporting_year": 2022', '"reporting_year": 2022, "reporting_year": 2021'
    )
    bad = tmp_path / "dup.json"
    bad.write_text(text, encoding="utf-8")
    assert text.count('"reporting_year"') == 2
    refused(net, "dup.json", "publish", "figures", bad, needles=("reporting_year",))


def test_wrong_schema_version(net: Net, tmp_path: Path) -> None:
    bad = write_figures(tmp_path / "v2.json", {**FIGURES, "schema": "esg-figures/2"})
    refused(net, "v2.json", "publish", "figures", bad, needles=("schema",))


def test_year_out_of_range(net: Net, tmp_path: Path) -> None:
    bad = write_figures(
        tmp_path / "y1800.json",
        {**FIGURES, "reporting_year": 1800, "period": {"start": "1800-01-01", "end": "1800-12-31"}},
    )
    refused(net, "y1800.json", "publish", "figures", bad, needles=("reporting_year",))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 report\n")
    refused(net, "report.pdf", "publish", "file", pdf, "--year", "3000", needles=("year",))
    refused(net, "--year", "publish", "batch", pdf, "--year", "1989")


def test_non_utf8(net: Net, tmp_path: Path) -> None:
    text = json.dumps(FIGURES, ensure_ascii=False)
    bad = tmp_path / "latin1.json"
    bad.write_bytes(text.encode("utf-8").replace("深".encode(), "é".encode("latin-1")))
    refused(net, "latin1.json", "publish", "figures", bad, needles=("UTF-8",))


def test_fifo_named_directly_is_an_error_not_a_hang(net: Net, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    refused(net, "pipe.pdf", "publish", "file", fifo, "--year", "2022", needles=("regular file",))
    link = tmp_path / "gone.pdf"
    link.symlink_to(tmp_path / "nowhere.pdf")
    refused(net, "gone.pdf", "publish", "file", link, "--year", "2022")


@pytest.fixture
def messy_dir(tmp_path: Path) -> Path:
    """Two good files, a FIFO (reading it would block forever) and a broken symlink. The tests run as
    root, so chmod 000 would not stop a read: these are the honest "cannot be read" entries."""
    d = tmp_path / "annexes"
    d.mkdir()
    (d / "a.txt").write_text("annex A\n", encoding="utf-8")
    (d / "b.txt").write_text("annex B\n", encoding="utf-8")
    os.mkfifo(d / "stream.fifo")
    (d / "dangling.pdf").symlink_to(d / "deleted.pdf")
    return d


def test_batch_skips_unreadable_entries_and_reports_them_at_the_end(net: Net, messy_dir: Path) -> None:
    before_nonce = net.chain.nonce(net.bank)
    result = net.attest("publish", "batch", messy_dir, "--year", "2022", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = json.loads(result.stdout)
    assert out["files"] == 2
    assert {Path(s["path"]).name: s["reason"] for s in out["skipped"]} == {
        "dangling.pdf": "broken symbolic link",
        "stream.fifo": "a FIFO, not a regular file",
    }
    assert result.stderr.strip().splitlines() == [
        f"skipped: {messy_dir / 'dangling.pdf'}: broken symbolic link",
        f"skipped: {messy_dir / 'stream.fifo'}: a FIFO, not a regular file",
    ]
    assert net.chain.nonce(net.bank) == before_nonce + 1  # one root, one transaction
    assert (messy_dir / "a.txt.receipt.json").exists() and not (
        messy_dir / "stream.fifo.receipt.json"
    ).exists()


def test_publish_many_skips_the_same_entries(net: Net, messy_dir: Path) -> None:
    env = net.env()
    result = subprocess.run(
        [sys.executable, str(PUBLISH_MANY), str(messy_dir), "--year", "2022", "--json",
         "--deployment", str(net.manifest), "--keystore", str(net.keystore), "--rpc-url", net.node.rpc_url],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["anchored"] == 2 and summary["outcomes"] == {"sent": 2}
    assert sorted(Path(s["path"]).name for s in summary["skipped"]) == ["dangling.pdf", "stream.fifo"]
    assert "skipped: " in result.stderr and "Traceback" not in result.stderr


def test_publish_many_validates_everything_before_sending(net: Net, tmp_path: Path) -> None:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text("fine\n", encoding="utf-8")
    (d / "b.txt").touch()  # empty: refused, and so nothing at all is sent
    before = net.state()
    result = subprocess.run(
        [sys.executable, str(PUBLISH_MANY), str(d), "--year", "2022",
         "--deployment", str(net.manifest), "--keystore", str(net.keystore), "--rpc-url", net.node.rpc_url],
        env=net.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "b.txt" in result.stderr
    assert net.state() == before


PEAK_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(r.stderr)\n"
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "print(r.stdout)\n"
)


def publish_measured(net: Net, path: Path) -> tuple[dict[str, Any], int]:
    """`attest publish file` under a wrapper process, so RUSAGE_CHILDREN measures the publisher alone."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_WRAPPER, str(ATTEST), "publish", "file", str(path), "--year", "2022",
         "--json"],
        env=net.env(), cwd=net.root, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=TIMEOUT,
    )  # fmt: skip
    first, _, rest = result.stdout.partition("\n")
    code, peak_kib = map(int, first.split())
    assert code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(rest), peak_kib


def test_two_gigabyte_sparse_file_is_streamed(net: Net, tmp_path: Path) -> None:
    big = tmp_path / "archive.bin"
    with big.open("wb") as f:
        f.truncate(2 << 30)  # 2 GiB of zeros, no disk blocks
    small = tmp_path / "note.txt"
    small.write_text("a small file\n", encoding="utf-8")
    out, peak_big = publish_measured(net, big)
    # sha256 of 2 GiB of zero bytes (`head -c 2147483648 /dev/zero | sha256sum`)
    assert out["digest"] == "a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51"
    assert out["outcome"] == "sent" and out["already_anchored"] is False
    _, peak_small = publish_measured(net, small)
    # the keystore's scrypt (256 MiB) dominates both; the 2 GiB file may add only its read buffers
    assert peak_big - peak_small < 32 * 1024, f"peak RSS {peak_big} KiB vs {peak_small} KiB for a tiny file"
