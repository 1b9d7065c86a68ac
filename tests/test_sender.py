"""The window sender (attest.chain.sender) on a real anvil node and on the embedded chain."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

import pytest
from conftest import Consortium, build_consortium, watch_requests
from eth_account import Account

from attest.chain.connection import Chain
from attest.chain.sender import (
    Call,
    Receipt,
    Signed,
    WindowSender,
    WindowSigner,
    send_window,
    signing_backend,
)
from attest.core.contracts import Kind
from attest.core.errors import ChainError, TransactionReverted


def attest_call(c: Consortium, digest: str, year: int = 2022) -> Call:
    data = c.dep.registry.call_data("attest", bytes.fromhex(digest), int(Kind.FILE), year, b"\0" * 32, "")
    return Call(c.dep.registry.address, bytes.fromhex(data[2:]), shape="file")


def digest(i: int) -> str:
    return hashlib.sha256(f"windowed-{i}".encode()).hexdigest()


class Watching:
    """A recorder that checks, at each step, what the node already has (asked on a connection of
    its own, so the sender's requests can be counted apart)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain if chain.tester is not None else Chain.connect(chain.name)
        self.steps: list[tuple[str, int]] = []

    def signed(self, txs: Sequence[Signed]) -> None:
        # recorded before anything leaves: the node knows none of them yet
        assert not any(self.chain.knows_transaction(t.tx_hash) for t in txs)
        self.steps.append(("signed", len(txs)))

    def sent(self, txs: Sequence[Signed]) -> None:
        assert all(self.chain.knows_transaction(t.tx_hash) for t in txs)
        self.steps.append(("sent", len(txs)))

    def settled(self, done: Sequence[tuple[Signed, Receipt, TransactionReverted | None]]) -> None:
        self.steps.append(("settled", len(done)))


def test_signs_with_coincurve() -> None:
    assert signing_backend() == "CoinCurveECCBackend"


@pytest.mark.parametrize(
    "fees",
    [
        {"maxFeePerGas": 3 * 10**9 + 7, "maxPriorityFeePerGas": 10**9},
        {"gasPrice": 0},
        {"gasPrice": 10**9 + 3},
    ],
)
def test_signer_makes_the_bytes_eth_account_makes(fees: dict[str, int]) -> None:
    """The window signer builds the RLP itself (3× faster): the bytes and hash must be eth_account's."""
    account = Account.create()
    for chain_id, nonce, data in (
        (31337, 0, b""),
        (1, 41, os.urandom(196)),
        (2**31 - 1, 2**40, b"\x00" * 68),
    ):
        call = Call("0x5FbDB2315678afecb367f032d93F642f64180aa3", data)
        mine = WindowSigner(account, {"chainId": chain_id, **fees}).sign(call, nonce, 123_456)
        theirs = account.sign_transaction(
            {
                "chainId": chain_id,
                **fees,
                "to": call.to,
                "data": data,
                "gas": 123_456,
                "nonce": nonce,
                "value": 0,
            }
        )
        assert mine.raw == bytes(theirs.raw_transaction)
        assert mine.tx_hash == theirs.hash.to_0x_hex()


def test_rlp_is_pyrlp_s() -> None:
    """The transaction encoder's RLP, against pyrlp (eth-account's own) on the edge cases."""
    import rlp as pyrlp

    from attest.chain.sender import rlp

    cases: list[Any] = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 2**64 - 1, 2**255, b"", b"\x00", b"\x7f", b"\x80"]
    cases += [os.urandom(n) for n in (1, 54, 55, 56, 57, 255, 256, 1024, 70_000)]
    cases += [[], [b""], [0, [1, [2, []]]], [os.urandom(60)] * 3, [b"x" * 30, b"y" * 30]]
    for case in cases:
        assert rlp(case) == pyrlp.encode(case), case
    with pytest.raises(ValueError):
        rlp(-1)


