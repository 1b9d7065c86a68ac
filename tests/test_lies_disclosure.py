"""A disclosure root cannot be passed off as the one bound to other figures by a node that forges
`disclosureOf`.

WeBank anchors its 2022 figures A and binds their disclosure root RA (the honest tree). It anchors
other 2022 figures B, and binds to B a second tree it built by hand over A — its document leaf names
A, one metric shows another value. A proof from that tree names figures A, which WeBank anchored and
keeps current (`figures` ✓), and its root is anchored, authorised and live as a disclosure root for
2022; only `bound` stops it: the registry binds A to RA. A node that answers `disclosureOf(A)` with
the second root's attestation made that proof VERIFIED ("the one disclosure root bound on-chain to
figures attestation A"). `verify-disclosure` now proves A's `_disclosureOf` slot at its trusted
block (agreed by every node asked, or a checkpoint) and compares it with the node's answer; the page
does the same. Real CLI, real anvil, tests/lying_proxy.py."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from lying_proxy import LyingProxy, honest
from serve_net import ServeNet, serving
from test_disclosure import METRIC, hand_tree, of_metric, proof_from, variant, with_value, write
from worlds import World, anvil_world, run_attest

from attest.app.disclosure import disclose, publish_disclosure_root
from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

DISCLOSURE_OF = "0x" + keccak(text="disclosureOf(bytes32)")[:4].hex()


def bound_and_forged(w: World) -> dict[str, Any]:
    """RA bound to figures A; other figures B, and a second tree over A bound to B."""
    c, root = w.c, w.root
    assert w.figures is not None
    bound = publish_disclosure_root(c.dep, c.bank, w.figures).published.attestation
    other = variant(w.figures, root / "webank-2022-other.json", "7")
    b = publish(c.dep, c.bank, other, kind=Kind.FIGURES).published.attestation
    tree = hand_tree(w.figures, root / "second-tree.json", with_value("1"))  # over A, bound to B
    forged = c.dep.attest(c.bank, tree.root[2:], Kind.DISCLOSURE, 2022, ref=b.uid).attestation
    return {
        # from RA, the root bound to figures A
        "honest_proof": write(root / "honest.proof.json", disclose(w.figures, METRIC)),
        # from the second tree, bound to figures B, naming figures A
        "forged_proof": write(root / "forged.proof.json", proof_from(c, tree, of_metric)),
        "bound_uid": bound.uid.lower(),  # RA's attestation: what the registry binds to A
        "forged_uid": forged.uid.lower(),  # the second tree's attestation, bound to B
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """`world.figures_uid` is A's attestation."""
    root = tmp_path_factory.mktemp("lies-disclosure")
    with anvil_world(root, setup=bound_and_forged) as w:
        yield w


class ForgingProxy(LyingProxy):
    """Answers every eth_call of `disclosureOf(figures)` with `answer` (everything else honestly,
    eth_getProof included)."""

    def __init__(self, upstream: str, figures_uid: str, answer: str) -> None:
        super().__init__(upstream, honest)
        self.data = DISCLOSURE_OF + figures_uid.removeprefix("0x").lower()
        self.answer = answer

    def handle(self, body: bytes) -> bytes:
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        forged = {
            c.get("id")
            for c in calls
            if c.get("method") == "eth_call" and str(c["params"][0].get("data", "")).lower() == self.data
        }
        answer = json.loads(super().handle(body))
        answers = answer if isinstance(answer, list) else [answer]
        for a in answers:
            if a.get("id") in forged and "result" in a:
                a["result"] = self.answer
        return json.dumps(answer).encode()


class NoProofsProxy(LyingProxy):
    """An honest node that serves no eth_getProof (as eth-tester, FISCO BCOS)."""

    def handle(self, body: bytes) -> bytes:
        calls = json.loads(body)
        batch = calls if isinstance(calls, list) else [calls]
        if any(c.get("method") == "eth_getProof" for c in batch):
            error = {"code": -32601, "message": "Method not found"}
            answers = [{"jsonrpc": "2.0", "id": c.get("id"), "error": error} for c in batch]
            return json.dumps(answers if isinstance(calls, list) else answers[0]).encode()
        return super().handle(body)


def lying(w: World) -> ForgingProxy:
    return ForgingProxy(w.node.rpc_url, w.figures_uid, w.forged_uid)


