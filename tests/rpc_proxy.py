"""A JSON-RPC proxy on 127.0.0.1 for fault tests: it forwards every request to a real node, and can
slow down or cut the requests that send transactions, to put a crash exactly where a test wants it.

- `send_delay`: seconds each sending request waits before it is forwarded (the run keeps a pace the
  test can follow; the node still mines as fast as it can);
- `hold(batch, forward)`: the `batch`-th sending request forwards only its first `forward` raw
  transactions, then hangs: the publisher is stopped inside a window, after the window's intents
  were committed, with part of it sent. `held` is set then; `release(forward_rest)` lets it go on
  (or, with `forward_rest=False` / a dead node, answers by closing the connection).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


class ProxyServer:
    """The one JSON-RPC proxy of the tests: a server on 127.0.0.1 that hands each request body to
    `handle` and sends back what it returns (None: the connection is cut, as by a node that vanished).
    The base forwards untouched; a test's proxy overrides `handle` — to pace or cut sends here
    (`RpcProxy`), to lie about answers in tests/lying_proxy.py."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = proxy.handle(body)
                if answer is None:  # the connection is cut: the client sees the node vanish
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, body: bytes) -> bytes | None:
        return self.forward(body)

    def forward(self, body: bytes) -> bytes | None:
        """The node's answer to `body`, as bytes; None if the node is gone."""
        try:
            reply = requests.post(
                self.upstream, data=body, headers={"Content-Type": "application/json"}, timeout=30
            )
        except requests.RequestException:
            return None
        return reply.content


class RpcProxy(ProxyServer):
    def __init__(self, upstream: str) -> None:
        self.send_delay = 0.0
        self.sends = 0  # sending requests seen
        self.held = threading.Event()
        self._hold: tuple[int, int] | None = None
        self._release = threading.Event()
        self._forward_rest = True
        self._lock = threading.Lock()
        super().__init__(upstream)

    def hold(self, batch: int, forward: int) -> None:
        self._hold = (batch, forward)

    def release(self, *, forward_rest: bool) -> None:
        self._forward_rest = forward_rest
        self._release.set()

    def close(self) -> None:
        self._release.set()
        super().close()

    def handle(self, body: bytes) -> bytes | None:
        calls = json.loads(body)
        batch = calls if isinstance(calls, list) else [calls]
        if not any(c.get("method") == "eth_sendRawTransaction" for c in batch):
            return self.forward(body)
        with self._lock:
            self.sends += 1
            number = self.sends
        if self.send_delay:
            threading.Event().wait(self.send_delay)
        if self._hold is None or self._hold[0] != number:
            return self.forward(body)
        first = self._hold[1]
        head = self.forward(json.dumps(batch[:first]).encode()) if first else b"[]"
        self.held.set()
        self._release.wait()
        if not self._forward_rest:
            return None
        tail = self.forward(json.dumps(batch[first:]).encode())
        if head is None or tail is None:
            return None
        return json.dumps(json.loads(head) + json.loads(tail)).encode()
