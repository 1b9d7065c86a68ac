"""`attest member`: consortium governance from the command line.

A committee member proposes (`member propose ACTION …`), others vote (`member vote ID`), anyone on the
committee executes once the threshold is reached (`member execute ID`). Proposals are stored as bytes
on-chain, so `member proposals` decodes them back into sentences: members read what they vote for.
A proposal lives at most 30 days, its proposer may withdraw it (`member cancel ID`), and any change of
the committee or its threshold makes every open proposal void. Reverts come back as the contract's
named error on one line (exit 3), e.g. AlreadyVoted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from attest.cli._common import (
    chain_options,
    emit,
    handle_errors,
    json_option,
    load_signer,
    main,
    open_deployment,
    signer_options,
)
from attest.core.errors import InputError
from attest.core.report_text import printable

if TYPE_CHECKING:
    from attest.chain.deployment import Deployment
    from attest.chain.proposals import ProposalView
    from attest.core.governance import Call, Status

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_EXPIRES_IN = 7 * 24 * 3600
ROLE_CHOICE = click.Choice(["publisher", "verifier"])


@main.group()
def member() -> None:
    """Consortium governance: proposals, votes, organisations and their accounts."""


# ------------------------------------------------------------------------------------------ helpers


def _address_argument(name: str) -> Callable[[F], F]:
    """An address argument, checked by the governance encoders (one-line error, exit 2)."""
    return click.argument(name)


def proposal_options(f: F) -> F:
    """What every `member propose …` command takes: chain, signer, expiry, --json."""
    f = json_option(f)
    f = click.option(
        "--expires-in",
        type=click.IntRange(min=1),
        default=DEFAULT_EXPIRES_IN,
        show_default=True,
        metavar="SECONDS",
        help="The proposal can be voted and executed for this long (at most 2592000: 30 days).",
    )(f)
    return chain_options(signer_options(f))


def _org_id(dep: Deployment, org: str) -> int:
    """ORG on the command line: a number or an admitted organisation's exact name."""
    org_id = dep.find_organisation(org)
    count = int(dep.governance.call("organisationCount"))
    if not 1 <= org_id <= count:
        raise InputError(f"no organisation #{org_id} (organisations run from 1 to {count})", field="ORG")
    return org_id


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _propose(common: dict[str, Any], build: Callable[[Deployment], Call] | Call) -> None:
    """Propose the call, then execute it at once if the proposer's vote reaches the threshold (1-of-N).

    `build` is the call itself when it was checked without the chain, or a function of the deployment
    when it names an organisation; either way bad input fails before any key is decrypted.
    """
    with handle_errors():
        from attest.chain import proposals
        from attest.chain.committee import Committee
        from attest.core.governance import check_lifetime

        check_lifetime(common["expires_in"], "--expires-in")  # exit 2 before the chain is contacted
        dep = open_deployment(common["deployment_path"], common["rpc_url"], common["confirmations"])
        call = build if not callable(build) else build(dep)
        signer = load_signer(common["keystore"], common["password_file"])
        proposal_id = Committee(dep).propose(signer, call.action, call.data, lifetime=common["expires_in"])
        view = proposals.proposal(dep, proposal_id)
        result: dict[str, Any] = {"proposal": proposal_id, **_short(view), "executed": False}
        if view.votes >= view.threshold:
            result.update(_execute(dep, signer, proposal_id))
        emit(common["as_json"], result, lambda: click.echo(_outcome_line(result)))


def _short(view: ProposalView) -> dict[str, Any]:
    return {
        "action": view.as_dict()["action"],
        "description": view.description,
        "args": view.args,
        "votes": view.votes,
        "threshold": view.threshold,
        "expires_at": view.expires_at,
    }


