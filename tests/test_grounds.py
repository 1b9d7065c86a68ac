"""What each report line rests on (attest.core.grounds, attest.core.verification.rest), without a chain.

Each line rests on the weakest of the kinds of fact its check unit decides on; `--require-proofs`
fails a line resting on less than a proof — the node's word, or a block only one node vouched for —
and never one resting on the file alone. The lies these defeat: a verdict on one node's answers
passing `--require-proofs` because its own `proofs` line passed; a line that rests on an unproven
fact (a record newer than the trusted block) shown as if it were proven.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_verification import attestation, evidence

from attest.core.disclosure_checks import DISCLOSURE_CHECKS
from attest.core.grounds import FACTS, Ground, Grounds
from attest.core.report_summary import Basis
from attest.core.report_text import report_lines
from attest.core.verification import CHECKS, decide, rest, unit_of

pytestmark = pytest.mark.unit

PROVEN = Grounds(dict.fromkeys(FACTS, (Ground.PROVEN, "proven against block 9 (checkpoint 9:0xab)")))


def test_every_unit_names_known_facts_and_the_trust_model_lists_them() -> None:
    """Each unit names at least one kind of fact, every kind is one `FACTS` knows, and
    docs/trust-model.md's table says the same for each line."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "trust-model.md").read_text(encoding="utf-8")
    table = page.split("| line | what it establishes | what it rests on |", 1)[1].split("\n\n", 1)[0]
    rows = dict(re.findall(r"^\| `([^`]+)` \| [^|]+ \| ([a-z, ]+) \|$", table, flags=re.M))
    for unit in CHECKS:
        assert unit.facts, unit.name
        assert set(unit.facts) <= set(FACTS), unit.name
        assert rows.get(unit.name) == ", ".join(unit.facts), unit.name


def test_the_trust_model_lists_verify_disclosures_units_in_order() -> None:
    """docs/trust-model.md's table of verify-disclosure's lines is its registry,
    `DISCLOSURE_CHECKS`: name, what it establishes and the kinds of fact it rests on, in order."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "trust-model.md").read_text(encoding="utf-8")
    section = page.split("### verify-disclosure's lines", 1)[1]
    table = section.split("| line | what it establishes | what it rests on |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \| ([a-z, ]+) \|$", table, flags=re.M)
    assert rows == [(u.name, u.about, ", ".join(u.facts)) for u in DISCLOSURE_CHECKS]
    for unit in DISCLOSURE_CHECKS:
        assert unit.facts and set(unit.facts) <= set(FACTS), unit.name


def test_lines_rest_on_the_weakest_of_their_facts() -> None:
    report = decide(evidence([attestation()]))
    mixed = Grounds({**PROVEN.facts, "logs": (Ground.NODE, "not proven by receipts")})
    rest(report, mixed, require=False)
    by_name = {c.name: c for c in report.checks}
    assert by_name["digest"].rests_on == "the file"
    assert by_name["anchored"].rests_on == "proven"  # record and names: no logs
    assert by_name["coverage"].rests_on == "node's word"  # logs among its facts
    assert "not proven by receipts" in by_name["coverage"].rests_on_detail
    assert "as complete as the logs of the nodes asked" in by_name["coverage"].rests_on_detail
    assert all(c.status != "fail" for c in report.checks)  # without --require-proofs nothing changes


def test_require_proofs_fails_each_line_on_less_than_a_proof_and_never_the_file() -> None:
    """The lie: every fact on one node's block. Its lines fail one by one; the file's do not."""
    report = decide(evidence([attestation()]))
    one = Grounds(dict.fromkeys(FACTS, (Ground.ONE_NODE, "proven against block 9, one node alone")))
    rest(report, one, require=True)
    assert {c.name: c.status for c in report.checks if c.rests_on == "the file"} == {"digest": "pass"}
    chain_lines = [c for c in report.checks if c.rests_on != "the file"]
    assert chain_lines and all(c.status == "fail" for c in chain_lines)
    assert all(c.detail.endswith("rests on one node: failed by --require-proofs") for c in chain_lines)
    assert not report.verified


def test_with_every_fact_proven_require_proofs_changes_nothing() -> None:
    report = decide(evidence([attestation()]))
    before = [(c.name, c.status, c.detail) for c in report.checks]
    rest(report, PROVEN, require=True)
    assert [(c.name, c.status, c.detail) for c in report.checks] == before
    assert report.verified


def test_the_text_report_tags_each_line_and_explains_weak_tags_once() -> None:
    report = decide(evidence([attestation()]))
    rest(report, Grounds.node_only("no trusted block: no --rpc-url"), require=False)
    lines = report_lines(report)
    checks = [x for x in lines if x.startswith("  ") and x[2] in "✓✗!·"]
    assert checks and all(x.endswith(("[the file]", "[node's word]")) for x in checks), lines
    legend = [x for x in lines if x.startswith("  [node's word] ")]
    assert legend == ["  [node's word] no trusted block: no --rpc-url"], lines


def test_lines_of_families_find_their_unit() -> None:
    unit = unit_of("credits: recorded")
    assert unit is not None and unit.name == "credits"
    unit = unit_of("retirement: vintage")
    assert unit is not None and unit.name == "retirement"
    assert unit_of("input") is None


@pytest.mark.parametrize(
    ("basis", "independent"),
    [
        (Basis("checkpoint", (), block=9, checkpoint="9:0xab"), True),
        (Basis("nodes", ("http://a",), block=9), False),
        (Basis("nodes", ("http://a", "http://a"), block=9), False),  # the same URL twice is one node
        (Basis("nodes", ("http://a", "http://b"), block=9), True),
        (Basis("nodes", ("WeBank", "WeBank"), ("WeBank",), block=9), False),  # one operator's nodes
        (Basis("nodes", ("WeBank", "Verifier"), ("WeBank", "Verifier"), block=9), True),
        (Basis("node", ("http://a",)), False),
    ],
)
def test_a_block_is_vouched_for_independently_only_by_two_parties_or_a_checkpoint(
    basis: Basis, independent: bool
) -> None:
    assert basis.independent is independent


def test_one_operator_written_two_ways_behind_two_urls_is_one_party() -> None:
    """The manifest lists `http://a:8545/` and `http://b:8545`, both run by WeBank (once spelt
    `WEBANK `): the quorum asks the URLs without their trailing slash, and the operator must still be
    found, and be one party — else two of one bank's nodes count as independent."""
    from attest.app.proven import operators_by_url

    ops = operators_by_url({"http://a:8545/": "WeBank", "http://b:8545": "WEBANK "})
    assert ops == {"http://a:8545": "WeBank", "http://b:8545": "WeBank"}
    nodes = tuple(ops[u] for u in ("http://a:8545", "http://b:8545"))
    assert not Basis("nodes", nodes, tuple(dict.fromkeys(nodes)), block=9).independent
