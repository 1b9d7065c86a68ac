"""A bare anvil on 127.0.0.1 with extra flags (``--hardfork london``…) for the proof tests.

`attest.devtools.node.AnvilNode` takes no hardfork, so these tests run the same binary themselves:
no state file, a free port, stopped (SIGTERM, then SIGKILL) when the `with` block ends.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from attest.devtools.node import LOOPBACK, find_anvil, free_port


@contextmanager
def bare_anvil(*flags: str) -> Iterator[str]:
    """Start anvil with `flags`; yield its URL once it answers eth_chainId."""
    last: Exception | None = None
    for _ in range(5):  # the free port may be taken before anvil binds it
        port = free_port()
        proc = subprocess.Popen(
            [str(find_anvil()), "--host", LOOPBACK, "--port", str(port), "--silent", *flags],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            ready = False
            deadline = time.monotonic() + 15
            while not ready and time.monotonic() < deadline and proc.poll() is None:
                try:
                    requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
                    ready = True
                except requests.RequestException as exc:
                    last = exc
                    time.sleep(0.05)
            if ready and proc.poll() is None:
                yield url
                return
            err = proc.stderr.read() if proc.stderr and proc.poll() is not None else b""
            last = RuntimeError(f"anvil {' '.join(flags)} did not come up: {err!r}")
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    raise RuntimeError(f"anvil did not start: {last}")
