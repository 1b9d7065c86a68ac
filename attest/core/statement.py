"""The `carbon-verification/1` and `/2` documents: a third-party carbon verification statement, strictly.

A verification body (accredited, e.g. by CNAS) states the organisation's scope 1/2/3 emissions for
a period as reported and as verified, the level of assurance and its opinion, and — when the
organisation claims carbon neutrality — the carbon credits retired to offset what remained.

Same conventions as `esg-figures/1` (see attest.core.figures): unknown fields and nulls are errors,
quantities are decimal *strings*, and the first problem becomes one SchemaError line naming the
field. Beyond shape, content that cannot be true is rejected:

- tonnes are never negative; the verified and reported figures name the same scopes;
- the period ends in the reporting year, and the statement is issued on or after the period's end;
- a credit's vintage is not after the year the period ends;
- where serial ranges are given (integer strings, `end >= start`, size `end - start + 1`), the
  credit's quantity equals the sum of the range sizes, and no serial is counted twice within a
  registry;
- a neutrality claim's residual emissions EQUAL the verified total (scope1 + scope2, + scope3 when
  given). Reductions are already reflected in the verified figures, so nothing may be subtracted
  between "verified" and "offset"; an organisation that wants to claim less must restate the
  verified figures, not shrink the residual;
- the credits retired total at least the residual emissions.

`carbon-verification/2` is the same document with a richer record of each retirement behind a
neutrality claim (`neutrality_claim.retirements`): the carbon registry (an id or name of the table in
attest.core.registries — `verra`, `gold-standard`, `VCS`… — or, read but refused at publishing, any
other registry id or URI), the project, the serial blocks retired (a serial in the registry's own
notation where the table reads one, or `issuance` + `start` + `end`), quantity, vintage, retirement
date, beneficiary and reason; optionally the sha256 of the registry exports the verifier relied on
(`registry_records_sha256`). Its schema checks the shape: every serial parses, a Verra serial agrees
with its retirement's project and vintage, no two blocks name the same units (in any spelling: their
canonical identity), and the residual equals the verified total. What the retirements must add up
to and when they may happen — quantity = the units of the blocks, retired total ≥ residual,
retirement dates, vintage age, beneficiary — are checked by `attest verify`, one line each
(attest.core.credits), so a reader sees which rule failed. Both
versions are read; `/1` documents digest exactly as before.

`disclosure_root` (optional, `0x` + 64 lowercase hex) says the verifier audited the publisher's
selective-disclosure tree with that root (`attest audit-disclosure`): every leaf recomputed from the
figures this statement covers. Left out, it changes nothing, so the digests of statements without it
are what they were.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from attest.core.canonical import canonical_bytes, sha256_hex
from attest.core.errors import SchemaError
from attest.core.figures import (
    EsgFigures,
    IsoDate,
    Organisation,
    Period,
    StrictModel,
    Text,
    validate_document,
)
from attest.core.registries import clean_text, credit_block, project_number, resolve_registry, serial_facts
from attest.core.serials import VERRA, CreditBlock, is_registry_id, parse_verra_serial
from attest.core.strictjson import format_path, load_strict_file, quote_text

SCHEMA = "carbon-verification/1"
SCHEMA_V2 = "carbon-verification/2"
SCHEMAS = (SCHEMA, SCHEMA_V2)
NEUTRALITY_CLAIM_CODE = "E.carbon_neutral_operations"

_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_SERIAL = re.compile(r"[0-9]{1,40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ROOT = re.compile(r"0x[0-9a-f]{64}")


def _decimal_string(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PydanticCustomError("decimal_number", "must be a decimal string, not a number")
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise PydanticCustomError(
            "decimal_string",
            "must be a plain decimal string like '1234.5' (no sign '+', exponent, separators or spaces)",
        )
    return value


def _not_negative(value: str) -> str:
    if value.startswith("-"):
        raise PydanticCustomError("negative", "must not be negative")
    return value


def _percent(value: str) -> str:
    if Decimal(value) > 100:
        raise PydanticCustomError("percent_range", "must be a percentage between 0 and 100")
    return value


def _serial(value: str) -> str:
    if not _SERIAL.fullmatch(value):
        raise PydanticCustomError("serial", "must be a serial number written as digits only")
    return value


def _sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise PydanticCustomError("sha256", "must be a sha256 digest: 64 lowercase hex digits")
    return value


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise PydanticCustomError(
                "duplicate", "duplicate entry {value}", {"at": f"[{i}]", "value": quote_text(v)}
            )
        seen.add(v)
    return values


def _registry(value: str) -> str:
    if not is_registry_id(value) and resolve_registry(value) is None:
        raise PydanticCustomError(
            "registry_id",
            "must be a registry identifier such as 'verra' or 'gold-standard' (lower case, - or .), "
            "one of a known registry's names, or the registry's URI",
        )
    return value


def _root(value: str) -> str:
    if not _ROOT.fullmatch(value):
        raise PydanticCustomError("root", "must be a Merkle root: 0x and 64 lowercase hex digits")
    return value


#: Non-negative tonnes of CO2e (or any non-negative quantity) as a decimal string.
Tonnes = Annotated[str, BeforeValidator(_decimal_string), AfterValidator(_not_negative)]
Percent = Annotated[Tonnes, AfterValidator(_percent)]
Serial = Annotated[str, AfterValidator(_serial)]
RegistryId = Annotated[str, AfterValidator(_registry)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class Accreditation(StrictModel):
    body: Text
    number: Text


class Verifier(StrictModel):
    name: Text
    accreditation: Accreditation


class Scopes(StrictModel):
    """tCO2e per GHG Protocol scope; scope 3 is optional (many verifications exclude it)."""

    scope1: Tonnes
    scope2: Tonnes
    scope3: Tonnes | None = None

    def total(self) -> Decimal:
        return sum((Decimal(v) for v in (self.scope1, self.scope2, self.scope3) if v is not None), Decimal(0))


class Emissions(StrictModel):
    reported: Scopes
    verified: Scopes

    @model_validator(mode="after")
    def _same_scopes(self) -> Emissions:
        if (self.reported.scope3 is None) != (self.verified.scope3 is None):
            missing, other = (
                ("verified", "reported") if self.verified.scope3 is None else ("reported", "verified")
            )
            raise PydanticCustomError(
                "scope_mismatch",
                "scope3 is missing here but given in {other}",
                {"at": f"{missing}.scope3", "other": other},
            )
        return self


class SerialRange(StrictModel):
    """An inclusive range of credit serial numbers: `end - start + 1` credits of one tonne each."""

    start: Serial
    end: Serial

    @model_validator(mode="after")
    def _ordered(self) -> SerialRange:
        if int(self.end) < int(self.start):
            raise PydanticCustomError("serial_order", "end is below start", {"at": "end"})
        return self

    @property
    def size(self) -> int:
        return int(self.end) - int(self.start) + 1


class Credit(StrictModel):
    """Carbon credits retired for the claim: where they are registered, how many tonnes, of what year."""

    registry: Text
    serials: Annotated[list[SerialRange], Field(min_length=1)] | None = None
    quantity_tco2e: Tonnes
    vintage: Year

    @model_validator(mode="after")
    def _serials_add_up(self) -> Credit:
        if self.serials is not None:
            size = sum(r.size for r in self.serials)
            if Decimal(self.quantity_tco2e) != size:
                raise PydanticCustomError(
                    "serial_quantity",
                    "quantity {quantity} does not equal the {size} credits the serial ranges name",
                    {"at": "quantity_tco2e", "quantity": self.quantity_tco2e, "size": size},
                )
        return self


class NeutralityClaim(StrictModel):
    standard: Literal["ISO 14068-1:2023", "PAS 2060"]
    residual_emissions_tco2e: Tonnes
    credits: Annotated[list[Credit], Field(min_length=1)]

    def credits_total(self) -> Decimal:
        return sum((Decimal(c.quantity_tco2e) for c in self.credits), Decimal(0))

    @model_validator(mode="after")
    def _covered(self) -> NeutralityClaim:
        seen: dict[str, list[tuple[int, int, str]]] = {}
        for i, credit in enumerate(self.credits):
            for j, r in enumerate(credit.serials or ()):
                here = format_path(["credits", i, "serials", j])
                for lo, hi, other in seen.get(credit.registry, ()):
                    if int(r.start) <= hi and lo <= int(r.end):
                        raise PydanticCustomError(
                            "serial_overlap",
                            "serial range overlaps {other} in the same registry (a credit counted twice)",
                            {"at": here, "other": other},
                        )
                seen.setdefault(credit.registry, []).append((int(r.start), int(r.end), here))
        total, residual = self.credits_total(), Decimal(self.residual_emissions_tco2e)
        if total < residual:
            raise PydanticCustomError(
                "credits_short",
                "credits retired total {total} tCO2e, less than the residual emissions {residual} tCO2e",
                {"at": "credits", "total": str(total), "residual": self.residual_emissions_tco2e},
            )
        return self


class SerialBlock(StrictModel):
    """A block of retired credits: a serial in the registry's own format (`serial`: Verra's), or the
    `start` and `end` unit numbers under the registry's `issuance` id."""

    serial: Text | None = None
    issuance: Text | None = None
    start: Serial | None = None
    end: Serial | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SerialBlock:
        if self.serial is not None:
            for name in ("issuance", "start", "end"):
                if getattr(self, name) is not None:
                    raise PydanticCustomError(
                        "serial_form", "give either serial, or issuance with start and end", {"at": name}
                    )
            return self
        for name in ("issuance", "start", "end"):
            if getattr(self, name) is None:
                raise PydanticCustomError(
                    "serial_form", "required field is missing (or give the registry's serial)", {"at": name}
                )
        assert self.start is not None and self.end is not None
        if int(self.end) < int(self.start):
            raise PydanticCustomError("serial_order", "end is below start", {"at": "end"})
        return self