def _execute(dep: Deployment, signer: Any, proposal_id: int) -> dict[str, Any]:
    from web3.logs import DISCARD

    from attest.chain.committee import Committee

    sent = Committee(dep).execute(signer, proposal_id)
    out: dict[str, Any] = {
        "executed": True,
        "transaction": sent.tx_hash,
        "block": sent.block_number,
        "gas_used": sent.gas_used,
    }
    admitted = dep.governance.events.OrganisationAdmitted().process_receipt(sent.receipt, errors=DISCARD)
    if admitted:
        out["org_id"] = int(admitted[0]["args"]["orgId"])
    return out


def _outcome_line(r: dict[str, Any]) -> str:
    """Two lines: the proposal (its description made printable: names come from others), then its
    outcome; the newline between them is ours, so it is never escaped."""
    head = f"proposal #{r['proposal']}: {printable(r['description'])}"
    if r["executed"]:
        org = f" (organisation #{r['org_id']})" if "org_id" in r else ""
        return f"{head}\nexecuted in block {r['block']}{org}"
    more = r["threshold"] - r["votes"]
    tail = (
        f"{r['votes']}/{r['threshold']} votes; "
        + ("ready: run `attest member execute`" if more <= 0 else f"needs {more} more vote(s)")
        + f"; expires {_when(r['expires_at'])}"
    )
    return f"{head}\n{tail}"


# ------------------------------------------------------------------------------------------ propose


@member.group("propose")
def propose() -> None:
    """Propose a governance action (your vote counts at once; executes at once if the threshold is 1)."""


@propose.command("add-committee-member")
@_address_argument("address")
@proposal_options
def propose_add_committee_member(address: str, **common: Any) -> None:
    """Add ADDRESS to the committee."""
    from attest.core import governance

    with handle_errors():
        call = governance.add_committee_member(address)  # bad input: exit 2 before the chain is contacted
    _propose(common, call)


@propose.command("remove-committee-member")
@_address_argument("address")
@proposal_options
def propose_remove_committee_member(address: str, **common: Any) -> None:
    """Remove ADDRESS from the committee (refused on execution if that leaves fewer than the threshold)."""
    from attest.core import governance

    with handle_errors():
        call = governance.remove_committee_member(address)  # bad input: exit 2 before the chain is contacted
    _propose(common, call)


@propose.command("change-threshold")
@click.argument("threshold", type=click.IntRange(min=1, max=2**32 - 1))
@proposal_options
def propose_change_threshold(threshold: int, **common: Any) -> None:
    """Votes needed to execute a proposal: between 1 and the committee size."""
    from attest.core import governance

    with handle_errors():
        call = governance.change_threshold(threshold)  # bad input: exit 2 before the chain is contacted
    _propose(common, call)


def admit_options(f: F) -> F:
    for option in reversed(
        [
            click.option("--name", required=True),
            click.option("--country", default=""),
            click.option("--kind", "org_kind", default="", help="e.g. bank, verification body, regulator."),
            click.option("--role", "roles", type=ROLE_CHOICE, multiple=True, required=True),
            click.option(
                "--account",
                "accounts",
                multiple=True,
                help="Signing account address (repeat).",
            ),
            click.option("--accreditation-body", default=""),
            click.option("--accreditation-number", default=""),
            click.option("--uri", default="", help="Where the admission documents are."),
            click.option("--documents-sha256", default="00" * 32, help="sha256 of the admission documents."),
        ]
    ):
        f = option(f)
    return f


def _admit_call(a: dict[str, Any]) -> Call:
    from attest.core import governance
    from attest.core.records import OrganisationInfo

    info = OrganisationInfo(
        a["name"],
        a["country"],
        a["org_kind"],
        a["accreditation_body"],
        a["accreditation_number"],
        a["uri"],
        a["documents_sha256"].removeprefix("0x").lower(),
    )
    return governance.admit_organisation(info, a["roles"], a["accounts"])


_ADMIT_KEYS = (
    "name",
    "country",
    "org_kind",
    "roles",
    "accounts",
    "accreditation_body",
    "accreditation_number",
    "uri",
    "documents_sha256",
)


