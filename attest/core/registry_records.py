"""Retirements checked against the registries' own records (`verify --registry-records FILE…`). Pure.

A registry's public export is read in its own columns: the file is recognised by its header
(`FORMATS`: which columns name it, which registry it is, where the serial, status, beneficiary and
date are). A header no format knows is one InputError line (exit 2). Each row becomes a
`RegistryRecord`: units `first`..`last` of a canonical issuance (attest.core.registries — the same
identity claims are compared by), its status, beneficiary text and date.

For each retirement a statement lists, `record_checks` gives one line:
- **pass**: every unit of its blocks is in the records, retired (Verra's export does not tell a
  retirement from a cancellation: its rows count as "retired or cancelled", and the line says so),
  for a beneficiary that is the organisation (`beneficiary_names`: the admitted member's name the
  chain records, and the legal name only where the figures at hand give the statement's; equal,
  normalised, to a structured column; a free-text column naming it as words is a warning), of the
  retirement's project and vintage where the record's serial says them, on the retirement's day and a
  date that fits the statement (on or after 1 January of the vintage year, and no later than the
  statement was issued nor 12 months after its period; before the period, a warning), in the quantity
  the retirement claims (each unit counted once);
- **fail**: any unit retired (or cancelled) for someone else, cancelled rather than retired, only
  issued (unless another record retires it), of another project or vintage, retired on a date that
  does not fit, or a quantity the records do not give; a registry not in the table;
- **info** (`·`): units the records given do not hold — a fail with `--require-registry`.
Every line names each file's sha256 and the newest date it holds, so a reader knows what was looked at.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from attest.core.errors import InputError
from attest.core.figures import EsgFigures
from attest.core.names import normalise_name
from attest.core.registries import (
    canonical_text,
    known_registries,
    project_number,
    resolve_registry,
    serial_facts,
)
from attest.core.serials import CreditBlock, units
from attest.core.statement import CarbonVerificationV2, Retirement
from attest.core.strictjson import quote_text

RETIRED = "retired"
RETIRED_OR_CANCELLED = "retired or cancelled"  # Verra: one column for both
CANCELLED = "cancelled"
ISSUED = "issued"
RETIRE_WITHIN_MONTHS = 12

Row = Mapping[str, str]
LineStatus = Literal["pass", "fail", "warn", "info"]
Line = tuple[str, LineStatus, str]


@dataclass(frozen=True)
class RegistryRecord:
    """One row of a registry's export: units `first`..`last` of `issuance` (canonical) of `registry`."""

    registry: str
    issuance: str
    first: int
    last: int
    status: str
    beneficiary: str
    day: dt.date | None
    file: str
    line: int
    free_text: bool = False  # the beneficiary column is free text (a reason), not a name field
    # what the record's serial says of the credits, where the registry's serial says it (Verra: the
    # project and the vintage period; Gold Standard: the GSID and the vintage): None otherwise
    project: int | None = None
    vintages: tuple[int, int] | None = None


@dataclass(frozen=True)
class RecordsFile:
    """A registry export read: its name, sha256, the format its header matched, its rows."""

    name: str
    sha256: str
    format: str
    registry: str
    records: tuple[RegistryRecord, ...]

    @property
    def newest(self) -> dt.date | None:
        days = [r.day for r in self.records if r.day is not None]
        return max(days) if days else None

    def describe(self) -> str:
        newest = self.newest.isoformat() if self.newest else "no dates"
        return f"{self.name} ({self.format}, sha256 {self.sha256}, newest {newest})"


