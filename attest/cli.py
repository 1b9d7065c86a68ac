"""The `attest` command line: a thin shell over the library.

Exit codes (DESIGN.md): 0 verified / done; 1 not verified; 2 bad input or usage; 3 chain unreachable,
misconfigured, or a transaction failed; 4 internal error (a bug: please report it). Heavy modules are
imported inside commands so `attest --help` and `attest hash` start fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from attest.errors import AttestError, InputError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from attest.client import Deployment
    from attest.statement import CarbonVerification
    from attest.verification import Report

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERNAL = 4
SYMBOL = {"pass": "✓", "fail": "✗", "info": "·"}


@contextmanager
def _errors() -> Iterator[None]:
    """Turn every expected error into one line on stderr and its exit code; never a traceback."""
    try:
        yield
    except AttestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as exc:
        if os.environ.get("ATTEST_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (set ATTEST_DEBUG=1 for a traceback)", err=True
        )
        sys.exit(EXIT_INTERNAL)


def _emit(as_json: bool, data: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        human()


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(f)


def chain_options(f: F) -> F:
    f = click.option(
        "--rpc-url",
        envvar="ATTEST_RPC_URL",
        help="JSON-RPC endpoint (default: the manifest's). Env ATTEST_RPC_URL.",
    )(f)
    f = click.option(
        "--deployment",
        "-d",
        "deployment_path",
        envvar="ATTEST_DEPLOYMENT",
        type=click.Path(dir_okay=False),
        default="deployments/local.json",
        show_default=True,
        help="Deployment manifest. Env ATTEST_DEPLOYMENT.",
    )(f)
    f = click.option(
        "--confirmations",
        type=click.IntRange(min=1),
        default=None,
        help="Confirmations to wait for / require.",
    )(f)
    return f


def signer_options(f: F) -> F:
    f = click.option(
        "--keystore",
        envvar="ATTEST_KEYSTORE",
        type=click.Path(dir_okay=False),
        required=True,
        help="Encrypted V3 keystore of the signing account. Env ATTEST_KEYSTORE.",
    )(f)
    f = click.option(
        "--password-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="File holding the keystore password (else env ATTEST_PASSWORD, else a prompt).",
    )(f)
    return f


def _addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Validate account addresses at the command line, before anything is sent."""
    from eth_utils import is_address, to_checksum_address

    for value in values:
        if not is_address(value):
            raise click.BadParameter(f"{value!r} is not an account address (0x + 40 hex digits)")
    return tuple(to_checksum_address(v) for v in values)


def _open(deployment_path: str, rpc_url: str | None, confirmations: int | None) -> Deployment:
    from attest.client import Deployment

    return Deployment.open(deployment_path, rpc_url=rpc_url, confirmations=confirmations)


def _signer(keystore: str, password_file: str | None) -> LocalAccount:
    from attest.keystore import load_keystore, read_password

    return load_keystore(keystore, read_password(password_file=password_file))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="esg-attest")
def main() -> None:
    """Anchor and verify ESG figures and carbon verification statements on a permissioned chain.

    Exit codes: 0 ok/verified, 1 not verified, 2 bad input or usage, 3 chain error, 4 internal error.
    """


# ---------------------------------------------------------------------------- demo


@main.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write files (default: a temp dir).",
)
@json_option
def demo(workdir: str | None, as_json: bool) -> None:
    """The whole story on the embedded chain: deploy, admit, publish, verify, tamper, verify again."""
    with _errors():
        from attest.demo import run_demo

        ok = run_demo(Path(workdir) if workdir else None, as_json=as_json)
        sys.exit(0 if ok else 1)


# ---------------------------------------------------------------------------- hash


