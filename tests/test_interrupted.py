"""An interrupted publishing run says what happened to each document and the exact command to finish it.

Ctrl-C (a real SIGINT to a real process) at each stage of `scripts/publish_many.py` and of `attest
publish batch`, on a real anvil: after every input was hashed (nothing sent), once a window was
signed into the journal (not sent), once it was sent (in flight), and once the first receipt was
written (the rest mined, or still in flight). The stage is made deterministic by ATTEST_PAUSE_AT
(attest.app.stages): the process says `paused at STAGE` and waits there for the signal. Each run
must exit 130 (not "Aborted!", exit 1), list each document it did not finish, count them all, and
print a command that, run as it is, finishes the job: every document anchored once, every receipt
written.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, Consortium, consortium_on_anvil, manifest_of

from attest.chain.keystore import create_keystore

pytestmark = pytest.mark.anvil

ATTEST = Path(sys.executable).parent / "attest"
SCRIPT = REPO_ROOT / "scripts" / "publish_many.py"
PASSWORD = "interrupted"
FILES = 250  # two windows of the pipelined sender (200 + 50)


@dataclass
class World:
    c: Consortium
    node: Any
    root: Path
    manifest: Path
    keystore: Path

    def env(self, **more: str) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
        return {**clean, "ATTEST_PASSWORD": PASSWORD, **more}

    def attestations(self) -> int:
        return len(self.c.dep.attestations_by_org(self.c.bank_id))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("interrupted")
    with consortium_on_anvil(root) as (node, c):
        keystore = root / "bank.json"
        create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
        yield World(c, node, root, manifest_of(c, root), keystore)


def _files(w: World, name: str, n: int = FILES) -> Path:
    folder = w.root / name
    folder.mkdir()
    for i in range(n):
        (folder / f"doc-{i:04}.txt").write_text(f"{name} document {i}\n", encoding="utf-8")
    return folder


def _interrupt_at(stage: str, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `argv`, wait until it says it paused at `stage`, send it SIGINT (Ctrl-C)."""
    process = subprocess.Popen(
        argv,
        env={**env, "ATTEST_PAUSE_AT": stage},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # blocks until the pause (or the end, if the stage never came)
    if first != f"paused at {stage}\n":
        out, err = process.communicate(timeout=120)
        raise AssertionError(f"never paused at {stage}: exit {process.returncode}\n{out}\n{first}{err}")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


_COUNT = re.compile(
    r"(\d+) (anchored \(receipt written\)|mined \(receipt not written yet\)|in flight|not sent)"
)


def _ending(done: subprocess.CompletedProcess[str], argv: list[str], documents: int) -> dict[str, int]:
    """Check how an interrupted run ended; its counts by state."""
    show = f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 130, show
    assert "Aborted!" not in done.stderr and "Traceback" not in done.stderr, show
    lines = done.stderr.splitlines()
    assert lines[-2] == "interrupted", show
    summary = lines[-1]
    assert summary.startswith("not finished: ") and f"of {documents} documents" in summary, show
    command = summary.split("nothing is anchored twice): ", 1)[1]
    assert shlex.split(command)[1:] == argv[1:], (command, argv)  # the same command, exactly
    counts = {m.group(2).split(" ")[0]: int(m.group(1)) for m in _COUNT.finditer(summary.split(" of ")[0])}
    assert sum(counts.values()) == documents, (counts, show)
    return counts


def _listed(text: str, state: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith(f"{state:<9} "))


def _finish(
    w: World, argv: list[str], folder: Path, before: int, expect: int
) -> subprocess.CompletedProcess[str]:
    """The command the run printed, run again as it is, finishes the job."""
    done = subprocess.run(
        argv, env=w.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    receipts = list(folder.glob("*.receipt.json"))
    assert len(receipts) == FILES, len(receipts)
    assert w.attestations() == before + expect  # each anchored once
    return done


# ------------------------------------------------------------------------------ publish_many.py


def _many(w: World, folder: Path) -> list[str]:
    return [
        sys.executable, str(SCRIPT), "--deployment", str(w.manifest), "--rpc-url", w.node.rpc_url,
        "--keystore", str(w.keystore), "--year", "2022", str(folder),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("hashed", {"not": FILES}),
        ("signed", {"in": 200, "not": FILES - 200}),
        ("sent", {"in": 200, "not": FILES - 200}),
        ("receipt", {"anchored": 1, "mined": 199, "in": FILES - 200}),
    ],
)
def test_ctrl_c_in_publish_many(world: World, stage: str, expected: dict[str, int]) -> None:
    folder = _files(world, f"many-{stage}")
    argv = _many(world, folder)
    before = world.attestations()
    done = _interrupt_at(stage, argv, world.env())
    assert _ending(done, argv, FILES) == expected
    assert _listed(done.stdout, "in flight") == expected.get("in", 0)
    assert _listed(done.stdout, "not sent") == expected.get("not", 0)
    assert _listed(done.stdout, "mined") == expected.get("mined", 0)
    assert len(list(folder.glob("*.receipt.json"))) == expected.get("anchored", 0)
    finished = _finish(world, argv, folder, before, FILES)
    assert finished.stdout.splitlines()[-1].startswith(f"done: {FILES}/{FILES} anchored")


# ---------------------------------------------------------------------------- attest publish batch


def _batch(w: World, folder: Path) -> list[str]:
    return [
        str(ATTEST), "publish", "batch", str(folder), "--year", "2022", "-d", str(w.manifest),
        "--rpc-url", w.node.rpc_url, "--keystore", str(w.keystore),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("hashed", {"not": FILES}),
        ("signed", {"in": FILES}),
        ("sent", {"in": FILES}),
        ("receipt", {"anchored": 1, "mined": FILES - 1}),
    ],
)
def test_ctrl_c_in_publish_batch(world: World, stage: str, expected: dict[str, int]) -> None:
    folder = _files(world, f"batch-{stage}")
    argv = _batch(world, folder)
    before = world.attestations()
    done = _interrupt_at(stage, argv, world.env())
    assert _ending(done, argv, FILES) == expected
    assert len(done.stderr.splitlines()) == 2, done.stderr  # one root, one fate: counted, not listed
    assert len(list(folder.glob("*.receipt.json"))) == expected.get("anchored", 0)
    _finish(world, argv, folder, before, 1)  # one root