# ------------------------------------------------------------------------------------ formats


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    m = re.match(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.match(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", text)
    if m:
        return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    raise ValueError(f"date {text!r} is neither YYYY-MM-DD nor M/D/YYYY")


def _serial_units(registry: str) -> Callable[[Row, str], tuple[str, int, int]]:
    """Reads a row's serial column with the registry's own serial parser."""
    known = resolve_registry(registry)
    assert known is not None and known.serial is not None

    def read(row: Row, column: str) -> tuple[str, int, int]:
        p = known.serial(row[column])  # type: ignore[misc]
        return p.issuance, p.first, p.last

    return read


def _from_to(row: Row, column: str) -> tuple[str, int, int]:
    first, last = int(row["from"]), int(row["to"])
    if last < first:
        raise ValueError("to is below from")
    return canonical_text(row[column]), first, last


@dataclass(frozen=True)
class Format:
    """A registry export's layout: the columns that recognise it and where each fact is."""

    name: str
    registry: str
    columns: frozenset[str]
    serial: str
    units: Callable[[Row, str], tuple[str, int, int]]
    status: Callable[[Row], str]
    date: str | None
    beneficiary: str | None
    # the beneficiary column is free text ("retired on behalf of X for …"): a name found in it is a
    # mention (a warning), not the beneficiary field a registry fills with one name
    free_text: bool = False


def _verra_status(row: Row) -> str:
    return RETIRED_OR_CANCELLED if row["Retirement/Cancellation Date"].strip() else ISSUED


def _status_column(column: str) -> Callable[[Row], str]:
    def read(row: Row) -> str:
        value = row[column].strip().casefold()
        return {"retired": RETIRED, "cancelled": CANCELLED, "canceled": CANCELLED}.get(value, ISSUED)

    return read


def _always(status: str) -> Callable[[Row], str]:
    return lambda row: status


def _cols(*names: str) -> frozenset[str]:
    return frozenset(names)


#: The exports read, recognised by their header. A registry's new export is one entry here.
FORMATS: tuple[Format, ...] = (
    Format(
        "Verra transactions", "verra",
        _cols("Serial Number", "Retirement/Cancellation Date", "Retirement Beneficiary", "Quantity Issued"),
        "Serial Number", _serial_units("verra"), _verra_status, "Retirement/Cancellation Date",
        "Retirement Beneficiary",
    ),
    Format(
        "Gold Standard retirements", "gold-standard",
        _cols("Serial Number", "Credit Status", "GSID", "Retirement Date", "Using Entity"),
        "Serial Number", _serial_units("gold-standard"), _status_column("Credit Status"), "Retirement Date",
        "Using Entity",
    ),
    Format(
        "Gold Standard issuances", "gold-standard",
        _cols("Serial Number", "Credit Status", "GSID", "Issuance Date"),
        "Serial Number", _serial_units("gold-standard"), _status_column("Credit Status"), None, None,
    ),
    Format(
        "ACR retirements", "acr",
        _cols("Credit Serial Numbers", "Retired on Behalf of", "Status Effective (GMT)", "fiid"),
        "Credit Serial Numbers", _serial_units("acr"), _always(RETIRED), "Status Effective (GMT)",
        "Retired on Behalf of",
    ),
    Format(
        "ACR cancellations", "acr",
        _cols("Credit Serial Numbers", "Cancellation Type", "Status Effective (GMT)"),
        "Credit Serial Numbers", _serial_units("acr"), _always(CANCELLED), "Status Effective (GMT)", None,
    ),
    Format(
        "CAR retirements", "car",
        _cols("Offset Credit Serial Numbers", "Retirement Reason Details", "Status Effective"),
        "Offset Credit Serial Numbers", _serial_units("car"), _always(RETIRED), "Status Effective",
        "Retirement Reason Details", free_text=True,
    ),
    Format(
        "CAR cancellations", "car",
        _cols("Offset Credit Serial Numbers", "Cancellation Reason", "Status Effective"),
        "Offset Credit Serial Numbers", _serial_units("car"), _always(CANCELLED), "Status Effective", None,
    ),
    Format(
        "ART retirements", "art",
        _cols("Credit Serial Numbers", "Retired on Behalf of", "Status Effective", "Program ID"),
        "Credit Serial Numbers", _serial_units("art"), _always(RETIRED), "Status Effective",
        "Retired on Behalf of", free_text=True,
    ),
    Format(
        "ART cancellations", "art",
        _cols("Credit Serial Numbers", "Cancellation Reason", "Status Effective", "Program ID"),
        "Credit Serial Numbers", _serial_units("art"), _always(CANCELLED), "Status Effective", None,
    ),
    Format(
        "Cercarbono retirements", "cercarbono",
        _cols("serial", "end_user", "date", "from", "to", "quantity"),
        "serial", _from_to, _always(RETIRED), "date", "end_user",
    ),
)  # fmt: skip


def _header_name(column: str) -> str:
    return " ".join(column.replace("\ufeff", "").split())


def recognise(header: Sequence[str]) -> Format | None:
    """The format whose columns the header has (the most specific, when several match)."""
    have = {_header_name(h) for h in header}
    matches = [f for f in FORMATS if f.columns <= have]
    if not matches:
        return None
    return max(matches, key=lambda f: len(f.columns))


def read_records(name: str, data: bytes) -> RecordsFile:
    """A registry export, strictly: an unknown header or an unreadable row is one InputError line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text: not a registry export this tool reads", path=name) from None
    try:
        return _read_rows(name, data, csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. a cell over csv's field size limit: no export of a registry's
        raise InputError(
            f"is not a CSV this tool reads ({exc}): give the registry's export unedited", path=name
        ) from None


def _read_rows(name: str, data: bytes, rows: Iterator[list[str]]) -> RecordsFile:
    header = next(rows, [])
    fmt = recognise(header)
    if fmt is None:
        known = ", ".join(f.name for f in FORMATS)
        shown = ", ".join(_header_name(h) for h in header[:6]) or "nothing"
        raise InputError(
            f"its header ({shown}{', …' if len(header) > 6 else ''}) is no registry export this tool "
            f"knows; give a registry's own export with its header unchanged, one of: {known} "
            "(docs/credits.md lists the columns that recognise each)",
            path=name,
            field="header",
        )
    columns = [_header_name(h) for h in header]
    folded = [c.casefold() for c in columns if c]
    twice = sorted({c for c in columns if c and folded.count(c.casefold()) > 1})
    if twice:  # a spreadsheet shows one copy, a reader keeps another: a registry never repeats a column
        raise InputError(
            f"its header names {', '.join(quote_text(c) for c in twice)} more than once: not a registry's "
            "export as published; give it unedited",
            path=name,
            field="header",
        )
    records = []
    for n, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(columns, values, strict=False))
        try:
            issuance, first, last = fmt.units(row, fmt.serial)
            day = _date(row.get(fmt.date, "")) if fmt.date else None
        except (ValueError, KeyError) as exc:
            raise InputError(
                f"line {n}: {exc} ({fmt.name}): the row does not read; give the registry's export unedited",
                path=name,
                field=fmt.serial,
            ) from None
        beneficiary = " ".join(row.get(fmt.beneficiary, "").split()) if fmt.beneficiary else ""
        records.append(
            RegistryRecord(fmt.registry, issuance, first, last, fmt.status(row), beneficiary, day, name, n,
                           fmt.free_text, *serial_facts(fmt.registry, issuance, row[fmt.serial]))
        )  # fmt: skip
    return RecordsFile(name, hashlib.sha256(data).hexdigest(), fmt.name, fmt.registry, tuple(records))


# ------------------------------------------------------------------------------------ the check


def _for_organisation(text: str, names: Sequence[str], free_text: bool = False) -> str | None:
    """How the registry's beneficiary text names the organisation: "equal" (normalised, to one of
    `names`), "mentions" (a free-text column naming it as whole words: a warning), or None."""
    have = normalise_name(text)
    if not have:
        return None
    wanted = [w for w in (normalise_name(n) for n in names) if w]
    if have in wanted:
        return "equal"
    if free_text and any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", have) for w in wanted):
        return "mentions"
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Want:
    """What a record must say of a retirement's units: for whom (`names`; `legal` only to explain a
    refusal), when (`earliest`..`latest`, and the day the retirement gives, a day either side for time
    zones; before the period only with a warning), of which project and vintage."""

    names: Sequence[str]
    earliest: dt.date
    latest: dt.date
    legal: str
    retired_on: dt.date
    period_start: dt.date
    project: int | None
    project_text: str
    vintage: int


@dataclass
class _Tally:
    confirmed: int = 0
    missing: list[str] | None = None
    problems: list[str] | None = None
    texts: list[str] | None = None
    days: set[dt.date] | None = None
    verra: bool = False
    mentions: list[str] | None = None
    early: list[str] | None = None


def _judge_block(b: CreditBlock, records: Sequence[RegistryRecord], want: _Want, t: _Tally) -> None:
    assert t.missing is not None and t.problems is not None and t.texts is not None and t.days is not None
    mine = sorted(
        (r for r in records
         if r.registry == b.registry_id and r.issuance == b.canonical_issuance
         and r.first <= b.last and b.first <= r.last),
        key=lambda r: (r.first, r.last),
    )  # fmt: skip
    # what became of the units (retired, cancelled) decides over an export listing them as issued
    # (Gold Standard's issuances export lists a whole issuance `Issued`, whatever was retired since)
    decided = [r for r in mine if r.status != ISSUED]
    decided_spans = _union([(max(r.first, b.first), min(r.last, b.last)) for r in decided])
    confirmed: list[tuple[int, int]] = []
    for r in decided:
        lo, hi = max(r.first, b.first), min(r.last, b.last)
        at = f"{r.file} line {r.line}"
        what = units(lo, hi)
        if r.status == CANCELLED:
            t.problems.append(f"{what} of {b.describe()} were cancelled, not retired ({at})")
            continue
        t.verra = t.verra or r.status == RETIRED_OR_CANCELLED
        match = _for_organisation(r.beneficiary, want.names, r.free_text)
        if match is None:
            whom = quote_text(r.beneficiary) if r.beneficiary else "no beneficiary named"
            why = "not this organisation"
            if want.legal and normalise_name(r.beneficiary) == normalise_name(want.legal):
                why = (
                    "the legal name the statement itself gives, not confirmed as this organisation's (it "
                    "is, with the figures at hand and their legal name the same: verify FIGURES "
                    "--statement S)"
                )
            t.problems.append(f"{what} of {b.describe()} were retired for {whom}, {why} ({at})")
            continue
        if match == "mentions":
            assert t.mentions is not None
            t.mentions.append(f"{what} of {b.describe()} ({at}): {quote_text(r.beneficiary)}")
        if r.project is not None and r.project != want.project:
            t.problems.append(
                f"{what} of {b.describe()} are of project {r.project} in the records, the retirement names "
                f"{quote_text(want.project_text)} ({at})"
            )
            continue
        if r.vintages is not None and not r.vintages[0] <= want.vintage <= r.vintages[1]:
            years = (
                str(r.vintages[0]) if r.vintages[0] == r.vintages[1] else f"{r.vintages[0]}–{r.vintages[1]}"
            )
            t.problems.append(
                f"{what} of {b.describe()} are of vintage {years} in the records, the retirement says "
                f"{want.vintage} ({at})"
            )
            continue
        if r.day is None or not want.earliest <= r.day <= want.latest:
            day = r.day.isoformat() if r.day else "no date"
            t.problems.append(
                f"{what} of {b.describe()} were retired {day}, outside {want.earliest.isoformat()}.."
                f"{want.latest.isoformat()} ({at})"
            )
            continue
        if abs((r.day - want.retired_on).days) > 1:
            t.problems.append(
                f"{what} of {b.describe()} were retired {r.day.isoformat()} in the records, the retirement "
                f"says {want.retired_on.isoformat()} ({at})"
            )
            continue
        if r.day < want.period_start:
            assert t.early is not None
            t.early.append(f"{what} of {b.describe()} on {r.day.isoformat()} ({at})")
        # units two rows both show retired for the organisation are counted once
        t.confirmed += sum(y - x + 1 for x, y in _minus((lo, hi), confirmed))
        confirmed = _union([*confirmed, (lo, hi)])
        t.texts.append(r.beneficiary)
        t.days.add(r.day)
    for r in mine:
        if r.status != ISSUED:
            continue
        for x, y in _minus((max(r.first, b.first), min(r.last, b.last)), decided_spans):
            t.problems.append(
                f"{units(x, y)} of {b.describe()} are issued, not retired ({r.file} line {r.line})"
            )
    seen = _union([(max(r.first, b.first), min(r.last, b.last)) for r in mine])
    for x, y in _minus((b.first, b.last), seen):
        t.missing.append(f"{b.describe()}: {units(x, y)}")


def _union(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Inclusive integer spans merged, in order."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _minus(span: tuple[int, int], merged: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the inclusive `span` outside the merged spans."""
    lo, hi = span
    out = []
    for x, y in merged:
        if y < lo or x > hi:
            continue
        if x > lo:
            out.append((lo, x - 1))
        lo = max(lo, y + 1)
    if lo <= hi:
        out.append((lo, hi))
    return out


