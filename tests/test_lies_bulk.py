"""The lies of tests/test_lies.py told to `attest verify-many` (the bulk path: a chunk's logs by
topic, its storage in batches, its proofs in one eth_getProof per contract): each is caught, with
exit 1 or 3, never 0; through an honest proxy the same run verifies with every report proven."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lying_proxy import Lie, LyingProxy, honest
from test_lies import (
    World,
    attested_logs_dropped,
    attester_forged_in_logs,
    caught,
    revoked_flag_cleared,
    storage_value_forged,
    world,
)
from worlds import run_attest

__all__ = ["world"]  # the fixture, shared with tests/test_lies.py


def verify_many(w: World, lie: Lie, *targets: Path) -> subprocess.CompletedProcess[str]:
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        args = ["verify-many", *map(str, targets), "-d", str(w.manifest), "--rpc-url", proxy.url]
        return run_attest(*args, timeout=120)
    finally:
        proxy.close()


def test_an_honest_node_verifies_with_every_report_proven(world: World) -> None:
    done = verify_many(world, honest, world.figures)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 verified, 0 not verified, of 1" in done.stdout
    assert "proofs: state facts of every report proven against block" in done.stdout, done.stdout


def test_a_forged_eth_call_cannot_unrevoke_in_bulk(world: World) -> None:
    done = verify_many(world, revoked_flag_cleared, world.figures, world.withdrawn)
    caught(done, "was revoked by block", "proofs")


def test_omitted_logs_are_found_by_the_slot_in_bulk(world: World) -> None:
    caught(verify_many(world, attested_logs_dropped, world.figures), "left it out")


def test_forged_logs_contradict_the_proven_record_in_bulk(world: World) -> None:
    caught(verify_many(world, attester_forged_in_logs, world.figures), "storage holds")


def test_a_forged_storage_value_is_refused_in_bulk(world: World) -> None:
    done = verify_many(world, storage_value_forged, world.figures)
    caught(done, "the node claims 0x5")
    assert done.returncode == 3
