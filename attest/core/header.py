"""Block headers: the field list, its RLP encoding and keccak256 hash, and the check that a header a
node sent is the one whose hash the nodes agreed on.

A block hash commits to every header field, so once the hash is trusted (several nodes agree on
it, or a checkpoint names it) the stateRoot and receiptsRoot in a header that hashes to it are
trusted too, and every proof below is checked against them. The header is
``keccak256(rlp([parentHash, sha3Uncles, miner, stateRoot, transactionsRoot, receiptsRoot,
logsBloom, difficulty, number, gasLimit, gasUsed, timestamp, extraData, mixHash, nonce, ...]))``
(the yellow paper's 15 fields), followed by the fields later forks appended, in this order:
baseFeePerGas (London, EIP-1559), withdrawalsRoot (Shanghai, EIP-4895), blobGasUsed and
excessBlobGas (Cancun, EIP-4844), parentBeaconBlockRoot (Cancun, EIP-4788), requestsHash (Prague,
EIP-7685).

Which forks a block shows is read from the fields the node returned: those present are encoded in
this order, those absent are left out. That is the rule for every client's blocks, and it also
covers anvil's genesis block on its pre-Cancun hardforks (which carries, and hashes,
blobGasUsed/excessBlobGas without the fields before them). It cannot be abused: the 15 fields the
verifier reads (stateRoot, receiptsRoot, number, timestamp) sit at fixed positions before any
optional one, so a node that sends another set of optional fields only changes the hash, which then
no longer matches.

Besu IBFT 2.0 / QBFT blocks carry ``rlp([vanity, validators, vote, round, commitSeals])`` in
extraData, and their on-chain hash is taken over the header with extraData cut to
``rlp([vanity, validators, vote])`` (the round and the seals differ between the copies of a block
circulated at one height): `bft_hashed_extra` cuts it. Which rule a chain's block hash follows — and
whether anything can be proven on it at all (FISCO BCOS: no) — is its chain family's
(`attest.core.chain_family`, named by the manifest), whose `accept` is the one check that a header is
the block with the agreed hash.

Pure: takes ints and bytes (`attest.chain.proving.header_from_block` turns JSON-RPC answers into
them); rlp is imported where it is used, to keep importing this module cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum

from attest.core.errors import InputError
from attest.core.proof_errors import MalformedProof


class FieldKind(Enum):
    """How a header field is typed: an integer (RLP: big-endian, no leading zeros) or bytes, of a
    fixed length where the field has one."""

    INT = "int"
    BYTES = "bytes"


@dataclass(frozen=True)
class HeaderField:
    """One header field: its JSON-RPC name, its attribute on BlockHeader, its kind and length."""

    rpc_name: str
    attr: str
    kind: FieldKind
    length: int | None = None  # fixed byte length, for BYTES fields that have one


#: Every header field in encoding order. The first 15 are in every header; each later one is
#: present only from the fork that added it.
HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("parentHash", "parent_hash", FieldKind.BYTES, 32),
    HeaderField("sha3Uncles", "ommers_hash", FieldKind.BYTES, 32),
    HeaderField("miner", "coinbase", FieldKind.BYTES, 20),
    HeaderField("stateRoot", "state_root", FieldKind.BYTES, 32),
    HeaderField("transactionsRoot", "transactions_root", FieldKind.BYTES, 32),
    HeaderField("receiptsRoot", "receipts_root", FieldKind.BYTES, 32),
    HeaderField("logsBloom", "logs_bloom", FieldKind.BYTES, 256),
    HeaderField("difficulty", "difficulty", FieldKind.INT),
    HeaderField("number", "number", FieldKind.INT),
    HeaderField("gasLimit", "gas_limit", FieldKind.INT),
    HeaderField("gasUsed", "gas_used", FieldKind.INT),
    HeaderField("timestamp", "timestamp", FieldKind.INT),
    HeaderField("extraData", "extra_data", FieldKind.BYTES),
    HeaderField("mixHash", "mix_hash", FieldKind.BYTES, 32),
    HeaderField("nonce", "nonce", FieldKind.BYTES, 8),
    HeaderField("baseFeePerGas", "base_fee_per_gas", FieldKind.INT),
    HeaderField("withdrawalsRoot", "withdrawals_root", FieldKind.BYTES, 32),
    HeaderField("blobGasUsed", "blob_gas_used", FieldKind.INT),
    HeaderField("excessBlobGas", "excess_blob_gas", FieldKind.INT),
    HeaderField("parentBeaconBlockRoot", "parent_beacon_block_root", FieldKind.BYTES, 32),
    HeaderField("requestsHash", "requests_hash", FieldKind.BYTES, 32),
)
#: How many fields every header has (up to and including nonce).
BASE_FIELDS = 15


@dataclass(frozen=True)
class BlockHeader:
    """A block header as plain ints and bytes; the optional fields are None when the block predates
    the fork that added them."""

    parent_hash: bytes
    ommers_hash: bytes
    coinbase: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    logs_bloom: bytes
    difficulty: int
    number: int
    gas_limit: int
    gas_used: int
    timestamp: int
    extra_data: bytes
    mix_hash: bytes
    nonce: bytes
    base_fee_per_gas: int | None = None
    withdrawals_root: bytes | None = None
    blob_gas_used: int | None = None
    excess_blob_gas: int | None = None
    parent_beacon_block_root: bytes | None = None
    requests_hash: bytes | None = None

    def __post_init__(self) -> None:
        for f in HEADER_FIELDS:
            value = getattr(self, f.attr)
            if value is None:
                if HEADER_FIELDS.index(f) < BASE_FIELDS:
                    raise MalformedProof(f"block header: field '{f.rpc_name}' is missing")
                continue
            _check_field(f, value)

    @classmethod
    def from_fields(cls, values: Mapping[str, int | bytes]) -> BlockHeader:
        """A header from its fields keyed by JSON-RPC name (``stateRoot``…); keys that are not header
        fields (``hash``, ``size``, ``transactions``…) are ignored."""
        return cls(**{f.attr: values[f.rpc_name] for f in HEADER_FIELDS if f.rpc_name in values})  # type: ignore[arg-type]

    def fields(self) -> list[int | bytes]:
        """The values RLP-encodes, in order: the 15 base fields and every fork field present."""
        return [v for v in (getattr(self, f.attr) for f in HEADER_FIELDS) if v is not None]

    def replace(self, **changes: int | bytes | None) -> BlockHeader:
        """A copy with some fields changed (tests forge headers with it)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return BlockHeader(**values)


