"""AttestationRegistry.attestStatementWithCredits on the real contracts (embedded chain): the credit
blocks a neutrality statement retires are recorded as events, an exact duplicate claimed by a live
statement for another organisation or year is refused, and the gas per block is constant."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import Consortium, build_consortium
from eth_abi import encode
from eth_utils import keccak
from web3.logs import DISCARD

from attest.chain.committee import Committee
from attest.chain.connection import Chain, SentTransaction
from attest.core.contracts import Action, Kind, Role
from attest.core.errors import TransactionReverted
from attest.core.records import OrganisationInfo

ZERO32 = b"\x00" * 32
ISSUANCE = keccak(encode(["string", "string"], ["verra", "0001-VCS-VCU-003-VER-US-0003-01012022-31122022-1"]))
OTHER_ISSUANCE = keccak(
    encode(["string", "string"], ["verra", "0002-VCS-VCU-003-VER-US-0003-01012022-31122022-1"])
)


@pytest.fixture(scope="module")
def _deployed() -> Consortium:
    c = build_consortium(Chain.embedded())
    from eth_account import Account

    second = Account.create()
    c.chain.fund(second.address)
    info = OrganisationInfo(
        "Second Verification Body (illustrative)", "CN", "verification body", "CNAS", "V-2"
    )
    Committee(c.dep).admit(c.committee[:2], info, Role.VERIFIER, [second.address])
    c.second_verifier = second  # type: ignore[attr-defined]
    return c


@pytest.fixture
def c(_deployed: Consortium) -> Iterator[Consortium]:
    snapshot = _deployed.chain.tester.take_snapshot()
    try:
        yield _deployed
    finally:
        _deployed.chain.tester.revert_to_snapshot(snapshot)


def digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@contextmanager
def reverts(error_name: str) -> Iterator[pytest.ExceptionInfo[TransactionReverted]]:
    with pytest.raises(TransactionReverted) as exc:
        yield exc
    assert exc.value.error_name == error_name, str(exc.value)


def figures(c: Consortium, label: str, year: int = 2022, account: Any = None, ref: bytes = ZERO32) -> bytes:
    fn = c.dep.registry.functions.attest(digest(label), int(Kind.FIGURES), year, ref, "")
    sent = c.dep.transact(account or c.bank, fn)
    return bytes(events(c, "Attested", sent)[0]["uid"])


def claim(
    c: Consortium,
    label: str,
    figures_uid: bytes,
    blocks: list[tuple[bytes, int, int]],
    *,
    year: int = 2022,
    residual: int = 100,
    account: Any = None,
) -> SentTransaction:
    fn = c.dep.registry.functions.attestStatementWithCredits(
        digest(label), year, figures_uid, "", residual, blocks
    )
    return c.dep.transact(account or c.verifier, fn)


def events(c: Consortium, name: str, sent: SentTransaction) -> list[Any]:
    return [e["args"] for e in c.dep.registry.events[name]().process_receipt(sent.receipt, errors=DISCARD)]


def statement_uid(c: Consortium, sent: SentTransaction) -> bytes:
    return bytes(events(c, "Attested", sent)[0]["uid"])


def test_blocks_and_the_claim_are_logged_with_the_statement(c: Consortium) -> None:
    fig = figures(c, "webank 2022")
    sent = claim(c, "statement", fig, [(ISSUANCE, 1, 100), (OTHER_ISSUANCE, 5, 9)], residual=104)
    uid = statement_uid(c, sent)
    (attested,) = events(c, "Attested", sent)
    assert attested["kind"] == int(Kind.STATEMENT) and bytes(attested["ref"]) == fig
    blocks = [
        (bytes(e["issuance"]), bytes(e["statementUid"]), e["first"], e["last"])
        for e in events(c, "CreditClaimed", sent)
    ]
    assert blocks == [(ISSUANCE, uid, 1, 100), (OTHER_ISSUANCE, uid, 5, 9)]
    (n,) = events(c, "NeutralityClaimed", sent)
    assert (bytes(n["statementUid"]), bytes(n["figuresUid"]), n["beneficiaryOrgId"], n["year"]) == (
        uid,
        fig,
        c.bank_id,
        2022,
    )
    assert (n["residualTonnes"], n["retiredTonnes"]) == (104, 105)
    assert len(events(c, "Covered", sent)) == 1


def test_the_same_checks_as_any_statement(c: Consortium) -> None:
    fig = figures(c, "webank 2022")
    with reverts("NoCreditBlocks"):
        claim(c, "none", fig, [])
    with reverts("StatementNeedsFigures"):
        claim(c, "no figures", ZERO32, [(ISSUANCE, 1, 1)])
    with reverts("MissingRole"):
        claim(c, "by the bank", fig, [(ISSUANCE, 1, 1)], account=c.rival)
    own = figures(c, "rival 2022", account=c.rival)
    with reverts("UnknownAttestation"):
        claim(c, "unknown figures", digest("nothing"), [(ISSUANCE, 1, 1)])
    assert own


@pytest.mark.parametrize("block", [(ZERO32, 1, 1), (ISSUANCE, 10, 9)], ids=["no issuance", "last < first"])
def test_a_malformed_block_is_refused_by_position(c: Consortium, block: tuple[bytes, int, int]) -> None:
    fig = figures(c, "webank 2022")
    with reverts("InvalidCreditBlock") as exc:
        claim(c, "bad", fig, [(ISSUANCE, 1, 5), block])
    assert "index=1" in str(exc.value) or "(1)" in str(exc.value), str(exc.value)


def test_an_exact_duplicate_for_another_organisation_is_refused_overlap_is_not(c: Consortium) -> None:
    webank = figures(c, "webank 2022")
    rival = figures(c, "rival 2022", account=c.rival)
    first = statement_uid(c, claim(c, "webank statement", webank, [(ISSUANCE, 1, 100)]))
    with reverts("CreditAlreadyClaimed") as exc:
        claim(c, "rival statement", rival, [(ISSUANCE, 1, 100)], account=c.second_verifier)  # type: ignore[attr-defined]
    assert "0x" + first.hex() in str(exc.value)
    # the contract only refuses the exact block; an overlap is for `verify` to find in the events
    claim(c, "rival overlap", rival, [(ISSUANCE, 50, 150)], account=c.second_verifier)  # type: ignore[attr-defined]
    # the same units of another issuance are other credits
    claim(c, "rival other issuance", rival, [(OTHER_ISSUANCE, 1, 100)], account=c.second_verifier)  # type: ignore[attr-defined]


def test_an_exact_duplicate_for_another_year_is_refused(c: Consortium) -> None:
    y2022 = figures(c, "webank 2022")
    y2023 = figures(c, "webank 2023", year=2023)
    first = statement_uid(c, claim(c, "2022 statement", y2022, [(ISSUANCE, 1, 100)]))
    with reverts("CreditAlreadyClaimed") as exc:
        claim(c, "2023 statement", y2023, [(ISSUANCE, 1, 100)], year=2023)
    assert "0x" + first.hex() in str(exc.value)


def test_the_same_organisation_and_year_may_claim_again(c: Consortium) -> None:
    """A statement covering restated figures (or a second statement on the same figures) makes the
    same claim again: no double count."""
    old = figures(c, "webank 2022")
    claim(c, "statement", old, [(ISSUANCE, 1, 100)])
    restated = figures(c, "webank 2022 restated", ref=old)
    claim(c, "statement on the restatement", restated, [(ISSUANCE, 1, 100)])
    claim(c, "second statement, same figures", old, [(ISSUANCE, 1, 100)], account=c.second_verifier)  # type: ignore[attr-defined]


def test_a_revoked_statement_frees_its_blocks(c: Consortium) -> None:
    webank = figures(c, "webank 2022")
    rival = figures(c, "rival 2022", account=c.rival)
    first = statement_uid(c, claim(c, "webank statement", webank, [(ISSUANCE, 1, 100)]))
    c.dep.transact(c.verifier, c.dep.registry.functions.revoke(first, "credits were not retired"))
    claim(c, "rival statement", rival, [(ISSUANCE, 1, 100)], account=c.second_verifier)  # type: ignore[attr-defined]
    # the new claim now holds the block: the first statement's organisation and year are refused
    again = figures(c, "webank 2022 again")
    with reverts("CreditAlreadyClaimed"):
        claim(c, "webank again", again, [(ISSUANCE, 1, 100)])


def test_committee_revocation_frees_blocks_too(c: Consortium) -> None:
    webank = figures(c, "webank 2022")
    y2023 = figures(c, "webank 2023", year=2023)
    first = statement_uid(c, claim(c, "2022", webank, [(ISSUANCE, 1, 100)]))
    data = encode(["address", "bytes32", "string"], [c.dep.registry.address, first, "double counted"])
    Committee(c.dep).enact(c.committee[:2], Action.REVOKE_ATTESTATION, data)
    claim(c, "2023", y2023, [(ISSUANCE, 1, 100)], year=2023)


def test_gas_of_anchoring_a_statement_with_1_10_100_blocks(
    c: Consortium, capsys: pytest.CaptureFixture[str]
) -> None:
    """Measured (solc 0.8.28, 200 runs, paris): a plain statement, then one with n blocks. Each block
    costs the same: one new storage slot (the exact-duplicate guard), one log, its calldata."""
    fig = figures(c, "webank 2022")
    plain = c.dep.transact(
        c.verifier, c.dep.registry.functions.attest(digest("plain"), int(Kind.STATEMENT), 2022, fig, "")
    ).gas_used
    gas = {}
    for n in (1, 10, 100):
        blocks = [(ISSUANCE, 1000 * i + 1, 1000 * i + 500) for i in range(n)]
        gas[n] = claim(c, f"statement {n}", fig, blocks, residual=500 * n).gas_used
    per_block = (gas[100] - gas[10]) / 90
    with capsys.disabled():
        print(
            f"\nstatement gas: plain {plain:,}; with credits 1 block {gas[1]:,}, 10 blocks {gas[10]:,}, "
            f"100 blocks {gas[100]:,} ({per_block:,.0f} per block)"
        )
    assert (gas[10] - gas[1]) / 9 == pytest.approx(per_block, rel=0.02)  # linear: constant per block
    assert per_block <= 30_000
    assert gas[1] <= plain + 60_000
