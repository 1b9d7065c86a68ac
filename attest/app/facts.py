"""The chain facts a verification rests on, behind one interface with two implementations.

`attest.app.verify` gathers a target's evidence by asking a `ChainFacts` the same few questions; it
does not care where the answers come from. `LiveFacts` asks the node for each target (a handful of
reads each); `attest.app.bulk.IndexedFacts` answers thousands of targets from one shared scan of the
registry's logs and batched reads of its storage. Both take revocation and supersession from the
registry's storage and the history from its events, so a verdict cannot depend on which one was used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from attest.core.contracts import Kind
from attest.core.verification import DeploymentFacts, Read

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from attest.chain.deployment import Deployment
    from attest.core.credits import ClaimRecord, NeutralityRecord, UnitsElsewhere
    from attest.core.membership_history import MembershipHistory
    from attest.core.records import OnchainAttestation


class ChainFacts(Protocol):
    """What verification asks of a deployment's chain (all reads; nothing is ever sent)."""

    def deployment_facts(self) -> DeploymentFacts:
        """The deployment the manifest names (chain id, registry — the only source of attestations —,
        governance, the manifest's sha256, the confirmations that make an attestation final) and the
        governance contract the registry obeys (its immutable `membership()`): the manifest is only
        believed when that is the governance it names."""
        ...

    def head(self) -> int:
        """The newest block number."""
        ...

    def membership_history(self) -> MembershipHistory:
        """Every governance event since deployment, in order."""
        ...

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        """Every organisation's attestation of `digest` (hex, no 0x)."""
        ...

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        """Every attestation an organisation made."""
        ...

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        """The verification statements whose reference is this figures attestation."""
        ...

    def attestation(self, uid: str) -> OnchainAttestation | None:
        """One attestation by uid, or None."""
        ...

    def neutrality_claims(self, statement_uids: Sequence[str]) -> dict[str, NeutralityRecord]:
        """The `NeutralityClaimed` record of each of these statements that has one (by lower-case uid)."""
        ...

    def credit_claims_of(self, statement_uid: str) -> list[ClaimRecord]:
        """The credit blocks a statement's anchoring recorded (`CreditClaimed`)."""
        ...

    def credit_claims_on(self, issuance_keys: Sequence[str]) -> list[ClaimRecord]:
        """Every claim by any statement on any of these issuances, in log order."""
        ...

    def credit_claims_all(self) -> list[ClaimRecord]:
        """Every claim by any statement on any issuance, in log order (Verra's old spellings)."""
        ...

    def block_hash(self, number: int) -> str | None:
        """The hash of block `number`, or None if there is no such block."""
        ...

    def block_timestamp(self, number: int) -> int:
        """The timestamp of an existing block `number`."""
        ...


class Proves(Protocol):
    """What `Reading` asks of a prover as it reads (attest.app.proven.Prover): prove these records'
    storage, and these blocks' logs, against the trusted block (kept; asked once)."""

    def prefetch(self, uids: Sequence[str]) -> None: ...

    def prefetch_logs(self, blocks: Iterable[int]) -> None: ...


