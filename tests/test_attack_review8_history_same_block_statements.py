"""Review 8 attack on `attest history --neutrality`: two covering statements in ONE block.

A row's statement is the latest live one among the neutrality-claiming statements covering its
figures, by `_place` = (block number, log index) (review 6). The block number is proven
(`Prover.record_lies`); the log index is the node's word unless the chosen statement's own
verification reads the other statement as a record and `judge_attested` holds it to its receipts.

The honest chain: the bank's 2022 figures F; the verifier anchors two statements on F in one block —
S1 (met) first, then S2 (1900 t retired of 6860 t: not met). Honestly the row follows S2: not met.

The lie: the bank's node answers eth_getLogs with S2's `Attested` log given S1's log index and
listed before S1's, and S2's `Covered` log listed before S1's (nothing left out, no record, block or
status altered). Sorted by (block, log index) the two tie and keep the answer's order: the row picks
S1, whose own verification is genuinely proven (it never reads S2): "met": true, exit 0, with an
honest second party's node and --require-proofs. (Review 6's reordering alone is stopped by the sort;
the node's log index defeats the sort within one block.)

Correct outcome: the row follows S2 (not met) or the run fails (exit 3); never "met": true.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from history_attacks import neutrality_history
from lying_proxy import ATTESTED, ForgingProxy, show
from test_attack_review8_history_same_block_figures import in_one_block
from worlds import STATEMENT_EXAMPLE, World, anvil_world, write_json

from attest.app.publishing import ToPublish, prepare
from attest.chain import events
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

COVERED = "0x" + events.topics().covered.hex()


def _setup(w: World) -> dict[str, Any]:
    doc = json.loads((EXAMPLES / STATEMENT_EXAMPLE).read_text(encoding="utf-8"))
    s1 = write_json(w.root / "s1.json", doc)
    doc["issued"] = "2023-09-30"
    claim = doc["neutrality_claim"]
    forestry = claim["retirements"][1]
    forestry["serial_blocks"][0]["issuance"] = "FCS-EXAMPLE-01-2021-B"
    claim["retirements"] = [forestry]
    s2 = write_json(w.root / "s2.json", doc)
    items = []
    for p in (s1, s2):
        d, year = prepare(p, kind=Kind.STATEMENT, year=None)
        items.append(ToPublish(d, Kind.STATEMENT, year, ref=w.figures_uid))
    r1, r2 = in_one_block(w, w.c.verifier, items)
    a1, a2 = r1.published.attestation, r2.published.attestation
    assert a1.log_index < a2.log_index, (a1.log_index, a2.log_index)
    return {"s1_uid": a1.uid.lower(), "s2_uid": a2.uid.lower(), "s1_index": a1.log_index}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review8-same-block-statements")
    with anvil_world(root, statement=None, setup=_setup) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def test_a_node_moving_the_later_statement_before_the_earlier_in_their_block_makes_the_year_met(
    world: World,
) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    [row] = data["years"]
    assert row["statement"]["uid"].lower() == world.s2_uid, row
    assert row["claim_met"] is False and data["met"] is False, data

    s1, s2 = world.s1_uid, world.s2_uid

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") != "eth_getLogs" or not isinstance(result, list):
            return result
        out = list(result)
        at = {
            str(log["topics"][1]).lower(): i
            for i, log in enumerate(out)
            if str(log["topics"][0]).lower() == ATTESTED
        }
        if s1 in at and s2 in at:
            i, j = at[s1], at[s2]
            moved = {**out[j], "logIndex": out[i]["logIndex"]}
            del out[j]
            out.insert(i, moved)
        elif s2 in at:
            j = at[s2]
            out[j] = {**out[j], "logIndex": hex(world.s1_index)}
        covered = [i for i, log in enumerate(out) if str(log["topics"][0]).lower() == COVERED]
        of = {str(out[i]["topics"][2]).lower(): i for i in covered}
        if s1 in of and s2 in of and of[s2] > of[s1]:  # S2's Covered log listed first as well
            i, j = of[s1], of[s2]
            out[i], out[j] = out[j], out[i]
        return out

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = _history(world, proxy.url)
    finally:
        proxy.close()
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        [row] = data["years"]
        assert data["met"] is False, (
            f"the lying node made 2022 met on statement {row['statement']['uid']} (honestly {s2}, "
            f"not met): {show(lied)}"
        )
    else:
        assert lied.returncode == 3, show(lied)
