"""Tests of attest.devtools.node: the persistent local anvil node (start, stop, crash, restart, zero fees).

Every test that starts anvil does so through the ``make_node`` fixture, whose finalizer stops (or
kills) every process it started even when the test fails. Nodes only ever bind 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from worlds import run_attest

from attest.core.errors import ChainError
from attest.devtools import node as node_mod
from attest.devtools.node import (
    AnvilNode,
    dev_private_keys,
    find_anvil,
    is_node_running,
    read_node_info,
    stop_by_info,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SINK = "0x000000000000000000000000000000000000dEaD"
# Hardhat/anvil's first dev account: public, printed by every anvil banner.
DEV0_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
DEV0_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

NodeFactory = Callable[..., AnvilNode]


def _anvil_available() -> bool:
    try:
        find_anvil()
    except ChainError:
        return False
    return True


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[NodeFactory]:
    """Build AnvilNodes under tmp_path; every one is stopped (or killed) at teardown."""
    if not _anvil_available():
        pytest.fail("anvil not installed (run `npm ci` at the repository root)")
    started: list[AnvilNode] = []

    def factory(name: str = "node", **kwargs: Any) -> AnvilNode:
        node = AnvilNode(tmp_path / name, **kwargs)
        started.append(node)
        return node

    yield factory
    for node in started:
        try:
            node.stop(timeout=5)
        finally:
            node.kill()  # no-op when already stopped


def _w3(url: str) -> Any:
    from web3 import Web3

    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 10}))


def _send(w3: Any, key: str, to: str, value: int, *, gas_price: int | None = None) -> Any:
    """Sign locally (legacy tx) and send raw, as the tool does; return the receipt."""
    from eth_account import Account

    acct = Account.from_key(key)
    tx = {
        "nonce": w3.eth.get_transaction_count(acct.address),
        "to": to,
        "value": value,
        "gas": 21_000,
        "gasPrice": w3.eth.gas_price if gas_price is None else gas_price,
        "chainId": w3.eth.chain_id,
    }
    signed = acct.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)


def _fresh_address() -> str:
    from eth_account import Account

    return str(Account.create().address)


# --------------------------------------------------------------------------------------------------
# No anvil needed
# --------------------------------------------------------------------------------------------------


def test_dev_private_keys_are_anvils_well_known_accounts() -> None:
    from eth_account import Account

    keys = dev_private_keys(3)
    assert len(keys) == 3 and len(set(keys)) == 3
    assert keys[0] == DEV0_KEY
    assert Account.from_key(keys[0]).address == DEV0_ADDRESS
    assert dev_private_keys(0) == []


def test_find_anvil_env_pointing_nowhere_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no-such-anvil"
    monkeypatch.setenv("ATTEST_ANVIL", str(missing))
    with pytest.raises(ChainError) as info:
        find_anvil()
    assert str(missing) in str(info.value)
    assert info.value.exit_code == 3


def test_find_anvil_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ATTEST_ANVIL", str(fake))
    assert find_anvil() == fake


def test_find_anvil_nothing_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATTEST_ANVIL", raising=False)
    monkeypatch.setattr(node_mod, "_repo_root", lambda: tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ChainError, match=r"anvil not found: run `npm ci` at the repository root") as info:
        find_anvil()
    assert info.value.exit_code == 3


def test_find_anvil_prefers_native_npm_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    if not list((REPO_ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil*")):
        pytest.fail("npm anvil not installed (run `npm ci` at the repository root)")
    monkeypatch.delenv("ATTEST_ANVIL", raising=False)
    path = find_anvil()
    assert path.parent.parent.parent.name == "@foundry-rs"
    assert path.parent.parent.name.startswith("anvil-")  # not the Node wrapper in node_modules/.bin


def test_start_failure_reports_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\necho 'boom: this is not anvil' >&2\nexit 7\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ATTEST_ANVIL", str(fake))
    node = AnvilNode(tmp_path / "data")
    with pytest.raises(ChainError, match=r"exited with code 7.*boom: this is not anvil"):
        node.start()
    assert not node.is_running()
    assert read_node_info(tmp_path / "data") is None


def test_import_is_light() -> None:
    code = "import sys, attest.devtools.node; print(any(m.split('.')[0] == 'web3' for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------------
# With anvil
# --------------------------------------------------------------------------------------------------


@pytest.mark.anvil
def test_start_answers_chain_id_and_records_info(make_node: NodeFactory) -> None:
    node = make_node(chain_id=4242).start()
    assert node.is_running()
    assert node.rpc_url == f"http://127.0.0.1:{node.port}"
    w3 = _w3(node.rpc_url)
    assert w3.eth.chain_id == 4242

    info = read_node_info(node.data_dir)
    assert info is not None
    assert info["pid"] == node.pid and info["port"] == node.port and info["rpc_url"] == node.rpc_url
    assert info["flags"][:2] == ["--host", "127.0.0.1"]
    # anvil neither loads (no file yet) nor writes the state itself: the keeper saves it, checked
    assert not {"--state", "--state-interval", "--dump-state", "--load-state"} & set(info["flags"])
    keeper = info["keeper_pid"]
    assert isinstance(keeper, int) and Path(f"/proc/{keeper}").exists()
    assert is_node_running(node.data_dir)
    assert node.log_file.exists()

    node.stop()
    assert not node.is_running()
    assert read_node_info(node.data_dir) is None
    assert node.state_file.exists()
    assert not Path(f"/proc/{keeper}").exists()  # the keeper ends with the node
    assert node.notices == []
    node.start()  # a file now: anvil is given it to load
    flags = (read_node_info(node.data_dir) or {})["flags"]
    assert flags[flags.index("--load-state") + 1] == str(node.state_file)


@pytest.mark.anvil
def test_clean_stop_and_restart_keeps_blocks_balances_and_receipts(make_node: NodeFactory) -> None:
    node = make_node().start()
    w3 = _w3(node.rpc_url)
    key = dev_private_keys(1)[0]
    recipients = [_fresh_address() for _ in range(3)]
    receipts = [_send(w3, key, to, 10**15 * (i + 1)) for i, to in enumerate(recipients)]
    assert all(r["status"] == 1 for r in receipts)
    block = w3.eth.block_number
    balances = {a: w3.eth.get_balance(a) for a in [*recipients, DEV0_ADDRESS]}
    nonce = w3.eth.get_transaction_count(DEV0_ADDRESS)
    port = node.port

    node.restart()
    assert node.port == port  # the URL clients know stays valid
    w3 = _w3(node.rpc_url)
    assert w3.eth.block_number == block
    assert {a: w3.eth.get_balance(a) for a in balances} == balances
    assert w3.eth.get_transaction_count(DEV0_ADDRESS) == nonce
    again = w3.eth.get_transaction_receipt(receipts[-1]["transactionHash"])
    assert again["blockNumber"] == receipts[-1]["blockNumber"]
    # and the chain goes on from there
    assert _send(w3, key, recipients[0], 1)["blockNumber"] == block + 1


@pytest.mark.anvil
def test_sigkill_keeps_the_last_interval_dump(make_node: NodeFactory) -> None:
    node = make_node().start()
    w3 = _w3(node.rpc_url)
    key = dev_private_keys(1)[0]
    to = _fresh_address()
    for _ in range(3):
        _send(w3, key, to, 10**15)
    block = w3.eth.block_number
    time.sleep(2.5)  # > --state-interval 1 plus slack for the dump itself
    node.kill()
    assert not node.is_running()
    assert read_node_info(node.data_dir) is not None  # a crash leaves node.json behind…
    assert not is_node_running(node.data_dir)  # …which is recognised as stale

    node.start()
    w3 = _w3(node.rpc_url)
    assert w3.eth.block_number == block
    assert w3.eth.get_balance(to) == 3 * 10**15


@pytest.mark.anvil
def test_zero_fee_profile_mines_gasprice_0_from_unfunded_account(make_node: NodeFactory) -> None:
    from eth_account import Account

    node = make_node(zero_fees=True).start()
    w3 = _w3(node.rpc_url)
    assert w3.eth.gas_price == 0
    assert w3.eth.get_block("latest")["baseFeePerGas"] == 0
    fresh = Account.create()
    assert w3.eth.get_balance(fresh.address) == 0
    receipt = _send(w3, "0x" + bytes(fresh.key).hex(), SINK, 0, gas_price=0)
    assert receipt["status"] == 1 and receipt["type"] == 0 and receipt["effectiveGasPrice"] == 0
    # base fee stays 0 after blocks were mined, so a second one works too
    assert _send(w3, "0x" + bytes(fresh.key).hex(), SINK, 0, gas_price=0)["status"] == 1


@pytest.mark.anvil
def test_default_profile_rejects_gasprice_0(make_node: NodeFactory) -> None:
    """The contrast that proves the zero-fee flags are what makes the test above pass."""
    from eth_account import Account
    from web3.exceptions import Web3RPCError

    node = make_node().start()
    w3 = _w3(node.rpc_url)
    fresh = Account.create()
    with pytest.raises(Web3RPCError, match="less than block base fee"):
        _send(w3, "0x" + bytes(fresh.key).hex(), SINK, 0, gas_price=0)


@pytest.mark.anvil
def test_stopped_nodes_port_is_free_again(make_node: NodeFactory) -> None:
    node = make_node().start()
    port = node.port
    node.stop()
    # As any server binds (anvil/tokio included): SO_REUSEADDR, since the server side of the
    # just-closed HTTP connections sits in TIME_WAIT for a while.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
    # and a new node can take it
    again = make_node("again", port=port).start()
    assert _w3(again.rpc_url).eth.chain_id == 31337


@pytest.mark.anvil
def test_two_nodes_on_distinct_free_ports(make_node: NodeFactory) -> None:
    a = make_node("a", chain_id=111).start()
    b = make_node("b", chain_id=222).start()
    assert a.port != b.port
    assert _w3(a.rpc_url).eth.chain_id == 111
    assert _w3(b.rpc_url).eth.chain_id == 222


@pytest.mark.anvil
def test_explicit_port_in_use_is_an_error(make_node: NodeFactory) -> None:
    a = make_node("a").start()
    b = make_node("b", port=a.port)
    with pytest.raises(ChainError, match="already in use"):
        b.start()
    assert not b.is_running()
    assert _w3(a.rpc_url).eth.chain_id == 31337  # the first node is unharmed


@pytest.mark.anvil
def test_second_node_on_same_data_dir_is_refused(make_node: NodeFactory) -> None:
    make_node("same").start()
    with pytest.raises(ChainError, match="already running"):
        make_node("same").start()


@pytest.mark.anvil
def test_stop_by_info_from_another_process(make_node: NodeFactory) -> None:
    node = make_node().start()
    pid = node.pid
    code = "import sys; from pathlib import Path; from attest.devtools.node import stop_by_info; " \
        "print(stop_by_info(Path(sys.argv[1])))"  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code, str(node.data_dir)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    assert out.stdout.strip() == "True"
    assert node.wait_exit(timeout=5) == 0  # SIGTERM → clean exit (state dumped)
    assert read_node_info(node.data_dir) is None
    assert pid is not None
    assert stop_by_info(node.data_dir) is False


@pytest.mark.anvil
def test_stale_node_info_is_never_signalled(make_node: NodeFactory) -> None:
    node = make_node().start()
    node.kill()
    info_path = node.data_dir / "node.json"
    info = json.loads(info_path.read_text())
    info["pid"] = os.getpid()  # a recycled pid: alive, but not our anvil
    info_path.write_text(json.dumps(info))
    assert not is_node_running(node.data_dir)
    assert stop_by_info(node.data_dir) is False  # and this very process is still alive to assert it
    assert not info_path.exists()


@pytest.mark.anvil
def test_truncated_state_file_falls_back_to_backup(make_node: NodeFactory) -> None:
    node = make_node().start()
    w3 = _w3(node.rpc_url)
    _send(w3, dev_private_keys(1)[0], SINK, 1)
    block = w3.eth.block_number
    node.stop()
    data = node.state_file.read_bytes()
    node.state_file.write_bytes(data[: len(data) // 2])  # what a SIGKILL mid-dump leaves

    node.start()
    assert _w3(node.rpc_url).eth.block_number == block
    assert (node.data_dir / "anvil-state.json.torn").exists()
    (notice,) = node.notices
    assert notice.startswith("anvil-state.json was not loaded: not a complete anvil state dump")
    assert "loaded anvil-state.json.bak, the last consistent copy" in notice


@pytest.mark.anvil
def test_context_manager_and_block_time(make_node: NodeFactory) -> None:
    node = make_node(block_time=0.5, accounts=2)
    with node:
        w3 = _w3(node.rpc_url)
        first = w3.eth.block_number
        time.sleep(1.6)
        assert w3.eth.block_number > first  # interval mining without any transaction
        assert len(w3.eth.accounts) == 2
    assert not node.is_running()


@pytest.mark.anvil
def test_cli_node_fund_gives_ether_then_an_unfunded_deploy_works(
    make_node: NodeFactory, tmp_path: Path
) -> None:
    """`attest node fund` is the README's step between `account new` and `deploy` on a default node."""
    from eth_account import Account

    node = make_node().start()
    w3 = _w3(node.rpc_url)
    a, b = Account.create(), Account.create()
    env = {"ATTEST_RPC_URL": node.rpc_url}
    done = run_attest("node", "fund", a.address, b.address, "--ether", "3", env=env)
    assert done.returncode == 0, done.stderr
    assert w3.eth.get_balance(a.address) == w3.eth.get_balance(b.address) == 3 * 10**18
    assert done.stdout.count("funded 0x") == 2
    bad = run_attest("node", "fund", "0xnot-an-address", env=env)
    assert bad.returncode == 2 and "not an account address" in bad.stderr
    assert w3.eth.get_balance(a.address) == 3 * 10**18


