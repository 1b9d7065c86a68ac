"""The one JSON-RPC client: single calls, batches, and one mapping of what a node answers with.

Every read — verification's contract calls and log queries, proofs, headers, a quorum's blocks, the
bulk index — and every publisher's request reaches a node through a `JsonRpc`. Answers are the
node's JSON as sent (0x-hex quantities and data): the readers above decode them themselves, strictly.
Two implementations, like httpx's transports:

- `HttpRpc`: a node's URL, over one `requests` session, each request bounded by a timeout;
- `EmbeddedRpc`: the embedded eth-tester chain, in this process (its answers re-dressed as a node's).

An error answer becomes one of our errors here and only here (`refusal`): a revert is decoded from its
data (`TransactionReverted`), anything else the node refuses is `NodeRefused` (its code kept, so a
caller can tell "method not served"), and a node that does not answer is `ChainUnreachable`.
Verification imports no web3: only `EmbeddedRpc` (the embedded chain) and publishing do.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attest.core.contracts import decode_error
from attest.core.errors import AttestError, ChainError, ChainUnreachable, TransactionReverted

if TYPE_CHECKING:
    from web3 import Web3

#: Seconds one request may take before the node counts as unreachable.
DEFAULT_TIMEOUT = 10.0
#: JSON-RPC error code of a method the node does not serve.
METHOD_NOT_FOUND = -32601

Call = tuple[str, Sequence[Any]]


class NodeRefused(ChainError):
    """A node answered a JSON-RPC request with an error object (its code and message kept)."""

    def __init__(self, message: str, *, code: int | None, rpc_message: str) -> None:
        self.code = code
        self.rpc_message = rpc_message
        super().__init__(message)

    @property
    def method_not_found(self) -> bool:
        return self.code == METHOD_NOT_FOUND


def refusal(error: object, method: str, where: str) -> AttestError:
    """Our error for the error object of one answer to `method` from `where` (the one mapping)."""
    if isinstance(error, AttestError):
        return error
    if not isinstance(error, Mapping):
        return NodeRefused(f"{where} refused {method}: {error}", code=None, rpc_message=str(error))
    message = str(error.get("message", error))
    code = error.get("code")
    data = error.get("data")
    if "revert" in message.lower():
        raw = bytes.fromhex(data[2:]) if isinstance(data, str) and data.startswith("0x") else b""
        name, text = decode_error(raw)
        return TransactionReverted(f"reverted: {text}", error_name=name)
    if "insufficient funds" in message.lower():
        return insufficient_funds(message, where)
    return NodeRefused(
        f"{where} refused {method}: {message}",
        code=code if isinstance(code, int) else None,
        rpc_message=message,
    )


def insufficient_funds(message: str, where: str) -> ChainError:
    """A node refusing a transaction its sender cannot pay for, with what to do about it."""
    return ChainError(
        f"insufficient funds for gas on {where}: {message} (the sending account needs ether "
        "here; on a local anvil: `attest node fund ADDRESS` or `attest node start --zero-fees`)"
    )


def _data(v: Any) -> bool:
    return isinstance(v, str) and re.fullmatch(r"0x(?:[0-9a-fA-F]{2})*", v) is not None


def _quantity(v: Any) -> bool:
    return isinstance(v, str) and re.fullmatch(r"0x[0-9a-fA-F]+", v) is not None


#: The shape the JSON-RPC specification gives each method's result (None where "not found" is an
#: answer): anything else is a malformed answer, a chain error here — never a traceback further up.
SHAPES: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "eth_call": (_data, "0x-hex data"),
    "eth_getCode": (_data, "0x-hex code"),
    "eth_getStorageAt": (_data, "a 0x-hex word"),
    "eth_blockNumber": (_quantity, "a 0x-hex quantity"),
    "eth_chainId": (_quantity, "a 0x-hex quantity"),
    "eth_getLogs": (lambda v: isinstance(v, list), "a list of logs"),
    "eth_getProof": (lambda v: isinstance(v, dict), "a proof object"),
    "eth_getBlockByNumber": (lambda v: v is None or isinstance(v, dict), "a block object or null"),
    "eth_getBlockByHash": (lambda v: v is None or isinstance(v, dict), "a block object or null"),
    "eth_getBlockReceipts": (lambda v: v is None or isinstance(v, list), "a list of receipts or null"),
    "eth_getTransactionReceipt": (lambda v: v is None or isinstance(v, dict), "a receipt object or null"),
}


def result_of(answer: Mapping[str, Any], method: str, where: str) -> Any:
    """The result of one answer, or raise the error it carries (`refusal`), or a `ChainError` when it
    is not of the shape `method` returns (`SHAPES`)."""
    if "error" in answer:
        raise refusal(answer["error"], method, where)
    result = answer.get("result")
    shape = SHAPES.get(method)
    if shape is not None and not shape[0](result):
        raise ChainError(f"{where} answered {method} with {result!r:.80}, not {shape[1]}: a malformed answer")
    return result


class JsonRpc(ABC):
    """A node's JSON-RPC interface, as whoever reads or writes the chain sees it."""

    #: Where the answers come from (a URL, or "embedded"): every error names it.
    name: str

    @abstractmethod
    def answers(self, calls: Sequence[Call]) -> list[dict[str, Any]]:
        """One answer object per call, in order (each holds "result" or "error"): one request alone,
        several in one batch where the node takes batches. Raises only when the node does not answer."""

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """The results of `calls`, in order; the first error answer is raised (`refusal`)."""
        return [
            result_of(a, method, self.name) for a, (method, _) in zip(self.answers(calls), calls, strict=True)
        ]

    def call(self, method: str, params: Sequence[Any]) -> Any:
        """The result of one call."""
        (result,) = self.batch([(method, params)])
        return result

    def close(self) -> None:  # noqa: B027 - a client with nothing to release need not say so
        """Release what the client holds (an HTTP session)."""


