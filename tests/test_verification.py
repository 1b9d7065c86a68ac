"""The pure verification decisions, check by check, without a chain."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from attest.core.contracts import Kind, Role
from attest.core.membership_history import Standing
from attest.core.receipt import AttestationPart, ChainPart, DocumentPart, Receipt
from attest.core.records import OnchainAttestation, Revocation
from attest.core.verification import DeploymentFacts, Evidence, TargetFacts, decide

DIGEST = "ab" * 32
BANK, RIVAL, VERIFIER = 1, 2, 3
NAMES = {BANK: "WeBank", RIVAL: "Rival", VERIFIER: "Verifier"}
REGISTRY = "0x" + "11" * 20
GOVERNANCE = "0x" + "22" * 20


def attestation(org: int = BANK, kind: Kind = Kind.FIGURES, **kw: Any) -> OnchainAttestation:
    base = OnchainAttestation(
        uid="0x" + f"{org:064x}",
        digest=DIGEST,
        org_id=org,
        attester=f"0x{org:040x}",
        kind=kind,
        year=2022,
        ref="0x" + "00" * 32,
        uri="",
        block_number=10,
        log_index=0,
        block_hash="0x" + "cd" * 32,
        transaction_hash="0x" + "ef" * 32,
        revoked=False,
        revocation=None,
        superseded_by=None,
    )
    return replace(base, **kw)


def standing(org: int, roles: int = Role.PUBLISHER, **kw: Any) -> Standing:
    base = Standing(
        account=f"0x{org:040x}", org_id=org, org_name=NAMES[org], org_active=True, roles=roles, frozen=False
    )
    return replace(base, **kw)


def evidence(atts: list[OnchainAttestation], **kw: Any) -> Evidence:
    """Evidence for `atts`, with `kw` replacing its fields (a `DeploymentFacts` or `TargetFacts`
    field too, by name)."""
    deployment = DeploymentFacts(
        chain_id=31337,
        registry=REGISTRY,
        governance=GOVERNANCE,
        bound_governance=GOVERNANCE,
        manifest_sha256=None,
        confirmations_required=1,
    )
    mine = {k: kw.pop(k) for k in list(kw) if k in DeploymentFacts.__dataclass_fields__}
    said = {k: kw.pop(k) for k in list(kw) if k in TargetFacts.__dataclass_fields__}
    base = Evidence(
        target=TargetFacts(
            **{
                "subject": "figures.json",
                "digest": DIGEST,
                "digest_detail": "RFC 8785 canonical form",
                **said,
            }
        ),
        deployment=replace(deployment, **mine),
        head=10,
        attestations=atts,
        standing_at_attest={a.uid: standing(a.org_id) for a in atts},
        standing_now={a.uid: standing(a.org_id) for a in atts},
        org_names=NAMES,
    )
    return replace(base, **kw)


def statuses(ev: Evidence) -> dict[str, str]:
    return {c.name: c.status for c in decide(ev).checks}


def test_all_checks_pass_for_a_current_authorised_attestation() -> None:
    report = decide(evidence([attestation()]))
    assert report.verified
    assert [c.name for c in report.checks] == [
        "deployment", "digest", "anchored", "authorised", "status", "coverage", "confirmations"
    ]  # fmt: skip


def test_unknown_digest_fails_anchored_and_stops() -> None:
    report = decide(evidence([]))
    assert not report.verified
    assert [(c.name, c.status) for c in report.checks] == [
        ("deployment", "pass"), ("digest", "pass"), ("anchored", "fail")
    ]  # fmt: skip


def test_digest_mismatch_fails() -> None:
    report = decide(evidence([attestation()], digest_mismatch="file changed"))
    assert (
        not report.verified and statuses(evidence([attestation()], digest_mismatch="x"))["digest"] == "fail"
    )


def test_unauthorised_at_attest_time_fails_even_if_authorised_now() -> None:
    a = attestation()
    ev = evidence([a], standing_at_attest={a.uid: standing(BANK, frozen=True)})
    assert statuses(ev)["authorised"] == "fail"
    assert not decide(ev).verified


def test_authorised_then_removed_later_still_verifies_and_says_so() -> None:
    a = attestation()
    ev = evidence([a], standing_now={a.uid: standing(BANK, org_active=False)})
    report = decide(ev)
    assert report.verified
    assert "had been removed" in next(c.detail for c in report.checks if c.name == "authorised")


def test_statement_needs_verifier_role() -> None:
    figures = attestation(org=BANK)  # a statement must reference live figures (the `reference` check)
    a = attestation(org=VERIFIER, kind=Kind.STATEMENT, ref=figures.uid)
    ok = evidence([a], standing_at_attest={a.uid: standing(VERIFIER, roles=Role.VERIFIER)})
    bad = evidence([a], standing_at_attest={a.uid: standing(VERIFIER, roles=Role.PUBLISHER)})
    ok, bad = replace(ok, referenced=figures), replace(bad, referenced=figures)
    assert decide(ok).verified
    assert statuses(bad)["authorised"] == "fail"


def test_revoked_fails_status_with_reason() -> None:
    a = attestation(revoked=True, revocation=Revocation(12, 0, "0x" + "22" * 20, "wrong figures"))
    report = decide(evidence([a]))
    assert not report.verified
    detail = next(c.detail for c in report.checks if c.name == "status")
    assert "committee" in detail and "wrong figures" in detail


def test_superseded_fails_status_naming_replacement() -> None:
    a = attestation(superseded_by="0x" + "99" * 32)
    report = decide(evidence([a]))
    assert not report.verified
    assert "0x" + "99" * 32 in next(c.detail for c in report.checks if c.name == "status")


def test_not_enough_confirmations_fails() -> None:
    assert statuses(evidence([attestation()], confirmations_required=3))["confirmations"] == "fail"
    assert statuses(evidence([attestation()], head=12, confirmations_required=3))["confirmations"] == "pass"


def test_several_organisations_without_expected_org_is_ambiguous() -> None:
    report = decide(evidence([attestation(RIVAL), attestation(BANK)]))
    assert not report.verified
    assert "pass --org" in report.checks[2].detail


def test_expected_org_ignores_a_squatter() -> None:
    atts = [attestation(RIVAL), attestation(BANK)]
    report = decide(evidence(atts, expected_org=BANK, expected_org_source="--org"))
    assert report.verified
    assert report.attestation is not None and report.attestation.org_id == BANK
    assert "not relied on" in report.checks[2].detail


def test_expected_org_missing_fails_even_if_another_org_attested() -> None:
    report = decide(evidence([attestation(RIVAL)], expected_org=BANK, expected_org_source="document"))
    assert not report.verified
    assert "attested only by Rival" in report.checks[2].detail


def test_tampered_document_explains_what_the_org_anchored_instead() -> None:
    other = attestation(digest="cd" * 32)
    report = decide(evidence([], expected_org=BANK, expected_org_source="document", same_org_year=[other]))
    assert "not what was published" in report.checks[2].detail


def _receipt(**chain: Any) -> Receipt:
    c: dict[str, Any] = {
        "chain_id": 31337,
        "registry": REGISTRY,
        "transaction_hash": "0x" + "ef" * 32,
        "block_number": 10,
        "block_hash": "0x" + "cd" * 32,
        "timestamp": 1,
    } | chain
    return Receipt(
        document=DocumentPart(name="f.json", media_type="x", digest=DIGEST, digest_rule="sha256-rfc8785"),
        attestation=AttestationPart(
            uid="0x" + f"{BANK:064x}",
            org_id=BANK,
            attester=f"0x{BANK:040x}",
            kind="figures",
            year=2022,
            ref="0x" + "00" * 32,
            uri="",
        ),
        chain=ChainPart(**c),
    )


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ({"block_hash": "0x" + "00" * 32}, "block hash"),
        ({"transaction_hash": "0x" + "00" * 32}, "transaction hash"),
        ({"registry": "0x" + "33" * 20}, "registry"),
        ({"chain_id": 1}, "chain id"),
    ],
)
def test_edited_receipt_fails_receipt_check(edit: dict[str, Any], needle: str) -> None:
    ev = evidence(
        [attestation()],
        receipt=_receipt(**edit),
        receipt_block_hash_on_chain="0x" + "cd" * 32,
        expected_org=BANK,
        expected_org_source="receipt",
    )
    report = decide(ev)
    check = next(c for c in report.checks if c.name == "receipt")
    assert check.status == "fail" and needle in check.detail
    assert not report.verified


def test_intact_receipt_passes() -> None:
    ev = evidence(
        [attestation()], receipt=_receipt(), receipt_block_hash_on_chain="0x" + "cd" * 32, expected_org=BANK
    )
    assert decide(ev).verified


def test_json_report_has_every_check() -> None:
    data = decide(evidence([attestation()])).to_json()
    assert data["verified"] is True
    assert data["checks"][0]["name"] == "deployment"
    assert data["attestation"]["kind"] == "figures"


def test_a_registry_bound_to_other_governance_fails_the_deployment_check() -> None:
    """The manifest names the genuine registry but a governance contract of someone's choosing:
    every name and role would come from that contract, so nothing may verify."""
    report = decide(evidence([attestation()], bound_governance="0x" + "33" * 20))
    assert not report.verified
    assert report.checks[0].name == "deployment" and report.checks[0].status == "fail"
    assert "not the manifest's" in report.checks[0].detail


def test_the_trust_model_lists_every_check_line_in_the_registrys_order() -> None:
    """docs/trust-model.md's table of report lines (the README links it) is the registry (`CHECKS`),
    name for name, in order."""
    import re

    from attest.core.verification import CHECK_ORDER, CHECKS

    root = Path(__file__).resolve().parent.parent
    assert "(docs/trust-model.md)" in (root / "README.md").read_text(encoding="utf-8")
    page = (root / "docs" / "trust-model.md").read_text(encoding="utf-8")
    table = page.split("| line | what it establishes | what it rests on |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \| [a-z, ]+ \|$", table, flags=re.M)
    assert [name for name, _ in rows] == list(CHECK_ORDER)
    assert [about for _, about in rows] == [unit.about for unit in CHECKS]
