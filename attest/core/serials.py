"""Carbon credit serial blocks: which units of which issuance of which registry a retirement names.

Serial numbers only mean something inside one issuance of one registry: unit 1..100 of one Verra
issuance and unit 1..100 of another (or of a Gold Standard issuance) are different credits. So a
block is always (registry, issuance, first unit, last unit), and two blocks are only ever compared
when registry and issuance are equal — through `issuance_key`, which is also the key the registry
contract logs each claimed block under (`CreditClaimed.issuance`).

Verra (registry id `verra`) writes a block as one serial, e.g.
`0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1` (units 1–100). Our reading, from
Verra's published examples and open-source readers of them (see the README): the first three dash
fields are the issuance (batch) number and the block's first and last unit; the last four are the
project id, the vintage period's first and last day (DDMMYYYY) and a label flag; the fields between
(program `VCS`, unit type `VCU`, codes for the verification body or methodology, the registry `VER`,
the host country and, in longer serials, the sectoral scope) are not interpreted. The issuance is the
serial with its two unit numbers taken out — the key statements anchored before the registry table
were recorded under (`CreditBlock.legacy_key`). The canonical identity of a block, registry by
registry (Verra numbers units registry-wide), is attest.core.registries'. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

VERRA = "verra"
_REGISTRY_ID = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*|https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[!-~]*)?")
_DIGITS = re.compile(r"[0-9]{1,40}")
_VERRA_DATE = re.compile(r"[0-9]{8}")


def is_registry_id(value: str) -> bool:
    """A stable identifier of a carbon registry: lower-case ASCII words joined by `-` or `.` (`verra`,
    `gold-standard`), or the registry's URI (an ASCII host; a path of printable ASCII, no spaces).
    Read for statements anchored before the registry table; publishing wants a registry the table
    knows (attest.core.credits.refuse_unknown_registries)."""
    return _REGISTRY_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class VerraSerial:
    """A Verra serial as our reading takes it apart (module docstring)."""

    serial: str
    batch: str
    first: int
    last: int
    project_id: int
    vintage_start: dt.date
    vintage_end: dt.date

    @property
    def issuance(self) -> str:
        """The serial without its unit numbers: the same for every block of one issuance."""
        fields = self.serial.split("-")
        return "-".join([fields[0], *fields[3:]])


def parse_verra_serial(serial: str) -> VerraSerial:
    """Read a Verra serial; ValueError says what is wrong, in words for a schema error."""
    fields = serial.split("-")
    if len(fields) < 9:
        raise ValueError(
            "is not a Verra serial (issuance-first-last-…-project-vintage start-vintage end-flag, "
            "e.g. 0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1)"
        )
    batch, first, last = fields[:3]
    for name, value in (("issuance number", batch), ("first unit", first), ("last unit", last)):
        if not _DIGITS.fullmatch(value):
            raise ValueError(f"the Verra serial's {name} {value!r} is not a number")
    if "VCU" not in [f.upper() for f in fields[3:-4]]:
        raise ValueError("the Verra serial names no unit type VCU")
    project, start, end, flag = fields[-4:]
    if not _DIGITS.fullmatch(project):
        raise ValueError(f"the Verra serial's project id {project!r} is not a number")
    if not re.fullmatch(r"[0-9A-Za-z]", flag):
        raise ValueError(f"the Verra serial's last field {flag!r} is not a one-character flag")
    vintage = []
    for name, value in (("vintage start", start), ("vintage end", end)):
        try:
            if not _VERRA_DATE.fullmatch(value):
                raise ValueError
            vintage.append(dt.date(int(value[4:]), int(value[2:4]), int(value[:2])))
        except ValueError:
            raise ValueError(f"the Verra serial's {name} {value!r} is not a date written DDMMYYYY") from None
    if vintage[1] < vintage[0]:
        raise ValueError("the Verra serial's vintage period ends before it starts")
    if int(last) < int(first):
        raise ValueError("the Verra serial's last unit is below its first")
    return VerraSerial(serial, batch, int(first), int(last), int(project), vintage[0], vintage[1])


def issuance_key(registry: str, issuance: str) -> str:
    """The 32-byte key claims on one issuance of one registry are logged and compared under:
    keccak256(abi.encode(string registry, string issuance)), 0x-hex."""
    from eth_abi import encode
    from eth_utils import keccak

    return "0x" + keccak(encode(["string", "string"], [registry, issuance])).hex()


@dataclass(frozen=True)
class CreditBlock:
    """Units `first`..`last` (inclusive) of one issuance of one registry, as a statement names them.

    `key` is the block's canonical issuance key (attest.core.registries: the registry's id and the
    issuance's canonical text); `legacy_key` the key of its spelling (registry and issuance as written,
    a Verra serial without its unit numbers), which statements anchored before the registry table
    were recorded under. For a registry not in the table both are the key of its spelling and
    `registry_id` is None."""

    registry: str  # as the statement writes it
    issuance: str  # as written (a Verra serial without its unit numbers)
    first: int
    last: int
    written: str  # as the statement writes it: the serial, or "issuance units a–b"
    where: str  # the field naming it, e.g. neutrality_claim.retirements[0].serial_blocks[1]
    key: str = ""  # the canonical key; given for a block known only from the chain
    legacy_key: str = ""
    registry_id: str | None = None
    canonical_issuance: str = ""

    def __post_init__(self) -> None:
        spelled = issuance_key(self.registry, self.issuance) if self.registry else ""
        if not self.key:
            object.__setattr__(self, "key", spelled)
        if not self.legacy_key:
            object.__setattr__(self, "legacy_key", spelled or self.key)

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys claims on these units may be recorded under: canonical, then the spelling's."""
        return tuple(dict.fromkeys((self.key, self.legacy_key)))

    def overlaps(self, key: str, first: int, last: int) -> bool:
        """Whether units `first`..`last` of the issuance `key` include any unit of this block."""
        return key.lower() in self.keys and first <= self.last and self.first <= last

    def describe(self) -> str:
        if not self.registry:
            return self.written
        unknown = "" if self.registry_id is not None else " (a registry not in the table)"
        return f"{self.registry}{unknown} {self.written}"


def units(first: int, last: int) -> str:
    return f"unit {first}" if first == last else f"units {first}–{last}"
