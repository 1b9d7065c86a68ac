"""The receipts trie of a block, rebuilt from its receipts and compared with the header's receiptsRoot.

A block header commits to its transactions' receipts through receiptsRoot: the root of a trie that
maps rlp(i) to the i-th receipt's encoding, ``rlp([status, cumulativeGasUsed, logsBloom, logs])``
with each log ``[address, [topics...], data]`` (EIP-658), prefixed by the transaction type byte for
typed transactions (EIP-2718: ``type || rlp(...)``; a legacy, type 0, receipt has no prefix). A
block's receipts that rebuild the header's receiptsRoot are its receipts: every log in them (an
`Attested` event, say) is proven to have been emitted in that block, at that position, by that
address, with those topics and data, and nothing was left out or added.

The bloom is part of the encoded receipt, so the node's logsBloom is used as sent (computing it
costs a keccak256 per address and topic, most of a receipt's encoding): a wrong one rebuilds another
root and is refused like any other change. The verdict never reads the bloom. When a node sends
none (the embedded eth-tester chain), it is computed from the logs. Pre-Byzantium receipts (a post-
state root instead of the status) are not supported: every chain the tool targets is later. What the
trie does not prove: which transaction (hash) a receipt belongs to — that is the transactions trie's
job — only its index in the block.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from attest.core.proof_errors import MalformedProof, ReceiptsRootMismatch

BLOOM_BYTES = 256


@dataclass(frozen=True)
class Log:
    """One log of a receipt: the emitting contract, its topics (32 bytes each), its data."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class TxReceipt:
    """A receipt's consensus fields: the transaction type, status (1 success, 0 revert), the gas used
    by the block up to and including this transaction, and the logs in order."""

    tx_type: int
    status: int
    cumulative_gas_used: int
    logs: tuple[Log, ...]
    bloom: bytes | None = None  # the node's logsBloom, as sent; None: computed from the logs


def logs_bloom(logs: Iterable[Log]) -> bytes:
    """The 2048-bit bloom filter of the logs (yellow paper §4.3.1): for the address and each topic,
    three bits chosen by the low 11 bits of the first three byte pairs of its keccak256."""
    from eth_utils import keccak

    bloom = 0
    for log in logs:
        for item in (log.address, *log.topics):
            h = keccak(item)
            for i in (0, 2, 4):
                bloom |= 1 << (((h[i] << 8) | h[i + 1]) & 2047)
    return bloom.to_bytes(BLOOM_BYTES, "big")


def encode_receipt(receipt: TxReceipt) -> bytes:
    """The receipt as the receipts trie stores it: type byte (unless legacy) then the RLP list."""
    if not 0 <= receipt.tx_type < 0x80:
        raise MalformedProof(f"receipt: transaction type {receipt.tx_type} is not an EIP-2718 type")
    if receipt.status not in (0, 1):
        raise MalformedProof(f"receipt: status {receipt.status} is neither 0 nor 1")
    if receipt.bloom is not None and len(receipt.bloom) != BLOOM_BYTES:
        raise MalformedProof(f"receipt: a logsBloom of {len(receipt.bloom)} bytes, not {BLOOM_BYTES}")
    for log in receipt.logs:
        if len(log.address) != 20 or any(len(t) != 32 for t in log.topics) or len(log.topics) > 4:
            raise MalformedProof("receipt: a log's address is not 20 bytes or a topic not 32 bytes")
    body = encode_raw(
        [
            _uint(receipt.status),
            _uint(receipt.cumulative_gas_used),
            logs_bloom(receipt.logs) if receipt.bloom is None else receipt.bloom,
            [[log.address, list(log.topics), log.data] for log in receipt.logs],
        ]
    )
    return body if receipt.tx_type == 0 else bytes([receipt.tx_type]) + body


def encode_raw(item: object) -> bytes:
    """The RLP of bytes and (nested) lists of bytes, as they are: pyrlp's raw encoder, with no type
    inference (a block's receipts trie is rebuilt on every verification)."""
    from rlp.codec import encode_raw as raw  # type: ignore[import-untyped]

    return bytes(raw(item))