@pytest.mark.anvil
def test_cli_deploy_from_an_unfunded_account_says_how_to_fund_it(
    make_node: NodeFactory, tmp_path: Path
) -> None:
    from attest.chain.keystore import create_keystore

    node = make_node().start()
    keystore = tmp_path / "committee.json"
    create_keystore(keystore, "pw")
    done = run_attest(
        "deploy",
        "--rpc-url",
        node.rpc_url,
        "--keystore",
        keystore,
        env={"ATTEST_PASSWORD": "pw"},
        cwd=tmp_path,
    )
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "insufficient funds" in done.stderr and "attest node fund" in done.stderr
    assert not (tmp_path / "deployments").exists()


# --------------------------------------------------------------------------------------------------
# Pace: how the node mines, and what it keeps
# --------------------------------------------------------------------------------------------------


def _send_burst(w3: Any, key: str, n: int) -> list[Any]:
    """Sign n transfers locally and send them in one JSON-RPC batch, as the pipelined sender does;
    return their receipts once all are mined."""
    from eth_account import Account

    acct = Account.from_key(key)
    nonce, chain_id, price = w3.eth.get_transaction_count(acct.address), w3.eth.chain_id, w3.eth.gas_price
    base = {"to": SINK, "value": 1, "gas": 21_000, "gasPrice": 2 * price, "chainId": chain_id}
    raws = [
        "0x" + acct.sign_transaction({**base, "nonce": nonce + i}).raw_transaction.hex() for i in range(n)
    ]
    answers = w3.provider.make_batch_request([("eth_sendRawTransaction", [r]) for r in raws])
    hashes = [a["result"] for a in answers]
    return [w3.eth.wait_for_transaction_receipt(h, timeout=30) for h in hashes]