def unknown_registry(registry: str) -> str:
    """The line of a retirement in a registry not in the table (a statement anchored before it may
    name one: it is read, and this says so)."""
    return (
        f"registry {quote_text(registry)} is not one the tool knows; known: {known_registries()}: its "
        "records are not read and its units have no identity to compare claims by (the statement is "
        "read, as one anchored before the registry table is, but this retirement is not confirmed)"
    )


NOT_GIVEN = "not checked: no registry records were given (`attest verify --registry-records FILE…`)"


def record_lines(
    statement: CarbonVerificationV2,
    files: Sequence[RecordsFile] | None,
    require: bool,
    anchored: Mapping[str, str] | None = None,
    names: Sequence[str] | None = None,
) -> list[Line]:
    """The `credit records` lines of a statement: judged against `files`, or — where no records can
    be given (None) — one `info` line per retirement saying it was not checked. `names`: whom the
    beneficiary must be (`beneficiary_names`; None: the organisation name the statement gives)."""
    claim = statement.neutrality_claim
    if claim is None:
        return []
    pinned = _pinned(statement, files, anchored)
    if files is None:
        lines: list[Line] = [
            (f"credit records: retirements[{i}]", "info", NOT_GIVEN)
            if resolve_registry(r.registry) is not None
            else (f"credit records: retirements[{i}]", "fail", unknown_registry(r.registry))
            for i, r in enumerate(claim.retirements)
        ]
        return lines + pinned
    if names is None:
        names = [statement.organisation.name]
    return record_checks(statement, names, files, require) + pinned


