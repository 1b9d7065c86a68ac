"""Governance facts proven: a node whose governance history hides that a key was frozen (it drops
the AccountFrozen log) is contradicted by governance storage at the trusted block, and the verdict
fails (exit 1) naming the account; through an honest node the proofs line shows the frozen key."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils import keccak
from lying_proxy import LyingProxy, honest
from worlds import World, anvil_world, run_attest

from attest.core.contracts import Kind
from attest.core.governance import Action

FROZEN = "0x" + keccak(text="AccountFrozen(address)").hex()


def rival_report_then_frozen(w: World) -> dict[str, Any]:
    """Rival Bank publishes a report, then the committee freezes the key that signed it."""
    from test_governance import data

    from attest.app.publishing import publish
    from attest.chain.committee import Committee

    c = w.c
    report = w.root / "rival-report.pdf"
    report.write_bytes(b"%PDF-1.4 a report by Rival Bank\n")
    publish(c.dep, c.rival, report, kind=Kind.FILE, year=2022)
    Committee(c.dep).enact(
        c.committee[:2], Action.FREEZE_ACCOUNT, data(Action.FREEZE_ACCOUNT, c.rival.address)
    )
    return {"report": report}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("lies-governance")
    with anvil_world(root, figures=None, setup=rival_report_then_frozen) as w:
        yield w


def frozen_logs_dropped(method: str, result: Any) -> Any:
    if method == "eth_getLogs" and isinstance(result, list):
        return [log for log in result if (log.get("topics") or [""])[0] != FROZEN]
    return result


def verify(w: World, lie: Any) -> subprocess.CompletedProcess[str]:
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        return run_attest("verify", str(w.report), "-d", str(w.manifest), "--rpc-url", proxy.url, timeout=120)
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
