"""A record the verdict only shows is not what its lines rest on.

Found by an adversarial review: with `--require-proofs`, Rival Bank anchoring the bank's own figures
digest a block ago — newer than the block the nodes agree on at the deployment's confirmations — made
every line resting on records the node's word (the record could not be proven yet), and the bank's
figures, anchored and confirmed long before, failed. The `anchored` line names such a record "not
relied on"; a record the verdict relies on (the bank's own, a covering statement) still counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from lying_proxy import ForgingProxy
from worlds import World, anvil_world, run_attest, show

from attest.core.contracts import Kind
from attest.core.documents import hash_document

pytestmark = pytest.mark.anvil

REQUIRED = 3  # confirmations: the nodes agree on the block two below the head


def rival_anchors_the_same_figures(w: World) -> dict[str, Any]:
    """Rival Bank anchors the bank's figures digest as its own (the registry lets any organisation
    anchor any digest for itself; `attest publish` would refuse a document naming another)."""
    assert w.figures is not None
    digest = hash_document(w.figures).digest
    a = w.c.dep.attest(w.c.rival, digest, Kind.FIGURES, 2022).attestation
    return {"rival_block": a.block_number}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("shown")
    with anvil_world(
        root, mine_blocks=REQUIRED, checkpoint=True, after_checkpoint=rival_anchors_the_same_figures
    ) as w:
        manifest = json.loads(w.manifest.read_text(encoding="utf-8"))
        manifest["confirmations"] = REQUIRED
        w.manifest.write_text(json.dumps(manifest), encoding="utf-8")
        yield w


def verify(w: World, target: str, *more: str) -> Any:
    second = ForgingProxy(w.node.rpc_url, lambda call, result: result)  # a second party's node
    try:
        nodes = ["--rpc-url", w.node.rpc_url, "--rpc-url", second.url]
        return run_attest("verify", target, "-d", str(w.manifest), *nodes, *more)
    finally:
        second.close()


def line(done: Any, name: str) -> str:
    return next(x.strip() for x in done.stdout.splitlines() if x.strip()[2:].startswith(name + " "))


def test_a_newer_record_only_shown_does_not_fail_the_lines_the_verdict_rests_on(world: World) -> None:
    assert world.made["rival_block"] > world.chain.head() - REQUIRED + 1  # after the agreed block
    done = verify(world, str(world.figures), "--require-proofs")
    assert "also attested by Rival Bank" in done.stdout and "(not relied on)" in done.stdout, show(done)
    assert done.returncode == 0, show(done)
    assert line(done, "anchored").endswith("[proven]"), show(done)
    assert "only shown, not relied on, after block" in line(done, "logs"), show(done)


def test_the_record_relied_on_newer_than_the_agreed_block_still_fails(world: World) -> None:
    """The other side: the same digest verified as Rival Bank's (a bare digest, `--org`) rests on
    its new record, which no proof covers yet: `--require-proofs` fails it, and WeBank's is the one
    only shown now."""
    assert world.figures is not None
    digest = hash_document(world.figures).digest
    done = verify(world, digest, "--org", "Rival Bank", "--require-proofs")
    assert done.returncode == 1, show(done)
    assert line(done, "anchored").startswith("✗ anchored"), show(done)
    assert "after block" in line(done, "proofs"), show(done)
    assert "(not relied on)" in line(done, "anchored"), show(done)
