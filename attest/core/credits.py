"""The credits behind a neutrality claim: the retirement rules, and credits claimed twice. Pure.

Two questions, kept apart:

- **Each retirement** (`retirement_checks`, one line per rule): the beneficiary is the organisation
  whose figures the statement covers (its legal name; without the figures, the name the statement
  gives — a beneficiary that is only the statement's own legal name is not confirmed, a warning);
  each retirement is dated on or after the first day of its vintage year and no later than 12 months
  after the period's end; each retirement's quantity is the number of units its serial blocks
  cover, and the total retired covers the residual emissions; the vintage is no older than the
  policy allows (`CreditPolicy`).
- **Claimed twice** (`collisions`): every statement that backs a neutrality claim records its serial
  blocks on-chain (`CreditClaimed`, attest.chain.events); a block of this statement that overlaps a
  block of the same issuance claimed by another statement that is not revoked, for another
  organisation or another year, is a double claim. Claims of the same organisation and year (a
  statement covering restated figures, a second statement on the same figures) are the same claim
  made again. The shell reads the claims from the registry's logs, so "claimed by no other statement"
  is as complete as the node's logs are.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from attest.core.errors import InputError
from attest.core.figures import EsgFigures
from attest.core.names import normalise_name
from attest.core.records import OnchainAttestation
from attest.core.registries import known_registries, resolve_registry
from attest.core.serials import CreditBlock, units
from attest.core.statement import CarbonVerification, CarbonVerificationV2, NeutralityClaimV2
from attest.core.strictjson import quote_text

if TYPE_CHECKING:
    from attest.core.registry_records import RecordsFile

#: Default oldest vintage accepted: this many years before the year the period ends. Neither ISO
#: 14068-1:2023 nor PAS 2060:2014 fixes an age (the README says where the default comes from).
DEFAULT_MAX_VINTAGE_AGE = 5
#: Credits are retired at most this many months after the period's end (PAS 2060 §9.1.2(e); ISO
#: 14068-1 §11 keeps the 12 months).
RETIRE_WITHIN_MONTHS = 12

CrossCheck = tuple[str, bool, str]
#: A retirement rule's line: ok None is "not confirmed by what is at hand" (shown as a warning).
RuleCheck = tuple[str, bool | None, str]


@dataclass(frozen=True)
class CreditPolicy:
    """What `verify` accepts of a retirement that the standards leave to practice, and the registries'
    records it checks retirements against (`--registry-records`; None: none can be given here, so the
    `credit records` lines say they were not checked; `--require-registry`: units not in them fail)."""

    max_vintage_age: int = DEFAULT_MAX_VINTAGE_AGE
    registry_records: tuple[RecordsFile, ...] | None = None
    require_registry: bool = False


@dataclass(frozen=True)
class ClaimRecord:
    """One `CreditClaimed` event: a statement claims units `first`..`last` of issuance `issuance_key`."""

    issuance_key: str
    first: int
    last: int
    statement_uid: str
    block_number: int
    log_index: int


@dataclass(frozen=True)
class UnitsElsewhere:
    """A question asked of every claim of the registry: which claims by statements other than
    `statement_uid`, under an issuance key it did not look under (`looked`, lower case), name any of
    the Verra unit numbers in `ranges`. Verra numbers units registry-wide, so the same units under an
    old spelling (a statement anchored before the registry table) are found only so."""

    statement_uid: str  # lower case
    looked: frozenset[str]
    ranges: frozenset[tuple[int, int]]

    def concerns(self, c: ClaimRecord) -> bool:
        """Whether claim `c` answers this question (the one rule: `verify` and every node alike)."""
        return (
            c.issuance_key.lower() not in self.looked
            and c.statement_uid.lower() != self.statement_uid
            and any(c.first <= last and first <= c.last for first, last in self.ranges)
        )


@dataclass(frozen=True)
class NeutralityRecord:
    """One `NeutralityClaimed` event: what a statement's claim says on-chain."""

    statement_uid: str
    figures_uid: str
    beneficiary_org_id: int
    year: int
    residual_tonnes: int
    retired_tonnes: int
    block_number: int


