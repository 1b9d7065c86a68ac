"""A block a record sits in is final: two nodes' valid headers for it are two chains, whatever the
quorum.

Found by an adversarial review: with `--quorum 2` and three nodes, two of one bank's nodes could serve
a header of their own (fields that hash to the hash they name, with a receiptsRoot of their choosing)
for the old block that holds the bank's record, outvote the third node's real header, and have the
record's logs "proven" against their receipts; the dissent was dropped without a word. A block at
or below the trusted block on which the nodes give two valid headers now stops the verification
(exit 3), naming what each node said. Real anvil, real CLI; the two nodes are proxies that forge that
one block.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, consortium_on_anvil, manifest_of, mine
from lying_proxy import LyingProxy, run_attest, show

from attest.app.publishing import publish
from attest.chain.proving import header_from_block
from attest.core.contracts import Kind
from attest.core.header import header_hash

pytestmark = pytest.mark.anvil


@dataclass
class World:
    node: Any
    manifest: Path
    figures: Path
    block: int  # the figures' block


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("quorumlogs")
    with consortium_on_anvil(root) as (node, c):
        figures = root / "webank-2022-figures.json"
        shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
        a = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation
        mine(c, 3)
        yield World(node, manifest_of(c, root), figures, a.block_number)


def another_header_for(number: int) -> Any:
    """Block `number` with another receiptsRoot, and the hash its fields then give: a valid header."""

    def lie(method: str, result: Any) -> Any:
        if (
            method == "eth_getBlockByNumber"
            and isinstance(result, dict)
            and int(result["number"], 16) == number
        ):
            forged = {**result, "receiptsRoot": "0x" + "11" * 32}
            return {**forged, "hash": "0x" + header_hash(header_from_block(forged)).hex()}
        return result

    return lie


def test_two_nodes_outvoting_a_third_on_an_old_block_stop_the_verification(world: World) -> None:
    a, b = (LyingProxy(world.node.rpc_url, another_header_for(world.block)) for _ in range(2))
    try:
        nodes = ["--rpc-url", a.url, "--rpc-url", b.url, "--rpc-url", world.node.rpc_url, "--quorum", "2"]
        done = run_attest("verify", str(world.figures), "-d", str(world.manifest), *nodes)
    finally:
        a.close()
        b.close()
    assert done.returncode == 3, show(done)
    assert f"the nodes do not agree on block {world.block}" in done.stderr, show(done)
    assert world.node.rpc_url in done.stderr, show(done)  # the dissent is named, not dropped


def test_honest_nodes_with_a_quorum_verify(world: World) -> None:
    a = LyingProxy(world.node.rpc_url)
    try:
        nodes = ["--rpc-url", a.url, "--rpc-url", world.node.rpc_url, "--quorum", "1", "--require-proofs"]
        done = run_attest("verify", str(world.figures), "-d", str(world.manifest), *nodes)
    finally:
        a.close()
    assert done.returncode == 0, show(done)
