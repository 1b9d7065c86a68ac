"""Verification decisions: an ordered list of named checks, each reported, none skipped silently.

This module is pure: the shell (`attest.app.verify`) gathers the evidence from the file and the chain,
and `decide` turns it into a report. Keeping the decisions here makes every rule testable without a
chain and keeps "OK without checking" impossible: a check that could not be made is reported as such,
and the verdict is positive only when every required check passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from attest.core.contracts import Kind, Role
from attest.core.errors import ChainError
from attest.core.grounds import Fact, Ground, Grounds
from attest.core.membership_history import MembershipHistory, Standing
from attest.core.names import normalise_name
from attest.core.receipt import Receipt, lookup_digest
from attest.core.records import OnchainAttestation, Revocation

if TYPE_CHECKING:
    from collections.abc import Sequence

    from attest.core.credits import ClaimRecord, Collision, CreditEvidence, NeutralityRecord, UnitsElsewhere
    from attest.core.report_summary import Basis

Status = Literal["pass", "fail", "warn", "info"]
CrossCheck = tuple[str, bool, str]
#: A retirement rule's line: ok None is "not confirmed by what is at hand" (a warning; --strict fails it).
RuleCheck = tuple[str, bool | None, str]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    #: What the line rests on — a `Ground`'s label (attest.core.grounds) — and why; set by `rest` once
    #: the facts' grounds are known ("" until then: a report decided from evidence alone).
    rests_on: str = ""
    rests_on_detail: str = ""
    #: Failed only because what it rests on is less than a proof (`--require-proofs`): nothing was
    #: found wrong. Set where the line is failed for that reason (`rested`, the proofs, logs and bound
    #: lines), never read from its words (which may quote a node's or a revoker's text).
    unproven: bool = False

    def __init__(
        self,
        name: str,
        status: Status,
        detail: str,
        rests_on: str = "",
        rests_on_detail: str = "",
        unproven: bool = False,
    ) -> None:
        """The dataclass's own __init__, written out: a frozen dataclass sets each field through
        object.__setattr__ (0.8 us a line), and a bulk run makes some twenty lines per report, twice
        (`decide`, then `rest`). Still frozen: assigning a field afterwards raises."""
        fields = self.__dict__
        fields["name"], fields["status"], fields["detail"] = name, status, detail
        fields["rests_on"], fields["rests_on_detail"] = rests_on, rests_on_detail
        fields["unproven"] = unproven


@dataclass
class Read:
    """What one target's verification read from the chain and relied on: every attestation record,
    credit claim and neutrality claim an `attest.app.facts.Reading` returned. The provers prove
    exactly these (state: `attest.app.proven.Prover`; logs: `attest.app.log_proofs.LogProver`), so a
    fact the rules read is never left on the node's word because a prover did not think of it."""

    records: dict[str, OnchainAttestation] = field(default_factory=dict)  # by lower-case uid
    claims: dict[tuple[int, int], ClaimRecord] = field(default_factory=dict)  # by (block, log index)
    neutrality: dict[str, NeutralityRecord] = field(default_factory=dict)  # by lower-case statement uid
    # the issuances whose claims were asked for: "no other claim on these credits" is a question about
    # them, which every node is asked (attest.app.log_proofs)
    claim_keys: set[str] = field(default_factory=set)
    # the statements whose own credit claims (all of them) and whose neutrality claims were asked for:
    # their anchoring block holds them all, which the log prover compares with what was given
    claims_asked: set[str] = field(default_factory=set)
    neutrality_asked: set[str] = field(default_factory=set)
    # (figures uid, statement uid): a statement read as covering figures — the figures' covering
    # statements, a statement's own reference — which its `Covered` log, in its block, must show
    covered: set[tuple[str, str]] = field(default_factory=set)
    # the claims on a statement's Verra unit numbers under other issuance keys (an old spelling) that
    # were looked for in every claim of the registry: every node is asked the same (attest.app.log_proofs)
    elsewhere_asked: set[UnitsElsewhere] = field(default_factory=set)

    def saw(self, records: Sequence[OnchainAttestation]) -> None:
        """Remember `records`; the same attestation read again must read the same (a node answering
        two ways about one record has the rules decide on one answer and the prover prove the other)."""
        for a in records:
            held = self.records.setdefault(a.uid.lower(), a)
            if held is not a and held != a:
                fields = [f for f in held.__dataclass_fields__ if getattr(held, f) != getattr(a, f)]
                said = "; ".join(f"{f} {getattr(held, f)!r}, then {getattr(a, f)!r}" for f in fields)
                raise ChainError(
                    f"the node answered two ways about attestation {a.uid} ({said}): verify again; "
                    "if it persists, the node is not to be believed"
                )

    def saw_claims(self, claims: Sequence[ClaimRecord]) -> None:
        self.claims.update(((c.block_number, c.log_index), c) for c in claims)

    def saw_elsewhere(self, asked: UnitsElsewhere, found: Sequence[ClaimRecord]) -> None:
        """Remember that every claim was read for `asked`, and the claims `found` answering it (relied
        on by the verdict's warning, so proven by their blocks' receipts as every claim read is)."""
        self.elsewhere_asked.add(asked)
        self.saw_claims(found)


@dataclass(frozen=True)
class DeploymentFacts:
    """The deployment a verification is about, the same for every target of a run: what the manifest
    names, and the governance the registry is immutably bound to (read from the chain). Organisation
    names and roles are only believed when the two governances agree."""

    chain_id: int
    registry: str
    governance: str
    bound_governance: str
    manifest_sha256: str | None
    confirmations_required: int


