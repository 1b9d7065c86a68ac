"""The receipts trie rebuilt from a block's receipts gives the header's receiptsRoot — on anvil blocks
holding a hundred registry transactions and legacy, access-list, EIP-1559 and reverted ones, and on
the embedded chain — and a forged log or receipt (changed, left out, added, moved) does not."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from conftest import Consortium
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from attest.chain.anchoring import AnchorRequest, anchor
from attest.chain.connection import Chain
from attest.chain.deployment import unsigned_call
from attest.chain.proving import block_header, block_receipts
from attest.chain.rpc import HttpRpc
from attest.core.chain_family import ETHEREUM
from attest.core.contracts import Kind
from attest.core.header import BlockHeader
from attest.core.proof_errors import MalformedProof, ReceiptsRootMismatch
from attest.core.receipt_trie import (
    TxReceipt,
    check_receipts,
    encode_receipt,
    logs_bloom,
    receipts_root,
    trie_root,
)


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def trusted(source: Any, number: int) -> BlockHeader:
    header, claimed = block_header(source, number)
    return ETHEREUM.accept(header, claimed)


def mixed_transactions(c: Consortium, *, legacy: bool) -> list[str]:
    """Sent, not waited for: the rival's restatement of an attestation it made (two logs:
    Superseded, Attested), legacy (type 0) or EIP-1559 (type 2); an access-list transfer (type 1); an
    EIP-1559 transfer (type 2); an attestation by an outsider that reverts on-chain (status 0).
    Call it with the chain's mining off; `mixed_block` and the embedded test do."""
    chain, reg = c.chain, c.dep.registry.functions
    old = c.dep.attestation_of(c.rival_id, sha("restated").hex())
    assert old is not None
    gas_price = 2 * chain.base_fee() + 10**9
    restate = unsigned_call(reg.attest(sha("restatement"), 3, 2022, bytes.fromhex(old.uid[2:]), ""), c.rival)
    refused = unsigned_call(reg.attest(sha("refused"), 3, 2022, b"\0" * 32, ""), c.outsider)
    sent = []
    for account, tx in [
        (c.rival, {**restate, "gasPrice": gas_price} if legacy else restate),
        (c.verifier, {"to": Account.create().address, "value": 1, "gasPrice": gas_price, "accessList": []}),
        (c.committee[2], {"to": Account.create().address, "value": 1}),
        (c.outsider, {**refused, "gas": 200_000}),
    ]:
        built = chain.build(account, tx)
        sent.append(chain.send_raw(account.sign_transaction(built).raw_transaction))
    return sent


@pytest.fixture(autouse=True)
def automine_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """The shared anvil is left as it was found: a block per transaction. (These tests turn
    automine off or mine a block a second; a later test on the same node then saw blocks it did not
    make, and the recent states anvil keeps ran out under it.)"""
    url = request.getfixturevalue("anvil").rpc_url if "anvil_consortium" in request.fixturenames else None
    yield
    if url is not None:
        rpc = HttpRpc(url)
        rpc.call("evm_setIntervalMining", [0])
        rpc.call("evm_setAutomine", [True])


def mixed_anvil_block(c: Consortium, rpc: HttpRpc) -> int:
    """The number of one anvil block holding exactly the mixed transactions (automine is left off)."""
    c.dep.attest(c.rival, sha("restated").hex(), Kind.FILE, 2022)
    rpc.call("evm_setAutomine", [False])
    sent = mixed_transactions(c, legacy=True)
    rpc.call("evm_mine", [])
    numbers = {int(c.chain.receipt(tx)["blockNumber"]) for tx in sent}
    assert len(numbers) == 1
    return numbers.pop()


