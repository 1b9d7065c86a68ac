"""attest.core.log_proofs: a node's log records judged against a block's proven receipts — the exact
log at its position over all the block's receipts, from the registry's address; every field the
node could change (URI, ref, attester, position, block hash), a log from another contract, a Covered
or Revoked log that is not there, and covering statements one node leaves out."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from conftest import Consortium
from hypothesis import given, settings
from hypothesis import strategies as st

from attest.chain.proving import block_header, block_receipts
from attest.core.chain_family import ETHEREUM
from attest.core.contracts import Kind
from attest.core.log_proofs import (
    ProvenBlock,
    attested_log,
    covered_log,
    judge_attested,
    judge_covered,
    judge_revoked,
    omitted,
    proven_block,
    revoked_log,
)
from attest.core.proof_errors import ReceiptsRootMismatch
from attest.core.receipt_trie import Log, TxReceipt, receipts_root
from attest.core.records import OnchainAttestation, Revocation, attestation_uid

REGISTRY = "0x" + "42" * 20
OTHER = "0x" + "43" * 20
HASH = bytes.fromhex("aa" * 32)
DIGEST = hashlib.sha256(b"figures").digest()
FIGURES = OnchainAttestation(
    uid=attestation_uid(1, DIGEST),
    digest=DIGEST.hex(),
    org_id=1,
    attester="0x" + "11" * 20,
    kind=Kind.FIGURES,
    year=2022,
    ref="0x" + "00" * 32,
    uri="https://bank.example/figures.json",
    block_number=7,
    log_index=2,
    block_hash="0x" + HASH.hex(),
    transaction_hash="0x" + "99" * 32,
    revoked=False,
    revocation=None,
    superseded_by=None,
)
STATEMENT = replace(
    FIGURES,
    uid=attestation_uid(2, DIGEST[::-1]),
    digest=DIGEST[::-1].hex(),
    org_id=2,
    kind=Kind.STATEMENT,
    ref=FIGURES.uid,
    log_index=1,
)
NOISE = Log(bytes.fromhex(OTHER[2:]), (b"\x01" * 32,), b"noise")


def block(*receipts_logs: tuple[Log, ...]) -> ProvenBlock:
    receipts = [TxReceipt(2, 1, 21000 * (i + 1), logs) for i, logs in enumerate(receipts_logs)]
    return proven_block(7, HASH, receipts_root(receipts), receipts)


def test_the_exact_log_at_its_position_over_all_receipts_is_proven() -> None:
    b = block((NOISE, NOISE), (attested_log(FIGURES, REGISTRY),))  # index 2: after the first receipt's two
    result = judge_attested(FIGURES, b, REGISTRY)
    assert result.problem is None and result.event == "Attested" and result.block == 7


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"uri": "https://evil.example/figures.json"}, "URI 'https://bank.example/figures.json' (proven)"),
        ({"ref": "0x" + "77" * 32}, "ref '0x" + "00" * 32 + "' (proven)"),
        ({"attester": "0x" + "22" * 20}, "attester"),
        ({"year": 2023}, "year 2022 (proven), the node said 2023"),
        ({"kind": Kind.FILE}, "kind"),
        ({"log_index": 0}, "log index 2, the node said 0"),
    ],
)
def test_every_field_the_node_changes_is_named(change: dict[str, object], needle: str) -> None:
    b = block((NOISE, NOISE), (attested_log(FIGURES, REGISTRY),))
    result = judge_attested(replace(FIGURES, **change), b, REGISTRY)  # type: ignore[arg-type]
    assert result.problem is not None and needle in result.problem, result.problem


def test_another_block_hash_is_a_contradiction() -> None:
    b = block((attested_log(FIGURES, REGISTRY),))
    said = replace(FIGURES, log_index=0, block_hash="0x" + "bb" * 32)
    problem = judge_attested(said, b, REGISTRY).problem
    assert problem is not None and "agreed hash of that block is 0x" + "aa" * 32 in problem


def test_a_log_the_block_does_not_hold_or_from_another_contract_is_not_proven() -> None:
    b = block((NOISE, NOISE, attested_log(FIGURES, OTHER)))  # same topics and data, another address
    problem = judge_attested(FIGURES, b, REGISTRY).problem
    assert problem is not None and "hold no Attested log" in problem


def test_receipts_with_a_forged_log_do_not_rebuild_the_root() -> None:
    honest = [TxReceipt(2, 1, 21000, (attested_log(FIGURES, REGISTRY),))]
    forged = [TxReceipt(2, 1, 21000, (attested_log(replace(FIGURES, uri="x"), REGISTRY),))]
    with pytest.raises(ReceiptsRootMismatch, match="block 7"):
        proven_block(7, HASH, receipts_root(honest), forged)


def test_covered_and_revoked_logs_are_found_in_their_block() -> None:
    revocation = Revocation(7, 1, "0x" + "11" * 20, "wrong file")
    b = block((covered_log(FIGURES.uid, STATEMENT, REGISTRY), revoked_log(FIGURES.uid, revocation, REGISTRY)))
    assert judge_covered(FIGURES.uid, STATEMENT, b, REGISTRY).problem is None
    assert judge_revoked(FIGURES.uid, revocation, b, REGISTRY).problem is None
    other_org = judge_covered(FIGURES.uid, replace(STATEMENT, org_id=3), b, REGISTRY).problem
    assert other_org is not None and "hold no Covered log" in other_org
    reason = judge_revoked(FIGURES.uid, replace(revocation, reason="wrong year"), b, REGISTRY).problem
    assert reason is not None and "'wrong year'" in reason


def test_a_statement_one_node_leaves_out_is_named_with_the_node_that_returned_it() -> None:
    s = STATEMENT.uid
    assert omitted(FIGURES.uid, {"http://a": [s], "http://b": [s]}, [s]) == []
    (line,) = omitted(FIGURES.uid, {"http://a": [], "http://b": [s]}, [])
    assert line.startswith(f"node http://a left out statement {s}") and line.endswith(
        "node http://b returned"
    )
    (verdict,) = omitted(FIGURES.uid, {"http://a": [s]}, [])
    assert verdict.startswith("the verdict leaves out statement")


def test_the_registry_emits_exactly_the_logs_built_here(consortium: Consortium) -> None:
    """On the embedded chain: a statement's Covered and Attested logs are the bytes built from its
    record, at the position the node reports."""
    c = consortium
    fig = c.dep.attest(
        c.bank, DIGEST.hex(), Kind.FIGURES, 2022, uri="https://bank.example/f.json"
    ).attestation
    st = c.dep.attest(c.verifier, DIGEST[::-1].hex(), Kind.STATEMENT, 2022, ref=fig.uid).attestation
    for a in (fig, st):
        header, claimed = block_header(c.chain, a.block_number)
        ETHEREUM.accept(header, claimed)
        b = proven_block(
            a.block_number, claimed, header.receipts_root, block_receipts(c.chain, a.block_number)
        )
        assert judge_attested(a, b, c.dep.registry.address).problem is None
    assert judge_covered(fig.uid, st, b, c.dep.registry.address).problem is None


@settings(max_examples=300, deadline=None)
@given(
    attester=st.binary(min_size=20, max_size=20),
    kind=st.integers(0, 255),
    year=st.integers(0, 2**16 - 1),
    ref=st.binary(min_size=32, max_size=32),
    uri=st.text(max_size=200),
)
def test_attested_data_is_the_abi_encoding(
    attester: bytes, kind: int, year: int, ref: bytes, uri: str
) -> None:
    from eth_abi import encode

    from attest.core.log_proofs import ATTESTED_DATA, attested_data

    expected = encode(ATTESTED_DATA, ["0x" + attester.hex(), kind, year, ref, uri])
    assert attested_data("0x" + attester.hex(), kind, year, "0x" + ref.hex(), uri) == expected
