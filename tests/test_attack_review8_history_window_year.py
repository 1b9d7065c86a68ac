"""Review 8 attack on `attest history --neutrality`: what the node says of a record in the window.

Review 5 asks every node for the organisation's `Attested` logs up to its head, so figures anchored
in the confirmation window (after the trusted block) can no longer be LEFT OUT. But those answers are
compared by uid only, and `Prover.record_lies` proves nothing of a record whose slot is empty at the
trusted block (`record_lies`: "written after the trusted block: not provable there yet"). So the
kind and reporting year of an attestation anchored after the trusted block are the reading node's
word — and nothing on the rows names them (`_Choice.on_word` names only revocations and
restatements; `everywhere` only neutrality claims after the trusted block).

The honest chain: WeBank's 2022 figures and the verifier's met statement; then, in the head block
(inside the window of --confirmations 2), WeBank's 2023 figures, with no neutrality claim. Honestly
2023 is a gap row and the commitment is not met (review 5's window test, same world).

The lie: the bank's node keeps the 2023 figures' `Attested` log (same uid, block, log index) but
rewrites its year to 2021 — before the first claim, so the table ends at 2022. "met": true, exit 0,
under --require-proofs with an honest second party's node, and `chosen_on_the_nodes_word` empty.

Correct outcome: the history must not say met where the honest chain says not met: a record read
after the trusted block that decides which years have rows is held to every node's logs by content
(exit 3), or named on the rows (and, under --require-proofs, not met).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from history_attacks import neutrality_history
from lying_proxy import ATTESTED, ForgingProxy, show
from worlds import World, anvil_world

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

F2023 = "illustrative-webank-2023-figures.json"


def _figures_2023(w: World) -> dict[str, Any]:
    path = w.root / F2023
    shutil.copy(EXAMPLES / F2023, path)
    a = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES).published.attestation
    return {"window_uid": a.uid.lower()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("r8-window-year")
    # the 2023 figures are the head block: with --confirmations 2 the trusted block is the one before
    with anvil_world(root, statement="s.json", setup=_figures_2023, mine_blocks=0) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first, "--confirmations", "2")


def _word(data: str, i: int, value: int) -> str:
    start = 2 + 64 * i
    return data[:start] + value.to_bytes(32, "big").hex() + data[start + 64 :]


def test_a_node_redating_figures_anchored_in_the_window_makes_the_commitment_met(world: World) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    assert [(y["year"], y["status"]) for y in data["years"]] == [(2022, "current"), (2023, "gap")], data
    assert data["met"] is False, data

    uid = world.window_uid

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            out = []
            for log in result:
                t = [str(x).lower() for x in log["topics"]]
                if t[0] == ATTESTED and t[1] == uid:
                    log = {**log, "data": _word(log["data"], 2, 2021)}  # its year: 2021
                out.append(log)
            return out
        return result

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = _history(world, proxy.url)
    finally:
        proxy.close()
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        rows = [(y["year"], y["status"], y["chosen_on_the_nodes_word"]) for y in data["years"]]
        assert data["met"] is False, f"the lying node made the commitment met: {rows}\n{show(lied)}"
    else:
        assert lied.returncode == 3, show(lied)