@pytest.mark.anvil
def test_a_window_of_fifty_in_a_few_requests(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    w3 = c.chain.w3
    start_nonce = w3.eth.get_transaction_count(c.bank.address, "pending")
    requests = counting_requests(c.chain)
    watching = Watching(c.chain)
    outcomes = send_window(c.chain, c.bank, [attest_call(c, digest(i)) for i in range(50)], recorder=watching)
    assert all(o.error is None and o.receipt is not None and o.receipt.ok for o in outcomes)
    assert [o.signed.nonce for o in outcomes if o.signed] == list(range(start_nonce, start_nonce + 50))
    assert w3.eth.get_transaction_count(c.bank.address, "latest") == start_nonce + 50
    assert watching.steps == [("signed", 50), ("sent", 50), ("settled", 50)]
    # one batch for nonce + dry run, the fee read, one send batch, receipt poll(s), the head
    assert requests() <= 10, requests()
    for i in range(50):
        a = c.dep.attestation_of(c.bank_id, digest(i))
        assert a is not None and a.kind is Kind.FILE and a.attester == c.bank.address


@pytest.mark.anvil
def test_a_revert_on_chain_is_decoded_and_the_others_still_land(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    send_window(c.chain, c.bank, [attest_call(c, digest(1))])
    # one dry run for the shape (digest 2 passes it): digest 1 again reverts on-chain
    outcomes = send_window(c.chain, c.bank, [attest_call(c, d) for d in (digest(2), digest(1), digest(3))])
    assert [o.error is None for o in outcomes] == [True, False, True]
    bad = outcomes[1]
    assert isinstance(bad.error, TransactionReverted) and bad.error.error_name == "AlreadyAttested"
    assert bad.receipt is not None and not bad.receipt.ok
    assert c.dep.attestation_of(c.bank_id, digest(3)) is not None  # later nonces were not blocked


@pytest.mark.anvil
def test_a_bad_dry_run_is_refused_before_anything_is_signed(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    before = c.chain.w3.eth.get_transaction_count(c.outsider.address, "pending")
    watching = Watching(c.chain)
    outcomes = send_window(
        c.chain, c.outsider, [attest_call(c, digest(9)), attest_call(c, digest(10))], recorder=watching
    )
    for o in outcomes:
        assert isinstance(o.error, TransactionReverted) and o.error.error_name == "NotMember"
        assert o.signed is None
    assert watching.steps == []  # nothing recorded, nothing sent
    assert c.chain.w3.eth.get_transaction_count(c.outsider.address, "pending") == before


@pytest.mark.anvil
def test_a_refused_transaction_ends_the_window(anvil_consortium: Consortium) -> None:
    """The node refuses the transactions (the account cannot pay for their gas): each outcome says
    why, nothing is left in the node's pool, and nothing after the first refusal counts as sent."""
    c = anvil_consortium
    calls = [attest_call(c, digest(20 + i)) for i in range(4)]
    c.chain.w3.provider.make_request("anvil_setBalance", [c.bank.address, hex(10**9)])
    watching = Watching(c.chain)
    outcomes = send_window(c.chain, c.bank, calls, recorder=watching)
    assert all(o.receipt is None and isinstance(o.error, ChainError) for o in outcomes)
    assert "insufficient funds" in str(outcomes[0].error)
    assert not any(c.chain.knows_transaction(o.signed.tx_hash) for o in outcomes if o.signed)
    assert watching.steps == [("signed", 4)]  # recorded before it left; nothing sent, nothing settled


def test_a_window_goes_out_highest_nonce_first_in_one_request(anvil_consortium: Consortium) -> None:
    """So that a node mining each transaction as it arrives never mines one of the window while the
    next arrive (anvil then can strand a transaction behind an already-mined predecessor)."""
    c = anvil_consortium
    sends: list[list[int]] = []
    client: Any = c.chain.client
    batch = client.answers

    def watched(calls: Any) -> Any:
        raws = [
            bytes.fromhex(params[0][2:]) for method, params in calls if method == "eth_sendRawTransaction"
        ]
        if raws:
            sends.append([decoded_nonce(r) for r in raws])
        return batch(calls)

    client.answers = watched
    start = c.chain.nonce(c.bank.address, "pending")
    outcomes = send_window(c.chain, c.bank, [attest_call(c, digest(40 + i)) for i in range(30)])
    assert all(o.receipt is not None and o.receipt.ok for o in outcomes)
    assert sends == [list(range(start + 29, start - 1, -1))]


def decoded_nonce(raw: bytes) -> int:
    from eth_account.typed_transactions import TypedTransaction
    from hexbytes import HexBytes

    return int(TypedTransaction.from_bytes(HexBytes(raw)).as_dict()["nonce"])


@pytest.mark.anvil
def test_pipelined_windows_number_their_nonces_on(anvil_consortium: Consortium) -> None:
    """The next window is signed while the node mines the one before, and sent once it is mined."""
    c = anvil_consortium
    start_nonce = c.chain.nonce(c.bank.address, "pending")
    with WindowSender(c.chain, c.bank) as pipe:
        first = pipe.prepare([attest_call(c, digest(30 + i)) for i in range(40)])
        pipe.send(first)
        second = pipe.prepare([attest_call(c, digest(80 + i)) for i in range(40)])  # while it is mined
        pipe.mined(first)
        pipe.send(second)
        outcomes = pipe.outcomes(first) + pipe.outcomes(second)
    assert [o.signed.nonce for o in outcomes if o.signed] == list(range(start_nonce, start_nonce + 80))
    assert all(o.receipt is not None and o.receipt.ok for o in outcomes)


def test_the_embedded_chain_goes_the_same_way_one_by_one() -> None:
    c = build_consortium(Chain.embedded())
    watching = Watching(c.chain)
    outcomes = send_window(c.chain, c.bank, [attest_call(c, digest(i)) for i in range(5)], recorder=watching)
    assert all(o.receipt is not None and o.receipt.ok for o in outcomes)
    assert watching.steps == [("signed", 5), ("sent", 5), ("settled", 5)]
    assert all(c.dep.attestation_of(c.bank_id, digest(i)) is not None for i in range(5))


def counting_requests(chain: Chain, *, carrying: str | None = None) -> Any:
    """Count the HTTP requests the chain's client makes from now on (a batch counts once); with
    `carrying`, only those that carry that method."""
    count = [0]

    def seen(calls: Any, _: Any) -> None:
        count[0] += carrying is None or any(method == carrying for method, _ in calls)

    watch_requests(chain, seen)
    return lambda: count[0]


def counting_sends(chain: Chain) -> Any:
    """Count the requests that carry eth_sendRawTransaction from now on."""
    return counting_requests(chain, carrying="eth_sendRawTransaction")
