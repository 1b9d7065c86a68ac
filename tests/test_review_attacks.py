"""Attacks by a bank that writes the side files and fronts the node, found by an adversarial review.

Each test was a working attack on the code before its fix (a false verdict, or a summary firmer or
softer than the lines), and fails on that code:
1. a node calling an old checkpoint its head hid a later revocation: changes after a checkpoint are
   now the node's word whatever head it gives (`app.proven.Prover.grounds`);
2. and 4. a revoker's reason, or a node's text cut short, ending in "(--require-proofs)" made a real
   failure read as merely unproven: that is now a flag set where a line is failed for it
   (`Check.unproven`), never read from the words;
3. a restatement in the confirmation window hidden by the reading node: the other nodes are asked
   about supersession too (`app.window`);
5. an unpinned manifest listing the bank's two nodes under two names counted as two parties: the
   nodes of an unpinned manifest are one party, whoever wrote it (`cli._common.proof_policy`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import mine
from eth_utils import keccak
from lying_proxy import GET_ATTESTATION, REVOKED, SUPERSEDED_BY, ForgingProxy, run_attest, show
from worlds import World, anvil_world, restatement

from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil


# ---------------------------------------------------------------- 1. a stale checkpoint, a low head


def _revoked(w: World) -> None:
    revoke(w.c.dep, w.c.bank, w.figures_uid, "figures withdrawn")


@pytest.fixture(scope="module")
def stale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The figures revoked after a checkpoint (`world.checkpoint`, taken before the revocation)."""
    root = tmp_path_factory.mktemp("stale-low-head")
    with anvil_world(root, mine_blocks=2, checkpoint=True, after_checkpoint=_revoked, mine_after=2) as w:
        yield w


def _hidden_and_head_at(w: World, head: int) -> Any:
    """The node hides the revocation (storage read at its head, its logs) and says its head is
    `head`: the checkpoint's own block, so the checkpoint looks current."""

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if method == "eth_blockNumber":
            return hex(head)
        if method == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + w.figures_uid[2:] and isinstance(result, str):
                return result[: 2 + 5 * 64] + "00" * 32 + result[2 + 6 * 64 :]  # revoked flag: false
        if method == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log["topics"][0]).lower() != REVOKED]
        return result

    return forge


def test_a_node_saying_its_head_is_the_checkpoint_hides_a_later_revocation(stale: World) -> None:
    """The lie: the bank's node answers eth_blockNumber with the checkpoint's number (and hides the
    revocation made after it). `Prover.grounds` downgrades `status` to the node's word only when
    `ev.head > header.number` — the head being the node's own word — so `status` is `[proven]` and
    the revoked figures VERIFY with --require-proofs."""
    number = int(stale.checkpoint.split(":")[0])
    proxy = ForgingProxy(stale.node.rpc_url, _hidden_and_head_at(stale, number))
    try:
        done = run_attest(
            "verify", str(stale.figures), "-d", str(stale.manifest), "--rpc-url", proxy.url,
            "--trust-block", stale.checkpoint, "--require-proofs",
        )  # fmt: skip
    finally:
        proxy.close()
    assert done.returncode == 1, show(done)


# ------------------------------------------- 2. a revocation reason written to read as "unproven"

#: the bank revokes its own figures with a reason that ends as `rested` ends a line it fails
SLY_REASON = "restated — rests on the node's word: failed by --require-proofs"


@pytest.fixture(scope="module")
def sly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The figures, covered by the verifier's statement, then revoked by the bank with SLY_REASON."""

    def withdraw(w: World) -> None:
        revoke(w.c.dep, w.c.bank, w.figures_uid, SLY_REASON)

    root = tmp_path_factory.mktemp("sly-reason")
    with anvil_world(root, statement="statement.json", setup=withdraw) as w:
        yield w


def _in_short(done: Any) -> str:
    return next(x for x in done.stdout.splitlines() if x.startswith("In short: "))