class Reading:
    """A `ChainFacts` that remembers what was read through it (`read`): what one target's verdict can
    rest on. Two reads are not remembered as they are answered, and say why: `attestations_by_org`
    (only to explain a digest that is not attested: "it anchored other content for that year") and
    `credit_claims_all` (every claim of the registry: attest.app.credits records the question it
    answered, the Verra units it mattered for, and the few claims that overlap them —
    `Read.saw_elsewhere` — and their claimants are read again, one by one, as the records they are)."""

    def __init__(self, inner: ChainFacts, prover: Proves | None = None) -> None:
        self.inner = inner
        self.read = Read()
        self.prover = prover

    def _proved(self, records: Sequence[OnchainAttestation], *, uids: Sequence[str] = ()) -> None:
        """Prove what was just read, as it is read: the records' storage (and their organisations'
        and attesters' standing) against the trusted block, and the logs of their blocks (anchoring,
        revocation) by those blocks' receipts. Kept by the prover (one batch per read; nothing again
        when a bulk run proved its chunk ahead); `attest.app.proven.Prover.attach` compares them
        with what the node said and says what each line rests on."""
        if self.prover is None:
            return
        self.prover.prefetch([*(a.uid for a in records), *uids])
        blocks = [a.block_number for a in records]
        blocks += [a.revocation.block_number for a in records if a.revocation is not None]
        self._logs_proved(blocks)

    def _logs_proved(self, blocks: Sequence[int]) -> None:
        if self.prover is not None and blocks:
            self.prover.prefetch_logs(blocks)

    def expect(self, uid: str) -> None:
        """The attestation id the verdict expects (the expected organisation's, of the digest: computed,
        never the node's), proven now with what is read, so a record the node leaves out is found."""
        if self.prover is not None:
            self.prover.prefetch([uid])

    def deployment_facts(self) -> DeploymentFacts:
        return self.inner.deployment_facts()

    def head(self) -> int:
        return self.inner.head()

    def membership_history(self) -> MembershipHistory:
        return self.inner.membership_history()

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        found = self.inner.attestations_of_digest(digest)
        self.read.saw(found)
        self._proved(found)
        return found

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        return self.inner.attestations_by_org(org_id)

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        found = self.inner.covering_statements(figures_uid)
        self.read.saw(found)
        self.read.covered.update((figures_uid.lower(), s.uid.lower()) for s in found)
        self._proved(found)
        return found

    def attestation(self, uid: str) -> OnchainAttestation | None:
        found = self.inner.attestation(uid)
        self.read.saw([found] if found is not None else [])
        self._proved([found] if found is not None else [], uids=[uid.lower()])
        return found

    def reference_of(self, statement: OnchainAttestation) -> OnchainAttestation | None:
        """The attestation `statement` references (its `ref`), read and relied on: for a verification
        statement, as what it covers, which its `Covered` log must show (a disclosure root references
        its figures too, bound by `disclosureOf`, with no `Covered` log)."""
        found = self.attestation(statement.ref)
        if found is not None and statement.kind is Kind.STATEMENT:
            self.read.saw([statement])
            self.read.covered.add((statement.ref.lower(), statement.uid.lower()))
        return found

    def neutrality_claims(self, statement_uids: Sequence[str]) -> dict[str, NeutralityRecord]:
        found = self.inner.neutrality_claims(statement_uids)
        self.read.neutrality.update(found)
        self.read.neutrality_asked.update(u.lower() for u in statement_uids)
        self._logs_proved([r.block_number for r in found.values()])
        return found

    def credit_claims_of(self, statement_uid: str) -> list[ClaimRecord]:
        found = self.inner.credit_claims_of(statement_uid)
        self.read.saw_claims(found)
        self.read.claims_asked.add(statement_uid.lower())
        self._logs_proved([c.block_number for c in found])
        return found

    def credit_claims_on(self, issuance_keys: Sequence[str]) -> list[ClaimRecord]:
        found = self.inner.credit_claims_on(issuance_keys)
        self.read.saw_claims(found)
        self.read.claim_keys.update(k.lower() for k in issuance_keys)
        self._logs_proved([c.block_number for c in found])
        return found

    def saw_elsewhere(self, asked: UnitsElsewhere, found: Sequence[ClaimRecord]) -> None:
        """Every claim was read to answer `asked` (attest.app.credits): remembered, and the claims
        `found` answering it proven by their blocks' receipts, as every claim read is."""
        self.read.saw_elsewhere(asked, found)
        self._logs_proved([c.block_number for c in found])

    def credit_claims_all(self) -> list[ClaimRecord]:
        return self.inner.credit_claims_all()

    def block_hash(self, number: int) -> str | None:
        return self.inner.block_hash(number)

    def block_timestamp(self, number: int) -> int:
        return self.inner.block_timestamp(number)


class LiveFacts:
    """`ChainFacts` read from the node for each question: the path of a single `attest verify`."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._deployment_facts: DeploymentFacts | None = None

    def deployment_facts(self) -> DeploymentFacts:
        """Read once: the registry's bound governance is immutable."""
        if self._deployment_facts is None:
            m = self.deployment.manifest
            self._deployment_facts = DeploymentFacts(
                chain_id=m.chain_id,
                registry=m.registry.address,
                governance=m.governance.address,
                bound_governance=str(self.deployment.registry.call("membership")),
                manifest_sha256=m.file_sha256,
                confirmations_required=self.deployment.chain.confirmations,
            )
        return self._deployment_facts

    def head(self) -> int:
        return self.deployment.chain.head()

    def membership_history(self) -> MembershipHistory:
        return self.deployment.membership_history()

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        return self.deployment.attestations_of_digest(digest)

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        return self.deployment.attestations_by_org(org_id)

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        return self.deployment.covering_statements(figures_uid)

    def attestation(self, uid: str) -> OnchainAttestation | None:
        return self.deployment.attestation(uid)

    def neutrality_claims(self, statement_uids: Sequence[str]) -> dict[str, NeutralityRecord]:
        return self.deployment.neutrality_claims(statement_uids)

    def credit_claims_of(self, statement_uid: str) -> list[ClaimRecord]:
        return self.deployment.credit_claims_of(statement_uid)

    def credit_claims_on(self, issuance_keys: Sequence[str]) -> list[ClaimRecord]:
        return self.deployment.credit_claims_on(issuance_keys)

    def credit_claims_all(self) -> list[ClaimRecord]:
        return self.deployment.credit_claims_all()

    def block_hash(self, number: int) -> str | None:
        return self.deployment.block_hash(number)

    def block_timestamp(self, number: int) -> int:
        return self.deployment.chain.timestamp(number)
