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

from attest.core.errors import InputError, KeystoreError

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


def unreadable_keystore(exc: OSError) -> str:
    return f"cannot read keystore: {exc.strerror}: check --keystore / ATTEST_KEYSTORE"


def load_keystore(path: str | Path, password: str) -> LocalAccount:
    """Decrypt a keystore file; a file that cannot be read is an InputError (exit 2), a wrong
    password or a file that is no keystore a KeystoreError (exit 3)."""
    from eth_account import Account

    p = Path(path)
    try:
        encrypted = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:  # a mistyped path is bad input (exit 2), as a mistyped document is
        raise InputError(unreadable_keystore(exc), path=p) from None
    except ValueError:
        raise KeystoreError("not a keystore file (invalid JSON)", path=p) from None
    try:
        key = Account.decrypt(encrypted, password)
    except ValueError:
        raise KeystoreError("cannot decrypt keystore: wrong password?", path=p) from None
    except Exception:  # noqa: BLE001 - malformed keystore structure; never echo its content
        raise KeystoreError("not a valid V3 keystore file", path=p) from None
    account: LocalAccount = Account.from_key(key)
    return account


def keystore_address(path: str | Path) -> str:
    """The address a keystore holds, without decrypting it."""
    try:
        address = json.loads(Path(path).read_text(encoding="utf-8"))["address"]
    except OSError as exc:
        raise InputError(unreadable_keystore(exc), path=path) from None
    except (ValueError, KeyError, TypeError):
        raise KeystoreError("not a readable keystore file", path=path) from None
    return "0x" + str(address).removeprefix("0x")
