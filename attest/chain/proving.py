"""Fetch what proven verification checks: block headers, EIP-1186 proofs, a block's receipts.

Thin on purpose: each helper asks a node and turns its answer into the core's plain types
(`core.header.BlockHeader`, `core.proofs.AccountProof`, `core.receipt_trie.TxReceipt`) without
judging it; the core checks it against a trusted hash or root. A source is a node's URL, a JSON-RPC
client (`attest.chain.rpc`) or a `Chain` (its client): answers are always the node's JSON. The
converters also accept web3's formatted values (ints, HexBytes) and the extraData that web3's
proof-of-authority middleware renames ``proofOfAuthorityData``, for answers taken from a publisher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attest.chain.connection import Chain
from attest.chain.rpc import DEFAULT_TIMEOUT, HttpRpc, JsonRpc, NodeRefused
from attest.core.errors import ChainError
from attest.core.header import BASE_FIELDS, HEADER_FIELDS, BlockHeader, FieldKind, header_hash
from attest.core.proof_errors import MalformedProof
from attest.core.proofs import Account, AccountProof, StorageProof, slot_key
from attest.core.receipt_trie import BLOOM_BYTES, Log, TxReceipt

#: Storage keys per eth_getProof call; more slots are asked in several calls (one batch request).
SLOTS_PER_CALL = 256


# --------------------------------------------------------------------------------------------------
# Converting answers (raw hex or web3-formatted) into plain ints and bytes
# --------------------------------------------------------------------------------------------------


def as_int(value: object, what: str) -> int:
    """A JSON-RPC quantity: "0x…" hex, an int (web3), or bytes (web3 HexBytes), as an int."""
    if isinstance(value, bool):
        raise MalformedProof(f"{what} is not a quantity: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return int(value[2:] or "0", 16)
        except ValueError:
            pass
    raise MalformedProof(f"{what} is not a hex quantity: {value!r:.80}")


def as_bytes(value: object, what: str) -> bytes:
    """JSON-RPC data: "0x…" hex (an address, a hash, bytes) or bytes (web3 HexBytes), as bytes."""
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise MalformedProof(f"{what} is not hex data: {value!r:.80}")


def header_from_block(block: Mapping[str, Any]) -> BlockHeader:
    """The header fields of a block answer (eth_getBlockByNumber/ByHash, raw or web3-formatted).

    Every field present is taken, whatever its value; the core's hash check decides whether they
    are the block's. Two repairs, both unable to change a hash that matches: web3's POA middleware
    renames extraData to proofOfAuthorityData; eth-tester sends logsBloom as an integer, which web3
    turns into its minimal bytes (left-padded back to 256).
    """
    values: dict[str, int | bytes] = {}
    number = block.get("number")
    where = f"block {as_int(number, 'block number')}" if number is not None else "block"
    for i, f in enumerate(HEADER_FIELDS):
        raw = block.get(f.rpc_name)
        if raw is None and f.rpc_name == "extraData":
            raw = block.get("proofOfAuthorityData")
        if raw is None:
            if i < BASE_FIELDS:
                raise MalformedProof(f"{where}: the answer has no '{f.rpc_name}'")
            continue
        what = f"{where}: field '{f.rpc_name}'"
        if f.kind is FieldKind.INT:
            values[f.rpc_name] = as_int(raw, what)
        elif f.rpc_name == "logsBloom" and isinstance(raw, int) and not isinstance(raw, bool):
            values[f.rpc_name] = raw.to_bytes(BLOOM_BYTES, "big")
        else:
            data = as_bytes(raw, what)
            if f.rpc_name == "logsBloom" and len(data) < BLOOM_BYTES:
                data = data.rjust(BLOOM_BYTES, b"\x00")
            values[f.rpc_name] = data
    return BlockHeader.from_fields(values)


def claimed_hash(block: Mapping[str, Any]) -> bytes:
    """The hash a block answer claims for itself (its "hash" field): a claim, never trusted alone."""
    return as_bytes(block.get("hash"), "block hash")


def account_proof_from_rpc(answer: Mapping[str, Any]) -> AccountProof:
    """An eth_getProof answer (raw or web3-formatted) as plain data, its proofs unchecked; an answer
    of another shape (a proof that is not a list, a storage entry that is not an object) is
    MalformedProof, never a crash."""
    if not isinstance(answer, Mapping):
        raise MalformedProof(f"eth_getProof: the answer is {type(answer).__name__}, not an object")
    for name in ("accountProof", "storageProof"):
        if not isinstance(answer.get(name) or [], list | tuple):
            raise MalformedProof(f"eth_getProof: {name} is not a list")
    for entry in answer.get("storageProof") or ():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("proof") or [], list | tuple):
            raise MalformedProof("eth_getProof: a storageProof entry is not an object with a proof list")
    address = as_bytes(answer.get("address"), "eth_getProof: address")
    account = Account(
        nonce=as_int(answer.get("nonce"), "eth_getProof: nonce"),
        balance=as_int(answer.get("balance"), "eth_getProof: balance"),
        storage_root=as_bytes(answer.get("storageHash"), "eth_getProof: storageHash"),
        code_hash=as_bytes(answer.get("codeHash"), "eth_getProof: codeHash"),
    )
    proof = tuple(as_bytes(n, "eth_getProof: accountProof node") for n in answer.get("accountProof") or ())
    storage = tuple(
        StorageProof(
            slot=as_int(s.get("key"), "eth_getProof: storage key"),
            value=as_int(s.get("value"), "eth_getProof: storage value"),
            proof=tuple(as_bytes(n, "eth_getProof: storage proof node") for n in s.get("proof") or ()),
        )
        for s in answer.get("storageProof") or ()
    )
    return AccountProof(address, account, proof, storage)


def receipt_from_rpc(receipt: Mapping[str, Any]) -> TxReceipt:
    """A transaction receipt (raw or web3-formatted) as its consensus fields, unchecked. A receipt
    without "type" is a legacy one (type 0), as nodes from before EIP-2718 send them."""
    where = f"receipt {receipt.get('transactionHash')!r:.80}"
    logs = tuple(
        Log(
            address=as_bytes(log.get("address"), f"{where}: log address"),
            topics=tuple(as_bytes(t, f"{where}: log topic") for t in log.get("topics") or ()),
            data=as_bytes(log.get("data"), f"{where}: log data"),
        )
        for log in receipt.get("logs") or ()
    )
    tx_type, bloom = receipt.get("type"), receipt.get("logsBloom")
    return TxReceipt(
        tx_type=0 if tx_type is None else as_int(tx_type, f"{where}: type"),
        status=as_int(receipt.get("status"), f"{where}: status"),
        cumulative_gas_used=as_int(receipt.get("cumulativeGasUsed"), f"{where}: cumulativeGasUsed"),
        logs=logs,
        bloom=None if bloom is None else as_bytes(bloom, f"{where}: logsBloom"),
    )


# --------------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------------

BlockId = int | str | bytes  # a number, a tag ("latest"), or a 32-byte block hash (bytes or 0x-hex)


def _block_call(block: BlockId, full: bool = False) -> tuple[str, list[Any]]:
    if isinstance(block, bytes):
        return "eth_getBlockByHash", ["0x" + block.hex(), full]
    if isinstance(block, int):
        return "eth_getBlockByNumber", [hex(block), full]
    if len(block) == 66 and block.startswith("0x"):
        return "eth_getBlockByHash", [block, full]
    return "eth_getBlockByNumber", [block, full]


def _rpc_block_param(block: BlockId) -> Any:
    """The block parameter of eth_getProof / eth_getBlockReceipts: a number, a tag, or EIP-1898."""
    if isinstance(block, int):
        return hex(block)
    if isinstance(block, bytes):
        return {"blockHash": "0x" + block.hex()}
    return block


Source = str | JsonRpc | Chain  # a node's URL, a client, or a chain connection (its client)


def _client_of(source: Source, timeout: float) -> tuple[JsonRpc, bool]:
    """The client to ask and whether it is ours to close (one made here for a URL)."""
    if isinstance(source, Chain):
        return source.client, False
    if isinstance(source, JsonRpc):
        return source, False
    return HttpRpc(source, timeout=timeout), True


def fetch_block(source: Source, block: BlockId, *, timeout: float = DEFAULT_TIMEOUT) -> Mapping[str, Any]:
    """The block answer (transaction hashes only) of `source`; ChainError if it has no such block."""
    rpc, own = _client_of(source, timeout)
    try:
        method, params = _block_call(block)
        answer = rpc.call(method, params)
    finally:
        if own:
            rpc.close()
    if not isinstance(answer, Mapping):
        raise ChainError(f"{rpc.name} has no block {_show_block(block)}")
    return answer


def block_header(
    source: Source, block: BlockId, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[BlockHeader, bytes]:
    """The header of `block` at `source` and the hash the node claims for it (both unchecked: give
    the header to its chain family's `accept` (attest.core.chain_family) with a hash the nodes agreed on)."""
    answer = fetch_block(source, block, timeout=timeout)
    header, claimed = header_from_block(answer), claimed_hash(answer)
    if isinstance(source, Chain) and source.tester is not None:
        header = _unpadded(header, claimed)
    return header, claimed


def _unpadded(header: BlockHeader, claimed: bytes) -> BlockHeader:
    """The embedded chain's header with its true extraData. eth-tester left-pads extraData to 32
    bytes in every block answer (py-evm's own is empty), so the answer as sent never hashes to the
    block's hash; the leading zeros are dropped one by one until it does (or all are gone). Only for
    the in-process chain, and harmless anyway: a header is still only accepted with the agreed hash."""
    extra = header.extra_data
    for cut in range(len(extra) - len(extra.lstrip(b"\x00")) + 1):
        candidate = header.replace(extra_data=extra[cut:])
        if header_hash(candidate) == claimed:
            return candidate
    return header


def get_proof(
    source: Source,
    address: str | bytes,
    slots: Sequence[int],
    block: BlockId,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    slots_per_call: int = SLOTS_PER_CALL,
) -> AccountProof:
    """eth_getProof for `address` and every slot in `slots` at `block`, as plain data (unchecked:
    `core.proofs.verify_account_proof` checks it against the block's stateRoot).

    Many slots go in few calls (`slots_per_call` keys each, all in one batch request); the account
    part is taken from the first answer, the storage proofs from all. Keys are sent as 32-byte hex,
    as anvil requires (it refuses "0x0").
    """
    addr = address if isinstance(address, str) else "0x" + address.hex()
    rpc, own = _client_of(source, timeout)
    try:
        return get_proofs(rpc, [(addr, slots)], block, slots_per_call=slots_per_call)[0]
    finally:
        if own:
            rpc.close()


def _joined(parts: Sequence[AccountProof]) -> AccountProof:
    """One account's proof from the answers of its calls: the account part of the first, the
    storage proofs of all."""
    first = parts[0]
    return AccountProof(first.address, first.account, first.proof, tuple(x for q in parts for x in q.storage))


def _key_chunks(slots: Sequence[int], per_call: int) -> list[list[str]]:
    """Storage keys as 32-byte hex, `per_call` to an eth_getProof (one call with none)."""
    keys = ["0x" + slot_key(s).hex() for s in slots]
    return [keys[i : i + per_call] for i in range(0, len(keys), per_call)] or [[]]


def get_proofs(
    rpc: JsonRpc,
    wanted: Sequence[tuple[str, Sequence[int]]],
    block: BlockId,
    *,
    slots_per_call: int = SLOTS_PER_CALL,
) -> list[AccountProof]:
    """`get_proof` for several accounts at once (each with its slots), every call in one batch
    request: a verification that proves the registry and governance pays one round trip, not two."""
    calls: list[tuple[str, Sequence[Any]]] = []
    spans: list[tuple[int, int]] = []
    for address, slots in wanted:
        chunks = _key_chunks(slots, slots_per_call)
        spans.append((len(calls), len(calls) + len(chunks)))
        calls.extend(("eth_getProof", [address, chunk, _rpc_block_param(block)]) for chunk in chunks)
    answers = rpc.batch(calls)
    return [_joined([account_proof_from_rpc(a) for a in answers[start:end]]) for start, end in spans]


def block_receipts(
    source: Source,
    block: BlockId,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    prefer_block_receipts: bool = True,
) -> list[TxReceipt]:
    """The receipts of every transaction of `block`, in the block's order, as plain data
    (unchecked: `core.receipt_trie.check_receipts` compares them with the header's receiptsRoot).

    One eth_getBlockReceipts call where the node serves it; else (or with
    `prefer_block_receipts=False`) the block's transaction hashes, then eth_getTransactionReceipt
    for each (in one batch request).
    """
    rpc, own = _client_of(source, timeout)
    try:
        return _raw_block_receipts(rpc, block, prefer_block_receipts)
    finally:
        if own:
            rpc.close()


def _raw_block_receipts(rpc: JsonRpc, block: BlockId, prefer_block_receipts: bool) -> list[TxReceipt]:
    if prefer_block_receipts:
        try:
            answer = rpc.call("eth_getBlockReceipts", [_rpc_block_param(block)])
        except NodeRefused as exc:
            if not exc.method_not_found:
                raise
        else:
            if not isinstance(answer, list):
                raise ChainError(f"{rpc.name} has no block {_show_block(block)}")
            return [receipt_from_rpc(r) for r in answer]
    method, params = _block_call(block)
    found = rpc.call(method, params)
    if not isinstance(found, Mapping):
        raise ChainError(f"{rpc.name} has no block {_show_block(block)}")
    hashes = list(found.get("transactions") or ())
    answers = rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    missing = [h for h, a in zip(hashes, answers, strict=True) if not isinstance(a, Mapping)]
    if missing:
        raise ChainError(f"{rpc.name} has no receipt for transaction {missing[0]} of its block")
    return [receipt_from_rpc(a) for a in answers]


def _show_block(block: BlockId) -> str:
    return "0x" + block.hex() if isinstance(block, bytes) else str(block)
