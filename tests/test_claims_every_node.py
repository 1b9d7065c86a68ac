"""Claims on the same Verra units under an old spelling are asked of every node, not only of the
node the verdict was read from.

Found by an adversarial review: `verify` of a statement retiring Verra units reads every claim of
the registry to find the same unit numbers claimed under another issuance key (an old spelling: a
statement anchored before the registry table, keyed by its serial's text). That read went to the
first node only, and nothing recorded it: the log prover asked every node about the statement's
own issuance keys only. A bank's node that leaves the old-spelling `CreditClaimed` log out of its
eth_getLogs answers hid the overlap — the `credits` warning vanished and the statement verified
with `--require-proofs`. Now `Read` records the Verra ranges that question mattered for, every node
is asked for every claim up to the trusted block, and a claim one node holds on those units under
another key that the claims read left out fails the verdict (`logs`: the nodes' logs differ).
Real anvil, real CLI; the first node is a proxy in front of the same anvil that drops that log.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lying_proxy import LyingProxy, honest
from worlds import RIVAL_ORGANISATION, STATEMENT_EXAMPLE, World, anvil_world, run_attest, show, write_json

from attest.chain import events
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil

CLAIMED = "0x" + events.topics().credit_claimed.hex()
# Rival Bank's new statement: the same Verra unit numbers as WeBank's old claim (1..5000), written
# with batch 0002 (no part of a Verra unit's identity since the registry table)
REBATCHED = "0002-000001-005000-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"


def _anchor_with_legacy_keys(w: World, path: Path, figures_uid: str) -> tuple[str, str]:
    """What a verification body did before the registry table: attestStatementWithCredits with each
    block keyed by its spelling (`legacy_key`). Returns the statement's uid and its Verra block's key."""
    from attest.chain.anchoring import AnchorRequest, anchor
    from attest.core.credits import ClaimedCredits, residual_tonnes
    from attest.core.documents import hash_document
    from attest.core.statement import CarbonVerificationV2, load_statement

    doc = load_statement(path)
    assert isinstance(doc, CarbonVerificationV2) and doc.neutrality_claim is not None
    blocks = doc.neutrality_claim.blocks()
    claimed = tuple((b.legacy_key, b.first, b.last) for b in blocks)
    credits = ClaimedCredits(residual_tonnes(doc.neutrality_claim), claimed)
    request = AnchorRequest(
        hash_document(path).digest, Kind.STATEMENT, 2022, ref=figures_uid, credits=credits
    )
    ((result,),) = anchor(w.c.dep, w.c.verifier, [request])
    verra = next(b.legacy_key for b in blocks if b.registry_id == "verra")
    return result.unwrap().attestation.uid.lower(), verra.lower()


def _old_and_new(w: World, ccer_issuance: str | None = None) -> dict[str, Any]:
    """WeBank's statement anchored under the old spelling's keys, then Rival Bank's, published through
    the normal path, on the same Verra unit numbers under batch 0002 (its CCER units its own; with
    `ccer_issuance`, of another CCER issuance, so nothing but the Verra unit numbers connects the two)."""
    from conftest import EXAMPLES

    from attest.app.publishing import publish

    assert w.figures is not None
    old = w.root / "webank-old-statement.json"
    old.write_bytes((EXAMPLES / STATEMENT_EXAMPLE).read_bytes())
    old_uid, old_key = _anchor_with_legacy_keys(w, old, w.figures_uid)
    rival_figures = json.loads(w.figures.read_text(encoding="utf-8"))
    rival_figures["organisation"] = dict(RIVAL_ORGANISATION)
    rf = write_json(w.root / "rival-figures.json", rival_figures)
    ruid = publish(w.c.dep, w.c.rival, rf, kind=Kind.FIGURES).published.attestation.uid
    doc = json.loads(old.read_text(encoding="utf-8"))
    doc["organisation"] = dict(RIVAL_ORGANISATION)
    verra, ccer = doc["neutrality_claim"]["retirements"][:2]
    for r in (verra, ccer):
        r["beneficiary"] = RIVAL_ORGANISATION["legal_name"]
    verra["serial_blocks"] = [{"serial": REBATCHED}]
    ccer["serial_blocks"][0].update(start="900001", end="901900")  # only the Verra units are shared
    if ccer_issuance is not None:
        ccer["serial_blocks"][0]["issuance"] = ccer_issuance
    new = write_json(w.root / "rival-statement.json", doc)
    publish(w.c.dep, w.c.verifier, new, kind=Kind.STATEMENT, ref=ruid)
    return {"old_uid": old_uid, "old_key": old_key, "new": new}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with anvil_world(tmp_path_factory.mktemp("claimsnodes"), setup=_old_and_new) as w:
        yield w


@pytest.fixture(scope="module")
def world_apart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """As `world`, Rival Bank's CCER units of another issuance: the old statement shares no issuance
    key with the new one, so an index of what the new one reaches does not hold it."""
    setup = functools.partial(_old_and_new, ccer_issuance="FCS-EXAMPLE-01-2021-B")
    with anvil_world(tmp_path_factory.mktemp("claimsapart"), setup=setup) as w:
        yield w


def _old_claim_dropped(w: World) -> Any:
    """eth_getLogs answers without the old statement's CreditClaimed log of its Verra units (its other
    claims, its receipts untouched)."""

    def lie(method: str, result: Any) -> Any:
        if method == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if log["topics"][:3] != [CLAIMED, w.old_key, w.old_uid]]
        return result

    return lie


def _line(stdout: str, name: str) -> str:
    return next(x for x in stdout.splitlines() if x.lstrip()[2:].startswith(name + " "))


def test_through_honest_nodes_the_old_spelling_is_a_warning(world: World) -> None:
    proxy = LyingProxy(world.rpc_url, honest)
    nodes = ["--rpc-url", proxy.url, "--rpc-url", world.rpc_url, "--require-proofs"]
    try:
        done = run_attest("verify", str(world.new), "-d", str(world.manifest), *nodes, timeout=120)
    finally:
        proxy.close()
    assert done.returncode == 0, show(done)
    credits = _line(done.stdout, "credits")
    assert credits.lstrip().startswith("!") and "under another issuance key" in credits, show(done)
    assert f"claimed by statement {world.old_uid}" in credits.lower(), credits
    logs = _line(done.stdout, "logs")
    assert "claims on its Verra unit numbers under other issuance keys: as complete as" in logs, logs


@pytest.mark.parametrize("command", ["verify", "verify-many"])
def test_an_old_spelling_claim_one_node_leaves_out_is_found_by_asking_every_node(
    world: World, command: str
) -> None:
    """The first node drops WeBank's old-spelling CreditClaimed log from eth_getLogs: the verdict it
    reads sees no overlap (no warning). Before the fix this ended VERIFIED with --require-proofs; now
    the second node is asked for every claim, holds it, and the verdict fails on `logs`."""
    proxy = LyingProxy(world.rpc_url, _old_claim_dropped(world))
    nodes = ["--rpc-url", proxy.url, "--rpc-url", world.rpc_url, "--require-proofs"]
    try:
        done = run_attest(command, str(world.new), "-d", str(world.manifest), *nodes, timeout=120)
    finally:
        proxy.close()
    assert done.returncode == 1, show(done)
    assert "under another issuance key:" not in done.stdout, show(done)  # the lie hid the warning…
    logs = next(x for x in done.stdout.splitlines() if "logs " in x and "the nodes' logs differ" in x)
    if command == "verify":  # …which every node's logs show (verify-many lists failing lines unmarked)
        assert logs.lstrip().startswith("✗"), show(done)
    assert f"{world.rpc_url} holds a claim by statement {world.old_uid}" in logs.lower(), logs
    assert "on verra unit numbers 1..5000 under another issuance key" in logs.lower(), logs


def test_verify_many_reads_every_claim_as_verify_does(world_apart: World) -> None:
    """Parity: verify-many's index is targeted (it never scans the whole registry), so it held only
    the claims its targets reach, and WeBank's old-spelling claim on the same Verra unit numbers was
    not among them when the old statement is not a target: the `credits` warning was missing from
    verify-many and, with every node asked since, its `logs` line said the nodes' logs differ, through
    honest nodes. Every claim is now loaded (one query of the CreditClaimed topic) when a statement
    retiring Verra units asks, so both commands give the same lines and verdict."""

    def lines(command: str) -> tuple[int, dict[str, str]]:
        proxy = LyingProxy(world_apart.rpc_url, honest)  # a second party's node
        nodes = ["--rpc-url", proxy.url, "--rpc-url", world_apart.rpc_url, "--require-proofs", "--json"]
        try:
            done = run_attest(
                command, str(world_apart.new), "-d", str(world_apart.manifest), *nodes, timeout=120
            )
        finally:
            proxy.close()
        data = json.loads(done.stdout)
        report = (data["reports"] if command == "verify-many" else data)[0]
        return done.returncode, {c["name"]: c["status"] for c in report["checks"]}

    one, many = lines("verify"), lines("verify-many")
    assert one[1].get("credits") == "warn", one
    assert many == one