@dataclass(frozen=True)
class Claimant:
    """A statement that claims credits, as it stands now (revoked from the registry's storage), with
    the organisation and year of the figures it covers (None when its claim record is missing)."""

    statement: OnchainAttestation
    beneficiary_org_id: int | None
    year: int | None


@dataclass(frozen=True)
class Collision:
    """A block of ours (`mine`: as the statement writes it) overlapping another statement's claim."""

    mine: CreditBlock
    other: ClaimRecord
    # None: the node gave no attestation record for the statement that made the claim — which the
    # registry writes in the same transaction as the claim, so the claim still counts
    claimant: Claimant | None


@dataclass(frozen=True)
class ClaimedCredits:
    """What anchoring a neutrality statement records with it (`attestStatementWithCredits`)."""

    residual_tonnes: int
    blocks: tuple[tuple[str, int, int], ...]  # (issuance key, first unit, last unit)


def refuse_unknown_registries(statement: CarbonVerification | None, path: str | None = None) -> None:
    """A statement is anchored only if every registry it retires credits in is in the table
    (attest.core.registries): a registry the tool cannot read gives no identity to compare claims by.
    Statements already on-chain are still read (their unknown registries shown as such)."""
    if not isinstance(statement, CarbonVerificationV2) or statement.neutrality_claim is None:
        return
    for i, r in enumerate(statement.neutrality_claim.retirements):
        if resolve_registry(r.registry) is None:
            raise InputError(
                f"registry {quote_text(r.registry)} is not one this tool knows ({known_registries()}, "
                "or one of their names): use one of them, or add the registry (docs/credits.md)",
                path=path,
                field=f"neutrality_claim.retirements[{i}].registry",
            )


def claimed_credits(statement: CarbonVerification | None) -> ClaimedCredits | None:
    """The credits a `/2` statement's neutrality claim records on-chain, under their canonical keys;
    None for any other document. A registry not in the table is refused (InputError)."""
    if not isinstance(statement, CarbonVerificationV2) or statement.neutrality_claim is None:
        return None
    refuse_unknown_registries(statement)
    claim = statement.neutrality_claim
    blocks = tuple((b.key, b.first, b.last) for b in claim.blocks())
    return ClaimedCredits(residual_tonnes(claim), blocks)


@dataclass(frozen=True)
class CreditEvidence:
    """What the chain says about one statement's credits, gathered by the shell for `decide`.

    `document_blocks` are the blocks the statement document at hand retires (None: no document, or a
    `/1` one, whose `schema` says so); `recorded`/`recorded_blocks` what its anchoring recorded;
    `claims` every claim on the issuances concerned, by any statement, and `claimants` those
    statements as they stand; `own` the organisation and year its credits are for; `head` the block
    the logs were read up to."""

    statement_uid: str
    statement_block: int
    schema: str | None
    document_blocks: list[CreditBlock] | None
    document_residual: int | None
    recorded: NeutralityRecord | None
    recorded_blocks: list[ClaimRecord]
    claims: list[ClaimRecord]
    claimants: dict[str, Claimant]
    own: tuple[int, int] | None
    head: int
    # claims by other statements on the unit numbers of its Verra blocks under other issuance keys: an
    # old spelling of the same Verra units would be recorded so (units are numbered registry-wide)
    elsewhere: tuple[ClaimRecord, ...] = ()

    def blocks(self) -> list[CreditBlock]:
        """The blocks compared with others: the document's, else what the chain recorded."""
        if self.document_blocks is not None:
            return self.document_blocks
        return [block_of(r) for r in self.recorded_blocks]

    def keys(self) -> list[str]:
        """Every key claims on its blocks may be under: canonical, and the keys of their spelling."""
        return list(dict.fromkeys(k for b in self.blocks() for k in b.keys))


def residual_tonnes(claim: NeutralityClaimV2) -> int:
    """The residual emissions in whole tonnes rounded up: what the credits (whole tonnes) must cover."""
    return math.ceil(Decimal(claim.residual_emissions_tco2e))


def blocks_of(statement: CarbonVerification | None) -> list[CreditBlock] | None:
    """The serial blocks a `/2` statement retires ([] without a neutrality claim); None for `/1`."""
    if not isinstance(statement, CarbonVerificationV2):
        return None
    return statement.neutrality_claim.blocks() if statement.neutrality_claim is not None else []


