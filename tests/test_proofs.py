"""EIP-1186 proofs from anvil's eth_getProof, checked against the block header's stateRoot: the real
registry's account and storage (its attestation records) are proven, and every forged answer — a
changed value, another key, a truncated or tampered proof, another block's root — is refused."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from conftest import Consortium
from eth_account import Account as EthAccount
from eth_utils import keccak

from attest.chain.anchoring import AnchorRequest, anchor
from attest.chain.proving import block_header, get_proof
from attest.chain.rpc import HttpRpc
from attest.core.chain_family import ETHEREUM
from attest.core.contracts import Kind
from attest.core.header import BlockHeader
from attest.core.proof_errors import (
    MalformedProof,
    ProofError,
    ProofIncomplete,
    ProofKeyMismatch,
    ProofRootMismatch,
    ProofValueMismatch,
)
from attest.core.proofs import (
    ABSENT_ACCOUNT,
    EMPTY_TRIE_ROOT,
    AccountProof,
    StorageProof,
    mapping_slot,
    trie_value,
    verify_account,
    verify_account_proof,
    verify_storage,
)

pytestmark = pytest.mark.anvil

#: AttestationRegistry's storage: EIP712's two fallback strings (slots 0, 1), Nonces' mapping (2),
#: then `_attestations` (3) and `_supersededBy` (4).
ATTESTATIONS_SLOT = 3


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@dataclass
class World:
    c: Consortium
    url: str
    registry: bytes
    uids: list[bytes]
    header: BlockHeader
    slots: list[int]
    answer: AccountProof


def trusted_header(url: str, block: int | str) -> BlockHeader:
    header, claimed = block_header(url, block)
    return ETHEREUM.accept(header, claimed)


@pytest.fixture
def world(anvil_consortium: Consortium) -> Iterator[World]:
    c = anvil_consortium
    uids = [
        bytes.fromhex(c.dep.attest(c.bank, sha(f"doc {i}").hex(), Kind.FILE, 2022).attestation.uid[2:])
        for i in range(2)
    ]
    url = c.chain.name
    header = trusted_header(url, "latest")
    registry = bytes.fromhex(c.dep.registry.address[2:])
    slots = [0, 1, 2, 3, *(mapping_slot(u, ATTESTATIONS_SLOT) for u in uids)]
    yield World(c, url, registry, uids, header, slots, get_proof(url, registry, slots, header.number))


def unpack_attestation(word: int) -> dict[str, int]:
    """The registry's packed record: attester (160 bits), orgId (32), blockNumber (32), year (16),
    kind (8), revoked (8), from the low bits up."""
    return {
        "attester": word & (2**160 - 1),
        "org_id": (word >> 160) & (2**32 - 1),
        "block_number": (word >> 192) & (2**32 - 1),
        "year": (word >> 224) & (2**16 - 1),
        "kind": (word >> 240) & 0xFF,
        "revoked": word >> 248,
    }


def test_the_registry_account_and_its_records_are_proven(world: World) -> None:
    c, w = world.c, world
    proven = verify_account_proof(w.header.state_root, w.answer, address=w.registry, slots=w.slots)
    code = HttpRpc(w.url).call("eth_getCode", [c.dep.registry.address, hex(w.header.number)])
    assert proven.account.code_hash == keccak(bytes.fromhex(code[2:]))
    assert proven.account.nonce == 1 and proven.account.balance == 0 and proven.account.exists
    assert [proven.storage[s] for s in range(4)] == [0, 0, 0, 0]  # empty: proofs of absence
    for uid in w.uids:
        record = unpack_attestation(proven.storage[mapping_slot(uid, ATTESTATIONS_SLOT)])
        on_chain = c.dep.attestation("0x" + uid.hex())
        assert on_chain is not None
        assert record == {
            "attester": int(c.bank.address, 16),
            "org_id": c.bank_id,
            "block_number": on_chain.block_number,
            "year": 2022,
            "kind": int(Kind.FILE),
            "revoked": 0,
        }
    # web3's formatted answer (ints, HexBytes) is the same answer
    assert get_proof(c.chain, c.dep.registry.address, w.slots, w.header.number) == w.answer
    # many slots in few calls (one batch request) give the same answer, and so does the block's hash
    assert get_proof(w.url, w.registry, w.slots, w.header.number, slots_per_call=2) == w.answer
    block_hash = bytes.fromhex(
        HttpRpc(w.url).call("eth_getBlockByNumber", [hex(w.header.number), False])["hash"][2:]
    )
    assert get_proof(w.url, w.registry, w.slots, block_hash) == w.answer  # EIP-1898 {"blockHash": ...}


def test_an_absent_account_and_an_eoa_are_proven(world: World) -> None:
    c, w = world.c, world
    nobody = bytes.fromhex(EthAccount.create().address[2:])
    answer = get_proof(w.url, nobody, [0], w.header.number)
    proven = verify_account_proof(w.header.state_root, answer, address=nobody, slots=[0])
    assert proven.account == ABSENT_ACCOUNT and not proven.account.exists and proven.storage == {0: 0}
    bank = bytes.fromhex(c.bank.address[2:])
    account = verify_account(w.header.state_root, bank, get_proof(w.url, bank, [], w.header.number).proof)
    balance = HttpRpc(w.url).call("eth_getBalance", [c.bank.address, hex(w.header.number)])
    assert account.balance == int(balance, 16) > 0 and account.nonce == 2
    assert account.storage_root == EMPTY_TRIE_ROOT


def forged_storage(answer: AccountProof, index: int, **changes: Any) -> AccountProof:
    storage = list(answer.storage)
    storage[index] = replace(storage[index], **changes)
    return replace(answer, storage=tuple(storage))


def test_a_changed_value_is_refused(world: World) -> None:
    w = world
    root = w.header.state_root
    record = w.answer.storage[4]
    assert record.value != 0
    for forged, match in [
        (forged_storage(w.answer, 4, value=record.value ^ 1), "the node claims 0x"),  # a record altered
        (forged_storage(w.answer, 0, value=5), "claims 0x5, the proof holds 0x0"),  # an empty slot filled
        (replace(w.answer, account=replace(w.answer.account, balance=10**18)), "claims balance"),
        (replace(w.answer, account=replace(w.answer.account, code_hash=b"\x01" * 32)), "claims code_hash"),
        (replace(w.answer, account=replace(w.answer.account, storage_root=b"\x02" * 32)), "storage_root"),
    ]:
        with pytest.raises(ProofValueMismatch, match=match):
            verify_account_proof(root, forged, address=w.registry, slots=w.slots)


def test_a_proof_for_another_key_is_refused(world: World) -> None:
    w, c = world, world.c
    root = w.header.state_root
    other = bytes.fromhex(c.bank.address[2:])
    # the answer says it is for another account, or holds no entry for an asked slot
    with pytest.raises(ProofKeyMismatch, match="the answer is for 0x"):
        verify_account_proof(root, replace(w.answer, address=other), address=w.registry, slots=w.slots)
    with pytest.raises(ProofKeyMismatch, match="holds no proof for storage slot"):
        verify_account_proof(root, forged_storage(w.answer, 5, slot=12345), address=w.registry, slots=w.slots)
    # the answer names the asked key but carries another key's nodes
    first, second = w.answer.storage[4], w.answer.storage[5]
    swapped = forged_storage(w.answer, 5, proof=first.proof, value=first.value)
    with pytest.raises((ProofValueMismatch, ProofIncomplete)):
        verify_account_proof(root, swapped, address=w.registry, slots=w.slots)
    bank_proof = get_proof(w.url, other, [], w.header.number)
    with pytest.raises(ProofError) as caught:
        verify_account(root, w.registry, bank_proof.proof, w.answer.account)
    assert isinstance(caught.value, ProofIncomplete | ProofValueMismatch)
    assert second.value != 0


def test_a_truncated_or_tampered_proof_is_refused(world: World) -> None:
    w = world
    root = w.header.state_root
    nodes = w.answer.proof
    assert len(nodes) >= 2
    with pytest.raises(ProofIncomplete, match="the proof stops before the key: node 0x"):
        verify_account(root, w.registry, nodes[:-1])
    with pytest.raises(ProofRootMismatch, match="the proof starts at a node hashing to"):
        verify_account(root, w.registry, nodes[1:])
    with pytest.raises(ProofRootMismatch, match="the proof is empty"):
        verify_account(root, w.registry, ())
    leaf = bytearray(nodes[-1])
    leaf[-1] ^= 1  # one bit of the account record: the parent no longer points at this node
    with pytest.raises(ProofIncomplete):
        verify_account(root, w.registry, (*nodes[:-1], bytes(leaf)))
    top = bytearray(nodes[0])
    top[5] ^= 1
    with pytest.raises(ProofRootMismatch):
        verify_account(root, w.registry, (bytes(top), *nodes[1:]))
    storage = w.answer.storage[4]
    account = verify_account(root, w.registry, nodes)
    with pytest.raises(ProofRootMismatch):
        verify_storage(account.storage_root, storage.slot, (), storage.value)
    if len(storage.proof) > 1:
        with pytest.raises(ProofIncomplete):
            verify_storage(account.storage_root, storage.slot, storage.proof[:-1], storage.value)
    with pytest.raises(MalformedProof, match="not a trie node"):
        trie_value(keccak(b"\x01\x02"), b"\x00" * 32, [b"\x01\x02"], what="junk")


def test_a_proof_against_another_blocks_root_is_refused(world: World) -> None:
    w, c = world, world.c
    c.dep.attest(c.bank, sha("a later document").hex(), Kind.FILE, 2022)
    later = trusted_header(w.url, "latest")
    assert later.state_root != w.header.state_root
    with pytest.raises(ProofRootMismatch, match="not at the root"):
        verify_account_proof(later.state_root, w.answer, address=w.registry, slots=w.slots)
    newer = get_proof(w.url, w.registry, w.slots, later.number)
    with pytest.raises(ProofRootMismatch):
        verify_account_proof(w.header.state_root, newer, address=w.registry, slots=w.slots)
    # the storage proofs alone, against the older account's storage root
    old_account = verify_account(w.header.state_root, w.registry, w.answer.proof)
    new_account = verify_account(later.state_root, w.registry, newer.proof)
    assert old_account.storage_root != new_account.storage_root
    with pytest.raises(ProofRootMismatch):
        verify_storage(old_account.storage_root, newer.storage[4].slot, newer.storage[4].proof)


def test_an_empty_storage_trie_proves_every_slot_empty() -> None:
    assert verify_storage(EMPTY_TRIE_ROOT, 7, ()) == 0
    assert verify_storage(EMPTY_TRIE_ROOT, 7, (b"\x80",)) == 0
    with pytest.raises(ProofValueMismatch):
        verify_storage(EMPTY_TRIE_ROOT, 7, (), claimed=1)
    assert StorageProof(7, 0, ()).slot == 7


def test_measure_an_account_and_5_slot_proof(anvil_consortium: Consortium) -> None:
    """Size and core-only check time of a registry account + 5 attestation slots, the registry
    holding 200 attestations (a storage trie 2–3 levels deep)."""
    c = anvil_consortium
    requests = [AnchorRequest(sha(f"bulk {i}").hex(), Kind.FILE, 2022) for i in range(200)]
    results = [r for window in anchor(c.dep, c.bank, requests, window=100) for r in window]
    uids = [bytes.fromhex(r.unwrap().attestation.uid[2:]) for r in results[:5]]
    header = trusted_header(c.chain.name, "latest")
    registry = bytes.fromhex(c.dep.registry.address[2:])
    slots = [mapping_slot(u, ATTESTATIONS_SLOT) for u in uids]
    answer = get_proof(c.chain.name, registry, slots, header.number)
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        proven = verify_account_proof(header.state_root, answer, address=registry, slots=slots)
    per_check = (time.perf_counter() - start) / runs
    assert all(proven.storage[s] != 0 for s in slots)
    nodes = len(answer.proof) + sum(len(s.proof) for s in answer.storage)
    print(
        f"\naccount + 5 slots: {answer.size()} proof bytes in {nodes} nodes "
        f"(account {sum(map(len, answer.proof))} B); check {per_check * 1000:.2f} ms"
    )
    assert per_check < 0.5
