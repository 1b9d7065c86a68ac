"""verify-disclosure's decision without a chain (attest.core.disclosure_checks): each unit of
`DISCLOSURE_CHECKS` passes on honest evidence, built by hand, and fails on the lie it is there for;
its lines rest on the weakest of its unit's facts, and `--require-proofs` fails those resting on less
than a proof. The end-to-end tests (tests/test_disclosure.py, tests/test_lies_disclosure.py) run the
same decision on what the chain and the prover say."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from test_verification import attestation

from attest.core.contracts import Kind
from attest.core.disclosure_checks import (
    LEAF_ENCODING,
    Binding,
    DisclosureEvidence,
    DisclosureResult,
    StatementEvidence,
    decide_disclosure,
    document_leaf,
    metric_leaf,
)
from attest.core.grounds import Ground
from attest.core.merkle import StandardMerkleTree
from attest.core.records import OnchainAttestation, attestation_uid
from attest.core.verification import Check, Report

pytestmark = pytest.mark.unit

ORG, VERIFIER = 1, 2
REGISTRY, CHAIN_ID = "0x" + "12" * 20, 31337
FIGURES = "f1" * 32
METRIC = {"code": "E.paper", "label": "Paper saved", "value": "12.5", "unit": "t"}
OTHER = {"code": "E.water", "label": "Water", "value": "3", "unit": "m3"}
PROVEN = ("proven", "proven against block 9 (checkpoint 9:0xab)")
AT = "block 9 0x" + "ab" * 32 + " (checkpoint 9:0xab)"


def tree(metric: dict[str, Any] = METRIC, salt: bytes = b"\x11" * 32) -> StandardMerkleTree:
    """The salted tree over two metrics and the figures' document leaf, as a tree file holds it."""
    values = [
        metric_leaf(metric, salt),
        metric_leaf(OTHER, b"\x33" * 32),
        document_leaf(bytes.fromhex(FIGURES), b"\x22" * 32),
    ]
    return StandardMerkleTree.load(StandardMerkleTree.of(values, LEAF_ENCODING).dump())


def proof_of(t: StandardMerkleTree, metric: dict[str, Any] = METRIC) -> dict[str, Any]:
    """What `attest disclose` writes for `metric` from tree `t`."""
    entries = list(t.entries())
    leaf = next(i for i, v in entries if v[1] == metric["code"])
    doc = next(i for i, v in entries if v[0] == "document")
    return {
        "metric": metric,
        "value": t.at(leaf),
        "proof": t.get_proof(leaf),
        "root": t.root,
        "organisation": "WeBank",
        "year": 2022,
        "registry": REGISTRY,
        "chain_id": CHAIN_ID,
        "figures": {"digest": FIGURES, "value": t.at(doc), "proof": t.get_proof(doc)},
    }


def uid(digest: str, org: int = ORG) -> str:
    return attestation_uid(org, bytes.fromhex(digest.removeprefix("0x")))


def line(name: str, status: str = "pass", rests: tuple[str, str] = PROVEN) -> Check:
    return Check(name, status, f"{name} {status}", *rests)


def report(a: OnchainAttestation | None, *failing: str, rests: tuple[str, str] = PROVEN) -> Report:
    """An `attest verify` report of `a`, as `rest` left it: every line on `rests`, `failing` failed."""
    names = ("deployment", "digest", "anchored", "authorised", "status", "coverage", "proofs", "logs")
    checks = [
        line(n, "fail" if n in failing else "info" if n == "coverage" else "pass", rests)
        if n != "digest"
        else line(n, rests=("the file", "the file at hand"))
        for n in names
    ]
    digest = a.digest if a is not None else "00" * 32
    return Report(digest, digest, checks, a)


def honest(**changes: Any) -> DisclosureEvidence:
    """What gather_disclosure reads for an honest proof: the root anchored as the figures' one
    disclosure root, the figures live, all proven against a checkpoint, no --statement."""
    p = proof_of(tree())
    root = p["root"].removeprefix("0x")
    root_a = attestation(kind=Kind.DISCLOSURE, uid=uid(root), digest=root, ref=uid(FIGURES), block_number=8)
    figures_a = attestation(kind=Kind.FIGURES, uid=uid(FIGURES), digest=FIGURES, block_number=5)
    base = DisclosureEvidence(
        p,
        CHAIN_ID,
        REGISTRY,
        ORG,
        report(root_a),
        report(figures_a),
        Binding(
            root_a.uid,
            root_a,
            root_a.uid,
            at=AT,
            at_number=9,
            node="http://a",
            trusted=(Ground.PROVEN, PROVEN[1]),
        ),
    )
    return replace(base, **changes)


