"""`attest verify` and the human form of a verification report."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    chain_options,
    handle_errors,
    json_option,
    main,
    open_deployment,
    pinned_manifest,
    proof_options,
    proof_policy,
)
from attest.cli._credits import credit_policy, max_vintage_age_option
from attest.core.errors import InputError
from attest.core.grounds import Ground
from attest.core.report_text import printable

if TYPE_CHECKING:
    from attest.chain.deployment import Deployment
    from attest.core.credits import CreditPolicy
    from attest.core.header import Checkpoint
    from attest.core.verification import Check, Report


@main.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--org", default=None, help="The organisation whose attestation counts (id or exact name).")
@click.option(
    "--statement",
    "statement",
    default=None,
    type=click.Path(dir_okay=False),
    help="A carbon-verification/1 or /2 statement (or its receipt) covering the one FIGURES target: both are "
    "verified, the statement must cover exactly these figures, and its content is cross-checked "
    "against them. --org then applies to the figures.",
)
@click.option(
    "--require-coverage",
    is_flag=True,
    help="Figures fail unless at least one unrevoked verification statement covers them.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Warnings (`!`, e.g. a key frozen after it signed) fail the verdict too.",
)
@click.option(
    "--html",
    "html_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML report (every check, the chain data relied on) to this file.",
)
@click.option(
    "--check-code",
    is_flag=True,
    help="Also check that the code at the manifest's addresses is the committed artifacts' code "
    "(immutables masked); `attest verify-deployment` adds a fresh compile.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Verify one receipt (esg-attest/receipt/2) with no network: its header and proofs against "
    "--trust-block, the hash of its block obtained out of band.",
)
@proof_options
@max_vintage_age_option
@chain_options
@json_option
def verify(
    targets: tuple[str, ...],
    org: str | None,
    statement: str | None,
    require_coverage: bool,
    strict: bool,
    html_path: str | None,
    check_code: bool,
    quorum: int | None,
    trust_block: str | None,
    offline: bool,
    require_proofs: bool,
    max_vintage_age: int | None,
    registry_records: tuple[str, ...],
    require_registry: bool,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """Verify files, receipts or bare sha256 digests against the registry; exit 0 only if all verify.

    Several targets, or a directory (every document, through the receipt beside it when there is
    one; a receipt without its document fails; entries left out are listed; a file that is bad
    input fails alone with its error, and the exit code is the worst result), are checked in bulk
    from one read of the chain; `attest verify-many` does the same for very large sets, printing
    only failures.

    `attest verify FIGURES --statement STATEMENT` verifies a figures document and the carbon
    verification statement covering it together (files or their receipts).

    What each line establishes and what it rests on: docs/trust-model.md.
    """
    with handle_errors():
        from attest.app.proven import Prover
        from attest.app.verify import verify_pair, verify_target
        from attest.core.header import parse_checkpoint
        from attest.core.verification import worst_exit

        if statement is not None and len(targets) != 1:
            raise InputError("--statement takes exactly one FIGURES target", field="--statement")
        checkpoint = parse_checkpoint(trust_block) if trust_block is not None else None
        if offline:
            if require_coverage or check_code or quorum is not None:
                given = (
                    "--require-coverage" if require_coverage else "--check-code" if check_code else "--quorum"
                )
                raise InputError(
                    f"{given} needs the chain (which statements cover figures, the deployed code, the "
                    "nodes): verify online for it",
                    field="--offline",
                )
            verify_offline_command(
                deployment_path,
                targets,
                checkpoint,
                statement,
                html_path,
                as_json,
                org=org,
                strict=strict,
                credits=credit_policy(max_vintage_age, registry_records, require_registry),
            )
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        # before anything is checked: one block whose hash the nodes agree on (or the checkpoint's)
        prover = Prover(dep, proof_policy(dep, quorum, checkpoint, require_proofs))
        credits = credit_policy(max_vintage_age, registry_records, require_registry)
        skipped: list[tuple[str, str]] = []
        if statement is not None:
            reports = list(
                verify_pair(
                    dep,
                    targets[0],
                    statement,
                    org=org,
                    require_coverage=require_coverage,
                    strict=strict,
                    prover=prover,
                    credit_policy=credits,
                )
            )
        elif len(targets) == 1 and not Path(targets[0]).is_dir():
            reports = [
                verify_target(
                    dep,
                    targets[0],
                    org=org,
                    require_coverage=require_coverage,
                    strict=strict,
                    prover=prover,
                    credit_policy=credits,
                )
            ]
        else:
            # many targets or a directory: one shared read of the chain (attest.app.bulk), same reports
            from attest.app.bulk import expand_targets, iter_verify

            items = expand_targets(targets)
            if not items:
                raise InputError("no files to verify in " + ", ".join(targets))
            reports = list(
                iter_verify(
                    dep,
                    items,
                    org=org,
                    require_coverage=require_coverage,
                    strict=strict,
                    prover=prover,
                    credit_policy=credits,
                )
            )
            skipped = items.skipped
        if check_code:
            # the deployed code compared with the committed artifacts, as the node serves it
            # (eth_getCode): the node's word, said on the line like every other
            code = code_check(dep)
            node = dep.chain.name
            code = replace(code, rests_on=Ground.NODE.label, rests_on_detail=f"{node}'s eth_getCode")
            for r in reports:
                r.checks.append(code)
        html_note = None
        if html_path is not None:
            html_note = write_html_report(dep, deployment_path, reports, html_path)
        if as_json:
            click.echo(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
        else:
            for r in reports:
                print_report(r)
            if html_note:
                click.echo(html_note)
        for path, why in skipped:  # on stderr with --json, whose output stays a list of reports
            click.echo(f"skipped: {printable(path)}: {why}", err=as_json)
        say_input_errors(reports)
        sys.exit(worst_exit(reports))


def say_input_errors(reports: list[Report]) -> None:
    """Each target that was bad input, once more as an `error:` line on stderr (its report, on stdout,
    has it as a failed `input` line): the run went on, the exit code is the input error's."""
    for r in reports:
        if r.input_error is not None:
            click.echo(f"error: {printable(r.checks[0].detail)}", err=True)


