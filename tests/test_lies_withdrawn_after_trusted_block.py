"""A restatement hidden by a withdrawal the node dates after the trusted block.

Found by an adversarial review (a working attack before the fix): the node answers supersededBy
with zero and invents a Revoked log of the restatement after the trusted block, the one escape the
supersededBy comparison allowed. Such a withdrawal is now the node's word, failed by
`--require-proofs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi import encode
from lying_proxy import REVOKED, SUPERSEDED_BY, ForgingProxy, run_attest, show
from worlds import World, anvil_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("wd")
    with anvil_world(
        root, restated="new/webank-2022-figures.json", mine_blocks=2, checkpoint=True, mine_after=3
    ) as w:
        yield w


def hide_and_withdraw(w: World):
    later = w.checkpoint_number + 1
    block_hash = w.chain.block_hash(later)

    def forge(call: dict[str, Any], result: Any) -> Any:
        m = call.get("method")
        if m == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == SUPERSEDED_BY + w.figures_uid[2:]:
                return "0x" + "00" * 32
        if m == "eth_getLogs" and isinstance(result, list):
            topics = call["params"][0].get("topics") or []
            if topics and str(topics[0]).lower() == REVOKED:
                asked = topics[1] if isinstance(topics[1], list) else [topics[1]]
                if w.restated_uid in [x.lower() for x in asked]:
                    return [
                        *result,
                        {
                            "address": w.c.dep.manifest.registry.address,
                            "topics": [
                                REVOKED,
                                w.restated_uid,
                                "0x" + (1).to_bytes(32, "big").hex(),
                                "0x" + "00" * 12 + w.c.bank.address[2:].lower(),
                            ],
                            "data": "0x" + encode(["string"], ["restatement withdrawn"]).hex(),
                            "blockNumber": hex(later),
                            "blockHash": block_hash,
                            "transactionHash": "0x" + "77" * 32,
                            "transactionIndex": "0x0",
                            "logIndex": "0x0",
                            "removed": False,
                        },
                    ]
        return result

    return forge


def test_superseded_figures_verify_with_a_forged_later_withdrawal(world: World) -> None:
    honest = ForgingProxy(world.node.rpc_url, lambda c, r: r)
    try:
        done = run_attest(
            "verify",
            str(world.figures),
            "-d",
            str(world.manifest),
            "--rpc-url",
            honest.url,
            "--trust-block",
            world.checkpoint,
            "--require-proofs",
        )
    finally:
        honest.close()
    assert done.returncode == 1 and "superseded" in done.stdout, show(done)
    lying = ForgingProxy(world.node.rpc_url, hide_and_withdraw(world))
    try:
        done = run_attest(
            "verify",
            str(world.figures),
            "-d",
            str(world.manifest),
            "--rpc-url",
            lying.url,
            "--trust-block",
            world.checkpoint,
            "--require-proofs",
        )
    finally:
        lying.close()
    assert done.returncode in (1, 3), show(done)
