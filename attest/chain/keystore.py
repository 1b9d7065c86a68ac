"""Encrypted signing keys: Ethereum V3 keystore files (scrypt), written with mode 0600.

Passwords come from an environment variable, a file, or an interactive prompt — never from a
command-line value, which other users of the machine can read in the process list. They are never
logged and never put in an exception message.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from attest.core.errors import BadKeystore, InputError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

PASSWORD_ENV = "ATTEST_PASSWORD"


def read_password(
    *, password_file: str | Path | None = None, prompt: bool = True, confirm: bool = False
) -> str:
    """The keystore password: `password_file`, else $ATTEST_PASSWORD, else a prompt if allowed."""
    if password_file is not None:
        try:
            return Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise InputError(f"cannot read password file: {exc.strerror}", path=password_file) from None
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if not prompt or not sys.stdin.isatty():  # cron, CI: no one to ask, and getpass would read stdin
        raise InputError(
            f"no keystore password and no terminal to ask on: set {PASSWORD_ENV} or pass --password-file FILE"
        )
    return ask_secret("Keystore password", confirm=confirm)


def ask_secret(question: str, *, confirm: bool = False) -> str:
    """A secret typed at the terminal. Ctrl-C there is a KeyboardInterrupt, as anywhere else (click
    turns it into its `Abort`, which would end the command as an internal error); the input ending
    there (Ctrl-D) is bad input."""
    import click

    try:
        return str(click.prompt(question, hide_input=True, confirmation_prompt=confirm))
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, EOFError):  # click raises its Abort "from None"
            raise InputError(f"no answer: the input ended at the prompt ({question})") from None
        raise KeyboardInterrupt from None


def create_keystore(path: str | Path, password: str, *, private_key: str | None = None) -> str:
    """Write a new (or the given) key as a scrypt V3 keystore with mode 0600; return its address."""
    from eth_account import Account

    p = Path(path)
    if not password:
        raise InputError("refusing to encrypt a keystore with an empty password", path=p)
    if p.exists():
        raise InputError("refusing to overwrite an existing keystore", path=p)
    account = Account.from_key(private_key) if private_key else Account.create()
    encrypted = Account.encrypt(account.key, password, kdf="scrypt")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(encrypted, fh)
    return str(account.address)


KEYSTORE_OPTION = "check --keystore / ATTEST_KEYSTORE"


def unreadable_keystore(exc: OSError) -> str:
    return f"cannot read keystore: {exc.strerror}: {KEYSTORE_OPTION}"


def not_a_keystore(why: str) -> str:
    return (
        f"not a keystore file ({why}; a V3 keystore is the JSON `attest account new` writes): "
        f"{KEYSTORE_OPTION}"
    )


def password_source(password_file: str | Path | None) -> str:
    """Where `read_password` took the password from, for an error message (never the password)."""
    if password_file is not None:
        return f"--password-file {password_file}"
    if os.environ.get(PASSWORD_ENV) is not None:
        return PASSWORD_ENV
    return "the prompt"


def read_keystore(path: str | Path) -> dict[str, object]:
    """A keystore file's JSON, checked to be one (an object naming an address and a `crypto`
    section), without decrypting it. Every way it cannot be used is a `BadKeystore` (exit 2)
    naming the file: a mistyped path is bad input, as a mistyped document is."""
    p = Path(path)
    if p.is_dir():
        raise BadKeystore(f"is a directory, not a keystore file: {KEYSTORE_OPTION}", path=p)
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadKeystore(unreadable_keystore(exc), path=p) from None
    except ValueError:  # invalid JSON or UTF-8; its content is never echoed (it may be a key)
        raise BadKeystore(not_a_keystore("not JSON"), path=p) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("address"), str):
        raise BadKeystore(not_a_keystore("no `address`"), path=p)
    if not isinstance(obj.get("crypto", obj.get("Crypto")), dict):
        raise BadKeystore(not_a_keystore("no `crypto` section"), path=p)
    return obj


def load_keystore(path: str | Path, password: str, *, source: str | None = None) -> LocalAccount:
    """Decrypt a keystore file. The one place a keystore is opened (every command and script goes
    through `attest.chain.signer.SignerChoice` or here): a file that cannot be read, is no keystore,
    or that `password` (taken from `source`, see `password_source`) does not open is a
    `BadKeystore` (exit 2) naming the file and what to do; nothing has been sent."""
    from eth_account import Account

    p = Path(path)
    encrypted = read_keystore(p)
    try:
        key = Account.decrypt(encrypted, password)
    except ValueError as exc:
        if str(exc) != "MAC mismatch":
            raise BadKeystore(not_a_keystore("its `crypto` section is malformed"), path=p) from None
        given = f" (the one from {source})" if source else ""
        raise BadKeystore(
            f"wrong password for this keystore{given}: give its password through {PASSWORD_ENV} or "
            "--password-file FILE",
            path=p,
        ) from None
    except Exception:  # noqa: BLE001 - malformed keystore structure; never echo its content
        raise BadKeystore(not_a_keystore("its `crypto` section is malformed"), path=p) from None
    account: LocalAccount = Account.from_key(key)
    return account


def keystore_address(path: str | Path) -> str:
    """The address a keystore holds, without decrypting it (`read_keystore`'s checks)."""
    address = read_keystore(path)["address"]
    return "0x" + str(address).removeprefix("0x")