def verify_offline_command(
    deployment_path: str,
    targets: tuple[str, ...],
    checkpoint: Checkpoint | None,
    statement: str | None,
    html_path: str | None,
    as_json: bool,
    *,
    org: str | None = None,
    strict: bool = False,
    credits: CreditPolicy | None = None,
) -> None:
    """`verify --offline`: files only, no node is asked anything; exits. `--org`, `--strict` and
    `--max-vintage-age` apply as online; what needs the chain is refused before this."""
    import hashlib

    from attest.app.offline import verify_offline
    from attest.core.manifest import check_pinned, load_manifest

    if checkpoint is None:
        raise InputError(
            "--offline needs --trust-block NUMBER:HASH, the receipt's block", field="--trust-block"
        )
    if len(targets) != 1 or statement is not None or html_path is not None:
        raise InputError(
            "--offline verifies exactly one receipt (no --statement, no --html)", field="--offline"
        )
    manifest = load_manifest(deployment_path)
    check_pinned(manifest, pinned_manifest(), path=deployment_path)
    digest = hashlib.sha256(Path(deployment_path).read_bytes()).hexdigest()
    report = verify_offline(manifest, digest, targets[0], checkpoint, org=org, strict=strict, credits=credits)
    if as_json:
        click.echo(json.dumps([report.to_json()], indent=2, ensure_ascii=False))
    else:
        print_report(report)
    sys.exit(0 if report.verified else 1)


def code_check(dep: Deployment) -> Check:
    """DESIGN check 7 as one line: the deployed code is the code of the committed artifacts."""
    from attest.app.deployment_check import check_code
    from attest.core.verification import Check

    checks = check_code(dep, recompile=False)
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        return Check("code", "fail", "; ".join(f"{c.name}: {c.detail}" for c in failed))
    return Check("code", "pass", f"deployed code matches the committed artifacts ({len(checks)} checks)")


def write_html_report(dep: Deployment, deployment_path: str, reports: list[Report], out: str) -> str:
    """Render and write the HTML report atomically; return a line naming it and its sha256."""
    import hashlib
    import shlex
    import time
    from importlib.metadata import version
    from pathlib import Path

    from attest.core.manifest import write_atomic
    from attest.core.report_html import ReportContext, render_html

    manifest_bytes = Path(deployment_path).read_bytes()
    head = dep.chain.head()
    ctx = ReportContext(
        chain_id=dep.manifest.chain_id,
        network=dep.manifest.network,
        registry=dep.manifest.registry.address,
        governance=dep.manifest.governance.address,
        manifest_path=str(Path(deployment_path).resolve()),
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        head_block=head,
        head_block_hash=dep.chain.block_hash(head),
        confirmations_required=dep.chain.confirmations,
        generated_at=int(time.time()),
        tool_version=version("esg-attest"),
        command=shlex.join(["attest", *sys.argv[1:]]),
    )
    page = render_html(reports, ctx).encode("utf-8")
    try:
        write_atomic(Path(out), page)
    except OSError as exc:
        raise InputError(f"cannot write the HTML report: {exc.strerror}", path=out, field="--html") from None
    return f"HTML report written to {out} (sha256 {hashlib.sha256(page).hexdigest()})"


def print_report(report: Report) -> None:
    """Human form of a report (`attest.core.report_text`): the subject, one line per check, the
    verdict, then the report in one plain sentence (`attest.core.report_summary`, as the page says it)."""
    from attest.core.report_summary import summary_sentence
    from attest.core.report_text import printable, report_lines

    for line in [*report_lines(report), f"In short: {printable(summary_sentence(report))}"]:
        click.echo(line)