@dataclass(frozen=True)
class TargetFacts:
    """What the target says about itself, before the chain is asked anything: its digest, its
    receipt, and, when the document is at hand, what it is (attest.app.verify.Target)."""

    subject: str
    digest: str
    digest_detail: str
    # The file is not the one its receipt names (or a receipt's digest differs): `digest` fails.
    digest_mismatch: str | None = None
    merkle_proof_ok: bool | None = None  # None: the target was not anchored through a Merkle batch
    receipt: Receipt | None = None
    # What is wrong with the receipt itself, seen without the chain (e.g. it names another file).
    receipt_problems: list[str] = field(default_factory=list)
    # What the file at hand is (None: a bare digest, or a receipt without its document): a statement
    # file needs the VERIFIER role whatever kind it was anchored as.
    document_kind: Kind | None = None
    # The reporting year the document states (None: not at hand, or a plain file, which states none).
    document_year: int | None = None
    # For a statement at hand: the organisation whose figures it says it verified (its `organisation`).
    statement_about: str | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything `decide` needs, gathered by the shell; attestations only from the manifest's registry."""

    # What the target says about itself, before the chain is asked anything.
    target: TargetFacts

    # The trust root: the deployment the manifest names, as the chain confirms it.
    deployment: DeploymentFacts
    head: int
    attestations: list[OnchainAttestation]
    standing_at_attest: dict[str, Standing]
    standing_now: dict[str, Standing]
    org_names: dict[int, str]
    expected_org: int | None = None
    expected_org_source: str | None = None
    # Where `--org` or the receipt point at another organisation than the document names (or the
    # name is ambiguous): each is a reason the verdict fails.
    organisation_conflicts: list[str] = field(default_factory=list)
    receipt_block_hash_on_chain: str | None = None
    covering_statements: list[OnchainAttestation] = field(default_factory=list)
    same_org_year: list[OnchainAttestation] = field(default_factory=list)
    # For a statement: the attestation its on-chain reference points at (None if none or unknown).
    referenced: OnchainAttestation | None = None
    # With the figures at hand too (`verify FIGURES --statement S`): the figures attestation relied on
    # (None if the figures did not verify as anchored) and the statement-vs-figures comparison
    # (None if either document is not at hand, so the comparison could not be made).
    paired: bool = False
    paired_figures: OnchainAttestation | None = None
    cross_checks: list[CrossCheck] | None = None
    require_coverage: bool = False
    # For a `/2` statement with a neutrality claim: each retirement rule (attest.core.credits), judged
    # against the figures when they are at hand. For a statement: its credits on-chain and everyone
    # else's claims on the same issuances; for figures: those of each live statement covering them.
    retirement_checks: list[RuleCheck] | None = None
    # Each retirement against the registries' own records (attest.core.registry_records): (line name,
    # status, detail); None when the statement document is not at hand.
    record_checks: list[tuple[str, Status, str]] | None = None
    # Who anchored each registry export the statement pins (sha256 → words), read once with the rest
    # (so in `read`, proven); `verify FIGURES --statement S` judges the records again from these.
    pinned_exports: dict[str, str] = field(default_factory=dict)
    credits: CreditEvidence | None = None
    figures_credits: list[CreditEvidence] = field(default_factory=list)
    # Warnings (a key frozen after it signed) fail the verdict too (`--strict`).
    strict: bool = False
    # The governance history the standings were replayed from: proofs compare it, at their block,
    # with governance storage (attest.core.proven).
    history: MembershipHistory | None = field(default=None, compare=False, repr=False)
    # What this way of verifying cannot know (offline: anything after the receipt's block), by check
    # name: such a check is not decided; its line says why, as `info`, instead of disappearing.
    unknowable: dict[str, str] = field(default_factory=dict)
    # What some lines rest on, when it is not the node's answers (offline: the receipt's proofs
    # against the checkpoint), appended to their details; and a deployment the proofs refute.
    bound_by: str = ""
    receipt_vouched_by: str = ""
    authorised_by: str = ""
    deployment_problem: str | None = None
    # The highest head the trusted block vouches for (None: no trusted block; the head is the node's
    # word): the `confirmations` line says how deep an attestation is by both.
    vouched_head: int | None = None
    # Every record and claim read from the chain for this target (attest.app.facts.Reading): what the
    # provers prove. None: evidence not read from a chain (offline, tests), nothing to prove.
    read: Read | None = field(default=None, compare=False, repr=False)
    # The question "is it attested?" could not be answered (offline: the receipt's proof of the
    # record does not hold): `anchored` fails with this, and nothing after it is decided.
    anchored_problem: str | None = None

    @property
    def lookup(self) -> str:
        """The digest the registry was asked about: a batch member's root, else its own digest
        (`core.receipt.lookup_digest`)."""
        return lookup_digest(self.target.receipt, self.target.digest)


@dataclass
class Report:
    subject: str
    digest: str
    checks: list[Check]
    attestation: OnchainAttestation | None
    anchored_at: int | None = None
    # The target could not be read as a document (bad input, `unreadable`): its exit code (2).
    input_error: int | None = None
    # For the plain summary (attest.core.report_summary): the chosen attestation's organisation name
    # (as the `anchored` line names it), whether `anchored_at` was read from a header whose hash the
    # trusted nodes agreed on (else it is the node's word), and what the answer rests on (the prover's).
    org_name: str | None = None
    anchored_at_proven: bool = False
    basis: Basis | None = None
    # The time of the block that revoked the attestation relied on (None: not revoked), and whether
    # it was read from a header whose hash the trusted nodes agreed on.
    revoked_at: int | None = None
    revoked_at_proven: bool = False

    @property
    def verified(self) -> bool:
        names = {c.name for c in self.checks if c.status == "pass"}
        required = {"deployment", "digest", "anchored", "authorised"}
        return all(c.status != "fail" for c in self.checks) and required <= names

    @property
    def warnings(self) -> int:
        """Checks that passed with a caution worth a reader's attention (shown as `!`)."""
        return sum(1 for c in self.checks if c.status == "warn")

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "digest": self.digest,
            "verified": self.verified,
            "warnings": self.warnings,
            "checks": [asdict(c) for c in self.checks],
            "attestation": _attestation_json(self.attestation),
            "anchored_at": self.anchored_at,
            **({"input_error": self.input_error} if self.input_error is not None else {}),
        }