def beneficiary_names(
    statement: CarbonVerificationV2, member: str | None, figures: EsgFigures | None = None
) -> list[str]:
    """The names a registry's beneficiary is matched against: the organisation's admitted member name
    as the chain records it (`member`; else the name the statement gives, which the `reference` line
    compares with it), and the legal name only where the figures at hand give the statement's own
    (never the statement's word alone: it could name anyone whose real retirement it wants)."""
    out = [member if member else statement.organisation.name]
    legal = statement.organisation.legal_name
    if figures is not None and legal and figures.organisation.legal_name == legal:
        out.append(legal)
    return out


def _pinned(
    statement: CarbonVerificationV2, files: Sequence[RecordsFile] | None, anchored: Mapping[str, str] | None
) -> list[Line]:
    """`credit records: pinned` — the exports the statement names by sha256: whether each is among the
    files given (and so what the lines above were judged on), whether a file given is another one, and
    who anchored each pinned export (`anchored`: sha256 → words; None: not looked up here)."""
    pins = statement.registry_records_sha256
    if not pins:
        return []
    given = {f.sha256: f for f in files or ()}
    parts = []
    for sha in pins:
        where = f"at hand: {given[sha].name}" if sha in given else "not among the files given"
        on_chain = "" if anchored is None else f"; {anchored.get(sha, 'not anchored in this registry')}"
        parts.append(f"export sha256 {sha} {where}{on_chain}")
    others = [f for f in files or () if f.sha256 not in pins]
    if others:
        parts.append(
            "differs from every pinned export: "
            + ", ".join(
                f"{f.name} (sha256 {f.sha256[:16]}…, newest {f.newest or 'no dates'})" for f in others
            )
        )
    return [("credit records: pinned", "info", "the statement pins " + "; ".join(parts))]


