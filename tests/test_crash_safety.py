"""Fault tests: publishing 1,000 single attestations survives a killed node and a killed publisher.

Real processes on 127.0.0.1 only: an anvil node (AnvilNode, state persisted to a file) and the
bank's `scripts/publish_many.py` run as a subprocess with its SQLite journal, talking to the node
through a JSON-RPC proxy (tests/rpc_proxy.py) that can slow down or cut the requests that send
transactions — so a crash lands where each test wants it: between windows, or inside one (after
the window's intents are committed, with part of its bytes sent). After each crash the SAME command
is run again, and the chain itself is read to prove every document is anchored exactly once by the
bank's organisation (one Attested event per digest), with no revert reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import build_consortium
from rpc_proxy import RpcProxy

from attest.app.journal import Journal
from attest.chain.anchoring import WINDOW
from attest.chain.connection import Chain
from attest.chain.keystore import create_keystore
from attest.core.errors import ChainError
from attest.core.receipt import load_receipt
from attest.devtools.node import AnvilNode, dev_private_keys

REPO_ROOT = Path(__file__).resolve().parent.parent
PUBLISH_MANY = REPO_ROOT / "scripts" / "publish_many.py"
PASSWORD = "crash-test password 42"
N_FILES = 5 * WINDOW
TIMEOUT = 90
PACE = 0.3  # seconds the proxy holds each window's send: receipts come a window at a time, slowly


@dataclass
class Setup:
    root: Path
    node: AnvilNode
    proxy: RpcProxy
    chain: Chain
    consortium: Any
    manifest: Path
    keystore: Path
    journal: Path
    docs: Path
    digests: dict[str, str]  # file name -> sha256 of its bytes

    def command(self, rpc_url: str | None = None) -> list[str]:
        return [
            sys.executable, str(PUBLISH_MANY), str(self.docs), "--year", "2022",
            "--deployment", str(self.manifest), "--keystore", str(self.keystore),
            "--rpc-url", rpc_url or self.proxy.url, "--journal", str(self.journal), "--json",
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        """The test's environment without the user's ATTEST_* settings, but with ATTEST_DEBUG kept:
        an internal error in a run then ends in its traceback, in the test's failure message."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_") or k == "ATTEST_DEBUG"}
        env["ATTEST_PASSWORD"] = PASSWORD
        return env

    def start(self) -> subprocess.Popen[str]:
        """The command in the background, its output to files: a pipe nobody reads while the test
        waits would fill up (a line per document) and stop the publisher."""
        with open(self.root / "out.txt", "w") as out, open(self.root / "err.txt", "w") as err:
            return subprocess.Popen(
                self.command(), env=self.env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True
            )

    def ended(self, proc: subprocess.Popen[str]) -> str:
        """Wait for the background command; its stderr."""
        proc.wait(timeout=TIMEOUT)
        return (self.root / "err.txt").read_text()

    def run(self) -> subprocess.CompletedProcess[str]:
        """The same command again, straight to the node (which may have moved port on restart)."""
        return subprocess.run(
            self.command(self.node.rpc_url), env=self.env(), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip

    def receipts(self) -> int:
        return sum(1 for _ in self.docs.glob("*.receipt.json"))

    def journaled(self) -> dict[str, list[str]]:
        """The journal as another process sees it (the run holds its lock): tx hashes by status."""
        with sqlite3.connect(f"file:{self.journal}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT status, tx_hash FROM intents").fetchall()
        out: dict[str, list[str]] = {}
        for status, tx_hash in rows:
            out.setdefault(status, []).append(tx_hash)
        return out


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    # interval blocks, as a consortium chain (and `attest node start`) mines: anvil 1.7.1 mining a
    # block per transaction can leave a re-sent transaction waiting behind one it already mined
    node = AnvilNode(tmp_path / "node", block_time=0.2)
    node.start()
    proxy = RpcProxy(node.rpc_url)
    try:
        chain = Chain.connect(node.rpc_url)
        c = build_consortium(chain, funder_key=dev_private_keys(1)[0])
        manifest = tmp_path / "local.json"
        manifest.write_bytes(c.dep.manifest.dump())
        keystore = tmp_path / "bank.json"
        create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
        docs = tmp_path / "docs"
        docs.mkdir()
        digests = {}
        for i in range(N_FILES):
            data = f"WeBank 2022 annex {i:03d}\n".encode()
            (docs / f"annex-{i:03d}.txt").write_bytes(data)
            digests[f"annex-{i:03d}.txt"] = hashlib.sha256(data).hexdigest()
        yield Setup(
            tmp_path, node, proxy, chain, c, manifest, keystore, tmp_path / "journal.sqlite", docs, digests
        )
    finally:
        proxy.close()
        node.stop(timeout=5)
        node.kill()


def wait_for_receipts(s: Setup, proc: subprocess.Popen[str], count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while s.receipts() < count:
        assert proc.poll() is None, f"publisher ended early: {s.ended(proc)[-3000:]}"
        assert time.monotonic() < deadline, f"publisher too slow: {s.receipts()} receipts, {stuck(s)}"
        time.sleep(0.02)


def stuck(s: Setup) -> str:
    """What the journal and the node say, for a run that stopped making progress."""
    bank = s.consortium.bank.address
    chain = Chain.connect(s.node.rpc_url)
    pool = chain.w3.provider.make_request("txpool_status", [])  # type: ignore[arg-type]
    journaled = {k: len(v) for k, v in s.journaled().items()}
    return (
        f"journal {journaled}, node nonce {chain.nonce(bank)} (pending {chain.nonce(bank, 'pending')}), "
        f"pool {pool.get('result')}, proxy saw {s.proxy.sends} sending requests"
    )


def wait_until_held(s: Setup, proc: subprocess.Popen[str]) -> None:
    while not s.proxy.held.wait(0.05):
        assert proc.poll() is None, f"publisher ended early: {s.ended(proc)[-3000:]}"


def assert_anchored_exactly_once(s: Setup) -> list[str]:
    """Read the chain: one Attested event per digest for the bank, nothing else; receipts match it.
    The transaction hashes of those events."""
    c = s.consortium
    chain = Chain.connect(s.node.rpc_url)  # the node may have moved port on restart: fresh connection
    from attest.chain.deployment import Deployment

    dep = Deployment(chain, c.dep.manifest)
    logs = dep.registry.events.Attested().get_logs(
        from_block=dep.manifest.registry.block_number, argument_filters={"orgId": c.bank_id}
    )
    per_digest = Counter(log["args"]["digest"].hex() for log in logs)
    assert set(per_digest) == set(s.digests.values())
    assert max(per_digest.values()) == 1, [d for d, n in per_digest.items() if n > 1]
    assert len(logs) == N_FILES
    by_tx = {log["transactionHash"].to_0x_hex(): int(log["blockNumber"]) for log in logs}
    for name, digest in s.digests.items():
        receipt = load_receipt(s.docs / (name + ".receipt.json"))  # rewritten from the chain on re-run
        assert receipt.document.digest == digest
        assert by_tx[receipt.chain.transaction_hash] == receipt.chain.block_number
    return list(by_tx)


def finished(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr and "AlreadyAttested" not in result.stderr + result.stdout
    summary: dict[str, Any] = json.loads(result.stdout)
    assert summary["files"] == N_FILES and summary["anchored"] == N_FILES and summary["reverted"] == []
    return summary


def exited_unreachable(s: Setup, proc: subprocess.Popen[str]) -> None:
    err = s.ended(proc)
    assert proc.returncode == 3, err  # chain unreachable: one error line, no traceback…
    *_, line, ending = err.strip().splitlines()
    assert "Traceback" not in err and line.startswith("error: "), err
    # …then what became of the files and the command that finishes the job (the same one)
    assert ending.startswith("not finished: ") and "re-sends what the node lost" in ending, ending
    assert ending.endswith(shlex.join([*map(str, proc.args)])), (ending, proc.args)


def killed(s: Setup, proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    s.ended(proc)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.anvil
def test_node_killed_mid_run_and_its_last_blocks_lost(setup: Setup) -> None:
    """SIGKILL the node after four windows' receipts, restart it from a state file taken after about
    two (anvil dumps once a second, so a crash loses its tail: here deliberately a long one), re-run:
    the journal re-sends the lost transactions as the same signed bytes, and nothing is doubled."""
    s = setup
    s.proxy.send_delay = PACE
    proc = s.start()
    try:
        wait_for_receipts(s, proc, 2 * WINDOW)
        snapshot = s.root / "state-snapshot.json"
        while True:  # anvil rewrites the file in place: take a copy that parses
            shutil.copyfile(s.node.state_file, snapshot)
            try:
                json.loads(snapshot.read_bytes())
                break
            except ValueError:
                time.sleep(0.05)
        wait_for_receipts(s, proc, 4 * WINDOW)
        s.node.kill()
        exited_unreachable(s, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    first_run = s.receipts()
    assert 4 * WINDOW <= first_run < N_FILES

    os.replace(snapshot, s.node.state_file)  # the crash lost every block after the snapshot
    s.node.start()
    head_after_restart = Chain.connect(s.node.rpc_url).head()
    summary = finished(s.run())

    resent = summary["outcomes"].get("resent", 0)
    assert resent >= 1, summary  # the lost transactions were re-sent, not re-signed
    # up to two windows were journaled without receipts at the kill (one in flight, one being
    # sent): those are re-sent too, or sent now
    assert N_FILES - first_run - 2 * WINDOW <= summary["outcomes"].get("sent", 0) <= N_FILES - first_run
    with Journal(s.journal) as journal:
        assert journal.summary() == {"anchored": N_FILES}
        assert len(journal.events("resent")) == resent
        assert not journal.events("reverted")
    assert Chain.connect(s.node.rpc_url).head() > head_after_restart
    assert_anchored_exactly_once(s)

    again = finished(s.run())  # and a third run sends nothing: all done by us before
    assert again["outcomes"] == {"resumed": N_FILES}
    assert_anchored_exactly_once(s)


@pytest.mark.anvil
def test_publisher_killed_mid_run(setup: Setup) -> None:
    """SIGKILL the publishing process after two windows' receipts, re-run the same command: done,
    once each."""
    s = setup
    s.proxy.send_delay = PACE
    proc = s.start()
    try:
        wait_for_receipts(s, proc, 2 * WINDOW)
        killed(s, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    first_run = s.receipts()
    assert first_run < N_FILES
    with Journal(s.journal) as journal:
        intents = journal.summary()
    assert sum(intents.values()) >= first_run  # every receipt's intent was journaled before its send

    summary = finished(s.run())
    outcomes = summary["outcomes"]
    assert "already" not in outcomes  # each was journaled: known as ours, not merely found on-chain
    assert outcomes.get("resumed", 0) + outcomes.get("resent", 0) >= first_run
    assert outcomes.get("sent", 0) <= N_FILES - first_run
    with Journal(s.journal) as journal:
        assert journal.summary() == {"anchored": N_FILES}
    assert_anchored_exactly_once(s)


@pytest.mark.anvil
def test_publisher_killed_inside_a_window(setup: Setup) -> None:
    """SIGKILL the publisher while it sends its second window: the window's intents are committed,
    40 of its transactions have reached the node (the highest nonces: a window goes out highest
    first), where they wait for the others, which never left. The re-run finds the first window
    (settled meanwhile: resumed), re-sends the SAME signed bytes of the whole second window (the 40
    the node holds are known to it), sends the rest: every document anchored exactly once."""
    s = setup
    s.proxy.hold(batch=2, forward=40)
    proc = s.start()
    try:
        wait_until_held(s, proc)
        wait_for_receipts(s, proc, WINDOW)  # window 1 settled while window 2 is being sent
        journaled = s.journaled()
        killed(s, proc)
    finally:
        s.proxy.release(forward_rest=False)
        if proc.poll() is None:
            proc.kill()
    # window 2 signed and committed before any of it left
    assert {k: len(v) for k, v in journaled.items()} == {"anchored": WINDOW, "signed": WINDOW}
    unsent = [h for h in journaled["signed"] if not s.chain.knows_transaction(h)]
    assert len(unsent) == WINDOW - 40
    assert s.receipts() == WINDOW

    summary = finished(s.run())
    assert summary["outcomes"] == {"resumed": WINDOW, "resent": WINDOW, "sent": N_FILES - 2 * WINDOW}
    with Journal(s.journal) as journal:
        assert journal.summary() == {"anchored": N_FILES}
        assert len(journal.events("resent")) == WINDOW
    mined = assert_anchored_exactly_once(s)
    assert set(journaled["signed"]) <= set(mined)  # the same signed transactions, not new ones


@pytest.mark.anvil
def test_node_killed_inside_a_window(setup: Setup) -> None:
    """SIGKILL the node while the publisher sends its second window (40 of its transactions reached
    it): the run ends with exit 3; the node restarts from its last state dump (losing whatever came
    after it), the same command finishes the job, every document anchored exactly once."""
    s = setup
    s.proxy.hold(batch=2, forward=40)
    proc = s.start()
    try:
        wait_until_held(s, proc)
        wait_for_receipts(s, proc, WINDOW)  # window 1 settled while window 2 is being sent
        s.node.kill()
        s.proxy.release(forward_rest=True)  # the rest of the window meets a dead node
        exited_unreachable(s, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert s.receipts() == WINDOW

    s.node.start()
    summary = finished(s.run())
    assert "already" not in summary["outcomes"]  # everything the chain kept is known as ours
    assert summary["outcomes"].get("sent", 0) == N_FILES - 2 * WINDOW  # the first two windows were journaled
    with Journal(s.journal) as journal:
        assert journal.summary() == {"anchored": N_FILES}
        assert not journal.events("reverted")
    assert_anchored_exactly_once(s)


def tear(state: Path, account: str) -> int:
    """Rewrite an anvil state dump into the shape of a torn one: the last block holding a transaction
    of `account`, and every block after it, removed with their transactions, the accounts (nonces,
    the registry's storage) kept — what anvil 1.7.1 writes when a save overlaps the storing of a
    block (see attest.devtools.anvil_state). Written by rename, as saves are. The removed blocks' count."""
    from attest.devtools.anvil_state import write_atomically

    dump = json.loads(state.read_text())

    def number(value: Any) -> int:
        return int(value, 16) if isinstance(value, str) and value.startswith("0x") else int(value)

    by_block = {
        number(t["block_number"])
        for t in dump["transactions"]
        if t["info"]["from"].lower() == account.lower()
    }
    cut = max(by_block)
    dump["blocks"] = [b for b in dump["blocks"] if number(b["header"]["number"]) < cut]
    dump["transactions"] = [t for t in dump["transactions"] if number(t["block_number"]) < cut]
    removed = number(dump["best_block_number"]) - cut + 1
    dump["best_block_number"] = cut - 1
    write_atomically(state, json.dumps(dump).encode())
    return removed


@pytest.mark.anvil
def test_a_rerun_on_a_node_restarted_from_a_torn_state_is_a_chain_error_and_changes_nothing(
    setup: Setup,
) -> None:
    """The flaky crash of issue 22, made deterministic. Every document published; the node stopped
    (a consistent save), its dump rewritten into the torn shape, and anvil started on it directly
    (`attest node start` refuses such a file: tests/test_node.py): the bank's nonce and the
    registry's storage say the last block's attestations exist, no transaction, receipt or event
    does. The same command again must not write those intents off as dropped and then trip over
    them (it ended `internal error: AssertionError`, exit 4): it stops with a chain error, exit 3,
    saying what the node did and what to do, and the journal is exactly as it was."""
    from attest.devtools.node import find_anvil, free_port

    s = setup
    finished(s.run())
    bank = s.consortium.bank.address
    s.node.stop()
    state = s.node.state_file
    assert tear(state, bank) >= 1

    port = free_port()
    anvil = subprocess.Popen(
        [str(find_anvil()), "--host", "127.0.0.1", "--port", str(port), "--load-state", str(state),
         "--block-time", "0.2", "--prune-history", "8"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        torn = Chain.connect(url)
        while True:
            try:
                torn.head()
                break
            except ChainError:
                assert anvil.poll() is None and time.monotonic() < deadline, "anvil did not start on the dump"
                time.sleep(0.1)
        # the torn shape as the node serves it: the nonce kept, the bank's last transactions gone
        assert torn.nonce(bank) == N_FILES
        before = journal_rows(s.journal)

        result = subprocess.run(
            s.command(url),
            env=s.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 3, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        lines = result.stderr.strip().splitlines()
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        # the error, then what became of each document (docs/publishing.md)
        (last,) = [line for line in lines if line.startswith("error: the node's registry holds ")]
        assert lines[-1].startswith("not finished: ") and lines.index(last) < len(lines) - 1, lines[-3:]
        assert "with no transaction, receipt or Attested event behind them" in last
        assert (
            "Nothing was changed in the publishing journal" in last and "run the same command again" in last
        )
        assert journal_rows(s.journal) == before  # no intent written off, no event added
    finally:
        anvil.kill()
        anvil.wait(timeout=10)


def journal_rows(path: Path) -> tuple[list[Any], list[Any]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT * FROM intents ORDER BY id").fetchall(), db.execute(
            "SELECT * FROM events ORDER BY rowid"
        ).fetchall()


# ------------------------------------------------------------------------------------------------
# The journal's recovery rules, one by one, on the embedded chain: an eth-tester snapshot reverted
# after a publish is exactly "the node lost its last blocks", deterministically and in milliseconds.


@pytest.fixture(scope="module")
def _embedded() -> Any:
    return build_consortium(Chain.embedded())


@pytest.fixture
def embedded(_embedded: Any) -> Iterator[Any]:
    tester = _embedded.chain.tester
    snapshot = tester.take_snapshot()
    try:
        yield _embedded
    finally:
        tester.revert_to_snapshot(snapshot)


def small_file(tmp_path: Path, name: str = "annex.txt") -> Path:
    p = tmp_path / name
    p.write_text(f"{name}: {tmp_path.name}\n", encoding="utf-8")
    return p


def test_lost_transaction_is_resent_as_the_same_signed_bytes(embedded: Any, tmp_path: Path) -> None:
    from attest.app.publishing import publish
    from attest.core.contracts import Kind

    c, doc = embedded, small_file(tmp_path)
    lost_tail = c.chain.tester.take_snapshot()
    with Journal(tmp_path / "j.sqlite") as journal:
        first = publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
    assert first.outcome == "sent"
    c.chain.tester.revert_to_snapshot(lost_tail)  # the node comes back without that block
    assert c.dep.attestation_of(c.bank_id, first.document.digest) is None
    with Journal(tmp_path / "j.sqlite") as journal:  # the re-run
        again = publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
        assert again.outcome == "resent"
        assert again.published.attestation.transaction_hash == first.published.attestation.transaction_hash
        assert [e for _, e, _ in journal.events()] == ["signed", "sent", "mined", "resent", "mined"]
    assert c.dep.attestation_of(c.bank_id, first.document.digest) is not None


def test_nonce_taken_by_another_transaction_is_dropped_and_the_document_sent_once(
    embedded: Any, tmp_path: Path
) -> None:
    from attest.app.publishing import publish
    from attest.core.contracts import Kind

    c, doc = embedded, small_file(tmp_path)
    lost_tail = c.chain.tester.take_snapshot()
    with Journal(tmp_path / "j.sqlite") as journal:
        first = publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
    c.chain.tester.revert_to_snapshot(lost_tail)
    # meanwhile another transaction of the bank's takes that nonce: the journaled bytes can never be mined
    c.dep.attest(c.bank, "ab" * 32, Kind.FILE, 2022)
    with Journal(tmp_path / "j.sqlite") as journal:
        again = publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
        assert again.outcome == "sent"  # published afresh with the next nonce
        assert again.published.attestation.transaction_hash != first.published.attestation.transaction_hash
        assert [e for _, e, _ in journal.events()][3:] == ["dropped", "signed", "sent", "mined"]
    logs = c.dep.attestations_of_digest(first.document.digest)
    assert len(logs) == 1


def test_resent_transaction_that_reverts_is_reported_and_not_retried_blindly(
    embedded: Any, tmp_path: Path
) -> None:
    from eth_abi import encode

    from attest.app.publishing import publish
    from attest.chain.committee import Committee
    from attest.core.contracts import Action, Kind
    from attest.core.errors import TransactionReverted

    c, doc = embedded, small_file(tmp_path)
    lost_tail = c.chain.tester.take_snapshot()
    with Journal(tmp_path / "j.sqlite") as journal:
        publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
    c.chain.tester.revert_to_snapshot(lost_tail)
    Committee(c.dep).enact(c.committee[:2], Action.FREEZE_ACCOUNT, encode(["address"], [c.bank.address]))
    nonce = c.chain.nonce(c.bank.address)
    with Journal(tmp_path / "j.sqlite") as journal, pytest.raises(TransactionReverted) as err:
        publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
    assert err.value.error_name == "AccountIsFrozen"  # the fresh dry run refuses: nothing more is sent
    with Journal(tmp_path / "j.sqlite") as journal:
        (intent,) = journal.intents()
        assert intent.status == "reverted" and "AccountIsFrozen" in (intent.error or "")
        assert [e for _, e, _ in journal.events()][-2:] == ["resent", "reverted"]
    assert c.chain.nonce(c.bank.address) == nonce + 1  # the one re-broadcast, mined as a revert


def test_one_publishing_run_per_journal_and_a_killed_run_frees_it(tmp_path: Path) -> None:
    """Two runs on one journal would race for nonces: the second is refused at once (exit 2, one line).
    The lock is the kernel's, so a publisher killed with SIGKILL leaves nothing to clean up."""
    from attest.core.errors import InputError

    path = tmp_path / "local.journal.sqlite"
    with Journal(path), pytest.raises(InputError, match="another publishing run is using this journal"):
        Journal(path)
    with Journal(path):  # released by close()
        pass

    hold = (
        "import sys, time; from attest.app.journal import Journal; j = Journal(sys.argv[1]); "
        "print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(InputError, match="another publishing run"):
            Journal(path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with Journal(path) as journal:  # the dead run's lock went with it
        assert journal.intents() == []


@pytest.mark.anvil
def test_transaction_stuck_in_the_pool_is_waited_for_never_doubled(
    anvil_consortium: Any, tmp_path: Path
) -> None:
    """A node that accepts a transaction but does not mine it (anvil with automine off): the run ends
    with exit 3 and the signed bytes on record; a re-run while it is still stuck re-sends the same
    bytes and ends the same way; once blocks come, a re-run finds it mined: one attestation, one nonce."""
    from attest.app.publishing import publish
    from attest.core.contracts import Kind
    from attest.core.errors import ChainError

    c, doc = anvil_consortium, small_file(tmp_path)
    w3 = c.chain.w3
    nonce_before = c.chain.nonce(c.bank.address, "latest")
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        for _ in range(2):  # the first run, then a re-run while the pool still holds it
            started = time.monotonic()
            with (
                Journal(tmp_path / "j.sqlite", timeout=1.5) as journal,
                pytest.raises(ChainError, match="not mined"),
            ):
                publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
            assert time.monotonic() - started < 20  # the journal's timeout, not the default 120 s
        assert c.chain.nonce(c.bank.address, "pending") == nonce_before + 1  # one transaction, not two
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
        w3.provider.make_request("evm_mine", [])
    with Journal(tmp_path / "j.sqlite") as journal:
        done = publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022, journal=journal)
        events = [e for _, e, _ in journal.events()]
    assert done.outcome == "resumed", done.outcome
    # signed once; the same bytes re-sent by the second run; found mined by the third, once blocks came
    assert events == ["signed", "resent", "found mined"], events
    assert c.chain.nonce(c.bank.address, "latest") == nonce_before + 1
    assert c.dep.attestation_of(c.bank_id, done.document.digest) is not None