def unreadable(subject: str, error: str, exit_code: int = 2) -> Report:
    """The report of one target among many that could not be read (a malformed document, a missing
    file): one failed `input` line with the error, so that file fails and the others are still judged."""
    return Report(subject, "", [Check("input", "fail", error)], None, input_error=exit_code)


def worst_exit(reports: Iterable[Report]) -> int:
    """The exit code of a run over many targets: the worst result — an input error's code (2), else 1
    if any did not verify, else 0."""
    worst = 0
    for r in reports:
        worst = max(worst, r.input_error if r.input_error is not None else 0 if r.verified else 1)
    return worst


def required_role(kind: Kind) -> Role:
    return Role.VERIFIER if kind is Kind.STATEMENT else Role.PUBLISHER


def decide(ev: Evidence) -> Report:
    """Run every check unit of `CHECKS`, in order. The units after `anchored` judge the attestation
    it chose; when none was chosen there is nothing left to check on the chain, and they are not run."""
    chosen, anchored = _choose(ev)
    checks: list[Check] = []
    for unit in CHECKS:
        if unit.name == "anchored":
            checks.append(anchored)
        elif unit.rule is None or (chosen is None and unit.needs_attestation):
            continue
        elif unit.name in ev.unknowable:
            if unit.applies(ev, chosen):
                checks.append(Check(unit.name, "info", ev.unknowable[unit.name]))
        else:
            checks.extend(unit.rule(ev, chosen))
    name = None if chosen is None else ev.org_names.get(chosen.org_id)
    return Report(ev.target.subject, ev.target.digest, checks, chosen, org_name=name)


Rule = Callable[["Evidence", "OnchainAttestation | None"], list["Check"]]

#: The evidence a registry's rules read: `Evidence` for `CHECKS`, a disclosure's for
#: `attest.core.disclosure_checks.DISCLOSURE_CHECKS`.
E = TypeVar("E")


@dataclass(frozen=True)
class CheckUnit(Generic[E]):
    """One check: the name its lines carry (or begin with), what it establishes (docs/trust-model.md's
    tables of lines are tested against these), whether it judges a chosen attestation, and its pure
    rule over its registry's evidence — None for the lines the shell adds (`proofs`, `logs`:
    attest.app.proven) and for `anchored`, which `decide` itself settles, since every later unit
    judges what it chose."""

    name: str
    about: str
    needs_attestation: bool
    rule: Callable[[E, OnchainAttestation | None], list[Check]] | None
    #: Whether the check concerns this target at all (a statement's reference, figures' coverage…):
    #: where the facts are unknowable, its `info` line is printed only then.
    applies: Callable[[E, OnchainAttestation | None], bool] = lambda ev, a: True
    #: The kinds of fact its rule decides on (attest.core.grounds.FACTS): its lines rest on the
    #: weakest of them. Facts only shown (a transaction hash) or completeness ("no other statement")
    #: are not decisive, and are said in `labelled`.
    facts: tuple[Fact, ...] = field(kw_only=True)
    labelled: str = field(default="", kw_only=True)


def _one(check: Check | None) -> list[Check]:
    return [] if check is None else [check]


def _digest_rule(ev: Evidence, _: OnchainAttestation | None) -> list[Check]:
    if ev.target.digest_mismatch:
        return [Check("digest", "fail", ev.target.digest_mismatch)]
    return [Check("digest", "pass", f"sha256 {ev.target.digest} ({ev.target.digest_detail})")]


def _merkle_rule(ev: Evidence, _: OnchainAttestation | None) -> list[Check]:
    if ev.target.merkle_proof_ok is None:
        return []
    root = (
        ev.target.receipt.merkle.root if ev.target.receipt is not None and ev.target.receipt.merkle else "?"
    )
    if ev.target.merkle_proof_ok:
        return [Check("merkle", "pass", f"the receipt's proof leads from the digest to batch root {root}")]
    return [Check("merkle", "fail", "the receipt's Merkle proof does not lead to its root")]


def _organisation_rule(ev: Evidence, _: OnchainAttestation | None) -> list[Check]:
    if not ev.organisation_conflicts:
        return []
    return [Check("organisation", "fail", "; ".join(ev.organisation_conflicts))]


def _year(ev: Evidence, a: OnchainAttestation) -> Check | None:
    """The year a document states must be the year its attestation records: otherwise 2023 figures
    anchored as 2022 would verify, and 2022 credits could back the 2023 neutrality claim as "the
    same claim again". Silent when they agree (the `anchored` line names the year)."""
    if ev.target.document_year is None or a.year == ev.target.document_year:
        return None
    return Check(
        "year",
        "fail",
        f"the document states {ev.target.document_year}, its attestation records {a.year}: it was not "
        f"published as the {ev.target.document_year} document",
    )


def _statement_reference(ev: Evidence, a: OnchainAttestation) -> list[Check]:
    if a.kind is Kind.STATEMENT or ev.target.document_kind is Kind.STATEMENT:
        return [_reference(ev, a)]
    return []


def _retirement_rule(ev: Evidence, _: OnchainAttestation | None) -> list[Check]:
    out = []
    for name, ok, d in ev.retirement_checks or []:
        if ok is None:
            out.append(
                Check(name, "fail", d + " — a warning, failed by --strict")
                if ev.strict
                else Check(name, "warn", d)
            )
        else:
            out.append(Check(name, "pass" if ok else "fail", d))
    return out


def _credits_rule(ev: Evidence, a: OnchainAttestation) -> list[Check]:
    out = _statement_credits(ev, ev.credits) if ev.credits is not None else []
    if a.kind is Kind.FIGURES and ev.figures_credits:
        out.append(_figures_credits(ev))
    return out


def _confirmations(ev: Evidence, a: OnchainAttestation) -> Check:
    depth = ev.head - a.block_number + 1
    ok = depth >= ev.deployment.confirmations_required
    vouched = ""
    if ev.vouched_head is not None and ev.vouched_head < ev.head:
        vouched = (
            f" (at least {max(0, ev.vouched_head - a.block_number + 1)} vouched for by the trusted block)"
        )
    return Check(
        "confirmations",
        "pass" if ok else "fail",
        f"{depth} confirmation(s){vouched}, {ev.deployment.confirmations_required} required",
    )