def _check_field(f: HeaderField, value: object) -> None:
    if f.kind is FieldKind.INT:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise MalformedProof(f"block header: field '{f.rpc_name}' is not a non-negative integer")
        return
    if not isinstance(value, bytes):
        raise MalformedProof(f"block header: field '{f.rpc_name}' is not bytes")
    if f.length is not None and len(value) != f.length:
        raise MalformedProof(f"block header: field '{f.rpc_name}' has {len(value)} bytes, not {f.length}")


def encode_header(header: BlockHeader) -> bytes:
    """The header's RLP encoding: what its hash is taken over."""
    import rlp  # type: ignore[import-untyped]

    encoded: bytes = rlp.encode(header.fields())
    return encoded


def header_hash(header: BlockHeader) -> bytes:
    """keccak256 of the RLP-encoded header: the block hash (32 bytes)."""
    from eth_utils import keccak

    return bytes(keccak(encode_header(header)))


def bft_hashed_extra(extra: bytes) -> bytes | None:
    """The extraData a Besu IBFT 2.0 / QBFT block's hash is taken over — ``rlp([vanity, validators,
    vote])`` of its ``rlp([vanity, validators, vote, round, seals, ...])`` — or None when `extra` is
    not BFT extra data (a 32-byte vanity, then a list of 20-byte validator addresses)."""
    import rlp

    try:
        items = rlp.decode(extra)
    except rlp.exceptions.DecodingError:
        return None
    if not isinstance(items, list) or len(items) < 4:
        return None
    vanity, validators = items[0], items[1]
    if not isinstance(vanity, bytes) or len(vanity) != 32 or not isinstance(validators, list):
        return None
    if not all(isinstance(v, bytes) and len(v) == 20 for v in validators):
        return None
    encoded: bytes = rlp.encode(items[:3])
    return encoded


@dataclass(frozen=True)
class Checkpoint:
    """A block the verifier already trusts, by number and hash (``--checkpoint NUMBER:HASH``): its
    hash is then the trusted one, and nodes are only asked for the header that hashes to it."""

    number: int
    hash: bytes

    def __str__(self) -> str:
        return f"{self.number}:0x{self.hash.hex()}"


def parse_checkpoint(text: str) -> Checkpoint:
    """``NUMBER:HASH`` (decimal block number, 0x-prefixed 32-byte hash) as a Checkpoint.

    Raises:
        InputError: the text is not of that form (field 'checkpoint').
    """
    number, sep, hash_hex = text.strip().partition(":")
    if not sep or not number.isdigit() or not number.isascii():
        raise InputError(f"expected NUMBER:HASH, got {text!r}", field="checkpoint")
    body = hash_hex[2:]
    if len(body) != 64 or hash_hex[:2] not in ("0x", "0X"):
        raise InputError(f"the hash must be 0x and 64 hex digits, got {hash_hex!r}", field="checkpoint")
    try:
        digest = bytes.fromhex(body)
    except ValueError:
        raise InputError(f"the hash is not hex: {hash_hex!r}", field="checkpoint") from None
    return Checkpoint(int(number), digest)


@dataclass(frozen=True)
class NodeAnswer:
    """What one node said when asked for the block: the hash it vouches for (None when it vouched
    for nothing usable) and the words for a message."""

    url: str
    hash: bytes | None
    said: str


@dataclass(frozen=True)
class TrustedHeader:
    """The header a verdict's facts are proven against: its hash agreed by `agreed` (or named by a
    checkpoint) and its fields checked to hash to it. `dissent` names every other node asked and
    what it said."""

    header: BlockHeader
    hash: bytes
    agreed: tuple[str, ...]
    dissent: tuple[NodeAnswer, ...] = ()
    checkpoint: Checkpoint | None = None

    @property
    def number(self) -> int:
        return self.header.number

    @property
    def state_root(self) -> bytes:
        return self.header.state_root

    @property
    def receipts_root(self) -> bytes:
        return self.header.receipts_root

    @property
    def timestamp(self) -> int:
        return self.header.timestamp
