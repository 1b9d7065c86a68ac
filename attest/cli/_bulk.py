"""`attest verify-many`: check thousands of files, receipts or digests with a bounded number of reads."""

from __future__ import annotations

import json
import sys

import click

from attest.cli._common import SYMBOL, _errors, _open, chain_options, json_option, main


@main.command("verify-many")
@click.argument("targets", nargs=-1, required=True)
@click.option("--org", default=None, help="The organisation whose attestation counts (id or exact name).")
@chain_options
@json_option
def verify_many_command(
    targets: tuple[str, ...],
    org: str | None,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """Verify many files, directories, receipts or digests in bulk; exit 0 only if all verify.

    A directory stands for its files (recursively); a document with a receipt next to it is checked
    through the receipt. The chain is read once for all targets, not once per file.
    """
    with _errors():
        from attest.bulk import expand_targets, verify_many

        items = expand_targets(targets)
        if not items:
            from attest.errors import InputError

            raise InputError("no files to verify in " + ", ".join(targets))
        dep = _open(deployment_path, rpc_url, confirmations)
        if as_json:
            reports = verify_many(dep, items, org=org)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("hashing, then checking", total=2 * len(items))
                reports = verify_many(
                    dep, items, org=org, progress=lambda done, total: bar.update(task, completed=done)
                )
        good = sum(r.verified for r in reports)
        bad = [r for r in reports if not r.verified]
        if as_json:
            summary = {"verified": good, "not_verified": len(bad), "total": len(reports)}
            out = {"summary": summary, "reports": [r.to_json() for r in reports]}
            click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        else:
            for r in bad:
                failed = [c for c in r.checks if c.status == "fail"]
                click.echo(f"{SYMBOL['fail']} {r.subject}")
                for c in failed:
                    click.echo(f"    {c.name:<13} {c.detail}")
            click.echo(f"{good} verified, {len(bad)} not verified, of {len(reports)}")
        sys.exit(0 if not bad else 1)
