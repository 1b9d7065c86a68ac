"""One deployed contract: its address and ABI, read through the chain's one JSON-RPC client.

Reads (`call`: an `eth_call`, ABI-encoded and decoded here with eth_abi) and event decoding
(`decode_log`) need no web3, so verification never imports it. A publisher that builds a transaction
asks for `functions` or `events`: web3's contract object, made then, over the same client.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from attest.core.contracts import load_artifact
from attest.core.errors import ChainError

if TYPE_CHECKING:
    from attest.chain.connection import Chain

BlockTag = int | str


class BoundContract:
    """A contract of the deployment (`REGISTRY` or `GOVERNANCE`) at its manifest address."""

    def __init__(self, chain: Chain, address: str, artifact: str) -> None:
        from eth_utils import to_checksum_address

        self.chain = chain
        self.address = str(to_checksum_address(address))
        self.artifact = artifact
        self.abi: list[dict[str, Any]] = load_artifact(artifact).abi

    # ---------------------------------------------------------------- reading (no web3)

    def call_data(self, function: str, *args: Any) -> str:
        """The 0x-hex calldata of `function(*args)`."""
        from eth_abi import encode

        item = _function(self.artifact, function)
        types = [abi_type(i) for i in item["inputs"]]
        return "0x" + (_selector(self.artifact, function) + encode(types, list(args))).hex()

    def call(self, function: str, *args: Any, block: BlockTag = "latest") -> Any:
        """What `function(*args)` returns at `block`, decoded as web3 would (one output: the value;
        several: a tuple; addresses checksummed)."""
        tag = hex(block) if isinstance(block, int) else block
        raw = self.chain.call(
            "eth_call", [{"to": self.address, "data": self.call_data(function, *args)}, tag]
        )
        return self.decode_result(function, raw)

    def decode_result(self, function: str, raw: Any) -> Any:
        """The decoded answer (0x-hex) of an eth_call of `function`; a malformed one is a chain error."""
        from eth_abi import decode

        outputs = _function(self.artifact, function)["outputs"]
        try:
            data = bytes.fromhex(str(raw).removeprefix("0x"))
            values = decode([abi_type(o) for o in outputs], data)
        except Exception as exc:  # noqa: BLE001 - eth_abi raises several kinds; each is a malformed answer
            raise ChainError(
                f"{self.chain.name} answered {function}() of {self.address} with malformed data "
                f"({type(exc).__name__}: {exc})"
            ) from None
        shaped = tuple(_shaped(o, v, named=False) for o, v in zip(outputs, values, strict=True))
        return shaped[0] if len(shaped) == 1 else shaped

    def event_names(self) -> dict[bytes, str]:
        """Each event's topic 0 and name."""
        return dict(_events(self.artifact))

    def decode_log(self, log: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """(event name, its arguments by name; structs as dicts) of a log of this contract, or None
        for a topic the ABI does not name. A log that does not decode is a chain error."""
        from eth_abi import decode

        from attest.chain.events import as_bytes

        topics = [as_bytes(t) for t in log["topics"]]
        if not topics:
            return None
        name = dict(_events(self.artifact)).get(topics[0])
        if name is None:
            return None
        (item,) = (i for i in self.abi if i["type"] == "event" and i["name"] == name)
        indexed = [i for i in item["inputs"] if i["indexed"]]
        plain = [i for i in item["inputs"] if not i["indexed"]]
        try:
            if len(topics) != len(indexed) + 1:
                raise ValueError(f"{len(topics) - 1} indexed topics, the event has {len(indexed)}")
            args: dict[str, Any] = {}
            for i, topic in zip(indexed, topics[1:], strict=True):
                args[i["name"]] = _shaped(i, decode([abi_type(i)], topic)[0], named=True)
            values = decode([abi_type(i) for i in plain], as_bytes(log["data"]))
            for i, v in zip(plain, values, strict=True):
                args[i["name"]] = _shaped(i, v, named=True)
        except Exception as exc:  # noqa: BLE001 - a log that does not decode is the node's error
            raise ChainError(f"{self.chain.name} sent a {name} log that does not decode: {exc}") from None
        return name, args

    # ---------------------------------------------------------------- transactions (web3)

    @cached_property
    def web3_contract(self) -> Any:
        """web3's contract object over this chain's client: for building transactions."""
        return self.chain.w3.eth.contract(address=self.address, abi=self.abi)  # type: ignore[call-overload]

    @property
    def functions(self) -> Any:
        return self.web3_contract.functions

    @property
    def events(self) -> Any:
        return self.web3_contract.events


def abi_type(item: Mapping[str, Any]) -> str:
    """The eth_abi type string of an ABI parameter (tuples spelled out from their components)."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in item["components"]) + ")" + kind[len("tuple") :]
    return kind


def _shaped(item: Mapping[str, Any], value: Any, *, named: bool) -> Any:
    """A decoded value as web3 gives it: addresses checksummed; structs as tuples, or (in events)
    as dicts by component name; arrays as lists."""
    kind = str(item["type"])
    if kind.endswith("]"):
        inner = dict(item, type=kind[: kind.rindex("[")])
        return [_shaped(inner, v, named=named) for v in value]
    if kind == "tuple":
        parts = [_shaped(c, v, named=named) for c, v in zip(item["components"], value, strict=True)]
        if named:
            return {c["name"]: p for c, p in zip(item["components"], parts, strict=True)}
        return tuple(parts)
    if kind == "address":
        from eth_utils import to_checksum_address

        return str(to_checksum_address(value))
    return value


@cache
def _function(artifact: str, name: str) -> dict[str, Any]:
    found = [i for i in load_artifact(artifact).abi if i["type"] == "function" and i["name"] == name]
    if len(found) != 1:
        raise KeyError(f"{artifact} has {len(found)} functions named {name}")
    return found[0]


@cache
def _selector(artifact: str, name: str) -> bytes:
    from eth_utils import keccak

    item = _function(artifact, name)
    return keccak(text=f"{name}({','.join(abi_type(i) for i in item['inputs'])})")[:4]


@cache
def _events(artifact: str) -> tuple[tuple[bytes, str], ...]:
    from eth_utils import keccak

    out = []
    for item in load_artifact(artifact).abi:
        if item["type"] == "event" and not item.get("anonymous"):
            signature = f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"
            out.append((keccak(text=signature), item["name"]))
    return tuple(out)


def selector(artifact: str, name: str) -> bytes:
    """The 4-byte selector of `name` in `artifact`'s ABI."""
    return _selector(artifact, name)
