"""OpenZeppelin's StandardMerkleTree, in pure Python.

The same trees, proofs and `dump()` JSON as the JavaScript library `@openzeppelin/merkle-tree`
(format "standard-v1"), whose proofs OpenZeppelin's `MerkleProof.sol` verifies:

* leaf hash: keccak256(keccak256(abi.encode(leaf_encoding, value))) — double hashing, so a leaf can
  never be mistaken for an internal node (second-preimage safety);
* internal node: keccak256 of its two children sorted ascending (commutative, so a proof is a plain
  list of sibling hashes with no left/right flags);
* layout: a complete binary tree in one array, root at index 0, node i's children at 2i+1 and 2i+2;
  the leaves (sorted by hash) fill the end of the array in reverse order.

Hashes are 0x-prefixed lowercase hex strings in the public API, as in the JavaScript library;
`process_proof` and `standard_leaf_hash` work on raw bytes. Malformed input raises `InputError`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attest.core.errors import InputError

FORMAT = "standard-v1"
_HEX = re.compile(r"^(?:0x)?([0-9a-fA-F]{64})$")
_HEX_BYTES = re.compile(r"^0x((?:[0-9a-fA-F]{2})*)$")
_BYTES_N = re.compile(r"^bytes([1-9][0-9]?)$")
_INT_N = re.compile(r"^u?int([0-9]*)$")


@functools.cache
def _keccak_impl() -> Callable[[bytes], bytes]:
    """keccak256: pysha3's C extension when installed (~6x faster per call), else eth-hash."""
    try:
        import sha3  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        from eth_hash.auto import keccak

        return keccak

    keccak_256 = sha3.keccak_256

    def fast(data: bytes) -> bytes:
        return keccak_256(data).digest()  # type: ignore[no-any-return]

    return fast


def _keccak(data: bytes) -> bytes:
    return _keccak_impl()(data)


def to_hex(node: bytes) -> str:
    return "0x" + node.hex()


def as_node(node: object, *, what: str = "hash") -> bytes:
    """A 32-byte hash from bytes or (optionally 0x-prefixed) hex; anything else is an InputError."""
    if isinstance(node, str):  # the common case first: proofs and roots are read from JSON as hex
        m = _HEX.match(node)
        if m:
            return bytes.fromhex(m.group(1))
    elif isinstance(node, bytes | bytearray) and len(node) == 32:
        return bytes(node)
    raise InputError(f"{what} is not a 32-byte hash: {str(node)[:80]!r}")


def node_hash(a: bytes, b: bytes) -> bytes:
    """The commutative internal-node hash: keccak256 of the two children sorted ascending."""
    return _keccak(a + b if a <= b else b + a)


def _check_encoding(leaf_encoding: object) -> tuple[str, ...]:
    if isinstance(leaf_encoding, str | bytes) or not isinstance(leaf_encoding, Sequence):
        raise InputError("leaf encoding must be a list of ABI type names")
    if not leaf_encoding:
        raise InputError("leaf encoding is empty")
    from eth_abi import is_encodable_type

    types = tuple(leaf_encoding)
    for t in types:
        if not isinstance(t, str) or not is_encodable_type(t):
            raise InputError(f"not an ABI type: {str(t)[:80]!r}")
    return types


def _abi_item(t: str, item: object) -> Any:
    """Convert one JSON-style item to what eth_abi encodes: 0x-hex → bytes, decimal text → int.

    `bytesN` must be exactly N bytes (eth_abi would silently right-pad a shorter value).
    """
    if t == "bytes32" and isinstance(item, bytes) and len(item) == 32:
        return item
    if t == "bytes" or _BYTES_N.match(t):
        if isinstance(item, str):
            m = _HEX_BYTES.match(item)
            if not m:
                raise InputError(f"{t} value is not 0x-prefixed hex: {item[:80]!r}")
            item = bytes.fromhex(m.group(1))
        if not isinstance(item, bytes | bytearray):
            raise InputError(f"{t} value must be bytes or 0x-prefixed hex")
        size = _BYTES_N.match(t)
        if size and len(item) != int(size.group(1)):
            raise InputError(f"{t} value has {len(item)} bytes, not {size.group(1)}")
        return bytes(item)
    if _INT_N.match(t):
        if isinstance(item, bool):
            raise InputError(f"{t} value must be an integer, not a boolean")
        if isinstance(item, str):
            if not re.fullmatch(r"-?[0-9]+", item):
                raise InputError(f"{t} value is not a decimal integer: {item[:80]!r}")
            return int(item)
    return item


