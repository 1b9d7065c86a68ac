"""A JSON-RPC proxy on 127.0.0.1 that forwards to a real node and can lie about its answers: the
node a verifier must not believe. `lie(method, result)` returns the forged result of one call (or
the result unchanged); batches are forged call by call. The pattern of tests/rpc_proxy.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

Lie = Callable[[str, Any], Any]


def honest(method: str, result: Any) -> Any:
    return result


def another_hash(method: str, result: Any) -> Any:
    """Blocks carry another hash for the same number (their fields untouched)."""
    if method.startswith("eth_getBlockBy") and isinstance(result, dict):
        return {**result, "hash": "0x" + "ab" * 32}
    return result


def forged_state_root(method: str, result: Any) -> Any:
    """Blocks carry the node's own stateRoot under the real hash: fields that do not hash to it."""
    if method.startswith("eth_getBlockBy") and isinstance(result, dict):
        return {**result, "stateRoot": "0x" + "11" * 32}
    return result


def low_head(by: int) -> Lie:
    """eth_blockNumber answers `by` blocks fewer than the node has."""

    def lie(method: str, result: Any) -> Any:
        return hex(int(result, 16) - by) if method == "eth_blockNumber" else result

    return lie


class LyingProxy:
    def __init__(self, upstream: str, lie: Lie = honest) -> None:
        self.upstream = upstream
        self.lie = lie
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = proxy.handle(body)
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

    def handle(self, body: bytes) -> bytes:
        calls = json.loads(body)
        batch = calls if isinstance(calls, list) else [calls]
        reply = requests.post(
            self.upstream, data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        answers = reply.json()
        answers = answers if isinstance(answers, list) else [answers]
        methods = {c.get("id"): c.get("method", "") for c in batch}
        forged = [
            {**a, "result": self.lie(methods.get(a.get("id"), ""), a["result"])} if "result" in a else a
            for a in answers
        ]
        return json.dumps(forged if isinstance(calls, list) else forged[0]).encode()
