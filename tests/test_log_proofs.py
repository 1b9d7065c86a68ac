"""`attest verify` proves the facts only logs carry with block receipts, and asks every node for the
logs that can only be left out.

A lying JSON-RPC proxy (tests/lying_proxy.py) sits between the real CLI and a real anvil node. A
log rewritten in eth_getLogs is caught by the block's receipts (which rebuild the agreed header's
receiptsRoot); the same log forged in the receipts too no longer rebuilds that root; a covering
statement one node leaves out is named with the node that returned it. Each lie ends as exit 1 or
3, never 0; through an honest proxy the documents verify with a `✓ logs` line."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lying_proxy import Lie, LyingProxy
from worlds import World, anvil_world, run_attest

from attest.chain import events
from attest.chain.connection import Chain
from attest.core.receipt_trie import receipts_root

URI = "https://bank.example/esg/2022-figures.json"
FORGED_URI = "https://evil.example/esg/2022-figures.json"
REASON = "wrong file"
COVERED = "0x" + events.topics().covered.hex()
ATTESTED = "0x" + events.topics().attested.hex()
REVOKED = "0x" + events.topics().revoked.hex()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The figures anchored with URI, covered by `statement`; a file anchored, then revoked (REASON)."""
    root = tmp_path_factory.mktemp("logproofs")
    with anvil_world(
        root,
        figures_uri=URI,
        statement="statement.json",
        statement_example="illustrative-carbon-verification-2022.json",
        withdrawn=REASON,
    ) as w:
        yield w


