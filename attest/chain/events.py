"""The registry's events, decoded from raw logs in one place.

A log reaches us in two dresses: formatted by web3 (bytes, ints) from `eth_getLogs` or a receipt, or
raw from a JSON-RPC batch answer (0x-hex strings). Every reader of the registry — the deployment's
lookups, the anchor path's receipts, relaying, the bulk index — turns `Attested`, `Revoked`,
`Superseded` and `Covered` into records here, straight from topics and data: no per-log ABI machinery,
so decoding a hundred thousand logs costs little. Which contract emitted a log is the caller's filter
(logs are only ever asked for, or kept from, the manifest's registry address).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from attest.core.contracts import REGISTRY, Kind, load_artifact
from attest.core.records import OnchainAttestation, Revocation

_ATTESTED_DATA = ("address", "uint8", "uint16", "bytes32", "string")


@dataclass(frozen=True)
class Topics:
    """topic0 of each registry event (keccak of its signature, from the committed ABI)."""

    attested: bytes
    revoked: bytes
    superseded: bytes
    covered: bytes


@cache
def topics() -> Topics:
    from eth_utils import event_abi_to_log_topic

    by_name = {
        item["name"]: bytes(event_abi_to_log_topic(item))  # type: ignore[arg-type]
        for item in load_artifact(REGISTRY).abi
        if item["type"] == "event"
    }
    return Topics(by_name["Attested"], by_name["Revoked"], by_name["Superseded"], by_name["Covered"])


@dataclass(frozen=True)
class Covered:
    """A verification statement covers a figures attestation (`Covered`)."""

    figures_uid: str
    statement_uid: str
    verifier_org_id: int


def as_bytes(value: Any) -> bytes:
    """A topic, data or hash as bytes, whether web3 formatted it (bytes) or not (0x-hex string)."""
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: Any) -> str:
    return "0x" + as_bytes(value).hex()


def topic0(log: Mapping[str, Any]) -> bytes | None:
    t = log["topics"]
    return as_bytes(t[0]) if t else None


def attested(log: Mapping[str, Any]) -> OnchainAttestation:
    """The attestation an `Attested` log records, as it stood when emitted (not revoked or superseded)."""
    from eth_abi import decode
    from eth_utils import to_checksum_address

    t = log["topics"]
    attester, kind, year, ref, uri = decode(_ATTESTED_DATA, as_bytes(log["data"]))
    return OnchainAttestation(
        uid=_hex(t[1]),
        digest=as_bytes(t[2]).hex(),
        org_id=int.from_bytes(as_bytes(t[3]), "big"),
        attester=to_checksum_address(attester),
        kind=Kind(int(kind)),
        year=int(year),
        ref="0x" + bytes(ref).hex(),
        uri=str(uri),
        block_number=as_int(log["blockNumber"]),
        log_index=as_int(log["logIndex"]),
        block_hash=_hex(log["blockHash"]),
        transaction_hash=_hex(log["transactionHash"]),
        revoked=False,
        revocation=None,
        superseded_by=None,
    )


def revoked(log: Mapping[str, Any]) -> tuple[str, Revocation]:
    """(uid, revocation) from a `Revoked` log."""
    from eth_abi import decode
    from eth_utils import to_checksum_address

    t = log["topics"]
    (reason,) = decode(["string"], as_bytes(log["data"]))
    by = to_checksum_address(as_bytes(t[3])[12:])
    return _hex(t[1]), Revocation(
        as_int(log["blockNumber"]), int.from_bytes(as_bytes(t[2]), "big"), by, reason
    )


def superseded(log: Mapping[str, Any]) -> tuple[str, str]:
    """(uid, replacement uid) from a `Superseded` log."""
    t = log["topics"]
    return _hex(t[1]), _hex(t[2])


def covered(log: Mapping[str, Any]) -> Covered:
    t = log["topics"]
    return Covered(_hex(t[1]), _hex(t[2]), int.from_bytes(as_bytes(t[3]), "big"))


def attested_by(logs: Iterable[Mapping[str, Any]], registry: str) -> list[OnchainAttestation]:
    """The `Attested` events among `logs` (e.g. a transaction receipt's) emitted by `registry` only."""
    want, address = topics().attested, registry.lower()
    return [attested(log) for log in logs if topic0(log) == want and _address(log["address"]) == address]


def _address(value: Any) -> str:
    return value.lower() if isinstance(value, str) else "0x" + bytes(value).hex()