def statement(ev: DisclosureEvidence, **changes: Any) -> StatementEvidence:
    """A statement by the verifier covering the figures and naming the proof's root, verified."""
    s = attestation(
        VERIFIER, Kind.STATEMENT, uid=uid("5e" * 32, VERIFIER), digest="5e" * 32, ref=uid(FIGURES)
    )
    base = StatementEvidence("statement.json", "5e" * 32, ev.proof["root"], "Verifier", report(s))
    return replace(base, **changes)


def lines(result: DisclosureResult) -> dict[str, Check]:
    return {c.name: c for c in result.checks}


def failed(result: DisclosureResult) -> list[str]:
    return [c.name for c in result.checks if c.status == "fail"]


def test_an_honest_disclosure_verifies_each_line_resting_on_its_facts() -> None:
    result = decide_disclosure(honest())
    assert result.verified and failed(result) == [] and result.audited_by is None
    names = [c.name for c in result.checks]
    root_lines = ["deployment", "anchored", "authorised", "status", "proofs", "logs"]  # no digest, coverage
    assert names == ["leaf", "proof", "registry", *root_lines, "year", "figures", "bound", "audit"]
    by = lines(result)
    assert [by[n].rests_on for n in ("leaf", "proof", "registry")] == ["the file"] * 3
    assert all(by[n].rests_on == "proven" for n in (*root_lines, "year", "figures", "bound"))
    assert by["bound"].detail.endswith(f"({'proven at ' + AT})")
    assert (
        by["audit"].status == "warn" and by["audit"].rests_on == "the file"
    )  # no --statement: the reader's choice
    assert "no --statement given" in by["audit"].rests_on_detail


def test_the_root_lines_keep_what_their_own_verification_said() -> None:
    """The root's lines come tagged by `attest verify`'s own `rest`: not tagged again here."""
    ev = honest()
    assert ev.root is not None
    weak = replace(
        ev.root,
        checks=[
            replace(c, rests_on="one node", rests_on_detail="one node's block") if c.name == "status" else c
            for c in ev.root.checks
        ],
    )
    by = lines(decide_disclosure(replace(ev, root=weak)))
    assert by["status"].rests_on == "one node" and by["anchored"].rests_on == "proven"
    assert by["year"].rests_on == "one node"  # the root's weakest line: `year` decides on the root's record