def block_of(record: ClaimRecord) -> CreditBlock:
    """A block known only from the chain (its statement not at hand): named by its issuance key."""
    written = f"issuance {record.issuance_key[:18]}… {units(record.first, record.last)}"
    return CreditBlock("", "", record.first, record.last, written, "on-chain", record.issuance_key.lower())


def collisions(
    mine: Sequence[CreditBlock],
    own_uid: str,
    own: tuple[int, int] | None,
    claims: Sequence[ClaimRecord],
    claimants: Mapping[str, Claimant],
) -> tuple[list[Collision], list[Collision]]:
    """(double claims, the same claim again): every overlap of a block in `mine` with a claim by
    another statement in `claims`, leaving out revoked statements. `own` is the (organisation, year)
    this statement's credits are for; overlaps by statements for the same pair are the second list."""
    double: list[Collision] = []
    same: list[Collision] = []
    for block in mine:
        for claim in claims:
            if claim.statement_uid.lower() == own_uid.lower():
                continue
            if not block.overlaps(claim.issuance_key, claim.first, claim.last):
                continue
            claimant = claimants.get(claim.statement_uid.lower())
            if claimant is None:  # a claim is never dropped because its statement's record is missing
                double.append(Collision(block, claim, None))
                continue
            if claimant.statement.revoked:
                continue
            pair = (claimant.beneficiary_org_id, claimant.year)
            (same if own is not None and pair == own else double).append(Collision(block, claim, claimant))
    return double, same


def describe_collision(c: Collision, names: Mapping[int, str], own_block: int | None = None) -> str:
    """`<our block> overlaps units a–b claimed by statement X by <verifier> for <organisation>, <year>`."""
    if c.claimant is None:
        return (
            f"{c.mine.describe()} overlaps {units(c.other.first, c.other.last)} of the same issuance claimed "
            f"by statement {c.other.statement_uid} (block {c.other.block_number}), of which the node gives "
            "no attestation record although the registry writes it with the claim: the claim counts"
        )
    s = c.claimant.statement
    verifier = f"{names.get(s.org_id, '?')} (org #{s.org_id})"
    if c.claimant.beneficiary_org_id is None:
        whose = "an organisation and year not recorded"
    else:
        org = c.claimant.beneficiary_org_id
        whose = f"{names.get(org, '?')} (org #{org}), {c.claimant.year}"
    when = ""
    if own_block is not None:
        when = ", earlier" if c.other.block_number < own_block else ", later"
    return (
        f"{c.mine.describe()} overlaps {units(c.other.first, c.other.last)} of the same issuance claimed "
        f"by statement {s.uid} (verifier {verifier}, for {whose}; block {c.other.block_number}{when})"
    )


# ---------------------------------------------------------------------------------- retirements


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def retirement_checks(
    statement: CarbonVerificationV2, figures: EsgFigures | None, policy: CreditPolicy
) -> list[RuleCheck]:
    """One (name, ok, detail) per retirement rule, each detail saying the rule; [] without a claim.
    ok None: not confirmed by what is at hand (the beneficiary is only the legal name the statement
    itself gives, the figures not at hand)."""
    claim = statement.neutrality_claim
    if claim is None:
        return []
    return [
        _beneficiary(statement, figures, claim),
        _dates(statement, claim),
        _vintage(statement, claim, policy),
        _quantity(claim),
    ]


def _place(i: int) -> str:
    return f"retirements[{i}]"


