"""A checkpoint proves what was so at its block, nothing about what happened since.

Found by an adversarial review (a working attack before the fix): the auditor gives `--trust-block`
with a checkpoint taken weeks ago; the bank's figures were revoked after it; the bank's node hides the
revocation (its `getAttestation` answer says "not revoked", its logs leave the `Revoked` log out).
Storage at the checkpoint agrees ("not revoked" then), so no proof contradicts the node, and the
`status` line said `current … [proven]`, VERIFIED even with `--require-proofs`. A change after the
checkpoint is the node's word — whatever head the node gives, since a node that calls the checkpoint
its head hides all that followed (tests/test_review_attacks.py): the line says so, and
`--require-proofs` fails it. A revocation proven at the checkpoint is final, and proven.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import checkpoint
from lying_proxy import GET_ATTESTATION, REVOKED, ForgingProxy, run_attest, show
from worlds import World, anvil_world

from attest.chain.anchoring import revoke

pytestmark = pytest.mark.anvil


def revoked(w: World) -> None:
    revoke(w.c.dep, w.c.bank, w.figures_uid, "figures withdrawn")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The figures revoked after a checkpoint (`world.checkpoint`, taken before the revocation)."""
    root = tmp_path_factory.mktemp("stale")
    with anvil_world(root, mine_blocks=2, checkpoint=True, after_checkpoint=revoked, mine_after=2) as w:
        yield w


def revocation_hidden(w: World) -> Any:
    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + w.figures_uid[2:] and isinstance(result, str):
                return result[: 2 + 5 * 64] + "00" * 32 + result[2 + 6 * 64 :]  # revoked flag: false
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log["topics"][0]).lower() != REVOKED]
        return result

    return forge


def verify(w: World, trust_block: str, *more: str, lie: Any = None) -> Any:
    proxy = ForgingProxy(w.node.rpc_url, lie or (lambda call, result: result))
    try:
        args = ["verify", str(w.figures), "-d", str(w.manifest), "--rpc-url", proxy.url]
        return run_attest(*args, "--trust-block", trust_block, *more)
    finally:
        proxy.close()


def status(done: Any) -> str:
    return next(x.strip() for x in done.stdout.splitlines() if x.strip()[2:].startswith("status "))


def test_a_revocation_hidden_after_an_old_checkpoint_is_the_nodes_word(world: World) -> None:
    done = verify(world, world.checkpoint, lie=revocation_hidden(world))
    assert done.returncode == 0, show(done)  # the lie works on the verdict without --require-proofs…
    line = status(done)
    assert line.startswith("✓ status") and line.endswith("[node's word]"), show(done)  # …but is named
    assert "whether it changed after checkpoint block" in done.stdout, show(done)
    required = verify(world, world.checkpoint, "--require-proofs", lie=revocation_hidden(world))
    assert required.returncode == 1, show(required)
    assert status(required).startswith("✗ status"), show(required)


def test_honestly_the_revocation_fails_and_a_checkpoint_at_the_head_proves_it(world: World) -> None:
    done = verify(world, world.checkpoint)
    assert done.returncode == 1 and status(done).startswith("✗ status"), show(done)
    now = verify(world, checkpoint(world.node.rpc_url)[1], "--require-proofs")
    assert now.returncode == 1, show(now)
    line = status(now)
    assert line.startswith("✗ status") and "revoked" in line and line.endswith("[proven]"), show(now)
