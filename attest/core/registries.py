"""The carbon registries this tool knows, and one canonical identity per credit block. Pure.

A credit is what its registry says it is: units `first`..`last` of one issuance of one registry. The
same units can be written many ways — other leading zeros, another letter case, another name for the
registry — and every spelling must name the same credits, on-chain and in `verify`. So a block's
identity is computed here, from a closed table (`REGISTRIES`): each registry's id, the names that
mean it, how its serials are read, and what identifies an issuance and a unit there. docs/credits.md
says, registry by registry, how each serial is read and how to add a registry.

- **Canonical text** (`canonical_text`): after `clean_text` (NFKC; format characters such as a
  zero-width space dropped; dashes read as `-`; anything but ASCII letters, digits, `-`, `_` and
  spaces refused with ValueError), fields split at `-`, `_` and spaces, joined by `-`; in each field,
  runs of digits compare as numbers (leading zeros dropped) and letters case-insensitively
  (upper-cased). `GS1-1-ke-GS011603` and `GS1-1-KE-GS11603` are one issuance.
- **Issuance shapes**: a registry with a serial notation reads an issuance written as `issuance` +
  `start` + `end` in that notation's shape (Gold Standard: exactly GS1-1-country-GSID-type-vintage-
  issuance; ACR, CAR, ART: one word before the first unit), so no free text escapes the key.
- **Issuance key**: `issuance_key(registry id, canonical issuance)` — the key the registry contract
  logs each claimed block under and refuses an exact duplicate by.
- **Verra** numbers its units registry-wide (the evidence is in docs/credits.md: in the 200 rows of
  its records at hand, the unit ranges of 115 batches never overlap and grow with the batch number,
  in the hundreds of millions), so a Verra unit is its number: every Verra block is keyed under the
  one issuance `VCU`, and two serials naming the same unit numbers under other batch numbers name the
  same units.
- A registry named by a web address is known when the address's host is the registry's name (its
  label before the top-level domain equals one of its names, squashed): no host is written here.

Statements anchored before this table keep their keys (registry as written, the serial without its
unit numbers): `CreditBlock.legacy_key`, which `verify` also reads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from attest.core.serials import CreditBlock, issuance_key, parse_verra_serial, units

_DIGITS = re.compile(r"[0-9]+")
_RUN = re.compile(r"[0-9]+|[^0-9]+")
_FIELD_SEPARATORS = re.compile(r"[\s_\-]+")
_PREFIX_FORM = re.compile(r"\s*([^\s]+?)-([0-9]{1,40})\s+to\s+([0-9]{1,40})\s*", re.IGNORECASE)
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_\- ]")
#: Gold Standard's serial, canonical: GS1-1-country-GS<id>-type-vintage-issuance-first-last.
_GS_SERIAL = re.compile(r"GS1-1-[A-Z]{2,3}-GS[0-9]+-[0-9]+-[0-9]{4}-[0-9]+-([0-9]+)-([0-9]+)")
_GS_ISSUANCE = re.compile(r"GS1-1-[A-Z]{2,3}-GS[0-9]+-[0-9]+-[0-9]{4}-[0-9]+")
#: the issuance of Gold Standard's older range notation (its serial without the unit, the 3rd field)
_GS_OLD_ISSUANCE = re.compile(r"[A-Z]{2,3}(?:-[0-9]+){5}")


def clean_text(text: str) -> str:
    """A serial or issuance as compared: NFKC; Unicode format characters (category Cf: zero-width
    space, soft hyphen, word joiner, BOM…) dropped; every dash (category Pd, and U+2212 minus) a `-`;
    every space a ` `. ValueError when anything else is not an ASCII letter or digit, `-`, `_` or a
    space (look-alike letters, other digits, punctuation, control characters): two spellings of one
    credit must never read as two issuances."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category == "Pd" or ch == "\u2212":
            out.append("-")
        elif category == "Zs":
            out.append(" ")
        else:
            out.append(ch)
    cleaned = "".join(out)
    bad = _NOT_ALLOWED.search(cleaned)
    if bad is not None:
        ch = bad.group(0)
        name = unicodedata.name(ch, "a control character" if unicodedata.category(ch) == "Cc" else "?")
        raise ValueError(
            f"holds U+{ord(ch):04X} ({name}): serials and issuances are written with ASCII letters, "
            "digits, '-', '_' and spaces only"
        )
    return cleaned


