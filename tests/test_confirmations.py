"""A receipt is written only for an attestation the deployment counts as final (issue 25).

A deployment manifest requires `confirmations`; `attest verify` fails an attestation that is not
that deep. Publishing writes a receipt only once the attestation's block has them — whether its
transaction was sent now or found anchored by an earlier run — waiting at most $ATTEST_WAIT_SECONDS;
when they do not come in time it ends with exit 3, says how deep the block is, writes no receipt,
and prints the same command to finish. Each through the real `attest` command on a real anvil that
mines a block per transaction (so confirmations come only when the test mines them).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Consortium, consortium_on_anvil, mine

from attest.chain.keystore import create_keystore
from attest.core.contracts import Kind
from attest.core.documents import hash_document
from attest.core.receipt import load_receipt
from attest.core.sidefiles import receipt_path

ATTEST = Path(sys.executable).parent / "attest"
PASSWORD = "confirmations"
REQUIRED = 3


@dataclass
class World:
    c: Consortium
    node: Any
    root: Path
    manifest: Path  # requires REQUIRED confirmations
    keystore: Path

    def head(self) -> int:
        return int(self.c.chain.head())

    def publish(self, report: Path) -> list[str]:
        return [
            str(ATTEST), "publish", "file", str(report), "--year", "2022", "--keystore", str(self.keystore),
            "-d", str(self.manifest), "--rpc-url", self.node.rpc_url,
        ]  # fmt: skip

    def env(self, **more: str) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
        return {**clean, "ATTEST_PASSWORD": PASSWORD, **more}

    def run(self, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, capture_output=True, text=True, env=self.env(**env), stdin=subprocess.DEVNULL, timeout=180
        )

    def report(self, name: str) -> Path:
        path = self.root / name
        path.write_bytes(b"%PDF-1.7 " + name.encode() + b"\n")
        return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("confirmations")
    with consortium_on_anvil(root) as (node, c):
        manifest = json.loads(c.dep.manifest.dump())
        manifest["confirmations"] = REQUIRED
        path = root / "deployment.json"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        keystore = root / "bank.json"
        create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
        yield World(c, node, root, path, keystore)


def show(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def not_final_yet(w: World, done: subprocess.CompletedProcess[str], block: int, command: list[str]) -> None:
    """Exit 3, no traceback: the error says how deep the block is; the summary says the document is
    mined without its receipt, why, and gives the same command to finish."""
    assert done.returncode == 3, show(done)
    assert "Traceback" not in done.stderr
    *_, error, ending = done.stderr.strip().splitlines()
    assert error == (
        f"error: block {block} has 1 of the {REQUIRED} confirmations required after 2 s: "
        "is the chain producing blocks?"
    ), show(done)
    assert ending.startswith("not finished: 1 mined (receipt not written yet), of 1 documents; "), ending
    assert f"a receipt is written only once its block has the {REQUIRED} confirmations" in ending
    assert ending.endswith(": " + shlex.join(["attest", *command[1:]])), (ending, command)


def test_an_attestation_found_not_yet_final_gets_no_receipt_until_it_is(world: World) -> None:
    """An earlier run (or another journal) anchored the document; its block is 1 deep of the 3
    required. Publishing it again must not write a receipt for it yet, nor send anything; once the
    chain has the confirmations, the same command writes the receipt and verify accepts it."""
    w = world
    report = w.report("found-report.pdf")
    published = w.c.dep.attest(w.c.bank, hash_document(report).digest, Kind.FILE, 2022)
    block = published.attestation.block_number
    assert w.head() == block  # 1 confirmation of 3
    command = w.publish(report)
    done = w.run(command, ATTEST_WAIT_SECONDS="2")
    not_final_yet(w, done, block, command)
    assert not receipt_path(report).exists()
    assert w.head() == block  # nothing sent

    mine(w.c, REQUIRED - 1)
    again = w.run(command)
    assert again.returncode == 0, show(again)
    assert again.stdout.startswith(f"already anchored (nothing sent): {report}"), show(again)
    receipt = load_receipt(receipt_path(report))
    assert (
        receipt.chain.block_number == block
        and receipt.chain.transaction_hash == published.attestation.transaction_hash
    )
    verified = w.run([str(ATTEST), "verify", str(receipt_path(report)), "-d", str(w.manifest), "--rpc-url",
                      w.node.rpc_url])  # fmt: skip
    assert verified.returncode == 0, show(verified)
    assert f"✓ confirmations {REQUIRED} confirmation(s), {REQUIRED} required" in verified.stdout, (
        verified.stdout
    )


def test_a_sent_transaction_not_final_in_time_is_mined_without_a_receipt_and_finished_later(
    world: World,
) -> None:
    w = world
    report = w.report("sent-report.pdf")
    before = w.head()
    command = w.publish(report)
    done = w.run(command, ATTEST_WAIT_SECONDS="2")
    block = before + 1
    assert w.head() == block  # mined: one block per transaction
    not_final_yet(w, done, block, command)
    assert f"mined     {report} (block {block}, tx 0x" in done.stderr, show(done)
    assert not receipt_path(report).exists()

    mine(w.c, REQUIRED - 1)
    again = w.run(command)
    assert again.returncode == 0, show(again)
    assert w.head() == block + REQUIRED - 1  # nothing sent again
    assert load_receipt(receipt_path(report)).chain.block_number == block
    assert len([a for a in w.c.dep.attestations_by_org(w.c.bank_id) if a.block_number == block]) == 1


def test_publishing_waits_for_the_confirmations_before_writing_the_receipt(world: World) -> None:
    w = world
    report = w.report("waited-report.pdf")
    before = w.head()
    proc = subprocess.Popen(
        w.publish(report), env=w.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while w.head() == before:  # sent and mined
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        for _ in range(REQUIRED - 1):
            time.sleep(1.0)
            assert proc.poll() is None and not receipt_path(report).exists()  # still waiting
            mine(w.c, 1)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (out, err)
    assert out.startswith(f"anchored: {report}") and err == "", (out, err)
    assert load_receipt(receipt_path(report)).chain.block_number == before + 1