@pytest.mark.anvil
def test_interval_node_mines_a_burst_in_a_few_blocks_and_persists_them(make_node: NodeFactory) -> None:
    """The `attest node start` profile: a burst of 300 transactions lands in a block or two (automine
    makes one block per transaction, each costing time in proportion to the chain's state); clean
    restart and SIGKILL after a dump keep every one of them."""
    from attest.devtools.node import CONSORTIUM_BLOCK_TIME_S

    node = make_node(block_time=CONSORTIUM_BLOCK_TIME_S).start()
    info = read_node_info(node.data_dir)
    assert info is not None and info["block_time"] == CONSORTIUM_BLOCK_TIME_S
    assert "--block-time" in info["flags"]
    w3 = _w3(node.rpc_url)
    receipts = _send_burst(w3, dev_private_keys(1)[0], 300)
    blocks = {r["blockNumber"] for r in receipts}
    assert all(r["status"] == 1 for r in receipts)
    assert len(blocks) <= 3, blocks

    node.restart()
    w3 = _w3(node.rpc_url)
    assert w3.eth.get_transaction_receipt(receipts[-1]["transactionHash"])["blockNumber"] == max(blocks)
    assert w3.eth.get_transaction_count(DEV0_ADDRESS) == 300

    head = w3.eth.block_number  # interval blocks keep coming; a dump takes them along
    time.sleep(node.state_interval + 1.5)
    node.kill()
    node.start()
    w3 = _w3(node.rpc_url)
    assert w3.eth.block_number >= head
    assert w3.eth.get_transaction_count(DEV0_ADDRESS) == 300