def canonical_text(text: str) -> str:
    """Fields split at `-`, `_` and whitespace, joined by `-`; digit runs as numbers, letters upper.
    The text is `clean_text`'s first (ValueError for a character outside the rule)."""
    fields = [f for f in _FIELD_SEPARATORS.split(clean_text(text).strip()) if f]
    return "-".join(
        "".join(str(int(run)) if _DIGITS.fullmatch(run) else run.upper() for run in _RUN.findall(f))
        for f in fields
    )


@dataclass(frozen=True)
class Parsed:
    """A serial read by its registry's parser: the canonical issuance, the units, and (for serials
    read before this table existed: Verra's) the issuance as the old key spelled it."""

    issuance: str
    first: int
    last: int
    legacy_issuance: str | None = None


Parser = Callable[[str], Parsed]


@dataclass(frozen=True)
class Registry:
    """One row of the closed table. `serial` reads a block written in the registry's own notation
    (None: blocks are given as `issuance` + `start` + `end`); `serial_only`: they must be."""

    id: str
    name: str
    aliases: tuple[str, ...]
    serial: Parser | None
    serial_form: str
    issuance_is: str
    unit_is: str
    serial_only: bool = False
    registry_wide: bool = False
    tested: bool = True
    # how an issuance written `issuance` + `start` + `end` reads (None: canonical text); ValueError
    # for a shape the registry's serials do not have
    issuance: Callable[[str], str] | None = None

    def names(self) -> set[str]:
        return {_squash(n) for n in (self.id, self.name, *self.aliases)}

    def issuance_of(self, issuance: str) -> str:
        """The canonical issuance a block written as `issuance` + `start` + `end` belongs to."""
        if self.registry_wide:
            return "VCU"
        return self.issuance(issuance) if self.issuance is not None else canonical_text(issuance)


def _verra(serial: str) -> Parsed:
    s = parse_verra_serial(serial)
    clean_text(serial)  # (the old key is the serial as written: no invisible or look-alike character)
    return Parsed("VCU", s.first, s.last, legacy_issuance=s.issuance)


_GS_FORM = "GS1-1-country-GSID-type-vintage-issuance-first-last, e.g. GS1-1-KE-GS11603-16-2025-30256-110-5463"


def _gold_standard_range(serial: str) -> Parsed:
    """Gold Standard's older notation, as its records show it: two serials joined by ` - `, equal but
    for their third field, the unit number (`RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014`)."""
    a, b = (canonical_text(part).split("-") for part in serial.split(" - ", 1))
    if len(a) < 4 or len(a) != len(b) or a[:2] + a[3:] != b[:2] + b[3:]:
        raise ValueError(
            "is not a Gold Standard serial range (two serials equal but for their third field, the unit, "
            "e.g. RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014)"
        )
    for name, value in (("first unit", a[2]), ("last unit", b[2])):
        if not _DIGITS.fullmatch(value):
            raise ValueError(f"the Gold Standard serial range's {name} {value!r} is not a number")
    if int(b[2]) < int(a[2]):
        raise ValueError("the Gold Standard serial range's last unit is below its first")
    return Parsed(_gold_standard_issuance("-".join(a[:2] + a[3:])), int(a[2]), int(b[2]))


def _gold_standard(serial: str) -> Parsed:
    """Exactly GS1-1-country-GS<id>-type-vintage-issuance-first-last (9 fields), or the older range
    notation; any other shape is refused rather than read as another issuance."""
    if " - " in clean_text(serial):
        return _gold_standard_range(clean_text(serial))
    canonical = canonical_text(serial)
    m = _GS_SERIAL.fullmatch(canonical)
    if m is None:
        raise ValueError(f"is not a Gold Standard serial ({_GS_FORM})")
    first, last = int(m.group(1)), int(m.group(2))
    if last < first:
        raise ValueError("the Gold Standard serial's last unit is below its first")
    return Parsed(canonical.rsplit("-", 2)[0], first, last)


