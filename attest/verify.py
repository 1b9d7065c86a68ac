"""Gather the evidence for one verification target from the file and the chain, then `decide`.

A target is a document file, a receipt, or a bare sha256 digest (an auditor may hold only the hash).
"""

from __future__ import annotations

import re
from pathlib import Path

from attest.client import Deployment
from attest.documents import hash_document, read_json_document
from attest.errors import InputError
from attest.receipt import Receipt, is_receipt, parse_receipt
from attest.records import OnchainAttestation
from attest.verification import Evidence, Report, decide

_DIGEST = re.compile(r"^(?:sha256:|0x)?([0-9a-fA-F]{64})$")


def verify_target(deployment: Deployment, target: str, *, org: str | None = None) -> Report:
    digest, detail, receipt, mismatch, named_org, year = _digest_of(target)
    expected, source = None, None
    if org is not None:
        expected, source = deployment.find_organisation(org), "--org"
    elif receipt is not None:
        expected, source = receipt.attestation.org_id, "receipt"
    history = deployment.membership_history()
    names = history.organisation_names()
    if expected is None and named_org is not None:
        ids = [i for i, n in names.items() if n == named_org]
        if not ids:
            raise InputError(
                f"the document names organisation {named_org!r}, which is not an admitted member"
            )
        expected, source = ids[0], "named in the document"

    merkle_ok = None
    lookup = digest
    if receipt is not None and receipt.merkle is not None:
        from attest.batch import verify_batch_receipt

        merkle_ok = verify_batch_receipt(receipt)
        lookup = receipt.merkle.root.removeprefix("0x").lower()
    attestations = deployment.attestations_of_digest(lookup)
    head = deployment.chain.head()
    at, now = {}, {}
    for a in attestations:
        at[a.uid] = history.standing(a.attester, (a.block_number, a.log_index))
        now[a.uid] = history.standing(a.attester, (head + 1, 0))
    chosen = [a for a in attestations if expected is None or a.org_id == expected]
    covering: list[OnchainAttestation] = []
    if len(chosen) == 1:
        covering = deployment.covering_statements(chosen[0].uid)
    same_year: list[OnchainAttestation] = []
    if not chosen and expected is not None and year is not None:
        same_year = [a for a in deployment.attestations_by_org(expected) if a.year == year]
    receipt_hash = None
    if receipt is not None:
        receipt_hash = deployment.block_hash(receipt.chain.block_number)
    evidence = Evidence(
        subject=target,
        digest=digest,
        digest_detail=detail,
        chain_id=deployment.manifest.chain_id,
        registry=deployment.manifest.registry.address,
        head=head,
        confirmations_required=deployment.chain.confirmations,
        attestations=attestations,
        standing_at_attest=at,
        standing_now=now,
        org_names=names,
        expected_org=expected,
        expected_org_source=source,
        digest_mismatch=mismatch,
        merkle_proof_ok=merkle_ok,
        receipt=receipt,
        receipt_block_hash_on_chain=receipt_hash,
        covering_statements=covering,
        same_org_year=same_year,
    )
    report = decide(evidence)
    if report.attestation is not None:
        report.anchored_at = int(deployment.chain.block(report.attestation.block_number)["timestamp"])
    return report


def _digest_of(target: str) -> tuple[str, str, Receipt | None, str | None, str | None, int | None]:
    """(digest, how it was obtained, receipt, mismatch, organisation named, year) for a target."""
    match = _DIGEST.match(target)
    path = Path(target)
    if match and not path.exists():
        return match.group(1).lower(), "given as a bare digest", None, None, None, None
    if not path.exists():
        raise InputError("no such file (and not a sha256 digest)", path=target)
    if path.suffix.lower() == ".json" and path.is_file():
        obj = read_json_document(path)
        if is_receipt(obj):
            receipt = parse_receipt(obj, path=path)
            doc_path = path.with_name(receipt.document.name)
            if not doc_path.is_file():
                return (
                    receipt.document.digest,
                    "from the receipt; document not at hand",
                    receipt,
                    None,
                    None,
                    None,
                )
            doc = hash_document(doc_path, structured=receipt.document.digest_rule == "sha256-rfc8785")
            mismatch = None
            if doc.digest != receipt.document.digest:
                mismatch = (
                    f"{doc_path.name} has sha256 {doc.digest}, the receipt says {receipt.document.digest}: "
                    "the document was changed after publishing"
                )
            named = doc.figures.organisation.name if doc.figures else None
            year = doc.figures.reporting_year if doc.figures else None
            return (
                receipt.document.digest,
                f"{doc.rule_text} of {doc_path.name}",
                receipt,
                mismatch,
                named,
                year,
            )
    doc = hash_document(path)
    named = doc.figures.organisation.name if doc.figures else None
    year = doc.figures.reporting_year if doc.figures else None
    return doc.digest, doc.rule_text, None, None, named, year
