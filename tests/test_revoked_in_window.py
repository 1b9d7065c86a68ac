"""A revocation in the confirmation window is asked of every node, not only of the reading node.

Found by an adversarial review: without a checkpoint the trusted block is the one every node has
`confirmations` deep, and a revocation after it (in the last blocks) was read from the first node
alone. A first node hiding it (its storage answer's revoked flag cleared, its Revoked log dropped)
had the report say `status current … [proven]` and VERIFIED, with two nodes and --require-proofs.
Now every other node is asked at its own head (attest.app.window): a revocation it holds is
believed when the reading node has not reached its block yet (the verdict fails on `status`), and
is a chain error naming both nodes when the reading node has that block and holds the record not
revoked there (exit 3). Real anvil, real CLI; the first node is a proxy in front of the same anvil.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import mine
from lying_proxy import GET_ATTESTATION, REVOKED, ForgingProxy
from worlds import World, anvil_world, run_attest, show

from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

REASON = "withdrawn in the last block"


def _revoked_last(w: World) -> dict[str, Any]:
    """A file published, three blocks mined, then revoked: the revocation is the head block."""
    path = w.root / "late.pdf"
    path.write_bytes(b"%PDF-1.4 a report withdrawn in the last block\n")
    uid = publish(w.c.dep, w.c.bank, path, kind=Kind.FILE, year=2022).published.attestation.uid
    mine(w.c, 3)
    revoke(w.c.dep, w.c.bank, uid, REASON)
    return {"late": path, "late_uid": uid.lower(), "revoked_at": w.c.chain.head()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("window"), setup=_revoked_last, mine_blocks=0) as w:
        yield w


def _hidden(w: World, *, head_behind: bool) -> Any:
    """The revocation hidden: getAttestation's revoked flag cleared (at any block), the Revoked log
    dropped; with `head_behind`, the node also says its head is one block lower."""
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
        if method == "eth_blockNumber" and head_behind:
            return hex(int(result, 16) - 1)
        return result

    return forge


def _verify(w: World, forge: Any) -> Any:
    proxy = ForgingProxy(w.rpc_url, forge)
    nodes = ["--rpc-url", proxy.url, "--rpc-url", w.rpc_url, "--require-proofs", "--confirmations", "2"]
    try:
        return run_attest("verify", str(w.late), "-d", str(w.manifest), *nodes, timeout=120)
    finally:
        proxy.close()


def test_honestly_the_revocation_in_the_window_fails_on_status(world: World) -> None:
    done = _verify(world, lambda call, result: result)
    assert done.returncode == 1, show(done)
    assert "✗ status" in done.stdout and REASON in done.stdout, show(done)


def test_a_hidden_revocation_the_reading_node_has_the_block_of_is_a_contradiction(world: World) -> None:
    """The first node has the revocation's block and says the record is live there: before the fix,
    `status current` and VERIFIED (exit 0); now the nodes contradict each other (exit 3)."""
    done = _verify(world, _hidden(world, head_behind=False))
    assert done.returncode == 3, show(done)
    assert "the nodes contradict each other about attestation" in done.stderr, show(done)
    assert f"says it was revoked at block {world.revoked_at}" in done.stderr, show(done)
    assert world.rpc_url in done.stderr and "holds it not revoked there" in done.stderr, show(done)


def test_a_hidden_revocation_beyond_the_reading_nodes_head_is_believed(world: World) -> None:
    """The first node hides the revocation and says its head is the block before it (nodes' heads
    differ by a block in normal operation: no contradiction): the second node's revocation is
    believed, the verdict fails on `status`, which rests on the node's word (after the trusted block)."""
    done = _verify(world, _hidden(world, head_behind=True))
    assert done.returncode == 1, show(done)
    status = next(x for x in done.stdout.splitlines() if x.lstrip().startswith("✗ status"))
    assert REASON in status and "[node's word]" in status, show(done)


def test_the_other_nodes_are_asked_once_per_command_not_once_per_report(world: World) -> None:
    """verify-many with two nodes: the second node's head is asked as often for two targets as for
    one (the window's answers are kept for the command, a chunk asked in one batch per node), so a
    second node does not cost each of 10,000 reports a connection and two round trips."""
    asked: list[str] = []

    def count(call: dict[str, Any], result: Any) -> Any:
        asked.append(str(call.get("method")))
        return result

    def heads(*targets: str) -> int:
        asked.clear()
        second = ForgingProxy(world.rpc_url, count)
        try:
            nodes = ["--rpc-url", world.rpc_url, "--rpc-url", second.url, "--confirmations", "2"]
            done = run_attest("verify-many", *targets, "-d", str(world.manifest), *nodes, timeout=120)
        finally:
            second.close()
        assert done.returncode in (0, 1), show(done)
        return asked.count("eth_blockNumber")

    assert world.figures is not None
    one = heads(str(world.late))
    assert heads(str(world.late), str(world.figures)) == one
