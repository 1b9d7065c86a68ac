"""A double claim on carbon credits cannot be hidden by a lying node: the claims a credit verdict
rests on are proven by their blocks' receipts, the claiming statements' records by storage.

Two verifications retire overlapping units of one issuance: WeBank's 2022 statement (units 1..5000)
and, later, Rival Bank's (4001..4500). Verifying Rival Bank's statement through an honest node fails
on `credits` (claimed twice). A node can try to hide the overlap three ways, each of which would make
the `credits` line pass: rewrite the units of WeBank's claim in eth_getLogs, rewrite for whom
WeBank's credits are (the same beneficiary is the same claim again, not a double one), or say
WeBank's statement is revoked. Each ends as exit 1 on the `logs` or `proofs` line; through the
real CLI, against a real anvil node behind tests/lying_proxy.py."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lying_proxy import Lie, LyingProxy, honest
from worlds import World, anvil_world, run_attest

from attest.chain import events
from attest.core.contracts import Kind

CLAIMED = "0x" + events.topics().credit_claimed.hex()
NEUTRALITY = "0x" + events.topics().neutrality_claimed.hex()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("creditproofs")
    with anvil_world(
        root, figures="webank-figures.json", statement="statement-2022.json", rival="overlap"
    ) as w:
        yield w


def run(w: World, lie: Lie, command: str = "verify") -> subprocess.CompletedProcess[str]:
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        return run_attest(
            command, str(w.rival_statement), "-d", str(w.manifest), "--rpc-url", proxy.url, timeout=120
        )
    finally:
        proxy.close()


def line(done: subprocess.CompletedProcess[str], name: str) -> str:
    return next(x for x in done.stdout.splitlines() if x.lstrip()[2:].startswith(name + " "))


def in_logs(rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> Lie:
    """A lie that rewrites logs in eth_getLogs answers only (the receipts stay honest)."""

    def lie(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            return [rewrite(log) for log in result]
        return result

    return lie


def webanks(w: World, topic0: str, log: dict[str, Any], position: int) -> bool:
    topics = log.get("topics", [])
    if len(topics) <= position or topics[0] != topic0:
        return False
    return bool(topics[position].lower() == w.statement_uid)


def test_through_an_honest_node_the_double_claim_fails_and_the_claims_are_proven(world: World) -> None:
    done = run(world, honest)
    assert done.returncode == 1, done.stdout + done.stderr
    assert line(done, "credits").lstrip().startswith("✗"), done.stdout
    logs = line(done, "logs")
    assert logs.lstrip().startswith("✓"), done.stdout
    assert "CreditClaimed" in logs and "NeutralityClaimed" in logs, logs
    assert "other statements' claims on these credits: as complete as the logs of node" in logs, logs
    assert line(done, "proofs").lstrip().startswith("✓"), done.stdout


def test_rewritten_units_of_the_other_claim_are_caught_by_the_receipts(world: World) -> None:
    def units_moved(log: dict[str, Any]) -> dict[str, Any]:
        if not webanks(world, CLAIMED, log, 2):
            return log
        first, last = int(log["data"][2:66], 16), int(log["data"][66:130], 16)
        if first <= 4001 <= last:  # Verra units 1..5000 become 1..4000: no overlap left
            return {**log, "data": "0x" + (1).to_bytes(32, "big").hex() + (4000).to_bytes(32, "big").hex()}
        return log

    done = run(world, in_logs(units_moved))
    assert done.returncode == 1, done.stdout + done.stderr
    assert line(done, "credits").lstrip().startswith("✓"), done.stdout  # the lie hid the overlap…
    logs = line(done, "logs")  # …which the receipts show
    assert logs.lstrip().startswith("✗") and "hold no CreditClaimed log of statement" in logs, logs
    assert "units 1..4000" in logs, logs


def test_a_rewritten_beneficiary_of_the_other_claim_is_caught_by_the_receipts(world: World) -> None:
    rival = world.c.dep.find_organisation("Rival Bank")

    def beneficiary_moved(log: dict[str, Any]) -> dict[str, Any]:
        if not webanks(world, NEUTRALITY, log, 1):
            return log
        topics = [*log["topics"][:3], "0x" + rival.to_bytes(32, "big").hex()]
        return {**log, "topics": topics}

    done = run(world, in_logs(beneficiary_moved))
    assert done.returncode == 1, done.stdout + done.stderr
    assert not line(done, "credits").lstrip().startswith("✗"), done.stdout  # "the same claim again"
    logs = line(done, "logs")
    assert logs.lstrip().startswith("✗"), logs
    # the claim the node gave (read, so proven as read: `Read.neutrality`) is not in its block
    assert "hold no NeutralityClaimed log of statement" in logs, logs
    assert f"for org #{rival}'s 2022" in logs, logs


def test_the_other_statement_said_revoked_is_caught_by_its_storage(world: World) -> None:
    def statement_revoked(method: str, result: Any) -> Any:
        """getAttestation (six words: attester, org, block, year, kind, revoked) of WeBank's statement."""
        if method != "eth_call" or not (isinstance(result, str) and len(result) == 2 + 6 * 64):
            return result
        words = [result[2 + 64 * i : 2 + 64 * (i + 1)] for i in range(6)]
        if int(words[2], 16) == world.statement_block and int(words[4], 16) == int(Kind.STATEMENT):
            return result[:-1] + "1"
        return result

    done = run(world, statement_revoked)
    assert done.returncode == 1, done.stdout + done.stderr
    assert line(done, "credits").lstrip().startswith("✓"), done.stdout  # a revoked claim does not count
    proofs = line(done, "proofs")
    assert proofs.lstrip().startswith("✗"), proofs
    assert f"attestation {world.statement_uid} is live at block" in proofs.lower(), proofs
    assert "the node says it was revoked" in proofs, proofs


