"""The check every anvil state dump passes before it is kept or loaded (attest.devtools.anvil_state).

The dumps are real: one taken from a real anvil (a few transfers), then rewritten into each shape a
torn or cut save can have. `save_state` is run against a small JSON-RPC server on 127.0.0.1 that
answers `anvil_dumpState` with such a dump, as a node whose save overlapped a block would.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rpc_proxy import ProxyServer

from attest.devtools.anvil_state import StateSummary, TornState, check_state, dump_state, save_state
from attest.devtools.node import AnvilNode, dev_private_keys

SINK = "0x000000000000000000000000000000000000dEaD"


def _number(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) and value.startswith("0x") else int(value)


@pytest.fixture(scope="module")
def real_dump(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A dump of a real anvil after three transfers (three blocks with a transaction each)."""
    from eth_account import Account
    from web3 import Web3

    node = AnvilNode(tmp_path_factory.mktemp("state") / "node").start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        acct = Account.from_key(dev_private_keys(1)[0])
        for nonce in range(3):
            tx = {
                "nonce": nonce,
                "to": SINK,
                "value": 1,
                "gas": 21_000,
                "gasPrice": w3.eth.gas_price,
                "chainId": 31337,
            }
            w3.eth.wait_for_transaction_receipt(
                w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
            )
        dump: dict[str, Any] = json.loads(dump_state(node.rpc_url))
    finally:
        node.stop()
    return dump


def test_a_real_dump_is_consistent(real_dump: dict[str, Any]) -> None:
    summary = check_state(json.dumps(real_dump))
    assert summary == StateSummary(best_block=3, blocks=4, transactions=3, accounts=summary.accounts)


def _torn(dump: dict[str, Any], *, keep_block: bool = False, keep_txs: bool = False) -> dict[str, Any]:
    torn = copy.deepcopy(dump)
    last = _number(torn["best_block_number"])
    if not keep_block:
        torn["blocks"] = [b for b in torn["blocks"] if _number(b["header"]["number"]) != last]
        torn["best_block_number"] = last - 1
    if not keep_txs:
        torn["transactions"] = [t for t in torn["transactions"] if _number(t["block_number"]) != last]
    return torn


def test_the_state_ahead_of_its_blocks_is_torn(real_dump: dict[str, Any]) -> None:
    """What anvil 1.7.1 writes when a save overlaps the storing of a block."""
    with pytest.raises(
        TornState,
        match=r"^account 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 has nonce 3 but "
        r"the dump holds 2 of its transactions: the state is ahead of the blocks",
    ):
        check_state(json.dumps(_torn(real_dump)))


def test_transactions_of_a_block_the_dump_does_not_hold_are_torn(real_dump: dict[str, Any]) -> None:
    with pytest.raises(TornState, match=r"^it holds 1 transaction\(s\) of block 3, but not block 3 itself"):
        check_state(json.dumps(_torn(real_dump, keep_txs=True)))


def test_a_block_without_its_transactions_is_torn(real_dump: dict[str, Any]) -> None:
    with pytest.raises(TornState, match=r"^block 3 lists 1 transaction\(s\), the dump holds 0 of them"):
        check_state(json.dumps(_torn(real_dump, keep_block=True)))


def test_a_best_block_past_the_blocks_is_torn(real_dump: dict[str, Any]) -> None:
    dump = copy.deepcopy(real_dump)
    dump["best_block_number"] = 4
    with pytest.raises(TornState, match=r"^its best block is 4, but its blocks end at 3"):
        check_state(json.dumps(dump))


@pytest.mark.parametrize("cut", [1, 100, 1000, -30, -1])
def test_a_dump_cut_short_is_refused(real_dump: dict[str, Any], cut: int) -> None:
    text = json.dumps(real_dump)
    with pytest.raises(TornState, match=r"^not (a complete anvil state dump|an anvil state dump)"):
        check_state(text[:cut])


class _DumpServer(ProxyServer):
    """127.0.0.1 JSON-RPC answering anvil_dumpState with one given dump, gzip'd and hex-encoded (the
    tests' one proxy server, answering instead of forwarding)."""

    def __init__(self, dump: dict[str, Any]) -> None:
        self.payload = "0x" + gzip.compress(json.dumps(dump).encode()).hex()
        super().__init__(upstream="")

    def handle(self, body: bytes) -> bytes:
        request = json.loads(body)
        return json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": self.payload}).encode()


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[_DumpServer] = []

    def start(dump: dict[str, Any]) -> str:
        servers.append(_DumpServer(dump))
        return servers[-1].url

    yield start
    for s in servers:
        s.close()


def test_a_torn_save_never_replaces_the_last_good_one(
    real_dump: dict[str, Any], serve: Any, tmp_path: Path
) -> None:
    state = tmp_path / "anvil-state.json"
    good = save_state(serve(real_dump), state)
    assert good.best_block == 3
    kept = state.read_bytes()
    with pytest.raises(TornState, match="has nonce 3 but the dump holds 2"):
        save_state(serve(_torn(real_dump)), state)
    assert state.read_bytes() == kept  # the last good save, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["anvil-state.json"]  # no temporary file left
