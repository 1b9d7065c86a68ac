"""The registry's events, decoded from raw logs in one place.

A log reaches us in two dresses: formatted by web3 (bytes, ints) from `eth_getLogs` or a receipt, or
raw from a JSON-RPC batch answer (0x-hex strings). Every reader of the registry — the deployment's
lookups, the anchor path's receipts, relaying, the bulk index — turns `Attested`, `Revoked`,
`Superseded`, `Covered`, `CreditClaimed` and `NeutralityClaimed` into records here, straight from
topics and data: no per-log ABI machinery,
so decoding a hundred thousand logs costs little. Which contract emitted a log is the caller's filter
(logs are only ever asked for, or kept from, the manifest's registry address).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from attest.core.contracts import Kind, Topics, topics
from attest.core.credits import ClaimRecord, NeutralityRecord
from attest.core.records import OnchainAttestation, Revocation

__all__ = ["Topics", "topics"]  # the registry's event topics, kept in attest.core.contracts


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


_D = TypeVar("_D", bound=Callable[..., Any])


def _decoder(event: str) -> Callable[[_D], _D]:
    """A log decoder whose every failure on a malformed log (a field missing, data cut short, a
    topic that is no hash) is a chain error naming the event: the node's answer, never a traceback."""

    def wrap(decode: _D) -> _D:
        @functools.wraps(decode)
        def decoded(*args: Any, **kwargs: Any) -> Any:
            from attest.core.errors import ChainError

            try:
                return decode(*args, **kwargs)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                raise ChainError(
                    f"the node answered with a malformed {event} log ({type(exc).__name__}: {exc})"
                ) from None

        return cast(_D, decoded)

    return wrap


def covering_checked(
    covered: Iterable[Covered], statements: Mapping[str, OnchainAttestation], where: str
) -> None:
    """Each `Covered` log against the statement it names: the registry writes one when it anchors a
    statement whose reference is those figures, with the statement's organisation. A log saying
    otherwise is the node contradicting itself (ChainError, exit 3)."""
    from attest.core.errors import ChainError

    for c in covered:
        s = statements.get(c.statement_uid.lower())
        if s is None:
            continue  # not in the registry's storage: not counted as a covering statement
        if (
            s.ref.lower() != c.figures_uid.lower()
            or s.org_id != c.verifier_org_id
            or s.kind is not Kind.STATEMENT
        ):
            raise ChainError(
                f"{where} reports a Covered log of figures {c.figures_uid} by statement {s.uid} of org "
                f"#{c.verifier_org_id}, but that attestation is {s.kind.label} by org #{s.org_id} "
                f"referencing {s.ref}: the node contradicts itself"
            )


def matching(
    logs: Iterable[Mapping[str, Any]],
    address: str,
    topics: Iterable[str | list[str] | None] = (),
    *,
    from_block: int | None = None,
    where: str = "the node",
) -> list[Any]:
    """`logs`, the answer to an eth_getLogs query for `address`, these topics (None: any; a list:
    any of them) and blocks from `from_block`, checked against that query: a log of another
    contract, with another topic or from an earlier block is the node contradicting its own filter
    (a lie, or a broken node), a ChainError (exit 3), never silently used or dropped."""
    from attest.core.errors import ChainError

    wanted = [None if t is None else {x.lower() for x in ([t] if isinstance(t, str) else t)} for t in topics]
    out = []
    for log in logs:
        try:
            problem = _mismatch(log, address, wanted, from_block)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problem = f"a malformed log ({type(exc).__name__}: {exc})"
        if problem is not None:
            raise ChainError(f"{where} answered eth_getLogs with {problem}: it contradicts its own filter")
        out.append(log)
    return out


