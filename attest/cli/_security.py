"""`attest verify-deployment`, `attest sign-statement` and `attest relay`: the auditor's code check and
the verifier's air-gapped signing, kept apart from everyday publishing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from attest.cli._common import (
    SYMBOL,
    chain_options,
    emit,
    handle_errors,
    json_option,
    load_signer,
    main,
    open_deployment,
    pinned_manifest,
    signer_address,
    signer_options,
)
from attest.core.errors import InputError


@main.command("verify-deployment")
@chain_options
@click.option(
    "--recompile/--no-recompile",
    default=True,
    show_default=True,
    help="Also compile contracts/ with the pinned compiler and compare with the committed artifacts.",
)
@json_option
def verify_deployment(
    deployment_path: str, rpc_url: str | None, confirmations: int | None, recompile: bool, as_json: bool
) -> None:
    """Check the code at every manifest address is the committed artifacts' (immutables masked).

    Exit 0 when every check passes, 1 when one fails, 3 when the chain or the compiler is unavailable.
    """
    with handle_errors():
        from attest.app.deployment_check import check_code
        from attest.chain.connection import Chain
        from attest.chain.deployment import Deployment
        from attest.core.manifest import check_pinned, load_manifest

        manifest = load_manifest(deployment_path)
        check_pinned(manifest, pinned_manifest(), path=deployment_path)
        url = rpc_url or manifest.rpc_url
        if not url:
            raise InputError("the manifest names no RPC URL: pass --rpc-url", path=deployment_path)
        chain = Chain.connect(url, expected_chain_id=manifest.chain_id)
        # not Deployment.open: a missing contract is a ✗ line here, not an error
        checks = check_code(Deployment(chain, manifest), recompile=recompile)
        ok = all(c.status != "fail" for c in checks)
        data = {"deployment": deployment_path, "verified": ok, "checks": [c.__dict__ for c in checks]}

        def human() -> None:
            for c in checks:
                click.echo(f"{SYMBOL[c.status]} {c.name}: {c.detail}")
            click.echo("deployment verified" if ok else "deployment NOT verified")

        emit(as_json, data, human)
    sys.exit(0 if ok else 1)


@main.command("sign-statement")
@click.argument("statement", type=click.Path(dir_okay=False))
@click.option(
    "--covers",
    required=True,
    help="The figures it covers: their attestation uid (0x + 64 hex) or their receipt file.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the signed request (default: STATEMENT with .signed.json).",
)
@click.option(
    "--nonce",
    type=click.IntRange(min=0),
    default=None,
    help="The signer's registry nonce. Omit only when the manifest's node is reachable: "
    "it is then read from the chain.",
)
@click.option(
    "--deadline-hours",
    type=click.FloatRange(min=0, min_open=True),
    default=72.0,
    show_default=True,
    help="The signature is void this many hours after signing (this machine's clock).",
)
@click.option("--uri", default="", help="Where the statement can be obtained (optional).")
@chain_options
@signer_options
@json_option
def sign_statement(
    statement: str,
    covers: str,
    out_path: str | None,
    nonce: int | None,
    deadline_hours: float,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Sign an attestation of a verification statement as EIP-712 typed data, off-line.

    Needs the deployment manifest (chain id, registry address) but no node when --nonce is given;
    anyone can then submit the file with `attest relay`.
    """
    with handle_errors():
        from attest.app.publishing import prepare
        from attest.app.references import covers_uid
        from attest.app.signing import deadline_in, sign_statement
        from attest.core.contracts import Kind
        from attest.core.manifest import load_manifest
        from attest.core.sidefiles import signed_request_path

        manifest = load_manifest(deployment_path)
        figures_uid = covers_uid(covers)
        doc, year = prepare(statement, kind=Kind.STATEMENT, year=None)
        deadline = deadline_in(deadline_hours)
        if nonce is None:
            if not (rpc_url or manifest.rpc_url):
                raise InputError("no node to read the nonce from: pass --nonce N", field="--nonce")
            dep = open_deployment(deployment_path, rpc_url, confirmations)
            nonce = int(dep.registry.call("nonces", signer_address(keystore)))
        signer = load_signer(keystore, password_file)
        request = sign_statement(
            signer,
            doc,
            year=year,
            covers=figures_uid,
            manifest=manifest,
            nonce=nonce,
            deadline=deadline,
            uri=uri,
        )
        out = Path(out_path) if out_path else signed_request_path(doc.path)
        from attest.core.manifest import write_atomic

        write_atomic(out, request.dump())
        data = {
            "signed_request": str(out),
            "signer": request.signer,
            "digest": doc.digest,
            "nonce": nonce,
            "deadline": deadline,
            "covers": figures_uid,
        }
        emit(
            as_json,
            data,
            lambda: click.echo(
                f"signed statement {doc.digest} (nonce {nonce}, deadline {deadline}) "
                f"as {request.signer} → {out}"
            ),
        )


@main.command("relay")
@click.argument("signed", type=click.Path(dir_okay=False))
@click.option(
    "--receipt",
    "receipt_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the statement's receipt (default: beside the statement the request "
    "names, in the signed file's folder).",
)
@chain_options
@signer_options
@json_option
def relay_command(
    signed: str,
    receipt_out: str | None,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Submit an off-line signed attestation (from `attest sign-statement`) and write its receipt.

    The relaying account pays for gas and needs no role: the registry checks the signer.
    """
    with handle_errors():
        from attest.app.journal import open_journal
        from attest.app.publishing import build_receipt, check_receipt_slots
        from attest.app.signing import check_domain, load_signed, relay, relayed_document
        from attest.core.manifest import load_manifest, write_atomic
        from attest.core.sidefiles import receipt_path

        request = load_signed(signed)
        check_domain(request, load_manifest(deployment_path), path=signed)
        statement_path = Path(signed).parent / request.document.name
        doc = relayed_document(request, statement_path)
        if receipt_out is None:
            check_receipt_slots([statement_path])  # before relaying: never over another's receipt
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        relayer = load_signer(keystore, password_file)
        with open_journal(None, deployment_path) as journal:  # $ATTEST_JOURNAL, else beside the manifest
            published = relay(dep, relayer, request, path=signed, journal=journal)
        receipt = build_receipt(dep, doc, published.attestation)
        out = Path(receipt_out) if receipt_out else receipt_path(statement_path)
        write_atomic(out, receipt.dump())
        a = published.attestation
        data = {
            "uid": a.uid,
            "signer": a.attester,
            "transaction_hash": a.transaction_hash,
            "block_number": a.block_number,
            "gas_used": published.gas_used,
            "already_anchored": published.already_anchored,
            "receipt": str(out),
        }
        verb = "already anchored (nothing relayed):" if published.already_anchored else "relayed"
        emit(
            as_json,
            data,
            lambda: click.echo(
                f"{verb} {a.uid} signed by {a.attester} in block {a.block_number} ({a.transaction_hash}); "
                f"receipt {out}"
            ),
        )
