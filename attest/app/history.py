"""An organisation's record in the registry: every attestation, its standing, and who vouched for it.

A reader asking "which of WeBank's 2022 figures count?" needs the whole story at once — what was
anchored, what was restated by what, what was revoked (when, by whom, why) and which verification
statements cover each — not one file at a time. Reads come only from the manifest's registry.
`neutrality_history` follows a carbon-neutrality commitment the same way, one row per year.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.credits import NeutralityRecord
from attest.core.records import OnchainAttestation
from attest.core.registry_records import RecordsFile, RegistryUnits, units_by_registry
from attest.core.verification import Report, attestation_status

if TYPE_CHECKING:
    from attest.app.bulk import IndexedFacts
    from attest.app.proven import Prover


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
    names = _names(dep, org_id)
    found = [a for a in dep.attestations_by_org(org_id) if year is None or a.year == year]
    found.sort(key=lambda a: (a.block_number, a.log_index))
    return _entries(dep, found, names)


def _names(dep: Deployment, org_id: int) -> dict[int, str]:
    names = dep.membership_history().organisation_names()
    if org_id not in names:
        from attest.core.errors import InputError

        raise InputError(f"no admitted organisation #{org_id}", field="--org")
    return names


def _entries(dep: Deployment, found: list[OnchainAttestation], names: dict[int, str]) -> list[HistoryEntry]:
    statements = dep.covering_statements_of([a.uid for a in found if a.kind is Kind.FIGURES])
    out = []
    for a in found:
        covering = []
        if a.kind is Kind.FIGURES:
            for s in statements.get(a.uid.lower(), []):
                verifier = f"{names.get(s.org_id, '?')} (org #{s.org_id})"
                covering.append(Covering(s, verifier, describe_status(s, names)))
        out.append(HistoryEntry(a, describe_status(a, names), covering, _revoked_by(a, names)))
    return out


#: attestations on one page of the history: what one screen shows
PER_PAGE = 10


@dataclass(frozen=True)
class HistoryPage:
    """One page of an organisation's history, newest first, filtered by year and kind.

    Only the page's attestations are decoded, settled (revoked, superseded, covering statements)
    and dated; the counts (`total`, `matching`, `years`, `kinds`) come from the `Attested` logs,
    which say nothing of revocation. `anchored_at`: each shown block's time, as the node reports it."""

    org_id: int
    entries: list[HistoryEntry]
    anchored_at: dict[int, int]
    total: int
    matching: int
    page: int
    pages: int
    per_page: int
    years: list[tuple[int, int]]
    kinds: list[tuple[str, int]]


_LABELS = {k.value: k.label for k in Kind}

#: an organisation's `Attested` logs, each with (block number, log index, kind, year): what a
#: history page sorts, counts and filters by
Placed = list[tuple[tuple[int, int, int, int], Any]]


@dataclass(frozen=True)
class HistoryIndex:
    """An organisation's `Attested` logs up to block `block` (whose hash was `block_hash`), each
    placed (`events.attested_place`). A server keeps one per organisation and brings it up to the
    head with the logs of the new blocks only (`history_index`)."""

    org_id: int
    block: int
    block_hash: str
    placed: Placed


def history_index(dep: Deployment, org_id: int, since: HistoryIndex | None = None) -> HistoryIndex:
    """`org_id`'s `Attested` logs up to the head, placed. With `since` (an earlier index of the
    same organisation) only the blocks after its block are read, if that block is still the
    chain's (its hash unchanged, so is every block before it); else, after a reorganisation,
    everything is read again."""
    from attest.chain import events

    head = dep.chain.block("latest")
    number, block_hash = events.as_int(head["number"]), str(head["hash"]).lower()
    start: int | None = None
    kept: Placed = []
    still = since is not None and since.org_id == org_id and since.block <= number
    if since is not None and still and dep.chain.block_hash(since.block).lower() == since.block_hash:
        if since.block == number:
            return since
        start, kept = since.block + 1, since.placed
    logs = dep.attested_logs_by_org(org_id, from_block=start, to_block=number)
    placed = [(events.attested_place(log), log) for log in logs]
    return HistoryIndex(org_id, number, block_hash, kept + placed)


