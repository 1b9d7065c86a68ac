"""The project's exception hierarchy.

Every error a user can cause maps to one exit code of the command line (`EXIT_CODES`, below):
1 not verified, 2 bad input or usage, 3 chain unreachable or misconfigured, 5 and 6 a document already
anchored otherwise than asked (revoked; another kind, year or reference). Messages are one line
and name the file and field when there is one; they never contain secrets.
"""

from __future__ import annotations

from pathlib import Path


class AttestError(Exception):
    """Base class: an error the tool reports as one line and an exit code, never a traceback."""

    exit_code: int = 2

    def __init__(self, message: str, *, path: str | Path | None = None, field: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.field = field
        self.detail = message
        parts = [p for p in (self.path, f"field '{field}'" if field else None) if p]
        super().__init__(": ".join([*parts, message]) if parts else message)


class InputError(AttestError):
    """Bad input or usage (exit 2): nothing is written on-chain for it."""

    exit_code = 2


class StrictJSONError(InputError):
    """The bytes are not strict JSON: invalid UTF-8, duplicate keys, NaN/Infinity, syntax."""


class SchemaError(InputError):
    """The JSON is well-formed but is not a valid document of its declared schema."""


class ChainError(AttestError):
    """The chain is unreachable or misconfigured, or a transaction failed (exit 3)."""

    exit_code = 3


class ChainUnreachable(ChainError):
    """No answer from the JSON-RPC endpoint."""


class WrongChain(ChainError):
    """The node's chain id differs from the deployment manifest's."""


class NoContract(ChainError):
    """No contract code at an address the manifest names."""


class TransactionReverted(ChainError):
    """A transaction (or its dry run) reverted; carries the decoded custom error when known."""

    def __init__(self, message: str, *, error_name: str | None = None, **kwargs: object) -> None:
        self.error_name = error_name
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class NotConfirmed(ChainError):
    """A mined transaction's block did not get the confirmations the deployment requires in time
    (exit 3): it is not final yet, so no receipt is written for it; the same command again waits
    again (nothing is sent twice)."""

    def __init__(self, message: str, *, block_number: int, required: int, **kwargs: object) -> None:
        self.block_number = block_number
        self.required = required
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class KeystoreError(ChainError):
    """A key in a token (PKCS#11, attest.chain.pkcs11) cannot be used: its module, token or key not
    found, a wrong or locked PIN (exit 3). A keystore *file* that cannot be used is `BadKeystore`."""


class BadKeystore(InputError):
    """A keystore file cannot be used: missing or unreadable, not a V3 keystore, or the password
    given does not open it (exit 2, bad input as a mistyped document is): nothing was sent."""


class NotAnchoredAsAsked(AttestError):
    """The organisation already holds an attestation of this digest, and it is not the one asked
    for: the registry refuses a second attestation of one digest by one organisation, so a re-run
    cannot fix it, and reporting it as done would tell the publisher a falsehood."""


class AttestationRevoked(NotAnchoredAsAsked):
    """The organisation's attestation of the document was revoked (exit 5): the document is NOT
    anchored now, and it cannot be anchored again by this organisation."""

    exit_code = 5


class AnchoredDifferently(NotAnchoredAsAsked):
    """The organisation anchored the document with another kind, year or reference than this run
    asks for (exit 6): e.g. a statement covering other figures, a restatement of another attestation."""

    exit_code = 6


class UnfinishedOutput(AttestError):
    """The transaction went through but a local output (a receipt) could not be written (exit 3):
    running the same command again finds it anchored and writes what is missing."""

    exit_code = 3


EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C (or a SIGINT from a supervisor)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as `yes | head` reports: the reader of our output went away

# The one exit-code table: every entry point (`attest`, the scripts, `attest.cli.exits`) ends with one of
# these codes; `attest --help`, the scripts' `--help` and docs/exit-codes.md show this table.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "verified / done"),
    (1, "not verified: a check failed (the report names it)"),
    (2, "bad input or usage (a file, a field, an option, a keystore or its password); nothing was sent"),
    (3, "chain or HSM error: node unreachable or misconfigured, a transaction reverted, an HSM key locked"),
    (4, "internal error: a bug, please report it (ATTEST_DEBUG=1 shows a traceback)"),
    (5, "publishing: this organisation's attestation of a document was revoked; it cannot be re-anchored"),
    (6, "publishing: the document is already anchored with another kind, year or reference"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C): what was sent is listed; the same command again finishes"),
    (EXIT_BROKEN_PIPE, "the reader of the output went away (e.g. piped into `head`); not an error"),
)
EXIT_CODES_DOC = "docs/exit-codes.md"


def exit_code_lines() -> list[str]:
    """The exit-code table as text lines, `CODE  meaning`, for every `--help`."""
    return [f"{code:>3}  {meaning}" for code, meaning in EXIT_CODES]