def logs_in_ranges(
    call: Callable[[str, list[Any]], Any],
    address: str,
    start: int,
    end: int,
    topics: Iterable[str | list[str] | None] | None,
    *,
    size: int,
    where: str,
) -> list[tuple[int, list[Any]]]:
    """`eth_getLogs` of `address` (with these topics, when given) over blocks [start, end], asked
    `size` blocks at a time through `call` (a JSON-RPC client's `call(method, params)`), a range the
    node refuses halved until it is one block: each range's first block with its logs, unchecked
    (the caller holds them to its query, `matching`). A ChainError when even one block is refused or
    an answer is not a list; a node that cannot be reached (ChainUnreachable) is not split for."""
    from attest.core.errors import ChainError, ChainUnreachable

    extra: dict[str, Any] = {} if topics is None else {"topics": list(topics)}
    out: list[tuple[int, list[Any]]] = []
    while start <= end:
        last = min(end, start + size - 1)
        query = {"address": address, "fromBlock": hex(start), "toBlock": hex(last), **extra}
        try:
            found = call("eth_getLogs", [query]) or []
        except ChainUnreachable:
            raise
        except ChainError:  # e.g. "query returned more than 10000 results" / "block range too large"
            if last == start:
                raise
            size = max(1, (last - start + 1) // 2)
            continue
        if not isinstance(found, list):
            raise ChainError(f"{where} answered eth_getLogs with {found!r:.80}, not a list")
        out.append((start, found))
        start = last + 1
    return out


def _mismatch(
    log: Mapping[str, Any], address: str, wanted: list[set[str] | None], from_block: int | None
) -> str | None:
    """How one log departs from the query it answers (None: it does not)."""
    if _hex(log["address"]).lower() != address.lower():
        return f"a log of contract {_hex(log['address'])}, not {address}"
    if from_block is not None and as_int(log["blockNumber"]) < from_block:
        return f"a log of block {as_int(log['blockNumber'])}, before block {from_block} it was asked from"
    got = [_hex(t).lower() for t in log["topics"]]
    for i, allowed in enumerate(wanted):
        if allowed is not None and (i >= len(got) or got[i] not in allowed):
            value = got[i] if i < len(got) else "none"
            return f"a log whose topic {i} is {value}, which the query did not ask for"
    return None


@_decoder("registry")
def topic0(log: Mapping[str, Any]) -> bytes | None:
    t = log["topics"]
    return as_bytes(t[0]) if t else None


@_decoder("Attested")
def attested(log: Mapping[str, Any]) -> OnchainAttestation:
    """The attestation an `Attested` log records, as it stood when emitted (not revoked or superseded)."""
    t = log["topics"]
    attester, kind, year, ref, uri = attested_data(as_bytes(log["data"]))
    return OnchainAttestation(
        uid=_hex(t[1]),
        digest=as_bytes(t[2]).hex(),
        org_id=int.from_bytes(as_bytes(t[3]), "big"),
        attester=_checksum(attester),
        kind=Kind(kind),
        year=year,
        ref="0x" + ref.hex(),
        uri=uri,
        block_number=as_int(log["blockNumber"]),
        log_index=as_int(log["logIndex"]),
        block_hash=_hex(log["blockHash"]),
        transaction_hash=_hex(log["transactionHash"]),
        revoked=False,
        revocation=None,
        superseded_by=None,
    )


@_decoder("Attested")
def attested_place(log: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(block number, log index, kind, year) of an `Attested` log, read without decoding the rest:
    to sort and filter thousands (a history page); `attested` decodes, and checks, those shown.
    A log too short to hold them is a ValueError."""
    data = as_bytes(log["data"])
    if len(data) < 96:
        raise ValueError(f"Attested data of {len(data)} bytes")
    kind, year = int.from_bytes(data[32:64], "big"), int.from_bytes(data[64:96], "big")
    return as_int(log["blockNumber"]), as_int(log["logIndex"]), kind, year


def attested_data(data: bytes) -> tuple[bytes, int, int, bytes, str]:
    """(attester, kind, year, ref, uri) from `Attested`'s ABI-encoded data, checked as strictly as
    eth_abi checks it (padding, the string's offset and length): every bulk read decodes one per
    attestation, and eth_abi's general decoder costs more than the rest of the record."""
    words = len(data) // 32
    if len(data) % 32 or words < 6:
        raise ValueError(f"Attested data of {len(data)} bytes")

    def word(i: int) -> bytes:
        return data[32 * i : 32 * i + 32]

    def uint(i: int, size: int) -> int:
        w = word(i)
        if any(w[: 32 - size]):
            raise ValueError(f"Attested data word {i} is not a uint{8 * size}")
        return int.from_bytes(w, "big")

    if any(word(0)[:12]):
        raise ValueError("Attested data word 0 is not an address")
    kind, year, ref, offset = uint(1, 1), uint(2, 2), word(3), uint(4, 32)
    if offset % 32 or offset + 32 > len(data):
        raise ValueError("Attested data: the uri's offset is out of range")
    length = int.from_bytes(data[offset : offset + 32], "big")
    end = offset + 32 + length
    if end > len(data) or any(data[end : offset + 32 + -(-length // 32) * 32]):
        raise ValueError("Attested data: the uri's length is out of range or its padding not zero")
    return word(0)[12:], kind, year, ref, data[offset + 32 : end].decode("utf-8")


@cache
def _checksum(address: bytes) -> str:
    """EIP-55 form of an address (keccak'd once per address: a registry has few attesters)."""
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address))


@_decoder("Revoked")
def revoked(log: Mapping[str, Any]) -> tuple[str, Revocation]:
    """(uid, revocation) from a `Revoked` log."""
    from eth_abi import decode

    t = log["topics"]
    (reason,) = decode(["string"], as_bytes(log["data"]))
    by = _checksum(as_bytes(t[3])[12:])
    return _hex(t[1]), Revocation(
        as_int(log["blockNumber"]), int.from_bytes(as_bytes(t[2]), "big"), by, reason
    )


@_decoder("Superseded")
def superseded(log: Mapping[str, Any]) -> tuple[str, str]:
    """(uid, replacement uid) from a `Superseded` log."""
    t = log["topics"]
    return _hex(t[1]), _hex(t[2])


@_decoder("Covered")
def covered(log: Mapping[str, Any]) -> Covered:
    t = log["topics"]
    return Covered(_hex(t[1]), _hex(t[2]), int.from_bytes(as_bytes(t[3]), "big"))


def _words(log: Mapping[str, Any], n: int, event: str) -> list[int]:
    data = as_bytes(log["data"])
    if len(data) != 32 * n:
        raise ValueError(f"{event} data of {len(data)} bytes, not {32 * n}")
    return [int.from_bytes(data[32 * i : 32 * i + 32], "big") for i in range(n)]


@_decoder("CreditClaimed")
def credit_claimed(log: Mapping[str, Any]) -> ClaimRecord:
    """A statement claims units first..last of an issuance (`CreditClaimed`)."""
    t = log["topics"]
    first, last = _words(log, 2, "CreditClaimed")
    return ClaimRecord(
        _hex(t[1]), first, last, _hex(t[2]), as_int(log["blockNumber"]), as_int(log["logIndex"])
    )


@_decoder("NeutralityClaimed")
def neutrality_claimed(log: Mapping[str, Any]) -> NeutralityRecord:
    """What a statement's neutrality claim records on-chain (`NeutralityClaimed`)."""
    t = log["topics"]
    year, residual, retired = _words(log, 3, "NeutralityClaimed")
    if year >= 2**16:
        raise ValueError("NeutralityClaimed year is not a uint16")
    return NeutralityRecord(
        _hex(t[1]),
        _hex(t[2]),
        int.from_bytes(as_bytes(t[3]), "big"),
        year,
        residual,
        retired,
        as_int(log["blockNumber"]),
    )


def attested_by(logs: Iterable[Mapping[str, Any]], registry: str) -> list[OnchainAttestation]:
    """The `Attested` events among `logs` (e.g. a transaction receipt's) emitted by `registry` only."""
    want, address = topics().attested, registry.lower()
    return [attested(log) for log in logs if topic0(log) == want and _address(log["address"]) == address]


def _address(value: Any) -> str:
    return value.lower() if isinstance(value, str) else "0x" + bytes(value).hex()
