"""The pipelined sender on a real anvil node: 50 attestations, all mined, nonces contiguous."""

from __future__ import annotations

import hashlib

import pytest
from conftest import Consortium

from attest.chain.sender import PipelinedSender, signing_backend
from attest.core.contracts import Kind
from attest.core.errors import TransactionReverted

pytestmark = pytest.mark.anvil


def attest_call(c: Consortium, digest: str, year: int = 2022) -> dict[str, object]:
    data = c.dep.registry.encode_abi(
        "attest", args=[bytes.fromhex(digest), int(Kind.FILE), year, b"\0" * 32, ""]
    )
    return {"to": c.dep.registry.address, "data": data}


def digest(i: int) -> str:
    return hashlib.sha256(f"pipelined-{i}".encode()).hexdigest()


def test_signs_with_coincurve() -> None:
    assert signing_backend() == "CoinCurveECCBackend"


def test_fifty_attestations_pipelined(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    w3 = c.chain.w3
    start_nonce = w3.eth.get_transaction_count(c.bank.address, "pending")
    sender = PipelinedSender(c.chain, c.bank)
    mined = sender.send_all([attest_call(c, digest(i)) for i in range(50)])
    assert len(mined) == 50 and all(m.ok for m in mined)
    assert [m.nonce for m in mined] == list(range(start_nonce, start_nonce + 50))
    assert [w3.eth.get_transaction(m.tx_hash)["nonce"] for m in mined] == [m.nonce for m in mined]
    assert w3.eth.get_transaction_count(c.bank.address, "latest") == start_nonce + 50
    # a handful of HTTP requests for 50 transactions: nonce, 1 send batch, receipt batch(es), fees
    assert sender.requests <= 6
    for i in range(50):
        a = c.dep.attestation_of(c.bank_id, digest(i))
        assert a is not None and a.kind is Kind.FILE and a.attester == c.bank.address
    # a second run continues from the next nonce
    more = sender.send_all([attest_call(c, digest(100 + i)) for i in range(3)])
    assert [m.nonce for m in more] == [start_nonce + 50, start_nonce + 51, start_nonce + 52]


def test_reverts_are_reported_after_collection(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    sender = PipelinedSender(c.chain, c.bank)
    sender.send_all([attest_call(c, digest(1))])
    calls = [
        attest_call(c, digest(2)),
        attest_call(c, digest(1)),
        attest_call(c, digest(3)),
    ]  # 2nd: AlreadyAttested
    with pytest.raises(TransactionReverted, match="1 of 3"):
        sender.send_all(calls)
    mined = PipelinedSender(c.chain, c.bank).send_all([attest_call(c, digest(4))], check=False)
    assert mined[0].ok
    assert c.dep.attestation_of(c.bank_id, digest(3)) is not None  # later nonces were not blocked


def test_a_bad_first_call_is_refused_before_anything_is_sent(anvil_consortium: Consortium) -> None:
    c = anvil_consortium
    before = c.chain.w3.eth.get_transaction_count(c.outsider.address, "pending")
    with pytest.raises(TransactionReverted, match="NotMember") as raised:
        PipelinedSender(c.chain, c.outsider).send_all([attest_call(c, digest(9))])
    assert raised.value.error_name == "NotMember"
    assert c.chain.w3.eth.get_transaction_count(c.outsider.address, "pending") == before
