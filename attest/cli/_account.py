"""`attest account`: signing keys in encrypted keystore files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    emit,
    handle_errors,
    json_option,
    main,
)

if TYPE_CHECKING:
    pass


@main.group()
def account() -> None:
    """Signing accounts in encrypted keystore files (password: env ATTEST_PASSWORD, a file or a prompt)."""


@account.command("new")
@click.argument("keystore", type=click.Path(dir_okay=False))
@click.option("--password-file", type=click.Path(dir_okay=False), default=None)
@json_option
def account_new(keystore: str, password_file: str | None, as_json: bool) -> None:
    """Create a new key in KEYSTORE (scrypt V3, mode 0600) and print its address."""
    with handle_errors():
        from attest.chain.keystore import create_keystore, read_password

        address = create_keystore(keystore, read_password(password_file=password_file, confirm=True))
        emit(
            as_json, {"keystore": keystore, "address": address}, lambda: click.echo(f"{address}  {keystore}")
        )


@account.command("show")
@click.argument("keystore", type=click.Path(dir_okay=False))
def account_show(keystore: str) -> None:
    """Print the address a keystore holds (no password needed)."""
    with handle_errors():
        from attest.chain.keystore import keystore_address

        click.echo(keystore_address(keystore))


@account.command("list")
@click.argument("directory", type=click.Path(file_okay=False), default=".", required=False)
@json_option
def account_list(directory: str, as_json: bool) -> None:
    """The address of every keystore file in DIRECTORY (default: here); no password needed.

    Other JSON files (manifests, receipts) are skipped: only files with a V3 `crypto` section count.
    """
    with handle_errors():
        rows = keystores_in(directory)

        def human() -> None:
            if not rows:
                click.echo(f"no keystore files in {directory}")
            for row in rows:
                click.echo(f"{row['address']}  {row['keystore']}")

        emit(as_json, rows, human)


def keystores_in(directory: str) -> list[dict[str, str]]:
    """(keystore file, address) for every V3 keystore directly in `directory`, sorted by file name."""
    import json
    from pathlib import Path

    from eth_utils import is_address, to_checksum_address

    from attest.core.errors import InputError

    folder = Path(directory)
    if not folder.is_dir():
        raise InputError("not a directory", path=folder)
    rows = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            if path.stat().st_size > 1_000_000:
                continue
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("crypto", obj.get("Crypto")), dict):
            continue
        address = "0x" + str(obj.get("address", "")).removeprefix("0x")
        if is_address(address):
            rows.append({"keystore": str(path), "address": str(to_checksum_address(address))})
    return rows
