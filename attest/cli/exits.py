"""How every entry point ends: one line on stderr and a documented exit code, never a traceback.

Shared by the `attest` command line and the scripts in `scripts/`, so all of them answer alike.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from attest.chain.transport import is_transport_failure
from attest.core.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES_DOC,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    AttestError,
    ChainError,
    NotConfirmed,
    TransactionReverted,
    exit_code_lines,
)

if TYPE_CHECKING:
    from attest.app.publishing import DocumentState


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


def this_command() -> str:
    """The command line this process was started with, quoted for a shell: the exact command to run
    again (secrets never are on it: they come from a file, the environment or a prompt)."""
    argv = sys.argv
    if argv and argv[0].endswith(".py"):  # a script: `python scripts/publish_many.py …`
        return shlex.join([sys.executable, *argv])
    return shlex.join([Path(argv[0]).name if argv else "attest", *argv[1:]])


def end_unfinished(
    exc: BaseException, states: Sequence[DocumentState], out: TextIO, *, each: bool = True
) -> NoReturn:
    """End a publishing run that was interrupted (Ctrl-C: 130) or failed on the chain (exit 3) before
    the end: one line per document it did not finish on `out` (mined without its receipt yet, in
    flight, not sent), then the error line and what was done, with the exact command that finishes
    the job, on stderr. Any other error (bad input, a bug) is re-raised as it is, for `one_line_errors`.
    `each=False` (a batch: its files share one root, so one fate; a receipt beside a file marks it
    written) counts them without a line per file."""
    from attest.app.publishing import ANCHORED, FAILED, IN_FLIGHT, MINED, NOT_SENT

    if isinstance(exc, SystemExit):
        raise exc
    code, line = failure_line(exc)
    if code not in (EXIT_INTERRUPTED, ChainError.exit_code) or isinstance(exc, TransactionReverted):
        raise exc  # bad input, a bug, a revert (the same command again would not help): as any error ends
    words = {MINED: "receipt not written yet"}
    for s in states if each else ():
        if s.state not in (ANCHORED, FAILED):  # those were reported as they happened
            detail = "; ".join(x for x in (s.detail, words.get(s.state, "")) if x)
            print(f"{s.state:<9} {s.path}" + (f" ({detail})" if detail else ""), file=out, flush=True)
    counts = Counter(s.state for s in states)
    names = {ANCHORED: "anchored (receipt written)", MINED: "mined (receipt not written yet)"}
    done = ", ".join(
        f"{counts[k]} {names.get(k, k)}" for k in (ANCHORED, MINED, IN_FLIGHT, NOT_SENT, FAILED) if counts[k]
    )
    print(line, file=sys.stderr)
    lost = ""
    if isinstance(exc, NotConfirmed):
        lost = (
            f"; a receipt is written only once its block has the {exc.required} confirmations the "
            "deployment requires"
        )
    elif code == ChainError.exit_code:
        lost = (
            "; a node that lost its last blocks (a killed dev node) lost what they held, and their receipts "
            "with them: the same command re-checks the recent ones and re-sends what the node lost"
        )
    print(
        f"not finished: {done or 'nothing sent'}, of {len(states)} documents{lost}; to finish, run the same "
        f"command again (what is in flight is settled from the journal, nothing is anchored twice): "
        f"{this_command()}",
        file=sys.stderr,
    )
    raise SystemExit(code)
