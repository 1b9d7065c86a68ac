"""A statement must be about the figures it covers: their year and their organisation.

Found by an adversarial review (working attacks before the fix): a 2023 statement whose on-chain
reference is WeBank's 2022 figures, re-retiring the 2022 credits, verified — the registry files its
claims under the figures' year, so the overlap passed as "the same claim again": 2022 credits backing
the 2023 neutrality claim. So did Rival Bank's statement referencing WeBank's figures and re-retiring
WeBank's credits. `reference` now fails both: the statement's year and the organisation it names
must be the figures'.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES, consortium_on_anvil, manifest_of, mine
from lying_proxy import run_attest, show

from attest.app.publishing import publish
from attest.core.contracts import Kind


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("yr")
    with consortium_on_anvil(root) as (node, c):
        figures = root / "webank-2022-figures.json"
        shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
        fig = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation
        s22 = root / "statement-2022.json"
        shutil.copy(EXAMPLES / "illustrative-carbon-verification-2022-v2.json", s22)
        publish(c.dep, c.verifier, s22, kind=Kind.STATEMENT, ref=fig.uid)
        doc = json.loads(
            (EXAMPLES / "illustrative-carbon-verification-2023.json").read_text(encoding="utf-8")
        )
        old = json.loads(s22.read_text(encoding="utf-8"))["neutrality_claim"]["retirements"]
        doc["neutrality_claim"]["retirements"] = old  # the 2022 statement's blocks, again
        s23 = root / "statement-2023.json"
        s23.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        publish(c.dep, c.verifier, s23, kind=Kind.STATEMENT, ref=fig.uid)  # covers the 2022 figures
        # Rival Bank's "2022 neutrality" statement: names Rival Bank, beneficiary Rival Bank, but its
        # on-chain reference is WeBank's 2022 figures and it re-retires WeBank's credit blocks
        rdoc = json.loads(s22.read_text(encoding="utf-8"))
        rdoc["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank Co.", "country": "CN"}
        for r in rdoc["neutrality_claim"]["retirements"]:
            r["beneficiary"] = "Rival Bank Co."
            r["reason"] = "retired on behalf of Rival Bank Co."
        rival = root / "rival-statement-2022.json"
        rival.write_text(json.dumps(rdoc, ensure_ascii=False), encoding="utf-8")
        publish(c.dep, c.verifier, rival, kind=Kind.STATEMENT, ref=fig.uid)
        mine(c, 2)
        manifest = manifest_of(c, root)
        yield {"node": node, "manifest": manifest, "s23": s23, "rival": rival}


def test_a_2023_statement_on_2022_figures_fails_its_reference(world: dict[str, Any]) -> None:
    done = run_attest(
        "verify",
        str(world["s23"]),
        "-d",
        str(world["manifest"]),
        "--rpc-url",
        world["node"].rpc_url,
        "--require-proofs",
    )
    assert done.returncode == 1, show(done)
    assert "✗ reference" in done.stdout and "but the statement is for 2023" in done.stdout, show(done)


def test_a_rival_banks_statement_on_webanks_figures_fails_its_reference(world: dict[str, Any]) -> None:
    done = run_attest(
        "verify",
        str(world["rival"]),
        "-d",
        str(world["manifest"]),
        "--rpc-url",
        world["node"].rpc_url,
        "--require-proofs",
    )
    assert done.returncode == 1, show(done)
    assert "✗ reference" in done.stdout and "but the statement is about 'Rival Bank'" in done.stdout, show(
        done
    )