@pytest.mark.parametrize(
    ("lie", "fails", "says"),
    [
        # the leaf: another value than the tree holds, or a salt too short to hide it
        ("edited value", ["leaf", "proof"], "not this metric's canonical JSON"),
        ("short salt", ["leaf", "proof"], "salt is 1 bytes, not 32"),
        ("path elsewhere", ["proof"], "does not lead to root"),
        ("other chain", ["registry"], "the proof names chain 1 registry"),
        ("root not anchored", ["anchored"], "anchored fail"),
        ("root revoked", ["status"], "status fail"),
        (
            "root anchored as a batch",
            ["year"],
            "anchored as batch for 2022, not as a disclosure root for 2022",
        ),
        ("root for another year", ["year"], "for 2021, not as a disclosure root for 2022"),
        ("figures not committed", ["figures"], "the root does not commit to figures sha256"),
        ("figures revoked", ["figures"], f"figures sha256 {FIGURES}: status fail"),
        ("figures for another year", ["figures"], "are for 2021, the disclosure for 2022"),
        ("figures not anchored", ["figures"], "are not anchored as figures by WeBank"),
        ("nothing bound", ["bound"], "no disclosure root is bound on-chain to figures attestation"),
        ("another root bound", ["bound"], "is bound on-chain to disclosure root 0x" + "0a" * 32),
        ("node forges the binding", ["bound"], "node http://a contradicts proofs at block 9"),
        (
            "node binds what the proofs leave unbound",
            ["bound"],
            "no disclosure root is bound to figures attestation",
        ),
    ],
)
def test_each_lie_fails_its_line(lie: str, fails: list[str], says: str) -> None:
    ev = honest()
    assert ev.root is not None and ev.figures is not None and ev.binding is not None
    root_a, figures_a, b = ev.root.attestation, ev.figures.attestation, ev.binding
    assert root_a is not None and figures_a is not None
    p = dict(ev.proof)
    if lie == "edited value":
        p["metric"] = dict(METRIC, value="1")
    elif lie == "short salt":  # a salt too short to hide the value said to be 32 bytes (no tree has it)
        p["value"] = [*p["value"][:3], "0x11"]
    elif lie == "path elsewhere":
        p["proof"] = list(reversed(p["proof"]))
    elif lie == "other chain":
        p["chain_id"] = 1
    elif lie == "root not anchored":
        ev = replace(ev, root=report(None, "anchored"))
    elif lie == "root revoked":
        ev = replace(ev, root=report(root_a, "status"))
    elif lie == "root anchored as a batch":
        ev = replace(ev, root=report(replace(root_a, kind=Kind.BATCH)))
    elif lie == "root for another year":
        ev = replace(ev, root=report(replace(root_a, year=2021)))
    elif lie == "figures not committed":
        p["figures"] = dict(p["figures"], digest="ab" * 32)
    elif lie == "figures revoked":
        ev = replace(ev, figures=report(figures_a, "status"))
    elif lie == "figures for another year":
        ev = replace(ev, figures=report(replace(figures_a, year=2021)))
    elif lie == "figures not anchored":
        ev = replace(ev, figures=report(None, "anchored"))
    elif lie == "nothing bound":
        ev = replace(ev, binding=replace(b, said=None, said_record=None, held="0x" + "00" * 32))
    elif lie == "another root bound":
        other = replace(root_a, uid="0x" + "0b" * 32, digest="0a" * 32)
        ev = replace(ev, binding=replace(b, said=other.uid, said_record=other, held=other.uid))
    elif lie == "node forges the binding":
        ev = replace(ev, binding=replace(b, held="0x" + "0b" * 32))
    elif lie == "node binds what the proofs leave unbound":  # anchored before the trusted block
        ev = replace(ev, binding=replace(b, held="0x" + "00" * 32))
    result = decide_disclosure(replace(ev, proof=p))
    assert failed(result) == fails and not result.verified, result.checks
    assert says in lines(result)[fails[0]].detail, lines(result)[fails[0]].detail


def test_an_organisation_governance_does_not_know_or_a_root_that_is_no_hash_stops_there() -> None:
    for ev, says, rests in (
        (
            honest(org_id=None, root=None, figures=None, binding=None),
            "'WeBank' is not an admitted organisation",
            "node's word",
        ),
        (
            honest(proof=dict(honest().proof, root="0x1234"), root=None, figures=None, binding=None),
            "the root is not a hash",
            "the file",
        ),
    ):
        result = decide_disclosure(ev)
        assert [c.name for c in result.checks] == ["leaf", "proof", "registry", "anchored"]
        anchored = lines(result)["anchored"]
        assert anchored.status == "fail" and anchored.detail == says and anchored.rests_on == rests
        assert not result.verified


def test_a_binding_newer_than_the_trusted_block_is_the_nodes_word_failed_by_require_proofs() -> None:
    ev = honest()
    assert ev.binding is not None and ev.binding.said_record is not None
    later = replace(
        ev.binding, held="0x" + "00" * 32, said_record=replace(ev.binding.said_record, block_number=12)
    )
    bound = lines(decide_disclosure(replace(ev, binding=later)))["bound"]
    assert bound.status == "pass" and bound.rests_on == "node's word"
    assert "(node's word: bound in block 12, after the trusted block 9" in bound.detail
    assert bound.rests_on_detail == "the node's disclosureOf answer"
    bound = lines(decide_disclosure(replace(ev, binding=later, require=True)))["bound"]
    assert bound.status == "fail" and bound.detail.startswith("unproven: bound in block 12")
    assert bound.detail.endswith("(--require-proofs)") and bound.rests_on == "node's word"


