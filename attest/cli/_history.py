"""`attest history`: every attestation of an organisation (and year), with status and coverage;
`--neutrality`: its carbon-neutrality commitment, one row per reporting year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    chain_options,
    emit,
    handle_errors,
    json_option,
    main,
    open_deployment,
    proof_options,
    proof_policy,
)
from attest.core.errors import InputError
from attest.core.records import ZERO_REF
from attest.core.report_text import printable

if TYPE_CHECKING:
    from attest.app.proven import Prover
    from attest.chain.deployment import Deployment


@main.command()
@click.option("--org", required=True, help="The organisation (id or exact admitted name).")
@click.option("--year", type=int, default=None, help="Only attestations for this reporting year.")
@click.option(
    "--neutrality",
    is_flag=True,
    help="The carbon-neutrality commitment instead: one row per year from the first neutrality claim to "
    "the latest year (figures anchored, statement covering them, claim met, credits unique, status); a "
    "missing year is a gap.",
)
@click.option(
    "--to",
    "to_year",
    type=click.IntRange(1990, 2100),
    default=None,
    help="With --neutrality: follow the commitment up to this year (default: the latest year on record).",
)
@click.option(
    "--registry-records",
    "registry_records",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="With --neutrality: a carbon registry's own export (repeatable): names the registry of the "
    "issuances it holds and counts the units it shows retired for the organisation (docs/credits.md).",
)
@proof_options
@chain_options
@json_option
def history(
    org: str,
    year: int | None,
    neutrality: bool,
    to_year: int | None,
    registry_records: tuple[str, ...],
    quorum: int | None,
    trust_block: str | None,
    require_proofs: bool,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """List an organisation's attestations: current, superseded by what, or revoked (when, by whom, why).

    With --neutrality, each year's statement is verified as `attest verify` verifies it, its facts
    proven against a block the nodes agree on (--quorum, --trust-block, --require-proofs as for
    verify); a row is met only if that verification is (a node contradicting its proofs fails that
    row's `proofs` line). Every node is asked for the organisation's attestations and each year's
    covering statements: the rows are as complete as their logs. Exit 0 with the table, met or not
    ("met" in --json); 3 on a chain error: nodes that disagree on the trusted block, or whose logs
    differ on what the rows are decided with."""
    with handle_errors():
        from attest.app.history import organisation_history

        dep = open_deployment(deployment_path, rpc_url, confirmations)
        org_id = dep.find_organisation(org)
        if neutrality:
            from attest.app.proven import Prover
            from attest.core.header import parse_checkpoint

            checkpoint = parse_checkpoint(trust_block) if trust_block is not None else None
            # before anything is read: one block whose hash the nodes agree on (or the checkpoint's)
            prover = Prover(dep, proof_policy(dep, quorum, checkpoint, require_proofs))
            _neutrality(dep, org_id, year, to_year, as_json, registry_records, prover)
            return
        for given, option in (
            (quorum is not None, "--quorum"),
            (trust_block is not None, "--trust-block"),
            (require_proofs, "--require-proofs"),
        ):
            if given:
                raise InputError(
                    f"{option} goes with --neutrality (the list of attestations is the node's index, "
                    "shown as it answers: verify a file to have it proven)",
                    field=option,
                )
        if to_year is not None:
            raise InputError("--to goes with --neutrality", field="--to")
        if registry_records:
            raise InputError("--registry-records goes with --neutrality", field="--registry-records")
        entries = organisation_history(dep, org_id, year)
        name = dep.organisation(org_id).info.name
        data = {
            "org_id": org_id,
            "organisation": name,
            "year": year,
            "attestations": [e.to_json() for e in entries],
        }

        def human() -> None:
            scope = f" for {year}" if year is not None else ""
            click.echo(printable(f"{name} (org #{org_id}): {len(entries)} attestation(s){scope}"))
            for e in entries:
                a = e.attestation
                click.echo(f"- {a.kind.label} {a.year}  {a.uid}")
                click.echo(f"    digest  sha256 {a.digest}")
                click.echo(f"    block   {a.block_number}, tx {a.transaction_hash}")
                if a.kind.label == "statement":
                    click.echo(f"    covers  {a.ref}")
                elif a.ref != ZERO_REF:
                    click.echo(f"    restates {a.ref}")
                click.echo(printable(f"    status  {e.status}"))
                for c in e.covered_by:
                    click.echo(printable(f"    covered by {c.statement.uid} from {c.verifier}: {c.status}"))
                if a.kind.label == "figures" and not e.covered_by:
                    click.echo("    covered by no verification statement")

        emit(as_json, data, human)


def _neutrality(
    dep: Deployment,
    org_id: int,
    year: int | None,
    to_year: int | None,
    as_json: bool,
    records: tuple[str, ...],
    prover: Prover,
) -> None:
    """`history --neutrality`: the commitment year by year (`--year`: that row only); each row's
    statement verified with `prover`."""
    from attest.app.credits import load_registry_records
    from attest.app.history import neutrality_history, neutrality_lines

    given = load_registry_records(records) if records else None
    rows = neutrality_history(dep, org_id, to_year=to_year, registry_records=given, prover=prover)
    if year is not None:
        rows = [r for r in rows if r.year == year]
    name = dep.organisation(org_id).info.name
    data = {
        "org_id": org_id,
        "organisation": name,
        "years": [r.to_json() for r in rows],
        "met": bool(rows) and all(r.met for r in rows),
    }
    emit(
        as_json,
        data,
        lambda: click.echo("\n".join(printable(line) for line in neutrality_lines(name, org_id, rows))),
    )
