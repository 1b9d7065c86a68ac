"""The project's exception hierarchy.

Every error a user can cause maps to one exit code of the command line (see DESIGN.md):
1 not verified, 2 bad input or usage, 3 chain unreachable or misconfigured. Messages are one line
and name the file and field when there is one; they never contain secrets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


class UnfinishedOutput(AttestError):
    """The transaction went through but a local output (a receipt) could not be written (exit 3):
    running the same command again finds it anchored and writes what is missing."""

    exit_code = 3


EXIT_INTERNAL = 4
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as `yes | head` reports: the reader of our output went away


def silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (captured, closed): nothing will flush to a pipe
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)


def failure_line(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line a command prints for an exception that ends it.

    Shared by the CLI and the scripts so every entry point answers the same way: AttestError keeps
    its code; a lost JSON-RPC connection (from any read, not only those `Chain` maps) is exit 3; a
    Ctrl-C is 130; anything else is a bug, exit 4, still one line (ATTEST_DEBUG=1 re-raises it).
    """
    if isinstance(exc, AttestError):
        return exc.exit_code, f"error: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
        return EXIT_BROKEN_PIPE, ""  # e.g. `attest history … | head`: not an error worth a line
    if _is_transport_failure(exc):
        return ChainError.exit_code, f"error: the chain node stopped answering ({type(exc).__name__})"
    return EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {exc} (set ATTEST_DEBUG=1 for a traceback)"


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (poll reports POLLERR), as opposed to a
    broken pipe elsewhere — an `--out` FIFO, a socket — which is a real error."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _is_transport_failure(exc: BaseException) -> bool:
    import requests

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def one_line_errors(passthrough: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run a command body; on failure print `failure_line` to stderr and exit with its code.

    `passthrough`: exceptions that already know how to end the program (click's usage errors).
    """
    ends_program: tuple[type[BaseException], ...] = (SystemExit, *passthrough)
    try:
        yield
    except ends_program:
        raise
    except BaseException as exc:
        code, line = failure_line(exc)
        if code == EXIT_INTERNAL and os.environ.get("ATTEST_DEBUG"):
            raise
        if code == EXIT_BROKEN_PIPE:
            silence_stdout()
        else:
            print(line, file=sys.stderr)
        raise SystemExit(code) from None