def _propose_admit(kwargs: dict[str, Any]) -> None:
    admit = {k: kwargs.pop(k) for k in _ADMIT_KEYS}
    with handle_errors():
        call = _admit_call(admit)  # bad input: exit 2 before the chain is contacted

    def checked(dep: Deployment) -> Call:
        """A taken name is exit 2 before any key is decrypted; a look-alike is a warning on stderr."""
        from attest.app.admission import check_name

        for warning in check_name(dep, admit["name"]):
            click.echo(printable(f"warning: {warning}"), err=True)
        return call

    _propose(kwargs, checked)


@propose.command("admit")
@admit_options
@proposal_options
def propose_admit(**kwargs: Any) -> None:
    """Admit an organisation with its roles and signing accounts."""
    _propose_admit(kwargs)


@member.command("admit")
@admit_options
@proposal_options
def member_admit(**kwargs: Any) -> None:
    """Shortcut for `member propose admit`; executes at once when the threshold is 1."""
    _propose_admit(kwargs)


@propose.command("remove-organisation")
@click.argument("org")
@proposal_options
def propose_remove_organisation(org: str, **common: Any) -> None:
    """Remove organisation ORG (id or exact name): its accounts can no longer attest."""
    from attest.core import governance

    _propose(common, lambda dep: governance.remove_organisation(_org_id(dep, org)))


@propose.command("grant-roles")
@click.argument("org")
@click.option("--role", "roles", type=ROLE_CHOICE, multiple=True, required=True)
@proposal_options
def propose_grant_roles(org: str, roles: tuple[str, ...], **common: Any) -> None:
    """Grant roles to organisation ORG."""
    from attest.core import governance

    _propose(common, lambda dep: governance.grant_roles(_org_id(dep, org), roles))


@propose.command("revoke-roles")
@click.argument("org")
@click.option("--role", "roles", type=ROLE_CHOICE, multiple=True, required=True)
@proposal_options
def propose_revoke_roles(org: str, roles: tuple[str, ...], **common: Any) -> None:
    """Revoke roles from organisation ORG."""
    from attest.core import governance

    _propose(common, lambda dep: governance.revoke_roles(_org_id(dep, org), roles))


@propose.command("add-account")
@click.argument("org")
@_address_argument("account")
@proposal_options
def propose_add_account(org: str, account: str, **common: Any) -> None:
    """Add signing ACCOUNT to organisation ORG (key rotation: add the new key, then remove the old)."""
    from attest.core import governance

    with handle_errors():
        governance.add_account(1, account)  # the address first: exit 2 before the chain is contacted
    _propose(common, lambda dep: governance.add_account(_org_id(dep, org), account))


@propose.command("remove-account")
@_address_argument("account")
@proposal_options
def propose_remove_account(account: str, **common: Any) -> None:
    """Remove signing ACCOUNT: its earlier attestations stay valid, new ones are refused."""
    from attest.core import governance

    with handle_errors():
        call = governance.remove_account(account)  # bad input: exit 2 before the chain is contacted
    _propose(common, call)


@propose.command("freeze")
@_address_argument("account")
@proposal_options
def propose_freeze(account: str, **common: Any) -> None:
    """Freeze ACCOUNT (a suspected compromise): it can neither attest nor revoke."""
    from attest.core import governance

    with handle_errors():
        call = governance.freeze_account(account)  # bad input: exit 2 before the chain is contacted
    _propose(common, call)


@propose.command("unfreeze")
@_address_argument("account")
@proposal_options
def propose_unfreeze(account: str, **common: Any) -> None:
    """Unfreeze ACCOUNT."""
    from attest.core import governance

    with handle_errors():
        call = governance.unfreeze_account(account)  # bad input: exit 2 before the chain is contacted
    _propose(common, call)


