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
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from worlds import World, anvil_world, run_attest, show, write_json

from attest.app.publishing import publish
from attest.core.contracts import Kind


def misreferenced(w: World) -> dict[str, Any]:
    """A 2023 statement and Rival Bank's statement, both on WeBank's 2022 figures."""
    c, root = w.c, w.root
    assert w.statement is not None
    s22 = json.loads(w.statement.read_text(encoding="utf-8"))
    doc = json.loads((EXAMPLES / "illustrative-carbon-verification-2023.json").read_text(encoding="utf-8"))
    doc["neutrality_claim"]["retirements"] = s22["neutrality_claim"]["retirements"]  # the 2022 blocks, again
    s23 = write_json(root / "statement-2023.json", doc)
    publish(c.dep, c.verifier, s23, kind=Kind.STATEMENT, ref=w.figures_uid)  # covers the 2022 figures
    # Rival Bank's "2022 neutrality" statement: names Rival Bank, beneficiary Rival Bank, but its
    # on-chain reference is WeBank's 2022 figures and it re-retires WeBank's credit blocks
    rdoc = json.loads(w.statement.read_text(encoding="utf-8"))
    rdoc["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank Co.", "country": "CN"}
    for r in rdoc["neutrality_claim"]["retirements"]:
        r["beneficiary"] = "Rival Bank Co."
        r["reason"] = "retired on behalf of Rival Bank Co."
    rival = write_json(root / "rival-statement-2022.json", rdoc)
    publish(c.dep, c.verifier, rival, kind=Kind.STATEMENT, ref=w.figures_uid)
    return {"s23": s23, "rival": rival}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("yr")
    with anvil_world(root, statement="statement-2022.json", setup=misreferenced, mine_blocks=2) as w:
        yield {"node": w.node, "manifest": w.manifest, **w.made}


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