def test_an_unproven_binding_is_the_nodes_word_failed_by_require_proofs() -> None:
    ev = honest()
    assert ev.binding is not None
    unproven = Binding(ev.binding.said, ev.binding.said_record, None, unproven="no proofs asked for")
    result = decide_disclosure(replace(ev, binding=unproven))
    bound = lines(result)["bound"]
    assert (
        result.verified
        and bound.rests_on == "node's word"
        and bound.detail.endswith("(node's word: no proofs asked for)")
    )
    result = decide_disclosure(replace(ev, binding=unproven, require=True))
    bound = lines(result)["bound"]
    assert failed(result) == ["bound"] and bound.rests_on == "node's word"
    assert bound.detail == (
        f"unproven: the root bound to figures attestation {uid(FIGURES)} is the node's word (no proofs asked "
        "for) (--require-proofs)"
    )


def test_require_proofs_fails_a_line_resting_on_one_node_and_never_the_files() -> None:
    """The lie: the figures proven only against one node's block. `figures` rests on their report's
    weakest line, and --require-proofs fails it; the proof file's lines stand."""
    ev = honest()
    assert ev.figures is not None and ev.figures.attestation is not None
    one = report(ev.figures.attestation, rests=("one node", "proven against block 9, one node alone"))
    result = decide_disclosure(replace(ev, figures=one, require=True))
    assert failed(result) == ["figures"], result.checks
    figures = lines(result)["figures"]
    assert figures.rests_on == "one node" and figures.detail.endswith(
        "rests on one node: failed by --require-proofs"
    )
    assert figures.rests_on_detail == "proven against block 9, one node alone"
    assert decide_disclosure(replace(ev, figures=one)).verified  # without --require-proofs: said, not failed


def test_a_statement_that_names_the_root_audits_it() -> None:
    ev = honest()
    result = decide_disclosure(replace(ev, statement=statement(ev)))
    audit = lines(result)["audit"]
    assert result.verified and result.audited_by == "Verifier" and audit.status == "pass"
    assert audit.detail.startswith("tree audited by Verifier (org #2): statement attestation ")
    assert audit.rests_on == "proven"


def test_a_statement_on_less_than_a_proof_audits_nothing_under_require_proofs() -> None:
    """The lie: the page shows "tree audited by" (`audited_by`) beside an `audit` line that
    --require-proofs failed, the statement resting on one node's block."""
    ev = honest(require=True)
    s = statement(ev)
    s = replace(s, report=report(s.report.attestation, rests=("one node", "proven against one node's block")))
    result = decide_disclosure(replace(ev, statement=s))
    assert failed(result) == ["audit"] and lines(result)["audit"].rests_on == "one node"
    assert result.audited_by is None


@pytest.mark.parametrize(
    ("lie", "says"),
    [
        ("another root", "it names disclosure root 0x" + "ab" * 32),
        ("no root", "it names no disclosure_root"),
        ("other figures", "it covers attestation 0x" + "0c" * 32 + ", not these figures"),
        ("does not verify", "it does not verify (status: status fail)"),
        ("changed while read", "it changed while it was read"),
    ],
)
def test_a_statement_that_does_not_back_the_tree_fails_the_audit(lie: str, says: str) -> None:
    ev = honest()
    s = statement(ev)
    a = s.report.attestation
    assert a is not None
    s = {
        "another root": replace(s, disclosure_root="0x" + "ab" * 32),
        "no root": replace(s, disclosure_root=None),
        "other figures": replace(s, report=report(replace(a, ref="0x" + "0c" * 32))),
        "does not verify": replace(s, report=report(a, "status")),
        "changed while read": replace(s, digest="00" * 32),
    }[lie]
    result = decide_disclosure(replace(ev, statement=s))
    audit = lines(result)["audit"]
    assert failed(result) == ["audit"] and result.audited_by is None
    assert (
        audit.detail.startswith("the value rests on the publisher's tree: statement statement.json")
        and says in audit.detail
    )


def test_the_audit_warning_counts_the_live_statements_covering_the_figures() -> None:
    live = attestation(VERIFIER, Kind.STATEMENT)
    gone = attestation(VERIFIER, Kind.STATEMENT, revoked=True)
    audit = lines(decide_disclosure(honest(covering=(live, gone))))["audit"]
    assert (
        audit.status == "warn" and "(1 current verification statement(s) cover these figures" in audit.detail
    )
