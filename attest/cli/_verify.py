"""`attest verify` and the human form of a verification report."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    SYMBOL,
    _errors,
    _open,
    chain_options,
    json_option,
    main,
)

if TYPE_CHECKING:
    from attest.verification import Report


@main.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--org", default=None, help="The organisation whose attestation counts (id or exact name).")
@chain_options
@json_option
def verify(
    targets: tuple[str, ...],
    org: str | None,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """Verify files, receipts or bare sha256 digests against the registry; exit 0 only if all verify."""
    with _errors():
        from attest.verify import verify_target

        dep = _open(deployment_path, rpc_url, confirmations)
        reports = [verify_target(dep, t, org=org) for t in targets]
        if as_json:
            click.echo(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
        else:
            for r in reports:
                print_report(r)
        sys.exit(0 if all(r.verified for r in reports) else 1)


def print_report(report: Report) -> None:
    """Human form of a report: one line per check, then the verdict."""
    click.echo(f"{report.subject}")
    for c in report.checks:
        click.echo(f"  {SYMBOL[c.status]} {c.name:<13} {c.detail}")
    if report.anchored_at is not None:
        from datetime import UTC, datetime

        when = datetime.fromtimestamp(report.anchored_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        click.echo(f"  anchored at {when}")
    failed = [c.name for c in report.checks if c.status == "fail"]
    click.echo(
        "VERIFIED" if report.verified else f"NOT VERIFIED (failed: {', '.join(failed) or 'incomplete'})"
    )
