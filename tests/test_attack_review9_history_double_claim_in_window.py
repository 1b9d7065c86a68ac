"""Review 9 attack on `attest history --neutrality`: a double claim made in the confirmation window.

Review 5 made the history ask every node, up to its own head, for the organisation's Attested and
NeutralityClaimed logs and each row's Covered logs, so that what the reading node leaves out in the
confirmation window is found. The credits column (`credits_unique`, `double_claims`) is read from the
reading node's index up to ITS head too, but nobody asks another node about CreditClaimed logs past
the trusted block: the row's statement verification asks the other nodes for claims on its
issuances only up to the trusted block (`LogProver._claims_complete`), and the window
(attest/app/window.py) asks only about revocations.

The honest chain: WeBank's 2022 figures and the verifier's met statement retiring Verra units
1..5000; then, in the last two blocks (inside the window of --confirmations 2: the statement is the
head block), Rival Bank's figures and a statement by the same verifier retiring units 4001..4500 of
the same issuance for Rival Bank. Honestly (the same command through the honest node) the 2022 row
says "claimed twice" and the commitment is not met.

The lie: the bank's node drops every log of the rival statement's transaction (its Attested,
Covered, CreditClaimed and NeutralityClaimed logs). The index sees no other claim, the completeness
questions of review 5 are about WeBank's own logs and its figures' Covered logs, the claims question
stops at the trusted block: exit 0, "met": true, under --require-proofs with an honest second party.

Correct outcome: not met (the double claim, found by asking every node to its head as for the
other logs the rows rest on), or exit 3 naming the nodes' differing logs; or the rows' credits
decided only at the trusted block and the window named on the row (not met under --require-proofs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from history_attacks import neutrality_history
from lying_proxy import ForgingProxy, run_attest, show
from worlds import World, anvil_world, rival_statement_doc, write_json

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil


def _rival_pair(w: World) -> dict[str, Any]:
    """Rival Bank's figures, then the verifier's statement double-claiming WeBank's Verra units: the
    last two blocks (the statement the head)."""
    assert w.figures is not None and w.statement is not None
    c = w.c
    doc = json.loads(w.figures.read_text(encoding="utf-8"))
    doc["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank Co.", "country": "CN"}
    rf = publish(c.dep, c.rival, write_json(w.root / "rival-figures.json", doc), kind=Kind.FIGURES)
    st = json.loads(w.statement.read_text(encoding="utf-8"))
    path = write_json(w.root / "rival-statement.json", rival_statement_doc(st, "overlap"))
    rs = publish(c.dep, c.verifier, path, kind=Kind.STATEMENT, ref=rf.published.attestation.uid)
    a = rs.published.attestation
    return {"hidden_tx": a.transaction_hash.lower(), "rival_block": a.block_number}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("r9-double-window")
    with anvil_world(root, statement="s.json", setup=_rival_pair, mine_blocks=0) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first, "--confirmations", "2")


def test_a_node_hiding_a_double_claim_made_in_the_window_makes_the_commitment_met(world: World) -> None:
    assert world.chain.head() == world.rival_block  # the double claim is the head block: in the window
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    row = data["years"][0]
    assert row["year"] == 2022 and row["credits_unique"] is False and row["double_claims"], data
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
        rows = [(y["year"], y["status"], y["credits_unique"], y["met"]) for y in data["years"]]
        assert data["met"] is False, f"the lying node made the commitment met: {rows}\n{show(lied)}"
    else:
        assert lied.returncode == 3, show(lied)
        assert "the nodes' logs differ" in lied.stderr or "contradicts" in lied.stderr, show(lied)


def test_verify_of_the_statement_through_the_same_node_passes_its_credits(world: World) -> None:
    """The same lie against `attest verify s.json` (the row's own verification): honestly its
    `credits` line fails (claimed twice, later); through the bank's node it passes, "as complete as
    the logs of" both nodes, which were asked only to the trusted block, while the line says the
    claims were read "up to block" the node's head."""

    def verify(first: str) -> Any:
        return run_attest(
            "verify", str(world.statement), "-d", str(world.manifest), "--json", "--rpc-url", first,
            *second_party(world.rpc_url), "--confirmations", "2", "--require-proofs",
        )  # fmt: skip

    honest = verify(world.rpc_url)
    assert honest.returncode != 0, show(honest)
    tx = world.hidden_tx

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log.get("transactionHash", "")).lower() != tx]
        return result

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = verify(proxy.url)
    finally:
        proxy.close()
    assert lied.returncode != 0, f"the lying node hid a double claim in the window:\n{show(lied)}"
