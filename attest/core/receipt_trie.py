"""The receipts trie of a block, rebuilt from its receipts and compared with the header's receiptsRoot.

A block header commits to its transactions' receipts through receiptsRoot: the root of a trie that
maps rlp(i) to the i-th receipt's encoding, ``rlp([status, cumulativeGasUsed, logsBloom, logs])``
with each log ``[address, [topics...], data]`` (EIP-658), prefixed by the transaction type byte for
typed transactions (EIP-2718: ``type || rlp(...)``; a legacy, type 0, receipt has no prefix). A
block's receipts that rebuild the header's receiptsRoot are its receipts: every log in them (an
`Attested` event, say) is proven to have been emitted in that block, at that position, by that
address, with those topics and data, and nothing was left out or added.

The bloom is computed here from the logs rather than taken from the node's answer: it is a function
of them, so a node's bloom adds nothing to trust (and the embedded eth-tester chain does not send
one). Pre-Byzantium receipts (a post-state root instead of the status) are not supported: every
chain the tool targets is later. What the trie does not prove: which transaction (hash) a receipt
belongs to — that is the transactions trie's job — only its index in the block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    import rlp  # type: ignore[import-untyped]

    if not 0 <= receipt.tx_type < 0x80:
        raise MalformedProof(f"receipt: transaction type {receipt.tx_type} is not an EIP-2718 type")
    if receipt.status not in (0, 1):
        raise MalformedProof(f"receipt: status {receipt.status} is neither 0 nor 1")
    for log in receipt.logs:
        if len(log.address) != 20 or any(len(t) != 32 for t in log.topics) or len(log.topics) > 4:
            raise MalformedProof("receipt: a log's address is not 20 bytes or a topic not 32 bytes")
    body: bytes = rlp.encode(
        [
            receipt.status,
            receipt.cumulative_gas_used,
            logs_bloom(receipt.logs),
            [[log.address, list(log.topics), log.data] for log in receipt.logs],
        ]
    )
    return body if receipt.tx_type == 0 else bytes([receipt.tx_type]) + body


def receipts_root(receipts: Sequence[TxReceipt]) -> bytes:
    """The root of the receipts trie of a block holding `receipts` in this order."""
    import rlp
    from trie.hexary import HexaryTrie

    t = HexaryTrie({})
    for index, receipt in enumerate(receipts):
        t.set(rlp.encode(index), encode_receipt(receipt))  # type: ignore[no-untyped-call]
    return bytes(t.root_hash)


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
