"""Review 8 false alarm on `attest history --neutrality`: two honest nodes with a log-range limit.

Every completeness question of the history (`LogProver.logs_complete`, and the statement
verification's `_covered_logs`) is ONE eth_getLogs from the registry's deploy block to "latest"
(`LogProver._registry_logs`), never split; the reading node's own index (`scan_logs`) splits a
refused range in two and carries on. Review 7 made a node that refuses that one query "silent",
named on the rows, and the years unmet under --require-proofs.

The honest setup: WeBank's 2022 figures and the verifier's met statement (honestly met: through
the same nodes without a limit, "met": true), read with --require-proofs through

1. the bank's node (no limit, honest) and an honest second party's node that refuses eth_getLogs
   spanning more than 10 blocks (an ordinary provider or consortium-node limit; on a chain running
   for years, any node with a limit). Nothing is hidden; the second node answers every log in ranges
   it accepts. Its refusal of the one whole-range completeness query makes it "silent": the row is
   chosen on the node's word and 2022 is NOT met — for ever, however long the auditor waits, since
   the query is never asked in ranges the node accepts.
2. two such honest range-limited nodes. The run does not get that far: `Deployment.membership_history`
   (attest/chain/deployment.py) asks the reading node for every governance log in one unsplit
   query, refused: exit 3 ("refused eth_getLogs: query exceeds max block range 10"), although the
   registry index beside it (`scan_logs`) splits refused ranges and carries on.

Correct outcome, both: "met": true, exit 0 — ask in ranges the nodes accept, as `scan_logs` does; an
honest, complete setup is neither refused nor left unmet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from lying_proxy import run_attest, show
from test_attack_review7_history_silent_second_node import LIMIT, RangeLimited
from worlds import World, anvil_world

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r8-range-limited"), statement="s.json") as w:
        yield w


def _history(first: str, second: list[str], w: World) -> Any:
    return run_attest(
        "history", "--org", "WeBank", "--neutrality", "-d", str(w.manifest), "--json",
        "--rpc-url", first, *second, "--require-proofs",
    )  # fmt: skip


def _plain(world: World) -> None:
    assert world.chain.head() - world.c.dep.manifest.registry.block_number > LIMIT
    plain = _history(world.rpc_url, second_party(world.rpc_url), world)
    assert plain.returncode == 0, show(plain)
    assert json.loads(plain.stdout)["met"] is True, show(plain)


def test_an_honest_second_node_with_a_log_range_limit_leaves_a_met_year_unmet(world: World) -> None:
    _plain(world)
    second = RangeLimited(world.rpc_url)
    try:
        limited = _history(world.rpc_url, ["--rpc-url", second.url], world)
    finally:
        second.close()
    assert limited.returncode == 0, show(limited)
    data = json.loads(limited.stdout)
    [row] = data["years"]
    assert data["met"] is True, (
        f"an honest second node with a {LIMIT}-block eth_getLogs limit left 2022 unmet: "
        f"{row['chosen_on_the_nodes_word']}\n{show(limited)}"
    )


def test_two_honest_nodes_with_a_log_range_limit_refuse_the_history(world: World) -> None:
    _plain(world)

    first, second = RangeLimited(world.rpc_url), RangeLimited(world.rpc_url)
    try:
        limited = _history(first.url, ["--rpc-url", second.url], world)
    finally:
        first.close()
        second.close()
    assert limited.returncode == 0, show(limited)
    data = json.loads(limited.stdout)
    [row] = data["years"]
    assert data["met"] is True, (
        f"two honest nodes with a {LIMIT}-block eth_getLogs limit left 2022 unmet: "
        f"{row['chosen_on_the_nodes_word']}\n{show(limited)}"
    )