@propose.command("revoke-attestation")
@click.argument("uid")
@click.option("--reason", required=True, help="Why the committee revokes it (recorded on-chain).")
@proposal_options
def propose_revoke_attestation(uid: str, reason: str, **common: Any) -> None:
    """Revoke attestation UID by committee vote (e.g. a member's key was compromised)."""
    from attest.core import governance

    with handle_errors():
        governance.revoke_attestation("0x" + "00" * 20, uid, reason)  # syntax first: exit 2, no chain
    _propose(common, lambda dep: governance.revoke_attestation(dep.manifest.registry.address, uid, reason))


@propose.command("cancel")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@proposal_options
def propose_cancel(proposal_id: int, **common: Any) -> None:
    """Withdraw proposal ID by committee vote (its proposer can `member cancel` it alone)."""
    from attest.core import governance

    with handle_errors():
        call = governance.cancel_proposal(proposal_id)
    _propose(common, call)


# ------------------------------------------------------------------------------------------ vote, execute


@member.command("vote")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@click.option(
    "--execute", "then_execute", is_flag=True, help="Execute too if this vote reaches the threshold."
)
@chain_options
@signer_options
@json_option
def member_vote(
    proposal_id: int,
    then_execute: bool,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Vote for proposal ID (one vote per committee member)."""
    with handle_errors():
        from attest.chain import proposals
        from attest.chain.committee import Committee

        dep = open_deployment(deployment_path, rpc_url, confirmations)
        signer = load_signer(keystore, password_file)
        sent = Committee(dep).vote(signer, proposal_id)
        view = proposals.proposal(dep, proposal_id)
        result: dict[str, Any] = {
            "proposal": proposal_id,
            **_short(view),
            "voted": signer.address,
            "vote_transaction": sent.tx_hash,
            "vote_gas_used": sent.gas_used,
            "executed": False,
        }
        if then_execute and view.votes >= view.threshold:
            result.update(_execute(dep, signer, proposal_id))
        emit(as_json, result, lambda: click.echo(_outcome_line(result)))


@member.command("execute")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@chain_options
@signer_options
@json_option
def member_execute(
    proposal_id: int,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Execute proposal ID once it holds enough votes of current committee members."""
    with handle_errors():
        from attest.chain import proposals

        dep = open_deployment(deployment_path, rpc_url, confirmations)
        signer = load_signer(keystore, password_file)
        done = _execute(dep, signer, proposal_id)
        view = proposals.proposal(dep, proposal_id)
        result = {"proposal": proposal_id, **_short(view), **done}
        emit(as_json, result, lambda: click.echo(_outcome_line(result)))


@member.command("cancel")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@chain_options
@signer_options
@json_option
def member_cancel(
    proposal_id: int,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Withdraw proposal ID, which you proposed and which is still open (others: `propose cancel`)."""
    with handle_errors():
        from attest.chain import proposals
        from attest.chain.committee import Committee

        dep = open_deployment(deployment_path, rpc_url, confirmations)
        signer = load_signer(keystore, password_file)
        sent = Committee(dep).cancel(signer, proposal_id)
        view = proposals.proposal(dep, proposal_id)
        result = {
            "proposal": proposal_id,
            **_short(view),
            "status": view.status,
            "cancelled_by": signer.address,
            "transaction": sent.tx_hash,
            "block": sent.block_number,
            "gas_used": sent.gas_used,
        }
        emit(
            as_json,
            result,
            lambda: click.echo(
                printable(
                    f"proposal #{proposal_id}: {view.description}\ncancelled in block {sent.block_number}"
                )
            ),
        )


# ------------------------------------------------------------------------------------------ read-only


@member.command("proposals")
@click.option(
    "--status",
    "only",
    type=click.Choice(["open", "ready", "executed", "expired", "cancelled", "void"]),
    default=None,
    help="Only these; 'open' includes 'ready' (enough votes to execute).",
)
@chain_options
@json_option
def member_proposals(
    only: Status | None, deployment_path: str, rpc_url: str | None, confirmations: int | None, as_json: bool
) -> None:
    """List proposals: action in words, votes/threshold, expiry, and status: open, ready (enough
    votes), executed, expired, cancelled, or void (the committee or threshold changed since)."""
    with handle_errors():
        from attest.chain import proposals
        from attest.core.governance import status_matches

        dep = open_deployment(deployment_path, rpc_url, confirmations)
        views = [v for v in proposals.proposals(dep) if only is None or status_matches(v.status, only)]

        def human() -> None:
            if not views:
                click.echo("no proposals")
            for v in views:
                click.echo(
                    printable(
                        f"#{v.proposal_id}  {v.status:<9}  {v.votes}/{v.threshold} votes  "
                        f"expires {_when(v.expires_at)}  {v.description}"
                    )
                )

        emit(as_json, [v.as_dict() for v in views], human)


@member.command("list")
@chain_options
@json_option
def member_list(deployment_path: str, rpc_url: str | None, confirmations: int | None, as_json: bool) -> None:
    """List admitted organisations with their roles, status and accounts."""
    with handle_errors():
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        orgs = dep.organisations()
        rows = [
            {
                "org_id": o.org_id,
                "name": o.info.name,
                "country": o.info.country,
                "kind": o.info.kind,
                "roles": _roles_text(o.roles),
                "active": o.active,
                "accounts": list(o.accounts),
            }
            for o in orgs
        ]

        def human() -> None:
            if not orgs:
                click.echo("no organisations admitted yet")
            for o in orgs:
                state = "active" if o.active else "removed"
                roles = _roles_text(o.roles)
                click.echo(
                    printable(f"#{o.org_id}  {o.info.name}  [{roles}]  {state}  {', '.join(o.accounts)}")
                )

        emit(as_json, rows, human)


@member.command("show")
@click.argument("org")
@chain_options
@json_option
def member_show(
    org: str, deployment_path: str, rpc_url: str | None, confirmations: int | None, as_json: bool
) -> None:
    """One organisation: admission facts, roles, accounts (frozen or not), and its history of changes."""
    with handle_errors():
        from attest.core import governance

        dep = open_deployment(deployment_path, rpc_url, confirmations)
        org_id = _org_id(dep, org)
        o = dep.organisation(org_id)
        accounts = [
            {"address": a, "frozen": bool(dep.governance.call("accountStatus", a)[2])} for a in o.accounts
        ]
        history = governance.organisation_history(dep.membership_history(), org_id)
        info = o.info
        data = {
            "org_id": org_id,
            "name": info.name,
            "country": info.country,
            "kind": info.kind,
            "accreditation_body": info.accreditation_body,
            "accreditation_number": info.accreditation_number,
            "uri": info.uri,
            "documents_sha256": info.documents_digest,
            "roles": governance.role_names(o.roles),
            "active": o.active,
            "accounts": accounts,
            "history": [c.as_dict() for c in history],
        }

        def human() -> None:
            click.echo(printable(f"#{org_id}  {info.name}  ({'active' if o.active else 'removed'})"))
            for label, value in (
                ("country", info.country),
                ("kind", info.kind),
                (
                    "accreditation",
                    " ".join(x for x in (info.accreditation_body, info.accreditation_number) if x),
                ),
                ("uri", info.uri),
                ("documents", info.documents_digest if int(info.documents_digest, 16) else ""),
            ):
                if value:
                    click.echo(printable(f"  {label:<13} {value}"))
            click.echo(f"  {'roles':<13} {_roles_text(o.roles)}")
            if not accounts:
                click.echo(f"  {'accounts':<13} none")
            for acct in accounts:
                click.echo(f"  {'account':<13} {acct['address']}{'  FROZEN' if acct['frozen'] else ''}")
            click.echo("  history")
            for c in history:
                click.echo(printable(f"    block {c.block_number:>6}  {c.detail}"))

        emit(as_json, data, human)


def _roles_text(mask: int) -> str:
    from attest.core.contracts import Role

    return ",".join(r.name.lower() for r in Role if mask & r) or "none"
