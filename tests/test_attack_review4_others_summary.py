"""Review attack on the "others" kind of fact (commit f6789d6): the plain summary calls it proven.

The lie: WeBank's statement retires Verra units 1..5000; Rival Bank's statement (same verifier)
claims 4001..4500 of them — a double claim, so honestly the statement's `credits` line fails and it
does not verify. The bank's node (first --rpc-url; the auditor adds an honest second party's node)
answers the rival statement's record as revoked and adds a `Revoked` log for it dated far after the
trusted block (beyond the honest node's head, so the confirmation window finds no contradiction).
A revoked claimant does not count: `credits` passes, and the statement VERIFIES.

Since f6789d6 the rival is an "others" record: its later revocation weakens only the `credits`
line (correctly tagged "node's word"), and is no longer among the `proofs` line's unproven facts:
the proofs and logs lines both pass. The plain summary (`In short:`, the web page's sentence,
attest.core.report_summary._rests_on) reads only those two lines, so it says the answer rests on
the nodes' agreed block with no caveat — a verdict that rests on a node's unproven word about the
decisive fact, summarised as proven. Before f6789d6 the summary added "(some facts only on the
node's word: see the proofs line)".

Correct outcome: when a VERIFIED report has any line resting on the node's word, the summary must
say so (it did before this change). Now the sentence names every line resting on the node's word,
whatever the proofs and logs lines say (`report_summary._rests_on`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from eth_abi import encode
from lying_proxy import GET_ATTESTATION, REVOKED, ForgingProxy, run_attest, show
from worlds import World, anvil_world

pytestmark = pytest.mark.anvil

LATER = 10**6  # the forged revocation's block: after the trusted block and every honest head


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("r4-summary"), statement="statement.json", rival="overlap") as w:
        yield w


def _fake_revocation(w: World) -> Any:
    rival = w.rival_statement_uid
    registry = w.c.dep.manifest.registry.address.lower()
    log = {
        "address": registry,
        "topics": [
            REVOKED,
            rival,
            "0x" + w.c.verifier_id.to_bytes(32, "big").hex(),
            "0x" + "00" * 12 + w.c.verifier.address.lower()[2:],
        ],
        "data": "0x" + encode(["string"], ["withdrawn"]).hex(),
        "blockNumber": hex(LATER),
        "blockHash": "0x" + "ee" * 32,
        "transactionHash": "0x" + "dd" * 32,
        "transactionIndex": "0x0",
        "logIndex": "0x0",
        "removed": False,
    }

    def wants(query: dict[str, Any]) -> bool:
        address = query.get("address")
        if address is not None and registry not in str(address).lower():
            return False
        topics = query.get("topics") or []
        first = topics[0] if topics else None
        if first is not None and REVOKED not in ([first] if isinstance(first, str) else first):
            return False
        second = topics[1] if len(topics) > 1 else None
        return second is None or rival in ([second] if isinstance(second, str) else second)

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if method == "eth_call" and isinstance(result, str):
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + rival[2:]:
                return result[: 2 + 5 * 64] + "00" * 31 + "01"
        if method == "eth_getLogs" and isinstance(result, list) and wants(call["params"][0]):
            return [*result, log]
        return result

    return forge


def _verify(w: World, first: str) -> Any:
    assert w.statement is not None
    return run_attest("verify", str(w.statement), "-d", str(w.manifest), "--rpc-url", first,
                      *second_party(w.rpc_url))  # fmt: skip


def test_a_faked_later_revocation_of_a_claimant_is_summarised_as_proven(world: World) -> None:
    honest = _verify(world, world.rpc_url)
    assert honest.returncode == 1 and "claimed twice" in honest.stdout, show(honest)
    proxy = ForgingProxy(world.rpc_url, _fake_revocation(world))
    try:
        lied = _verify(world, proxy.url)
        as_json = run_attest("verify", str(world.statement), "-d", str(world.manifest), "--json",
                             "--rpc-url", proxy.url, *second_party(world.rpc_url))  # fmt: skip
    finally:
        proxy.close()
    assert lied.returncode == 0, show(lied)  # the lie: the double claim is gone
    [report] = json.loads(as_json.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["credits"]["rests_on"] == "node's word", checks["credits"]  # the line says it
    [summary] = [line for line in lied.stdout.splitlines() if line.startswith("In short:")]
    assert "node's word" in summary, (
        "VERIFIED on a claimant's unproven revocation, yet the plain summary calls it proven: " + summary
    )