def verify(
    w: World, target: Path, *urls: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    args = ["verify", str(target), "-d", str(w.manifest)]
    for url in urls:
        args += ["--rpc-url", url]
    return run_attest(*args, *extra, timeout=120)


def through(w: World, lie: Lie, target: Path, *also: str) -> subprocess.CompletedProcess[str]:
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        return verify(w, target, proxy.url, *also)
    finally:
        proxy.close()


def line(done: subprocess.CompletedProcess[str], name: str) -> str:
    return next(x for x in done.stdout.splitlines() if x.lstrip()[2:].startswith(name + " "))


def caught(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode in (1, 3), out
    assert "VERIFIED" not in out.replace("NOT VERIFIED", ""), out
    for needle in needles:
        assert needle in out, out


# -- the lies


def _rewrite_uri(log: dict[str, Any]) -> dict[str, Any]:
    data = log["data"].replace(URI.encode().hex(), FORGED_URI.encode().hex())
    return {**log, "data": data}


def uri_rewritten_in_logs(method: str, result: Any) -> Any:
    """eth_getLogs answers the figures' Attested log with another URI (same length); receipts honest."""
    if method == "eth_getLogs" and isinstance(result, list):
        return [_rewrite_uri(log) for log in result]
    return result


def uri_rewritten_everywhere(method: str, result: Any) -> Any:
    """The same forged log in eth_getLogs and in the block's receipts (eth_getBlockReceipts)."""
    if method == "eth_getBlockReceipts" and isinstance(result, list):
        return [{**r, "logs": [_rewrite_uri(log) for log in r.get("logs", [])]} for r in result]
    return uri_rewritten_in_logs(method, result)


def covered_left_out(method: str, result: Any) -> Any:
    """eth_getLogs leaves out every Covered log (the statement's Attested log stays)."""
    if method == "eth_getLogs" and isinstance(result, list):
        return [log for log in result if log.get("topics", [None])[0] != COVERED]
    return result


def reason_rewritten(method: str, result: Any) -> Any:
    """Revoked logs from eth_getLogs give another reason (same length)."""
    if method == "eth_getLogs" and isinstance(result, list):
        forged = REASON.replace("wrong", "right").encode().hex()
        return [
            {**log, "data": log["data"].replace(REASON.encode().hex(), forged)}
            if log.get("topics", [None])[0] == REVOKED
            else log
            for log in result
        ]
    return result


def test_through_an_honest_proxy_the_log_facts_are_proven(world: World) -> None:
    honest = LyingProxy(world.node.rpc_url)
    try:
        done = verify(world, world.figures, honest.url, world.node.rpc_url)
    finally:
        honest.close()
    assert done.returncode == 0 and "VERIFIED" in done.stdout, done.stdout + done.stderr
    logs = line(done, "logs")
    assert logs.lstrip().startswith("✓ logs"), logs
    assert "proven by the receipts of block(s)" in logs and "hashes agreed by 2 of 2 node(s)" in logs
    assert f"Covered {world.statement_uid.lower()[:10]}… (block " in logs and "Attested 0x" in logs
    assert "transaction hashes remain the node's word" in logs
    assert f"no other statement covers these figures: as complete as the logs of node(s) {honest.url}" in logs
    assert "the facts only logs carry are on the logs line" in line(done, "proofs")


def test_a_statement_proves_its_reference_and_coverage(world: World) -> None:
    done = verify(world, world.statement, world.node.rpc_url)
    logs = line(done, "logs")
    assert logs.lstrip().startswith("✓ logs"), done.stdout + done.stderr
    assert f"Covered {world.statement_uid.lower()[:10]}…" in logs and logs.count("Attested 0x") == 2


def test_a_revocations_history_is_proven(world: World) -> None:
    done = verify(world, world.withdrawn, world.node.rpc_url)
    assert done.returncode == 1 and "✗ status" in done.stdout, done.stdout + done.stderr
    logs = line(done, "logs")
    assert "Revoked 0x" in logs and logs.lstrip().startswith("✓ logs") and "who and why" in logs


def test_a_uri_rewritten_in_the_logs_is_caught_by_the_receipts(world: World) -> None:
    done = through(world, uri_rewritten_in_logs, world.figures)
    caught(done, "✗ logs", f"URI {URI!r} (proven), the node said {FORGED_URI!r}")
    assert done.returncode == 1


def test_a_log_forged_in_the_receipts_too_does_not_rebuild_the_receipts_root(world: World) -> None:
    done = through(world, uri_rewritten_everywhere, world.figures)
    caught(done, "✗ logs", "rebuild the receipts root", "the header says")


def test_a_forged_revocation_reason_is_caught(world: World) -> None:
    done = through(world, reason_rewritten, world.withdrawn)
    caught(done, "✗ logs", "hold no Revoked log of", "'right file'")


@pytest.mark.parametrize("liar_first", [True, False], ids=["liar-first", "liar-second"])
def test_a_covering_statement_left_out_by_one_node_is_named(world: World, liar_first: bool) -> None:
    liar = LyingProxy(world.node.rpc_url, covered_left_out)
    honest = LyingProxy(world.node.rpc_url)
    try:
        urls = (liar.url, honest.url) if liar_first else (honest.url, liar.url)
        done = verify(world, world.figures, *urls)
    finally:
        liar.close()
        honest.close()
    caught(
        done,
        "✗ logs",
        "the nodes' logs differ",
        f"node {liar.url} left out statement {world.statement_uid.lower()}",
        f"that node {honest.url} returned",
    )
    assert done.returncode == 1


def test_a_checkpoint_links_the_records_block_by_parent_hash(world: World) -> None:
    head = world.c.chain.w3.eth.get_block("latest")
    good = f"{head['number']}:{head['hash'].to_0x_hex()}"
    done = verify(world, world.figures, world.node.rpc_url, extra=("--trust-block", good))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"linked by parentHash to checkpoint {good}" in line(done, "logs")


def test_with_json_the_logs_line_is_a_check(world: World) -> None:
    done = verify(world, world.figures, world.node.rpc_url, extra=("--json",))
    (report,) = json.loads(done.stdout)
    assert [c["status"] for c in report["checks"] if c["name"] == "logs"] == ["pass"]


def forged_block(w: World) -> Lie:
    """The figures' block served with forged receipts (another URI in the Attested log), a header
    whose receiptsRoot is theirs and whose hash is that header's, and logs naming that hash: a block
    consistent in itself, only not the chain's."""
    from attest.chain.proving import block_receipts, header_from_block
    from attest.chain.rpc import HttpRpc
    from attest.core.header import header_hash

    fig = w.c.dep.attestation_of(w.c.bank_id, hash_of(w.figures))
    assert fig is not None
    n = fig.block_number
    forged = [
        replace(
            r, logs=tuple(replace(g, data=g.data.replace(URI.encode(), FORGED_URI.encode())) for g in r.logs)
        )
        for r in block_receipts(w.node.rpc_url, n)
    ]
    root = "0x" + receipts_root(forged).hex()
    rpc = HttpRpc(w.node.rpc_url)
    block = rpc.call("eth_getBlockByNumber", [hex(n), False])
    rpc.close()
    fake = "0x" + header_hash(header_from_block({**block, "receiptsRoot": root})).hex()

    def lie(method: str, result: Any) -> Any:
        if method == "eth_getBlockByNumber" and isinstance(result, dict) and result.get("number") == hex(n):
            return {**result, "receiptsRoot": root, "hash": fake}
        if method == "eth_getLogs" and isinstance(result, list):
            return [
                {**log, "blockHash": fake} if log.get("blockNumber") == hex(n) else log
                for log in uri_rewritten_in_logs(method, result)
            ]
        return uri_rewritten_everywhere(method, result)

    return lie


def hash_of(path: Path) -> str:
    from attest.core.documents import hash_document

    return hash_document(path).digest


def test_a_forged_block_is_outvoted_by_the_other_node(world: World) -> None:
    liar = LyingProxy(world.node.rpc_url, forged_block(world))
    try:
        done = verify(world, world.figures, liar.url, world.node.rpc_url)
    finally:
        liar.close()
    caught(done, "do not agree on block", liar.url, world.node.rpc_url)
    assert done.returncode == 3


def test_a_forged_block_does_not_lead_to_the_checkpoint(world: World) -> None:
    head = world.c.chain.w3.eth.get_block("latest")
    good = f"{head['number']}:{head['hash'].to_0x_hex()}"
    liar = LyingProxy(world.node.rpc_url, forged_block(world))
    try:
        done = verify(world, world.figures, liar.url, extra=("--trust-block", good))
    finally:
        liar.close()
    caught(done, "walking back from checkpoint by parentHash", liar.url)
    assert done.returncode == 3


def test_a_receipts_block_hash_the_node_confirms_is_checked_against_the_agreed_one(
    world: World, tmp_path: Path
) -> None:
    """An edited receipt (another hash for its block) and a node that confirms that hash: the
    `receipt` line believes the node, the agreed hash of that block does not."""
    from attest.core.sidefiles import receipt_path

    figures = tmp_path / world.figures.name
    shutil.copy(world.figures, figures)
    receipt = json.loads(receipt_path(world.figures).read_text(encoding="utf-8"))
    n, fake = receipt["chain"]["block_number"], "0x" + "ab" * 32
    receipt["chain"]["block_hash"] = fake
    receipt_path(figures).write_text(json.dumps(receipt), encoding="utf-8")

    def lie(method: str, result: Any) -> Any:
        if (
            method.startswith("eth_getBlockBy")
            and isinstance(result, dict)
            and result.get("number") == hex(n)
        ):
            return {**result, "hash": fake}
        return result

    liar = LyingProxy(world.node.rpc_url, lie)
    try:
        done = verify(world, receipt_path(figures), liar.url, world.node.rpc_url, extra=("--quorum", "1"))
    finally:
        liar.close()
    caught(done, "✓ receipt", "✗ logs", f"the node confirms the receipt's block {n} hash {fake}")
    assert done.returncode == 1


class NoBlockReceipts(LyingProxy):
    """A node without eth_getBlockReceipts (method not found), as older clients are."""

    def handle(self, body: bytes) -> bytes:
        calls = json.loads(body)
        batch = calls if isinstance(calls, list) else [calls]
        if any(c.get("method") == "eth_getBlockReceipts" for c in batch):
            error = {"code": -32601, "message": "Method not found"}
            answers = [{"jsonrpc": "2.0", "id": c.get("id"), "error": error} for c in batch]
            return json.dumps(answers if isinstance(calls, list) else answers[0]).encode()
        return super().handle(body)


def test_without_eth_get_block_receipts_the_receipts_of_each_transaction_are_proven(world: World) -> None:
    p = NoBlockReceipts(world.node.rpc_url)
    try:
        done = verify(world, world.figures, p.url)
    finally:
        p.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert line(done, "logs").lstrip().startswith("✓ logs")


def malformed_receipts(method: str, result: Any) -> Any:
    """eth_getBlockReceipts answers receipts whose status is no quantity: not a refusal, a lie."""
    if method == "eth_getBlockReceipts" and isinstance(result, list):
        return [{**r, "status": "yes"} for r in result]
    return result


def test_malformed_receipts_are_a_lie_not_a_refusal(world: World) -> None:
    caught(through(world, malformed_receipts, world.figures), "✗ logs", "status")


def verify_many(w: World, *urls: str, targets: tuple[Path, ...]) -> subprocess.CompletedProcess[str]:
    args = ["verify-many", *map(str, targets), "-d", str(w.manifest)]
    for url in urls:
        args += ["--rpc-url", url]
    return run_attest(*args, timeout=120)


def test_in_bulk_the_log_facts_are_proven_and_lies_caught(world: World) -> None:
    """verify-many proves a chunk's blocks ahead (one batch per node for their headers, one for
    their receipts); a rewritten URI and a left-out statement are caught there too."""
    both = (world.figures, world.statement)
    honest = verify_many(world, world.node.rpc_url, targets=both)
    assert honest.returncode == 0 and "2 verified, 0 not verified, of 2" in honest.stdout, honest.stdout
    liar = LyingProxy(world.node.rpc_url, uri_rewritten_in_logs)
    omits = LyingProxy(world.node.rpc_url, covered_left_out)
    try:
        rewritten = verify_many(world, liar.url, targets=both)
        left_out = verify_many(world, world.node.rpc_url, omits.url, targets=both)
    finally:
        liar.close()
        omits.close()
    caught(rewritten, "logs", f"the node said {FORGED_URI!r}")
    caught(left_out, "logs", f"node {omits.url} left out statement {world.statement_uid.lower()}")


class Recording(LyingProxy):
    """A proxy that keeps every eth_getLogs filter it forwards."""

    def __init__(self, upstream: str, lie: Lie) -> None:
        super().__init__(upstream, lie)
        self.filters: list[dict[str, Any]] = []

    def handle(self, body: bytes) -> bytes:
        calls = json.loads(body)
        for c in calls if isinstance(calls, list) else [calls]:
            if c.get("method") == "eth_getLogs":
                self.filters.append(c["params"][0])
        return super().handle(body)


def test_past_a_few_figures_every_covered_log_is_asked_once_per_node(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large run asks each node for every Covered log once, not once per figures: the omission
    is still named."""
    import attest.app.log_proofs as log_proofs
    from attest.app.proven import ProofPolicy, Prover
    from attest.app.verify import verify_target
    from attest.chain.deployment import Deployment

    monkeypatch.setattr(log_proofs, "FEW_FIGURES", 0)
    omits = Recording(world.node.rpc_url, covered_left_out)
    try:
        dep = Deployment(Chain.connect(world.node.rpc_url), world.c.dep.manifest)
        prover = Prover(dep, ProofPolicy((world.node.rpc_url, omits.url)))
        report = verify_target(dep, str(world.figures), prover=prover)
        verify_target(dep, str(world.figures), prover=prover)  # the second asks no node again
    finally:
        omits.close()
    assert [f["topics"] for f in omits.filters] == [[COVERED]]
    (logs,) = [c for c in report.checks if c.name == "logs"]
    assert logs.status == "fail" and f"node {omits.url} left out statement" in logs.detail, logs