class Retirement(StrictModel):
    """One retirement of credits for the claim, as the carbon registry records it."""

    registry: RegistryId
    project_id: Text
    serial_blocks: Annotated[list[SerialBlock], Field(min_length=1)]
    quantity_tco2e: Tonnes
    vintage: Year
    retired_on: IsoDate
    beneficiary: Text
    reason: Text

    @model_validator(mode="after")
    def _serials_read(self) -> Retirement:
        known = resolve_registry(self.registry)
        for j, block in enumerate(self.serial_blocks):
            at = format_path(["serial_blocks", j])
            if known is None or known.id != VERRA:
                if block.serial is None:
                    if known is not None:
                        assert block.issuance is not None
                        try:
                            issuance = known.issuance_of(block.issuance)
                        except ValueError as exc:
                            raise PydanticCustomError(
                                "registry_issuance", "{why}", {"at": f"{at}.issuance", "why": str(exc)}
                            ) from None
                        self._agrees(known.id, issuance, f"{at}.issuance")
                    continue
                if known is None or known.serial is None:
                    what = "a registry not in the table" if known is None else known.name
                    raise PydanticCustomError(
                        "serial_format",
                        "no serial of {registry} ({what}) is read: give issuance, start and end",
                        {"at": f"{at}.serial", "registry": quote_text(self.registry), "what": what},
                    )
                try:
                    parsed = known.serial(block.serial)
                except ValueError as exc:
                    raise PydanticCustomError(
                        "registry_serial", "{why}", {"at": f"{at}.serial", "why": str(exc)}
                    ) from None
                self._agrees(known.id, parsed.issuance, f"{at}.serial")
                continue
            if block.serial is None:
                raise PydanticCustomError(
                    "serial_format", "a Verra block is given as its serial", {"at": f"{at}.serial"}
                )
            try:
                serial = parse_verra_serial(block.serial)
                clean_text(block.serial)
            except ValueError as exc:
                raise PydanticCustomError(
                    "verra_serial", "{why}", {"at": f"{at}.serial", "why": str(exc)}
                ) from None
            project = re.fullmatch(r"(?:VCS[- ]?)?0*([0-9]+)", self.project_id)
            if project is None or int(project.group(1)) != serial.project_id:
                raise PydanticCustomError(
                    "serial_project",
                    "the serial is of project {serial}, the retirement names {project}",
                    {
                        "at": f"{at}.serial",
                        "serial": str(serial.project_id),
                        "project": quote_text(self.project_id),
                    },
                )
            if not serial.vintage_start.year <= self.vintage <= serial.vintage_end.year:
                raise PydanticCustomError(
                    "serial_vintage",
                    "the serial's vintage period {start}..{end} does not include the vintage {vintage}",
                    {
                        "at": f"{at}.serial",
                        "start": serial.vintage_start.isoformat(),
                        "end": serial.vintage_end.isoformat(),
                        "vintage": self.vintage,
                    },
                )
        return self

    def _agrees(self, registry_id: str, issuance: str, at: str) -> None:
        """A serial that states its project and vintage (Gold Standard's: GSID and vintage year) states
        the retirement's: old credits are not relabelled as this year's, nor one project as another."""
        project, vintages = serial_facts(registry_id, issuance)
        if project is not None and project_number(self.project_id) != project:
            raise PydanticCustomError(
                "serial_project",
                "the serial is of project {serial}, the retirement names {project}",
                {"at": at, "serial": str(project), "project": quote_text(self.project_id)},
            )
        if vintages is not None and not vintages[0] <= self.vintage <= vintages[1]:
            raise PydanticCustomError(
                "serial_vintage",
                "the serial's vintage {serial} is not the retirement's vintage {vintage}",
                {"at": at, "serial": str(vintages[0]), "vintage": self.vintage},
            )

    def blocks(self, where: str) -> list[CreditBlock]:
        """The blocks it retires, each with its canonical identity (attest.core.registries); `where`
        is its own field path (for messages)."""
        out = []
        for j, b in enumerate(self.serial_blocks):
            here = f"{where}.serial_blocks[{j}]"
            if b.serial is not None:
                out.append(credit_block(self.registry, here, serial=b.serial))
            else:
                assert b.issuance is not None and b.start is not None and b.end is not None
                out.append(
                    credit_block(self.registry, here, issuance=b.issuance, start=int(b.start), end=int(b.end))
                )
        return out

    def units_retired(self) -> int:
        return sum(b.size for b in self.blocks(""))


