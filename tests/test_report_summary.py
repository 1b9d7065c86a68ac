"""The report in plain words (attest.core.report_summary): taken from the check lines, never more."""

from __future__ import annotations

from dataclasses import replace

from attest.core.contracts import Kind
from attest.core.records import OnchainAttestation, Revocation
from attest.core.report_summary import Basis, plain_check, plain_checks, summary_sentence, when
from attest.core.verification import Check, Report

T = 1_765_000_000  # 6 December 2025 05:46:40 UTC


def attestation(**changes: object) -> OnchainAttestation:
    base = OnchainAttestation(
        uid="0x" + "11" * 32,
        digest="22" * 32,
        org_id=1,
        attester="0x" + "33" * 20,
        kind=Kind.FIGURES,
        year=2022,
        ref="0x" + "00" * 32,
        uri="",
        block_number=48,
        log_index=0,
        block_hash="0x" + "44" * 32,
        transaction_hash="0x" + "55" * 32,
        revoked=False,
        revocation=None,
        superseded_by=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


QUORUM = Basis("nodes", ("WeBank", "Bank of Ningbo", "CNAS"), ("WeBank", "Bank of Ningbo", "CNAS"), block=60)


def report(
    *lines: tuple[str, str], a: OnchainAttestation | None = None, basis: Basis | None = QUORUM
) -> Report:
    checks = [Check(n, s, f"technical detail of {n}") for n, s in lines]
    return Report("f.json", "22" * 32, checks, a, anchored_at=T, org_name="WeBank", basis=basis)


GOOD = (("deployment", "pass"), ("digest", "pass"), ("anchored", "pass"), ("authorised", "pass"))
TAIL = (("status", "pass"), ("confirmations", "pass"), ("proofs", "pass"), ("logs", "pass"))


def test_a_verified_document_in_one_sentence() -> None:
    r = report(*GOOD, *TAIL, a=attestation())
    r.anchored_at_proven = True
    assert r.verified
    s = summary_sentence(r)
    assert s.startswith("Verified: WeBank published this document as its ESG figures for 2022, ")
    assert f"on {when(T)} (block 48)" in s and when(T) == "6 December 2025 at 05:46 UTC"
    assert "it is still current" in s
    assert "whose hash the nodes of 3 organisations (WeBank, Bank of Ningbo, CNAS) agreed on" in s
    assert "technical detail" not in s  # the details stay folded under the lines


def test_the_time_says_when_it_is_the_nodes_word() -> None:
    s = summary_sentence(report(*GOOD, *TAIL, a=attestation()))
    assert "(block 48, the time as the node reports it)" in s


def test_one_node_is_named_as_trusted_and_an_unproven_answer_as_one_nodes_word() -> None:
    one = Basis("nodes", ("http://127.0.0.1:8545",), block=60)
    s = summary_sentence(report(*GOOD, *TAIL, a=attestation(), basis=one))
    assert "one node alone (http://127.0.0.1:8545) gave: this server trusted that one node" in s
    unproven = report(
        *GOOD, ("status", "pass"), ("proofs", "info"), a=attestation(), basis=Basis("node", ("n1",))
    )
    unproven.checks[-1] = Check("proofs", "info", "unproven: node's word (no proofs)")
    assert "rests on the word of one node (n1): nothing was proven" in summary_sentence(unproven)
    checkpoint = Basis("checkpoint", (), block=60, checkpoint="60:0xab")
    assert "which a checkpoint given to this server names" in summary_sentence(
        report(*GOOD, *TAIL, a=attestation(), basis=checkpoint)
    )
    same_org = Basis("nodes", ("WeBank", "WeBank"), ("WeBank",), block=60)
    assert "all run by one organisation (WeBank)" in summary_sentence(
        report(*GOOD, *TAIL, a=attestation(), basis=same_org)
    )


def test_a_revoked_document_says_who_withdrew_it_and_why() -> None:
    revoked = attestation(revoked=True, revocation=Revocation(52, 1, "0x" + "33" * 20, "typo in scope 2"))
    r = report(*GOOD, ("status", "fail"), *TAIL[1:], a=revoked)
    s = summary_sentence(r)
    assert s.startswith("Not verified: WeBank published this document as its ESG figures for 2022")
    assert (
        "but it has been withdrawn: revoked by its publisher in block 52, giving as reason “typo in scope 2”"
        in s
    )
    assert "(see the line marked ✗: status)" in s
    r.revoked_at, r.revoked_at_proven = T + 3600, True
    assert f"revoked by its publisher on {when(T + 3600)} (block 52), giving as reason" in summary_sentence(r)
    r.revoked_at_proven = False
    assert "(block 52, the time as the node reports it)" in summary_sentence(r)


def test_a_document_not_anchored_states_no_publisher() -> None:
    r = report(("deployment", "pass"), ("digest", "pass"), ("anchored", "fail"), ("proofs", "pass"))
    s = summary_sentence(r)
    assert s.startswith("Not verified: no publication of this document by a member organisation was found")
    assert "WeBank" not in s.split("rests on")[0] and "see the line marked ✗: anchored" in s


def test_an_edited_document_is_told_apart_from_one_never_published() -> None:
    r = report(("deployment", "pass"), ("digest", "pass"), ("anchored", "fail"), ("proofs", "pass"))
    r.checks[2] = Check(
        "anchored",
        "fail",
        "no attestation…; it anchored other content for that year "
        "(ab12…): this file is not what was published",
    )
    assert summary_sentence(r).startswith(
        "Not verified: the organisation it names published a different document for that year"
    )


def test_a_node_caught_lying_leaves_nothing_to_state() -> None:
    r = report(*GOOD, *TAIL[:2], ("proofs", "fail"), a=attestation())
    s = summary_sentence(r)
    assert s == "Not verified: the node's answers contradict the proofs (see the line marked ✗: proofs)."


def test_each_line_has_a_plain_summary() -> None:
    r = report(
        *GOOD,
        ("key", "warn"),
        ("coverage", "info"),
        ("cross-check: emissions", "fail"),
        *TAIL,
        a=attestation(),
    )
    plain = plain_checks(r)
    assert len(plain) == len(r.checks) and all(plain)
    assert plain[2] == "Published by WeBank as its ESG figures for 2022, in block 48."
    assert (
        plain_check(Check("cross-check: emissions", "fail", "x"))
        == "The statement does not agree with the figures."
    )
    assert "frozen" in plain[4]
    assert plain_check(Check("credits: recorded", "warn", "old spelling")).startswith("A caution")
    records = Check("credit records: retirements[0]", "info", "not checked: no --registry-records")
    assert plain_check(records).startswith("Not compared with the carbon registry's records")
    revoked = attestation(revoked=True, revocation=Revocation(52, 0, "0x" + "66" * 20, "lapsed"))
    (line,) = plain_checks(report(("status", "fail"), a=revoked))
    assert (
        line == "It has been withdrawn: revoked by the consortium's committee in block 52, "
        "giving as reason “lapsed”."
    )


def test_a_file_that_could_not_be_read_says_so_and_rests_on_nothing() -> None:
    from attest.core.verification import unreadable

    r = unreadable("bad.json", "bad.json: field 'a': duplicate key \"a\"")
    sentence = summary_sentence(r)
    assert sentence.startswith("Not verified: the file could not be read as a document")
    assert "✗: input" in sentence and "node" not in sentence


def test_lines_failed_only_by_require_proofs_are_not_called_a_contradiction() -> None:
    """A record too new for the agreed block, with --require-proofs: its lines fail, the proofs and
    logs lines name what is unproven — nothing was found wrong, and the sentence must not say the
    node contradicts the proofs (it did, before)."""
    unproven = " — rests on node's word: failed by --require-proofs"
    r = report(*GOOD, *TAIL, a=attestation())
    r.checks = [
        Check(c.name, "fail", c.detail + unproven, unproven=True)
        if c.name in ("anchored", "authorised", "status")
        else Check(c.name, "fail", "proven against block 46 …; the node's word, not provable at that block: "
                   "attestation 0x11… at block 48, after block 46 (--require-proofs)", unproven=True)
        if c.name in ("proofs", "logs")
        else c
        for c in r.checks
    ]  # fmt: skip
    s = summary_sentence(r)
    assert s.startswith("Not verified: WeBank published this document as its ESG figures for 2022"), s
    assert "not all it rests on is proven against a block independent nodes agree on (--require-proofs)" in s
    assert "contradict" not in s and "no publication" not in s, s
    assert "see the lines marked ✗: anchored, authorised, status, proofs, logs" in s, s


def test_a_contradiction_is_still_called_one_beside_unproven_lines() -> None:
    r = report(*GOOD, ("status", "pass"), ("confirmations", "pass"), ("proofs", "fail"), ("logs", "pass"))
    r.checks[2] = Check(
        "anchored", "fail", "figures … — rests on node's word: failed by --require-proofs", unproven=True
    )
    s = summary_sentence(r)
    assert "the node's answers contradict the proofs" in s, s
    assert "no publication" not in s, s


def test_words_that_only_look_unproven_are_a_failure_all_the_same() -> None:
    """A revoker's reason (or a node's text) ending in the option's name is not the flag: the line is
    a real failure and is said as one (tests/test_review_attacks.py plays it on a chain)."""
    r = report(*GOOD, *TAIL, a=attestation(revoked=True))
    sly = "revoked: restated — rests on node's word: failed by --require-proofs"
    r.checks[4] = Check("status", "fail", sly)
    s = summary_sentence(r)
    assert "not all it rests on is proven" not in s, s
