"""The `esg-figures/1` document: a bank's yearly ESG figures, validated strictly.

Every figure's value is a decimal *string*: a JSON number would pass through binary floating
point somewhere between the bank and the reader, and the digest must cover the figure as written.
Unknown fields are errors, and optional fields must be left out rather than set to null, so the
document as validated canonicalises to exactly the bytes of the document as written
(see `figures_canonical`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from attest.core.canonical import canonical_bytes, sha256_hex
from attest.core.errors import SchemaError
from attest.core.strictjson import format_path, load_strict_file, quote_text

SCHEMA = "esg-figures/1"

_CODE = re.compile(r"[A-Z]\.[a-z0-9_.]+")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
_URI = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"

# Officially assigned ISO 3166-1 alpha-2 codes: a pattern alone would accept "XX" or "UK".
_ISO_3166_ALPHA2 = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - a 249-item literal would be unreadable
)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty or only whitespace")
    return value


def _iso_date(value: str) -> str:
    # date.fromisoformat alone also accepts "20220101" and week dates; require YYYY-MM-DD.
    if not _DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_value", "is not a real calendar date") from None
    return value


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise PydanticCustomError(
            "code", "must look like 'S.customers.individual': a capital letter, a dot, then a-z 0-9 _ ."
        )
    return value


def _country(value: str) -> str:
    if value not in _ISO_3166_ALPHA2:
        raise PydanticCustomError("country", "must be an ISO 3166-1 alpha-2 code such as 'CN'")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
IsoDate = Annotated[str, AfterValidator(_iso_date)]
Code = Annotated[str, AfterValidator(_code)]


M = TypeVar("M", bound=BaseModel)
Explain = Callable[[ErrorDetails], "str | None"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        """Optional fields are omitted, never null: a null would vanish from the canonical form."""
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key)
                if value is None and field is not None and not field.is_required():
                    raise PydanticCustomError(
                        "null", "must be omitted rather than null", {"at": format_path([key])}
                    )
        return data


class Organisation(StrictModel):
    name: Text
    legal_name: Text | None = None
    country: Annotated[str, AfterValidator(_country)]


class Period(StrictModel):
    start: IsoDate
    end: IsoDate

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start > self.end:  # YYYY-MM-DD strings order like the dates they name
            raise PydanticCustomError("period_order", "end is before start", {"at": "end"})
        return self


class Report(StrictModel):
    title: Text
    language: Annotated[str, Field(pattern=_LANGUAGE)]
    uri: Annotated[str, Field(pattern=_URI)] | None = None


class Metric(StrictModel):
    """One figure as published, with how it was qualified (超 = at least, 约 = about, ...)."""

    code: Code
    label: Text
    value: str
    unit: Text
    qualifier: Literal["exact", "at_least", "about", "at_most"]
    scope: Literal["year", "cumulative", "point_in_time"]
    category: Literal["E", "S", "G"]
    source: Text
    as_written: Text | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _decimal_string(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise PydanticCustomError("decimal_number", "must be a decimal string, not a number")
        if isinstance(value, str) and not _DECIMAL.fullmatch(value):
            raise PydanticCustomError(
                "decimal_string",
                "must be a plain decimal string like '360000000' or '-7.5' "
                "(no sign '+', exponent, separators or spaces)",
            )
        return value

    @model_validator(mode="after")
    def _category_matches_code(self) -> Metric:
        if self.code[0] != self.category:
            raise PydanticCustomError(
                "category_mismatch",
                "category {category} does not match the first letter of code {code}",
                {"at": "category", "category": repr(self.category), "code": quote_text(self.code)},
            )
        return self


class Claim(StrictModel):
    """A qualitative claim, e.g. operational carbon neutrality; a verification statement backs it."""

    code: Code
    text: Text
    standard: Text | None = None
    as_written: Text | None = None
    source: Text | None = None


class EsgFigures(StrictModel):
    schema_: Literal["esg-figures/1"] = Field(alias="schema")
    organisation: Organisation
    reporting_year: Annotated[int, Field(ge=1990, le=2100)]
    period: Period
    report: Report | None = None
    metrics: Annotated[list[Metric], Field(min_length=1)]
    claims: list[Claim] | None = None
    # Example data that is not a real organisation's report (`true`, or left out: documents without
    # it digest as before).
    illustrative: Literal[True] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EsgFigures:
        if int(self.period.end[:4]) != self.reporting_year:
            raise PydanticCustomError(
                "period_year",
                "period ends in {end_year}, not in the reporting year {year}",
                {"at": "period.end", "end_year": self.period.end[:4], "year": self.reporting_year},
            )
        first_seen: dict[str, str] = {}
        items = [("metrics", i, m.code) for i, m in enumerate(self.metrics)]
        items += [("claims", i, c.code) for i, c in enumerate(self.claims or ())]
        for listname, index, code in items:
            here = format_path([listname, index])
            if code in first_seen:
                raise PydanticCustomError(
                    "duplicate_code",
                    "duplicate code {code} (first used at {first})",
                    {"at": f"{here}.code", "code": quote_text(code), "first": first_seen[code]},
                )
            first_seen[code] = here
        return self


def _location(error: ErrorDetails) -> str:
    where = format_path(error["loc"])
    at = (error.get("ctx") or {}).get("at")
    if isinstance(at, str) and at:
        where = f"{where}.{at}" if where and not at.startswith("[") else f"{where}{at}"
    return where


def _message(error: ErrorDetails, schema: str, explain: Explain | None) -> str:
    if explain is not None and (special := explain(error)) is not None:
        return special
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field (not part of {schema})"
    return error["msg"]


def validate_document(
    model: type[M], schema: str, obj: Any, *, path: str | Path | None = None, explain: Explain | None = None
) -> M:
    """Validate a parsed JSON value as a `schema` document; the first problem becomes one SchemaError line.

    Shared by every structured document type, so they all report errors the same way.
    """
    if not isinstance(obj, dict):
        raise SchemaError(f"expected a JSON object ({schema} document)", path=path)
    if "schema" not in obj:
        raise SchemaError(f"missing; expected {schema!r}", path=path, field="schema")
    if obj["schema"] != schema:
        got = quote_text(obj["schema"]) if isinstance(obj["schema"], str) else type(obj["schema"]).__name__
        raise SchemaError(f"unsupported schema {got}; expected {schema!r}", path=path, field="schema")
    try:
        return model.model_validate(obj)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        first = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SchemaError(
            _message(first, schema, explain) + more, path=path, field=_location(first) or None
        ) from None


def _explain(error: ErrorDetails) -> str | None:
    if error["type"] == "literal_error" and error["loc"] and error["loc"][-1] == "illustrative":
        return "must be true, or left out"
    return None


def parse_figures(obj: Any, *, path: str | Path | None = None) -> EsgFigures:
    """Validate a parsed JSON value as `esg-figures/1`; the first problem becomes one SchemaError line."""
    return validate_document(EsgFigures, SCHEMA, obj, path=path, explain=_explain)


def load_figures(path: str | Path) -> EsgFigures:
    """Strictly load and validate a figures file."""
    return parse_figures(load_strict_file(path), path=path)


def figures_canonical(doc: EsgFigures) -> bytes:
    """RFC 8785 bytes of the document as validated: what its digest is computed over.

    Because unknown fields are rejected, nothing is coerced and optional fields are omitted
    rather than null, these are the same bytes as canonicalising the input object itself: key
    order and whitespace in the file do not matter, every character of every string does.
    """
    return canonical_bytes(doc.model_dump(by_alias=True, exclude_none=True, mode="json"))


def figures_digest(doc: EsgFigures) -> str:
    """sha256 hex of `figures_canonical(doc)`."""
    return sha256_hex(figures_canonical(doc))


def is_figures_document(obj: object) -> bool:
    """Whether a parsed JSON value declares itself an esg-figures document, of any version.

    Any `esg-figures/...` counts, so an unsupported version is reported as such by `parse_figures`
    instead of being silently hashed as an opaque file.
    """
    return isinstance(obj, dict) and str(obj.get("schema", "")).startswith("esg-figures/")
