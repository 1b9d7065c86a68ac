"""The human form of a verification report: one line per check, then the verdict.

Pure (lines of text, no terminal): the command line prints them, the demo tells its story with
them, and any other shell can show the same words.
"""

from __future__ import annotations

from datetime import UTC, datetime

from attest.core.verification import Report

#: The mark in front of each check line, by its status.
SYMBOL = {"pass": "✓", "fail": "✗", "warn": "!", "info": "·"}

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
# bidirectional overrides and isolates: they can make "knaBeW" display as "WeBank"
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def printable(text: str) -> str:
    """`text` with every control character shown as an escape: names, reasons and URIs come from
    the chain, written by whoever sent a transaction, and must not drive the reader's terminal."""
    return text.translate(_CONTROL)


def report_lines(report: Report) -> list[str]:
    """The subject, a line per check in order, the anchoring time if known, and the verdict."""
    lines = [printable(report.subject)]
    lines += [f"  {SYMBOL[c.status]} {printable(c.name):<13} {printable(c.detail)}" for c in report.checks]
    if report.anchored_at is not None:
        when = datetime.fromtimestamp(report.anchored_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"  anchored at {when}")
    failed = [c.name for c in report.checks if c.status == "fail"]
    lines.append(
        "VERIFIED" if report.verified else f"NOT VERIFIED (failed: {', '.join(failed) or 'incomplete'})"
    )
    return lines
