"""`attest verify-many`: check thousands of files, receipts or digests with a bounded number of reads."""

from __future__ import annotations

import json
import sys

import click

from attest.cli._common import (
    SYMBOL,
    chain_options,
    handle_errors,
    json_option,
    main,
    open_deployment,
    progress_bar,
    proof_options,
    proof_policy,
)
from attest.cli._credits import credit_policy, max_vintage_age_option
from attest.core.report_text import printable


@main.command("verify-many")
@click.argument("targets", nargs=-1, required=True)
@click.option("--org", default=None, help="The organisation whose attestation counts (id or exact name).")
@click.option("--strict", is_flag=True, help="Warnings (`!`) fail the verdict too.")
@proof_options
@max_vintage_age_option
@chain_options
@json_option
def verify_many_command(
    targets: tuple[str, ...],
    org: str | None,
    strict: bool,
    quorum: int | None,
    trust_block: str | None,
    require_proofs: bool,
    max_vintage_age: int | None,
    registry_records: tuple[str, ...],
    require_registry: bool,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """Verify many files, directories, receipts or digests in bulk; exit 0 only if all verify.

    A directory stands for its files (recursively; entries left out are listed as skipped); a
    document with a receipt next to it is checked through the receipt, and a receipt without its
    document fails; a file that is bad input fails alone with its error, and the exit code is the
    worst result. The chain is read for many targets at a time, not once per file, and only for
    what the targets reach; every target's state facts are proven against one block the nodes agree on
    (as `attest verify` does).
    """
    with handle_errors():
        from attest.app.bulk import expand_targets, iter_verify
        from attest.app.proven import Prover
        from attest.cli._verify import say_input_errors
        from attest.core.header import parse_checkpoint
        from attest.core.verification import worst_exit

        items = expand_targets(targets)
        if not items:
            from attest.core.errors import InputError

            raise InputError("no files to verify in " + ", ".join(targets))
        checkpoint = parse_checkpoint(trust_block) if trust_block is not None else None
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        prover = Prover(dep, proof_policy(dep, quorum, checkpoint, require_proofs))
        credits = credit_policy(max_vintage_age, registry_records, require_registry)
        good, bad, worst = 0, 0, 0
        if as_json:
            # streamed: one report at a time, so 100,000 files never sit in memory together
            click.echo('{"reports": [', nl=False)
            reports = iter_verify(dep, items, org=org, strict=strict, credit_policy=credits, prover=prover)
            for n, r in enumerate(reports):
                click.echo(("," if n else "") + json.dumps(r.to_json(), ensure_ascii=False), nl=False)
                good, bad = good + r.verified, bad + (not r.verified)
                worst = max(worst, worst_exit([r]))
                say_input_errors([r])
            summary = {"verified": good, "not_verified": bad, "total": good + bad, "proofs": prover.summary()}
            skipped = [{"path": p, "reason": why} for p, why in items.skipped]
            click.echo("], " + json.dumps({"summary": summary, "skipped": skipped}, ensure_ascii=False)[1:])
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with progress_bar(*columns, TimeElapsedColumn()) as bar:
                task = bar.add_task("verifying", total=len(items))
                # a live bar owns the terminal: when stdout is that terminal too, lines go through the
                # bar's console (drawn above it); otherwise straight to stdout, for a file or a pipe
                above_bar = not bar.disable and sys.stdout.isatty()

                def say(line: str) -> None:
                    if above_bar:
                        bar.console.print(line, markup=False, highlight=False)
                    else:
                        click.echo(line)

                for r in iter_verify(
                    dep,
                    items,
                    org=org,
                    strict=strict,
                    credit_policy=credits,
                    prover=prover,
                    progress=lambda done, _: bar.update(task, completed=done),
                ):
                    worst = max(worst, worst_exit([r]))
                    if r.verified:
                        good += 1
                        continue
                    bad += 1
                    say_input_errors([r])
                    say(f"{SYMBOL['fail']} {printable(r.subject)}")
                    for c in r.checks:
                        if c.status == "fail":
                            say(f"    {c.name:<13} {printable(c.detail)}")
            for path, why in items.skipped:
                click.echo(f"skipped: {printable(path)}: {why}")
            click.echo(f"{good} verified, {bad} not verified, of {good + bad}")
            click.echo(f"proofs: {prover.summary()}")
        sys.exit(worst)
