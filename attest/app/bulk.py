"""Verify thousands of files, receipts or digests with a bounded number of chain reads.

`attest.app.verify.verify_target` asks the chain about one target at a time (a handful of round trips
each). An auditor checking a year's evidence must not pay that per file, so here targets are read
PREFETCH at a time and the chain is asked about each chunk together: the registry's logs those
targets reach (`attest.chain.index.TargetedIndex`: their digests' `Attested` events and what those
lead to, by indexed topic — never a scan of the whole registry, so the cost follows the number of
targets, not the registry's size), the block headers those attestations name, and the registry's
storage of those attestations (JSON-RPC batch requests); with a `Prover`, the storage proofs of the
whole chunk too. The governance history is replayed once. Each target's evidence is then gathered
by `attest.app.verify`'s own code from those reads (`IndexedFacts`, the bulk implementation of
`attest.app.facts.ChainFacts`), and the same pure `decide` turns it into the same report: the rules
live in one place, only the facts' source differs.

Revocation and supersession come from the same source on both paths: the registry's storage
(`Deployment.stored_states`, at the scanned head), never from events, which can outlive what they
announced (a `Superseded` event stays when the restatement is revoked and the original is current
again). The events give what storage does not keep: the attestations themselves (their `Attested`
facts are written once, in the same transaction), who revoked and why, and the restatements since
revoked — combined with storage by `attest.core.records.settled`, as `verify_target` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from attest.app.facts import LiveFacts
from attest.app.proven import Prover
from attest.chain.deployment import Deployment
from attest.chain.index import RegistryIndex, TargetedIndex, read_blocks
from attest.core.credits import ClaimRecord, CreditPolicy, NeutralityRecord
from attest.core.errors import AttestError, ChainError
from attest.core.inputs import walk
from attest.core.membership_history import MembershipHistory, Position, Standing
from attest.core.records import OnchainAttestation, StoredState, settled
from attest.core.sidefiles import SideFile, receipt_name, side_file
from attest.core.verification import Report, unreadable

if TYPE_CHECKING:
    from attest.app.verify import Target

Progress = Callable[[int, int], None]
PREFETCH = 500  # targets read ahead, whose attestations' storage is read together


@dataclass(frozen=True)
class Targets:
    """What the command line's targets stand for, in order, and what a directory walk left out.

    `beside` maps each receipt found in a directory to the document its name stands for there
    (None when that document is missing): in a directory a receipt is evidence about the file beside
    it, so a receipt without its document, or describing another, fails instead of passing alone.
    """

    items: list[str]
    beside: dict[str, str | None] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)


def expand_targets(items: Iterable[str]) -> Targets:
    """Targets from the command line: directories become their files (`attest.core.inputs.walk`: path
    order; hidden entries, links to directories, non-regular files and side files that are never a
    document left out and listed in `skipped`), explicit files and bare digests kept as given.

    In a directory every document is judged: through the receipt beside it when there is one (which
    hashes the document itself and binds the receipt to it by name and digest), otherwise alone.
    Canonical-form copies are skipped (their document is checked). Two documents whose names claim
    the same receipt name (`x` and `x.json` both claim `x.receipt.json`) are each judged alone, and
    the receipt with them, so neither hides behind the other's receipt.
    """
    out = Targets([])
    for item in items:
        if not os.path.isdir(item):
            out.items.append(item)
            continue
        files, left_out = walk(item)
        out.skipped.extend(left_out)
        documents = [f for f in files if side_file(f) is None]
        claims: dict[str, list[str]] = {}  # receipt path -> the documents whose receipt it would be
        for d in documents:
            folder, name = os.path.split(d)
            claims.setdefault(os.path.join(folder, receipt_name(name)), []).append(d)
        through_receipt: set[str] = set()
        for f in files:
            if side_file(f) is SideFile.RECEIPT:
                claimed = claims.get(f, [])
                out.beside[f] = claimed[0] if len(claimed) == 1 else None
                if len(claimed) == 1:
                    through_receipt.add(claimed[0])
        for f in files:
            kind = side_file(f)
            if kind is SideFile.CANONICAL or f in through_receipt:
                continue
            out.items.append(f)
    return out


def iter_verify(
    deployment: Deployment,
    targets: Sequence[str] | Targets,
    *,
    org: str | None = None,
    require_coverage: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    prover: Prover | None = None,
    credit_policy: CreditPolicy | None = None,
) -> Iterator[Report]:
    """The report `verify_target` would give for each target, from one shared read of the chain.

    The evidence is gathered by `attest.app.verify`'s own code (`read_target`, `gather`, `finish`)
    over `IndexedFacts`, so the rules cannot drift apart. Targets are read and decided
    one at a time and each report is yielded at once, so memory does not grow with the number of
    files. `progress(done, total)` is called after each target. A target that is bad input (a missing
    file, a malformed document) gets an `unreadable` report naming its error, and the rest go on:
    one bad file among many fails that file, not the run.
    """
    from attest.app.verify import finish, gather

    history = _MemoHistory.of(deployment.membership_history())
    facts = IndexedFacts(deployment, TargetedIndex(deployment), history)
    beside = targets.beside if isinstance(targets, Targets) else {}
    items = list(targets)
    n = 0
    for start in range(0, len(items), PREFETCH):
        chunk = items[start : start + PREFETCH]
        read = _read_ahead(chunk, beside)
        facts.prefetch(read)
        if prover is not None:
            prover.prefetch(facts.prefetched)
            by_uid = facts.index.by_uid
            prover.prefetch_logs(by_uid[u].block_number for u in facts.prefetched if u in by_uid)
        for target, t in zip(chunk, read, strict=True):
            if isinstance(t, AttestError):  # that file fails, in its turn; the others are still judged
                yield unreadable(target, str(t), t.exit_code)
            else:
                evidence = gather(
                    facts,
                    t,
                    target,
                    org,
                    require_coverage,
                    strict,
                    credit_policy=credit_policy,
                    prover=prover,
                )
                yield finish(facts, evidence, prover)
            n += 1
            if progress is not None:
                progress(n, len(items))


def _read_ahead(chunk: Sequence[str], beside: dict[str, str | None]) -> list[Target | AttestError]:
    """The targets read (digested); one that cannot be has its error in its place."""
    from attest.app.verify import read_target

    out: list[Target | AttestError] = []
    for target in chunk:
        try:
            out.append(read_target(target, in_directory=target in beside, beside=beside.get(target)))
        except AttestError as exc:
            out.append(exc)
    return out


def verify_many(
    deployment: Deployment,
    targets: Sequence[str] | Targets,
    *,
    org: str | None = None,
    require_coverage: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    prover: Prover | None = None,
    credit_policy: CreditPolicy | None = None,
) -> list[Report]:
    """`iter_verify` as a list, for callers that want every report at once."""
    return list(
        iter_verify(
            deployment,
            targets,
            org=org,
            require_coverage=require_coverage,
            strict=strict,
            progress=progress,
            prover=prover,
            credit_policy=credit_policy,
        )
    )


@dataclass
class _MemoHistory(MembershipHistory):
    """The governance history with standings memoised: thousands of targets share few attesters."""

    memo: dict[tuple[str, Position], Standing] = field(default_factory=dict)

    @classmethod
    def of(cls, history: MembershipHistory) -> _MemoHistory:
        return cls(history.events)

    def standing(self, account: str, at: Position) -> Standing:
        key = (account, at)
        if key not in self.memo:
            self.memo[key] = super().standing(account, at)
        return self.memo[key]


class IndexedFacts(LiveFacts):
    """`ChainFacts` answered from shared reads: a registry index (a `TargetedIndex`, filled for each
    chunk of targets by `prefetch` and for anything else when first asked; or a complete
    `RegistryIndex`), the governance history, the block headers of the attestations found, and the
    registry's storage of the attestations asked about (read ahead by `prefetch`, else when first
    asked, and kept). The manifest's facts are `LiveFacts`' own; only the chain's answers come from
    these reads."""

    def __init__(
        self,
        deployment: Deployment,
        index: RegistryIndex | TargetedIndex,
        history: MembershipHistory,
        blocks: dict[int, tuple[str, int]] | None = None,
    ) -> None:
        super().__init__(deployment)
        self.loader = index if isinstance(index, TargetedIndex) else None
        self.index = index.index if isinstance(index, TargetedIndex) else index
        self.history = history
        self.blocks = {} if blocks is None else blocks
        self.orgs_loaded: set[int] = set()
        self.states: dict[str, StoredState] = {}
        self.prefetched: list[str] = []  # the uids the last `prefetch` read, for a prover to prove

    def prefetch(self, targets: Iterable[Target | AttestError]) -> None:
        """Read, in one go, what these targets may ask about: the registry's logs they reach, the
        blocks of those attestations, and the storage of the attestations of their digest (or batch
        root), the statements covering them, what they reference, and the statements claiming the
        same credits; with each digest's own attestation id for the organisation the target names
        (`prefetched`: what a prover proves for the chunk, an attestation the logs left out too)."""
        from attest.core.names import holders
        from attest.core.records import attestation_uid

        read = [t for t in targets if not isinstance(t, AttestError)]
        lookups = [t.lookup for t in read]
        if self.loader is not None:
            self.loader.load_digests(lookups)
        names = self.history.organisation_names()
        uids: list[str] = []
        own: list[str] = []
        for t, d in zip(read, lookups, strict=True):
            orgs = set(holders(t.named_org, names)) if t.named_org is not None else set()
            if t.receipt is not None:
                orgs.add(t.receipt.attestation.org_id)
            own.extend(attestation_uid(o, bytes.fromhex(d)).lower() for o in sorted(orgs) if 0 <= o < 2**32)
            for uid in self.index.by_digest.get(d, []):
                uids.append(uid)
                covering = self.index.covered_by.get(uid, [])
                uids.extend(covering)
                uids.append(self.index.by_uid[uid].ref)
                for statement in (uid, *covering):  # whoever claims the same credits
                    for claim in self.index.claims_of.get(statement, []):
                        uids.extend(c.statement_uid for c in self.index.claims_on[claim.issuance_key])
        known = [u for u in dict.fromkeys(uids) if u in self.index.by_uid]
        self._read_states(known)
        self._read_blocks(self.index.by_uid[u].block_number for u in known)
        self.prefetched = list(dict.fromkeys([*known, *own]))

    def _read_blocks(self, numbers: Iterable[int]) -> None:
        missing = sorted({n for n in numbers if n not in self.blocks and 0 <= n <= self.index.head})
        if missing:
            self.blocks.update(read_blocks(self.deployment, missing))

    def _known(self, uids: Iterable[str]) -> None:
        """Make sure the index holds these attestations' events (a targeted index asks for them)."""
        if self.loader is not None:
            self.loader.load_uids([u.lower() for u in uids if u.lower() not in self.index.by_uid])

    def _read_states(self, uids: Iterable[str]) -> None:
        missing = [u for u in dict.fromkeys(uids) if u not in self.states]
        if missing:
            self.states.update(self.deployment.stored_states(missing, block=self.index.head))

    def _settled(self, records: list[OnchainAttestation]) -> list[OnchainAttestation]:
        """`records` (from the index) as storage says they stand, with the index's history."""
        self._read_states(a.uid for a in records)
        index = self.index
        return [
            settled(a, self.states[a.uid], index.replacements.get(a.uid, ()), index.revocations)
            for a in records
            if self.states[a.uid].exists
        ]

    def head(self) -> int:
        return self.index.head

    def membership_history(self) -> MembershipHistory:
        return self.history

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        if self.loader is not None:
            self.loader.load_digests([digest.lower()])  # asked before: nothing to do
        return self._settled(self.index.of_digest(digest.lower()))

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        if self.loader is not None and org_id not in self.orgs_loaded:
            self.loader.load_org(org_id)
            self.orgs_loaded.add(org_id)
        return self._settled(self.index.of_org(org_id))

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        return self._settled(self.index.covering(figures_uid.lower()))

    def attestation(self, uid: str) -> OnchainAttestation | None:
        self._known([uid])
        found = self.index.by_uid.get(uid.lower())
        settled_ = self._settled([found]) if found is not None else []
        return settled_[0] if settled_ else None

    def neutrality_claims(self, statement_uids: Sequence[str]) -> dict[str, NeutralityRecord]:
        found = (self.index.neutrality.get(u.lower()) for u in statement_uids)
        return {r.statement_uid: r for r in found if r is not None}

    def credit_claims_of(self, statement_uid: str) -> list[ClaimRecord]:
        return list(self.index.claims_of.get(statement_uid.lower(), []))

    def credit_claims_on(self, issuance_keys: Sequence[str]) -> list[ClaimRecord]:
        keys = dict.fromkeys(k.lower() for k in issuance_keys)
        if self.loader is not None:
            self.loader.load_issuances(list(keys))
        found = [c for k in keys for c in self.index.claims_on.get(k, [])]
        return sorted(found, key=lambda c: (c.block_number, c.log_index))

    def credit_claims_all(self) -> list[ClaimRecord]:
        """Every claim of the registry (a targeted index loads them all the first time this is asked,
        with one query of the `CreditClaimed` topic: only for a statement retiring Verra units, whose
        unit numbers may be claimed under an old spelling), as `attest verify` reads them."""
        if self.loader is not None:
            self.loader.load_all_claims()
        found = [c for claims in self.index.claims_on.values() for c in claims]
        return sorted(found, key=lambda c: (c.block_number, c.log_index))

    def block_hash(self, number: int) -> str | None:
        found = self._lookup(number)
        return None if found is None else found[0]

    def block_timestamp(self, number: int) -> int:
        found = self._lookup(number)
        if found is None:
            raise ChainError(f"block {number} is not on this chain (head {self.index.head})")
        return found[1]

    def _lookup(self, number: int) -> tuple[str, int] | None:
        """(hash, timestamp) of a block up to the head."""
        if number > self.index.head or number < 0:
            return None
        if number not in self.blocks:
            self.blocks.update(read_blocks(self.deployment, [number]))
        return self.blocks.get(number)
