"""`attest revoke`: withdraw one of your organisation's attestations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    _emit,
    _errors,
    _open,
    _signer,
    chain_options,
    json_option,
    main,
    signer_options,
)
from attest.errors import InputError

if TYPE_CHECKING:
    pass


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
