"""Review 5 attack on `attest history --neutrality`: the reading node still picks the row's figures.

Review 4 asks every node for the organisation's `Attested` logs up to the trusted block and fails
when the reading node's index leaves one OUT (compared by uid only). But what each of those
attestations IS — its kind and reporting year (the `Attested` log's data) — and whether it is
revoked or superseded (the registry's storage, read by eth_call at the node's head) still come from
the reading node alone, and nothing proves them for figures the row does not pick.

Honest chains (the bank's 2022 figures F1 with the verifier's met statement S1 in each):

1. `same_year`: later 2022 figures F2 (not a restatement), which no statement covers. Honestly the
   2022 row follows the latest current figures, F2: a gap, not met. The bank's node
   a. rewrites F2's `Attested` log kind from figures to file, or
   b. answers `getAttestation(F2)` with the revoked flag set;
   either way F2 is held (completeness passes), the row picks F1 and S1: "met": true.
2. `later_year`: 2023 figures with no neutrality claim. Honestly 2023 is a gap row, the commitment
   not met. The bank's node rewrites that `Attested` log's year to 2021 (before the first claim):
   the table ends at 2022 and reads "met": true.

Correct outcome, each time: with an honest second party's node and --require-proofs, the history
must not say met where the honest chain says not met (the row follows the honest figures, or the
run fails with exit 3).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from history_attacks import neutrality_history
from lying_proxy import ATTESTED, GET_ATTESTATION, ForgingProxy, show
from worlds import World, anvil_world, restatement

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

F2023 = "illustrative-webank-2023-figures.json"


def _more_2022_figures(w: World) -> dict[str, Any]:
    assert w.figures is not None
    path = restatement(w.figures, w.root / "other-2022-figures.json", by=7)
    a = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES).published.attestation
    return {"hidden_uid": a.uid.lower()}


def _figures_2023(w: World) -> dict[str, Any]:
    path = w.root / F2023
    shutil.copy(EXAMPLES / F2023, path)
    a = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES).published.attestation
    return {"hidden_uid": a.uid.lower()}


@pytest.fixture(scope="module")
def same_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r5-same"), statement="s.json", setup=_more_2022_figures) as w:
        yield w


@pytest.fixture(scope="module")
def later_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r5-year"), statement="s.json", setup=_figures_2023) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def _honest(w: World) -> dict[str, Any]:
    done = _history(w, w.rpc_url)
    assert done.returncode == 0, show(done)
    data = dict(json.loads(done.stdout))
    assert data["met"] is False, data
    return data


def _lied(w: World, forge: Any) -> None:
    proxy = ForgingProxy(w.rpc_url, forge)
    try:
        done = _history(w, proxy.url)
    finally:
        proxy.close()
    if done.returncode == 0:
        data = json.loads(done.stdout)
        rows = [(y["year"], y["status"], y["figures"] and y["figures"]["uid"]) for y in data["years"]]
        assert data["met"] is False, f"the lying node made the commitment met: {rows}\n{show(done)}"
    else:
        assert done.returncode == 3, show(done)
        said = done.stderr  # the nodes' logs differ, or the node contradicts the proofs: one line
        assert "the nodes' logs differ" in said or "contradicts the proofs" in said, show(done)
        assert said.count("\n") == 1, show(done)


def _word(result: str, i: int, value: int) -> str:
    """`result` (0x hex, ABI words) with word `i` replaced by `value`."""
    start = 2 + 64 * i
    return result[:start] + value.to_bytes(32, "big").hex() + result[start + 64 :]


def _attested_data(uid: str, word: int, value: int) -> Any:
    """Rewrite one data word (1: kind, 2: year) of `uid`'s Attested log, in every eth_getLogs answer."""

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            out = []
            for log in result:
                t = [str(x).lower() for x in log["topics"]]
                if t[0] == ATTESTED and t[1] == uid:
                    log = {**log, "data": _word(log["data"], word, value)}
                out.append(log)
            return out
        return result

    return forge


def _storage(revoked: set[str]) -> Any:
    """eth_call getAttestation(uid) answered with the revoked flag set."""
    rev = {GET_ATTESTATION + u[2:] for u in revoked}

    def forge(call: dict[str, Any], result: Any) -> Any:
        data = (
            str(call.get("params", [{}])[0].get("data", "")).lower()
            if call.get("method") == "eth_call"
            else ""
        )
        if data in rev and isinstance(result, str):
            return _word(result, 5, 1)
        return result

    return forge


def test_a_node_calling_later_figures_of_the_year_a_file_makes_the_year_met(same_year: World) -> None:
    honest = _honest(same_year)
    assert honest["years"][0]["figures"]["uid"].lower() == same_year.hidden_uid, honest
    _lied(same_year, _attested_data(same_year.hidden_uid, 1, int(Kind.FILE)))


def test_a_node_calling_later_figures_of_the_year_revoked_makes_the_year_met(same_year: World) -> None:
    _honest(same_year)
    _lied(same_year, _storage({same_year.hidden_uid}))


def test_a_node_moving_a_later_years_figures_to_an_earlier_year_makes_the_commitment_met(
    later_year: World,
) -> None:
    honest = _honest(later_year)
    assert [(y["year"], y["status"]) for y in honest["years"]] == [(2022, "current"), (2023, "gap")], honest
    _lied(later_year, _attested_data(later_year.hidden_uid, 2, 2021))
