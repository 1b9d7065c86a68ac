"""`attest verify` proves its state facts against a block header independent nodes agree on.

The audited bank runs (or fronts) the node. Each test puts a lying JSON-RPC proxy (tests/lying_proxy.py)
between the real CLI and a real anvil node; every lie must end as exit 3 (nodes disagree, proof
invalid — naming the node) or exit 1 (a proof contradicts the node), never as VERIFIED. The same
commands through an honest proxy verify, with a `✓ proofs` line saying what is proven.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES
from lying_proxy import LyingProxy, another_hash, forged_state_root
from worlds import World, anvil_world, restatement, run_attest

from attest.core.documents import hash_document
from attest.core.manifest import write_atomic

FIGURES = EXAMPLES / "webank-2022-figures.json"


def edited(w: World) -> dict[str, Any]:
    """The figures edited (first metric + 1), not anchored; both digests."""
    assert w.figures is not None
    edited = restatement(w.figures, w.root / "edited" / FIGURES.name)
    return {
        "edited": edited,
        "genuine_digest": hash_document(w.figures).digest,
        "edited_digest": hash_document(edited).digest,
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("proven")
    # a few blocks above the attestation, so the trusted block holds it
    with anvil_world(root, setup=edited) as w:
        yield w


def verify(
    w: World, target: Path | str, *urls: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    args = ["verify", str(target), "-d", str(w.manifest)]
    for url in urls:
        args += ["--rpc-url", url]
    return run_attest(*args, *extra, timeout=120)


class DigestSwap(LyingProxy):
    """The attack of the issue: the node is asked about the edited figures' digest, forwards the
    question about the genuine one, and answers as if the edited digest had been anchored."""

    def __init__(self, upstream: str, edited: str, genuine: str) -> None:
        super().__init__(upstream)
        self.edited, self.genuine = edited, genuine

    def handle(self, body: bytes) -> bytes:
        asked = body.replace(self.edited.encode(), self.genuine.encode())
        return super().handle(asked).replace(self.genuine.encode(), self.edited.encode())


@pytest.fixture
def proxy(world: World) -> Iterator[LyingProxy]:
    p = LyingProxy(world.node.rpc_url)
    try:
        yield p
    finally:
        p.close()


def test_through_an_honest_proxy_the_genuine_figures_verify_with_proofs(
    world: World, proxy: LyingProxy
) -> None:
    done = verify(world, world.figures, proxy.url, world.node.rpc_url)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if "proofs" in x)
    assert line.lstrip().startswith("✓ proofs")
    assert "hash agreed by 2 of 2 node(s)" in line and "membership = governance" in line
    assert "organisation name(s) #1 'WeBank'" in line and "live, not superseded" in line
    edited = verify(world, world.edited, proxy.url)
    assert edited.returncode == 1 and "NOT VERIFIED" in edited.stdout


def test_a_node_that_swaps_digests_cannot_verify_the_edited_figures(world: World) -> None:
    """Without proofs this printed VERIFIED, exit 0: every answer came from the lying node."""
    liar = DigestSwap(world.node.rpc_url, world.edited_digest, world.genuine_digest)
    try:
        done = verify(world, world.edited, liar.url)
    finally:
        liar.close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT VERIFIED" in done.stdout
    line = next(x for x in done.stdout.splitlines() if "proofs" in x)
    assert line.lstrip().startswith("✗ proofs") and "its slot is empty" in line, line


@pytest.mark.parametrize("lie", [another_hash, forged_state_root], ids=["another-hash", "forged-header"])
def test_a_node_lying_about_the_block_is_outvoted_or_refused(world: World, lie: Any) -> None:
    liar = LyingProxy(world.node.rpc_url, lie)
    try:
        done = verify(world, world.figures, liar.url, world.node.rpc_url)
    finally:
        liar.close()
    assert done.returncode == 3, done.stdout + done.stderr
    assert liar.url in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_checkpoint_is_the_trusted_hash(world: World) -> None:
    head = world.c.chain.w3.eth.get_block("latest")
    good = f"{head['number']}:{head['hash'].to_0x_hex()}"
    done = verify(world, world.figures, world.node.rpc_url, extra=("--trust-block", good))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"checkpoint {good}" in done.stdout
    wrong = f"{head['number']}:0x" + "42" * 32
    done = verify(world, world.figures, world.node.rpc_url, extra=("--trust-block", wrong))
    assert done.returncode == 3 and "checkpoint" in done.stderr, done.stdout + done.stderr


def test_a_node_without_proofs_is_the_nodes_word_and_require_proofs_fails_it(world: World) -> None:
    def no_proofs(method: str, result: Any) -> Any:
        return result

    class NoGetProof(LyingProxy):
        def handle(self, body: bytes) -> bytes:
            calls = json.loads(body)
            batch = calls if isinstance(calls, list) else [calls]
            if any(c.get("method") == "eth_getProof" for c in batch):
                answers = [
                    {
                        "jsonrpc": "2.0",
                        "id": c.get("id"),
                        "error": {"code": -32601, "message": "Method not found"},
                    }
                    for c in batch
                ]
                return json.dumps(answers if isinstance(calls, list) else answers[0]).encode()
            return super().handle(body)

    p = NoGetProof(world.node.rpc_url, no_proofs)
    try:
        done = verify(world, world.figures, p.url)
        required = verify(world, world.figures, p.url, extra=("--require-proofs",))
    finally:
        p.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "· proofs" in done.stdout and "unproven: node's word" in done.stdout
    assert (
        required.returncode == 1 and "✗ proofs" in required.stdout and "--require-proofs" in required.stdout
    )


def test_the_manifests_nodes_are_each_asked_and_named_with_their_operator(
    world: World, proxy: LyingProxy, tmp_path: Path
) -> None:
    """A manifest listing the consortium's nodes: with no --rpc-url, every one of them must agree on
    the trusted block, and the report says who runs each; one node on another fork stops it."""
    from attest.core.manifest import ConsortiumNode, load_manifest

    nodes = (
        ConsortiumNode(url=proxy.url, operator="WeBank"),
        ConsortiumNode(url=world.node.rpc_url, operator="Example Carbon Verification Body"),
    )
    listed = tmp_path / "deployment.json"
    write_atomic(listed, world.c.dep.manifest.model_copy(update={"nodes": nodes, "rpc_url": None}).dump())
    assert load_manifest(listed).nodes == nodes  # the list survives a round trip
    w = World(**{**world.__dict__, "manifest": listed})
    # the list is the consortium's once the manifest is pinned: each node named with its operator
    pin = ("--manifest-sha256", hashlib.sha256(listed.read_bytes()).hexdigest())
    done = verify(w, world.figures, extra=pin)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if "proofs" in x)
    assert "hash agreed by 2 of 2 node(s)" in line, line
    assert f"{proxy.url} (run by WeBank)" in line and "(run by Example Carbon Verification Body)" in line
    assert line.endswith("[proven]"), line
    # unpinned, it is a file the audited party may have written: its nodes are one party, whoever wrote it
    done = verify(w, world.figures)
    line = next(x for x in done.stdout.splitlines() if "proofs" in x)
    assert "(run by whoever wrote the deployment file" in line and line.endswith("[one node]"), line
    liar = LyingProxy(world.node.rpc_url, another_hash)
    try:
        lying = (ConsortiumNode(url=liar.url, operator="WeBank"), nodes[1])
        write_atomic(listed, world.c.dep.manifest.model_copy(update={"nodes": lying, "rpc_url": None}).dump())
        done = verify(w, world.figures)
    finally:
        liar.close()
    assert done.returncode == 3 and liar.url in done.stderr, done.stdout + done.stderr


def test_the_plain_sentence_says_what_the_answer_rests_on(world: World, proxy: LyingProxy) -> None:
    """The summary's "rests on" comes from the prover that settled the trusted block: the nodes of
    two named organisations, or a checkpoint; the anchoring time from that block's agreed header."""
    from attest.app.proven import ProofPolicy, Prover
    from attest.app.verify import verify_target
    from attest.core.header import Checkpoint
    from attest.core.report_summary import summary_sentence, when

    urls = (proxy.url, world.node.rpc_url)
    operators = {proxy.url: "Bank of Ningbo", world.node.rpc_url: "WeBank"}
    prover = Prover(world.c.dep, ProofPolicy(urls, operators=operators))
    report = verify_target(world.c.dep, str(world.figures), prover=prover)
    assert report.verified and report.anchored_at_proven
    assert report.anchored_at == world.c.chain.timestamp(report.attestation.block_number)  # type: ignore[union-attr]
    said = summary_sentence(report)
    assert said.startswith(
        "Verified: WeBank published this document as its ESG figures for 2022, "
        f"on {when(report.anchored_at)} (block {report.attestation.block_number}), and it is still current"  # type: ignore[union-attr]
    ), said
    assert "whose hash the nodes of 2 organisations (Bank of Ningbo, WeBank) agreed on." in said, said
    assert prover.header is not None
    checkpoint = Checkpoint(prover.header.number, prover.header.hash)
    pinned = Prover(world.c.dep, ProofPolicy((world.node.rpc_url,), checkpoint=checkpoint))
    report = verify_target(world.c.dep, str(world.figures), prover=pinned)
    assert f"block {checkpoint.number}, which a checkpoint given to this server names" in summary_sentence(
        report
    )
