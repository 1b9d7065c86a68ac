"""Review 8 attack on `attest history --neutrality`: two figures of a year in ONE block.

A row's figures are "the year's latest current figures": `(current or of_year)[-1]` over the
organisation's attestations sorted by `_place` = (block number, log index). Review 5 proves every
record's block number at the trusted block (`Prover.record_lies` compares the slot's `blockNumber`),
and review 6 sorts by place instead of by the order of the node's answer. But the LOG INDEX is the
node's word for every attestation the chosen statement's own verification does not read: only the
records of that verification (`judge_attested` in `LogProver.check`) are held to their block's
receipts at their log index. Figures the row passes over are never judged there.

The honest chain: the bank anchors two sets of 2022 figures in one block (two transactions, one
block: an operator batching its anchors, or any chain with more than one transaction per block) —
F1 first, then F2 (not a restatement: new figures of the year). The verifier's statement S1 covers F1
and claims neutrality (met); nothing covers F2. Honestly 2022 follows F2, the latest current figures
of the year: a gap, not met.

The lie: the bank's node (the first --rpc-url) answers eth_getLogs with F2's `Attested` log given
F1's log index and listed before it (nothing left out, no record, block, kind, year or status
altered). Sorted by (block, log index), F2 now comes first and the row picks F1 — whose statement's
verification is genuinely proven: "met": true, exit 0, with an honest second party's node and
--require-proofs.

Correct outcome: the row follows F2 (a gap, not met) or the run fails (exit 3); never "met": true.
(The log index of a record the choice depends on is provable from its block's receipts, as
`judge_attested` already does for the verification's records.)
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from history_attacks import neutrality_history
from lying_proxy import ATTESTED, ForgingProxy, show
from worlds import FIGURES_EXAMPLE, STATEMENT_EXAMPLE, World, anvil_world, restatement

from attest.app.publishing import ToPublish, prepare, publish, publish_documents
from attest.core.contracts import Kind

pytestmark = pytest.mark.anvil


def in_one_block(w: World, account: Any, items: list[ToPublish]) -> list[Any]:
    """Publish `items` by `account` with anvil's automine off, then mine them in one block."""
    chain = w.c.chain
    before = int(chain.call("eth_getTransactionCount", [account.address, "latest"]), 16)
    chain.call("evm_setAutomine", [False])
    out: list[Any] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            out.extend(publish_documents(w.c.dep, account, items))
        except BaseException as exc:  # noqa: BLE001
            failed.append(exc)

    t = threading.Thread(target=run)
    t.start()
    try:
        for _ in range(300):
            pending = int(chain.call("eth_getTransactionCount", [account.address, "pending"]), 16)
            if pending - before >= len(items) or failed:
                break
            time.sleep(0.05)
        chain.call("evm_mine", [])
    finally:
        chain.call("evm_setAutomine", [True])
    t.join(60)
    assert not failed, failed
    blocks = {r.published.attestation.block_number for r in out}
    assert len(blocks) == 1, blocks
    return out


def _setup(w: World) -> dict[str, Any]:
    f1 = w.root / "f1.json"
    shutil.copy(EXAMPLES / FIGURES_EXAMPLE, f1)
    f2 = restatement(f1, w.root / "f2.json", by=7)
    items = []
    for p in (f1, f2):
        doc, year = prepare(p, kind=Kind.FIGURES, year=None)
        items.append(ToPublish(doc, Kind.FIGURES, year))
    r1, r2 = in_one_block(w, w.c.bank, items)
    a1, a2 = r1.published.attestation, r2.published.attestation
    assert a1.log_index < a2.log_index, (a1.log_index, a2.log_index)
    s = w.root / "s1.json"
    shutil.copy(EXAMPLES / STATEMENT_EXAMPLE, s)
    st = publish(w.c.dep, w.c.verifier, s, kind=Kind.STATEMENT, ref=a1.uid).published.attestation
    return {
        "f1_uid": a1.uid.lower(),
        "f2_uid": a2.uid.lower(),
        "f1_index": a1.log_index,
        "s1_uid": st.uid.lower(),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review8-same-block")
    with anvil_world(root, figures=None, statement=None, setup=_setup) as w:
        yield w


def _history(w: World, first: str) -> Any:
    return neutrality_history(w, first)


def test_a_node_moving_later_figures_before_earlier_ones_in_their_block_makes_the_year_met(
    world: World,
) -> None:
    honest = _history(world, world.rpc_url)
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    [row] = data["years"]
    assert row["figures"]["uid"].lower() == world.f2_uid, row
    assert row["status"] == "gap" and data["met"] is False, data

    f1, f2 = world.f1_uid, world.f2_uid

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") != "eth_getLogs" or not isinstance(result, list):
            return result
        out = list(result)
        at = {
            str(log["topics"][1]).lower(): i
            for i, log in enumerate(out)
            if str(log["topics"][0]).lower() == ATTESTED
        }
        if f1 in at and f2 in at:
            i, j = at[f1], at[f2]
            moved = {**out[j], "logIndex": out[i]["logIndex"]}  # F1's place in the block
            del out[j]
            out.insert(i, moved)  # listed before F1
        elif f2 in at:  # asked for F2's alone: F1's place all the same
            j = at[f2]
            out[j] = {**out[j], "logIndex": hex(world.f1_index)}
        return out

    proxy = ForgingProxy(world.rpc_url, forge)
    try:
        lied = _history(world, proxy.url)
    finally:
        proxy.close()
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        [row] = data["years"]
        assert data["met"] is False, (
            f"the lying node made 2022 met on figures {row['figures']['uid']} (honestly {world.f2_uid}, "
            f"a gap): {show(lied)}"
        )
    else:
        assert lied.returncode == 3, show(lied)