def _on(rule: Callable[[Evidence, OnchainAttestation], Check | None]) -> Rule:
    """A rule about the chosen attestation, as a unit's rule (run only once one was chosen)."""

    def run(ev: Evidence, a: OnchainAttestation | None) -> list[Check]:
        return [] if a is None else _one(rule(ev, a))

    return run


def _on_many(rule: Callable[[Evidence, OnchainAttestation], list[Check]]) -> Rule:
    def run(ev: Evidence, a: OnchainAttestation | None) -> list[Check]:
        return [] if a is None else rule(ev, a)

    return run


#: Every check, in the order its lines are printed: the one registry. A new check is one unit here
#: (its rule beside it) and the facts it needs in `Evidence`.
CHECKS: tuple[CheckUnit[Evidence], ...] = (
    CheckUnit(
        "deployment",
        "the manifest's registry is bound to its governance",
        False,
        lambda ev, _: [_deployment(ev)],
        facts=("code",),
    ),
    CheckUnit(
        "digest",
        "the file's sha256 (RFC 8785 canonical form for JSON documents)",
        False,
        _digest_rule,
        facts=("file",),
    ),
    CheckUnit(
        "receipt",
        "a receipt's chain, registry, block and transaction are the chain's",
        False,
        lambda ev, a: [] if ev.target.receipt is None else [_receipt_check(ev, a)],
        facts=("file", "record", "logs"),
        labelled="the transaction hash is the node's word",
    ),
    CheckUnit(
        "merkle",
        "a batch receipt's proof leads from the digest to the anchored root",
        False,
        _merkle_rule,
        facts=("file",),
    ),
    CheckUnit(
        "organisation",
        "the organisation the document names is the one the receipt or --org names",
        False,
        _organisation_rule,
        facts=("file", "names"),
    ),
    CheckUnit(
        "anchored",
        "the digest is attested in the registry, by which organisation, when",
        False,
        None,
        facts=("record", "names"),
        labelled="the transaction hash is the node's word",
    ),
    CheckUnit(
        "kind",
        "it was anchored as what the document is",
        True,
        _on(lambda ev, a: _kind(ev, a)),
        facts=("record",),
    ),
    CheckUnit(
        "year",
        "the year the document states is the year its attestation records",
        True,
        _on(_year),
        facts=("file", "record"),
    ),
    CheckUnit(
        "authorised",
        "the attester's organisation held the role then (and today)",
        True,
        _on(lambda ev, a: _authorised(ev, a)),
        # then: the registry's code refuses an account without the role, and the record exists
        facts=("record", "code", "standing"),
        labelled="the governance history between its block and the trusted block is the node's word",
    ),
    CheckUnit(
        "key",
        "the attester's key was not frozen since",
        True,
        _on(lambda ev, a: _key_since(ev, a)),
        facts=("standing",),
    ),
    CheckUnit(
        "status",
        "not revoked, not superseded",
        True,
        _on(lambda ev, a: _status(a, ev.strict)),
        facts=("record", "status", "logs"),
        labelled="a restatement withdrawn since (Superseded logs) is the node's word",
    ),
    CheckUnit(
        "reference",
        "a statement covers live figures",
        True,
        _on_many(_statement_reference),
        lambda ev, a: a is not None and Kind.STATEMENT in (a.kind, ev.target.document_kind),
        facts=("record", "status", "logs"),
    ),
    CheckUnit(
        "covers",
        "with figures at hand: the statement covers exactly these figures",
        True,
        _on(lambda ev, a: _covers(ev, a) if ev.paired else None),
        facts=("file", "record", "logs"),
    ),
    CheckUnit(
        "cross-check",
        "with figures at hand: the statement's content agrees with the figures'",
        True,
        _on_many(lambda ev, a: _cross_checks(ev) if ev.paired else []),
        facts=("file",),
    ),
    CheckUnit(
        "retirement",
        "a neutrality claim's retirement rules",
        True,
        _on_many(lambda ev, a: _retirement_rule(ev, a)),
        lambda ev, a: a is not None and Kind.STATEMENT in (a.kind, ev.target.document_kind),
        facts=("file",),
    ),
    CheckUnit(
        "credit records",
        "each retirement is in the registries' records given (--registry-records): retired, for the "
        "organisation, on a date that fits, in the quantity claimed",
        True,
        _on_many(lambda ev, a: [Check(n, s, d) for n, s, d in ev.record_checks or []]),
        lambda ev, a: a is not None and Kind.STATEMENT in (a.kind, ev.target.document_kind),
        # the beneficiary is matched against the member the chain records the credits for
        facts=("file", "names", "logs"),
        labelled="as true as the exports given are the registries'",
    ),
    CheckUnit(
        "coverage",
        "the statements covering figures",
        True,
        _on(lambda ev, a: _coverage(ev) if a.kind is Kind.FIGURES else None),
        lambda ev, a: a is not None and a.kind is Kind.FIGURES,
        facts=("record", "status", "others", "names", "logs"),
        labelled="that no other statement covers them is as complete as the logs of the nodes asked",
    ),
    CheckUnit(
        "credits",
        "its credit blocks are recorded, and claimed by no other live statement",
        True,
        _on_many(_credits_rule),
        lambda ev, a: a is not None and a.kind in (Kind.FIGURES, Kind.STATEMENT),
        facts=("record", "status", "others", "names", "logs"),
        labelled="that no other statement claims them is as complete as the logs of the nodes asked",
    ),
    CheckUnit(
        "confirmations",
        "the attestation is deep enough to be final",
        True,
        _on(_confirmations),
        facts=("record", "head"),
    ),
    CheckUnit(
        "proofs",
        "the state facts, proven against a trusted block (added by the prover)",
        False,
        None,
        facts=("code", "record", "status", "names", "standing"),
    ),
    CheckUnit(
        "logs",
        "the log facts, proven by their blocks' receipts (added by the prover)",
        False,
        None,
        facts=("logs",),
    ),
)