class NeutralityClaimV2(StrictModel):
    standard: Literal["ISO 14068-1:2023", "PAS 2060"]
    residual_emissions_tco2e: Tonnes
    retirements: Annotated[list[Retirement], Field(min_length=1)]

    def credits_total(self) -> Decimal:
        """The retired quantity as the retirements state it (their blocks' units are checked by verify)."""
        return sum((Decimal(r.quantity_tco2e) for r in self.retirements), Decimal(0))

    def blocks(self) -> list[CreditBlock]:
        """Every serial block retired, in document order."""
        return [
            b
            for i, r in enumerate(self.retirements)
            for b in r.blocks(format_path(["neutrality_claim", "retirements", i]))
        ]

    @model_validator(mode="after")
    def _no_unit_twice(self) -> NeutralityClaimV2:
        seen: list[CreditBlock] = []
        for b in self.blocks():
            for other in seen:
                if b.overlaps(other.key, other.first, other.last):
                    raise PydanticCustomError(
                        "serial_overlap",
                        "serial block overlaps {other} of the same issuance (a credit counted twice)",
                        {"at": b.where.removeprefix("neutrality_claim."), "other": other.where},
                    )
            seen.append(b)
        return self


class _Statement(StrictModel):
    """What both versions share."""

    verifier: Verifier
    organisation: Organisation
    period: Period
    reporting_year: Year
    boundary: Text
    criteria: Annotated[list[Text], Field(min_length=1), AfterValidator(_unique)]
    emissions_tco2e: Emissions
    materiality_percent: Percent
    assurance: Literal["reasonable", "limited"]
    opinion: Literal["unmodified", "modified", "adverse", "disclaimer"]
    issued: IsoDate
    signed_statement_sha256: Annotated[str, AfterValidator(_sha256)] | None = None
    disclosure_root: Annotated[str, AfterValidator(_root)] | None = None
    illustrative: Literal[True] | None = None

    @model_validator(mode="after")
    def _dated(self) -> _Statement:
        end_year = int(self.period.end[:4])
        if end_year != self.reporting_year:
            raise PydanticCustomError(
                "period_year",
                "period ends in {end_year}, not in the reporting year {year}",
                {"at": "period.end", "end_year": str(end_year), "year": self.reporting_year},
            )
        if self.issued < self.period.end:  # YYYY-MM-DD strings order like the dates they name
            raise PydanticCustomError(
                "issued_early",
                "issued {issued}, before the verified period ends ({end})",
                {"at": "issued", "issued": self.issued, "end": self.period.end},
            )
        return self

    def _residual_is_verified(self, residual: str) -> None:
        verified = self.emissions_tco2e.verified.total()
        if Decimal(residual) != verified:
            raise PydanticCustomError(
                "residual_mismatch",
                "residual emissions {residual} tCO2e do not equal the verified total {verified} tCO2e "
                "(scope1 + scope2{scope3}); reductions belong in the verified figures",
                {
                    "at": "neutrality_claim.residual_emissions_tco2e",
                    "residual": residual,
                    "verified": str(verified),
                    "scope3": " + scope3" if self.emissions_tco2e.verified.scope3 is not None else "",
                },
            )