def test_in_bulk_rewritten_units_are_caught_too(world: World) -> None:
    def units_moved(log: dict[str, Any]) -> dict[str, Any]:
        if webanks(world, CLAIMED, log, 2) and int(log["data"][66:130], 16) >= 4001:
            return {**log, "data": "0x" + (1).to_bytes(32, "big").hex() + (4000).to_bytes(32, "big").hex()}
        return log

    done = run(world, in_logs(units_moved), "verify-many")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "hold no CreditClaimed log of statement" in done.stdout, done.stdout


ATTESTED = "0x" + events.topics().attested.hex()


@pytest.mark.parametrize("command", ["verify", "verify-many"])
def test_the_other_statements_attested_log_left_out_does_not_drop_its_claim(
    world: World, command: str
) -> None:
    """The node leaves WeBank's statement's `Attested` log out of eth_getLogs (its CreditClaimed logs,
    which the receipts prove, stay). Credits were keyed by the claiming statement's record: with no
    record the claim was forgotten and the double claim ended VERIFIED. A claim is never dropped:
    the registry writes the record in the same transaction as the claim."""

    def statement_hidden(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if not webanks(world, ATTESTED, log, 1)]
        return result

    done = run(world, statement_hidden, command)
    assert done.returncode == 1, done.stdout + done.stderr
    if command == "verify":
        credits = line(done, "credits")
        assert credits.lstrip().startswith("✗"), done.stdout
    else:  # verify-many lists the lines that fail, without a mark
        credits = next(x for x in done.stdout.splitlines() if x.lstrip().startswith("credits "))
    assert "claimed twice" in credits, done.stdout
    assert f"claimed by statement {world.statement_uid}" in credits.lower(), credits
    assert "of which the node gives no attestation record" in credits, credits


@pytest.mark.parametrize("command", ["verify", "verify-many"])
def test_a_claim_one_node_leaves_out_is_found_by_asking_every_node(world: World, command: str) -> None:
    """The bank's node leaves WeBank's `CreditClaimed` log out of eth_getLogs, so the verdict it reads
    sees no overlap, and the `credits` line passes. The contract refuses only an exact duplicate, so
    nothing on-chain stops the overlap: the auditor's second node (of another party) is asked the same
    question about the same issuances up to the trusted block, holds the claim, and the verdict
    fails on `logs` (the nodes' logs differ). Without that question `credits` passed, `logs` passed
    and the double claim went unseen, with --require-proofs: the lie this test keeps out."""

    def claim_hidden(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if not webanks(world, CLAIMED, log, 2)]
        return result

    proxy = LyingProxy(world.node.rpc_url, claim_hidden)
    nodes = ["--rpc-url", proxy.url, "--rpc-url", world.node.rpc_url, "--require-proofs"]
    try:
        done = run_attest(command, str(world.rival_statement), "-d", str(world.manifest), *nodes, timeout=120)
    finally:
        proxy.close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the nodes' logs differ" in done.stdout, done.stdout
    assert f"holds a claim by statement {world.statement_uid}" in done.stdout.lower(), done.stdout


def test_a_statements_own_claims_left_out_are_found_in_its_block(world: World) -> None:
    """Verified by its digest alone (no document: the issuances asked about come from the node), the
    rival statement's own `CreditClaimed` logs are left out of eth_getLogs: no claim, so no overlap, so
    nothing to ask the other nodes, and `credits` said "none recorded" (info), the verdict passing.
    The registry writes a statement's claims in the transaction that anchors it: its proven block holds
    them, and the verdict fails naming the hidden claims (found by a second adversarial review)."""
    from attest.core.documents import hash_document

    digest = hash_document(world.rival_statement).digest

    def own_claims_hidden(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            return [
                log
                for log in result
                if not (
                    log.get("topics", [None])[0] == CLAIMED
                    and log["topics"][2].lower() != world.statement_uid
                )
            ]
        return result

    proxy = LyingProxy(world.node.rpc_url, own_claims_hidden)
    nodes = ["--rpc-url", proxy.url, "--rpc-url", world.node.rpc_url, "--require-proofs"]
    try:
        done = run_attest("verify", digest, "-d", str(world.manifest), *nodes, timeout=120)
    finally:
        proxy.close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "which the node's logs left out: a claim on credits hidden" in done.stdout, done.stdout