#: The names of the lines, in order (`CHECKS`).
CHECK_ORDER = tuple(unit.name for unit in CHECKS)
UNITS = {unit.name: unit for unit in CHECKS}


def unit_of(line: str) -> CheckUnit[Evidence] | None:
    """The unit a line belongs to: `credits: recorded` and `retirement: vintage` to their family."""
    return UNITS.get(line) or UNITS.get(line.split(":", 1)[0])


_LABEL = {g: g.label for g in Ground}

#: The tag of a line this way of verifying cannot decide (`Evidence.unknowable`: offline, what
#: happened after the receipt's block): it rests on nothing, and says why itself.
NOT_KNOWN_HERE = "not known here"


def rest(
    report: Report,
    grounds: Grounds,
    *,
    require: bool,
    unknowable: Iterable[str] = (),
) -> None:
    """Say on each line of `report` what it rests on: the weakest ground among the facts its unit
    decides on (a line of no unit of `CHECKS` rests on the file alone: an input error). With `require`
    (`--require-proofs`) a line resting on less than a proof fails, saying so. A line of `unknowable`
    left undecided is tagged `NOT_KNOWN_HERE`."""
    out: list[Check] = []
    unknown = set(unknowable)
    for c in report.checks:
        unit = unit_of(c.name)
        if unit is not None and unit.name in unknown and c.status == "info":
            out.append(Check(c.name, c.status, c.detail, NOT_KNOWN_HERE, c.detail))
            continue
        out.append(rested(c, unit, grounds, require=require))
    report.checks[:] = out


def rested(c: Check, unit: CheckUnit[Any] | None, grounds: Grounds, *, require: bool) -> Check:
    """`c`, a line of `unit` (of any registry), saying what it rests on: the weakest of `grounds`
    among the facts the unit decides on (no unit: the file alone), and why — with the unit's
    `labelled` caveat. With `require` (`--require-proofs`) a line resting on less than a proof fails,
    saying so; a line resting on the file never does."""
    facts: tuple[Fact, ...] = unit.facts if unit is not None else ("file",)
    ground, why = grounds.weakest(facts)
    if unit is not None and unit.labelled:
        why += f"; {unit.labelled}"
    status, detail, unproven = c.status, c.detail, c.unproven
    if require and ground < Ground.PROVEN and status != "fail":
        status, unproven = "fail", True
        detail += f" — rests on {_LABEL[ground]}: failed by --require-proofs"
    return Check(c.name, status, detail, _LABEL[ground], why, unproven)


def _deployment(ev: Evidence) -> Check:
    """The manifest is believed only where the chain confirms it: its registry must be bound to its
    governance, else the organisation names and roles come from a contract of someone's choosing."""
    pinned = f", manifest sha256 {ev.deployment.manifest_sha256}" if ev.deployment.manifest_sha256 else ""
    where = f"chain id {ev.deployment.chain_id}, registry {ev.deployment.registry}{pinned}"
    if ev.deployment_problem is not None:
        return Check("deployment", "fail", f"{where}: {ev.deployment_problem}")
    if ev.deployment.bound_governance.lower() != ev.deployment.governance.lower():
        return Check(
            "deployment",
            "fail",
            f"{where}: the registry obeys governance {ev.deployment.bound_governance}, not the manifest's "
            f"{ev.deployment.governance}: the manifest does not describe this deployment",
        )
    return Check(
        "deployment", "pass", f"{where}, bound to governance {ev.deployment.governance}{ev.bound_by}"
    )


def _name(ev: Evidence, org_id: int) -> str:
    return f"{ev.org_names.get(org_id, '?')} (org #{org_id})"


def _choose(ev: Evidence) -> tuple[OnchainAttestation | None, Check]:
    if ev.anchored_problem is not None:
        return None, Check("anchored", "fail", ev.anchored_problem)
    found = ev.attestations
    if ev.expected_org is not None:
        mine = [a for a in found if a.org_id == ev.expected_org]
        others = [a for a in found if a.org_id != ev.expected_org]
        if not mine:
            detail = (
                f"no attestation of this digest by {_name(ev, ev.expected_org)} ({ev.expected_org_source})"
            )
            if others:
                detail += "; attested only by " + ", ".join(_name(ev, a.org_id) for a in others)
            return None, Check("anchored", "fail", detail + _explain_changed(ev))
        chosen = mine[0]
        note = ""
        if others:
            note = "; also attested by " + ", ".join(_name(ev, a.org_id) for a in others) + " (not relied on)"
        return chosen, Check("anchored", "pass", _anchored_detail(ev, chosen) + note)
    if not found:
        return None, Check(
            "anchored", "fail", f"no attestation of this digest in registry {ev.deployment.registry}"
        )
    if len({a.org_id for a in found}) > 1:
        names = ", ".join(_name(ev, a.org_id) for a in found)
        return None, Check("anchored", "fail", f"attested by several organisations ({names}): pass --org")
    return found[0], Check("anchored", "pass", _anchored_detail(ev, found[0]))


def _kind(ev: Evidence, a: OnchainAttestation) -> Check | None:
    """The attestation must be of what the document is (decided by its content): figures anchored
    as a raw file, or a statement anchored as figures, were not published as what they claim."""
    if ev.target.document_kind is None:
        return None
    expected = Kind.BATCH if ev.target.merkle_proof_ok is not None else ev.target.document_kind
    if ev.target.merkle_proof_ok is not None and ev.target.document_kind is not Kind.FILE:
        return Check(
            "kind",
            "fail",
            f"the document is {ev.target.document_kind.label}, which is never published in a batch",
        )
    if a.kind is expected:
        return None
    return Check(
        "kind", "fail", f"anchored as {a.kind.label}, but the document is {ev.target.document_kind.label}"
    )


def _explain_changed(ev: Evidence) -> str:
    if not ev.same_org_year:
        return ""
    digests = ", ".join(a.digest[:16] + "…" for a in ev.same_org_year)
    return f"; it anchored other content for that year ({digests}): this file is not what was published"


