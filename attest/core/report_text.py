"""The human form of a verification report: one line per check, then the verdict.

Pure (lines of text, no terminal): the command line prints them, the demo tells its story with
them, and any other shell can show the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from attest.core.grounds import Ground
from attest.core.verification import NOT_KNOWN_HERE, Check, Report

#: The mark in front of each check line, by its status.
SYMBOL = {"pass": "✓", "fail": "✗", "warn": "!", "info": "·"}

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
# bidirectional overrides and isolates: they can make "knaBeW" display as "WeBank"
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def printable(text: str) -> str:
    """`text` with every control character shown as an escape: names, reasons and URIs come from
    the chain, written by whoever sent a transaction, and must not drive the reader's terminal."""
    return text.translate(_CONTROL)


def check_line(c: Check) -> str:
    """One check: its mark, name and detail, and what it rests on (`[proven]`, `[one node]`…)."""
    tag = f"  [{c.rests_on}]" if c.rests_on else ""
    return f"  {SYMBOL[c.status]} {printable(c.name):<13} {printable(c.detail)}{tag}"


def legend(checks: Sequence[Check]) -> list[str]:
    """What the weaker tags of these lines mean, once each (each line's own reason: `--json`'s
    `rests_on_detail`)."""
    weak: dict[str, str] = {}
    for c in checks:
        if c.rests_on not in ("", Ground.FILE.label, Ground.PROVEN.label, NOT_KNOWN_HERE):
            weak.setdefault(c.rests_on, c.rests_on_detail.split("; ", 1)[0])
    return [f"  [{tag}] {printable(why)}" for tag, why in weak.items()]


def report_lines(report: Report) -> list[str]:
    """The subject, a line per check in order, the anchoring time if known, and the verdict."""
    lines = [printable(report.subject)]
    lines += [check_line(c) for c in report.checks]
    lines += legend(report.checks)
    if report.anchored_at is not None:
        when = datetime.fromtimestamp(report.anchored_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"  anchored at {when}")
    failed = [c.name for c in report.checks if c.status == "fail"]
    lines.append(
        "VERIFIED" if report.verified else f"NOT VERIFIED (failed: {', '.join(failed) or 'incomplete'})"
    )
    return lines
