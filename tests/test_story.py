"""The whole publish/verify story, ONE suite run on every backend the tool supports.

Backends: the embedded eth-tester chain; a real anvil node on 127.0.0.1; and anvil with zero fees
(the free-gas profile of Besu QBFT / FISCO BCOS), where every account is UNFUNDED and each
transaction must be a legacy one with gasPrice 0. The story: deploy, admit, publish figures + a
report file + a batch (through the crash-safe journal), verify each, tamper (fails), revoke (fails),
restate (the old figures fail as superseded, the restatement verifies).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, build_consortium
from eth_account import Account

from attest.app.journal import Journal
from attest.app.publishing import publish
from attest.app.verify import verify_target
from attest.chain.anchoring import revoke
from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind, Role
from attest.core.records import OrganisationInfo
from attest.devtools.node import AnvilNode, dev_private_keys

BACKENDS = ["embedded", "anvil", "anvil-zero-fees"]


@dataclass
class World:
    backend: str
    chain: Chain
    dep: Deployment
    committee: list[Any]
    bank: Any


def unfunded_world(chain: Chain) -> World:
    """The consortium with accounts that hold no ether at all: only a free-gas chain can run it."""
    committee = [Account.create() for _ in range(3)]
    bank = Account.create()
    dep = Deployment.deploy(chain, committee[0], committee=[a.address for a in committee], threshold=2,
                            network="free-gas")  # fmt: skip
    Committee(dep).admit(
        committee[:2], OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [bank.address]
    )
    return World("anvil-zero-fees", chain, dep, committee, bank)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "embedded":
        c = build_consortium(Chain.embedded())
        yield World("embedded", c.chain, c.dep, c.committee, c.bank)
        return
    node = AnvilNode(tmp_path / "node", zero_fees=request.param == "anvil-zero-fees")
    node.start()
    try:
        chain = Chain.connect(node.rpc_url)
        if request.param == "anvil":
            c = build_consortium(chain, funder_key=dev_private_keys(1)[0])
            yield World("anvil", chain, c.dep, c.committee, c.bank)
        else:
            yield unfunded_world(chain)
    finally:
        node.stop(timeout=5)
        node.kill()


def verified(world: World, target: Path | str) -> bool:
    return verify_target(world.dep, str(target)).verified


def failed_check(world: World, target: Path | str) -> set[str]:
    report = verify_target(world.dep, str(target))
    assert not report.verified
    return {c.name for c in report.checks if c.status == "fail"}


def test_story(world: World, tmp_path: Path) -> None:
    from attest.app.batch import publish_batch

    dep, bank = world.dep, world.bank
    figures = shutil.copy(EXAMPLES / "webank-2022-figures.json", tmp_path / "figures-2022.json")
    report = tmp_path / "report-2022.pdf"
    report.write_bytes(b"%PDF-1.4\n% WeBank 2022 sustainability report\n%%EOF\n")
    annexes = [tmp_path / f"annex-{i}.csv" for i in range(3)]
    for i, a in enumerate(annexes):
        a.write_text(f"metric,value\nannex,{i}\n", encoding="utf-8")

    with Journal(tmp_path / "journal.sqlite") as journal:
        f = publish(dep, bank, figures, kind=Kind.FIGURES, journal=journal)
        r = publish(dep, bank, report, kind=Kind.FILE, year=2022, journal=journal)
        b = publish_batch(dep, bank, annexes, year=2022, journal=journal)
        assert (f.outcome, r.outcome) == ("sent", "sent") and not b.published.already_anchored
        again = publish(dep, bank, figures, kind=Kind.FIGURES, journal=journal)  # idempotent
        assert again.outcome == "resumed" and again.published.attestation == f.published.attestation
        assert journal.summary() == {"anchored": 3}

    # verify: the document, its receipt, and the bare digest
    for target in (figures, f.receipt_path, f.document.digest, report):
        assert verified(world, target), target
    # a batch member is verified through its receipt (the Merkle proof to the anchored root)
    assert all(verified(world, p) for p in b.receipt_paths)

    # tamper: one figure, one byte of the report, one annex
    doc = json.loads(Path(figures).read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
    tampered = tmp_path / "figures-2022-edited.json"
    tampered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert "anchored" in failed_check(world, tampered)
    edited_pdf = tmp_path / "report-2022-edited.pdf"
    edited_pdf.write_bytes(report.read_bytes().replace(b"2022", b"2021"))
    assert "anchored" in failed_check(world, edited_pdf)

    # revoke the report: it no longer verifies, and says why
    revoke(dep, bank, r.published.attestation.uid, "replaced by the corrected edition")
    assert "status" in failed_check(world, report)

    # restate the figures: the old ones are superseded, the restatement verifies
    restated = tmp_path / "figures-2022-restated.json"
    restated.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    new = publish(dep, bank, restated, kind=Kind.FIGURES, ref=f.published.attestation.uid)
    assert new.published.attestation.ref == f.published.attestation.uid
    assert "status" in failed_check(world, figures)
    assert verified(world, restated)

    if world.backend == "anvil-zero-fees":
        assert world.chain.free_gas is True
        for uid_tx in (f.published.attestation.transaction_hash, new.published.attestation.transaction_hash):
            tx = world.chain.w3.eth.get_transaction(uid_tx)  # type: ignore[arg-type]
            assert int(tx["type"]) == 0 and int(tx["gasPrice"]) == 0
        assert world.chain.w3.eth.get_balance(bank.address) == 0
    else:
        assert world.chain.free_gas is False