def _anchored_detail(ev: Evidence, a: OnchainAttestation) -> str:
    return (
        f"{a.kind.label} for {a.year} by {_name(ev, a.org_id)}, account {a.attester}, "
        f"block {a.block_number}, tx {a.transaction_hash}"
    )


def _authorised(ev: Evidence, a: OnchainAttestation) -> Check:
    role = required_role(ev.target.document_kind or a.kind)
    then = ev.standing_at_attest.get(a.uid)
    if then is None:
        return Check("authorised", "fail", "governance history could not be read")
    now = ev.standing_now.get(a.uid)
    current = ""
    if now is not None:
        current = "; today: " + ("still authorised" if now.holds(role) else now.describe(role.name, role))
    status: Status = "pass" if then.holds(role) else "fail"
    return Check(
        "authorised",
        status,
        f"at block {a.block_number}: {then.describe(role.name, role)}{current}{ev.authorised_by}",
    )


def _key_since(ev: Evidence, a: OnchainAttestation) -> Check | None:
    """An account frozen after it attested: the attestation stands (it was authorised then), but a
    freeze usually means a compromised key, so the reader is told plainly; `--strict` fails it."""
    then, now = ev.standing_at_attest.get(a.uid), ev.standing_now.get(a.uid)
    if then is None or now is None or then.frozen or not now.frozen:
        return None
    detail = (
        f"account {a.attester} was frozen after this attestation (its key may have been compromised); "
        "it stands unless revoked"
    )
    if ev.strict:
        return Check("key", "fail", detail + " — a warning, failed by --strict")
    return Check("key", "warn", detail)


def _status(a: OnchainAttestation, strict: bool = False) -> Check:
    if a.revocation is not None or a.revoked:
        return Check("status", "fail", _revoked_text(a))
    if a.superseded_by:
        return Check("status", "fail", f"superseded by restatement {a.superseded_by}")
    if a.withdrawn_restatements:
        # Current again, but its own organisation once said it was wrong: the reader is told, and
        # `--strict` fails it, as for any warning.
        withdrawn = "; ".join(
            f"restatement {w.uid} replaced it until it was {_revoked_text_of(w.revocation)}"
            for w in a.withdrawn_restatements
        )
        detail = f"current again: {withdrawn}"
        if strict:
            return Check("status", "fail", detail + " — a warning, failed by --strict")
        return Check("status", "warn", detail)
    return Check("status", "pass", "current: not revoked, not superseded")


def _revoked_text(a: OnchainAttestation) -> str:
    return _revoked_text_of(a.revocation)


def _revoked_text_of(r: Revocation | None) -> str:
    if r is None:
        return "revoked"
    by = "the committee" if r.org_id == 0 else "its organisation"
    return f"revoked by {by} at block {r.block_number}: {r.reason}"


def attestation_status(a: OnchainAttestation) -> str:
    """One phrase for an attestation's standing: current, revoked (when, why), or superseded by what."""
    if a.revoked:
        return _revoked_text(a)
    if a.superseded_by:
        return f"superseded by {a.superseded_by}"
    return "current"


def _reference(ev: Evidence, a: OnchainAttestation) -> Check:
    """A statement is only as good as the figures it covers: they must exist, be figures, and be live."""
    if a.kind is not Kind.STATEMENT:
        return Check(
            "reference", "fail", f"anchored as {a.kind.label}, not as a statement: it covers no figures"
        )
    f = ev.referenced
    if f is None or f.uid.lower() != a.ref.lower():
        return Check("reference", "fail", f"the statement references {a.ref}, which is no attestation here")
    what = f"covers {f.kind.label} for {f.year} by {_name(ev, f.org_id)}, attestation {f.uid}"
    if f.kind is not Kind.FIGURES:
        return Check("reference", "fail", f"{what}: not a figures attestation")
    if f.revoked:
        return Check("reference", "fail", f"{what}, which was {_revoked_text(f)}")
    if f.superseded_by:
        return Check("reference", "fail", f"{what}, which was superseded by restatement {f.superseded_by}")
    # a statement for another year or another organisation must not stand on these figures: the
    # registry files its credit claims under the figures' organisation and year, so they would pass
    # as "the same claim again"
    if a.year != f.year:
        return Check("reference", "fail", f"{what}, but the statement is for {a.year}")
    if ev.target.statement_about is not None and normalise_name(ev.target.statement_about) != normalise_name(
        ev.org_names.get(f.org_id, "")
    ):
        return Check(
            "reference",
            "fail",
            f"{what}, but the statement is about {ev.target.statement_about!r}, not that organisation",
        )
    return Check("reference", "pass", f"{what} (current)")


def _covers(ev: Evidence, a: OnchainAttestation) -> Check:
    f = ev.paired_figures
    if f is None:
        return Check("covers", "fail", "the figures given are not anchored: there is nothing to cover")
    if a.kind is Kind.STATEMENT and a.ref.lower() == f.uid.lower():
        return Check("covers", "pass", f"the statement's attestation covers exactly these figures ({f.uid})")
    return Check("covers", "fail", f"the statement's attestation covers {a.ref}, not these figures ({f.uid})")


def _cross_checks(ev: Evidence) -> list[Check]:
    if ev.cross_checks is None:
        return [
            Check(
                "cross-check",
                "fail",
                "could not compare: the figures or the statement document is not at hand (only a receipt)",
            )
        ]
    return [
        Check(f"cross-check: {name}", "pass" if ok else "fail", detail)
        for name, ok, detail in ev.cross_checks
    ]


def _coverage(ev: Evidence) -> Check:
    live = [s for s in ev.covering_statements if not s.revoked]
    status: Status = "info"
    if ev.require_coverage:
        status = "pass" if live else "fail"
    if not ev.covering_statements:
        return Check("coverage", status, "no verification statement covers these figures yet")
    parts = [
        f"{s.uid[:18]}… by {_name(ev, s.org_id)} ({attestation_status(s)})" for s in ev.covering_statements
    ]
    return Check("coverage", status, "covered by " + "; ".join(parts))


_SHOWN = 3  # double claims named in full; the rest are counted