@pytest.mark.parametrize("target", ["figures", "statement"])
def test_a_revocation_reason_makes_a_real_failure_read_as_merely_unproven(sly: World, target: str) -> None:
    """The lie: `report_summary.unproven_only` takes any failed line whose detail ends with "failed by
    --require-proofs" for one failed only by the option; `status` (figures) and `reference`
    (statement) end with the revocation's reason, which the revoking bank writes. Without
    --require-proofs, everything proven, the "In short" sentence then says the document is published
    and merely "not all it rests on is proven … (--require-proofs)" — never that it was withdrawn."""
    path = sly.figures if target == "figures" else sly.statement
    done = run_attest("verify", str(path), "-d", str(sly.manifest), "--rpc-url", sly.node.rpc_url)
    assert done.returncode == 1, show(done)
    short = _in_short(done)
    assert "not all it rests on is proven" not in short, show(done)  # the option was not even given
    if target == "figures":
        assert "it has been withdrawn" in short, show(done)


# ------------------------------------------------ 3. a restatement in the confirmation window


def _restated_last(w: World) -> dict[str, Any]:
    """Three blocks after the figures, the bank restates them: the restatement is the head block."""
    mine(w.c, 3)
    path = restatement(w.figures, w.root / "restated-last.json")
    new = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES, ref=w.figures_uid).published.attestation
    return {"restated_last_uid": new.uid.lower(), "restated_at": new.block_number}


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("restated-in-window")
    with anvil_world(root, statement="statement.json", setup=_restated_last, mine_blocks=0) as w:
        yield w


def _restatement_hidden(w: World) -> Any:
    """supersededBy(figures) answered zero (at any block), the Superseded and restatement's logs
    left out: the reading node shows no restatement."""
    superseded = "0x" + keccak(text="Superseded(bytes32,bytes32)").hex()

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if method == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == SUPERSEDED_BY + w.figures_uid[2:]:
                return "0x" + "00" * 32
        if method == "eth_getLogs" and isinstance(result, list):
            return [x for x in result if str(x["topics"][0]).lower() != superseded]
        return result

    return forge


@pytest.mark.parametrize(("target", "decided_by"), [("figures", "status"), ("statement", "reference")])
def test_a_restatement_in_the_window_hidden_by_the_reading_node(
    window: World, target: str, decided_by: str
) -> None:
    """The lie: two parties' nodes, --confirmations 2, --require-proofs; the bank restated its figures
    in the head block (after the trusted block) and its node, the first --rpc-url, answers
    supersededBy(figures) with zero. No proof can show it (the trusted block is before it), and the
    confirmation window (attest.app.window) asks the other nodes only about revocations, never about
    supersession: `status current … [proven]` and VERIFIED for superseded figures — and `reference`
    passes for the statement covering them. The honest run fails (`superseded`)."""
    path = getattr(window, target)
    nodes = ["--rpc-url", "", "--rpc-url", window.rpc_url, "--require-proofs", "--confirmations", "2"]
    honest = run_attest(
        "verify", str(path), "-d", str(window.manifest), *[window.rpc_url if x == "" else x for x in nodes]
    )
    assert honest.returncode == 1 and "superseded" in honest.stdout, show(honest)
    proxy = ForgingProxy(window.rpc_url, _restatement_hidden(window))
    try:
        done = run_attest(
            "verify", str(path), "-d", str(window.manifest), *[proxy.url if x == "" else x for x in nodes]
        )
    finally:
        proxy.close()
    assert done.returncode != 0, show(done)


# ------------------------------------ 4. a node's own contradiction worded as merely "unproven"

#: a receipt field the node sends malformed: its repr, cut at 80 characters by the error message,
#: ends as a line failed only by --require-proofs ends
_GARBAGE = "x" * 61 + "(--require-proofs)" + " more"


def _malformed_receipts(call: dict[str, Any], result: Any) -> Any:
    if call.get("method") == "eth_getBlockReceipts" and isinstance(result, list) and result:
        return [{**result[0], "status": _GARBAGE}, *result[1:]]
    return result


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("plain")) as w:
        yield w


