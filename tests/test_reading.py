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