def verify_disclosure(w: World, proof: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_attest("verify-disclosure", str(proof), "-d", str(w.manifest), *args, timeout=120)


def line(done: subprocess.CompletedProcess[str], name: str) -> str:
    return next(x.strip() for x in done.stdout.splitlines() if x.strip()[2:].startswith(name + " "))


def checkpoint(w: World) -> str:
    head = w.c.chain.w3.eth.get_block("latest")
    return f"{head['number']}:{head['hash'].to_0x_hex()}"


def assert_caught(w: World, done: subprocess.CompletedProcess[str], node: str, vouched: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    bound = line(done, "bound")
    assert bound.startswith("✗"), done.stdout
    assert f"node {node} contradicts proofs at block " in bound and vouched in bound, bound
    assert f"binds figures attestation {w.figures_uid} to disclosure attestation {w.bound_uid} (proven)" in (
        bound
    )
    assert f"the node says disclosure attestation {w.forged_uid}" in bound, bound
    assert done.stdout.splitlines()[-1] == "NOT VERIFIED (failed: bound)", done.stdout


def test_honestly_the_second_tree_fails_bound_and_only_bound(world: World) -> None:
    p = LyingProxy(world.node.rpc_url, honest)
    try:
        nodes = ("--rpc-url", p.url, "--rpc-url", world.node.rpc_url)  # the nodes of two parties
        done = verify_disclosure(world, world.forged_proof, *nodes, "--require-proofs")
    finally:
        p.close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "NOT VERIFIED (failed: bound)", done.stdout
    assert f"(attestation {world.bound_uid}), not to this root (proven at block" in line(done, "bound")
    assert line(done, "figures").startswith("✓") and line(done, "proofs").startswith("✓"), done.stdout


def test_a_forged_binding_contradicts_the_proofs_of_a_quorum(world: World) -> None:
    """(a) the lying node first (it serves the proofs and every answer), an honest one beside it:
    both agree on the trusted block, whose proven slot binds A to RA."""
    p = lying(world)
    try:
        done = verify_disclosure(
            world, world.forged_proof, "--rpc-url", p.url, "--rpc-url", world.node.rpc_url
        )
    finally:
        p.close()
    assert_caught(world, done, p.url, "hash agreed by 2 of 2 node(s)")


def test_a_forged_binding_contradicts_the_proofs_at_a_checkpoint(world: World) -> None:
    """(b) the lying node alone, with the block's hash obtained out of band."""
    p = lying(world)
    good = checkpoint(world)
    try:
        done = verify_disclosure(world, world.forged_proof, "--rpc-url", p.url, "--trust-block", good)
    finally:
        p.close()
    assert_caught(world, done, p.url, f"checkpoint {good}")


def test_the_bound_root_verifies_proven_through_an_honest_node(world: World) -> None:
    """(c) the honest proof, through an honest proxy, with --require-proofs: every line proven."""
    p = LyingProxy(world.node.rpc_url, honest)
    try:
        args = ("--rpc-url", p.url, "--require-proofs", "--rpc-url", world.node.rpc_url)
        done = verify_disclosure(world, world.honest_proof, *args)
        alone = verify_disclosure(world, world.honest_proof, *args[:3])
    finally:
        p.close()
    assert done.returncode == 0, done.stdout + done.stderr
    bound = line(done, "bound")
    assert (
        bound.startswith("✓ bound") and f"figures attestation {world.figures_uid} (proven at block " in bound
    )
    assert "(hash agreed by 2 of 2 node(s)" in bound, bound
    # one node alone vouches for its own block: --require-proofs fails every line resting on it
    assert alone.returncode == 1, alone.stdout + alone.stderr
    assert "rests on one node: failed by --require-proofs" in line(alone, "bound"), alone.stdout
    assert line(done, "proofs").startswith("✓") and line(done, "logs").startswith("✓"), done.stdout
    assert done.stdout.splitlines()[-1] == "VERIFIED (the value rests on the publisher's tree)"


def test_without_proofs_bound_is_the_nodes_word_and_require_proofs_fails_it(world: World) -> None:
    """(d) a node that serves no eth_getProof: the line says it rests on the node's word, and
    --require-proofs fails it."""
    p = NoProofsProxy(world.node.rpc_url, honest)
    try:
        done = verify_disclosure(world, world.honest_proof, "--rpc-url", p.url)
        required = verify_disclosure(world, world.honest_proof, "--rpc-url", p.url, "--require-proofs")
    finally:
        p.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert line(done, "bound").startswith("✓") and "(node's word: " in line(done, "bound"), done.stdout
    assert "serves no state proof" in line(done, "bound"), done.stdout
    assert required.returncode == 1, required.stdout + required.stderr
    bound = line(required, "bound")
    assert bound.startswith("✗ bound") and "unproven: the root bound to figures attestation" in bound
    assert "is the node's word" in bound and bound.endswith("(--require-proofs)  [node's word]"), bound


def test_the_page_proves_the_binding_too(world: World) -> None:
    """`attest serve` over the lying node and an honest one: /api/disclosure fails `bound`."""
    p = lying(world)
    net = ServeNet(world.root, world.node.rpc_url, world.manifest, *(world.root / "unused",) * 6)
    proof = {"name": world.forged_proof.name, "text": world.forged_proof.read_text(encoding="utf-8")}
    try:
        with serving(net, "--rpc-url", p.url, "--rpc-url", world.node.rpc_url) as url:
            request = urllib.request.Request(
                url + "/api/disclosure",
                data=json.dumps({"proof": proof}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=120) as r:
                answer = json.loads(r.read())
    finally:
        p.close()
    assert answer["verified"] is False, answer
    (bound,) = [c for c in answer["checks"] if c["name"] == "bound"]
    assert bound["status"] == "fail" and f"node {p.url} contradicts proofs at block " in bound["detail"]
    assert f"to disclosure attestation {world.bound_uid} (proven)" in bound["detail"], bound
    assert [c["name"] for c in answer["checks"] if c["status"] == "fail"] == ["bound"], answer["checks"]
