"""`attest history --neutrality` proves what each row's verdict rests on, as `attest verify` does.

The history is one more way of verifying a neutrality claim: each row's statement is verified by
verify's own checks. Before, those checks ran without a prover, so a row's "met" was the node's
word whatever was asked: a bank fronting the node could hide the revocation of the statement
backing its claim and the row read "met". Now the row's report carries a `proofs` line, the node's
answers are compared with the proofs against a block the nodes agree on, and a row is met only if
that report verifies (under --require-proofs, only if it is proven). Real CLI, real anvil, a
forging proxy for the lying node and an honest one for a second party's node.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from lying_proxy import GET_ATTESTATION, REVOKED, ForgingProxy, run_attest, show
from worlds import World, anvil_world

from attest.chain.anchoring import revoke

pytestmark = pytest.mark.anvil


def _revoke_statement(w: World) -> None:
    revoke(w.c.dep, w.c.verifier, w.statement_uid, "the verification was withdrawn")


@pytest.fixture(scope="module")
def revoked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """2022 figures, the verifier's statement claiming neutrality for them, then that statement revoked."""
    root = tmp_path_factory.mktemp("neutrality-revoked")
    with anvil_world(root, statement="statement.json", setup=_revoke_statement) as w:
        yield w


@pytest.fixture(scope="module")
def standing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """2022 figures and the verifier's statement claiming neutrality for them, both standing."""
    root = tmp_path_factory.mktemp("neutrality-standing")
    with anvil_world(root, statement="statement.json") as w:
        yield w


def _hide_revocation(w: World) -> Any:
    """The node answers the statement's record with its revoked flag cleared and drops every
    `Revoked` log: the statement looks standing, the neutrality claim it backs live."""

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if method == "eth_call" and isinstance(result, str):
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + w.statement_uid[2:]:
                return result[: 2 + 5 * 64] + "00" * 32 + result[2 + 6 * 64 :]
        if method == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log["topics"][0]).lower() != REVOKED]
        return result

    return forge


def _history(w: World, *args: str) -> Any:
    return run_attest("history", "--org", "WeBank", "--neutrality", "-d", str(w.manifest), *args)


def _row(done: Any) -> dict[str, Any]:
    assert done.returncode == 0, show(done)
    data = json.loads(done.stdout)
    [row] = data["years"]
    assert row["year"] == 2022
    return {**row, "met_overall": data["met"]}


def test_a_node_hiding_the_statements_revocation_no_longer_makes_the_year_met(revoked: World) -> None:
    """The lie: the bank's node hides the revocation of the statement backing its 2022 claim. Every
    record a row is chosen by is proven at the block both nodes agree on before any row is decided,
    so the node contradicting the proof of the statement's slot stops the history: a chain error
    naming the statement (exit 3). Before, the verification ran without a prover: met, exit 0."""
    honest = _row(_history(revoked, "--rpc-url", revoked.node.rpc_url, "--json"))
    assert honest["status"] == "revoked" and honest["met"] is False
    proxy = ForgingProxy(revoked.node.rpc_url, _hide_revocation(revoked))
    try:
        nodes = ("--rpc-url", proxy.url, *second_party(revoked.node.rpc_url))
        lied = _history(revoked, *nodes, "--json")
    finally:
        proxy.close()
    assert lied.returncode == 3, show(lied)
    assert "contradicts the proofs" in lied.stderr and revoked.statement_uid in lied.stderr, show(lied)
    assert "was revoked by block" in lied.stderr and lied.stderr.count("\n") == 1, show(lied)


def test_require_proofs_makes_a_year_resting_on_one_nodes_word_unmet(standing: World) -> None:
    """One node and no checkpoint: nothing vouches for the block, so the row's verification rests on
    the node's word; with --require-proofs the year is not met, its failed lines marked unproven.
    With a second party's node, the same history is proven and the year is met."""
    one = ("--rpc-url", standing.node.rpc_url)
    plain = _row(_history(standing, *one, "--json"))
    assert plain["met"] is True, plain
    required = _row(_history(standing, *one, "--require-proofs", "--json"))
    assert required["met"] is False, required
    failed = [c for c in required["statement_verification"]["checks"] if c["status"] == "fail"]
    assert failed and all(c["unproven"] for c in failed if c["name"] != "proofs"), failed
    two = (*one, *second_party(standing.node.rpc_url))
    proven = _row(_history(standing, *two, "--require-proofs", "--json"))
    assert proven["met"] is True and proven["statement_verification"]["verified"] is True, proven
    human = _history(standing, *two, "--require-proofs")
    assert human.returncode == 0, show(human)
    assert "verify    the statement VERIFIED" in human.stdout, show(human)


def test_proof_options_go_with_neutrality_only(standing: World) -> None:
    """The plain list of attestations is the node's index: the proof options are refused there,
    one line saying what to do instead."""
    done = run_attest(
        "history", "--org", "WeBank", "-d", str(standing.manifest), "--rpc-url", standing.node.rpc_url,
        "--require-proofs",
    )  # fmt: skip
    assert done.returncode == 2, show(done)
    assert "--require-proofs goes with --neutrality" in done.stderr and done.stderr.count("\n") == 1


def test_each_row_is_what_verify_says_of_its_statement_with_the_same_nodes(standing: World) -> None:
    """Parity through the real CLI: a row's `statement_verification` has the lines `attest verify
    DIGEST --org VERIFIER` prints with the same nodes and options — names, verdicts and what each
    rests on — so the history is one more way of verifying, not a second set of rules."""
    nodes = ("--rpc-url", standing.node.rpc_url, *second_party(standing.node.rpc_url))
    row = _row(_history(standing, *nodes, "--require-proofs", "--json"))
    statement = row["statement"]
    done = run_attest(
        "verify", statement["digest"].removeprefix("0x"), "--org", str(statement["verifier_org_id"]),
        "-d", str(standing.manifest), *nodes, "--require-proofs", "--json",
    )  # fmt: skip
    assert done.returncode == 0, show(done)
    [alone] = json.loads(done.stdout)
    ours = row["statement_verification"]

    def lines(report: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(c["name"], c["status"], c["rests_on"]) for c in report["checks"]]

    assert lines(ours) == lines(alone), (lines(ours), lines(alone))
    assert ours["verified"] is alone["verified"] is True
