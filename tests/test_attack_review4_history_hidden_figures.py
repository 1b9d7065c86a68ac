"""Review attack on `attest history --neutrality` (commit 2606e9a): the node picks the rows and figures.

Which years the table has, and which figures back each year, come from the index read from the
first `--rpc-url` alone (`registry_index(dep)`); only the statement of a row that has one is
verified with the Prover. The bank fronts that node (the auditor adds an honest second party's
node and --require-proofs) and drops the `Attested` log of figures it does not want seen:

1. its 2023 figures, anchored with no neutrality claim: honestly 2023 is a gap row and the
   commitment ("met" overall) is not met; hidden, the table ends at 2022 and says "met": true;
2. a second, later set of 2022 figures (anchored without restating the first, no claim on it):
   honestly the 2022 row follows the latest current figures, which no statement backs (a gap);
   hidden, the row follows the first figures and their statement, and 2022 reads met.

Correct outcome: the proven history must not say met where the honest chain says not met. Now
every node is asked for the organisation's Attested logs up to the trusted block
(`LogProver.attested_complete`), as verify's logs line asks them for covering statements: one the
reading node left out that another returned is a chain error naming both (exit 3), and the
history's `complete_as` says whose logs it is as complete as.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES, second_party
from history_attacks import drop_transaction
from lying_proxy import ForgingProxy, run_attest, show
from worlds import World, anvil_world, restatement

from attest.app.publishing import publish
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

F2023 = "illustrative-webank-2023-figures.json"


def _figures_2023(w: World) -> dict[str, Any]:
    path = w.root / F2023
    shutil.copy(EXAMPLES / F2023, path)
    a = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES).published.attestation
    return {"hidden_tx": a.transaction_hash.lower(), "hidden_uid": a.uid.lower()}


def _more_2022_figures(w: World) -> dict[str, Any]:
    """Other 2022 figures (first metric + 7), anchored as new figures, not as a restatement."""
    assert w.figures is not None
    path = restatement(w.figures, w.root / "other-2022-figures.json", by=7)
    a = publish(w.c.dep, w.c.bank, path, kind=Kind.FIGURES).published.attestation
    return {"hidden_tx": a.transaction_hash.lower(), "hidden_uid": a.uid.lower()}


@pytest.fixture(scope="module")
def later_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r4-year"), statement="s.json", setup=_figures_2023) as w:
        yield w


@pytest.fixture(scope="module")
def same_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r4-same"), statement="s.json", setup=_more_2022_figures) as w:
        yield w


_drop_transaction = drop_transaction


def _run(w: World, first: str) -> Any:
    return run_attest(
        "history", "--org", "WeBank", "--neutrality", "-d", str(w.manifest), "--json",
        "--rpc-url", first, *second_party(w.rpc_url), "--require-proofs",
    )  # fmt: skip


def _history(w: World, first: str) -> dict[str, Any]:
    done = _run(w, first)
    assert done.returncode == 0, show(done)
    data = dict(json.loads(done.stdout))
    assert all("as complete as the logs of node(s)" in y["complete_as"] for y in data["years"]), data
    return data


def _lied(w: World) -> Any:
    """The history through the node that drops the hidden attestation's logs: a chain error naming
    the attestation it left out (exit 3), never a table."""
    proxy = ForgingProxy(w.rpc_url, _drop_transaction(w.hidden_tx))
    try:
        done = _run(w, proxy.url)
    finally:
        proxy.close()
    assert done.returncode == 3, show(done)
    assert f"the nodes' logs differ: attestation {w.hidden_uid}" in done.stderr, show(done)
    assert done.stderr.count("\n") == 1, show(done)
    return done


def test_a_node_hiding_a_later_years_figures_makes_the_commitment_met(later_year: World) -> None:
    honest = _history(later_year, later_year.rpc_url)
    assert [(y["year"], y["status"]) for y in honest["years"]] == [(2022, "current"), (2023, "gap")], honest
    assert honest["met"] is False, honest
    _lied(later_year)


def test_a_node_hiding_later_figures_of_the_year_makes_the_year_met(same_year: World) -> None:
    honest = _history(same_year, same_year.rpc_url)
    [row] = honest["years"]
    assert row["figures"]["uid"].lower() == same_year.hidden_uid and row["status"] == "gap", row
    assert honest["met"] is False, honest
    _lied(same_year)
