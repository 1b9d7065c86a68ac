"""AttestationRegistry on the real contracts (embedded chain): every external function, every custom error.

Each test gets the consortium of conftest.py (committee of 3, threshold 2; WeBank publisher, a verifier,
a rival publisher, an outsider), restored from an eth-tester snapshot instead of redeployed, so the
whole module runs in seconds. Reverts are asserted by their decoded custom error name.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import Consortium, build_consortium
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3.logs import DISCARD

from attest.chain.anchoring import revoke
from attest.chain.committee import Committee
from attest.chain.connection import Chain, SentTransaction
from attest.core.contracts import Action, Kind, Role
from attest.core.errors import TransactionReverted
from attest.core.records import OrganisationInfo

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
YEAR = 2022
# EIP712's two fallback strings take slots 0 and 1, Nonces' mapping slot 2, then `_attestations`.
ATTESTATIONS_SLOT = 3
PUBLISHER_KINDS = [Kind.FIGURES, Kind.FILE, Kind.BATCH]


# -- fixtures and helpers


@pytest.fixture(scope="module")
def _deployed() -> Consortium:
    return build_consortium(Chain.embedded())


@pytest.fixture
def consortium(_deployed: Consortium) -> Iterator[Consortium]:
    """The conftest consortium, reverted to its freshly deployed state after each test."""
    tester = _deployed.chain.tester
    snapshot = tester.take_snapshot()
    try:
        yield _deployed
    finally:
        tester.revert_to_snapshot(snapshot)


def digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@contextmanager
def reverts(error_name: str) -> Iterator[pytest.ExceptionInfo[TransactionReverted]]:
    with pytest.raises(TransactionReverted) as exc:
        yield exc
    assert exc.value.error_name == error_name, str(exc.value)


def send(c: Consortium, account: Any, fn: Any) -> SentTransaction:
    return c.dep.transact(account, fn)


def attest(
    c: Consortium, account: Any, dgst: bytes, kind: int, year: int = YEAR, ref: bytes = ZERO32, uri: str = ""
) -> SentTransaction:
    return send(c, account, c.dep.registry.functions.attest(dgst, int(kind), year, ref, uri))


def events(contract: Any, name: str, sent: SentTransaction) -> list[Any]:
    return [e["args"] for e in contract.events[name]().process_receipt(sent.receipt, errors=DISCARD)]


def uid_from(c: Consortium, sent: SentTransaction) -> bytes:
    (event,) = events(c.dep.registry, "Attested", sent)
    return bytes(event["uid"])


def record(c: Consortium, uid: bytes) -> tuple[Any, ...]:
    return tuple(c.dep.registry.functions.getAttestation(uid).call())


def figures(c: Consortium, label: str = "figures", account: Any = None) -> bytes:
    """Anchor a figures document (by the bank unless told) and return its uid."""
    return uid_from(c, attest(c, account or c.bank, digest(label), Kind.FIGURES))


def enact(c: Consortium, action: Action, types: list[str], values: list[Any]) -> SentTransaction:
    return Committee(c.dep).enact(c.committee[:2], action, encode(types, values))


def grant(c: Consortium, org_id: int, roles: int) -> None:
    enact(c, Action.GRANT_ROLES, ["uint32", "uint8"], [org_id, roles])


def freeze(c: Consortium, account: str) -> None:
    enact(c, Action.FREEZE_ACCOUNT, ["address"], [account])


def latest_timestamp(c: Consortium) -> int:
    return c.chain.timestamp("latest")


# -- attest: happy paths


@pytest.mark.parametrize("kind", PUBLISHER_KINDS, ids=lambda k: k.label)
def test_publisher_attests_kind_and_record_and_event_are_stored(consortium: Consortium, kind: Kind) -> None:
    c = consortium
    dgst = digest(f"doc {kind.label}")
    sent = attest(c, c.bank, dgst, kind, 2023, uri="https://webank.example/esg.json")
    uid = c.dep.registry.functions.uidOf(c.bank_id, dgst).call()
    (event,) = events(c.dep.registry, "Attested", sent)
    assert dict(event) == {
        "uid": uid,
        "digest": dgst,
        "orgId": c.bank_id,
        "attester": c.bank.address,
        "kind": int(kind),
        "year": 2023,
        "ref": ZERO32,
        "uri": "https://webank.example/esg.json",
    }
    assert record(c, uid) == (c.bank.address, c.bank_id, sent.block_number, 2023, int(kind), False)
    assert c.dep.registry.functions.supersededBy(uid).call() == ZERO32


def test_record_is_one_packed_storage_slot(consortium: Consortium) -> None:
    c = consortium
    sent = attest(c, c.bank, digest("packed"), Kind.FILE, 2021)
    uid = uid_from(c, sent)
    slot = int.from_bytes(keccak(uid + ATTESTATIONS_SLOT.to_bytes(32, "big")), "big")
    word = int.from_bytes(c.chain.w3.eth.get_storage_at(c.dep.registry.address, slot), "big")
    assert word & (2**160 - 1) == int(c.bank.address, 16)
    assert (word >> 160) & 0xFFFFFFFF == c.bank_id
    assert (word >> 192) & 0xFFFFFFFF == sent.block_number
    assert (word >> 224) & 0xFFFF == 2021
    assert (word >> 240) & 0xFF == Kind.FILE
    assert word >> 248 == 0  # not revoked
    assert int.from_bytes(c.chain.w3.eth.get_storage_at(c.dep.registry.address, slot + 1), "big") == 0
    revoke(c.dep, c.bank, uid.hex(), "withdrawn")
    word_after = int.from_bytes(c.chain.w3.eth.get_storage_at(c.dep.registry.address, slot), "big")
    assert word_after == word | (1 << 248)


def test_verifier_statement_covers_figures(consortium: Consortium) -> None:
    c = consortium
    figures_uid = figures(c)
    dgst = digest("statement")
    sent = attest(c, c.verifier, dgst, Kind.STATEMENT, ref=figures_uid, uri="ipfs://statement")
    statement_uid = c.dep.registry.functions.uidOf(c.verifier_id, dgst).call()
    (attested,) = events(c.dep.registry, "Attested", sent)
    assert attested["uid"] == statement_uid
    assert attested["orgId"] == c.verifier_id
    assert attested["kind"] == Kind.STATEMENT
    assert attested["ref"] == figures_uid
    (covered,) = events(c.dep.registry, "Covered", sent)
    assert dict(covered) == {
        "figuresUid": figures_uid,
        "statementUid": statement_uid,
        "verifierOrgId": c.verifier_id,
    }
    assert record(c, statement_uid) == (c.verifier.address, c.verifier_id, sent.block_number, YEAR, 2, False)
    assert [a.uid for a in c.dep.covering_statements(figures_uid.hex())] == ["0x" + statement_uid.hex()]
    assert c.dep.registry.functions.supersededBy(figures_uid).call() == ZERO32  # covering is not superseding


def test_deployment_attest_reads_back_the_same_attestation(consortium: Consortium) -> None:
    c = consortium
    dgst = digest("client").hex()
    published = c.dep.attest(c.bank, dgst, Kind.FIGURES, YEAR, uri="https://x")
    a = published.attestation
    assert not published.already_anchored
    assert (a.uid, a.digest, a.org_id, a.attester, a.kind, a.year, a.uri, a.revoked) == (
        c.dep.uid_of(c.bank_id, dgst),
        dgst,
        c.bank_id,
        c.bank.address,
        Kind.FIGURES,
        YEAR,
        "https://x",
        False,
    )


# -- attest: input checks


def test_zero_digest_is_rejected(consortium: Consortium) -> None:
    with reverts("ZeroDigest"):
        attest(consortium, consortium.bank, ZERO32, Kind.FIGURES)


def test_kind_none_is_rejected(consortium: Consortium) -> None:
    with reverts("InvalidKind") as exc:
        attest(consortium, consortium.bank, digest("k0"), 0)
    assert "kind=0" in str(exc.value)


def test_kind_out_of_enum_range_reverts_in_abi_decoding(consortium: Consortium) -> None:
    # `kind` is a uint8 in the ABI, so 6 encodes; Solidity's decoder rejects it with empty revert data.
    with reverts("Reverted"):
        attest(consortium, consortium.bank, digest("k6"), max(Kind) + 1)


@pytest.mark.parametrize("year", [1989, 2101, 0, 65535])
def test_year_out_of_range_is_rejected(consortium: Consortium, year: int) -> None:
    with reverts("YearOutOfRange") as exc:
        attest(consortium, consortium.bank, digest("year"), Kind.FIGURES, year)
    assert f"year={year}" in str(exc.value)


@pytest.mark.parametrize("year", [1990, 2100])
def test_year_bounds_are_accepted(consortium: Consortium, year: int) -> None:
    uid = uid_from(consortium, attest(consortium, consortium.bank, digest("year"), Kind.FIGURES, year))
    assert record(consortium, uid)[3] == year


def test_year_constants(consortium: Consortium) -> None:
    assert consortium.dep.registry.functions.MIN_YEAR().call() == 1990
    assert consortium.dep.registry.functions.MAX_YEAR().call() == 2100


# -- attest: who may attest


def test_outsider_is_not_member(consortium: Consortium) -> None:
    with reverts("NotMember"):
        attest(consortium, consortium.outsider, digest("x"), Kind.FIGURES)


def test_account_of_removed_organisation_is_not_member(consortium: Consortium) -> None:
    c = consortium
    enact(c, Action.REMOVE_ORGANISATION, ["uint32"], [c.bank_id])
    with reverts("NotMember"):
        attest(c, c.bank, digest("x"), Kind.FIGURES)


def test_account_whose_roles_were_all_revoked_is_not_member(consortium: Consortium) -> None:
    c = consortium
    enact(c, Action.REVOKE_ROLES, ["uint32", "uint8"], [c.bank_id, Role.PUBLISHER])
    with reverts("NotMember"):
        attest(c, c.bank, digest("x"), Kind.FIGURES)


def test_frozen_account_cannot_attest(consortium: Consortium) -> None:
    freeze(consortium, consortium.bank.address)
    with reverts("AccountIsFrozen"):
        attest(consortium, consortium.bank, digest("x"), Kind.FIGURES)


@pytest.mark.parametrize("kind", PUBLISHER_KINDS, ids=lambda k: k.label)
def test_verifier_cannot_publish(consortium: Consortium, kind: Kind) -> None:
    c = consortium
    with reverts("MissingRole") as exc:
        attest(c, c.verifier, digest("x"), kind)
    assert f"orgId={c.verifier_id}, role={int(Role.PUBLISHER)}" in str(exc.value)


def test_publisher_cannot_attest_statement(consortium: Consortium) -> None:
    c = consortium
    figures_uid = figures(c, account=c.rival)
    with reverts("MissingRole") as exc:
        attest(c, c.bank, digest("s"), Kind.STATEMENT, ref=figures_uid)
    assert f"orgId={c.bank_id}, role={int(Role.VERIFIER)}" in str(exc.value)


# -- attest: one record per organisation


def test_same_organisation_cannot_attest_a_digest_twice(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c, "twice")
    with reverts("AlreadyAttested") as exc:
        attest(c, c.bank, digest("twice"), Kind.FILE, 2023)
    assert uid.hex() in str(exc.value)


def test_another_account_of_the_same_organisation_cannot_attest_it_again(consortium: Consortium) -> None:
    c = consortium
    second = Account.create()
    c.chain.fund(second.address)
    enact(c, Action.ADD_ACCOUNT, ["uint32", "address"], [c.bank_id, second.address])
    figures(c, "twice")
    with reverts("AlreadyAttested"):
        attest(c, second, digest("twice"), Kind.FIGURES)


def test_squatting_cannot_block_another_organisation(consortium: Consortium) -> None:
    c = consortium
    squat = uid_from(c, attest(c, c.rival, digest("webank 2022"), Kind.FIGURES))
    own = uid_from(c, attest(c, c.bank, digest("webank 2022"), Kind.FIGURES))
    assert squat != own
    assert record(c, squat)[:2] == (c.rival.address, c.rival_id)
    assert record(c, own)[:2] == (c.bank.address, c.bank_id)
    found = c.dep.attestations_of_digest(digest("webank 2022").hex())
    assert sorted((a.uid, a.org_id) for a in found) == sorted(
        [("0x" + squat.hex(), c.rival_id), ("0x" + own.hex(), c.bank_id)]
    )


# -- references: statements


def test_statement_needs_figures(consortium: Consortium) -> None:
    with reverts("StatementNeedsFigures"):
        attest(consortium, consortium.verifier, digest("s"), Kind.STATEMENT)


def test_statement_ref_to_nothing_is_unknown(consortium: Consortium) -> None:
    with reverts("UnknownAttestation"):
        attest(consortium, consortium.verifier, digest("s"), Kind.STATEMENT, ref=digest("nothing"))


def test_statement_ref_to_revoked_figures_is_rejected(consortium: Consortium) -> None:
    c = consortium
    figures_uid = figures(c)
    revoke(c.dep, c.bank, figures_uid.hex(), "wrong")
    with reverts("AttestationIsRevoked"):
        attest(c, c.verifier, digest("s"), Kind.STATEMENT, ref=figures_uid)


@pytest.mark.parametrize("kind", [Kind.FILE, Kind.BATCH], ids=lambda k: k.label)
def test_statement_ref_must_be_figures(consortium: Consortium, kind: Kind) -> None:
    c = consortium
    target = uid_from(c, attest(c, c.bank, digest("pdf"), kind))
    with reverts("NotFigures"):
        attest(c, c.verifier, digest("s"), Kind.STATEMENT, ref=target)


def test_statement_ref_to_another_statement_is_not_figures(consortium: Consortium) -> None:
    c = consortium
    statement = uid_from(c, attest(c, c.verifier, digest("s1"), Kind.STATEMENT, ref=figures(c)))
    other_verifier = Account.create()
    c.chain.fund(other_verifier.address)
    Committee(c.dep).admit(
        c.committee[:2],
        OrganisationInfo("Second Verifier", "CN", "verification body"),
        Role.VERIFIER,
        [other_verifier.address],
    )
    with reverts("NotFigures"):
        attest(c, other_verifier, digest("s2"), Kind.STATEMENT, ref=statement)


def test_organisation_cannot_verify_its_own_figures(consortium: Consortium) -> None:
    c = consortium
    grant(c, c.bank_id, Role.VERIFIER)
    own = figures(c)
    with reverts("SelfVerification"):
        attest(c, c.bank, digest("s"), Kind.STATEMENT, ref=own)
    # ...but it may verify someone else's.
    rival = figures(c, "rival", account=c.rival)
    attest(c, c.bank, digest("s"), Kind.STATEMENT, ref=rival)


# -- references: restatements


def test_restatement_supersedes(consortium: Consortium) -> None:
    c = consortium
    old = figures(c, "v1")
    sent = attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=old)
    new = c.dep.registry.functions.uidOf(c.bank_id, digest("v2")).call()
    (superseded,) = events(c.dep.registry, "Superseded", sent)
    assert dict(superseded) == {"uid": old, "replacement": new}
    (attested,) = events(c.dep.registry, "Attested", sent)
    assert attested["ref"] == old
    assert c.dep.registry.functions.supersededBy(old).call() == new
    assert c.dep.registry.functions.supersededBy(new).call() == ZERO32
    assert record(c, old)[5] is False  # superseded, not revoked
    assert c.dep.attestation(old.hex()).superseded_by == "0x" + new.hex()  # type: ignore[union-attr]
    assert events(c.dep.registry, "Covered", sent) == []


def test_restatement_chain_continues_from_the_latest(consortium: Consortium) -> None:
    c = consortium
    v1 = figures(c, "v1")
    v2 = uid_from(c, attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=v1))
    v3 = uid_from(c, attest(c, c.bank, digest("v3"), Kind.FIGURES, ref=v2))
    assert c.dep.registry.functions.supersededBy(v2).call() == v3


def test_cannot_supersede_twice(consortium: Consortium) -> None:
    c = consortium
    old = figures(c, "v1")
    new = uid_from(c, attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=old))
    with reverts("AlreadySuperseded") as exc:
        attest(c, c.bank, digest("v3"), Kind.FIGURES, ref=old)
    assert new.hex() in str(exc.value)


def test_cannot_restate_another_organisations_attestation(consortium: Consortium) -> None:
    c = consortium
    theirs = figures(c)
    with reverts("NotYourAttestation") as exc:
        attest(c, c.rival, digest("v2"), Kind.FIGURES, ref=theirs)
    assert f"orgId={c.rival_id}" in str(exc.value)


def test_restatement_must_keep_the_kind(consortium: Consortium) -> None:
    c = consortium
    old = figures(c)
    with reverts("KindMismatch") as exc:
        attest(c, c.bank, digest("pdf"), Kind.FILE, ref=old)
    assert f"expected={int(Kind.FIGURES)}" in str(exc.value)


def test_restatement_of_unknown_or_revoked_is_rejected(consortium: Consortium) -> None:
    c = consortium
    with reverts("UnknownAttestation"):
        attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=digest("nothing"))
    old = figures(c)
    revoke(c.dep, c.bank, old.hex(), "wrong")
    with reverts("AttestationIsRevoked"):
        attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=old)


# -- revoke


def test_revoke_by_own_organisation(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c)
    sent = revoke(c.dep, c.bank, uid.hex(), "figures restated")
    (event,) = events(c.dep.registry, "Revoked", sent)
    assert dict(event) == {"uid": uid, "orgId": c.bank_id, "by": c.bank.address, "reason": "figures restated"}
    assert record(c, uid)[5] is True
    revocation = c.dep.attestation(uid.hex()).revocation  # type: ignore[union-attr]
    assert revocation is not None
    assert (revocation.org_id, revocation.by, revocation.reason) == (
        c.bank_id,
        c.bank.address,
        "figures restated",
    )


def test_another_account_of_the_organisation_may_revoke(consortium: Consortium) -> None:
    c = consortium
    second = Account.create()
    c.chain.fund(second.address)
    enact(c, Action.ADD_ACCOUNT, ["uint32", "address"], [c.bank_id, second.address])
    uid = figures(c)
    (event,) = events(c.dep.registry, "Revoked", revoke(c.dep, second, uid.hex(), "key rotated"))
    assert (event["orgId"], event["by"]) == (c.bank_id, second.address)


def test_revoke_needs_a_reason(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c)
    with reverts("EmptyReason"):
        revoke(c.dep, c.bank, uid.hex(), "")


def test_cannot_revoke_another_organisations_attestation(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c)
    with reverts("NotYourAttestation") as exc:
        revoke(c.dep, c.rival, uid.hex(), "not mine")
    assert f"orgId={c.rival_id}" in str(exc.value)


def test_revoke_unknown_or_twice(consortium: Consortium) -> None:
    c = consortium
    with reverts("UnknownAttestation"):
        revoke(c.dep, c.bank, digest("nothing").hex(), "x")
    uid = figures(c)
    revoke(c.dep, c.bank, uid.hex(), "once")
    with reverts("AttestationIsRevoked"):
        revoke(c.dep, c.bank, uid.hex(), "twice")


def test_outsider_and_frozen_account_cannot_revoke(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c)
    with reverts("NotMember"):
        revoke(c.dep, c.outsider, uid.hex(), "x")
    freeze(c, c.bank.address)
    with reverts("AccountIsFrozen"):
        revoke(c.dep, c.bank, uid.hex(), "x")


def test_revoked_digest_cannot_be_anchored_again_by_the_same_organisation(consortium: Consortium) -> None:
    # The uid is fixed per (organisation, digest): a revocation is final for that document.
    c = consortium
    uid = figures(c, "final")
    revoke(c.dep, c.bank, uid.hex(), "by mistake")
    with reverts("AlreadyAttested"):
        attest(c, c.bank, digest("final"), Kind.FIGURES)


def test_organisation_whose_roles_were_all_revoked_may_still_revoke_its_attestations(
    consortium: Consortium,
) -> None:
    # Withdrawing a claim only takes trust away: losing every role must not lock an organisation's
    # mistakes on the record. Anchoring stays refused.
    c = consortium
    uid = figures(c)
    enact(c, Action.REVOKE_ROLES, ["uint32", "uint8"], [c.bank_id, Role.PUBLISHER])
    (event,) = events(c.dep.registry, "Revoked", revoke(c.dep, c.bank, uid.hex(), "withdrawn after audit"))
    assert (event["orgId"], event["by"]) == (c.bank_id, c.bank.address)
    assert record(c, uid)[5] is True
    with reverts("NotMember"):
        attest(c, c.bank, digest("new"), Kind.FIGURES)


def test_removed_organisation_may_still_revoke_its_attestations(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c)
    enact(c, Action.REMOVE_ORGANISATION, ["uint32"], [c.bank_id])
    revoke(c.dep, c.bank, uid.hex(), "withdrawn on leaving the consortium")
    assert record(c, uid)[5] is True
    with reverts("NotYourAttestation"):  # still only its own
        revoke(c.dep, c.bank, figures(c, "theirs", c.rival).hex(), "x")


def test_frozen_or_removed_account_of_an_organisation_without_roles_cannot_revoke(
    consortium: Consortium,
) -> None:
    c = consortium
    uid = figures(c)
    enact(c, Action.REVOKE_ROLES, ["uint32", "uint8"], [c.bank_id, Role.PUBLISHER])
    freeze(c, c.bank.address)
    with reverts("AccountIsFrozen"):
        revoke(c.dep, c.bank, uid.hex(), "x")
    enact(c, Action.REMOVE_ACCOUNT, ["address"], [c.bank.address])
    with reverts("NotMember"):
        revoke(c.dep, c.bank, uid.hex(), "x")
    assert record(c, uid)[5] is False


def supersededby(c: Consortium, uid: bytes) -> bytes:
    return bytes(c.dep.registry.functions.supersededBy(uid).call())


def test_revoked_restatement_makes_the_original_current_and_restatable_again(consortium: Consortium) -> None:
    c = consortium
    old = figures(c, "v1")
    bad = uid_from(c, attest(c, c.bank, digest("v2 wrong"), Kind.FIGURES, ref=old))
    assert supersededby(c, old) == bad
    sent = revoke(c.dep, c.bank, bad.hex(), "the restatement was wrong")
    assert events(c.dep.registry, "Superseded", sent) == []  # the old Superseded event stays the history
    assert supersededby(c, old) == ZERO32 and record(c, old)[5] is False
    good = uid_from(c, attest(c, c.bank, digest("v2 right"), Kind.FIGURES, ref=old))
    assert supersededby(c, old) == good


def test_committee_revoking_a_restatement_makes_the_original_current(consortium: Consortium) -> None:
    c = consortium
    old = figures(c, "v1")
    new = uid_from(c, attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=old))
    enact(
        c, Action.REVOKE_ATTESTATION, ["address", "bytes32", "string"], [c.dep.registry.address, new, "fraud"]
    )
    assert supersededby(c, old) == ZERO32


def test_revoking_a_restated_restatement_keeps_the_chain_on_the_live_one(consortium: Consortium) -> None:
    # v1 <- v2 <- v3: revoking v2 must not make v1 current while v3 restates it; v1 now points at v3.
    c = consortium
    v1 = figures(c, "v1")
    v2 = uid_from(c, attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=v1))
    v3 = uid_from(c, attest(c, c.bank, digest("v3"), Kind.FIGURES, ref=v2))
    sent = revoke(c.dep, c.bank, v2.hex(), "v2 was wrong")
    (event,) = events(c.dep.registry, "Superseded", sent)
    assert dict(event) == {"uid": v1, "replacement": v3}
    assert supersededby(c, v1) == v3
    with reverts("AlreadySuperseded"):
        attest(c, c.bank, digest("v4"), Kind.FIGURES, ref=v1)
    revoke(c.dep, c.bank, v3.hex(), "v3 was wrong too")  # nothing live restates v1 any more
    assert supersededby(c, v1) == ZERO32
    attest(c, c.bank, digest("v4"), Kind.FIGURES, ref=v1)


def test_revoking_the_original_leaves_its_restatement_alone(consortium: Consortium) -> None:
    c = consortium
    old = figures(c, "v1")
    new = uid_from(c, attest(c, c.bank, digest("v2"), Kind.FIGURES, ref=old))
    revoke(c.dep, c.bank, old.hex(), "v1 was fraudulent")
    assert supersededby(c, old) == new and record(c, new)[5] is False
    revoke(c.dep, c.bank, new.hex(), "v2 too")
    assert supersededby(c, old) == ZERO32 and record(c, old)[5] is True


# -- revokeByCommittee


def test_committee_revokes_by_vote(consortium: Consortium) -> None:
    c = consortium
    uid = figures(c)
    sent = enact(
        c, Action.REVOKE_ATTESTATION, ["address", "bytes32", "string"], [c.dep.registry.address, uid, "fraud"]
    )
    (event,) = events(c.dep.registry, "Revoked", sent)
    assert dict(event) == {"uid": uid, "orgId": 0, "by": c.dep.governance.address, "reason": "fraud"}
    assert record(c, uid)[5] is True


@pytest.mark.parametrize(("reason", "error"), [("", "EmptyReason"), ("x", "UnknownAttestation")])
def test_committee_revocation_errors_bubble_up(consortium: Consortium, reason: str, error: str) -> None:
    c = consortium
    uid = figures(c) if reason == "" else digest("nothing")
    with reverts(error):
        enact(
            c,
            Action.REVOKE_ATTESTATION,
            ["address", "bytes32", "string"],
            [c.dep.registry.address, uid, reason],
        )


@pytest.mark.parametrize("who", ["committee", "bank"])
def test_revoke_by_committee_directly_is_refused(consortium: Consortium, who: str) -> None:
    c = consortium
    uid = figures(c)
    caller = c.committee[0] if who == "committee" else c.bank
    with reverts("NotCommittee") as exc:
        send(c, caller, c.dep.registry.functions.revokeByCommittee(uid, "x"))
    assert caller.address in str(exc.value)


# -- attestBySig


ATTEST_TYPES = {
    "Attest": [
        {"name": "digest", "type": "bytes32"},
        {"name": "kind", "type": "uint8"},
        {"name": "year", "type": "uint16"},
        {"name": "ref", "type": "bytes32"},
        {"name": "uri", "type": "string"},
        {"name": "attester", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def typed(c: Consortium, message: dict[str, Any]) -> Any:
    domain = {
        "name": "esg-attest AttestationRegistry",
        "version": "1",
        "chainId": c.chain.chain_id,
        "verifyingContract": c.dep.registry.address,
    }
    return encode_typed_data(domain, ATTEST_TYPES, message)


def message(c: Consortium, **overrides: Any) -> dict[str, Any]:
    attester = overrides.pop("attester", c.bank.address)
    m = {
        "digest": digest("signed"),
        "kind": int(Kind.FIGURES),
        "year": YEAR,
        "ref": ZERO32,
        "uri": "https://webank.example/2022.json",
        "attester": attester,
        "nonce": c.dep.registry.functions.nonces(attester).call(),
        "deadline": latest_timestamp(c) + 3600,
    }
    m.update(overrides)
    return m


def relay(c: Consortium, m: dict[str, Any], signature: bytes, relayer: Any = None) -> SentTransaction:
    fn = c.dep.registry.functions.attestBySig(
        m["digest"], m["kind"], m["year"], m["ref"], m["uri"], m["attester"], m["deadline"], signature
    )
    return send(c, relayer or c.outsider, fn)


def test_domain_separator_matches_eip712(consortium: Consortium) -> None:
    c = consortium
    assert typed(c, message(c)).header == c.dep.registry.functions.domainSeparator().call()
    fields, name, version, chain_id, contract, salt, extensions = (
        c.dep.registry.functions.eip712Domain().call()
    )
    assert (fields, name, version, chain_id, contract, salt, extensions) == (
        b"\x0f",
        "esg-attest AttestationRegistry",
        "1",
        c.chain.chain_id,
        c.dep.registry.address,
        ZERO32,
        [],
    )


def test_attest_by_sig_relayed_by_another_account(consortium: Consortium) -> None:
    c = consortium
    assert c.dep.registry.functions.nonces(c.bank.address).call() == 0
    m = message(c)
    signature = c.bank.sign_message(typed(c, m)).signature
    sent = relay(c, m, signature, relayer=c.outsider)
    (event,) = events(c.dep.registry, "Attested", sent)
    uid = c.dep.registry.functions.uidOf(c.bank_id, m["digest"]).call()
    assert (event["uid"], event["orgId"], event["attester"], event["uri"]) == (
        uid,
        c.bank_id,
        c.bank.address,
        m["uri"],
    )
    assert record(c, uid) == (c.bank.address, c.bank_id, sent.block_number, YEAR, Kind.FIGURES, False)
    assert c.dep.registry.functions.nonces(c.bank.address).call() == 1
    assert c.dep.registry.functions.nonces(c.outsider.address).call() == 0


def test_attest_by_sig_statement_with_ref(consortium: Consortium) -> None:
    c = consortium
    figures_uid = figures(c)
    m = message(
        c,
        attester=c.verifier.address,
        digest=digest("signed statement"),
        kind=int(Kind.STATEMENT),
        ref=figures_uid,
    )
    sent = relay(c, m, c.verifier.sign_message(typed(c, m)).signature)
    (covered,) = events(c.dep.registry, "Covered", sent)
    assert covered["figuresUid"] == figures_uid


def test_attest_by_sig_expired(consortium: Consortium) -> None:
    c = consortium
    m = message(c, deadline=latest_timestamp(c) + 60)
    signature = c.bank.sign_message(typed(c, m)).signature
    c.chain.tester.time_travel(m["deadline"] + 1)
    with reverts("SignatureExpired") as exc:
        relay(c, m, signature)
    assert f"deadline={m['deadline']}" in str(exc.value)


def test_attest_by_sig_wrong_signer(consortium: Consortium) -> None:
    c = consortium
    m = message(c)
    with reverts("InvalidSignature") as exc:
        relay(c, m, c.rival.sign_message(typed(c, m)).signature)
    assert c.bank.address in str(exc.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("digest", digest("other")),
        ("kind", int(Kind.FILE)),
        ("year", 2023),
        ("ref", digest("ref")),
        ("uri", "https://evil.example"),
        ("attester", None),  # replaced by the rival's address below
        ("deadline", None),  # one second later
    ],
)
def test_attest_by_sig_tampered_field(consortium: Consortium, field: str, value: Any) -> None:
    c = consortium
    m = message(c)
    signature = c.bank.sign_message(typed(c, m)).signature
    if field == "attester":
        value = c.rival.address
    elif field == "deadline":
        value = m["deadline"] + 1
    with reverts("InvalidSignature"):
        relay(c, {**m, field: value}, signature)


def test_attest_by_sig_for_another_chain_or_contract_is_invalid(consortium: Consortium) -> None:
    c = consortium
    m = message(c)
    domain = {
        "name": "esg-attest AttestationRegistry",
        "version": "1",
        "chainId": c.chain.chain_id + 1,
        "verifyingContract": c.dep.registry.address,
    }
    with reverts("InvalidSignature"):
        relay(c, m, c.bank.sign_message(encode_typed_data(domain, ATTEST_TYPES, m)).signature)
    domain = {**domain, "chainId": c.chain.chain_id, "verifyingContract": c.dep.governance.address}
    with reverts("InvalidSignature"):
        relay(c, m, c.bank.sign_message(encode_typed_data(domain, ATTEST_TYPES, m)).signature)


@pytest.mark.parametrize("signature", [b"", b"\x01" * 65, b"\x00" * 64], ids=["empty", "garbage", "short"])
def test_attest_by_sig_malformed_signature(consortium: Consortium, signature: bytes) -> None:
    with reverts("InvalidSignature"):
        relay(consortium, message(consortium), signature)


def test_attest_by_sig_replay_is_refused(consortium: Consortium) -> None:
    c = consortium
    m = message(c)
    signature = c.bank.sign_message(typed(c, m)).signature
    relay(c, m, signature)
    with reverts("InvalidSignature"):  # the nonce was consumed: the same signature now signs nonce 0, not 1
        relay(c, m, signature, relayer=c.rival)
    assert c.dep.registry.functions.nonces(c.bank.address).call() == 1


def test_attest_by_sig_applies_the_same_checks_as_attest(consortium: Consortium) -> None:
    c = consortium
    m = message(c, attester=c.outsider.address)
    with reverts("NotMember"):
        relay(c, m, c.outsider.sign_message(typed(c, m)).signature, relayer=c.bank)
    m = message(c, attester=c.verifier.address)
    with reverts("MissingRole"):
        relay(c, m, c.verifier.sign_message(typed(c, m)).signature)
    # a failed relay leaves the nonce unused
    assert c.dep.registry.functions.nonces(c.verifier.address).call() == 0


# -- views


def test_uid_of_is_keccak_of_abi_encoded_org_and_digest(consortium: Consortium) -> None:
    c = consortium
    dgst = digest("uid")
    expected = keccak(encode(["uint32", "bytes32"], [c.bank_id, dgst]))
    assert c.dep.registry.functions.uidOf(c.bank_id, dgst).call() == expected
    assert c.dep.uid_of(c.bank_id, dgst.hex()) == "0x" + expected.hex()
    assert c.dep.registry.functions.uidOf(2**32 - 1, dgst).call() == keccak(
        encode(["uint32", "bytes32"], [2**32 - 1, dgst])
    )
    assert (
        c.dep.uid_of(2**32 - 1, dgst.hex())
        == "0x" + keccak(encode(["uint32", "bytes32"], [2**32 - 1, dgst])).hex()
    )


def test_attestation_of_finds_the_organisations_record(consortium: Consortium) -> None:
    c = consortium
    sent = attest(c, c.bank, digest("of"), Kind.BATCH, 2024)
    uid, rec = c.dep.registry.functions.attestationOf(c.bank_id, digest("of")).call()
    assert uid == uid_from(c, sent)
    assert tuple(rec) == (c.bank.address, c.bank_id, sent.block_number, 2024, Kind.BATCH, False)
    other_uid, other = c.dep.registry.functions.attestationOf(c.rival_id, digest("of")).call()
    assert other_uid == c.dep.registry.functions.uidOf(c.rival_id, digest("of")).call()
    assert tuple(other) == (ZERO_ADDRESS, 0, 0, 0, 0, False)


def test_get_attestation_of_unknown_uid_is_all_zero(consortium: Consortium) -> None:
    assert record(consortium, digest("unknown")) == (ZERO_ADDRESS, 0, 0, 0, 0, False)
    assert consortium.dep.attestation(digest("unknown").hex()) is None


def test_membership_is_the_governance_contract(consortium: Consortium) -> None:
    assert consortium.dep.registry.functions.membership().call() == consortium.dep.governance.address


# -- the block number fits the record's 32 bits, or the attestation is refused


@pytest.fixture
def node_near_block_2_32(tmp_path: Path) -> Iterator[str]:
    """An anvil whose genesis is block 2^32 - 64 (`--number`), on 127.0.0.1; yields its URL.

    AnvilNode has no genesis-number option, so this one anvil is started by hand (port 0: anvil picks
    a free port and prints it)."""
    from attest.devtools.node import find_anvil

    log = tmp_path / "anvil.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(find_anvil()), "--host", "127.0.0.1", "--port", "0", "--number", str(2**32 - 64),
             "--color", "never"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        for _ in range(300):
            found = re.search(r"Listening on (127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
            if found or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert found, log.read_text(errors="replace")
        yield f"http://{found.group(1)}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.anvil
def test_an_attestation_past_block_2_32_is_refused_not_wrapped(node_near_block_2_32: str) -> None:
    """`blockNumber` is 32 bits: at block 2^32 the registry reverts (SafeCast) instead of storing 0."""
    from attest.devtools.node import dev_private_keys

    c = build_consortium(Chain.connect(node_near_block_2_32), funder_key=dev_private_keys(1)[0])
    w3 = c.chain.w3
    w3.provider.make_request("anvil_mine", [hex(2**32 - 2 - c.chain.head())])
    assert c.chain.head() == 2**32 - 2
    last = attest(c, c.bank, digest("last block that fits"), Kind.FIGURES)
    assert last.block_number == 2**32 - 1
    assert record(c, uid_from(c, last))[2] == 2**32 - 1
    w3.provider.make_request("anvil_mine", ["0x1"])  # the dry run before sending now runs past 2^32 too
    late = digest("one block too late")
    with reverts("SafeCastOverflowedUintDowncast") as exc:
        attest(c, c.bank, late, Kind.FIGURES)
    assert "bits=32, value=4294967" in str(exc.value)
    assert record(c, c.dep.registry.functions.uidOf(c.bank_id, late).call())[0] == ZERO_ADDRESS


# -- gas


def test_gas_of_anchoring_figures_with_empty_uri(consortium: Consortium) -> None:
    # Measured with solc 0.8.28, optimizer 200 runs, paris: 59,339 gas (digest sha256("esg-figures 2022"));
    # 59,290 before the disclosure-root branch in `_attest` (one more kind comparison, +49).
    c = consortium
    sent = attest(c, c.bank, digest("esg-figures 2022"), Kind.FIGURES, 2022)
    assert sent.gas_used <= 60_000


def test_gas_of_restating_and_revoking(consortium: Consortium) -> None:
    # Measured (solc 0.8.28, 200 runs, paris). The reverse link `_replaces` that lets a revoked
    # restatement free its original costs a restatement one new slot (86,267 -> 108,448) and every
    # revocation one cold read (39,533 -> 41,693); revoking a restatement also clears the original's
    # supersession (39,629 -> 44,243). Anchoring without a reference is unchanged.
    c = consortium
    old = figures(c, "esg-figures 2022")
    restated = attest(c, c.bank, digest("esg-figures 2022 restated"), Kind.FIGURES, ref=old)
    assert restated.gas_used <= 108_500
    assert revoke(c.dep, c.bank, figures(c, "plain").hex(), "withdrawn").gas_used <= 41_700
    assert revoke(c.dep, c.bank, uid_from(c, restated).hex(), "wrong restatement").gas_used <= 44_300