@main.command("hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def hash_cmd(files: tuple[str, ...], as_json: bool) -> None:
    """Print the sha256 digest of each FILE (figures JSON: of its RFC 8785 canonical form)."""
    with _errors():
        from attest.documents import hash_document

        docs = [hash_document(f) for f in files]
        _emit(
            as_json,
            [
                {"file": str(d.path), "digest": d.digest, "rule": d.digest_rule, "media_type": d.media_type}
                for d in docs
            ],
            lambda: click.echo("\n".join(f"{d.digest}  {d.path}  ({d.rule_text})" for d in docs)),
        )


# ---------------------------------------------------------------------------- account


@main.group()
def account() -> None:
    """Signing accounts in encrypted keystore files."""


@account.command("new")
@click.argument("keystore", type=click.Path(dir_okay=False))
@click.option("--password-file", type=click.Path(dir_okay=False), default=None)
@json_option
def account_new(keystore: str, password_file: str | None, as_json: bool) -> None:
    """Create a new key in KEYSTORE (scrypt V3, mode 0600) and print its address."""
    with _errors():
        from attest.keystore import create_keystore, read_password

        address = create_keystore(keystore, read_password(password_file=password_file, confirm=True))
        _emit(
            as_json, {"keystore": keystore, "address": address}, lambda: click.echo(f"{address}  {keystore}")
        )


@account.command("show")
@click.argument("keystore", type=click.Path(dir_okay=False))
def account_show(keystore: str) -> None:
    """Print the address a keystore holds (no password needed)."""
    with _errors():
        from attest.keystore import keystore_address

        click.echo(keystore_address(keystore))


# ---------------------------------------------------------------------------- node


@main.group()
def node() -> None:
    """A local persistent chain node (anvil from npm) on 127.0.0.1."""


@node.command("start")
@click.option("--data-dir", type=click.Path(file_okay=False), default=".attest-node", show_default=True)
@click.option("--port", type=int, default=8545, show_default=True)
@click.option("--zero-fees", is_flag=True, help="Free-gas profile, like a Besu/FISCO BCOS consortium chain.")
@json_option
def node_start(data_dir: str, port: int, zero_fees: bool, as_json: bool) -> None:
    """Start anvil in the background with its state persisted under DATA_DIR."""
    with _errors():
        from attest.node import AnvilNode, dev_private_keys

        n = AnvilNode(Path(data_dir), port=port, zero_fees=zero_fees)
        n.start()
        info = {
            "rpc_url": n.rpc_url,
            "pid": n.pid,
            "state_file": str(n.state_file),
            "dev_key_0": dev_private_keys(1)[0],
        }
        _emit(
            as_json,
            info,
            lambda: click.echo(f"anvil running at {n.rpc_url} (pid {n.pid}), state {n.state_file}"),
        )


@node.command("stop")
@click.option("--data-dir", type=click.Path(file_okay=False), default=".attest-node", show_default=True)
def node_stop(data_dir: str) -> None:
    """Stop the node started from DATA_DIR (its state is saved)."""
    with _errors():
        from attest.node import stop_by_info

        click.echo("stopped" if stop_by_info(Path(data_dir)) else "no node running")


# ---------------------------------------------------------------------------- deploy


@main.command()
@click.option(
    "--rpc-url", envvar="ATTEST_RPC_URL", required=True, help="JSON-RPC endpoint. Env ATTEST_RPC_URL."
)
@signer_options
@click.option(
    "--committee",
    multiple=True,
    callback=_addresses,
    help="Committee member address (repeat). Default: the deployer.",
)
@click.option("--threshold", type=int, default=1, show_default=True)
@click.option("--network", default="local", show_default=True, help="Name recorded in the manifest.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Manifest path (default deployments/NETWORK.json).",
)
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True)
@json_option
def deploy(
    rpc_url: str,
    keystore: str,
    password_file: str | None,
    committee: tuple[str, ...],
    threshold: int,
    network: str,
    out: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Deploy governance and registry; write the deployment manifest."""
    with _errors():
        from attest.chain import Chain
        from attest.client import Deployment
        from attest.manifest import write_atomic

        out_path = Path(out or f"deployments/{network}.json")
        if out_path.exists():
            raise InputError("a manifest already exists here; choose another --out", path=out_path)
        signer = _signer(keystore, password_file)
        chain = Chain.connect(rpc_url, confirmations=confirmations)
        members = list(committee) or [signer.address]
        dep = Deployment.deploy(
            chain, signer, committee=members, threshold=threshold, network=network, rpc_url=rpc_url
        )
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out_path, dep.manifest.dump())
        m = dep.manifest
        data = {
            "manifest": str(out_path),
            "chain_id": m.chain_id,
            "governance": m.governance.address,
            "registry": m.registry.address,
        }
        _emit(
            as_json,
            data,
            lambda: click.echo(
                f"deployed on chain {m.chain_id}: governance {m.governance.address}, "
                f"registry {m.registry.address}\n"
                f"manifest written to {out_path}"
            ),
        )


# ---------------------------------------------------------------------------- member


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


# ---------------------------------------------------------------------------- publish


@main.group()
def publish() -> None:
    """Anchor documents; writes a receipt (and the canonical form) next to each."""


def _publish(
    kind_name: str,
    path: str,
    year: int | None,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
    *,
    covers: str | None = None,
) -> None:
    with _errors():
        from attest.contracts import Kind
        from attest.publishing import prepare
        from attest.publishing import publish as do_publish

        kind = Kind[kind_name.upper()]
        doc, _ = prepare(path, kind=kind, year=year)  # bad input fails here, before any key or chain
        covers_early = _covers_syntax(covers) if covers is not None else None
        dep = _open(deployment_path, rpc_url, confirmations)
        ref = None
        if covers_early is not None and doc.statement is not None:
            ref = _resolve_covers(dep, covers_early, doc.statement)
        signer = _signer(keystore, password_file)
        result = do_publish(dep, signer, path, kind=kind, year=year, uri=uri, ref=ref)
        a = result.published.attestation
        data = {
            "file": str(result.document.path),
            "digest": result.document.digest,
            "uid": a.uid,
            "org_id": a.org_id,
            "transaction_hash": a.transaction_hash,
            "block_number": a.block_number,
            "gas_used": result.published.gas_used,
            "already_anchored": result.published.already_anchored,
            "receipt": str(result.receipt_path),
            "canonical": str(result.canonical_path) if result.canonical_path else None,
        }

        def human() -> None:
            state = "already anchored (nothing sent)" if result.published.already_anchored else "anchored"
            click.echo(f"{state}: {result.document.path}")
            click.echo(f"  digest   sha256 {result.document.digest} ({result.document.rule_text})")
            click.echo(f"  tx       {a.transaction_hash} in block {a.block_number}")
            if result.published.gas_used is not None:
                click.echo(f"  gas used {result.published.gas_used}")
            click.echo(f"  receipt  {result.receipt_path}")

        _emit(as_json, data, human)


@publish.command("figures")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--uri", default="", help="Where the document can be fetched (optional).")
@chain_options
@signer_options
@json_option
def publish_figures(
    path: str,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor a yearly esg-figures/1 JSON document (by its RFC 8785 canonical digest)."""
    _publish(
        "figures", path, None, uri, deployment_path, rpc_url, confirmations, keystore, password_file, as_json
    )


@publish.command("file")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--year", type=int, default=None, help="Reporting year the file belongs to (required).")
@click.option("--uri", default="", help="Where the document can be fetched (optional).")
@chain_options
@signer_options
@json_option
def publish_file(
    path: str,
    year: int | None,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor any file (e.g. the report PDF) by the sha256 of its raw bytes."""
    _publish(
        "file", path, year, uri, deployment_path, rpc_url, confirmations, keystore, password_file, as_json
    )


@publish.command("statement")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--covers",
    required=True,
    help="The figures it covers: their receipt file, their attestation uid (0x + 64 hex), or their "
    "sha256 digest (then the figures attestation by the organisation the statement names).",
)
@click.option("--uri", default="", help="Where the document can be fetched (optional).")
@chain_options
@signer_options
@json_option
def publish_statement(
    path: str,
    covers: str,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor a carbon-verification/1 statement (as a verifier) covering a figures attestation."""
    _publish(
        "statement",
        path,
        None,
        uri,
        deployment_path,
        rpc_url,
        confirmations,
        keystore,
        password_file,
        as_json,
        covers=covers,
    )


_UID = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _covers_syntax(covers: str) -> tuple[str, str]:
    """Classify --covers without touching the chain: ("uid", uid) or ("digest", hex)."""
    if _UID.fullmatch(covers):
        return "uid", covers.lower()
    if _HEX64.fullmatch(covers) and not Path(covers).is_file():
        return "digest", covers.lower()
    if Path(covers).is_file():
        from attest.receipt import load_receipt

        receipt = load_receipt(covers)
        if receipt.attestation.kind != "figures":
            raise InputError(
                f"the receipt is for a {receipt.attestation.kind} attestation, not figures",
                path=covers,
                field="--covers",
            )
        return "uid", receipt.attestation.uid.lower()
    raise InputError(
        f"{covers!r} is not a receipt file, an attestation uid (0x + 64 hex) or a sha256 digest",
        field="--covers",
    )


def _resolve_covers(dep: Deployment, covers: tuple[str, str], statement: CarbonVerification) -> str:
    """The uid of the figures attestation a statement covers; InputError (exit 2) if there is none."""
    from attest.contracts import Kind

    how, value = covers
    if how == "digest":
        name = statement.organisation.name
        org_ids = {o.org_id for o in dep.organisations() if o.info.name == name}
        if not org_ids:
            raise InputError(
                f"the statement names organisation {name!r}, which is not an admitted member",
                field="--covers",
            )
        found = [
            a
            for a in dep.attestations_of_digest(value)
            if a.org_id in org_ids and a.kind is Kind.FIGURES and not a.revoked
        ]
        if not found:
            raise InputError(f"no unrevoked figures attestation of {value} by {name!r}", field="--covers")
        if len(found) > 1:
            uids = ", ".join(a.uid for a in found)
            raise InputError(f"several figures attestations of {value} by {name!r}: {uids}", field="--covers")
        value = found[0].uid
    target = dep.attestation(value)
    if target is None:
        raise InputError(f"no attestation with uid {value}", field="--covers")
    if target.kind is not Kind.FIGURES:
        raise InputError(f"attestation {value} is {target.kind.label}, not figures", field="--covers")
    if target.year != statement.reporting_year:
        raise InputError(
            f"the figures attestation is for {target.year}, the statement for {statement.reporting_year}",
            field="--covers",
        )
    return target.uid


# ---------------------------------------------------------------------------- verify


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


# ---------------------------------------------------------------------------- batch & revoke

RECEIPT_OR_CANONICAL = (".receipt.json", ".canonical.json")


def expand_files(paths: tuple[str, ...]) -> list[Path]:
    """Files named, and files under directories named (recursively, sorted), minus our own outputs."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                f
                for f in sorted(p.rglob("*"))
                if f.is_file() and not f.name.startswith(".") and not f.name.endswith(RECEIPT_OR_CANONICAL)
            )
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or directory", path=p)
    if not out:
        raise InputError("no files to publish")
    return out


@publish.command("batch")
@click.argument("paths", nargs=-1, required=True)
@click.option("--year", type=int, required=True, help="Reporting year the files belong to.")
@chain_options
@signer_options
@json_option
def publish_batch_cmd(
    paths: tuple[str, ...],
    year: int,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor many files with ONE transaction (a Merkle root); a receipt with its proof next to each."""
    with _errors():
        from rich.progress import Progress

        from attest.batch import publish_batch
        from attest.publishing import MAX_YEAR, MIN_YEAR

        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}", field="--year")
        files = expand_files(paths)
        dep = _open(deployment_path, rpc_url, confirmations)
        signer = _signer(keystore, password_file)
        with Progress(disable=as_json, transient=True) as bar:
            task = bar.add_task("hashing and writing receipts", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = publish_batch(dep, signer, files, year=year, progress=progress)
        a = result.published.attestation
        data = {
            "root": result.root,
            "files": result.files,
            "leaves": result.leaves,
            "uid": a.uid,
            "transaction_hash": a.transaction_hash,
            "block_number": a.block_number,
            "gas_used": result.published.gas_used,
            "already_anchored": result.published.already_anchored,
        }
        _emit(
            as_json,
            data,
            lambda: click.echo(
                f"{'already anchored' if result.published.already_anchored else 'anchored'}: "
                f"{result.files} files ({result.leaves} distinct) under root {result.root}\n"
                f"  tx {a.transaction_hash} in block {a.block_number}, gas used {result.published.gas_used}"
            ),
        )


@main.command()
@click.argument("uid")
@click.option("--reason", required=True, help="Why, for the public record.")
@chain_options
@signer_options
@json_option
def revoke(
    uid: str,
    reason: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Revoke one of your organisation's attestations (by its uid, as printed in receipts)."""
    with _errors():
        import re

        if not re.fullmatch(r"0x[0-9a-fA-F]{64}", uid):
            raise InputError(f"{uid!r} is not an attestation uid (0x + 64 hex digits)", field="UID")
        if not reason.strip():
            raise InputError("a reason is required", field="--reason")
        dep = _open(deployment_path, rpc_url, confirmations)
        signer = _signer(keystore, password_file)
        sent = dep.revoke(signer, uid, reason)
        data = {
            "uid": uid,
            "transaction_hash": sent.tx_hash,
            "block_number": sent.block_number,
            "gas_used": sent.gas_used,
        }
        _emit(
            as_json, data, lambda: click.echo(f"revoked {uid} in block {sent.block_number} ({sent.tx_hash})")
        )