def forgeries(receipts: list[TxReceipt]) -> dict[str, list[TxReceipt]]:
    """Each a block's receipts with one lie; the receipt `i` holds at least two logs."""
    i = next(k for k, r in enumerate(receipts) if len(r.logs) >= 2)
    r = receipts[i]
    log = r.logs[0]

    def at(new: TxReceipt) -> list[TxReceipt]:
        return [*receipts[:i], new, *receipts[i + 1 :]]

    return {
        "a log's data changed": at(replace(r, logs=(replace(log, data=log.data + b"\x01"), *r.logs[1:]))),
        "a log's topic changed": at(
            replace(r, logs=(replace(log, topics=(b"\x00" * 32, *log.topics[1:])), *r.logs[1:]))
        ),
        "a log's address changed": at(replace(r, logs=(replace(log, address=b"\x01" * 20), *r.logs[1:]))),
        "a log left out": at(replace(r, logs=r.logs[1:])),
        "a log added": at(replace(r, logs=(*r.logs, log))),
        "two logs swapped": at(replace(r, logs=(r.logs[1], r.logs[0], *r.logs[2:]))),
        "the status flipped": at(replace(r, status=1 - r.status)),
        "the gas changed": at(replace(r, cumulative_gas_used=r.cumulative_gas_used + 1)),
        "the type changed": at(replace(r, tx_type=0 if r.tx_type else 2)),
        "a receipt left out": receipts[:i] + receipts[i + 1 :],
        "a receipt added": [*receipts, r],
        "two receipts swapped": swapped(receipts, i, i - 1 if i else i + 1),
    }


def swapped(items: list[TxReceipt], a: int, b: int) -> list[TxReceipt]:
    out = list(items)
    out[a], out[b] = out[b], out[a]
    return out


