"""EIP-1186 proofs (``eth_getProof``) checked against a trusted state root.

An account's record (nonce, balance, storageRoot, codeHash) is a leaf of the state trie under
keccak256(address); a contract's storage word is a leaf of its storage trie under
keccak256(slot as 32 bytes). A proof is the list of RLP-encoded trie nodes on the path from the
root to that leaf: each node is found by the hash its parent holds, so a proof whose first node
hashes to the root and whose path ends at the key proves the value (or its absence) as surely as
the root itself. Everything else the node says in its answer (the balance, the storage value, the
key) is a claim, compared with what the proof holds.

The trie walk is `trie.HexaryTrie` over a database of exactly the proof's nodes, keyed by the
keccak256 of each node's bytes as sent (no node is decoded and re-encoded before it is hashed).
Pure: takes bytes and ints (`attest.chain.proving.get_proof` fetches and converts the answer);
rlp and trie are imported where they are used (importing trie takes most of a second).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from attest.core.proof_errors import (
    MalformedProof,
    ProofIncomplete,
    ProofKeyMismatch,
    ProofRootMismatch,
    ProofValueMismatch,
)

#: keccak256(rlp(b"")): the root of an empty trie (an account without storage, an empty block).
EMPTY_TRIE_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
#: keccak256(b""): the code hash of an account without code.
EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


@dataclass(frozen=True)
class Account:
    """An account's record in the state trie."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes

    @property
    def exists(self) -> bool:
        """False for the record every absent account has (no nonce, balance, storage or code)."""
        return self != ABSENT_ACCOUNT


#: What the state trie holds for an address it has no leaf for.
ABSENT_ACCOUNT = Account(0, 0, EMPTY_TRIE_ROOT, EMPTY_CODE_HASH)


@dataclass(frozen=True)
class StorageProof:
    """One entry of an eth_getProof answer's storageProof: the slot, the claimed word, the nodes."""

    slot: int
    value: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class AccountProof:
    """An eth_getProof answer as plain data: the claimed account, its proof, the storage proofs."""

    address: bytes
    account: Account
    proof: tuple[bytes, ...]
    storage: tuple[StorageProof, ...] = ()

    def size(self) -> int:
        """Bytes of trie nodes in the answer (account proof and every storage proof)."""
        return sum(map(len, self.proof)) + sum(len(n) for s in self.storage for n in s.proof)


@dataclass(frozen=True)
class ProvenAccount:
    """What a checked answer proves at the trusted state root: the account and the asked words."""

    address: bytes
    account: Account
    storage: Mapping[int, int] = field(default_factory=dict)


def slot_key(slot: int) -> bytes:
    """The 32-byte big-endian form of a storage slot (what eth_getProof and the EVM use)."""
    if not 0 <= slot < 2**256:
        raise ValueError(f"storage slot out of range: {slot}")
    return slot.to_bytes(32, "big")


def mapping_slot(key: bytes, slot: int) -> int:
    """The storage slot of ``mapping[key]`` for a Solidity mapping declared at `slot`, for a 32-byte
    key (bytes32, uint256; pad shorter value types first): keccak256(key ‖ slot)."""
    from eth_utils import keccak

    if len(key) != 32:
        raise ValueError(f"a mapping key is hashed as 32 bytes, got {len(key)}")
    return int.from_bytes(keccak(key + slot_key(slot)), "big")


def trie_value(root: bytes, key: bytes, proof: Sequence[bytes], *, what: str) -> bytes:
    """The value stored under `key` in the trie whose root hash is `root`, read through `proof`
    alone; b"" when the proof shows the key absent. `what` names the key in errors.

    Raises:
        ProofRootMismatch: the proof's first node is not the root (or the proof is empty).
        ProofIncomplete: the key's path needs a node the proof does not hold.
        MalformedProof: a node is not valid RLP or not a trie node.
    """
    from eth_utils import keccak

    if root == EMPTY_TRIE_ROOT:
        return b""  # nothing is stored under an empty trie, whatever the proof holds
    if not proof:
        raise ProofRootMismatch(f"{what}: the proof is empty, the root is 0x{root.hex()}")
    first = bytes(keccak(proof[0]))
    if first != root:
        raise ProofRootMismatch(
            f"{what}: the proof starts at a node hashing to 0x{first.hex()}, not at the root 0x{root.hex()}"
        )
    return _walk(root, key, {bytes(keccak(node)): bytes(node) for node in proof}, what)


def _walk(root: bytes, key: bytes, nodes: dict[bytes, bytes], what: str) -> bytes:
    import rlp  # type: ignore[import-untyped]
    from trie.exceptions import InvalidNode, MissingTrieNode, ValidationError
    from trie.hexary import HexaryTrie

    try:
        value: bytes = HexaryTrie(nodes, root_hash=root).get(key)
    except MissingTrieNode as exc:
        raise ProofIncomplete(
            f"{what}: the proof stops before the key: node 0x{exc.missing_node_hash.hex()} is missing"
        ) from None
    except (rlp.DecodingError, InvalidNode, ValidationError, ValueError, TypeError, IndexError) as exc:
        raise MalformedProof(f"{what}: a proof node is not a trie node ({exc})") from None
    return value