def _gold_standard_issuance(issuance: str) -> str:
    """A Gold Standard issuance (`issuance` + `start` + `end`): its serial without the last two fields
    (GS1-1-country-GSID-type-vintage-issuance), or an older range's serial without its unit."""
    canonical = canonical_text(issuance)
    if not (_GS_ISSUANCE.fullmatch(canonical) or _GS_OLD_ISSUANCE.fullmatch(canonical)):
        raise ValueError(
            "is not a Gold Standard issuance (its serial without the units: "
            "GS1-1-country-GSID-type-vintage-issuance, e.g. GS1-1-KE-GS11603-16-2025-30256)"
        )
    return canonical


def _prefix_form(label: str, prefix: str | None, example: str) -> Parser:
    def parse(serial: str) -> Parsed:
        m = _PREFIX_FORM.fullmatch(clean_text(serial))
        if m is None:
            raise ValueError(f"is not a {label} serial (issuance-first to last, e.g. {example})")
        issuance, first, last = m.group(1), int(m.group(2)), int(m.group(3))
        if prefix is not None and not canonical_text(issuance).startswith(prefix + "-"):
            raise ValueError(f"a {label} serial begins with {prefix}- (e.g. {example})")
        if last < first:
            raise ValueError(f"the {label} serial's last unit is below its first")
        return Parsed(canonical_text(issuance), first, last)

    return parse


def _prefix_issuance(label: str, parse: Parser, example: str) -> Callable[[str], str]:
    """An issuance of a registry written `issuance-first to last`: the text before the first unit —
    one word (no space, so no `… to …`), and what the registry's serial would read as its issuance."""

    def issuance_of(issuance: str) -> str:
        cleaned = clean_text(issuance).strip()
        if not cleaned or " " in cleaned:
            raise ValueError(
                f"is not a {label} issuance (its serial before the first unit, without spaces, "
                f"e.g. {example})"
            )
        return parse(f"{cleaned}-1 to 1").issuance

    return issuance_of


_ACR = _prefix_form("ACR", "ACR", "ACR-FR-1129-2025-2917-30932 to 35143")
_CAR = _prefix_form("CAR", "CAR", "CAR-1-US-1335-31-983-KS-2025-9205-1 to 5000")
_ART = _prefix_form("ART", None, "FCPF-CI-130-2023-20-1 to 46404")


#: The registries known, in the order docs/credits.md lists them. A new registry is one row here
#: (and, for its records, one format in attest.core.registry_records); docs/credits.md says how.
REGISTRIES: tuple[Registry, ...] = (
    Registry(
        "verra",
        "Verra (Verified Carbon Standard)",
        ("VCS", "Verified Carbon Standard", "Verra Registry VCS"),
        _verra,
        "one serial: batch-first-last-VCS-VCU-…-project-vintage start-vintage end-flag",
        "none: units are numbered registry-wide (the batch number is not part of the identity)",
        "its number",
        serial_only=True,
        registry_wide=True,
    ),
    Registry(
        "gold-standard",
        "Gold Standard",
        ("GS", "Gold Standard Impact Registry", "GS Registry"),
        _gold_standard,
        "one serial: GS1-1-country-GSID-project type-vintage-issuance-first-last",
        "the serial without its last two fields",
        "its number within the issuance",
        issuance=_gold_standard_issuance,
    ),
    Registry(
        "acr",
        "American Carbon Registry",
        ("ACR",),
        _ACR,
        "ACR-…-first to last",
        "the text before the first unit",
        "its number within the issuance",
        issuance=_prefix_issuance("ACR", _ACR, "ACR-FR-1129-2025-2917"),
    ),
    Registry(
        "car",
        "Climate Action Reserve",
        ("CAR", "Reserve", "the Reserve"),
        _CAR,
        "CAR-…-first to last",
        "the text before the first unit",
        "its number within the issuance",
        issuance=_prefix_issuance("CAR", _CAR, "CAR-1-US-1335-31-983-KS-2025-9205"),
    ),
    Registry(
        "art",
        "ART TREES (Architecture for REDD+ Transactions)",
        ("ART", "ART TREES", "ART-TREES", "Architecture for REDD+ Transactions"),
        _ART,
        "PREFIX-…-first to last",
        "the text before the first unit",
        "its number within the issuance",
        issuance=_prefix_issuance("ART", _ART, "FCPF-CI-130-2023-20"),
    ),
    Registry(
        "cercarbono",
        "Cercarbono",
        ("Cercarbono EcoRegistry",),
        None,
        "issuance = its serial (e.g. CDC_1_1_1_321_14_1_2009), start and end = its from and to",
        "its serial",
        "its number within the issuance",
    ),
    Registry(
        "ccer",
        "China Certified Emission Reduction (CCER)",
        ("China Certified Emission Reduction", "国家核证自愿减排量", "CCER registry"),
        None,
        "issuance, start and end as the registry's certificate gives them",
        "the issuance as written (canonical text)",
        "its number within the issuance",
        tested=False,
    ),
)


