"""`attest account`: signing keys in encrypted keystore files, or in an HSM (PKCS#11)."""

from __future__ import annotations

import click

from attest.cli._common import (
    F,
    emit,
    handle_errors,
    json_option,
    main,
)
from attest.core.errors import InputError


@main.group()
def account() -> None:
    """Signing accounts: encrypted keystore files (password: env ATTEST_PASSWORD, a file or a prompt),
    or secp256k1 keys in an HSM (--signer pkcs11:…; PIN: env ATTEST_PKCS11_PIN, a file or a prompt).

    Keys in an HSM: docs/hsm.md.
    """


def token_options(f: F) -> F:
    """A key in a PKCS#11 token instead of a keystore file (`attest account new/show --signer`)."""
    f = click.option(
        "--signer",
        envvar="ATTEST_SIGNER",
        default=None,
        help="A key in an HSM: an RFC 7512 PKCS#11 URI, 'pkcs11:token=LABEL;object=KEY'. Env ATTEST_SIGNER.",
    )(f)
    f = click.option(
        "--pkcs11-module",
        envvar="ATTEST_PKCS11_MODULE",
        type=click.Path(dir_okay=False),
        default=None,
        help="With --signer: the HSM vendor's PKCS#11 library. Env ATTEST_PKCS11_MODULE.",
    )(f)
    f = click.option(
        "--pin-file",
        type=click.Path(dir_okay=False),
        default=None,
        help="With --signer: file holding the token's user PIN (else env ATTEST_PKCS11_PIN, else a prompt).",
    )(f)
    return f


def one_key(keystore: str | None, signer: str | None) -> None:
    if keystore and signer:
        raise InputError("give a KEYSTORE file or --signer, not both", field="--signer")
    if not keystore and not signer:
        raise InputError("give a KEYSTORE file, or --signer pkcs11:… for a key in an HSM", field="KEYSTORE")


@account.command("new")
@click.argument("keystore", type=click.Path(dir_okay=False), required=False)
@click.option("--password-file", type=click.Path(dir_okay=False), default=None)
@token_options
@json_option
def account_new(
    keystore: str | None,
    password_file: str | None,
    signer: str | None,
    pkcs11_module: str | None,
    pin_file: str | None,
    as_json: bool,
) -> None:
    """Create a new key and print its address: in KEYSTORE (scrypt V3, mode 0600), or with
    --signer inside the token (secp256k1, generated there, never extractable)."""
    with handle_errors():
        one_key(keystore, signer)
        if signer:
            from attest.chain.pkcs11 import generate_key, read_pin

            address = str(
                generate_key(
                    signer, module=pkcs11_module, pin=lambda token: read_pin(token, pin_file=pin_file)
                ).address
            )
            where = {"signer": signer}
        else:
            from attest.chain.keystore import create_keystore, read_password

            assert keystore is not None
            address = create_keystore(keystore, read_password(password_file=password_file, confirm=True))
            where = {"keystore": keystore}
            committable = in_git_and_not_ignored(keystore)
            if committable is not None:
                click.echo(
                    f"warning: {keystore} is inside the git work tree {committable} and not ignored: a "
                    "`git add .` would commit it; keep keys outside the repository, or add it to .gitignore",
                    err=True,
                )
        emit(
            as_json,
            {**where, "address": address},
            lambda: click.echo(f"{address}  {keystore or signer}"),
        )


@account.command("show")
@click.argument("keystore", type=click.Path(dir_okay=False), required=False)
@token_options
def account_show(
    keystore: str | None, signer: str | None, pkcs11_module: str | None, pin_file: str | None
) -> None:
    """Print the address a keystore holds (no password needed), or a token's key (no PIN needed
    when its public key is a public object, as `account new` makes it)."""
    with handle_errors():
        one_key(keystore, signer)
        from attest.chain.signer import SignerChoice

        choice = SignerChoice(
            keystore=keystore, pkcs11=signer, pkcs11_module=pkcs11_module, pin_file=pin_file
        )
        click.echo(choice.address())


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


def in_git_and_not_ignored(path: str) -> str | None:
    """The top of the git work tree `path` lies in when git would not ignore it (a key a `git add .`
    would commit), else None (no git, not a work tree, or ignored)."""
    import subprocess
    from pathlib import Path

    folder = str(Path(path).resolve().parent)
    try:
        top = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10
        )
        if top.returncode != 0:
            return None
        ignored = subprocess.run(
            ["git", "-C", folder, "check-ignore", "-q", str(Path(path).resolve())],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return top.stdout.strip() if ignored.returncode == 1 else None
