"""Review 5 attack on `attest history --neutrality`: the reading node chooses where the commitment starts.

The table runs from the organisation's FIRST neutrality claim (`claims`, built from the reading
node's `NeutralityClaimed` logs alone) to its latest year. Review 4 asks every node for the
organisation's `Attested` logs and for the `Covered` logs of each row's figures — but only for the
rows the table has: a year before the first claim the node shows has no row, so nothing about it
is ever asked.

The honest chain: WeBank's 2022 figures with the verifier's statement claiming neutrality for them
that is NOT met (6860 t residual, 1900 t retired) — the commitment's first year — then its 2023
figures with the verifier's 2023 statement (met). Honestly the table is 2022 (not met), 2023 (met):
the commitment is not met.

The lie: the bank's node (the first --rpc-url) drops the one `NeutralityClaimed` log of the 2022
statement, keeping every `Attested` and `Covered` log (so both completeness questions pass). The
commitment now "starts" in 2023, the table has one row, and it reads "met": true, exit 0 — with an
honest second party's node and --require-proofs.

Correct outcome: the history must not say met (a 2022 row not met, or exit 3).
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
from worlds import STATEMENT_EXAMPLE, World, anvil_world, write_json

from attest.app.publishing import publish
from attest.chain import events
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

NEUTRALITY_CLAIMED = "0x" + events.topics().neutrality_claimed.hex()
F2023 = "illustrative-webank-2023-figures.json"
S2023 = "illustrative-carbon-verification-2023.json"


def _years(w: World) -> dict[str, Any]:
    doc = json.loads((EXAMPLES / STATEMENT_EXAMPLE).read_text(encoding="utf-8"))
    claim = doc["neutrality_claim"]
    claim["retirements"] = [claim["retirements"][1]]  # 1900 t of 6860 t: not met
    path = write_json(w.root / "unmet-2022-statement.json", doc)
    s22 = publish(w.c.dep, w.c.verifier, path, kind=Kind.STATEMENT, ref=w.figures_uid).published.attestation
    f23p, s23p = w.root / F2023, w.root / S2023
    shutil.copy(EXAMPLES / F2023, f23p)
    shutil.copy(EXAMPLES / S2023, s23p)
    f23 = publish(w.c.dep, w.c.bank, f23p, kind=Kind.FIGURES).published.attestation
    publish(w.c.dep, w.c.verifier, s23p, kind=Kind.STATEMENT, ref=f23.uid)
    return {"s22_uid": s22.uid.lower()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r5-first-claim"), setup=_years) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def test_a_node_hiding_the_first_years_unmet_claim_makes_the_commitment_met(world: World) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    assert [(y["year"], y["met"]) for y in data["years"]] == [(2022, False), (2023, True)], data
    assert data["met"] is False, data

    s22 = world.s22_uid

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [
                log for log in result
                if not (str(log["topics"][0]).lower() == NEUTRALITY_CLAIMED
                        and str(log["topics"][1]).lower() == s22)
            ]  # fmt: skip
        return result

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = _history(world, proxy.url)
    finally:
        proxy.close()
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        rows = [(y["year"], y["met"]) for y in data["years"]]
        assert data["met"] is False, f"the lying node made the commitment met: {rows}\n{show(lied)}"
    else:
        assert lied.returncode == 3, show(lied)
        said = lied.stderr  # the nodes' logs differ, or the node contradicts the proofs: one line
        assert "the nodes' logs differ" in said or "contradicts the proofs" in said, show(lied)
        assert said.count("\n") == 1, show(lied)