def record_checks(
    statement: CarbonVerificationV2,
    names: Sequence[str],
    files: Sequence[RecordsFile],
    require: bool,
) -> list[Line]:
    """One (name, status, detail) per retirement of the statement's neutrality claim ([] without one)."""
    claim = statement.neutrality_claim
    if claim is None:
        return []
    files = list({f.sha256: f for f in files}.values())  # the same export given twice is read once
    records = [r for f in files for r in f.records]
    looked = "; ".join(f.describe() for f in files)
    end = dt.date.fromisoformat(statement.period.end)
    latest = min(_add_months(end, RETIRE_WITHIN_MONTHS), dt.date.fromisoformat(statement.issued))
    out = []
    legal = statement.organisation.legal_name or ""
    start = dt.date.fromisoformat(statement.period.start)
    for i, r in enumerate(claim.retirements):
        want = _Want(
            names, dt.date(r.vintage, 1, 1), latest, legal, dt.date.fromisoformat(r.retired_on), start,
            project_number(r.project_id), r.project_id, r.vintage,
        )  # fmt: skip
        out.append(_one_retirement(i, r, want, records, looked, require))
    return out


def _one_retirement(
    i: int, r: Retirement, want: _Want, records: Sequence[RegistryRecord], looked: str, require: bool
) -> Line:
    name = f"credit records: retirements[{i}]"
    known = resolve_registry(r.registry)
    if known is None:
        return (name, "fail", unknown_registry(r.registry))
    t = _Tally(missing=[], problems=[], texts=[], days=set(), mentions=[], early=[])
    blocks = r.blocks(f"retirements[{i}]")
    for b in blocks:
        _judge_block(b, records, want, t)
    assert t.missing is not None and t.problems is not None and t.texts is not None and t.days is not None
    rule = (
        f"records of {known.id} in {looked}"
        if looked
        else f"no records of {known.id} given (--registry-records)"
    )
    if t.problems:
        return (name, "fail", f"{'; '.join(t.problems[:3])}{' …' if len(t.problems) > 3 else ''} ({rule})")
    if t.missing:
        status: LineStatus = "fail" if require else "info"
        more = " (--require-registry)" if require else ""
        return (
            name,
            status,
            f"not in the records given{more}: {'; '.join(t.missing[:3])}"
            f"{' …' if len(t.missing) > 3 else ''}; {t.confirmed} unit(s) confirmed ({rule})",
        )
    claimed = r.quantity_tco2e
    if str(t.confirmed) != claimed.split(".")[0] or ("." in claimed and claimed.split(".")[1].strip("0")):
        return (
            name,
            "fail",
            f"the records confirm {t.confirmed} unit(s) retired for the organisation, the retirement claims "
            f"{claimed} tCO2e ({rule})",
        )
    texts = ", ".join(dict.fromkeys(quote_text(x) for x in t.texts))
    days = ", ".join(d.isoformat() for d in sorted(t.days))
    note = (
        " (Verra's records do not tell a retirement from a cancellation: retired or cancelled)"
        if t.verra
        else ""
    )
    done = f"{t.confirmed} unit(s) of {len(blocks)} block(s) retired for {texts} on {days}{note} ({rule})"
    warnings = []
    if t.mentions:
        warnings.append(
            "the registry's free-text column only mentions the organisation, it names no beneficiary "
            f"field: {'; '.join(t.mentions[:3])}{' …' if len(t.mentions) > 3 else ''}"
        )
    if t.early:
        warnings.append(
            f"retired before the period began ({want.period_start.isoformat()}): "
            f"{'; '.join(t.early[:3])}{' …' if len(t.early) > 3 else ''}"
        )
    if warnings:
        return (name, "warn", f"{done}; " + "; ".join(warnings))
    return (name, "pass", done)


