"""Review 7 attack on `attest history --neutrality`: the bank's node reports a head a few blocks low.

Review 5 asks every node for the organisation's and each row's logs "up to its own head", but a log
counts as left out only at a block up to `upto` — `facts.index.head`, the head of the READING node's
index, i.e. the head the bank's node reports. The quorum only refuses heads more than
MAX_HEAD_SPREAD (16) blocks apart, and the trusted block follows the lowest head. So a bank's node
that says its head is 6 blocks lower than it is moves the trusted block back AND makes the honest
second party's answer about those 6 blocks count for nothing: a statement anchored there, which the
honest node returns, is dropped (`block <= upto` is false), with no gap, no exit 3, no word on the row.

The honest chain: WeBank's 2022 figures covered by the verifier's met statement S1; eleven blocks
later, a second live statement S2 by the same verifier on the same figures whose claim is NOT met
(1900 t retired of 6860 t); three more blocks mined. Through the honest node the row follows S2,
whose every fact is proven at the trusted block: 2022 is not met, nor is the commitment.

The lie: the bank's node (the first --rpc-url) answers eth_blockNumber 6 blocks low (before S2's
block) and leaves out of its eth_getLogs answers the logs above that head — the picture of a node
that merely lags. The honest second party's node returns S2's Covered, Attested and
NeutralityClaimed logs; they are ignored. The row follows S1, whose verification is genuinely
proven: "met": true, exit 0, under --require-proofs.

Correct outcome: never "met": true. A log another node returns that the reading node has not read
(even above the reading node's head) must leave the row unmet or fail the run (exit 3), e.g. by
comparing every node's answer up to the highest head, or by reading the rows from the node with
the highest head.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import mine
from history_attacks import neutrality_history, publish_unmet_statement
from lying_proxy import ForgingProxy, show
from worlds import World, anvil_world

pytestmark = pytest.mark.anvil

LOW_BY = 6


def _second_statement(w: World) -> dict[str, Any]:
    """Eleven blocks after S1, the verifier's unmet statement on the same figures."""
    mine(w.c, 10)
    return publish_unmet_statement(w)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review7-low-head")
    with anvil_world(root, statement="statement.json", setup=_second_statement, mine_blocks=3) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def test_a_node_reporting_a_low_head_hides_a_later_unmet_statement(world: World) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    [row] = data["years"]
    assert row["statement"]["uid"].lower() == world.second_uid, row
    assert row["claim_met"] is False and data["met"] is False, data

    fake = world.chain.head() - LOW_BY
    assert fake < world.second_block, (fake, world.second_block)

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if method == "eth_blockNumber":
            return hex(fake)
        if method == "eth_getLogs" and isinstance(result, list):  # a node that has not seen them yet
            return [log for log in result if int(str(log["blockNumber"]), 16) <= fake]
        above = isinstance(result, dict) and int(str(result.get("number", "0x0")), 16) > fake
        if method == "eth_getBlockByNumber" and above:
            return None
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
            f"a node reporting its head {LOW_BY} blocks low made 2022 met on statement "
            f"{row['statement']['uid']} (honestly {world.second_uid}, not met): {show(lied)}"
        )
    else:
        assert lied.returncode == 3, show(lied)