class HttpRpc(JsonRpc):
    """JSON-RPC over HTTP with `requests`: one session, a timeout, the environment's proxy and CA
    settings read once (`attest.chain.transport.node_session`). eth_chainId, which cannot change
    under a running node, is asked once."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        from attest.chain.transport import node_session

        self.url = self.name = url
        self.timeout = timeout
        self.session = node_session(url)
        self._next_id = 0
        self._chain_id: Any = None

    def answers(self, calls: Sequence[Call]) -> list[dict[str, Any]]:
        import requests

        if not calls:
            return []
        if self._chain_id is not None and all(m == "eth_chainId" for m, _ in calls):
            return [{"result": self._chain_id} for _ in calls]
        body = []
        for method, params in calls:
            self._next_id += 1
            body.append({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)})
        payload: Any = body[0] if len(body) == 1 else body
        try:
            reply = self.session.post(self.url, json=payload, timeout=self.timeout)
            reply.raise_for_status()
            answers = reply.json()
        except requests.RequestException as exc:
            raise ChainUnreachable(f"{self.url} is unreachable ({type(exc).__name__})") from None
        except ValueError:
            raise ChainError(f"{self.url} answered {calls[0][0]} with something that is not JSON") from None
        if isinstance(answers, dict) and len(body) > 1 and "error" in answers:
            raise ChainError(f"{self.url} refused a JSON-RPC batch request: {answers.get('error')}")
        if isinstance(answers, dict):
            answers = [answers]
        if not isinstance(answers, list) or len(answers) != len(body):
            raise ChainError(f"{self.url} answered {len(body)} JSON-RPC call(s) with {answers!r:.200}")
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        out = []
        for sent, (method, _) in zip(body, calls, strict=True):
            answer = by_id.get(sent["id"])
            if answer is None:
                raise ChainError(f"{self.url} gave no answer to {method}")
            if method == "eth_chainId" and "result" in answer:
                self._chain_id = answer["result"]
            out.append(answer)
        return out

    def close(self) -> None:
        self.session.close()


class EmbeddedRpc(JsonRpc):
    """The embedded eth-tester chain behind the same interface: each call goes through web3's
    eth-tester provider (which speaks its own dialect: ints, bytes, snake_case in places) and its
    answer is re-dressed as a node's JSON (0x-hex quantities and data). Batches are answered call by
    call: the chain is in this process, there is no round trip to save."""

    name = "embedded"

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def answers(self, calls: Sequence[Call]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for method, params in calls:
            try:
                out.append({"result": as_json(self._request(method, list(params)))})
            except Exception as exc:  # noqa: BLE001 - every failure becomes an error answer, mapped once
                out.append({"error": _tester_error(exc, self.name)})
        return out

    def _request(self, method: str, params: list[Any]) -> Any:
        if method == "eth_getLogs":  # the provider's raw path mangles a filter's address: ask as web3 does
            return self.w3.eth.get_logs(params[0])
        return self.w3.manager.request_blocking(method, params)  # type: ignore[arg-type]


def _tester_error(exc: Exception, where: str) -> object:
    """An exception of the in-process chain as an answer's error: the node's error object when web3
    kept one, else our error (a revert decoded, anything else a chain error)."""
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, Mapping) and isinstance(response.get("error"), Mapping):
        return dict(response["error"])
    from attest.chain.transport import chain_error

    return chain_error(exc, where)


def as_json(value: Any, key: str = "") -> Any:
    """A web3- or eth-tester-formatted answer as a node sends it: ints as 0x-hex quantities, bytes as
    0x-hex data (logsBloom, which eth-tester gives as an int, as its 256 bytes)."""
    if isinstance(value, Mapping):
        return {k: as_json(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return "0x" + value.to_bytes(256, "big").hex() if key == "logsBloom" else hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value