class CarbonVerificationV1(_Statement):
    schema_: Literal["carbon-verification/1"] = Field(alias="schema")
    neutrality_claim: NeutralityClaim | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CarbonVerificationV1:
        end_year = int(self.period.end[:4])
        claim = self.neutrality_claim
        if claim is None:
            return self
        for i, credit in enumerate(claim.credits):
            if credit.vintage > end_year:
                raise PydanticCustomError(
                    "vintage_late",
                    "vintage {vintage} is after the period it offsets ends ({end_year})",
                    {
                        "at": format_path(["neutrality_claim", "credits", i, "vintage"]),
                        "vintage": credit.vintage,
                        "end_year": str(end_year),
                    },
                )
        self._residual_is_verified(claim.residual_emissions_tco2e)
        return self


class CarbonVerificationV2(_Statement):
    schema_: Literal["carbon-verification/2"] = Field(alias="schema")
    neutrality_claim: NeutralityClaimV2 | None = None
    # the sha256 of each registry export the verifier checked the retirements against (optional;
    # `verify --registry-records` says whether the file given is that one: docs/credits.md)
    registry_records_sha256: (
        Annotated[list[Annotated[str, AfterValidator(_sha256)]], Field(min_length=1), AfterValidator(_unique)]
        | None
    ) = None

    @model_validator(mode="after")
    def _consistent(self) -> CarbonVerificationV2:
        if self.neutrality_claim is not None:
            self._residual_is_verified(self.neutrality_claim.residual_emissions_tco2e)
        return self


