"""`attest member`: consortium governance from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    _addresses,
    _emit,
    _errors,
    _open,
    _signer,
    chain_options,
    json_option,
    main,
    signer_options,
)

if TYPE_CHECKING:
    pass


@main.group()
def member() -> None:
    """Consortium governance: admit organisations by committee vote, list them."""


@member.command("admit")
@chain_options
@signer_options
@click.option("--name", required=True)
@click.option("--country", default="")
@click.option("--kind", "org_kind", default="", help="e.g. bank, verification body, regulator.")
@click.option("--role", "roles", type=click.Choice(["publisher", "verifier"]), multiple=True, required=True)
@click.option(
    "--account",
    "accounts",
    multiple=True,
    required=True,
    callback=_addresses,
    help="Signing account address (repeat).",
)
@click.option("--accreditation-body", default="")
@click.option("--accreditation-number", default="")
@json_option
def member_admit(
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    name: str,
    country: str,
    org_kind: str,
    roles: tuple[str, ...],
    accounts: tuple[str, ...],
    accreditation_body: str,
    accreditation_number: str,
    as_json: bool,
) -> None:
    """Propose admitting an organisation; executes at once when the threshold is 1."""
    with _errors():
        from eth_abi import encode

        from attest.client import ORG_INFO_TYPE, OrganisationInfo
        from attest.contracts import Action, Role

        dep = _open(deployment_path, rpc_url, confirmations)
        signer = _signer(keystore, password_file)
        mask = sum(int(Role[r.upper()]) for r in set(roles))
        info = OrganisationInfo(name, country, org_kind, accreditation_body, accreditation_number)
        data = encode([ORG_INFO_TYPE, "uint8", "address[]"], [info.as_tuple(), mask, list(accounts)])
        proposal = dep.propose(signer, Action.ADMIT_ORGANISATION, data)
        executed = int(dep.governance.functions.threshold().call()) <= 1
        org_id = None
        if executed:
            sent = dep.execute(signer, proposal)
            from web3.logs import DISCARD

            (event,) = dep.governance.events.OrganisationAdmitted().process_receipt(
                sent.receipt, errors=DISCARD
            )
            org_id = int(event["args"]["orgId"])
        result = {"proposal": proposal, "executed": executed, "org_id": org_id}
        _emit(
            as_json,
            result,
            lambda: click.echo(
                f"admitted {name} as org #{org_id}"
                if executed
                else f"proposal #{proposal} created; needs more votes"
            ),
        )


@member.command("list")
@chain_options
@json_option
def member_list(deployment_path: str, rpc_url: str | None, confirmations: int | None, as_json: bool) -> None:
    """List admitted organisations with their roles, status and accounts."""
    with _errors():
        dep = _open(deployment_path, rpc_url, confirmations)
        orgs = dep.organisations()
        rows = [
            {
                "org_id": o.org_id,
                "name": o.info.name,
                "roles": _roles_text(o.roles),
                "active": o.active,
                "accounts": list(o.accounts),
            }
            for o in orgs
        ]

        def human() -> None:
            for o in orgs:
                state = "active" if o.active else "removed"
                roles = _roles_text(o.roles)
                click.echo(f"#{o.org_id}  {o.info.name}  [{roles}]  {state}  {', '.join(o.accounts)}")

        _emit(as_json, rows, human)


def _roles_text(mask: int) -> str:
    from attest.contracts import Role

    return ",".join(r.name.lower() for r in Role if mask & r) or "none"
