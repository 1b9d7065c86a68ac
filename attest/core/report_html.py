"""The auditor's HTML report: one self-contained page to file in working papers.

Pure (reports + context → str) so it is testable without a chain. Everything shown comes from the
reports and the context, every value is escaped (a document may name anything, including markup),
and the page loads nothing from anywhere: no scripts, no external styles, fonts or images — a
working-papers file must render the same in ten years, offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from attest.core.report_summary import summary_sentence
from attest.core.report_text import SYMBOL
from attest.core.verification import Report

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f2f2f2;white-space:nowrap}
code{word-break:break-all}
.pass{color:#0a6a0a}.fail{color:#b00000;font-weight:bold}.info{color:#555}
.verdict{font-size:1.2rem;font-weight:bold}
.summary{font-size:1.05rem;border-left:4px solid #1a5fb4;padding:.4rem .6rem;background:#f5f8fc}
"""


@dataclass(frozen=True)
class ReportContext:
    """The chain data and provenance a report relied on, gathered by the shell."""

    chain_id: int
    network: str
    registry: str
    governance: str
    manifest_path: str
    manifest_sha256: str
    head_block: int
    head_block_hash: str
    confirmations_required: int
    generated_at: int  # unix seconds
    tool_version: str
    command: str


def _time(ts: int | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") + f" (unix {ts})"


def _row(label: str, value: object, *, code: bool = False) -> str:
    text = escape(str(value))
    return f"<tr><th>{escape(label)}</th><td>{f'<code>{text}</code>' if code else text}</td></tr>"


def _report_section(r: Report) -> str:
    failed = [c.name for c in r.checks if c.status == "fail"]
    verdict = "VERIFIED" if r.verified else f"NOT VERIFIED (failed: {', '.join(failed) or 'incomplete'})"
    rows = "".join(
        f'<tr class="{escape(c.status)}"><td>{SYMBOL[c.status]}</td><td>{escape(c.name)}</td>'
        f"<td>{escape(c.detail)}</td>"
        f'<td title="{escape(c.rests_on_detail)}">{escape(c.rests_on or "—")}</td></tr>'
        for c in r.checks
    )
    parts = [
        f"<h2>{escape(r.subject)}</h2>",
        f'<p class="verdict {"pass" if r.verified else "fail"}">{escape(verdict)}</p>',
        f'<p class="summary">{escape(summary_sentence(r))}</p>',
        "<table><tr><th></th><th>check</th><th>result</th><th>rests on</th></tr>" + rows + "</table>",
        "<table>",
        _row("document digest (sha256)", r.digest, code=True),
    ]
    a = r.attestation
    if a is not None:
        parts += [
            _row("attestation uid", a.uid, code=True),
            _row("kind, year", f"{a.kind.label}, {a.year}"),
            _row("organisation id", a.org_id),
            _row("attesting account", a.attester, code=True),
            _row("reference", a.ref, code=True),
            _row("block number", a.block_number),
            _row("block hash", a.block_hash, code=True),
            _row("transaction hash", a.transaction_hash, code=True),
            _row("anchored at (block time)", _time(r.anchored_at)),
        ]
        if a.uri:
            parts.append(_row("URI", a.uri))
    else:
        parts.append(_row("attestation", "none relied on"))
    parts.append("</table>")
    return "\n".join(parts)


def render_html(reports: Sequence[Report], ctx: ReportContext) -> str:
    """The whole page for one `verify` run: overall verdict, chain data, then every report's checks."""
    ok = all(r.verified for r in reports)
    overall = "VERIFIED" if ok else "NOT VERIFIED"
    chain = "".join(
        [
            _row("chain id", ctx.chain_id),
            _row("network (manifest)", ctx.network),
            _row("registry address", ctx.registry, code=True),
            _row("governance address", ctx.governance, code=True),
            _row("deployment manifest", ctx.manifest_path, code=True),
            _row("manifest sha256", ctx.manifest_sha256, code=True),
            _row("chain head when verified", ctx.head_block),
            _row("head block hash", ctx.head_block_hash, code=True),
            _row("confirmations required", ctx.confirmations_required),
        ]
    )
    provenance = "".join(
        [
            _row("generated at", _time(ctx.generated_at)),
            _row("tool", f"esg-attest {ctx.tool_version}"),
            _row("command", ctx.command, code=True),
        ]
    )
    sections = "\n".join(_report_section(r) for r in reports)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>esg-attest verification report — {escape(overall)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>esg-attest verification report</h1>
<p class="verdict {"pass" if ok else "fail"}">{escape(overall)}: {len(reports)} target(s)</p>
<table>{provenance}</table>
<h2>Chain data relied on</h2>
<table>{chain}</table>
{sections}
<p class="info">Every value above was read from the chain named here, at the registry address in the
deployment manifest; recompute a document's digest with <code>attest hash FILE</code> (or
<code>sha256sum</code> of its <code>.canonical.json</code>) and re-run <code>attest verify</code> to
reproduce this report.</p>
</body>
</html>
"""