def _statement_credits(ev: Evidence, c: CreditEvidence) -> list[Check]:
    """`credits: recorded` (the document's blocks are the ones its anchoring recorded, so that other
    statements can see them) and `credits` (no block is claimed by another live statement)."""
    from attest.core.credits import collisions  # the statement schema: only for statements

    out: list[Check] = []
    if c.document_blocks is not None:
        recorded = _recorded(c, ev.strict)
        if recorded is not None:
            out.append(recorded)
    if c.schema == "carbon-verification/1" and not c.recorded_blocks and c.recorded is None:
        # (a /1 statement records no credits; if the chain holds some for it, they are compared below)
        out.append(
            Check(
                "credits",
                "warn",
                "a carbon-verification/1 statement names no issuance for its serial ranges, so its credits "
                "cannot be compared with other statements' claims (carbon-verification/2 records them "
                "on-chain)",
            )
        )
        return out
    blocks = c.blocks()
    if not blocks:
        why = "it makes no neutrality claim"
        if c.document_blocks is None:
            why = "none are recorded on-chain for it, and its document is not at hand"
        out.append(Check("credits", "info", f"no credit blocks to compare: {why}"))
        return out
    double, same = collisions(blocks, c.statement_uid, c.own, c.claims, c.claimants)
    line = _uniqueness(ev, c, double, same, blocks_text=f"{len(blocks)} serial block(s)")
    if line.status == "pass":
        line = _verra_elsewhere(ev, c, line)
    unknown = _unknown_registries(c)
    if unknown is not None:
        detail = unknown if line.status == "pass" else f"{line.detail}; and {unknown}"
        line = Check("credits", "fail", detail)
    out.append(line)
    return out


def _verra_elsewhere(ev: Evidence, c: CreditEvidence, line: Check) -> Check:
    """A warning (failed by --strict) for claims by other live statements, for another organisation or
    year, on the unit numbers of its Verra blocks under another issuance key: Verra numbers units
    registry-wide, so an old spelling of these units (a statement anchored before the registry
    table, keyed by its serial's text) is recorded so — the key does not say whether it is."""
    from attest.core.serials import units

    found = []
    for claim in c.elsewhere:
        claimant = c.claimants.get(claim.statement_uid.lower())
        if claimant is not None and claimant.statement.revoked:
            continue
        if (
            claimant is not None
            and c.own is not None
            and (claimant.beneficiary_org_id, claimant.year) == c.own
        ):
            continue
        if claimant is None:
            whose = "a statement the node gives no record of"
        else:
            s = claimant.statement
            org = claimant.beneficiary_org_id
            for_whom = (
                "" if org is None else f", for {ev.org_names.get(org, '?')} (org #{org}), {claimant.year}"
            )
            whose = f"verifier {ev.org_names.get(s.org_id, '?')} (org #{s.org_id}){for_whom}"
        found.append(
            f"{units(claim.first, claim.last)} claimed by statement {claim.statement_uid} ({whose}; block "
            f"{claim.block_number}) under issuance key {claim.issuance_key[:18]}…"
        )
    if not found:
        return line
    detail = (
        f"{line.detail}; but its Verra unit numbers are also claimed under another issuance key: "
        f"{'; '.join(found[:_SHOWN])}{f' (and {len(found) - _SHOWN} more)' if len(found) > _SHOWN else ''}"
        " — Verra numbers units registry-wide, so this may be the same units under an old spelling (a "
        "statement anchored before the registry table); read that statement to tell"
    )
    if ev.strict:
        return Check("credits", "fail", detail + " — a warning, failed by --strict")
    return Check("credits", "warn", detail)


def _unknown_registries(c: CreditEvidence) -> str | None:
    """Why the blocks of a registry not in the table (attest.core.registries) cannot be shown claimed
    once: keyed by their spelling, the same units written otherwise are another issuance to the chain.
    A statement anchored before the table is still read; this says so. None: every registry is known."""
    from attest.core.registries import known_registries
    from attest.core.strictjson import quote_text

    names = list(
        dict.fromkeys(b.registry for b in c.document_blocks or () if b.registry and b.registry_id is None)
    )
    if not names:
        return None
    which = ", ".join(quote_text(n) for n in names)
    return (
        f"registry {which} is not one the tool knows; known: {known_registries()} (or one of their names): "
        "its blocks are keyed by their spelling, so the same units written otherwise would not be seen "
        "as claimed twice (the statement is still read, as statements anchored before the registry table "
        "are, but its credits are not shown to be claimed once)"
    )


