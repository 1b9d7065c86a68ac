"""`attest revoke`: withdraw one of your organisation's attestations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from attest.core.receipt import Receipt


@main.command()
@click.argument("target", metavar="UID|RECEIPT")
@click.option("--reason", required=True, help="Why, for the public record.")
@chain_options
@signer_options
@json_option
def revoke(
    target: str,
    reason: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Revoke one of your organisation's attestations: its uid, or the receipt of the document.

    A batch receipt is refused: its attestation is the root of the whole batch, and revoking it
    withdraws every file in it — pass that uid itself to mean it.
    """
    with handle_errors():
        uid, receipt = _uid_of(target)
        if not reason.strip():
            raise InputError("a reason is required", field="--reason")
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        m = dep.manifest
        here = (m.chain_id, m.registry.address.lower())
        if receipt is not None and (receipt.chain.chain_id, receipt.chain.registry.lower()) != here:
            # a uid is keccak(organisation, digest): the same document has the same uid in every
            # deployment, so a receipt from another one must not revoke it in this one
            raise InputError(
                f"the receipt is from chain {receipt.chain.chain_id} registry {receipt.chain.registry}, "
                f"not this deployment's (chain {m.chain_id} registry {m.registry.address})",
                path=target,
            )
        from attest.chain import anchoring

        signer = load_signer(keystore, password_file)
        sent = anchoring.revoke(dep, signer, uid, reason)
        data = {
            "uid": uid,
            "transaction_hash": sent.tx_hash,
            "block_number": sent.block_number,
            "gas_used": sent.gas_used,
        }
        emit(
            as_json, data, lambda: click.echo(f"revoked {uid} in block {sent.block_number} ({sent.tx_hash})")
        )


def _uid_of(target: str) -> tuple[str, Receipt | None]:
    import re

    if re.fullmatch(r"0x[0-9a-fA-F]{64}", target):
        return target, None
    if not Path(target).is_file():
        raise InputError(
            f"{target!r} is neither an attestation uid (0x + 64 hex digits) nor a receipt file", field="UID"
        )
    from attest.core.receipt import load_receipt

    receipt = load_receipt(target)
    if receipt.merkle is not None:
        raise InputError(
            f"a batch receipt: revoking its attestation {receipt.attestation.uid} withdraws every file of "
            "the batch; pass that uid to mean it",
            path=target,
        )
    return receipt.attestation.uid, receipt
