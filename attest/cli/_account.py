"""`attest account`: signing keys in encrypted keystore files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    _emit,
    _errors,
    json_option,
    main,
)

if TYPE_CHECKING:
    pass


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