def _json_item(item: object) -> Any:
    """The JSON form of a leaf item, as it appears in `dump()`: bytes become 0x-prefixed hex."""
    if isinstance(item, bytes | bytearray):
        return "0x" + bytes(item).hex()
    if isinstance(item, tuple | list):
        return [_json_item(x) for x in item]
    return item


def _check_value(types: tuple[str, ...], value: object) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InputError("a leaf value must be a list with one item per leaf-encoding type")
    if len(value) != len(types):
        raise InputError(f"a leaf value has {len(value)} items but the leaf encoding has {len(types)}")
    return [_abi_item(t, item) for t, item in zip(types, value, strict=True)]


def _encode(types: tuple[str, ...], value: object) -> bytes:
    items = _check_value(types, value)
    if all(t == "bytes32" for t in types):  # the common case (batch digests): no ABI machinery needed
        return b"".join(items)
    from eth_abi import encode
    from eth_abi.exceptions import EncodingError

    try:
        return encode(list(types), items)
    except (EncodingError, ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"leaf value does not match the leaf encoding {list(types)}: {exc}") from None


def standard_leaf_hash(leaf_encoding: Sequence[str], value: Sequence[Any]) -> bytes:
    """keccak256(keccak256(abi.encode(leaf_encoding, value))), as raw bytes."""
    return _leaf_hash(_check_encoding(leaf_encoding), value)


def _leaf_hash(types: tuple[str, ...], value: object) -> bytes:
    return _keccak(_keccak(_encode(types, value)))


def process_proof(leaf: bytes | str, proof: Sequence[bytes | str]) -> bytes:
    """The root a proof leads to from `leaf` (a leaf hash), folding siblings with `node_hash`."""
    if isinstance(proof, str | bytes) or not isinstance(proof, Sequence):
        raise InputError("a proof must be a list of 32-byte hashes")
    node = as_node(leaf, what="leaf")
    keccak = _keccak_impl()  # bound once for the whole proof: thousands of receipts are checked in a run
    for sibling in proof:
        other = as_node(sibling, what="proof element")
        node = keccak(node + other if node <= other else other + node)  # node_hash, inlined
    return node


def verify_proof(
    root: bytes | str, leaf_encoding: Sequence[str], value: Sequence[Any], proof: Sequence[bytes | str]
) -> bool:
    """True iff `proof` leads from `value`'s leaf to `root`. Malformed input raises InputError."""
    expected = as_node(root, what="root")
    return process_proof(standard_leaf_hash(leaf_encoding, value), proof) == expected


def _left(i: int) -> int:
    return 2 * i + 1


def _sibling(i: int) -> int:
    return i + 1 if i % 2 else i - 1


def _parent(i: int) -> int:
    return (i - 1) // 2


@dataclass(frozen=True)
class _Entry:
    value: list[Any]  # JSON form (bytes as 0x-hex), as dumped
    tree_index: int