#: A statement of either version.
CarbonVerification = CarbonVerificationV1 | CarbonVerificationV2


def _explain(error: ErrorDetails) -> str | None:
    if error["type"] == "literal_error" and error["loc"] and error["loc"][-1] == "illustrative":
        return "must be true, or left out"
    return None


def parse_statement(obj: Any, *, path: str | Path | None = None) -> CarbonVerification:
    """Validate a parsed JSON value as `carbon-verification/1` or `/2` (as it declares); the first
    problem is one SchemaError line."""
    if isinstance(obj, dict) and obj.get("schema") == SCHEMA_V2:
        return validate_document(CarbonVerificationV2, SCHEMA_V2, obj, path=path, explain=_explain)
    if isinstance(obj, dict) and isinstance(obj.get("schema"), str) and obj["schema"] != SCHEMA:
        raise SchemaError(
            f"unsupported schema {quote_text(obj['schema'])}; expected {SCHEMA!r} or {SCHEMA_V2!r}",
            path=path,
            field="schema",
        )
    return validate_document(CarbonVerificationV1, SCHEMA, obj, path=path, explain=_explain)


def load_statement(path: str | Path) -> CarbonVerification:
    """Strictly load and validate a statement file."""
    return parse_statement(load_strict_file(path), path=path)