def _recorded(c: CreditEvidence, strict: bool = False) -> Check | None:
    assert c.document_blocks is not None
    stated = {(b.key, b.first, b.last) for b in c.document_blocks}
    on_chain = {(r.issuance_key.lower(), r.first, r.last) for r in c.recorded_blocks}
    if not stated and not on_chain and c.recorded is None:
        return None
    if not stated:
        return Check(
            "credits: recorded",
            "fail",
            f"the chain records {len(on_chain)} credit block(s) for this statement, which retires none",
        )
    if c.recorded is None and not on_chain:
        return Check(
            "credits: recorded",
            "fail",
            f"none of the {len(stated)} serial block(s) it retires is recorded on-chain: it was anchored "
            "without them (not with attestStatementWithCredits), so other statements cannot see its claim",
        )
    problems = []
    legacy = {(b.legacy_key, b.first, b.last) for b in c.document_blocks}
    # a statement anchored before the registry table recorded every block under the key of its
    # spelling: read as such (a warning: claims spelled otherwise find it only under the canonical key)
    spelled = on_chain == legacy and legacy != stated
    if not spelled:
        missing = [b for b in c.document_blocks if (b.key, b.first, b.last) not in on_chain]
        if missing:
            not_canonical = [b for b in missing if (b.legacy_key, b.first, b.last) in on_chain]
            problems.append(f"not recorded: {'; '.join(b.describe() for b in missing[:_SHOWN])}")
            if not_canonical:
                problems.append(
                    f"{len(not_canonical)} of them recorded under the key of its spelling, not under the "
                    "canonical identity of its units (attest.core.registries)"
                )
        extra = on_chain - stated - legacy
        if extra:
            problems.append(f"{len(extra)} block(s) recorded that the statement does not retire")
    # a multiset: the same block recorded twice counts its tonnes twice in NeutralityClaimed
    counted = Counter((r.issuance_key.lower(), r.first, r.last) for r in c.recorded_blocks)
    repeated = sum(n - 1 for n in counted.values() if n > 1)
    if repeated:
        problems.append(f"{repeated} block(s) recorded more than once")
    retired = sum(b.size for b in c.document_blocks)
    if c.recorded is None:
        problems.append("no NeutralityClaimed record")
    elif c.recorded.retired_tonnes != retired:
        problems.append(
            f"retired recorded as {c.recorded.retired_tonnes} t, the statement's blocks are {retired} units"
        )
    if (
        c.recorded is not None
        and c.document_residual is not None
        and (c.recorded.residual_tonnes != c.document_residual)
    ):
        problems.append(
            f"residual recorded as {c.recorded.residual_tonnes} t, the statement's is {c.document_residual} t"
        )
    if problems:
        detail = "the chain's record differs from the statement: " + "; ".join(problems)
        return Check("credits: recorded", "fail", detail)
    assert c.recorded is not None
    if spelled:
        detail = (
            f"its {len(stated)} serial block(s) ({c.recorded.retired_tonnes} t) and residual emissions "
            f"({c.recorded.residual_tonnes} t) are on-chain, block {c.recorded.block_number}, under the keys "
            "of their spelling (as statements anchored before canonical credit identities were): other "
            "statements are compared with them under both keys, but a claim spelling these units "
            "otherwise finds them only when it is the one verified"
        )
        if strict:
            return Check("credits: recorded", "fail", detail + " — a warning, failed by --strict")
        return Check("credits: recorded", "warn", detail)
    return Check(
        "credits: recorded",
        "pass",
        f"its {len(stated)} serial block(s) ({c.recorded.retired_tonnes} t) and residual emissions "
        f"({c.recorded.residual_tonnes} t, rounded up) are on-chain, block {c.recorded.block_number}",
    )


def _uniqueness(
    ev: Evidence, c: CreditEvidence, double: list[Collision], same: list[Collision], *, blocks_text: str
) -> Check:
    from attest.core.credits import describe_collision

    rests = (
        f"from the registry's CreditClaimed logs up to block {c.head}: as complete as the node's logs; "
        "revoked statements do not count"
    )
    if double:
        named = "; ".join(describe_collision(x, ev.org_names, c.statement_block) for x in double[:_SHOWN])
        more = f" (and {len(double) - _SHOWN} more)" if len(double) > _SHOWN else ""
        return Check("credits", "fail", f"claimed twice: {named}{more} ({rests})")
    note = ""
    if same:
        others = sorted({x.claimant.statement.uid for x in same if x.claimant is not None})
        note = (
            f"; also claimed by {', '.join(others)} for the same organisation and year (the same claim "
            "again, e.g. on restated figures)"
        )
    keys = len({b.key for b in c.blocks()})
    return Check(
        "credits",
        "pass",
        f"no serial block is claimed by another live statement ({blocks_text} of {keys} issuance(s), "
        f"{rests}){note}",
    )


def _figures_credits(ev: Evidence) -> Check:
    """The credits each live statement covering these figures claims, each checked as `credits` is."""
    from attest.core.credits import collisions

    failures: list[str] = []
    passes: list[str] = []
    for c in ev.figures_credits:
        double, _ = collisions(c.blocks(), c.statement_uid, c.own, c.claims, c.claimants)
        line = _uniqueness(ev, c, double, [], blocks_text=f"{len(c.recorded_blocks)} serial block(s)")
        (failures if line.status == "fail" else passes).append(f"statement {c.statement_uid}: {line.detail}")
    if failures:
        return Check("credits", "fail", "; ".join(failures))
    return Check("credits", "pass", "; ".join(passes))


def _receipt_check(ev: Evidence, chosen: OnchainAttestation | None) -> Check:
    r = ev.target.receipt
    assert r is not None
    problems = list(ev.target.receipt_problems)
    if r.chain.chain_id != ev.deployment.chain_id:
        problems.append(f"chain id {r.chain.chain_id} ≠ {ev.deployment.chain_id}")
    if r.chain.registry.lower() != ev.deployment.registry.lower():
        problems.append(f"registry {r.chain.registry} is not the manifest's {ev.deployment.registry}")
    if ev.receipt_block_hash_on_chain is None:
        problems.append(f"block {r.chain.block_number} does not exist on this chain")
    elif ev.receipt_block_hash_on_chain.lower() != r.chain.block_hash.lower():
        problems.append(f"block hash of block {r.chain.block_number} differs from the chain's")
    if chosen is not None:
        if chosen.transaction_hash.lower() != r.chain.transaction_hash.lower():
            problems.append("transaction hash differs from the attestation's")
        if chosen.block_number != r.chain.block_number:
            problems.append("block number differs from the attestation's")
        if chosen.uid.lower() != r.attestation.uid.lower():
            problems.append("attestation uid differs")
        # what the receipt says of the attestation is its writer's word: it must be the record's
        said = r.attestation
        if said.kind != chosen.kind.label:
            problems.append(f"it says the attestation is {said.kind}, the record is {chosen.kind.label}")
        if said.year != chosen.year:
            problems.append(f"it says the attestation is for {said.year}, the record is for {chosen.year}")
        if said.attester.lower() != chosen.attester.lower():
            problems.append(f"it names attester {said.attester}, the record {chosen.attester}")
    if problems:
        return Check("receipt", "fail", "; ".join(problems))
    vouched = ev.receipt_vouched_by or "chain id, registry, block and transaction match the chain"
    return Check("receipt", "pass", vouched)


def _attestation_json(a: OnchainAttestation | None) -> dict[str, Any] | None:
    if a is None:
        return None
    data = asdict(a)
    data["kind"] = a.kind.label
    return data
