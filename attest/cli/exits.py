"""How every entry point ends: one line on stderr and a documented exit code, never a traceback.

Shared by the `attest` command line and the scripts in `scripts/`, so all of them answer alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from attest.chain.transport import is_transport_failure
from attest.core.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES_DOC,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    AttestError,
    ChainError,
    exit_code_lines,
)


def exit_codes_epilog() -> str:
    """The one exit-code table for a script's `--help` (argparse, RawDescriptionHelpFormatter)."""
    return f"exit codes ({EXIT_CODES_DOC}):\n" + "\n".join(exit_code_lines())


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
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
        return EXIT_BROKEN_PIPE, ""  # e.g. `attest history … | head`: not an error worth a line
    if is_transport_failure(exc):
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
