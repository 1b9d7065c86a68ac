"""Statements anchored before the registry table keep verifying (embedded chain, real contracts).

Before canonical credit identities, a statement's blocks were recorded under the key of their
spelling: `issuance_key(registry as written, the serial without its unit numbers)` — a Verra batch,
an issuance as written. Such a statement is read as such: `credits: recorded` is a warning saying so
(the verdict stands; `--strict` fails it), and its claims are still found by any statement that
spells the units the same way. A record that is neither the canonical form of the statement's blocks
nor, all of it, the old form fails `credits: recorded`.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from conftest import EXAMPLES, Consortium, build_consortium

from attest.app.publishing import publish
from attest.app.verify import verify_target
from attest.chain.anchoring import AnchorRequest, anchor
from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.credits import ClaimedCredits, residual_tonnes
from attest.core.documents import hash_document
from attest.core.statement import CarbonVerificationV2, load_statement
from attest.core.verification import Check, Report

F2022 = EXAMPLES / "webank-2022-figures.json"
S2022 = EXAMPLES / "illustrative-carbon-verification-2022-v2.json"


def check(report: Report, name: str) -> Check:
    (found,) = [c for c in report.checks if c.name == name]
    return found


def anchored_with(c: Consortium, statement: Path, figures_uid: str, keys: str) -> None:
    """Anchor `statement` with its blocks recorded under `keys`: "legacy" (every block under the key of
    its spelling, as before the table), or "mixed" (the first block under the old key, the rest canonical)."""
    doc = load_statement(statement)
    assert isinstance(doc, CarbonVerificationV2) and doc.neutrality_claim is not None
    blocks = doc.neutrality_claim.blocks()
    chosen = [b.legacy_key if keys == "legacy" or i == 0 else b.key for i, b in enumerate(blocks)]
    credits = ClaimedCredits(
        residual_tonnes(doc.neutrality_claim),
        tuple((k, b.first, b.last) for k, b in zip(chosen, blocks, strict=True)),
    )
    request = AnchorRequest(
        hash_document(statement).digest, Kind.STATEMENT, 2022, ref=figures_uid, credits=credits
    )
    ((result,),) = anchor(c.dep, c.verifier, [request])
    result.unwrap()


def world(tmp_path: Path) -> tuple[Consortium, str, Path]:
    c = build_consortium(Chain.embedded())
    figures = tmp_path / F2022.name
    shutil.copyfile(F2022, figures)
    fuid = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    return c, fuid, figures


def statement(tmp_path: Path, name: str, **changes: Any) -> Path:
    s = copy.deepcopy(json.loads(S2022.read_text(encoding="utf-8")))
    s.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(s, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_a_statement_recorded_under_its_spellings_keys_still_verifies_with_a_warning(tmp_path: Path) -> None:
    c, fuid, _ = world(tmp_path)
    old = statement(tmp_path, "old.json")
    anchored_with(c, old, fuid, "legacy")
    report = verify_target(c.dep, str(old))
    assert report.verified, [x for x in report.checks if x.status == "fail"]
    recorded = check(report, "credits: recorded")
    assert recorded.status == "warn" and "under the keys of their spelling" in recorded.detail
    assert check(report, "credits").status == "pass"
    assert not verify_target(c.dep, str(old), strict=True).verified


def test_a_new_claim_spelled_as_the_old_one_finds_it(tmp_path: Path) -> None:
    """The contract does not refuse it (the new claim is under the canonical key, the old under the
    spelling's); verify reads both keys, and the claim for Rival Bank is a double claim."""
    c, fuid, _ = world(tmp_path)
    old = statement(tmp_path, "old.json")
    anchored_with(c, old, fuid, "legacy")
    rival_figures = json.loads(F2022.read_text(encoding="utf-8"))
    rival_figures["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank", "country": "CN"}
    rf = tmp_path / "rival-figures.json"
    rf.write_text(json.dumps(rival_figures, ensure_ascii=False), encoding="utf-8")
    ruid = publish(c.dep, c.rival, rf, kind=Kind.FIGURES).published.attestation.uid
    s = json.loads(old.read_text(encoding="utf-8"))
    s["organisation"] = rival_figures["organisation"]
    for r in s["neutrality_claim"]["retirements"]:
        r["beneficiary"] = "Rival Bank"
    new = tmp_path / "new.json"
    new.write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    publish(c.dep, c.verifier, new, kind=Kind.STATEMENT, ref=ruid)
    report = verify_target(c.dep, str(new))
    assert check(report, "credits: recorded").status == "pass"
    assert check(report, "credits").status == "fail" and "claimed twice" in check(report, "credits").detail


def test_claims_that_are_not_the_canonical_form_of_its_blocks_fail_recorded(tmp_path: Path) -> None:
    c, fuid, _ = world(tmp_path)
    mixed = statement(tmp_path, "mixed.json", issued="2023-04-01")
    anchored_with(c, mixed, fuid, "mixed")
    report = verify_target(c.dep, str(mixed))
    recorded = check(report, "credits: recorded")
    assert recorded.status == "fail" and not report.verified
    assert "recorded under the key of its spelling, not under the canonical identity" in recorded.detail