def history_page(
    dep: Deployment,
    org_id: int,
    *,
    year: int | None = None,
    kind: Kind | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    index: HistoryIndex | None = None,
) -> HistoryPage:
    """Page `page` (from 1; past the last, the last) of `org_id`'s attestations, newest first, for
    `year` and of `kind` when given. `index`: the organisation's `history_index` when the caller
    already holds it, else read here."""
    from collections import Counter

    from attest.chain import events

    names = _names(dep, org_id)
    placed = (history_index(dep, org_id) if index is None else index).placed
    matching = [
        (p, log) for p, log in placed if (year is None or p[3] == year) and (kind is None or p[2] == kind)
    ]
    matching.sort(key=lambda x: (x[0][0], x[0][1]), reverse=True)
    pages = max(1, -(-len(matching) // per_page))
    page = min(max(1, page), pages)
    shown = [events.attested(log) for _, log in matching[(page - 1) * per_page : page * per_page]]
    settled = {a.uid: a for a in dep.settle(shown)}
    entries = _entries(dep, [settled[a.uid] for a in shown if a.uid in settled], names)
    from attest.chain.index import read_blocks  # the shown blocks' times, in one batch request

    times = {n: t for n, (_, t) in read_blocks(dep, sorted({a.block_number for a in shown})).items()}
    years = Counter(p[3] for p, _ in placed)
    kinds = Counter(_LABELS.get(p[2], f"kind {p[2]}") for p, _ in placed)
    return HistoryPage(
        org_id=org_id,
        entries=entries,
        anchored_at=times,
        total=len(placed),
        matching=len(matching),
        page=page,
        pages=pages,
        per_page=per_page,
        years=sorted(years.items(), reverse=True),
        kinds=sorted(kinds.items()),
    )


# ---------------------------------------------------------------- the neutrality commitment


@dataclass(frozen=True)
class NeutralityYear:
    """One reporting year of an organisation's carbon-neutrality commitment, as the chain records it.

    `figures`: that year's current figures (else the latest, superseded or revoked); `statement`: the
    statement backing a neutrality claim for them (a live one if any); `claim` its on-chain record;
    `double_claims`: its blocks also claimed by another live statement, in words."""

    year: int
    figures: OnchainAttestation | None
    statement: OnchainAttestation | None
    verifier: str | None
    claim: NeutralityRecord | None
    double_claims: list[str]
    figures_status: str | None
    statement_status: str | None
    # the claimed credits per registry (and, with registry records, the units they confirm)
    credits: list[RegistryUnits] = field(default_factory=list)
    # the statement's own verification, by the same checks as `attest verify` (its digest, its
    # verifier's attestation): None without a statement
    verification: Report | None = None
    # how complete the rows are: whose logs of the organisation's attestations and of each year's
    # covering statements were asked, up to which block (None: only the reading node's index)
    complete_as: str | None = None
    # what the row's choice of figures and statement rests on beyond the proofs: revocations and
    # restatements the node dates after the trusted block; with `require` (--require-proofs) the row
    # is not met while there are any
    chosen_on: tuple[str, ...] = ()
    require: bool = False

    @property
    def gap(self) -> bool:
        """No figures anchored for the year, or none backed by a neutrality claim."""
        return self.figures is None or self.claim is None

    @property
    def claim_met(self) -> bool | None:
        return None if self.claim is None else self.claim.retired_tonnes >= self.claim.residual_tonnes

    @property
    def credits_unique(self) -> bool | None:
        """None without a claim, or when its statement was revoked (its claim no longer counts)."""
        if self.claim is None or self.statement is None or self.statement.revoked:
            return None
        return not self.double_claims

    @property
    def status(self) -> str:
        """gap | revoked | superseded | current: the weakest of the figures' and the statement's."""
        if self.gap:
            return "gap"
        assert self.figures is not None and self.statement is not None
        if self.figures.revoked or self.statement.revoked:
            return "revoked"
        if self.figures.superseded_by:
            return "superseded"
        return "current"

    @property
    def met(self) -> bool:
        verified = self.verification is None or self.verification.verified
        chosen = not (self.require and self.chosen_on)
        return (
            self.status == "current"
            and bool(self.claim_met)
            and bool(self.credits_unique)
            and verified
            and chosen
        )

    def to_json(self) -> dict[str, Any]:
        c = self.claim
        return {
            "year": self.year,
            "status": self.status,
            "met": self.met,
            "figures_anchored": self.figures is not None,
            "figures": None
            if self.figures is None
            else {"uid": self.figures.uid, "digest": self.figures.digest, "status": self.figures_status},
            "statement_covering": self.statement is not None and c is not None,
            "statement": None
            if self.statement is None
            else {
                "uid": self.statement.uid,
                "digest": self.statement.digest,
                "verifier_org_id": self.statement.org_id,
                "verifier": self.verifier,
                "status": self.statement_status,
            },
            "claim_met": self.claim_met,
            "residual_tonnes": None if c is None else c.residual_tonnes,
            "retired_tonnes": None if c is None else c.retired_tonnes,
            "credits_unique": self.credits_unique,
            "double_claims": self.double_claims,
            "statement_verification": None if self.verification is None else self.verification.to_json(),
            "complete_as": self.complete_as,
            "chosen_on_the_nodes_word": list(self.chosen_on),
            "verified_emissions_tonnes": None if c is None else c.residual_tonnes,
            "credits_by_registry": [
                {
                    "registry": u.registry,
                    "blocks": u.blocks,
                    "units": u.units,
                    "confirmed_by_records": u.confirmed,
                }
                for u in self.credits
            ],
        }


def neutrality_history(
    dep: Deployment,
    org_id: int,
    *,
    to_year: int | None = None,
    registry_records: tuple[RecordsFile, ...] | None = None,
    prover: Prover | None = None,
) -> list[NeutralityYear]:
    """One row per reporting year from the organisation's first neutrality claim (a statement's
    `NeutralityClaimed` for its figures) to its latest year (or `to_year`), a year without figures
    or without a claim included as a gap. Read from one scan of the registry's logs and its storage
    (`IndexedFacts`), so each row says what `verify` would of its figures' statement. Each row's
    credits are counted per registry (the chain records issuance keys: a registry is named where the
    table — Verra's one key — or the `registry_records` given identify the issuance), with the units
    those records show retired for the organisation; a unit claimed in two years is a double claim.

    With a `prover`, each row's statement is verified as `attest verify` verifies it: what is read is
    proven as it is read, against the trusted block, and every line says what it rests on; a row is
    met only if that verification is (so under `--require-proofs`, only if it is proven). Which
    figures and statement a row stands on is held to every node's logs and to the proofs (`_Choice`),
    and what no proof reaches yet is named on the row. Without a prover the rows rest on the reading
    node's index alone."""
    from attest.app.bulk import IndexedFacts
    from attest.app.credits import statement_credits
    from attest.app.verify import finish, gather, read_target
    from attest.chain.index import registry_index
    from attest.core.credits import collisions, describe_collision
    from attest.core.errors import InputError

    history = dep.membership_history()
    names = history.organisation_names()
    if org_id not in names:
        raise InputError(f"no admitted organisation #{org_id}", field="--org")
    facts = IndexedFacts(dep, registry_index(dep), history, {})
    mine = sorted(facts.attestations_by_org(org_id), key=_place)
    choice = _Choice(prover, facts, org_id) if prover is not None and prover.logs is not None else None
    if choice is not None:  # which years, which figures of a year: every node's logs, not one node's
        choice.everywhere += choice.complete("attestation", "attested", 1, [a.uid for a in mine])
        theirs = [r for r in facts.index.neutrality.values() if r.beneficiary_org_id == org_id]
        held = [r.statement_uid for r in theirs]
        choice.everywhere += choice.complete("neutrality claim of statement", "neutrality_claimed", 1, held)
        choice.prove_claims(theirs)  # the figures and year each claims for: which years have rows
    figures = [a for a in mine if a.kind is Kind.FIGURES]
    claims = {r.figures_uid: r for r in facts.index.neutrality.values() if r.beneficiary_org_id == org_id}
    claimed_years = [f.year for f in figures if f.uid in claims]
    if not claimed_years:
        return []
    first = min(claimed_years)
    last = max([first, *(a.year for a in mine), *([to_year] if to_year is not None else [])])
    if choice is not None:  # every record a row is chosen by, proven as the node answered it
        choice.prove([*mine, *(s for f in figures for s in facts.covering_statements(f.uid))])
    rows = []
    for year in range(first, last + 1):
        of_year = [f for f in figures if f.year == year]
        current = [f for f in of_year if not f.revoked and not f.superseded_by]
        chosen = (current or of_year)[-1] if of_year else None
        statement: OnchainAttestation | None = None
        record: NeutralityRecord | None = None
        verifier: str | None = None
        double: list[str] = []
        per_registry: list[RegistryUnits] = []
        candidates = list(of_year)
        not_final: list[str] = []  # what this row's choice of statement is not final about
        ordered: list[str] = []  # what of the candidates' order in one block could not be proven
        if chosen is not None:
            # "latest" by place in the chain (proven block, log index), never by the order of the answer
            covering = sorted(facts.covering_statements(chosen.uid), key=_place)
            candidates += covering
            if choice is not None:  # a later statement left out would leave the row on an earlier one
                held = [s.uid for s in covering]
                not_final = choice.complete(
                    f"statement covering {chosen.uid}", "covered", 2, held, chosen.uid
                )
            backing = [s for s in covering if s.uid.lower() in facts.index.neutrality]
            live = [s for s in backing if not s.revoked]
            statement = (live or backing)[-1] if backing else None
        if statement is not None:
            record = facts.index.neutrality[statement.uid.lower()]
            verifier = f"{names.get(statement.org_id, '?')} (org #{statement.org_id})"
        if statement is not None and chosen is not None and not statement.revoked:
            c = statement_credits(facts, statement, None, chosen)
            found, _ = collisions(c.blocks(), c.statement_uid, c.own, c.claims, c.claimants)
            double = [describe_collision(x, names, statement.block_number) for x in found]
        verification = None
        if statement is not None:
            claimed = [(r.issuance_key, r.first, r.last) for r in facts.credit_claims_of(statement.uid)]
            per_registry = units_by_registry(claimed, [names[org_id]], registry_records)
            # the statement verified as `attest verify DIGEST --org VERIFIER` would: the same checks
            digest = statement.digest.removeprefix("0x")
            target = read_target(digest)
            subject = f"statement {statement.uid}"
            evidence = gather(facts, target, subject, str(statement.org_id), False, prover=prover)
            verification = finish(facts, evidence, prover)
        if choice is not None:  # two candidates in one block: their order proven by its receipts
            ordered = choice.order(candidates)
        rows.append(
            NeutralityYear(
                year,
                chosen,
                statement,
                verifier,
                record,
                double,
                describe_status(chosen, names) if chosen is not None else None,
                describe_status(statement, names) if statement is not None else None,
                per_registry,
                verification,
                choice.complete_as() if choice is not None else None,
                tuple(dict.fromkeys([*choice.everywhere, *not_final, *choice.on_word(candidates), *ordered]))
                if choice is not None
                else (),
                choice is not None and choice.require,
            )
        )
    return rows


class _Choice:
    """What a history's rows are chosen by, held to every node's logs and to the proofs.

    Which years have figures, which figures of a year are the latest current ones, which statements
    cover them and which of those claim neutrality come from the reading node's index. A node that
    left one out, or answered a record's kind, year, revocation or restatement otherwise, would move a
    row onto other figures or another statement — one whose own verification is genuinely proven. So
    every node is asked for those logs up to its head (`LogProver.logs_complete`), every record read
    is proven at the trusted block (`Prover.record_lies`), and either difference is a chain error
    naming the nodes (exit 3). What the proofs cannot reach — a revocation or restatement the node
    dates after the trusted block — is named on the row (`chosen_on`): with --require-proofs the row
    is not met."""

    def __init__(self, prover: Prover, facts: IndexedFacts, org_id: int) -> None:
        assert prover.logs is not None
        self.prover, self.logs, self.facts = prover, prover.logs, facts
        self.org_topic = "0x" + org_id.to_bytes(32, "big").hex()
        self.require = prover.policy.require
        self.upto = facts.index.head  # the last block the index read
        self.answered: list[str] = []
        self.silent: list[str] = []
        # what every row's choice rests on beyond proofs and every node's logs: neutrality claims no
        # proof reaches (after the trusted block, or their blocks unproven), logs only some nodes hold
        # or answered: which years have rows, and which records are latest, rest on the node's word
        self.everywhere: list[str] = []

    def complete(
        self, what: str, event: str, key: int, held: list[str], figures: str | None = None
    ) -> list[str]:
        """Ask every node for the registry's `event` logs (of this organisation; or of `figures`,
        for Covered) and stop when one holds an id (topic `key`) that `held` leaves out up to the
        block the rows were read to; return what the choice is not final about (a log some node
        holds after that block, a node that did not answer)."""
        from attest.chain import events
        from attest.core.errors import ChainError

        topic0 = "0x" + getattr(events.topics(), event).hex()
        topics: list[Any] = [topic0, None, None, self.org_topic]  # the organisation's (topic 3)
        if figures is not None:
            topics = [topic0, figures.lower()]  # the Covered logs of these figures (topic 1)
        left_out, beyond, answered, silent = self.logs.logs_complete(what, topics, key, held, self.upto)
        if left_out:
            raise ChainError(
                f"the nodes' logs differ: {'; '.join(left_out)}, which the reading node's logs left out — "
                "the history would rest on one node's partial logs: ask again, reading from another "
                "node (the first --rpc-url), or leave out the node that leaves them out"
            )
        self.answered = list(dict.fromkeys([*self.answered, *answered]))
        self.silent = list(dict.fromkeys([*self.silent, *silent]))
        # what another node already holds past the block the rows were read to (the reading node's
        # head, which it may report low), and what rests on fewer nodes than were given: the choice
        # is not final as to these (said on the rows; --require-proofs: not met)
        return [
            *beyond,
            *(f"whether every {what} is known rests on the other nodes' logs ({x})" for x in silent),
        ]

    def prove(self, records: list[OnchainAttestation]) -> None:
        """Prove every record a row may be chosen by at the trusted block; stop on a contradiction."""
        from attest.core.errors import ChainError

        self.prover.prefetch([a.uid for a in records])
        lies = self.prover.record_lies(records)
        if lies:
            raise ChainError(
                f"node {self.prover.node} contradicts the proofs at block {self.logs.trusted.number}: "
                + "; ".join(dict.fromkeys(lies))
            )
        # a record written after the trusted block is in no proof: what it is (kind, year) and where it
        # sits are the node's word, and any of them could decide a row
        block = self.logs.trusted.number
        self.everywhere += [
            f"attestation {a.uid} at block {a.block_number}, after block {block}: what it is (its kind and "
            "year) is the node's word"
            for a in records
            if a.block_number > block
        ]

    def order(self, candidates: list[OnchainAttestation]) -> list[str]:
        """Prove the Attested logs of candidates that share a block (their order there, their log
        index, is otherwise the node's word: "latest" of two in one block); stop on a contradiction,
        return what could not be proven."""
        from attest.core.errors import ChainError

        blocks = Counter(a.block_number for a in candidates)
        tied = [a for a in candidates if blocks[a.block_number] > 1]
        if not tied:
            return []
        lies, unproven = self.logs.prove_attested(tied)
        if lies:
            raise ChainError(
                f"node {self.prover.node}'s logs contradict the proven receipts: " + "; ".join(lies)
            )
        return unproven

    def prove_claims(self, claims: list[NeutralityRecord]) -> None:
        """Prove the organisation's neutrality claims by their blocks' receipts (the figures and year
        each names decide which years have rows, and from which year the commitment runs); stop on a
        contradiction, and keep what no proof reaches to name on every row."""
        from attest.core.errors import ChainError

        block = self.logs.trusted.number
        lies, unproven = self.logs.prove_neutrality(claims)
        if lies:
            raise ChainError(
                f"node {self.prover.node}'s logs contradict the proven receipts: " + "; ".join(lies)
            )
        self.everywhere += [
            *(
                f"the neutrality claim of {r.statement_uid} at block {r.block_number}, after block {block}"
                for r in claims
                if r.block_number > block
            ),
            *unproven,
        ]

    def on_word(self, candidates: list[OnchainAttestation]) -> list[str]:
        """The revocations and restatements the node puts after the trusted block among a row's
        candidates (its year's figures, their covering statements): the proofs show the record live
        and unrestated at that block, so the row's choice rests on the node's word there."""
        out = []
        block = self.logs.trusted.number
        for a in candidates:
            held = self.prover.proven_record(a.uid)
            if held is None:
                continue
            if not held.exists:  # written after that block: whatever the node says of it is its word
                if a.revoked or a.superseded_by:
                    out.append(f"the revocation or restatement of {a.uid}, a record after block {block}")
                continue
            if a.revoked and not held.revoked:
                out.append(f"the revocation of {a.uid}, after block {block}")
            if a.superseded_by and not held.superseded_by:
                out.append(f"the restatement of {a.uid} by {a.superseded_by}, after block {block}")
        return out

    def complete_as(self) -> str:
        return (
            "the organisation's attestations and neutrality claims and each year's covering statements: "
            f"as complete as the logs of node(s) {', '.join(self.answered)}, each up to block {self.upto}; "
            f"the records they name proven against block {self.logs.trusted.number}"
            + "".join(f" ({x})" for x in self.silent)
        )


def _place(a: OnchainAttestation) -> tuple[int, int]:
    """Where an attestation sits in the chain: its block (proven with its record), its log index."""
    return a.block_number, a.log_index


def _mark(value: bool | None) -> str:
    return "—" if value is None else ("✓" if value else "✗")


def neutrality_lines(name: str, org_id: int, rows: list[NeutralityYear]) -> list[str]:
    """The human form of `neutrality_history`: a table, each row followed by what it rests on
    (text from the chain: print it through `attest.core.report_text.printable`)."""
    if not rows:
        return [f"{name} (org #{org_id}): no carbon-neutrality claim on record"]
    span = f"{rows[0].year}–{rows[-1].year}" if len(rows) > 1 else str(rows[0].year)
    out = [
        f"{name} (org #{org_id}): carbon neutrality, {span}",
        "year  figures  statement  claim met            credits unique  status",
    ]
    for r in rows:
        c = r.claim
        met = "—"
        if c is not None:
            met = (
                f"✓ {c.retired_tonnes} ≥ {c.residual_tonnes} t"
                if r.claim_met
                else f"✗ {c.retired_tonnes} < {c.residual_tonnes} t"
            )
        out.append(
            f"{r.year}  {_mark(r.figures is not None):<7}  {_mark(c is not None):<9}  {met:<19}  "
            f"{_mark(r.credits_unique):<14}  {r.status}"
        )
        if r.figures is None:
            out.append("      no figures anchored for this year")
            continue
        out.append(f"      figures   {r.figures.uid}: {r.figures_status}")
        if r.statement is None or c is None:
            out.append("      no statement backs a neutrality claim for these figures")
            continue
        out.append(f"      statement {r.statement.uid} by {r.verifier}: {r.statement_status}")
        out.append(f"      verified emissions {c.residual_tonnes} t, credits retired {c.retired_tonnes} t")
        out.extend(f"      credits   {u.describe()}" for u in r.credits)
        out.extend(f"      claimed twice: {d}" for d in r.double_claims)
        if r.verification is not None:
            checks = r.verification.checks
            failed = [c.name + (" (unproven)" if c.unproven else "") for c in checks if c.status == "fail"]
            out.append(
                "      verify    the statement "
                + ("VERIFIED" if r.verification.verified else f"NOT VERIFIED (failed: {', '.join(failed)})")
                + f" (attest verify {r.statement.digest.removeprefix('0x')} --org {r.statement.org_id})"
            )
            # what that verdict rests on: its `proofs` line (proven against which block, or why not)
            out.extend(f"      proofs    {c.detail}" for c in r.verification.checks if c.name == "proofs")
        if r.chosen_on:
            unmet = " — not met: --require-proofs" if r.require else ""
            out.append(f"      chosen on the node's word: {'; '.join(r.chosen_on)}{unmet}")
    complete = rows[-1].complete_as
    out.append(
        f"complete: {complete}"
        if complete is not None
        else "complete: as the reading node's index of the registry's logs (nothing was proven)"
    )
    return out
