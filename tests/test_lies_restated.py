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
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, checkpoint, consortium_on_anvil, manifest_of, mine
from eth_utils import keccak
from lying_proxy import LyingProxy, honest

from attest.app.publishing import publish
from attest.core.contracts import Kind

ATTEST = Path(sys.executable).parent / "attest"
SUPERSEDED_BY = "0x" + keccak(text="supersededBy(bytes32)")[:4].hex()


@dataclass
class World:
    c: Consortium
    node: Any
    manifest: Path
    figures: Path
    statement: Path
    restatement_uid: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("restated")
    with consortium_on_anvil(root) as (node, c):
        figures = root / "webank-2022-figures.json"
        shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
        fig = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation
        statement = root / "statement-2022.json"
        shutil.copy(EXAMPLES / "illustrative-carbon-verification-2022.json", statement)
        publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=fig.uid)
        doc = json.loads(figures.read_text(encoding="utf-8"))
        doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
        restated = root / "webank-2022-restated.json"
        restated.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        new = publish(c.dep, c.bank, restated, kind=Kind.FIGURES, ref=fig.uid).published.attestation
        mine(c, 3)
        manifest = manifest_of(c, root)
        yield World(c, node, manifest, figures, statement, new.uid.lower())


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
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    args = [
        str(ATTEST),
        "verify",
        str(target),
        "-d",
        str(w.manifest),
        "--rpc-url",
        proxy.url,
        "--require-proofs",
        *checkpoint(w.node.rpc_url),
    ]
    try:
        return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
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
    assert f"is superseded by restatement {world.restatement_uid} at block" in proofs.lower(), proofs
    assert "the node says it is not superseded" in proofs, proofs