def _beneficiary(
    statement: CarbonVerificationV2, figures: EsgFigures | None, claim: NeutralityClaimV2
) -> RuleCheck:
    """With the figures: their legal name (or name). Without: the statement's organisation name (the
    `reference` line compares it with the admitted member's); its legal name is the statement's own
    word, so a beneficiary that is only that is not confirmed (a warning) — never a pass."""
    if figures is not None:
        org = figures.organisation
        expected = org.legal_name or org.name
        rule = "rule: the beneficiary is the figures' organisation, by legal name"
        wrong = [
            f"{_place(i)} retires for {quote_text(r.beneficiary)}"
            for i, r in enumerate(claim.retirements)
            if normalise_name(r.beneficiary) != normalise_name(expected)
        ]
        if wrong:
            return (
                "retirement: beneficiary",
                False,
                f"{'; '.join(wrong)}, not {quote_text(expected)} ({rule})",
            )
        return ("retirement: beneficiary", True, f"every retirement is for {quote_text(expected)} ({rule})")
    org = statement.organisation
    rule = (
        "rule: the beneficiary is the organisation the statement names (the figures are not at hand: "
        "the legal name the statement gives is confirmed only against the figures', "
        "`verify FIGURES --statement S`)"
    )
    named, legal = normalise_name(org.name), normalise_name(org.legal_name or "")
    wrong, unconfirmed = [], []
    for i, r in enumerate(claim.retirements):
        have = normalise_name(r.beneficiary)
        if have == named:
            continue
        if legal and have == legal:
            unconfirmed.append(f"{_place(i)} retires for {quote_text(r.beneficiary)}")
        else:
            wrong.append(f"{_place(i)} retires for {quote_text(r.beneficiary)}")
    if wrong:
        return ("retirement: beneficiary", False, f"{'; '.join(wrong)}, not {quote_text(org.name)} ({rule})")
    if unconfirmed:
        return (
            "retirement: beneficiary",
            None,
            f"{'; '.join(unconfirmed)}: the legal name the statement itself gives, not confirmed here "
            f"({rule})",
        )
    return ("retirement: beneficiary", True, f"every retirement is for {quote_text(org.name)} ({rule})")


def _dates(statement: CarbonVerificationV2, claim: NeutralityClaimV2) -> CrossCheck:
    end = dt.date.fromisoformat(statement.period.end)
    latest = _add_months(end, RETIRE_WITHIN_MONTHS)
    rule = (
        f"rule: retired on or after 1 January of the vintage year and no later than {RETIRE_WITHIN_MONTHS} "
        f"months after the period ends ({latest.isoformat()})"
    )
    wrong = []
    for i, r in enumerate(claim.retirements):
        day = dt.date.fromisoformat(r.retired_on)
        if day < dt.date(r.vintage, 1, 1):
            wrong.append(f"{_place(i)} retired {r.retired_on}, before its vintage {r.vintage} began")
        elif day > latest:
            wrong.append(f"{_place(i)} retired {r.retired_on}, after {latest.isoformat()}")
    if wrong:
        return ("retirement: date", False, f"{'; '.join(wrong)} ({rule})")
    days = sorted({r.retired_on for r in claim.retirements})
    return ("retirement: date", True, f"retired {', '.join(days)} ({rule})")


def _vintage(statement: CarbonVerificationV2, claim: NeutralityClaimV2, policy: CreditPolicy) -> CrossCheck:
    end_year = int(statement.period.end[:4])
    oldest = end_year - policy.max_vintage_age
    rule = (
        f"rule: vintage from {oldest} to {end_year}, at most {policy.max_vintage_age} years before the "
        "period ends (--max-vintage-age)"
    )
    wrong = [
        f"{_place(i)} vintage {r.vintage}"
        for i, r in enumerate(claim.retirements)
        if not oldest <= r.vintage <= end_year
    ]
    if wrong:
        return ("retirement: vintage", False, f"{'; '.join(wrong)} ({rule})")
    vintages = ", ".join(str(v) for v in sorted({r.vintage for r in claim.retirements}))
    return ("retirement: vintage", True, f"vintages {vintages} ({rule})")


def _quantity(claim: NeutralityClaimV2) -> CrossCheck:
    rule = "rule: each quantity = the units its serial blocks cover; total retired ≥ residual emissions"
    wrong = []
    for i, r in enumerate(claim.retirements):
        counted = r.units_retired()
        if Decimal(r.quantity_tco2e) != counted:
            wrong.append(f"{_place(i)} states {r.quantity_tco2e} tCO2e, its serial blocks {counted} units")
    total, residual = claim.credits_total(), Decimal(claim.residual_emissions_tco2e)
    if total < residual:
        wrong.append(f"retired {total} tCO2e < residual emissions {residual} tCO2e")
    if wrong:
        return ("retirement: quantity", False, f"{'; '.join(wrong)} ({rule})")
    parts = " + ".join(r.quantity_tco2e for r in claim.retirements)
    return (
        "retirement: quantity",
        True,
        f"{parts} = {total} tCO2e retired ≥ residual emissions {residual} tCO2e ({rule})",
    )