def _squash(text: str) -> str:
    """A name compared: NFKC, case folded, only letters and digits kept (`Gold Standard`, `gold-standard`
    and `goldstandard` agree)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


_GS_FACTS = re.compile(r"GS1-1-[A-Z]{2,3}-GS([0-9]+)-[0-9]+-([0-9]{4})-[0-9]+")
_PROJECT = re.compile(r"\s*(?:[A-Za-z]+[- ]?)?0*([0-9]{1,40})\s*")


def serial_facts(
    registry_id: str, issuance: str, serial: str = ""
) -> tuple[int | None, tuple[int, int] | None]:
    """(project number, (first, last) vintage year) a block's serial states, where the registry's
    notation says them: Verra (`serial`: its project id and vintage period), Gold Standard (the
    canonical `issuance`: its GSID and vintage year); (None, None) otherwise."""
    if registry_id == "verra" and serial:
        try:
            s = parse_verra_serial(serial)
        except ValueError:
            return None, None
        return s.project_id, (s.vintage_start.year, s.vintage_end.year)
    if registry_id == "gold-standard":
        m = _GS_FACTS.fullmatch(issuance)
        if m is not None:
            return int(m.group(1)), (int(m.group(2)), int(m.group(2)))
    return None, None


def project_number(project_id: str) -> int | None:
    """The number a retirement's `project_id` names (`VCS1491`, `GS11603`, `ACR869`, `4268`), or None."""
    m = _PROJECT.fullmatch(project_id)
    return int(m.group(1)) if m else None


def resolve_registry(name: str) -> Registry | None:
    """The registry `name` means — its id, one of its names in any case or spacing, or a web address
    whose host is named after it — or None."""
    text = name.strip()
    if re.match(r"https?://", text, re.IGNORECASE):
        try:
            host = urlsplit(text).hostname or ""
        except ValueError:
            return None
        labels = [label for label in host.split(".") if label]
        if len(labels) < 2:
            return None
        text = labels[-2]
    squashed = _squash(text)
    if not squashed:
        return None
    for registry in REGISTRIES:
        if squashed in registry.names():
            return registry
    return None


def known_registries() -> str:
    """The ids of the table, for error messages."""
    return ", ".join(r.id for r in REGISTRIES)


def credit_block(
    registry: str,
    where: str,
    *,
    serial: str | None = None,
    issuance: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> CreditBlock:
    """The block a statement writes, with its canonical key (its legacy key too); ValueError says why a
    serial does not read. A registry not in the table keeps the key of its spelling, marked unknown."""
    known = resolve_registry(registry)
    if serial is not None:
        if known is None or known.serial is None:
            raise ValueError("no serial parser for this registry: give issuance, start and end")
        p = known.serial(serial)
        legacy = p.legacy_issuance if p.legacy_issuance is not None else p.issuance
        return CreditBlock(
            registry, legacy, p.first, p.last, serial, where,
            key=issuance_key(known.id, p.issuance), registry_id=known.id, canonical_issuance=p.issuance,
        )  # fmt: skip
    assert issuance is not None and start is not None and end is not None
    written = f"{issuance} {units(start, end)}"
    if known is None:
        return CreditBlock(registry, issuance, start, end, written, where)
    canonical = known.issuance_of(issuance)
    return CreditBlock(
        registry, issuance, start, end, written, where,
        key=issuance_key(known.id, canonical), registry_id=known.id, canonical_issuance=canonical,
    )  # fmt: skip
