"""Review 5 attack on `attest history --neutrality`: the confirmation window is the reading node's word.

The completeness questions of review 4 (every node's `Attested` logs of the organisation, every
node's `Covered` logs of a row's figures) stop at the trusted block, while the rows are chosen from
the reading node's index up to ITS head. Without a checkpoint the trusted block is the one every
node has `confirmations` deep, and the report calls a statement current up to the head that block
vouches for; for revocations in that window every node is asked (attest/app/window.py, review
tests/test_revoked_in_window.py) — but nobody asks about figures anchored there.

The honest chain: WeBank's 2022 figures and the verifier's met statement, then, in the last block
(inside the window of --confirmations 2), WeBank's 2023 figures, with no neutrality claim. Honestly
(the same command through the honest node) 2023 is a gap row and the commitment is not met.

The lie: the bank's node drops the 2023 figures' `Attested` log (past the trusted block, where no
node is asked): the table ends at 2022 and reads "met": true, exit 0, under --require-proofs with
an honest second party's node; nothing fails or names the node's word.

Correct outcome: the history must not say met where the honest chain (as the command reads it, to
the head the trusted block vouches for) says not met: ask every node about the window as for
revocations (exit 3 / a gap row), or decide only at the trusted block and say so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from history_attacks import neutrality_history
from lying_proxy import ForgingProxy, show
from worlds import World, anvil_world

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

F2023 = "illustrative-webank-2023-figures.json"


def _figures_2023(w: World) -> dict[str, Any]:
    path = w.root / F2023
    shutil.copy(EXAMPLES / F2023, path)
    a = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES).published.attestation
    return {"hidden_tx": a.transaction_hash.lower()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("r5-window")
    # the 2023 figures are the head block: with --confirmations 2 the trusted block is the one before
    with anvil_world(root, statement="s.json", setup=_figures_2023, mine_blocks=0) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first, "--confirmations", "2")


def test_a_node_hiding_figures_anchored_in_the_window_makes_the_commitment_met(world: World) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    assert [(y["year"], y["status"]) for y in data["years"]] == [(2022, "current"), (2023, "gap")], data
    assert data["met"] is False, data

    tx = world.hidden_tx

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log.get("transactionHash", "")).lower() != tx]
        return result

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = _history(world, proxy.url)
    finally:
        proxy.close()
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        rows = [(y["year"], y["status"]) for y in data["years"]]
        assert data["met"] is False, f"the lying node made the commitment met: {rows}\n{show(lied)}"
    else:
        assert lied.returncode == 3, show(lied)
        said = lied.stderr  # the nodes' logs differ, or the node contradicts the proofs: one line
        assert "the nodes' logs differ" in said or "contradicts the proofs" in said, show(lied)
        assert said.count("\n") == 1, show(lied)
