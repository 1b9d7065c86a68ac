"""The signing-key options of the scripts in `scripts/` (argparse), the same as the CLI's.

`--keystore FILE` (+ `--password-file`), or `--signer pkcs11:…` (+ `--pkcs11-module`, `--pin-file`)
for a key in an HSM; secrets come from a file, the environment or a prompt, never a flag.
"""

from __future__ import annotations

import argparse
import os

from attest.chain.signer import SignerChoice


def add_signer_arguments(parser: argparse.ArgumentParser, *, what: str = "the publishing account") -> None:
    parser.add_argument(
        "--keystore",
        default=os.environ.get("ATTEST_KEYSTORE"),
        help=f"Encrypted V3 keystore of {what} (or --signer; else $ATTEST_KEYSTORE).",
    )
    parser.add_argument(
        "--password-file", default=None, help="File holding the keystore password (else $ATTEST_PASSWORD)."
    )
    parser.add_argument(
        "--signer",
        default=os.environ.get("ATTEST_SIGNER"),
        help="A key in an HSM instead of --keystore: an RFC 7512 PKCS#11 URI, "
        "'pkcs11:token=LABEL;object=KEY' (else $ATTEST_SIGNER).",
    )
    parser.add_argument(
        "--pkcs11-module",
        default=None,
        help="With --signer: the HSM vendor's PKCS#11 library (else $ATTEST_PKCS11_MODULE).",
    )
    parser.add_argument(
        "--pin-file",
        default=None,
        help="With --signer: file holding the token's user PIN (else $ATTEST_PKCS11_PIN).",
    )


def signer_choice(args: argparse.Namespace) -> SignerChoice:
    """The key the script was given, checked: both or neither is a usage error (exit 2)."""
    return SignerChoice(
        keystore=args.keystore,
        password_file=args.password_file,
        pkcs11=args.signer,
        pkcs11_module=args.pkcs11_module,
        pin_file=args.pin_file,
    ).check()
