"""A JSON-RPC proxy on 127.0.0.1 that forwards to a real node and can lie about its answers: the
node a verifier must not believe. `lie(method, result)` returns the forged result of one call (or
the result unchanged); batches are forged call by call. Built on tests/rpc_proxy.py's one proxy server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
from rpc_proxy import ProxyServer
from worlds import run_attest as run_attest  # the one CLI runner: tests/worlds.py
from worlds import show as show

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
        return hex(max(0, int(result, 16) - by)) if method == "eth_blockNumber" else result

    return lie


class LyingProxy(ProxyServer):
    def __init__(self, upstream: str, lie: Lie = honest) -> None:
        self.lie = lie
        super().__init__(upstream)

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


Forge = Callable[[dict[str, Any], Any], Any]


class ForgingProxy(LyingProxy):
    """A lying proxy whose `forge(call, result)` sees each call (method and params) with its real
    result and returns the result to send back: for lies about one attestation, one slot, one log."""

    def __init__(self, upstream: str, forge: Forge) -> None:
        super().__init__(upstream)
        self.forge = forge

    def handle(self, body: bytes) -> bytes:
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        by_id = {c.get("id"): c for c in calls}
        answer = json.loads(super().handle(body))
        for a in answer if isinstance(answer, list) else [answer]:
            call = by_id.get(a.get("id"))
            if call is not None and "result" in a:
                a["result"] = self.forge(call, a["result"])
        return json.dumps(answer).encode()


def _selector(signature: str) -> str:
    from eth_utils import keccak

    return "0x" + keccak(text=signature)[:4].hex()


def _topic(name: str) -> str:
    from attest.chain import events

    return "0x" + getattr(events.topics(), name).hex()


# what forgeries look for in calls and logs
GET_ATTESTATION = _selector("getAttestation(bytes32)")
SUPERSEDED_BY = _selector("supersededBy(bytes32)")
ATTESTED, REVOKED = _topic("attested"), _topic("revoked")