# ------------------------------------------------------------------------ attest publish file (one)


def test_ctrl_c_in_publish_file_once_sent(world: World) -> None:
    folder = _files(world, "one", n=1)
    (document,) = folder.iterdir()
    argv = [
        str(ATTEST), "publish", "file", str(document), "--year", "2022", "-d", str(world.manifest),
        "--rpc-url", world.node.rpc_url, "--keystore", str(world.keystore),
    ]  # fmt: skip
    before = world.attestations()
    done = _interrupt_at("sent", argv, world.env())
    assert _ending(done, argv, 1) == {"in": 1}
    assert _listed(done.stderr, "in flight") == 1 and not list(folder.glob("*.receipt.json"))
    again = subprocess.run(
        argv, env=world.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"already anchored (nothing sent): {document}"), again.stdout
    assert len(list(folder.glob("*.receipt.json"))) == 1 and world.attestations() == before + 1


# --------------------------------------------------------------------------- scripts/publish_year.py


def test_ctrl_c_in_publish_year_once_the_figures_are_sent(world: World) -> None:
    import shutil

    folder = world.root / "year"
    folder.mkdir()
    figures, report = folder / "figures-2022.json", folder / "report-2022.pdf"
    shutil.copy(REPO_ROOT / "examples" / "webank-2022-figures.json", figures)
    report.write_bytes(b"%PDF-1.7 the 2022 report")
    argv = [
        sys.executable, str(REPO_ROOT / "scripts" / "publish_year.py"), "--deployment", str(world.manifest),
        "--rpc-url", world.node.rpc_url, "--keystore", str(world.keystore),
        "--figures", str(figures), "--report", str(report),
    ]  # fmt: skip
    before = world.attestations()
    done = _interrupt_at("sent", argv, world.env())
    assert _ending(done, argv, 2) == {"in": 1, "not": 1}
    assert f"in flight {figures} (" in done.stderr and f"not sent  {report}" in done.stderr, done.stderr
    again = subprocess.run(
        argv, env=world.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "done: 1 transaction(s) sent, 1 already anchored", again.stdout
    assert world.attestations() == before + 2