@pytest.mark.anvil
@pytest.mark.parametrize("recent_states", [node_mod.RECENT_STATES, None])
def test_block_states_stay_in_memory_and_few(
    make_node: NodeFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recent_states: int | None
) -> None:
    """anvil's default keeps a full copy of the state per block and, past 500 blocks, writes one JSON
    file per block under ~/.foundry/anvil/tmp (never removed): the node keeps a few, in memory only.
    The contrast (anvil's default history) proves the check can fail."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    node = make_node(recent_states=recent_states).start()
    w3 = _w3(node.rpc_url)
    w3.provider.make_request("anvil_mine", [hex(520)])
    assert w3.eth.block_number == 520
    spilled = [p for p in (home / ".foundry" / "anvil" / "tmp").rglob("*.json") if p.is_file()]
    if recent_states is None:
        assert spilled  # anvil's own default
    else:
        assert spilled == []
        flags = (read_node_info(node.data_dir) or {})["flags"]
        assert flags[flags.index("--prune-history") + 1] == str(node_mod.RECENT_STATES)
        # a call at a block a few back still works (the journal replays reverts at block - 1)
        assert w3.eth.get_balance(DEV0_ADDRESS, block_identifier=518) > 0


@pytest.mark.anvil
def test_cli_node_start_mines_interval_blocks_by_default_and_0_means_automine(tmp_path: Path) -> None:
    for args, expected in (([], 1.0), (["--block-time", "0"], None)):
        data = tmp_path / f"node{len(args)}"
        port = str(node_mod.free_port())
        started = run_attest("node", "start", "--data-dir", data, "--port", port, "--json", *args)
        try:
            assert started.returncode == 0, started.stderr
            assert json.loads(started.stdout)["block_time"] == expected
            info = read_node_info(data)
            assert info is not None and info["block_time"] == expected
            assert ("--block-time" in info["flags"]) is (expected is not None)
            assert info["state_interval"] == node_mod.CONSORTIUM_STATE_INTERVAL_S
        finally:
            run_attest("node", "stop", "--data-dir", data)
    bad = run_attest("node", "start", "--block-time", "-1")
    assert bad.returncode == 2 and "--block-time" in bad.stderr


def test_stop_and_start_wait_in_proportion_to_the_state_file(tmp_path: Path) -> None:
    """A SIGKILL during anvil's final dump truncates the state: the wait before it grows with the file."""
    state = tmp_path / "anvil-state.json"
    assert node_mod.state_io_seconds(state) == 0.0  # no chain yet
    with state.open("wb") as f:
        f.truncate(500 * 1024 * 1024)  # what 100,000 attestations take (sparse: no disk used)
    assert node_mod.state_io_seconds(state) == 500 * 1024 * 1024 / node_mod.STATE_BYTES_PER_S >= 45


