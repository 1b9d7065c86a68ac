"""A double claim on credits hidden by a revocation the node dates after the trusted block.

Found by an adversarial review (a working attack before the fix): the node says the other claiming
statement was revoked after the trusted block (so its claim stops counting), which the proofs could
not contradict and `--require-proofs` did not fail. Such a revocation is now the node's word, named
on the proofs and logs lines and failed by `--require-proofs`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, consortium_on_anvil, manifest_of, mine
from eth_abi import encode
from lying_proxy import GET_ATTESTATION, REVOKED, ForgingProxy, run_attest, show

from attest.app.publishing import publish
from attest.chain.connection import Chain
from attest.core.contracts import Kind


@dataclass
class World:
    node: Any
    manifest: Path
    rival_statement: Path
    webank_uid: str
    verifier: str
    verifier_id: int
    registry: str
    checkpoint: str
    n: int
    chain: Chain


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("cr")
    with consortium_on_anvil(root) as (node, c):
        figures = root / "webank-figures.json"
        shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
        fig = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation
        statement = root / "statement-2022.json"
        shutil.copy(EXAMPLES / "illustrative-carbon-verification-2022-v2.json", statement)
        st = publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=fig.uid).published.attestation
        rival_doc = json.loads(figures.read_text(encoding="utf-8"))
        rival_doc["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank Co.", "country": "CN"}
        rival_figures = root / "rival-figures.json"
        rival_figures.write_text(json.dumps(rival_doc, ensure_ascii=False), encoding="utf-8")
        rival_fig = publish(c.dep, c.rival, rival_figures, kind=Kind.FIGURES).published.attestation
        rival_st = json.loads(statement.read_text(encoding="utf-8"))
        rival_st["organisation"] = rival_doc["organisation"]
        verra = rival_st["neutrality_claim"]["retirements"][0]
        verra["serial_blocks"] = [
            {"serial": "0001-004001-004500-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}
        ]
        verra["quantity_tco2e"] = "500"
        verra["beneficiary"] = "Rival Bank Co."
        verra["reason"] = "retired on behalf of Rival Bank Co."
        fcs = rival_st["neutrality_claim"]["retirements"][1]
        fcs["serial_blocks"] = [{"issuance": "FCS-EXAMPLE-01-2021-B", "start": "300001", "end": "306400"}]
        fcs["quantity_tco2e"] = "6400"
        fcs["beneficiary"] = "Rival Bank Co."
        fcs["reason"] = "retired on behalf of Rival Bank Co."
        rival_statement = root / "rival-statement.json"
        rival_statement.write_text(json.dumps(rival_st, ensure_ascii=False), encoding="utf-8")
        publish(c.dep, c.verifier, rival_statement, kind=Kind.STATEMENT, ref=rival_fig.uid)
        mine(c, 2)
        n = c.chain.head()
        h = c.chain.block_hash(n)
        mine(c, 3)
        manifest = manifest_of(c, root)
        yield World(
            node,
            manifest,
            rival_statement,
            st.uid.lower(),
            c.verifier.address,
            c.verifier_id,
            c.dep.manifest.registry.address,
            f"{n}:{h}",
            n,
            c.chain,
        )


def revoked_later(w: World):
    later = w.n + 1
    block_hash = w.chain.block_hash(later)

    def forge(call: dict[str, Any], result: Any) -> Any:
        m = call.get("method")
        if m == "eth_call":
            data = str(call["params"][0].get("data", "")).lower()
            if data == GET_ATTESTATION + w.webank_uid[2:]:
                return result[: 2 + 5 * 64] + "00" * 31 + "01"  # revoked flag: true
        if m == "eth_getLogs" and isinstance(result, list):
            topics = call["params"][0].get("topics") or []
            if topics and str(topics[0]).lower() == REVOKED:
                asked = topics[1] if isinstance(topics[1], list) else [topics[1]]
                if w.webank_uid in [x.lower() for x in asked]:
                    return [
                        *result,
                        {
                            "address": w.registry,
                            "topics": [
                                REVOKED,
                                w.webank_uid,
                                "0x" + w.verifier_id.to_bytes(32, "big").hex(),
                                "0x" + "00" * 12 + w.verifier[2:].lower(),
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
            if data == GET_ATTESTATION + world.webank_uid[2:]:
                return result[: 2 + 5 * 64] + "00" * 31 + "01"
        if m == "eth_getLogs" and isinstance(result, list):
            topics = call["params"][0].get("topics") or []
            if topics and str(topics[0]).lower() == REVOKED:
                asked = topics[1] if isinstance(topics[1], list) else [topics[1]]
                if world.webank_uid in [x.lower() for x in asked]:
                    return [
                        *result,
                        {
                            "address": world.registry,
                            "topics": [
                                REVOKED,
                                world.webank_uid,
                                "0x" + world.verifier_id.to_bytes(32, "big").hex(),
                                "0x" + "00" * 12 + world.verifier[2:].lower(),
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
