"""A statement newer than the trusted block weakens only the lines that read it.

The report's lines rest on kinds of fact (attest.core.grounds). Before, a statement covering the
figures that was published after the block the nodes agree on (so no proof reaches it yet) made the
"record" kind the node's word for the whole report: every line resting on records — organisation,
anchored, kind, year, authorised, status — and, through the logs line, every line resting on logs,
failed under `--require-proofs`. Any admitted verifier could so make a bank's figures, anchored and
confirmed long before, unverifiable for a few blocks. Now such a statement is an "others" fact: the
coverage and credit lines, which read it, rest on the node's word for it (and say so); the figures'
own lines stay proven. Real CLI, real anvil, two parties' nodes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from lying_proxy import ForgingProxy
from worlds import World, anvil_world, run_attest, show

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

REQUIRED = 3  # confirmations: the nodes agree on the block two below the head
SECOND_STATEMENT = "illustrative-carbon-verification-2022.json"  # /1: it records no credit blocks


def a_second_statement_covers_the_figures(w: World) -> dict[str, Any]:
    """The verifier publishes another statement on the same figures, at the head: after the block
    the nodes agree on."""
    path = w.root / "second-statement.json"
    shutil.copy(EXAMPLES / SECOND_STATEMENT, path)
    a = publish(w.c.dep, w.c.verifier, path, kind=Kind.STATEMENT, ref=w.figures_uid).published.attestation
    return {"second_uid": a.uid.lower(), "second_block": a.block_number}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("newer-statement")
    with anvil_world(
        root,
        statement="statement.json",
        mine_blocks=REQUIRED,
        checkpoint=True,
        after_checkpoint=a_second_statement_covers_the_figures,
    ) as w:
        manifest = json.loads(w.manifest.read_text(encoding="utf-8"))
        manifest["confirmations"] = REQUIRED
        w.manifest.write_text(json.dumps(manifest), encoding="utf-8")
        yield w


def verify(w: World, *more: str) -> Any:
    second = ForgingProxy(w.node.rpc_url, lambda call, result: result)  # a second party's node
    try:
        nodes = ["--rpc-url", w.node.rpc_url, "--rpc-url", second.url]
        return run_attest("verify", str(w.figures), "-d", str(w.manifest), *nodes, "--json", *more)
    finally:
        second.close()


def lines(done: Any) -> dict[str, dict[str, Any]]:
    [report] = json.loads(done.stdout)
    return {c["name"]: c for c in report["checks"]}


OWN_LINES = ("deployment", "anchored", "authorised", "status", "confirmations", "proofs", "logs")


def test_a_newer_covering_statement_leaves_the_figures_own_lines_proven(world: World) -> None:
    assert world.made["second_block"] > world.chain.head() - REQUIRED + 1  # after the agreed block
    done = verify(world)
    assert done.returncode == 0, show(done)
    got = lines(done)
    for name in OWN_LINES:
        assert got[name]["rests_on"] == "proven", (name, got[name])
    assert got["logs"]["status"] == "pass", got["logs"]
    assert "read by the coverage and credit lines only" in got["logs"]["detail"], got["logs"]
    assert world.made["second_uid"][:18] in got["logs"]["detail"], got["logs"]
    assert got["coverage"]["rests_on"] == "node's word", got["coverage"]
    assert world.made["second_uid"] in got["coverage"]["rests_on_detail"], got["coverage"]


def test_require_proofs_fails_only_the_lines_that_read_it(world: World) -> None:
    """With --require-proofs the coverage line, which names the unproven statement, fails as
    unproven; nothing else does."""
    done = verify(world, "--require-proofs")
    assert done.returncode == 1, show(done)
    got = lines(done)
    failed = sorted(name for name, c in got.items() if c["status"] == "fail")
    assert failed == ["coverage", "credits"], got  # the figures' credits: its statements' claims
    assert all(got[name]["unproven"] for name in failed), got
    for name in OWN_LINES:
        assert got[name]["status"] != "fail", (name, got[name])