def _uint(value: int) -> bytes:
    """An RLP integer's bytes: big-endian, no leading zeros (zero is empty)."""
    if value < 0:
        raise MalformedProof(f"receipt: a negative quantity {value}")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def receipts_root(receipts: Sequence[TxReceipt]) -> bytes:
    """The root of the receipts trie of a block holding `receipts` in this order."""
    return trie_root({encode_raw(_uint(i)): encode_receipt(r) for i, r in enumerate(receipts)})


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """The root hash of the Merkle-Patricia trie holding exactly `items` (key → value), built in
    one pass over the sorted keys rather than by inserting them one at a time.

    `trie.HexaryTrie` is made for a trie that changes (each insertion rewrites the nodes on its
    path: about 0.3 ms a receipt here), and a block is rebuilt from scratch for every verification;
    the nodes are the same (yellow paper, appendix D: leaf and extension paths in hex-prefix form,
    a child of under 32 bytes embedded, the root hashed whatever its size), and the tests compare
    this with HexaryTrie on random tries and with real blocks' receiptsRoot."""
    from eth_utils import keccak

    if not items:
        return bytes(keccak(encode_raw(b"")))
    paths = sorted((_nibbles(k), v) for k, v in items.items() if v)
    return bytes(keccak(encode_raw(_node(paths, 0))))


def _nibbles(key: bytes) -> tuple[int, ...]:
    return tuple(n for b in key for n in (b >> 4, b & 0x0F))


def _hex_prefix(path: Sequence[int], leaf: bool) -> bytes:
    """A node's path in hex-prefix form: a flag nibble (leaf 2, extension 0; +1 when odd), padded."""
    flag = (2 if leaf else 0) + (len(path) % 2)
    nibbles = [flag, *path] if len(path) % 2 else [flag, 0, *path]
    return bytes(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, len(nibbles), 2))


def _ref(node: object) -> object:
    """How a parent holds a child: the node itself when its RLP is under 32 bytes, else its hash."""
    from eth_utils import keccak

    encoded = encode_raw(node)
    return node if len(encoded) < 32 else bytes(keccak(encoded))


def _node(items: Sequence[tuple[tuple[int, ...], bytes]], depth: int) -> object:
    """The node for `items` (sorted, distinct paths) below `depth` nibbles."""
    if len(items) == 1:
        path, value = items[0]
        return [_hex_prefix(path[depth:], leaf=True), value]
    first, last = items[0][0], items[-1][0]  # sorted: the common prefix of all is theirs
    common = 0
    while depth + common < min(len(first), len(last)) and first[depth + common] == last[depth + common]:
        common += 1
    if common:
        return [_hex_prefix(first[depth : depth + common], leaf=False), _ref(_node(items, depth + common))]
    branch: list[object] = [b""] * 17
    rest = list(items)
    if len(rest[0][0]) == depth:  # a key that ends here: the branch's value
        branch[16] = rest.pop(0)[1]
    start = 0
    while start < len(rest):
        nibble = rest[start][0][depth]
        end = start
        while end < len(rest) and rest[end][0][depth] == nibble:
            end += 1
        branch[nibble] = _ref(_node(rest[start:end], depth + 1))
        start = end
    return branch


def check_receipts(receipts: Sequence[TxReceipt], expected_root: bytes, *, block: int | None = None) -> None:
    """Accept `receipts` as a block's receipts only if they rebuild `expected_root` (its receiptsRoot).

    Raises:
        ReceiptsRootMismatch: they rebuild another root (a log or receipt was changed, added, left
            out or moved), with both roots and the block number in the message.
        MalformedProof: a receipt cannot be encoded (bad type, status, address or topic length).
    """
    got = receipts_root(receipts)
    if got != expected_root:
        where = f"block {block}" if block is not None else "block"
        raise ReceiptsRootMismatch(
            f"{where}: its {len(receipts)} receipts rebuild the receipts root 0x{got.hex()}, "
            f"the header says 0x{expected_root.hex()}"
        )
