"""A lie about every fact is caught: each field of every fact verification reads from a node,
forged alone, ends `attest verify --require-proofs` with exit 1 or 3 — never 0.

The facts are those `attest.app.facts.ChainFacts` returns: attestation records (`OnchainAttestation`),
credit claims (`ClaimRecord`), neutrality claims (`NeutralityRecord`), governance events, covering
statements, block hashes and times, the head and the registry's governance. Each field is mapped to
the JSON-RPC answer it is read from (an `eth_getLogs` log's topic, data word or coordinates; an
`eth_call` word; a block's field) and forged there, by a proxy (tests/lying_proxy.py) between the
real CLI and a real anvil. `test_every_field_has_a_forgery` holds the table to the dataclasses: a
fact field added later without a forgery here fails it. The same verifications through an honest
proxy pass with `--require-proofs`.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lying_proxy import LyingProxy
from worlds import World, anvil_world, run_attest

from attest.chain import events
from attest.core.credits import ClaimRecord, NeutralityRecord
from attest.core.membership_history import GovernanceEvent
from attest.core.records import OnchainAttestation

pytestmark = pytest.mark.anvil
T = events.topics()
ATTESTED, COVERED = "0x" + T.attested.hex(), "0x" + T.covered.hex()
CLAIMED, NEUTRALITY = "0x" + T.credit_claimed.hex(), "0x" + T.neutrality_claimed.hex()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("everyfact")
    with anvil_world(root, statement="statement-2022.json") as w:
        yield w


# ---------------------------------------------------------------- forgeries, one per fact field

Forge = Callable[[str, Any], Any]  # (method, result) -> forged result (or the result unchanged)


def _word(value: int) -> str:
    return (value % 2**256).to_bytes(32, "big").hex()


def in_log(topic0: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Forge:
    """Every log with this topic0 in eth_getLogs answers, changed."""

    def forge(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            return [change(dict(log)) if log.get("topics", [None])[0] == topic0 else log for log in result]
        return result

    return forge


def topic(i: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(log: dict[str, Any]) -> dict[str, Any]:
        topics = list(log["topics"])
        if len(topics) > i:  # (some governance events index nothing)
            topics[i] = "0x" + _word(int(topics[i], 16) ^ 1)
        return {**log, "topics": topics}

    return change


def data_word(i: int, delta: int = 1) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(log: dict[str, Any]) -> dict[str, Any]:
        data = log["data"][2:]
        w = int(data[64 * i : 64 * (i + 1)], 16)
        return {**log, "data": "0x" + data[: 64 * i] + _word(w + delta) + data[64 * (i + 1) :]}

    return change


def uri_text(log: dict[str, Any]) -> dict[str, Any]:
    """The Attested string (its length word, then its bytes): one more byte, 'X'."""
    data = log["data"][2:]
    length = int(data[64 * 5 : 64 * 6], 16)
    body = bytes.fromhex(data[64 * 6 :])[:length] + b"X"
    padded = body + b"\0" * (-len(body) % 32)
    return {**log, "data": "0x" + data[: 64 * 5] + _word(len(body)) + padded.hex()}


def coordinate(name: str, delta: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(log: dict[str, Any]) -> dict[str, Any]:
        value = log[name]
        if len(value) == 66:  # a hash
            return {**log, name: "0x" + _word(int(value, 16) ^ 1)}
        return {**log, name: hex(int(value, 16) + delta)}

    return change


def governance_log(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Forge:
    """Logs of the governance contract (admissions, roles, accounts) in eth_getLogs answers."""

    def forge(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            registry = WORLD_REGISTRY[0]
            return [change(dict(log)) if log["address"].lower() != registry else log for log in result]
        return result

    return forge


WORLD_REGISTRY: list[str] = [""]


def block_field(name: str) -> Forge:
    def forge(method: str, result: Any) -> Any:
        if method.startswith("eth_getBlockBy") and isinstance(result, dict):
            value = result[name]
            return {
                **result,
                name: "0x" + _word(int(value, 16) ^ 1) if len(value) == 66 else hex(int(value, 16) + 7),
            }
        return result

    return forge


def head_raised(method: str, result: Any) -> Any:
    """More blocks than the node has: more confirmations than there are."""
    return hex(int(result, 16) + 3) if method == "eth_blockNumber" else result


def call_word(words: int, i: int) -> Forge:
    """eth_call answers of `words` 32-byte words: word i changed (getAttestation: 6; supersededBy,
    membership(): 1)."""

    def forge(method: str, result: Any) -> Any:
        if method == "eth_call" and isinstance(result, str) and len(result) == 2 + 64 * words:
            w = int(result[2 + 64 * i : 2 + 64 * (i + 1)], 16)
            return result[: 2 + 64 * i] + _word(w ^ 1) + result[2 + 64 * (i + 1) :]
        return result

    return forge


#: (fact, field) -> its forgery. Fields read from several places are forged where they come from.
FORGERIES: dict[tuple[str, str], Forge] = {
    ("OnchainAttestation", "uid"): in_log(ATTESTED, topic(1)),
    ("OnchainAttestation", "digest"): in_log(ATTESTED, topic(2)),
    ("OnchainAttestation", "org_id"): in_log(ATTESTED, topic(3)),
    ("OnchainAttestation", "attester"): in_log(ATTESTED, data_word(0)),
    ("OnchainAttestation", "kind"): in_log(ATTESTED, data_word(1)),
    ("OnchainAttestation", "year"): in_log(ATTESTED, data_word(2)),
    ("OnchainAttestation", "ref"): in_log(ATTESTED, data_word(3)),
    ("OnchainAttestation", "uri"): in_log(ATTESTED, uri_text),
    ("OnchainAttestation", "block_number"): in_log(ATTESTED, coordinate("blockNumber", -1)),
    ("OnchainAttestation", "log_index"): in_log(ATTESTED, coordinate("logIndex", 1)),
    ("OnchainAttestation", "block_hash"): in_log(ATTESTED, coordinate("blockHash", 0)),
    ("OnchainAttestation", "transaction_hash"): in_log(ATTESTED, coordinate("transactionHash", 0)),
    ("OnchainAttestation", "revoked"): call_word(6, 5),
    ("OnchainAttestation", "superseded_by"): call_word(1, 0),
    ("ClaimRecord", "issuance_key"): in_log(CLAIMED, topic(1)),
    ("ClaimRecord", "statement_uid"): in_log(CLAIMED, topic(2)),
    ("ClaimRecord", "first"): in_log(CLAIMED, data_word(0)),
    ("ClaimRecord", "last"): in_log(CLAIMED, data_word(1)),
    ("ClaimRecord", "block_number"): in_log(CLAIMED, coordinate("blockNumber", -1)),
    ("ClaimRecord", "log_index"): in_log(CLAIMED, coordinate("logIndex", 1)),
    ("NeutralityRecord", "statement_uid"): in_log(NEUTRALITY, topic(1)),
    ("NeutralityRecord", "figures_uid"): in_log(NEUTRALITY, topic(2)),
    ("NeutralityRecord", "beneficiary_org_id"): in_log(NEUTRALITY, topic(3)),
    ("NeutralityRecord", "year"): in_log(NEUTRALITY, data_word(0)),
    ("NeutralityRecord", "residual_tonnes"): in_log(NEUTRALITY, data_word(1)),
    ("NeutralityRecord", "retired_tonnes"): in_log(NEUTRALITY, data_word(2)),
    ("NeutralityRecord", "block_number"): in_log(NEUTRALITY, coordinate("blockNumber", -1)),
    ("Covered", "figures_uid"): in_log(COVERED, topic(1)),
    ("Covered", "statement_uid"): in_log(COVERED, topic(2)),
    ("Covered", "verifier_org_id"): in_log(COVERED, topic(3)),
    ("GovernanceEvent", "block_number"): governance_log(coordinate("blockNumber", 1000)),
    ("GovernanceEvent", "log_index"): governance_log(coordinate("logIndex", 1)),
    ("GovernanceEvent", "name"): governance_log(topic(0)),
    ("GovernanceEvent", "args"): governance_log(topic(1)),
    ("block", "hash"): block_field("hash"),
    ("block", "timestamp"): block_field("timestamp"),
    ("chain", "head"): head_raised,
    ("registry", "membership"): call_word(1, 0),
}

# Fields that are not facts read from a node but what the tool works out from them (the history of
# revocations and restatements is read from the Revoked / Superseded logs, forged in their own tests).
DERIVED = {("OnchainAttestation", "revocation"), ("OnchainAttestation", "withdrawn_restatements")}


def test_every_field_has_a_forgery() -> None:
    """A fact field added to these records later must get a forgery here (or be said derived)."""
    facts = {
        "OnchainAttestation": OnchainAttestation,
        "ClaimRecord": ClaimRecord,
        "NeutralityRecord": NeutralityRecord,
        "Covered": events.Covered,
        "GovernanceEvent": GovernanceEvent,
    }
    wanted = {(name, f.name) for name, cls in facts.items() for f in dataclasses.fields(cls)}
    assert wanted - DERIVED <= set(FORGERIES), sorted(wanted - DERIVED - set(FORGERIES))


class Recording(LyingProxy):
    """Forges with `lie`, and remembers whether any answer was changed by it."""

    def __init__(self, upstream: str, lie: Forge) -> None:
        self.changed = False

        def watched(method: str, result: Any) -> Any:
            forged = lie(method, result)
            if json.dumps(forged, sort_keys=True) != json.dumps(result, sort_keys=True):
                self.changed = True
            return forged

        super().__init__(upstream, watched)


def verify(w: World, target: Path, url: str) -> subprocess.CompletedProcess[str]:
    # the lying node first (it serves every answer and proof), the honest node beside it: they must
    # agree on the trusted block. With one node alone, --require-proofs proves nothing against it.
    args = ["verify", str(target), "-d", str(w.manifest), "--rpc-url", url, "--require-proofs"]
    args += ["--rpc-url", w.node.rpc_url]
    return run_attest(*args, timeout=120)


#: Fields shown in a report but decided on by no check, with why and the label the report gives them.
NOT_DECISIVE: dict[tuple[str, str], tuple[str, str]] = {
    ("OnchainAttestation", "transaction_hash"): (
        "shown on the anchored line; the receipts prove the log, not which transaction carried it",
        "transaction hashes remain the node's word",
    ),
    ("chain", "head"): (
        "the depth the trusted block vouches for (every node that agreed on it had it that deep) already "
        "meets the confirmations required; a head beyond it is only printed, and where the depth rests on "
        "it alone the line rests on the node's word",
        "vouched for by the trusted block",
    ),
    ("GovernanceEvent", "log_index"): (
        "orders governance events within one block: it decides only for an attestation in the same block "
        "as a governance change (none here); the standing at the trusted block is proven from storage",
        "governance standing",
    ),
}
TARGETS = ("figures", "statement")


def through(w: World, target: str, lie: Forge | None) -> tuple[subprocess.CompletedProcess[str], bool]:
    """The verification through a proxy forging with `lie` (None: honest); whether it forged anything."""
    proxy = Recording(w.node.rpc_url, lie or (lambda method, result: result))
    try:
        return verify(w, getattr(w, target), proxy.url), proxy.changed
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def honest(world: World) -> dict[str, subprocess.CompletedProcess[str]]:
    return {target: through(world, target, None)[0] for target in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_through_an_honest_proxy_both_verify_with_proofs(
    honest: dict[str, subprocess.CompletedProcess[str]], target: str
) -> None:
    assert honest[target].returncode == 0, honest[target].stdout + honest[target].stderr


def statuses(report: str) -> list[str]:
    """Each line's mark and name, in order."""
    return [" ".join(line.split()[:2]) for line in report.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("field", sorted(FORGERIES), ids=lambda f: f"{f[0]}.{f[1]}")
def test_a_forged_field_never_verifies(
    world: World, honest: dict[str, subprocess.CompletedProcess[str]], field: tuple[str, str]
) -> None:
    """Forged in every answer that carries it, for each target whose verification reads it (at
    least one does): exit 1 or 3. A field decided on by no check (NOT_DECISIVE) may pass, but must
    change no line and be labelled as the node's word."""
    WORLD_REGISTRY[0] = world.c.dep.manifest.registry.address.lower()
    exercised = []
    for target in TARGETS:
        done, changed = through(world, target, FORGERIES[field])
        if not changed:
            continue
        exercised.append(target)
        if field in NOT_DECISIVE:
            assert done.returncode == honest[target].returncode, done.stdout + done.stderr
            assert statuses(done.stdout) == statuses(honest[target].stdout), done.stdout
            assert NOT_DECISIVE[field][1] in done.stdout, done.stdout
            continue
        out = done.stdout + done.stderr
        assert done.returncode in (1, 3), f"{target}: exit {done.returncode} with {field} forged\n{out}"
    assert exercised, f"no answer of either verification carries {field}: the forgery tests nothing"
