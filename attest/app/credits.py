"""The chain facts about the credits a statement retires: its own claim record, and every claim by
any statement on the same issuances, with those statements as they stand (`ChainFacts`, so single
and bulk verification and `attest history --neutrality` read them the same way)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from attest.app.facts import ChainFacts, Reading
from attest.core.credits import (
    Claimant,
    ClaimRecord,
    CreditEvidence,
    UnitsElsewhere,
    blocks_of,
    residual_tonnes,
)
from attest.core.errors import InputError
from attest.core.records import ZERO_REF, OnchainAttestation
from attest.core.registry_records import RecordsFile, read_records
from attest.core.serials import VERRA, CreditBlock, issuance_key
from attest.core.statement import CarbonVerification, CarbonVerificationV2


def statement_credits(
    facts: ChainFacts,
    statement: OnchainAttestation,
    document: CarbonVerification | None = None,
    referenced: OnchainAttestation | None = None,
    *,
    schema: str | None = None,
) -> CreditEvidence:
    """Everything `decide` needs about `statement`'s credits; `document` is the statement document
    when at hand, `referenced` the figures attestation it covers (for whom its credits are)."""
    recorded = facts.neutrality_claims([statement.uid]).get(statement.uid.lower())
    recorded_blocks = facts.credit_claims_of(statement.uid)
    blocks = blocks_of(document)
    residual = None
    if isinstance(document, CarbonVerificationV2) and document.neutrality_claim is not None:
        residual = residual_tonnes(document.neutrality_claim)
    if recorded is not None:
        own: tuple[int, int] | None = (recorded.beneficiary_org_id, recorded.year)
    elif referenced is not None:
        own = (referenced.org_id, referenced.year)
    else:
        own = None
    # claims on its units: under their canonical keys, and under the keys of its spelling (statements
    # anchored before the registry table were recorded under those)
    keys = (
        [k for b in blocks for k in b.keys]
        if blocks is not None
        else [r.issuance_key for r in recorded_blocks]
    )
    claims = facts.credit_claims_on(list(dict.fromkeys(keys))) if keys else []
    elsewhere = _verra_elsewhere(facts, statement.uid, blocks, recorded_blocks, keys)
    return CreditEvidence(
        statement_uid=statement.uid,
        statement_block=statement.block_number,
        # the document's schema; else the one a reader's browser read from it (attest serve)
        schema=document.schema_ if document is not None else schema,
        document_blocks=blocks,
        document_residual=residual,
        recorded=recorded,
        recorded_blocks=recorded_blocks,
        claims=claims,
        claimants=claimants(facts, [*claims, *elsewhere], exclude=statement.uid),
        own=own,
        head=facts.head(),
        elsewhere=tuple(elsewhere),
    )


def _verra_elsewhere(
    facts: ChainFacts,
    uid: str,
    blocks: list[CreditBlock] | None,
    recorded: Sequence[ClaimRecord],
    keys: Sequence[str],
) -> list[ClaimRecord]:
    """Claims by other statements on the unit numbers of this statement's Verra blocks under keys it
    did not look under. Verra numbers units registry-wide, so the same units under an old spelling (a
    statement anchored before the registry table, keyed by its serial's text, batch number included)
    are only found so: every claim is read, and the overlaps are returned for a warning."""
    verra = issuance_key(VERRA, "VCU")
    ranges = (
        [(b.first, b.last) for b in blocks if b.key.lower() == verra]
        if blocks is not None
        else [(r.first, r.last) for r in recorded if r.issuance_key.lower() == verra]
    )
    if not ranges:
        return []
    asked = UnitsElsewhere(uid.lower(), frozenset({k.lower() for k in keys} | {verra}), frozenset(ranges))
    found = [c for c in facts.credit_claims_all() if asked.concerns(c)]
    if isinstance(facts, Reading):  # a question every node is asked too (attest.app.log_proofs)
        facts.saw_elsewhere(asked, found)
    return found


def claimants(facts: ChainFacts, claims: Sequence[ClaimRecord], *, exclude: str = "") -> dict[str, Claimant]:
    """The statements making `claims` (but `exclude`), as they stand, with whom their credits are for."""
    uids = [u for u in dict.fromkeys(c.statement_uid.lower() for c in claims) if u != exclude.lower()]
    records = facts.neutrality_claims(uids) if uids else {}
    out: dict[str, Claimant] = {}
    for uid in uids:
        a = facts.attestation(uid)
        if a is None:
            continue  # not in the registry's storage: no attestation to speak of
        r = records.get(uid)
        if r is not None:
            out[uid] = Claimant(a, r.beneficiary_org_id, r.year)
        else:
            figures = facts.attestation(a.ref) if a.ref != ZERO_REF else None
            out[uid] = Claimant(a, figures.org_id if figures else None, figures.year if figures else None)
    return out


def load_registry_records(paths: Sequence[str]) -> tuple[RecordsFile, ...]:
    """The registry exports `verify --registry-records` names, each read and recognised by its header."""
    out = []
    for name in paths:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot be read ({exc.strerror})", path=name, field="--registry-records"
            ) from None
        out.append(read_records(name, data))
    return tuple(out)