@pytest.mark.anvil
def test_anvil_blocks_rebuild_their_receipts_root(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    url = c.chain.name
    rpc = HttpRpc(url)
    first = c.chain.head()
    mixed = mixed_anvil_block(c, rpc)
    rpc.call("evm_setIntervalMining", [1])  # a block a second: a window of 100 lands in one block
    requests = [AnchorRequest(sha(f"doc {i}").hex(), Kind.FILE, 2022) for i in range(100)]
    results = [r for window in anchor(c.dep, c.bank, requests, window=100) for r in window]
    assert all(r.error is None for r in results)
    blocks = range(first, c.chain.head() + 1)
    sizes = {n: len(c.chain.block(n)["transactions"]) for n in blocks}
    big = max(sizes, key=lambda n: sizes[n])
    assert sizes[big] >= 100 and sizes[mixed] == 4
    types, statuses = set(), set()
    for n in blocks:
        header = trusted(url, n)
        receipts = block_receipts(url, n)  # eth_getBlockReceipts
        assert block_receipts(url, n, prefer_block_receipts=False) == receipts  # per transaction, batched
        assert block_receipts(c.chain, n) == receipts  # web3's formatted answers
        check_receipts(receipts, header.receipts_root, block=n)
        for raw, r in zip(rpc.call("eth_getBlockReceipts", [hex(n)]), receipts, strict=True):
            assert logs_bloom(r.logs) == bytes.fromhex(raw["logsBloom"][2:])  # the bloom we compute
        computed = [replace(r, bloom=None) for r in receipts]  # the node's bloom, or ours: one root
        check_receipts(computed, header.receipts_root, block=n)
        if any(r.logs for r in receipts):  # a node's forged bloom rebuilds another root
            forged = [replace(r, bloom=b"\xff" * 256) if r.logs else r for r in receipts]
            with pytest.raises(ReceiptsRootMismatch):
                check_receipts(forged, header.receipts_root, block=n)
        types |= {r.tx_type for r in receipts}
        statuses |= {r.status for r in receipts}
    assert types == {0, 1, 2} and statuses == {0, 1}

    receipts = block_receipts(url, big)
    root = trusted(url, big).receipts_root
    runs = 5
    start = time.perf_counter()
    for _ in range(runs):
        assert receipts_root(receipts) == root
    per_rebuild = (time.perf_counter() - start) / runs
    print(
        f"\nreceipts trie of a block of {len(receipts)} transactions: rebuilt in {per_rebuild * 1000:.1f} ms"
    )
    assert per_rebuild < 2.0


@pytest.mark.anvil
def test_a_forged_receipt_does_not_rebuild_the_root(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    url = c.chain.name
    n = mixed_anvil_block(c, HttpRpc(url))
    header, receipts = trusted(url, n), block_receipts(url, n)
    check_receipts(receipts, header.receipts_root, block=n)
    _, block_hash = block_header(url, n)
    assert block_receipts(url, block_hash) == receipts  # asked by the trusted block's hash
    assert block_receipts(url, block_hash, prefer_block_receipts=False) == receipts
    for lie, forged in forgeries(receipts).items():
        assert forged != receipts, lie
        with pytest.raises(ReceiptsRootMismatch, match=f"block {n}: its {len(forged)} receipts rebuild"):
            check_receipts(forged, header.receipts_root, block=n)
    with pytest.raises(ReceiptsRootMismatch):
        check_receipts(receipts, trusted(url, n - 1).receipts_root, block=n)  # another block's root


def test_embedded_blocks_rebuild_their_receipts_root(consortium: Consortium) -> None:
    """eth-tester's receipts are complete enough (type, status, cumulative gas, logs; no bloom, which
    is computed): every block of the set-up, and one with four transactions of two types, one
    reverted."""
    c = consortium
    chain: Chain = c.chain
    for n in range(chain.head() + 1):
        check_receipts(block_receipts(chain, n), trusted(chain, n).receipts_root, block=n)
    c.dep.attest(c.rival, sha("restated").hex(), Kind.FILE, 2022)
    chain.tester.disable_auto_mine_transactions()
    try:
        sent = mixed_transactions(c, legacy=False)  # eth-tester refuses a pending legacy EIP-155 one
        chain.tester.mine_blocks(1)
    finally:
        chain.tester.enable_auto_mine_transactions()
    n = int(chain.receipt(sent[0])["blockNumber"])
    receipts = block_receipts(chain, n)
    assert len(receipts) == 4
    assert {r.tx_type for r in receipts} == {1, 2} and {r.status for r in receipts} == {0, 1}
    check_receipts(receipts, trusted(chain, n).receipts_root, block=n)
    for lie, forged in forgeries(receipts).items():
        with pytest.raises(ReceiptsRootMismatch):
            check_receipts(forged, trusted(chain, n).receipts_root, block=n)
        assert forged != receipts, lie


def test_receipts_that_cannot_be_encoded_are_named() -> None:
    good = TxReceipt(2, 1, 21000, ())
    assert encode_receipt(good)[0] == 2 and encode_receipt(replace(good, tx_type=0))[0] >= 0xC0
    for bad, match in [
        (replace(good, tx_type=0x80), "not an EIP-2718 type"),
        (replace(good, status=2), "neither 0 nor 1"),
    ]:
        with pytest.raises(MalformedProof, match=match):
            encode_receipt(bad)
    assert receipts_root([]) == bytes.fromhex(
        "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    )


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.binary(min_size=0, max_size=6), st.binary(min_size=1, max_size=70), max_size=40))
def test_the_one_pass_root_is_hexary_tries_root(items: dict[bytes, bytes]) -> None:
    """`trie_root` builds in one pass what `trie.HexaryTrie` builds by insertions: short and long
    values (embedded and hashed children), keys that are prefixes of others, shared prefixes."""
    from trie.hexary import HexaryTrie

    t = HexaryTrie({})
    for k, v in items.items():
        t.set(k, v)
    assert trie_root(items) == bytes(t.root_hash)


def test_the_one_pass_root_of_many_receipts_keys() -> None:
    import rlp
    from trie.hexary import HexaryTrie

    items = {rlp.encode(i): bytes([i % 251]) * (1 + i % 90) for i in range(300)}  # rlp(0)..rlp(299)
    t = HexaryTrie({})
    for k, v in items.items():
        t.set(k, v)
    assert trie_root(items) == bytes(t.root_hash)
