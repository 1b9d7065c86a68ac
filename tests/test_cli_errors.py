"""The CLI's last-resort error mapping: one line and the documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from attest.cli._common import handle_errors
from attest.core.errors import EXIT_BROKEN_PIPE, SchemaError


def exit_code(exc: BaseException, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done, handle_errors():
        raise exc
    return int(done.value.code or 0), capsys.readouterr().err


def test_attest_errors_keep_their_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = exit_code(SchemaError("bad", path="f.json", field="metrics[0].value"), capsys)
    assert code == 2 and err == "error: f.json: field 'metrics[0].value': bad\n"


def test_a_node_lost_mid_command_is_exit_3_not_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        raise requests.exceptions.ConnectionError("refused")
    except requests.exceptions.ConnectionError as inner:
        wrapped = RuntimeError("contract call failed")
        wrapped.__cause__ = inner
    code, err = exit_code(wrapped, capsys)
    assert code == 3 and "stopped answering" in err and len(err.splitlines()) == 1


def test_an_unexpected_exception_is_exit_4_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = exit_code(ZeroDivisionError("x"), capsys)
    assert code == 4 and err.startswith("internal error: ZeroDivisionError") and len(err.splitlines()) == 1


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """`attest history … | head`: exit 141 (as SIGPIPE would), nothing on stderr, not "internal error"."""
    body = (
        "from attest.cli._common import handle_errors\n"
        "with handle_errors():\n    while True:\n        print('x' * 999)"
    )
    proc = subprocess.Popen([sys.executable, "-c", body], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1000) == b"x" * 999 + b"\n"
    proc.stdout.close()  # the reader goes away
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE == 141
    assert proc.stderr.read() == b""


def test_a_broken_pipe_elsewhere_is_still_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """Only a closed stdout is quiet: a broken pipe on another stream (an --out FIFO) is an error."""
    code, err = exit_code(BrokenPipeError(32, "Broken pipe"), capsys)
    assert code == 4 and "BrokenPipeError" in err and len(err.splitlines()) == 1
