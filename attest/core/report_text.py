"""The human form of a verification report: one line per check, then the verdict.

Pure (lines of text, no terminal): the command line prints them, the demo tells its story with
them, and any other shell can show the same words.
"""

from __future__ import annotations

from datetime import UTC, datetime

from attest.core.verification import Report

#: The mark in front of each check line, by its status.
SYMBOL = {"pass": "✓", "fail": "✗", "info": "·"}


def report_lines(report: Report) -> list[str]:
    """The subject, a line per check in order, the anchoring time if known, and the verdict."""
    lines = [f"{report.subject}"]
    lines += [f"  {SYMBOL[c.status]} {c.name:<13} {c.detail}" for c in report.checks]
    if report.anchored_at is not None:
        when = datetime.fromtimestamp(report.anchored_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"  anchored at {when}")
    failed = [c.name for c in report.checks if c.status == "fail"]
    lines.append(
        "VERIFIED" if report.verified else f"NOT VERIFIED (failed: {', '.join(failed) or 'incomplete'})"
    )
    return lines
