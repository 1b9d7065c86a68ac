"""Review 6 attack on `attest history --neutrality`: the reading node reorders the `Covered` logs.

A row's statement is "the latest live one" among the statements covering its figures that claim
neutrality: `(live or backing)[-1]`, where `backing` keeps the order of `facts.covering_statements`
— the order in which the reading node's eth_getLogs answer listed the `Covered` logs
(`RegistryIndex.add` appends them as they come, `scan_logs` never sorts them, nothing compares
their block or log index). Review 5 asks every node for those logs, but compares only the SET of
statement ids; every record proves (both statements exist, live, unrestated, at their blocks).

The honest chain: the verifier's 2022 statement S1 on WeBank's 2022 figures (met), then a second,
live statement S2 by the same verifier on the same figures whose claim is NOT met (1900 t retired
of 6860 t). Honestly the row follows S2, the latest: 2022 is not met, nor is the commitment.

The lie: the bank's node (the first --rpc-url) answers eth_getLogs with S2's `Covered` log listed
before S1's (nothing else changed, no log left out or altered). The row picks S1, whose own
verification is genuinely proven: "met": true, exit 0, with an honest second party's node and
--require-proofs.

Correct outcome: the row follows S2 (not met) or the run fails (exit 3); never "met": true.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from history_attacks import neutrality_history, publish_unmet_statement
from lying_proxy import ForgingProxy, show
from worlds import World, anvil_world

from attest.chain import events

pytestmark = pytest.mark.anvil

COVERED = "0x" + events.topics().covered.hex()


def _second_statement(w: World) -> dict[str, Any]:
    """The verifier's later, unmet statement on the same figures (as review 5's test builds it)."""
    return publish_unmet_statement(w)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review6-covered-order")
    with anvil_world(root, statement="statement.json", setup=_second_statement) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def test_a_node_listing_the_later_statements_covered_log_first_makes_the_year_met(world: World) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    [row] = data["years"]
    assert row["statement"]["uid"].lower() == world.second_uid, row
    assert row["claim_met"] is False and data["met"] is False, data

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            covered = [i for i, log in enumerate(result) if str(log["topics"][0]).lower() == COVERED]
            out = list(result)
            for i, j in zip(covered, reversed(covered), strict=True):
                out[i] = result[j]  # the Covered logs in reverse order, in the same places
            return out
        return result

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = _history(world, proxy.url)
    finally:
        proxy.close()
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        [row] = data["years"]
        assert data["met"] is False, (
            f"the lying node made 2022 met on statement {row['statement']['uid']} "
            f"(honestly {world.second_uid}, not met): {show(lied)}"
        )
    else:
        assert lied.returncode == 3, show(lied)
