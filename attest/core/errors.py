"""The project's exception hierarchy.

Every error a user can cause maps to one exit code of the command line (the README's exit-code table):
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


class KeystoreError(ChainError):
    """A keystore file cannot be read or decrypted (wrong password, bad file)."""


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
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as `yes | head` reports: the reader of our output went away
