"""A restatement cannot be hidden by a node that answers `supersededBy` with zero.

WeBank's 2022 figures are anchored, a verification statement covers them, and WeBank then restates
them (a second figures document that supersedes the first). Verified through an honest node, the
old figures fail `status` and the statement fails `reference` (it covers superseded figures). A
node that answers the registry's `supersededBy(uid)` with zero (and `getAttestation` honestly) makes
both look current; the record's proof holds its `supersededBy` slot, which is now compared with
the node's answer: exit 1 on the `proofs` line, for the document itself and for the figures a
statement references. Real CLI, real anvil, tests/lying_proxy.py."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import second_party
from eth_utils import keccak
from lying_proxy import LyingProxy, honest
from worlds import World, anvil_world, run_attest

SUPERSEDED_BY = "0x" + keccak(text="supersededBy(bytes32)")[:4].hex()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("restated")
    with anvil_world(
        root,
        statement="statement-2022.json",
        statement_example="illustrative-carbon-verification-2022.json",
        restated="webank-2022-restated.json",
    ) as w:
        yield w


class HidingProxy(LyingProxy):
    """Answers every eth_call of `supersededBy(bytes32)` with zero: no restatement anywhere."""

    def handle(self, body: bytes) -> bytes:
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        hide = {
            c.get("id")
            for c in calls
            if c.get("method") == "eth_call" and str(c["params"][0].get("data", "")).startswith(SUPERSEDED_BY)
        }
        answer = json.loads(super().handle(body))
        answers = answer if isinstance(answer, list) else [answer]
        for a in answers:
            if a.get("id") in hide and "result" in a:
                a["result"] = "0x" + "00" * 32
        return json.dumps(answer).encode()


def verify(w: World, target: Path, proxy: LyingProxy) -> subprocess.CompletedProcess[str]:
    args = [str(target), "-d", str(w.manifest), "--rpc-url", proxy.url, "--require-proofs"]
    try:
        return run_attest("verify", *args, *second_party(w.node.rpc_url), timeout=120)
    finally:
        proxy.close()


def line(done: subprocess.CompletedProcess[str], name: str) -> str:
    return next(x for x in done.stdout.splitlines() if x.lstrip()[2:].startswith(name + " "))


def through(w: World, target: Path, *, hide: bool) -> subprocess.CompletedProcess[str]:
    return verify(w, target, HidingProxy(w.node.rpc_url) if hide else LyingProxy(w.node.rpc_url, honest))


@pytest.mark.parametrize(("target", "decided_by"), [("figures", "status"), ("statement", "reference")])
def test_honestly_the_restatement_fails_the_old_figures_and_the_statement(
    world: World, target: str, decided_by: str
) -> None:
    done = through(world, getattr(world, target), hide=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert line(done, decided_by).lstrip().startswith("✗") and "superseded" in line(done, decided_by)
    assert line(done, "proofs").lstrip().startswith("✓"), done.stdout


@pytest.mark.parametrize(("target", "decided_by"), [("figures", "status"), ("statement", "reference")])
def test_a_hidden_restatement_contradicts_the_proofs(world: World, target: str, decided_by: str) -> None:
    done = through(world, getattr(world, target), hide=True)
    assert done.returncode == 1, done.stdout + done.stderr
    # the lie made it look current, which the record's proven supersededBy slot contradicts: the line
    # then rests on the node's word, and --require-proofs fails it
    decided = line(done, decided_by).lstrip()
    assert decided.startswith("✗") and "rests on node's word: failed by --require-proofs" in decided, decided
    proofs = line(done, "proofs")
    assert proofs.lstrip().startswith("✗"), done.stdout
    assert f"is superseded by restatement {world.restated_uid} at block" in proofs.lower(), proofs
    assert "the node says it is not superseded" in proofs, proofs
