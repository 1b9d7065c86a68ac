"""Attacks in the confirmation window by a bank that fronts the node, found by a second adversarial
review (after the fixes kept in tests/test_review_attacks.py). Each was a working attack (exit 0,
VERIFIED) and fails on the code before its fix in attest.app.window: the other nodes are now asked
each attester's standing at a block both they and the reading node have (a key frozen after the
trusted block), and about a restatement's withdrawal the reading node dates after it. Either lie is
a contradiction between the nodes: exit 3, naming both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import second_party
from eth_abi import encode
from lying_proxy import REVOKED, SUPERSEDED_BY, ForgingProxy, run_attest, show
from worlds import World, anvil_world

from attest.chain.rpc import HttpRpc

pytestmark = pytest.mark.anvil


# ------------------------- 1. a restatement's withdrawal fabricated in the confirmation window


@pytest.fixture(scope="module")
def restated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The figures restated by the bank (`restated_uid`), then three blocks: the restatement sits
    well before any trusted block, every node holds the figures superseded."""
    root = tmp_path_factory.mktemp("restated-then-withdrawn")
    with anvil_world(root, restated="restated.json", mine_blocks=3) as w:
        yield w


def _withdrawal_fabricated(w: World) -> Any:
    """The reading node says the restatement was revoked (withdrawn) in its head block: supersededBy
    (figures) answered zero, and a Revoked log of the restatement, dated at the head, added to the
    Revoked logs it is asked for. Everything at or before the trusted block is answered truly."""
    head = HttpRpc(w.rpc_url).call("eth_getBlockByNumber", ["latest", False])
    bank = w.c.bank.address.lower()
    fake = {
        "address": w.c.dep.manifest.registry.address.lower(),
        "topics": [
            REVOKED,
            w.restated_uid,
            "0x" + (1).to_bytes(32, "big").hex(),  # org #1, the bank
            "0x" + "00" * 12 + bank.removeprefix("0x"),
        ],
        "data": "0x" + encode(["string"], ["restatement withdrawn: the original figures stand"]).hex(),
        "blockNumber": head["number"],
        "blockHash": head["hash"],
        "transactionHash": "0x" + "ee" * 32,
        "transactionIndex": "0x0",
        "logIndex": "0x0",
        "removed": False,
    }

    def forge(call: dict[str, Any], result: Any) -> Any:
        method = call.get("method")
        if method == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == SUPERSEDED_BY + w.figures_uid[2:]:
                return "0x" + "00" * 32
        if method == "eth_getLogs" and isinstance(result, list):
            topics = call["params"][0].get("topics") or []
            first = topics[0] if topics else None
            wanted = topics[1] if len(topics) > 1 else None
            names = [first] if isinstance(first, str) else (first or [])
            asked = [wanted] if isinstance(wanted, str) else (wanted or [])
            if REVOKED in [str(x).lower() for x in names] and (
                not asked or w.restated_uid in [str(x).lower() for x in asked]
            ):
                return [*result, fake]
        return result

    return forge


def test_a_withdrawal_of_a_restatement_fabricated_after_the_trusted_block(restated: World) -> None:
    """The lie: the bank restated its figures (block R, long before the trusted block; every node
    holds them superseded). Its node, the first --rpc-url, says the restatement was withdrawn in its
    head block — after the trusted block, the confirmation window — so the figures are "current
    again": supersededBy(figures) zero, a forged Revoked log of the restatement. The proofs let it
    pass (`core.proven._supersession_lies`: a restatement withdrawn after the trusted block is no
    lie), and the confirmation window never asks the second party's node, which holds the figures
    superseded and the restatement live: `app.window.Window._superseded` returns None for a
    restatement anchored at or before the trusted block ("the proofs decide") and the restatement
    itself is not a record read, so its revocation is asked of no one. The auditor gave the nodes of
    two parties; the superseded figures VERIFY (status `current again`, a warning). The honest run
    fails (`superseded`)."""
    nodes = [*second_party(restated.rpc_url), "--confirmations", "3"]
    honest = run_attest(
        "verify", str(restated.figures), "-d", str(restated.manifest), "--rpc-url", restated.rpc_url, *nodes
    )
    assert honest.returncode == 1 and "superseded" in honest.stdout, show(honest)
    proxy = ForgingProxy(restated.rpc_url, _withdrawal_fabricated(restated))
    try:
        done = run_attest(
            "verify", str(restated.figures), "-d", str(restated.manifest), "--rpc-url", proxy.url, *nodes
        )
    finally:
        proxy.close()
    assert done.returncode == 3, show(done)
    assert "the nodes contradict each other" in done.stderr, show(done)


# --------------------------------- 2. a key frozen in the confirmation window, hidden by the node

FROZEN = "0x" + __import__("eth_utils").keccak(text="AccountFrozen(address)").hex()


def _report_then_frozen(w: World) -> dict[str, Any]:
    """The bank publishes a report; three blocks later the committee freezes the key that signed it
    (its key compromised): the freeze is in the last blocks, after any trusted block 3 deep."""
    from conftest import mine
    from test_governance import data

    from attest.app.publishing import publish
    from attest.chain.committee import Committee
    from attest.core.contracts import Kind
    from attest.core.governance import Action

    c = w.c
    report = w.root / "bank-report.pdf"
    report.write_bytes(b"%PDF-1.4 a report signed by a key since frozen\n")
    publish(c.dep, c.bank, report, kind=Kind.FILE, year=2022)
    mine(c, 3)
    Committee(c.dep).enact(
        c.committee[:2], Action.FREEZE_ACCOUNT, data(Action.FREEZE_ACCOUNT, c.bank.address)
    )
    return {"report": report}


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("frozen-in-window")
    with anvil_world(root, figures=None, setup=_report_then_frozen, mine_blocks=0) as w:
        yield w


def _freeze_hidden(call: dict[str, Any], result: Any) -> Any:
    if call.get("method") == "eth_getLogs" and isinstance(result, list):
        return [x for x in result if str((x.get("topics") or [""])[0]).lower() != FROZEN]
    return result


def test_a_key_frozen_in_the_window_hidden_by_the_reading_node(frozen: World) -> None:
    """The lie: the committee froze the bank's signing key (compromised) in the last block; the bank's
    node, the first --rpc-url, drops the AccountFrozen log. The auditor gives a second party's node,
    --confirmations 3, --require-proofs and --strict (a key frozen since fails). Governance storage
    is proven at the trusted block, before the freeze, so the node's history agrees with it
    (`core.proven._standing_lies` replays only to that block); the confirmation window
    (`app.window`) asks the other nodes about revocations and restatements, never about standing;
    and without a checkpoint `Prover.grounds` leaves `standing` on `trusted_ground()`. So `authorised`
    says "today: still authorised" [proven], no `key` warning is printed, and the report VERIFIES
    with --strict --require-proofs; the honest run fails (`key`: frozen after this attestation)."""
    args = ["--org", "WeBank", "-d", str(frozen.manifest), *second_party(frozen.rpc_url)]
    args += ["--confirmations", "3", "--require-proofs", "--strict"]
    honest = run_attest("verify", str(frozen.report), "--rpc-url", frozen.rpc_url, *args)
    assert honest.returncode == 1 and "frozen" in honest.stdout, show(honest)
    proxy = ForgingProxy(frozen.rpc_url, _freeze_hidden)
    try:
        done = run_attest("verify", str(frozen.report), "--rpc-url", proxy.url, *args)
    finally:
        proxy.close()
    assert done.returncode == 3, show(done)
    assert "the nodes contradict each other" in done.stderr, show(done)
