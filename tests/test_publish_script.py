"""scripts/publish_year.py, the bank's yearly publishing script, run as a subprocess against anvil.

The consortium (committee = anvil's first dev account, threshold 1; WeBank admitted as publisher)
is set up in-process through the library; the script and `attest verify` run as real processes.
Each test publishes its own documents, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from worlds import run_attest

from attest.devtools.node import AnvilNode, dev_private_keys

pytestmark = pytest.mark.anvil

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "scripts" / "publish_year.py"
EXAMPLE_FIGURES = REPO_ROOT / "examples" / "webank-2022-figures.json"
PASSWORD = "publisher password 2022"
TIMEOUT = 120


@dataclass
class Setup:
    root: Path
    rpc_url: str
    w3: Any
    manifest: Path
    keystore: Path
    outsider_keystore: Path
    dep: Any
    bank: Any

    def head(self) -> int:
        return int(self.w3.eth.block_number)


def _env(password: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    if password is not None:
        env["ATTEST_PASSWORD"] = password
    return env


def script(
    s: Setup,
    figures: Path,
    report: Path,
    *extra: str | Path,
    keystore: Path | None = None,
    password: str | None = PASSWORD,
) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable, SCRIPT, "--deployment", s.manifest, "--keystore", keystore or s.keystore,
        "--figures", figures, "--report", report, *extra,
    ]  # fmt: skip
    return subprocess.run(
        [str(a) for a in args],
        cwd=s.root,
        env=_env(password),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def attest_verify(s: Setup, *targets: Path) -> subprocess.CompletedProcess[str]:
    return run_attest("verify", "--deployment", s.manifest, *targets, cwd=s.root, timeout=TIMEOUT)


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert result.returncode == code, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def year_documents(work: Path, variant: int) -> tuple[Path, Path]:
    """A figures document (one metric changed by `variant`, so each test has its own digest) and a PDF."""
    work.mkdir()
    doc = json.loads(EXAMPLE_FIGURES.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + variant)
    figures = work / "webank-2022-figures.json"
    figures.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    report = work / "webank-2022-sustainability-report.pdf"
    report.write_bytes(
        b"%PDF-1.4\n%% WeBank 2022 sustainability report, variant " + str(variant).encode() + b"\n%%EOF\n"
    )
    return figures, report


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    from eth_account import Account
    from web3 import Web3

    from attest.chain.committee import Committee
    from attest.chain.connection import Chain
    from attest.chain.deployment import Deployment
    from attest.chain.keystore import create_keystore
    from attest.core.contracts import Role
    from attest.core.manifest import write_atomic
    from attest.core.records import OrganisationInfo

    root = tmp_path_factory.mktemp("publish-script")
    node = AnvilNode(root / "node")
    node.start()
    try:
        dev_key = dev_private_keys(1)[0]
        committee = Account.from_key(dev_key)
        bank, outsider = Account.create(), Account.create()
        chain = Chain.connect(node.rpc_url)
        for acct in (bank, outsider):
            chain.fund(acct.address, 10**20, funder_key=dev_key)
        dep = Deployment.deploy(
            chain,
            committee,
            committee=[committee.address],
            threshold=1,
            network="anvil",
            rpc_url=node.rpc_url,
        )
        Committee(dep).admit(
            [committee], OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [bank.address]
        )
        manifest = root / "deployment.json"
        write_atomic(manifest, dep.manifest.dump())
        keystore, outsider_keystore = root / "bank.keystore.json", root / "outsider.keystore.json"
        create_keystore(keystore, PASSWORD, private_key=bank.key.hex())
        create_keystore(outsider_keystore, PASSWORD, private_key=outsider.key.hex())
        w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
        yield Setup(root, node.rpc_url, w3, manifest, keystore, outsider_keystore, dep, bank)
    finally:
        node.stop()


def test_publishes_figures_and_report_then_both_receipts_verify(setup: Setup) -> None:
    figures, report = year_documents(setup.root / "first", 1)
    before = setup.head()
    out = summary(script(setup, figures, report, "--report-uri", "https://example.org/2022.pdf", "--json"))
    assert out["organisation"] == "WeBank" and out["year"] == 2022 and out["chain_id"] == 31337
    assert out["account"].lower() == setup.bank.address.lower()
    fig, rep = out["documents"]
    assert (fig["role"], fig["kind"], rep["role"], rep["kind"]) == ("figures", "figures", "report", "file")
    assert [fig["block_number"], rep["block_number"]] == [before + 1, before + 2]
    assert setup.head() == before + 2
    for d in (fig, rep):
        assert d["already_anchored"] is False
        assert isinstance(d["gas_used"], int) and 0 < d["gas_used"] <= 70_000
        assert d["transaction_hash"].startswith("0x") and len(d["transaction_hash"]) == 66

    # Digests: the canonical form for the figures (reproducible with sha256sum), raw bytes for the PDF.
    canonical = figures.with_name("webank-2022-figures.canonical.json")
    assert fig["canonical"] == str(canonical)
    assert fig["digest"] == hashlib.sha256(canonical.read_bytes()).hexdigest()
    assert rep["digest"] == hashlib.sha256(report.read_bytes()).hexdigest() and rep["canonical"] is None

    # Receipts next to the inputs, carrying the year of the figures for the report too.
    fig_receipt = figures.with_name("webank-2022-figures.receipt.json")
    rep_receipt = report.with_name(report.name + ".receipt.json")
    assert (fig["receipt"], rep["receipt"]) == (str(fig_receipt), str(rep_receipt))
    body = json.loads(rep_receipt.read_text(encoding="utf-8"))
    assert body["attestation"]["kind"] == "file" and body["attestation"]["year"] == 2022
    assert body["attestation"]["uri"] == "https://example.org/2022.pdf"
    assert body["chain"]["transaction_hash"] == rep["transaction_hash"]

    verified = attest_verify(setup, fig_receipt, rep_receipt, figures, report)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("✓ receipt") == 2
    assert "NOT VERIFIED" not in verified.stdout and verified.stdout.count("\nVERIFIED") == 4
    assert "file for 2022 by WeBank" in verified.stdout


def test_rerun_is_idempotent(setup: Setup, tmp_path: Path) -> None:
    figures, report = year_documents(setup.root / "rerun", 2)
    first = summary(script(setup, figures, report, "--json"))
    receipts = {d["receipt"]: Path(d["receipt"]).read_bytes() for d in first["documents"]}
    head = setup.head()

    # Second run, password from a file this time: nothing is sent, the same attestations are reported.
    pw = tmp_path / "password"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    again = summary(script(setup, figures, report, "--password-file", pw, "--json", password=None))
    assert setup.head() == head
    for a, b in zip(first["documents"], again["documents"], strict=True):
        assert b["already_anchored"] is True and b["gas_used"] is None
        assert (b["uid"], b["transaction_hash"], b["block_number"]) == (
            a["uid"],
            a["transaction_hash"],
            a["block_number"],
        )
    assert {r: Path(r).read_bytes() for r in receipts} == receipts  # the same receipts, rewritten identically

    human = script(setup, figures, report)
    assert human.returncode == 0, human.stderr
    assert human.stdout.count("already anchored (nothing sent)") == 2
    assert "0 transaction(s) sent" in human.stdout
    assert setup.head() == head


def test_resumes_after_the_figures_were_anchored_but_not_the_report(setup: Setup) -> None:
    """A run that died after its first transaction: the next run sends only what is missing."""
    from attest.app.publishing import publish
    from attest.core.contracts import Kind

    figures, report = year_documents(setup.root / "resume", 3)
    publish(setup.dep, setup.bank, figures, kind=Kind.FIGURES)
    head = setup.head()
    out = summary(script(setup, figures, report, "--json"))
    fig, rep = out["documents"]
    assert fig["already_anchored"] is True and rep["already_anchored"] is False
    assert rep["block_number"] == head + 1 == setup.head()


def test_bad_figures_exit_2_and_nothing_sent(setup: Setup) -> None:
    figures, report = year_documents(setup.root / "bad-figures", 4)
    doc = json.loads(figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = 360000004  # a JSON number, not a decimal string
    figures.write_text(json.dumps(doc), encoding="utf-8")
    before = setup.head()
    result = script(setup, figures, report)
    assert_one_line_error(result, 2, str(figures), "metrics[0].value")
    assert setup.head() == before
    assert sorted(p.name for p in figures.parent.iterdir()) == sorted([figures.name, report.name])


def test_bad_report_exit_2_before_the_figures_are_sent(setup: Setup) -> None:
    """Both inputs are validated first: a missing report stops the run before the figures are anchored."""
    figures, report = year_documents(setup.root / "bad-report", 5)
    missing = report.with_name("no-such-report.pdf")
    before = setup.head()
    result = script(setup, figures, missing)
    assert_one_line_error(result, 2, str(missing))
    assert setup.head() == before
    assert sorted(p.name for p in figures.parent.iterdir()) == sorted([figures.name, report.name])


def test_out_of_range_year_exit_2(setup: Setup) -> None:
    figures, report = year_documents(setup.root / "year-1800", 6)
    doc = json.loads(figures.read_text(encoding="utf-8"))
    doc["reporting_year"] = 1800
    doc["period"] = {"start": "1800-01-01", "end": "1800-12-31"}
    figures.write_text(json.dumps(doc), encoding="utf-8")
    before = setup.head()
    assert_one_line_error(script(setup, figures, report), 2, str(figures), "reporting_year")
    assert setup.head() == before


def test_usage_error_exit_2(setup: Setup) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--deployment", str(setup.manifest)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "--keystore" in result.stderr and "Traceback" not in result.stderr


def test_chain_errors_exit_3_and_a_wrong_password_exit_2(setup: Setup, tmp_path: Path) -> None:
    figures, report = year_documents(setup.root / "errors", 7)
    before = setup.head()

    wrong = script(setup, figures, report, password="not the password")  # bad input: exit 2
    line = assert_one_line_error(wrong, 2, str(setup.keystore), "password")
    assert "not the password" not in line and PASSWORD not in line

    outsider = script(setup, figures, report, keystore=setup.outsider_keystore)
    assert_one_line_error(outsider, 3, "NotMember")

    manifest = json.loads(setup.manifest.read_text(encoding="utf-8"))
    manifest["chain_id"] = 4242
    other = tmp_path / "wrong-chain.json"
    other.write_text(json.dumps(manifest), encoding="utf-8")
    args = [
        sys.executable, SCRIPT, "--deployment", other, "--keystore", setup.keystore,
        "--figures", figures, "--report", report,
    ]  # fmt: skip
    chain = subprocess.run(
        [str(a) for a in args], env=_env(PASSWORD), capture_output=True, text=True, timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert_one_line_error(chain, 3, "4242")

    with_rpc = script(setup, figures, report, "--rpc-url", "http://127.0.0.1:1")
    assert_one_line_error(with_rpc, 3, "unreachable")

    assert setup.head() == before
    assert not list(figures.parent.glob("*.receipt.json"))


def test_script_is_not_run_from_the_repository_tree(setup: Setup, tmp_path: Path) -> None:
    """The script relies on the installed package only: it works from a copy outside the repository."""
    copy = tmp_path / "publish_year.py"
    shutil.copyfile(SCRIPT, copy)
    result = subprocess.run(
        [sys.executable, str(copy), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0 and "--figures" in result.stdout and "--report-uri" in result.stdout
