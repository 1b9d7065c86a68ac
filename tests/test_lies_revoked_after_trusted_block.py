"""A double claim on credits hidden by a revocation the node dates after the trusted block.

Found by an adversarial review (a working attack before the fix): the node says the other claiming
statement was revoked after the trusted block (so its claim stops counting), which the proofs could
not contradict and `--require-proofs` did not fail. Such a revocation is now the node's word, named
on the proofs and logs lines and failed by `--require-proofs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi import encode
from lying_proxy import GET_ATTESTATION, REVOKED, ForgingProxy, run_attest, show
from worlds import World, anvil_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("cr")
    with anvil_world(
        root,
        figures="webank-figures.json",
        statement="statement-2022.json",
        rival="overlap-on-behalf",
        mine_blocks=2,
        checkpoint=True,
        mine_after=3,
    ) as w:
        yield w


def revoked_later(w: World):
    later = w.checkpoint_number + 1
    block_hash = w.chain.block_hash(later)

    def forge(call: dict[str, Any], result: Any) -> Any:
        m = call.get("method")
        if m == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + w.statement_uid[2:]:
                return result[: 2 + 5 * 64] + "00" * 31 + "01"  # revoked flag: true
        if m == "eth_getLogs" and isinstance(result, list):
            topics = call["params"][0].get("topics") or []
            if topics and str(topics[0]).lower() == REVOKED:
                asked = topics[1] if isinstance(topics[1], list) else [topics[1]]
                if w.statement_uid in [x.lower() for x in asked]:
                    return [
                        *result,
                        {
                            "address": w.c.dep.manifest.registry.address,
                            "topics": [
                                REVOKED,
                                w.statement_uid,
                                "0x" + w.c.verifier_id.to_bytes(32, "big").hex(),
                                "0x" + "00" * 12 + w.c.verifier.address[2:].lower(),
                            ],
                            "data": "0x" + encode(["string"], ["withdrawn"]).hex(),
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


def verify(w: World, forge: Any) -> Any:
    proxy = ForgingProxy(w.node.rpc_url, forge)
    try:
        return run_attest(
            "verify",
            str(w.rival_statement),
            "-d",
            str(w.manifest),
            "--rpc-url",
            proxy.url,
            "--trust-block",
            w.checkpoint,
            "--require-proofs",
        )
    finally:
        proxy.close()


def test_double_claim_hidden_by_a_revocation_dated_after_the_trusted_block(world: World) -> None:
    honest = verify(world, lambda c, r: r)
    assert honest.returncode == 1 and "claimed twice" in honest.stdout, show(honest)
    done = verify(world, revoked_later(world))
    assert done.returncode in (1, 3), show(done)


def test_same_with_one_node_and_no_checkpoint_revoked_at_a_block_that_does_not_exist(world: World) -> None:
    """No checkpoint, one node (trusted block = its head): the forged revocation is dated at a block
    far beyond the head, which nothing checks exists."""
    head = world.chain.head()
    later = head + 1001

    def forge(call: dict[str, Any], result: Any) -> Any:
        m = call.get("method")
        if m == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + world.statement_uid[2:]:
                return result[: 2 + 5 * 64] + "00" * 31 + "01"
        if m == "eth_getLogs" and isinstance(result, list):
            topics = call["params"][0].get("topics") or []
            if topics and str(topics[0]).lower() == REVOKED:
                asked = topics[1] if isinstance(topics[1], list) else [topics[1]]
                if world.statement_uid in [x.lower() for x in asked]:
                    return [
                        *result,
                        {
                            "address": world.c.dep.manifest.registry.address,
                            "topics": [
                                REVOKED,
                                world.statement_uid,
                                "0x" + world.c.verifier_id.to_bytes(32, "big").hex(),
                                "0x" + "00" * 12 + world.c.verifier.address[2:].lower(),
                            ],
                            "data": "0x" + encode(["string"], ["withdrawn"]).hex(),
                            "blockNumber": hex(later),
                            "blockHash": "0x" + "66" * 32,
                            "transactionHash": "0x" + "77" * 32,
                            "transactionIndex": "0x0",
                            "logIndex": "0x0",
                            "removed": False,
                        },
                    ]
        return result

    proxy = ForgingProxy(world.node.rpc_url, forge)
    try:
        done = run_attest(
            "verify",
            str(world.rival_statement),
            "-d",
            str(world.manifest),
            "--rpc-url",
            proxy.url,
            "--require-proofs",
        )
    finally:
        proxy.close()
    assert done.returncode in (1, 3), show(done)
