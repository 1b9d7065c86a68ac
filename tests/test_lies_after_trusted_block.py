"""A node dating an attestation's Attested log after the trusted block (it is really before it).

Found by an adversarial review, each test a working attack before the fix: `core.proven` compared
nothing about a record the node put after the trusted block, so revoked or restated figures
verified with `--trust-block` and `--require-proofs`, through a quorum with a lagging honest node,
in verify-many. A record that exists at the trusted block is now compared field by field, its block
number too. Real CLI, real anvil, tests/lying_proxy.py `ForgingProxy`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lying_proxy import ATTESTED, GET_ATTESTATION, SUPERSEDED_BY, ForgingProxy, run_attest, show
from worlds import World, anvil_world, restatement

from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.core.contracts import Kind


def revoked_and_restated(w: World) -> dict[str, Any]:
    """The figures revoked; other figures (first metric + 5) published, then restated (+ 1 more)."""
    c = w.c
    revoke(c.dep, c.bank, w.figures_uid, "the figures were wrong")
    # second case: old figures restated (superseded)
    assert w.figures is not None
    old = restatement(w.figures, w.root / "old" / "webank-2022-figures.json", 5)
    o = publish(c.dep, c.bank, old, kind=Kind.FIGURES).published.attestation
    new = restatement(old, w.root / "new" / "webank-2022-figures.json", 1)
    publish(c.dep, c.bank, new, kind=Kind.FIGURES, ref=o.uid)
    return {"restated_figures": old, "old_uid": o.uid.lower()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("fwd")
    with anvil_world(root, setup=revoked_and_restated, mine_blocks=2, checkpoint=True, mine_after=4) as w:
        yield w


def forward(uid: str, to_block: int, block_hash: str):
    def forge(call: dict[str, Any], result: Any) -> Any:
        m = call.get("method")
        if m == "eth_getLogs" and isinstance(result, list):
            out = []
            for log in result:
                t = [x.lower() for x in log["topics"]]
                if t[0] == ATTESTED and t[1] == uid:
                    log = {**log, "blockNumber": hex(to_block), "blockHash": block_hash}
                out.append(log)
            return out
        if m == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + uid[2:]:
                return result[: 2 + 5 * 64] + "00" * 32  # revoked flag: false
            if data == SUPERSEDED_BY + uid[2:]:
                return "0x" + "00" * 32  # no replacement
        return result

    return forge


def verify(w: World, target: Path, proxy: ForgingProxy, *extra: str):
    try:
        return run_attest(
            "verify",
            str(target),
            "-d",
            str(w.manifest),
            "--rpc-url",
            proxy.url,
            "--trust-block",
            w.checkpoint,
            "--require-proofs",
            *extra,
        )
    finally:
        proxy.close()


def test_honest_revoked_figures_fail(world: World) -> None:
    done = verify(world, world.figures, ForgingProxy(world.node.rpc_url, lambda c, r: r))
    assert done.returncode == 1 and "✗ status" in done.stdout


def test_revoked_figures_verify_when_the_node_moves_their_log_after_the_checkpoint(world: World) -> None:
    n = world.checkpoint_number + 1
    h = world.chain.block_hash(n)
    done = verify(world, world.figures, ForgingProxy(world.node.rpc_url, forward(world.figures_uid, n, h)))
    assert done.returncode in (1, 3), show(done)  # the attack that used to end VERIFIED


def test_superseded_figures_verify_the_same_way(world: World) -> None:
    honest = verify(world, world.restated_figures, ForgingProxy(world.node.rpc_url, lambda c, r: r))
    assert honest.returncode == 1 and "superseded" in honest.stdout, show(honest)
    n = world.checkpoint_number + 1
    h = world.chain.block_hash(n)
    done = verify(
        world, world.restated_figures, ForgingProxy(world.node.rpc_url, forward(world.old_uid, n, h))
    )
    assert done.returncode in (1, 3), show(done)


def test_quorum_of_two_nodes_one_lagging_honest(world: World) -> None:
    """No checkpoint: the bank's node and an independent honest node that is 3 blocks behind (a
    normal lag). The trusted block is the lower head; the bank's node puts the record's log just
    above it."""
    from lying_proxy import LyingProxy, low_head

    head = world.chain.head()
    trusted = head - 3
    n = trusted + 1
    h = world.chain.block_hash(n)
    bank = ForgingProxy(world.node.rpc_url, forward(world.figures_uid, n, h))
    lagging = LyingProxy(world.node.rpc_url, low_head(3))
    try:
        done = run_attest(
            "verify",
            str(world.figures),
            "-d",
            str(world.manifest),
            "--rpc-url",
            bank.url,
            "--rpc-url",
            lagging.url,
            "--require-proofs",
        )
    finally:
        bank.close()
        lagging.close()
    assert done.returncode in (1, 3), show(done)


def test_verify_many_too(world: World) -> None:
    n = world.checkpoint_number + 1
    h = world.chain.block_hash(n)
    proxy = ForgingProxy(world.node.rpc_url, forward(world.figures_uid, n, h))
    try:
        done = run_attest(
            "verify-many",
            str(world.figures),
            "-d",
            str(world.manifest),
            "--rpc-url",
            proxy.url,
            "--trust-block",
            world.checkpoint,
            "--require-proofs",
        )
    finally:
        proxy.close()
    assert done.returncode in (1, 3), show(done)