# ------------------------------------------------------------------------------------ by registry


@dataclass(frozen=True)
class RegistryUnits:
    """A year's claimed credits in one registry (`history --neutrality`): `registry` is the table's id,
    or None for blocks whose issuance key neither the table nor the records given identify; `confirmed`
    the units the records show retired for the organisation (None: no records given)."""

    registry: str | None
    blocks: int
    units: int
    confirmed: int | None

    def describe(self) -> str:
        where = self.registry or "an issuance the records given do not name"
        confirmed = "" if self.confirmed is None else f", {self.confirmed} confirmed by the records"
        return f"{where}: {self.blocks} block(s), {self.units} unit(s){confirmed}"


def registry_of_keys(files: Sequence[RecordsFile] | None) -> dict[str, tuple[str, str]]:
    """Issuance key → (registry id, canonical issuance), for every issuance the records hold, and for
    Verra (units numbered registry-wide: one key)."""
    from attest.core.serials import issuance_key

    out = {issuance_key("verra", "VCU"): ("verra", "VCU")}
    for f in files or ():
        for r in f.records:
            out.setdefault(issuance_key(r.registry, r.issuance), (r.registry, r.issuance))
    return out


def units_by_registry(
    blocks: Sequence[tuple[str, int, int]], names: Sequence[str], files: Sequence[RecordsFile] | None
) -> list[RegistryUnits]:
    """Claimed blocks (issuance key, first, last) counted per registry; with records, how many of
    their units the records show retired for the organisation (by `names`)."""
    known = registry_of_keys(files)
    records = [r for f in files or () for r in f.records]
    tally: dict[str | None, list[int]] = {}
    for key, first, last in blocks:
        registry, issuance = known.get(key.lower(), (None, ""))
        row = tally.setdefault(registry, [0, 0, 0])
        row[0] += 1
        row[1] += last - first + 1
        spans = []
        for r in records:
            if (r.registry, r.issuance) != (registry, issuance) or r.last < first or last < r.first:
                continue
            if r.status in (RETIRED, RETIRED_OR_CANCELLED) and _for_organisation(
                r.beneficiary, names, r.free_text
            ):
                spans.append((max(r.first, first), min(r.last, last)))
        row[2] += sum(y - x + 1 for x, y in _union(spans))  # (rows given twice count once)
    return [
        RegistryUnits(reg, n, u, None if files is None else c)
        for reg, (n, u, c) in sorted(tally.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]
