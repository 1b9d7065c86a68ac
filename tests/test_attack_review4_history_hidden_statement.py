"""Review attack on `attest history --neutrality` (commit 2606e9a): the node picks the statement.

The lie: after the verifier's 2022 statement S1 (6900 t retired >= 6860 t residual: met), the same
verifier publishes a second, live statement S2 on the same 2022 figures whose neutrality claim is
NOT met (residual 6860 t, only 1900 t retired, of an issuance S1 does not touch). Honestly the row is
backed by the latest live statement, S2, so 2022 is not met. The bank's node — the first
`--rpc-url`, from which the history's index is read — drops every log of S2's transaction
(Attested, Covered, CreditClaimed, NeutralityClaimed). The row then picks S1, whose verification is
genuinely proven (two parties' nodes, --require-proofs): nothing in S1's verification asks which
statements cover the figures, so the hidden S2 is never looked for, and the year reads "met": true.

Correct outcome: with an honest second party's node and --require-proofs, the history must not say
2022 (and the commitment) is met. Now every node is asked which statements cover each year's
figures (`LogProver.coverage_complete`, as `verify FIGURES` does on its logs line): S2, which the
reading node left out and the other returned, is a chain error naming both (exit 3): its
NeutralityClaimed log is asked first (`_Choice` in attest.app.history), its Covered log after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from history_attacks import drop_transaction, publish_unmet_statement
from lying_proxy import ForgingProxy, run_attest, show
from worlds import World, anvil_world

pytestmark = pytest.mark.anvil


def _second_statement(w: World) -> dict[str, Any]:
    """The verifier's later statement on the same figures: residual 6860 t, only 1900 t retired
    (forestry units of issuance FCS-EXAMPLE-01-2021-B, which S1 does not claim): not met."""
    return publish_unmet_statement(w)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review4-hidden-statement")
    with anvil_world(root, statement="statement.json", setup=_second_statement) as w:
        yield w


_drop_transaction = drop_transaction


def _history(w: World, *args: str) -> Any:
    return run_attest("history", "--org", "WeBank", "--neutrality", "-d", str(w.manifest), "--json", *args)


def _row(done: Any) -> tuple[dict[str, Any], bool]:
    assert done.returncode == 0, show(done)
    data = json.loads(done.stdout)
    [row] = data["years"]
    return row, data["met"]


def test_a_node_hiding_a_later_unmet_statement_makes_the_year_met(world: World) -> None:
    honest_nodes = ("--rpc-url", world.rpc_url, *second_party(world.rpc_url))
    honest, honest_met = _row(_history(world, *honest_nodes, "--require-proofs"))
    # the honest chain: the row follows the latest live statement, S2, whose claim is not met
    assert honest["statement"]["uid"].lower() == world.second_uid, honest
    assert honest["claim_met"] is False and honest["met"] is False and honest_met is False, honest

    proxy = ForgingProxy(world.rpc_url, _drop_transaction(world.second_tx))
    try:
        lied = _history(world, "--rpc-url", proxy.url, *second_party(world.rpc_url), "--require-proofs")
    finally:
        proxy.close()
    # before: exit 0, the row stood on S1 (which the node chose for it) and read "met": true
    assert lied.returncode == 3, show(lied)
    assert "the nodes' logs differ: " in lied.stderr, show(lied)  # its neutrality claim, or its Covered log
    assert world.second_uid in lied.stderr and lied.stderr.count("\n") == 1, show(lied)