# --------------------------------------------------------------------------------------------------
# A torn state file (anvil 1.7.1 can save a block's effects without the block: anvil_state.py)
# --------------------------------------------------------------------------------------------------


def _tear(state: Path) -> None:
    """The torn shape: the last block holding a transaction removed with its transactions, the
    accounts kept (so a sender's nonce counts a transaction the dump no longer holds)."""
    from attest.devtools.anvil_state import write_atomically

    dump = json.loads(state.read_text())
    number = lambda v: int(v, 16) if isinstance(v, str) and v.startswith("0x") else int(v)  # noqa: E731
    cut = max(number(t["block_number"]) for t in dump["transactions"])
    dump["blocks"] = [b for b in dump["blocks"] if number(b["header"]["number"]) < cut]
    dump["transactions"] = [t for t in dump["transactions"] if number(t["block_number"]) < cut]
    dump["best_block_number"] = cut - 1
    write_atomically(state, json.dumps(dump).encode())


@pytest.mark.anvil
def test_a_torn_state_file_is_set_aside_and_the_last_consistent_copy_loaded(make_node: NodeFactory) -> None:
    node = make_node().start()
    w3 = _w3(node.rpc_url)
    key = dev_private_keys(1)[0]
    _send(w3, key, SINK, 1)
    _send(w3, key, SINK, 1)
    kept = w3.eth.block_number
    node.stop()  # its last save is consistent, and kept as .bak too
    _tear(node.state_file)  # …then the state file is torn, as an interval save can be

    node.start()
    (notice,) = node.notices
    assert notice.startswith(
        f"anvil-state.json was not loaded: account {DEV0_ADDRESS.lower()} has nonce 2 but the dump holds 1 "
        "of its transactions"
    ), notice
    assert (
        "(set aside as anvil-state.json.torn); loaded anvil-state.json.bak, the last consistent copy"
        in notice
    )
    assert (node.data_dir / "anvil-state.json.torn").exists()
    w3 = _w3(node.rpc_url)
    assert w3.eth.block_number == kept  # one consistent chain: the nonce agrees with the blocks
    assert w3.eth.get_transaction_count(DEV0_ADDRESS) == 2
    assert notice in node.log_file.read_text()


@pytest.mark.anvil
def test_cli_node_start_refuses_a_torn_state_with_no_consistent_copy(make_node: NodeFactory) -> None:
    node = make_node().start()
    _send(_w3(node.rpc_url), dev_private_keys(1)[0], SINK, 1)
    node.stop()
    _tear(node.state_file)
    (node.data_dir / "anvil-state.json.bak").unlink()
    port = str(node_mod.free_port())
    started = run_attest("node", "start", "--data-dir", node.data_dir, "--port", port, timeout=60)
    assert started.returncode == 3, started.stderr
    (line,) = started.stderr.strip().splitlines()
    assert line.startswith("error: ") and "the saved chain is not consistent: account" in line
    assert "no consistent copy exists (anvil-state.json.bak: there is none)" in line
    assert "to recover, put a consistent anvil-state.json from a backup in" in line
    assert not is_node_running(node.data_dir)
    assert (node.data_dir / "anvil-state.json.torn").exists() and not node.state_file.exists()
