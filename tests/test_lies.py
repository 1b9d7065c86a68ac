"""Every way a node can lie, each caught: a lying JSON-RPC proxy (tests/lying_proxy.py) on 127.0.0.1
between the real `attest verify` and a real anvil node. Each lie must end as exit 3 (nodes disagree,
proof invalid — naming the node) or exit 1 (a proof contradicts the node) — never exit 0. The
same commands through an honest proxy verify (tests/test_proven.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lying_proxy import Lie, LyingProxy, low_head
from worlds import World, anvil_world, run_attest


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The figures anchored and live; a file (withdrawn.pdf) anchored, then revoked."""
    root = tmp_path_factory.mktemp("lies")
    with anvil_world(root, withdrawn="wrong file") as w:
        yield w


def verify(w: World, target: Path, *urls: str) -> subprocess.CompletedProcess[str]:
    args = ["verify", str(target), "-d", str(w.manifest)]
    for url in urls:
        args += ["--rpc-url", url]
    return run_attest(*args, timeout=120)


def through(w: World, lie: Lie, target: Path, *also: str) -> subprocess.CompletedProcess[str]:
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        return verify(w, target, proxy.url, *also)
    finally:
        proxy.close()


def caught(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode in (1, 3), out
    for needle in needles:
        assert needle in out, out


# -- the lies


def revoked_flag_cleared(method: str, result: Any) -> Any:
    """eth_call answers of getAttestation (six words, the last the revoked flag) say "not revoked"."""
    six_words = isinstance(result, str) and len(result) == 2 + 6 * 64
    if method == "eth_call" and six_words and result.endswith("1"):
        return result[:-1] + "0"
    return result


def attested_logs_dropped(method: str, result: Any) -> Any:
    """eth_getLogs leaves out the registry's logs (governance's stay: the organisations are known)."""
    if method == "eth_getLogs" and isinstance(result, list):
        return [log for log in result if len(log.get("topics", [])) != 4]  # Attested has 3 indexed
    return result


def attester_forged_in_logs(method: str, result: Any) -> Any:
    """Attested logs name another attester (the first data word)."""
    if method == "eth_getLogs" and isinstance(result, list):
        forged = []
        for log in result:
            data = log.get("data", "0x")
            if len(log.get("topics", [])) == 4 and len(data) >= 2 + 64:
                data = "0x" + "00" * 12 + "ee" * 20 + data[2 + 64 :]
            forged.append({**log, "data": data})
        return forged
    return result


def storage_value_forged(method: str, result: Any) -> Any:
    """eth_getProof answers claim another value for every storage slot (the proof unchanged)."""
    if method == "eth_getProof" and isinstance(result, dict):
        return {**result, "storageProof": [{**s, "value": "0x5"} for s in result.get("storageProof", [])]}
    return result


def proof_for_another_key(method: str, result: Any) -> Any:
    """eth_getProof answers carry the proofs of other slots than those asked (keys shifted by one)."""
    if method == "eth_getProof" and isinstance(result, dict):
        proofs = result.get("storageProof", [])
        if len(proofs) > 1:
            rotated = [{**s, "proof": proofs[(i + 1) % len(proofs)]["proof"]} for i, s in enumerate(proofs)]
            return {**result, "storageProof": rotated}
    return result


def account_proof_truncated(method: str, result: Any) -> Any:
    if method == "eth_getProof" and isinstance(result, dict):
        return {**result, "accountProof": result.get("accountProof", [])[:1]}
    return result


def test_a_forged_eth_call_cannot_unrevoke(world: World) -> None:
    caught(through(world, revoked_flag_cleared, world.withdrawn), "was revoked by block", "✗ proofs")


def test_omitted_logs_are_found_by_the_slot(world: World) -> None:
    caught(through(world, attested_logs_dropped, world.figures), "left it out")


def test_forged_logs_contradict_the_proven_record(world: World) -> None:
    caught(through(world, attester_forged_in_logs, world.figures), "storage holds", "✗ proofs")


def test_a_forged_storage_value_is_refused_by_its_proof(world: World) -> None:
    done = through(world, storage_value_forged, world.figures)
    caught(done, "the node claims 0x5")
    assert done.returncode == 3 and "127.0.0.1" in done.stderr


def test_a_proof_for_another_key_is_refused(world: World) -> None:
    done = through(world, proof_for_another_key, world.figures)
    assert done.returncode == 3, done.stdout + done.stderr


def test_a_truncated_account_proof_is_refused(world: World) -> None:
    done = through(world, account_proof_truncated, world.figures)
    assert done.returncode == 3 and "proof" in done.stderr, done.stdout + done.stderr


def test_a_stale_head_is_named(world: World) -> None:
    """A node reporting an old head would pull the trusted block back before what others have seen."""
    done = through(world, low_head(40), world.figures, world.node.rpc_url)
    caught(done, "a node is stale or hides recent blocks")
    assert done.returncode == 3


def test_the_revoked_file_fails_honestly_too(world: World) -> None:
    done = verify(world, world.withdrawn, world.node.rpc_url)
    assert done.returncode == 1 and "✗ status" in done.stdout, done.stdout + done.stderr


def _root_node_flipped(result: Any) -> Any:
    """An eth_getProof answer whose first account-proof node (the root's) has one byte changed."""
    proof = list(result.get("accountProof", []))
    if proof:
        first = proof[0]
        proof[0] = first[:-2] + ("00" if first[-2:] != "00" else "01")
    return {**result, "accountProof": proof}


def proof_from_another_state(method: str, result: Any) -> Any:
    """Every eth_getProof answer starts at a node that is not the trusted stateRoot."""
    if method == "eth_getProof" and isinstance(result, dict):
        return _root_node_flipped(result)
    return result


def test_a_proof_from_another_state_is_refused_though_asked_twice(world: World) -> None:
    done = through(world, proof_from_another_state, world.figures)
    assert done.returncode == 3 and "not at the root" in done.stderr, done.stdout + done.stderr


def test_one_stray_proof_is_asked_again(world: World) -> None:
    """A node that once answers from another block's state (anvil under load does) is asked again;
    the second, holding, answer is the one proven."""
    strays = [1]

    def once(method: str, result: Any) -> Any:
        if method == "eth_getProof" and isinstance(result, dict) and strays:
            strays.pop()
            return _root_node_flipped(result)
        return result

    done = through(world, once, world.figures)
    assert done.returncode == 0 and not strays, done.stdout + done.stderr
    assert "✓ proofs" in done.stdout


def malformed_proof(shape: str) -> Lie:
    """eth_getProof answers of another shape than EIP-1186's."""

    def lie(method: str, result: Any) -> Any:
        if method != "eth_getProof" or not isinstance(result, dict):
            return result
        if shape == "entries":
            return {**result, "storageProof": [1 for _ in result.get("storageProof", [])] or [1]}
        if shape == "proof":
            return {**result, "storageProof": [{**s, "proof": 5} for s in result.get("storageProof", [])]}
        return "0x00"

    return lie


@pytest.mark.parametrize("shape", ["entries", "proof", "string"])
def test_a_malformed_proof_answer_names_the_node_never_crashes(world: World, shape: str) -> None:
    """Found by an adversarial review: storage entries that are not objects, a proof that is not a
    list, an answer that is a string ended `internal error` (exit 4)."""
    done = through(world, malformed_proof(shape), world.figures)
    out = done.stdout + done.stderr
    assert done.returncode in (1, 3) and "internal error" not in out, out
    assert "eth_getProof" in out, out
    assert "not a list" in out or "not an object" in out or "not a proof object" in out, out
