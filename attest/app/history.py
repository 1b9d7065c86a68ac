"""An organisation's record in the registry: every attestation, its standing, and who vouched for it.

A reader asking "which of WeBank's 2022 figures count?" needs the whole story at once — what was
anchored, what was restated by what, what was revoked (when, by whom, why) and which verification
statements cover each — not one file at a time. Reads come only from the manifest's registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.records import OnchainAttestation
from attest.core.verification import attestation_status


@dataclass(frozen=True)
class Covering:
    """A verification statement covering a figures attestation."""

    statement: OnchainAttestation
    verifier: str
    status: str


@dataclass(frozen=True)
class HistoryEntry:
    attestation: OnchainAttestation
    status: str
    covered_by: list[Covering]
    revoked_by: str | None = None  # who revoked it, in words, when revoked

    def to_json(self) -> dict[str, Any]:
        a = self.attestation
        return {
            "uid": a.uid,
            "digest": a.digest,
            "kind": a.kind.label,
            "year": a.year,
            "ref": a.ref,
            "uri": a.uri,
            "attester": a.attester,
            "block_number": a.block_number,
            "transaction_hash": a.transaction_hash,
            "status": self.status,
            "current": not a.revoked and not a.superseded_by,
            "superseded_by": a.superseded_by,
            "revocation": None
            if a.revocation is None
            else {
                "block_number": a.revocation.block_number,
                "by_org_id": a.revocation.org_id,
                "by_account": a.revocation.by,
                "by": self.revoked_by,
                "reason": a.revocation.reason,
            },
            "covered_by": [
                {
                    "uid": c.statement.uid,
                    "digest": c.statement.digest,
                    "verifier_org_id": c.statement.org_id,
                    "verifier": c.verifier,
                    "status": c.status,
                }
                for c in self.covered_by
            ],
        }


def _revoked_by(a: OnchainAttestation, names: dict[int, str]) -> str | None:
    r = a.revocation
    if r is None:
        return None
    if r.org_id == 0:
        return f"the committee (executed by {r.by})"
    return f"{names.get(r.org_id, '?')} (org #{r.org_id}), account {r.by}"


def describe_status(a: OnchainAttestation, names: dict[int, str]) -> str:
    """current / superseded by X / revoked at block N by whom: reason."""
    r = a.revocation
    if r is not None:
        return f"revoked at block {r.block_number} by {_revoked_by(a, names)}: {r.reason}"
    return attestation_status(a)


def organisation_history(dep: Deployment, org_id: int, year: int | None = None) -> list[HistoryEntry]:
    """Every attestation `org_id` made (for `year`, if given), oldest first, with covering statements."""
    names = dep.membership_history().organisation_names()
    if org_id not in names:
        from attest.core.errors import InputError

        raise InputError(f"no admitted organisation #{org_id}", field="--org")
    found = [a for a in dep.attestations_by_org(org_id) if year is None or a.year == year]
    found.sort(key=lambda a: (a.block_number, a.log_index))
    out = []
    for a in found:
        covering = []
        if a.kind is Kind.FIGURES:
            for s in dep.covering_statements(a.uid):
                verifier = f"{names.get(s.org_id, '?')} (org #{s.org_id})"
                covering.append(Covering(s, verifier, describe_status(s, names)))
        out.append(HistoryEntry(a, describe_status(a, names), covering, _revoked_by(a, names)))
    return out
