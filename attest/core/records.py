"""Attestation records as read back from the registry: plain data, shared by the shell and the pure core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from attest.core.contracts import Kind


@dataclass(frozen=True)
class Revocation:
    block_number: int
    org_id: int
    by: str
    reason: str


@dataclass(frozen=True)
class WithdrawnRestatement:
    """A restatement that replaced an attestation and was then revoked, so it replaces nothing now
    (history, from the `Superseded` and `Revoked` events)."""

    uid: str
    revocation: Revocation | None


@dataclass(frozen=True)
class StoredState:
    """What the registry's storage says of an attestation now: the source of truth for the verdict,
    whichever way the rest of the record was read."""

    exists: bool
    revoked: bool
    superseded_by: str | None


@dataclass(frozen=True)
class OnchainAttestation:
    """One attestation as the registry records it, with the coordinates of its `Attested` event.

    `revoked` and `superseded_by` are the registry's storage; `revocation` (who, when, why) and
    `withdrawn_restatements` are the events' history of it."""

    uid: str
    digest: str
    org_id: int
    attester: str
    kind: Kind
    year: int
    ref: str
    uri: str
    block_number: int
    log_index: int
    block_hash: str
    transaction_hash: str
    revoked: bool
    revocation: Revocation | None
    superseded_by: str | None
    withdrawn_restatements: tuple[WithdrawnRestatement, ...] = ()


def settled(
    a: OnchainAttestation,
    state: StoredState,
    replacements: Sequence[str],
    revocations: Mapping[str, Revocation],
) -> OnchainAttestation:
    """`a` (from its `Attested` event) as it stands: revoked and superseded as storage says, with the
    history the events tell — why it was revoked, and every restatement of it (`replacements`, the
    `Superseded` events in order) that is no longer its replacement because it was revoked.

    One function for both readers (one attestation at a time, and the bulk index), so the two
    cannot disagree on what the same storage and events mean."""
    withdrawn = tuple(
        WithdrawnRestatement(r, revocations[r])
        for r in dict.fromkeys(replacements)
        if r != state.superseded_by and r in revocations
    )
    revocation = revocations.get(a.uid) if state.revoked else None
    if (a.revoked, a.revocation, a.superseded_by, a.withdrawn_restatements) == (
        state.revoked,
        revocation,
        state.superseded_by,
        withdrawn,
    ):
        return a  # it stands as read (most do): the same record, not a copy per target of a bulk run
    return replace(
        a,
        revoked=state.revoked,
        revocation=revocation,
        superseded_by=state.superseded_by,
        withdrawn_restatements=withdrawn,
    )


#: An attestation's reference when it has none (a statement covering nothing, figures restating
#: nothing): the zero bytes32, 0x-hex. The one spelling every layer compares with.
ZERO_REF = "0x" + "00" * 32


@lru_cache(maxsize=65_536)
def attestation_uid(org_id: int, digest: bytes) -> str:
    """The registry's id of an organisation's attestation: keccak256(abi.encode(uint32, bytes32)).

    abi.encode of a uint32 and a bytes32 is the number as a 32-byte big-endian word, then the digest:
    written out here, and memoised, because a bulk run computes it several times per target (a batch
    receipt's thousands of files share one root, so one id)."""
    from eth_utils import keccak

    if not 0 <= org_id < 2**32 or len(digest) != 32:
        raise ValueError("not an organisation id and a 32-byte digest")
    return "0x" + keccak(org_id.to_bytes(32, "big") + bytes(digest)).hex()


@dataclass(frozen=True)
class OrganisationInfo:
    """Admission facts of a member organisation (ConsortiumGovernance.OrganisationInfo)."""

    name: str
    country: str = ""
    kind: str = ""
    accreditation_body: str = ""
    accreditation_number: str = ""
    uri: str = ""
    documents_digest: str = "00" * 32

    def as_tuple(self) -> tuple[str, str, str, str, str, str, bytes]:
        return (
            self.name,
            self.country,
            self.kind,
            self.accreditation_body,
            self.accreditation_number,
            self.uri,
            bytes.fromhex(self.documents_digest),
        )


@dataclass(frozen=True)
class Organisation:
    org_id: int
    roles: int
    active: bool
    info: OrganisationInfo
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class Published:
    """The outcome of `attest`: the attestation and, when this call sent it, the transaction."""

    attestation: OnchainAttestation
    gas_used: int | None
    already_anchored: bool
