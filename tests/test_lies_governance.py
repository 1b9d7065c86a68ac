"""Governance facts proven: a node whose governance history hides that a key was frozen (it drops
the AccountFrozen log) is contradicted by governance storage at the trusted block, and the verdict
fails (exit 1) naming the account; through an honest node the proofs line shows the frozen key."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Consortium, build_consortium
from eth_utils import keccak
from lying_proxy import LyingProxy, honest
from test_lies import ATTEST

from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.governance import Action
from attest.core.manifest import write_atomic

FROZEN = "0x" + keccak(text="AccountFrozen(address)").hex()


@dataclass
class World:
    c: Consortium
    node: Any
    manifest: Path
    report: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from test_governance import data

    from attest.app.publishing import publish
    from attest.devtools.node import AnvilNode, dev_private_keys

    root = tmp_path_factory.mktemp("lies-governance")
    node = AnvilNode(root / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        report = root / "rival-report.pdf"
        report.write_bytes(b"%PDF-1.4 a report by Rival Bank\n")
        publish(c.dep, c.rival, report, kind=Kind.FILE, year=2022)
        c.dep.enact(c.committee[:2], Action.FREEZE_ACCOUNT, data(Action.FREEZE_ACCOUNT, c.rival.address))
        for _ in range(3):
            c.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        manifest = root / "deployment.json"
        write_atomic(manifest, c.dep.manifest.dump())
        yield World(c, node, manifest, report)
    finally:
        node.stop()


def frozen_logs_dropped(method: str, result: Any) -> Any:
    if method == "eth_getLogs" and isinstance(result, list):
        return [log for log in result if (log.get("topics") or [""])[0] != FROZEN]
    return result


def verify(w: World, lie: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        args = [str(ATTEST), "verify", str(w.report), "-d", str(w.manifest), "--rpc-url", proxy.url]
        return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    finally:
        proxy.close()


def test_an_honest_node_shows_the_frozen_key_proven(world: World) -> None:
    done = verify(world, honest)
    out = done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if "proofs" in x)
    assert line.lstrip().startswith("✓ proofs"), out
    assert "governance standing: account(s)" in line and "frozen" in line, line
    assert "frozen" in done.stdout.lower()  # the key line warns that it was frozen since


def test_a_hidden_freeze_is_contradicted_by_governance_storage(world: World) -> None:
    done = verify(world, frozen_logs_dropped)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    line = next(x for x in done.stdout.splitlines() if "proofs" in x)
    assert line.lstrip().startswith("✗ proofs"), line
    assert f"account {world.c.rival.address.lower()} is in org #{world.c.rival_id}, frozen" in line, line