class StandardMerkleTree:
    """A StandardMerkleTree; build with `of()` or `load()`."""

    def __init__(self, tree: list[bytes], values: list[_Entry], leaf_encoding: tuple[str, ...]) -> None:
        self._tree = tree
        self._values = values
        self._types = leaf_encoding
        self._hex: list[str] | None = None  # the tree as 0x-hex, made once for many proofs
        # leaf hash → value index; on duplicate values the last one wins, as in the JS library
        self._lookup = {tree[e.tree_index]: i for i, e in enumerate(values)}

    @classmethod
    def of(
        cls, values: Sequence[Sequence[Any]], leaf_encoding: Sequence[str], *, sort_leaves: bool = True
    ) -> StandardMerkleTree:
        types = _check_encoding(leaf_encoding)
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise InputError("values must be a list of leaf values")
        if not values:
            raise InputError("a Merkle tree needs at least one value")
        hashed = [(_leaf_hash(types, v), i) for i, v in enumerate(values)]
        if sort_leaves:
            hashed.sort(key=lambda h: h[0])  # stable, like Array.prototype.sort
        n = len(hashed)
        size = 2 * n - 1
        tree: list[bytes] = [b""] * size
        for leaf_index, (h, _) in enumerate(hashed):
            tree[size - 1 - leaf_index] = h
        for i in range(size - 1 - n, -1, -1):
            tree[i] = node_hash(tree[2 * i + 1], tree[2 * i + 2])
        tree_index = [0] * n
        for leaf_index, (_, value_index) in enumerate(hashed):
            tree_index[value_index] = size - 1 - leaf_index
        entries = [_Entry([_json_item(x) for x in v], tree_index[i]) for i, v in enumerate(values)]
        return cls(tree, entries, types)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> StandardMerkleTree:
        """Rebuild a tree from `dump()` output (ours or the JS library's), checking every node."""
        if not isinstance(data, Mapping):
            raise InputError("a dumped Merkle tree must be a JSON object")
        if data.get("format") != FORMAT:
            raise InputError(f"unknown Merkle tree format {data.get('format')!r}", field="format")
        types = _check_encoding(data.get("leafEncoding"))
        raw_tree, raw_values = data.get("tree"), data.get("values")
        if not isinstance(raw_tree, list) or not raw_tree:
            raise InputError("tree must be a non-empty list of hashes", field="tree")
        if not isinstance(raw_values, list) or not raw_values:
            raise InputError("values must be a non-empty list", field="values")
        tree = [as_node(h, what="tree node") for h in raw_tree]
        for i in range(len(tree)):
            if _left(i) < len(tree):
                if _left(i) + 1 >= len(tree):
                    raise InputError("tree is not a complete binary tree", field="tree")
                if tree[i] != node_hash(tree[_left(i)], tree[_left(i) + 1]):
                    raise InputError(f"tree node {i} is not the hash of its children", field="tree")
        entries = []
        for k, item in enumerate(raw_values):
            if not isinstance(item, Mapping) or set(item) != {"value", "treeIndex"}:
                raise InputError("each value must be {value, treeIndex}", field=f"values[{k}]")
            index, value = item["treeIndex"], item["value"]
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(tree):
                raise InputError("treeIndex out of range", field=f"values[{k}].treeIndex")
            if _left(index) < len(tree):
                raise InputError("treeIndex is not a leaf", field=f"values[{k}].treeIndex")
            if _leaf_hash(types, value) != tree[index]:
                raise InputError("value does not hash to its tree leaf", field=f"values[{k}]")
            entries.append(_Entry([_json_item(x) for x in value], index))
        return cls(tree, entries, types)

    def dump(self) -> dict[str, Any]:
        """The JS library's `tree.dump()` shape: {format, leafEncoding, tree, values}."""
        return {
            "format": FORMAT,
            "leafEncoding": list(self._types),
            "tree": [to_hex(h) for h in self._tree],
            "values": [{"value": list(e.value), "treeIndex": e.tree_index} for e in self._values],
        }

    @property
    def root(self) -> str:
        return to_hex(self._tree[0])

    @property
    def root_bytes(self) -> bytes:
        return self._tree[0]

    @property
    def leaf_encoding(self) -> list[str]:
        return list(self._types)

    def __len__(self) -> int:
        return len(self._values)

    def at(self, index: int) -> list[Any]:
        return list(self._values[self._index(index)].value)

    def entries(self) -> Iterator[tuple[int, list[Any]]]:
        for i, e in enumerate(self._values):
            yield i, list(e.value)

    def leaf_hash(self, value: Sequence[Any]) -> str:
        return to_hex(_leaf_hash(self._types, value))

    def leaf_lookup(self, value: Sequence[Any]) -> int:
        """The index of `value` among the values (the last one, if it was given more than once)."""
        found = self._lookup.get(_leaf_hash(self._types, value))
        if found is None:
            raise InputError("value is not in the Merkle tree")
        return found

    def get_proof(self, index_or_value: int | Sequence[Any]) -> list[str]:
        """The sibling hashes from the value's leaf up to (not including) the root."""
        # no re-verification as the JS library does: the tree was checked node by node when built
        i = self._values[self._resolve(index_or_value)].tree_index
        if self._hex is None:  # a batch asks for every proof: hex each node once, not once per proof
            self._hex = [to_hex(node) for node in self._tree]
        nodes, proof = self._hex, []
        while i > 0:  # _sibling and _parent inlined: this loop runs ~17 times per proof at 100,000 leaves
            proof.append(nodes[i + 1 if i % 2 else i - 1])
            i = (i - 1) // 2
        return proof

    def verify(self, index_or_value: int | Sequence[Any], proof: Sequence[bytes | str]) -> bool:
        if isinstance(index_or_value, int):
            index_or_value = self._values[self._resolve(index_or_value)].value
        return process_proof(_leaf_hash(self._types, index_or_value), proof) == self._tree[0]

    def _resolve(self, index_or_value: int | Sequence[Any]) -> int:
        if isinstance(index_or_value, int):
            if isinstance(index_or_value, bool):
                raise InputError("a value index must be an integer, not a boolean")
            return self._index(index_or_value)
        return self.leaf_lookup(index_or_value)

    def _index(self, index: int) -> int:
        if not 0 <= index < len(self._values):
            raise InputError(f"value index {index} is out of range 0..{len(self._values) - 1}")
        return index