def _uint(raw: object, what: str) -> int:
    """An RLP scalar: bytes, big-endian, without leading zeros (b"" is 0)."""
    if not isinstance(raw, bytes) or raw[:1] == b"\x00":
        raise MalformedProof(f"{what} is not an RLP integer")
    return int.from_bytes(raw, "big")


def decode_account(value: bytes, what: str = "account") -> Account:
    """The account a state-trie leaf holds: rlp([nonce, balance, storageRoot, codeHash])."""
    import rlp

    try:
        items = rlp.decode(value)
    except rlp.DecodingError:
        raise MalformedProof(f"{what}: the leaf is not RLP") from None
    if not isinstance(items, list) or len(items) != 4:
        raise MalformedProof(f"{what}: the leaf is not a 4-item account record")
    nonce, balance, storage_root, code_hash = items
    for name, h in (("storageRoot", storage_root), ("codeHash", code_hash)):
        if not isinstance(h, bytes) or len(h) != 32:
            raise MalformedProof(f"{what}: the leaf's {name} is not 32 bytes")
    return Account(
        _uint(nonce, f"{what}: nonce"), _uint(balance, f"{what}: balance"), storage_root, code_hash
    )


def decode_word(value: bytes, what: str = "storage slot") -> int:
    """The storage word a storage-trie leaf holds: rlp(the word without leading zeros). Ethereum
    deletes a slot set to 0 from the trie, but anvil keeps such a leaf (holding rlp(0)) in the trie
    its own state root commits to: the leaf still proves the value, so 0 is read as 0."""
    import rlp

    try:
        raw = rlp.decode(value)
    except rlp.DecodingError:
        raise MalformedProof(f"{what}: the leaf is not RLP") from None
    word = _uint(raw, what)
    if word >= 2**256:
        raise MalformedProof(f"{what}: the leaf holds no 32-byte word")
    return word


def verify_account(
    state_root: bytes, address: bytes, proof: Sequence[bytes], claimed: Account | None = None
) -> Account:
    """The account `address` has under `state_root` (ABSENT_ACCOUNT if it has none), by `proof`.

    Raises:
        ProofRootMismatch, ProofIncomplete, MalformedProof: the proof proves nothing (see trie_value).
        ProofValueMismatch: `claimed` differs from the proven account (the field is named).
    """
    from eth_utils import keccak

    what = f"account 0x{address.hex()}"
    if len(address) != 20:
        raise ValueError(f"an address is 20 bytes, got {len(address)}")
    leaf = trie_value(state_root, bytes(keccak(address)), proof, what=what)
    account = decode_account(leaf, what) if leaf else ABSENT_ACCOUNT
    if claimed is not None and claimed != account:
        for name in ("nonce", "balance", "storage_root", "code_hash"):
            said, holds = getattr(claimed, name), getattr(account, name)
            if said != holds:
                raise ProofValueMismatch(
                    f"{what}: the node claims {name} {_show(said)}, the proof holds {_show(holds)}"
                )
    return account


def verify_storage(storage_root: bytes, slot: int, proof: Sequence[bytes], claimed: int | None = None) -> int:
    """The word in `slot` under the account's `storage_root` (0 if the slot is empty), by `proof`.

    Raises:
        ProofRootMismatch, ProofIncomplete, MalformedProof: the proof proves nothing (see trie_value).
        ProofValueMismatch: `claimed` differs from the proven word.
    """
    from eth_utils import keccak

    what = f"storage slot 0x{slot_key(slot).hex()}"
    leaf = trie_value(storage_root, bytes(keccak(slot_key(slot))), proof, what=what)
    word = decode_word(leaf, what) if leaf else 0
    if claimed is not None and claimed != word:
        raise ProofValueMismatch(f"{what}: the node claims {claimed:#x}, the proof holds {word:#x}")
    return word


def verify_account_proof(
    state_root: bytes, answer: AccountProof, *, address: bytes, slots: Sequence[int] = ()
) -> ProvenAccount:
    """Check a whole eth_getProof answer for `address` and `slots` against `state_root`.

    The answer must be for the asked address and hold a proof for every asked slot; every claim in
    it (the account fields, each storage value) must be what its proof holds. Extra slots the node
    added are ignored.

    Raises:
        ProofKeyMismatch: the answer is for another address, or lacks an asked slot.
        ProofValueMismatch, ProofRootMismatch, ProofIncomplete, MalformedProof: see verify_account
            and verify_storage.
    """
    if answer.address != address:
        raise ProofKeyMismatch(
            f"asked for a proof of account 0x{address.hex()}, the answer is for 0x{answer.address.hex()}"
        )
    account = verify_account(state_root, address, answer.proof, answer.account)
    by_slot = {s.slot: s for s in answer.storage}
    storage: dict[int, int] = {}
    for slot in slots:
        entry = by_slot.get(slot)
        if entry is None:
            raise ProofKeyMismatch(
                f"account 0x{address.hex()}: the answer holds no proof for storage slot "
                f"0x{slot_key(slot).hex()}"
            )
        storage[slot] = verify_storage(account.storage_root, slot, entry.proof, entry.value)
    return ProvenAccount(address, account, storage)


def _show(value: int | bytes) -> str:
    return f"0x{value.hex()}" if isinstance(value, bytes) else str(value)
