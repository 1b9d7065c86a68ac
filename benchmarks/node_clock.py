"""How long a run waits on the node, by JSON-RPC method: the time from sending each HTTP request to
having its answer, so a benchmark can tell the node's cost from its own.

Every request this client sends (web3's HTTP provider, `attest.chain.proving.RawRpc`, batches) goes
through `requests.Session.send`; while a `NodeClock` is active it times each one there and files it
under its method (a batch under `batch:` and its methods). Nothing else changes on the path: the
same requests go to the same node.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class NodeClock:
    """Seconds and request counts per JSON-RPC method (one HTTP request each)."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def requests(self) -> int:
        return sum(self.count.values())

    def of(self, method: str) -> tuple[float, int]:
        """(seconds, requests) of every request that asked `method`, alone or in a batch."""
        keys = [k for k in self.seconds if method in k.removeprefix("batch:").split(",")]
        return sum(self.seconds[k] for k in keys), sum(self.count[k] for k in keys)

    @contextmanager
    def running(self) -> Iterator[NodeClock]:
        import requests

        send = requests.Session.send
        clock = self

        def timed(session: Any, request: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return send(session, request, **kwargs)
            finally:
                key = _method(request.body)
                clock.seconds[key] += time.perf_counter() - started
                clock.count[key] += 1

        requests.Session.send = timed  # type: ignore[method-assign]
        try:
            yield self
        finally:
            requests.Session.send = send  # type: ignore[method-assign]


def _method(body: Any) -> str:
    try:
        sent = json.loads(body)
    except (TypeError, ValueError):
        return "?"
    if isinstance(sent, list):
        return "batch:" + ",".join(sorted({str(c.get("method")) for c in sent if isinstance(c, dict)}))
    return str(sent.get("method")) if isinstance(sent, dict) else "?"