def statement_canonical(doc: CarbonVerification) -> bytes:
    """RFC 8785 bytes of the statement as validated (equal to canonicalising the input object itself)."""
    return canonical_bytes(doc.model_dump(by_alias=True, exclude_none=True, mode="json"))


def statement_digest(doc: CarbonVerification) -> str:
    """sha256 hex of `statement_canonical(doc)`."""
    return sha256_hex(statement_canonical(doc))


def is_statement_document(obj: object) -> bool:
    """Whether a parsed JSON value declares itself a `carbon-verification/…` document (not whether valid)."""
    return isinstance(obj, dict) and str(obj.get("schema", "")).startswith("carbon-verification/")


def cross_check(statement: CarbonVerification, figures: EsgFigures) -> list[tuple[str, bool, str]]:
    """Compare a statement with the figures it covers: (check name, ok, detail) for each check.

    Checks, always in this order: the organisation (name, country, and the legal name where the
    statement gives one: a registry's beneficiary is matched against it), the reporting year, the
    period, and carbon neutrality — when the figures claim `E.carbon_neutral_operations`, the
    statement must carry a neutrality claim whose credits cover its residual emissions, under an
    opinion that is not adverse or a disclaimer.
    """
    out: list[tuple[str, bool, str]] = []
    s_org, f_org = statement.organisation, figures.organisation
    if s_org.name != f_org.name:
        out.append(
            (
                "organisation",
                False,
                f"statement names {quote_text(s_org.name)}, figures {quote_text(f_org.name)}",
            )
        )
    elif s_org.country != f_org.country:
        out.append(("organisation", False, f"statement country {s_org.country}, figures {f_org.country}"))
    elif s_org.legal_name is not None and s_org.legal_name != f_org.legal_name:
        figures_legal = quote_text(f_org.legal_name) if f_org.legal_name else "none"
        out.append(
            (
                "organisation",
                False,
                f"statement legal name {quote_text(s_org.legal_name)}, figures {figures_legal}",
            )
        )
    else:
        out.append(("organisation", True, f"{quote_text(s_org.name)} ({s_org.country})"))

    ok = statement.reporting_year == figures.reporting_year
    out.append(
        (
            "reporting year",
            ok,
            str(statement.reporting_year)
            if ok
            else f"statement {statement.reporting_year}, figures {figures.reporting_year}",
        )
    )

    sp, fp = statement.period, figures.period
    ok = (sp.start, sp.end) == (fp.start, fp.end)
    out.append(
        (
            "period",
            ok,
            f"{sp.start}..{sp.end}"
            if ok
            else f"statement {sp.start}..{sp.end}, figures {fp.start}..{fp.end}",
        )
    )

    claimed = any(c.code == NEUTRALITY_CLAIM_CODE for c in figures.claims or ())
    claim = statement.neutrality_claim
    if not claimed:
        out.append(("carbon neutrality", True, "the figures make no carbon-neutrality claim"))
    elif claim is None:
        out.append(
            (
                "carbon neutrality",
                False,
                f"the figures claim {NEUTRALITY_CLAIM_CODE} but the statement carries no neutrality claim",
            )
        )
    else:
        total, residual = claim.credits_total(), Decimal(claim.residual_emissions_tco2e)
        if statement.opinion in ("adverse", "disclaimer"):
            out.append(
                (
                    "carbon neutrality",
                    False,
                    f"the verifier's opinion is {statement.opinion}: it backs no neutrality claim",
                )
            )
        elif total < residual:
            out.append(
                (
                    "carbon neutrality",
                    False,
                    f"credits retired {total} tCO2e < residual emissions {residual} tCO2e",
                )
            )
        else:
            out.append(
                (
                    "carbon neutrality",
                    True,
                    f"{claim.standard}: credits retired {total} tCO2e ≥ residual emissions {residual} tCO2e",
                )
            )
    return out