def test_a_nodes_malformed_receipt_reads_as_unproven_not_as_a_contradiction(plain: World) -> None:
    """The lie: the bank's node sends a receipt whose `status` is text chosen so that
    `chain.proving.as_int`'s message (`{value!r:.80}`, the closing quote cut off) ends with
    "(--require-proofs)"; the `logs` line fails with "receipts contradict the node's logs: …" and
    `report_summary.unproven_only` — which trusts how a detail ends — takes it for a line failed only by
    the option. Without --require-proofs, "In short" then states who published the document and when
    (what a failed `logs` line is meant to withhold) and blames an option that was never given,
    instead of "the node's records contradict its blocks"."""
    proxy = ForgingProxy(plain.node.rpc_url, _malformed_receipts)
    try:
        done = run_attest("verify", str(plain.figures), "-d", str(plain.manifest), "--rpc-url", proxy.url)
    finally:
        proxy.close()
    assert done.returncode == 1, show(done)
    logs = next(x for x in done.stdout.splitlines() if x.lstrip().startswith("✗ logs"))
    assert "receipts contradict the node's logs" in logs, show(done)
    short = _in_short(done)
    assert "contradict" in short and "--require-proofs" not in short, show(done)


# ------------------------- 5. an unpinned manifest naming the bank's own nodes as two organisations

_LATE_REASON = "withdrawn in the last block"


def _revoked_last(w: World) -> dict[str, Any]:
    """A file published, three blocks mined, then revoked: the revocation is the head block."""
    path = w.root / "late.pdf"
    path.write_bytes(b"%PDF-1.4 a report withdrawn in the last block\n")
    uid = publish(w.c.dep, w.c.bank, path, kind=Kind.FILE, year=2022).published.attestation.uid
    mine(w.c, 3)
    revoke(w.c.dep, w.c.bank, uid, _LATE_REASON)
    return {"late": path, "late_uid": uid.lower()}


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("late"), setup=_revoked_last, mine_blocks=0) as w:
        yield w


def _late_hidden(w: World) -> Any:
    uid = w.late_uid

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if (
            method == "eth_call"
            and str(call["params"][0].get("data", "")).lower() == GET_ATTESTATION + uid[2:]
        ):
            return result[: 2 + 5 * 64] + "00" * 32
        if method == "eth_getLogs" and isinstance(result, list):
            return [x for x in result if not (x["topics"][0] == REVOKED and x["topics"][1].lower() == uid)]
        return result

    return forge


def test_an_unpinned_manifest_listing_the_banks_nodes_as_two_parties(late: World, tmp_path: Any) -> None:
    """The lie: the bank hands the auditor the deployment manifest (a side file it writes) listing two
    nodes, both its own, "run by WeBank" and "run by Example Carbon Verification Body". Verified
    with no --rpc-url, no --manifest-sha256 and --require-proofs, the manifest's nodes are asked
    (`cli._common.proof_policy`: `manifest.node_urls()`, `manifest.operators()`) and counted as two
    parties (`Basis.independent`), so every line is `[proven]`; both hide the revocation in the
    confirmation window, and the revoked file VERIFIES. Nothing requires the pin when the nodes (and
    the operators that make them "independent") come from the manifest; the brief's
    --require-proofs is "two parties' nodes via --rpc-url twice, or a --trust-block checkpoint"."""
    from attest.core.manifest import ConsortiumNode

    a = ForgingProxy(late.rpc_url, _late_hidden(late))
    b = ForgingProxy(late.rpc_url, _late_hidden(late))
    try:
        nodes = (
            ConsortiumNode(url=a.url, operator="WeBank"),
            ConsortiumNode(url=b.url, operator="Example Carbon Verification Body"),
        )
        listed = tmp_path / "deployment.json"
        from attest.core.manifest import write_atomic

        write_atomic(listed, late.c.dep.manifest.model_copy(update={"nodes": nodes, "rpc_url": None}).dump())
        done = run_attest(
            "verify", str(late.late), "--org", "WeBank", "-d", str(listed), "--require-proofs",
            "--confirmations", "2", timeout=120,
        )  # fmt: skip
    finally:
        a.close()
        b.close()
    assert done.returncode != 0, show(done)
