"""What a verification reads is what its provers prove (attest.app.facts.Reading), without a chain.

The lie this keeps out (found by an adversarial review): a node answering the same attestation two
ways — live when asked for the statements covering figures, revoked when asked for it by id — had the
rules decide on the first answer and the prover prove the second, which the storage agrees with.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from test_verification import attestation

from attest.app.facts import Reading
from attest.core.contracts import Kind
from attest.core.errors import ChainError

pytestmark = pytest.mark.unit


class TwoFaced:
    """Answers covering_statements with a live statement, attestation(uid) with it revoked."""

    def __init__(self) -> None:
        self.live = attestation(org=3, kind=Kind.STATEMENT)
        self.revoked = replace(self.live, revoked=True)

    def covering_statements(self, figures_uid: str) -> list[Any]:
        return [self.live]

    def attestation(self, uid: str) -> Any:
        return self.revoked

    def credit_claims_of(self, uid: str) -> list[Any]:
        return []

    def neutrality_claims(self, uids: Any) -> dict[str, Any]:
        return {}


def test_one_record_answered_two_ways_is_a_chain_error() -> None:
    node = TwoFaced()
    reading = Reading(node)  # type: ignore[arg-type]
    reading.covering_statements("0x" + "01" * 32)
    with pytest.raises(ChainError, match="answered two ways about attestation"):
        reading.attestation(node.live.uid)


def test_what_was_read_is_kept_for_the_provers() -> None:
    node = TwoFaced()
    reading = Reading(node)  # type: ignore[arg-type]
    reading.covering_statements("0x" + "01" * 32)
    reading.credit_claims_of(node.live.uid)
    reading.neutrality_claims([node.live.uid])
    read = reading.read
    assert list(read.records) == [node.live.uid.lower()]
    assert read.claims_asked == {node.live.uid.lower()} and read.neutrality_asked == {node.live.uid.lower()}
    # the statement was read as covering those figures: its Covered log is what the log prover proves
    assert read.covered == {("0x" + "01" * 32, node.live.uid.lower())}


def test_a_statements_reference_is_read_as_what_it_covers() -> None:
    """The pair the log prover proves by the statement's Covered log comes from the read itself
    (`Reading.reference_of`), not from the verdict worked out afterwards."""
    node = TwoFaced()
    statement = replace(node.live, ref="0x" + "02" * 32)
    node.revoked = replace(node.live, uid="0x" + "02" * 32, kind=Kind.FIGURES)  # what attestation() gives
    reading = Reading(node)  # type: ignore[arg-type]
    assert reading.reference_of(statement) == node.revoked
    read = reading.read
    assert read.covered == {("0x" + "02" * 32, statement.uid.lower())}
    assert set(read.records) == {statement.uid.lower(), "0x" + "02" * 32}


class Spy:
    """A prover that notes what it is asked to prove (attest.app.facts.Proves), in order."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[Any]]] = []

    def prefetch(self, uids: Any) -> None:
        self.asked.append(("state", list(uids)))

    def prefetch_logs(self, blocks: Any) -> None:
        self.asked.append(("logs", list(blocks)))


def test_what_is_read_is_proven_as_it_is_read() -> None:
    """Each read hands the prover what it returned before the next read is made: the records' storage
    and their blocks' logs, the claims' blocks, the expected slot. Nothing is left for a step after
    the verdict to work out."""
    node, spy = TwoFaced(), Spy()
    node.revoked = node.live  # one face this time
    reading = Reading(node, spy)  # type: ignore[arg-type]
    reading.expect("0x" + "0a" * 32)
    assert spy.asked == [("state", ["0x" + "0a" * 32])]
    reading.covering_statements("0x" + "01" * 32)
    assert spy.asked[1:] == [("state", [node.live.uid]), ("logs", [node.live.block_number])]
    del spy.asked[:]
    reading.attestation(node.live.uid)  # the same record again: asked again, proven once (cached)
    assert spy.asked == [
        ("state", [node.live.uid, node.live.uid.lower()]),
        ("logs", [node.live.block_number]),
    ]
    del spy.asked[:]
    reading.credit_claims_of(node.live.uid)  # no claims: no block to prove
    assert spy.asked == []
