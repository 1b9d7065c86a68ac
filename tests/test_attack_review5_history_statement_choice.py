"""Review 5 attack on `attest history --neutrality`: the reading node picks the row's statement.

The honest chain: the verifier's 2022 statement S1 on WeBank's 2022 figures (6900 t retired >=
6860 t residual: met), then a second, live statement S2 by the same verifier on the same figures
whose neutrality claim is NOT met (only 1900 t retired). Honestly the row follows the latest live
statement backing a neutrality claim, S2: 2022 is not met, and so neither is the commitment.

Review 4 made every node be asked for the `Covered` logs of the row's figures, so the bank's node
(the first --rpc-url, whose index the rows are chosen from) can no longer drop S2 whole. But which
of the covering statements "back a neutrality claim" and which are "live" still come from that
node alone, and nothing proves them for a statement the row does not pick:

1. the node drops only S2's `NeutralityClaimed` log (keeping its `Attested` and `Covered` logs,
   which the completeness question compares): S2 is held, so completeness passes, but it is not in
   `facts.index.neutrality`, so the row's backing statements are [S1];
2. the node answers `getAttestation(S2)` (eth_call, the index's storage read) with the revoked flag
   set: S2 is held, so completeness passes, but it is not live, so the row picks the live S1.

Either way the row stands on S1, whose own verification is genuinely proven (an honest second
party's node, --require-proofs), and the history reads "met": true, exit 0.

Correct outcome: with an honest second party's node and --require-proofs, the history must not
call 2022 (or the commitment) met: either the row follows S2 (not met) or the run fails (exit 3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from history_attacks import neutrality_history, publish_unmet_statement
from lying_proxy import GET_ATTESTATION, ForgingProxy, run_attest, show
from worlds import World, anvil_world

from attest.chain import events

pytestmark = pytest.mark.anvil

NEUTRALITY_CLAIMED = "0x" + events.topics().neutrality_claimed.hex()


def _second_statement(w: World) -> dict[str, Any]:
    """The verifier's later, unmet statement on the same figures (as review 4's test builds it)."""
    return publish_unmet_statement(w)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review5-statement-choice")
    with anvil_world(root, statement="statement.json", setup=_second_statement) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def _honest(w: World) -> None:
    done = _history(w, w.rpc_url)
    assert done.returncode == 0, show(done)
    data = json.loads(done.stdout)
    [row] = data["years"]
    assert row["statement"]["uid"].lower() == w.second_uid, row
    assert row["claim_met"] is False and data["met"] is False, data


def _lied(w: World, forge: Any) -> None:
    proxy = ForgingProxy(w.rpc_url, forge)
    try:
        done = _history(w, proxy.url)
    finally:
        proxy.close()
    if done.returncode == 0:
        data = json.loads(done.stdout)
        [row] = data["years"]
        assert data["met"] is False, (
            f"the lying node made 2022 met on statement {row['statement']['uid']} "
            f"(honestly {w.second_uid}, not met): {show(done)}"
        )
    else:
        assert done.returncode == 3, show(done)
        said = done.stderr  # the nodes' logs differ, or the node contradicts the proofs: one line
        assert "the nodes' logs differ" in said or "contradicts the proofs" in said, show(done)
        assert said.count("\n") == 1, show(done)


def test_a_node_dropping_only_the_later_statements_neutrality_claim_makes_the_year_met(world: World) -> None:
    _honest(world)
    tx = world.second_tx

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [
                log for log in result
                if not (str(log.get("transactionHash", "")).lower() == tx
                        and str(log["topics"][0]).lower() == NEUTRALITY_CLAIMED)
            ]  # fmt: skip
        return result

    _lied(world, forge)


def test_a_node_calling_the_later_statement_revoked_makes_the_year_met(world: World) -> None:
    _honest(world)
    wanted = GET_ATTESTATION + world.second_uid[2:]

    def forge(call: dict[str, Any], result: Any) -> Any:
        data = (
            str(call.get("params", [{}])[0].get("data", "")).lower()
            if call.get("method") == "eth_call"
            else ""
        )
        if data == wanted and isinstance(result, str):
            return result[: 2 + 5 * 64] + "00" * 31 + "01" + result[2 + 6 * 64 :]
        return result

    _lied(world, forge)


LATER = 10**6  # a block after the trusted block and every honest node's head


def _revoked_later(w: World) -> Any:
    """S2's slot answered revoked, with a `Revoked` log the node dates at block LATER: no proof at the
    trusted block can say otherwise, and no other node has that block to contradict it."""
    from eth_abi import encode
    from lying_proxy import REVOKED

    wanted, uid = GET_ATTESTATION + w.second_uid[2:], w.second_uid
    registry = w.c.dep.manifest.registry.address.lower()
    log = {
        "address": registry,
        "topics": [
            REVOKED, uid, "0x" + w.c.verifier_id.to_bytes(32, "big").hex(),
            "0x" + "00" * 12 + w.c.verifier.address.lower()[2:],
        ],
        "data": "0x" + encode(["string"], ["withdrawn"]).hex(),
        "blockNumber": hex(LATER), "blockHash": "0x" + "ee" * 32, "transactionHash": "0x" + "dd" * 32,
        "transactionIndex": "0x0", "logIndex": "0x0", "removed": False,
    }  # fmt: skip

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        query = call["params"][0] if call.get("params") else {}
        query = query if isinstance(query, dict) else {}
        if method == "eth_call" and isinstance(result, str) and str(query.get("data", "")).lower() == wanted:
            return result[: 2 + 5 * 64] + "00" * 31 + "01" + result[2 + 6 * 64 :]
        if (
            method == "eth_getLogs"
            and isinstance(result, list)
            and registry in str(query.get("address")).lower()
        ):
            topics = query.get("topics") or []
            first = topics[0] if topics else None
            names = [first] if isinstance(first, str) else (first or [])
            if first is None or REVOKED in [str(x).lower() for x in names]:
                return [*result, log]
        return result

    return forge


def test_a_revocation_the_node_dates_after_the_trusted_block_is_named_and_fails_require_proofs(
    world: World,
) -> None:
    """What no proof reaches yet: S2 revoked at a block after the trusted one (and after every honest
    head, so no node can contradict it). The row then stands on S1 on the node's word, which it now
    says (`chosen_on_the_nodes_word`); with --require-proofs the year is not met."""
    proxy = ForgingProxy(world.rpc_url, _revoked_later(world))
    try:
        required = _history(world, proxy.url)
        plain = run_attest(
            "history", "--org", "WeBank", "--neutrality", "-d", str(world.manifest),
            "--rpc-url", proxy.url, *second_party(world.rpc_url),
        )  # fmt: skip
    finally:
        proxy.close()
    assert required.returncode == 0, show(required)
    data = json.loads(required.stdout)
    [row] = data["years"]
    assert row["statement"]["uid"].lower() == world.statement_uid, row  # the node's choice
    assert any(world.second_uid in x for x in row["chosen_on_the_nodes_word"]), row
    assert row["met"] is False and data["met"] is False, row
    assert plain.returncode == 0, show(plain)
    assert "chosen on the node's word: the revocation of " + world.second_uid in plain.stdout, show(plain)
