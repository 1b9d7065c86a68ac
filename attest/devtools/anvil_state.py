"""anvil's saved chain: taken from the node, checked for consistency, written atomically.

Why a check at all: anvil 1.7.1 can write a *torn* state dump. ``Backend::serialized_state`` reads
the blocks and transactions from block storage first and the accounts from the state database
afterwards, each under its own lock, while ``do_mine_block`` commits a block's state to the
database and only then stores the block, its transactions and receipts. A dump taken between the
two holds the block's *effects* (an account's nonce, the registry's storage) without the block, its
transactions or its logs. Restarted from it, the node reports attestations in storage that no
transaction or event stands behind. anvil offers no way to take a dump that cannot tear (its
``--state-interval`` saves and ``anvil_dumpState`` both run beside the miner; pausing the miner for
every save would stop block production for as long as a save takes, seconds on a large chain), so
every save is checked after it is taken and before it replaces the last good one, and every file is
checked again before a node loads it.

The check (:func:`check_state`), on anvil 1.7.1's layout (``block``, ``accounts``,
``best_block_number``, ``blocks``, ``transactions``, ``historical_states``):

- every account without code has a nonce equal to the number of transactions it sent among the
  dump's transactions (an account with code — a contract, or an EIP-7702 delegation — is skipped);
- every transaction's block is among the dump's blocks, and every block lists as many transactions
  as the dump holds for it;
- the best block number is the highest block the dump holds.

The file is walked element by element (``json.JSONDecoder.raw_decode``), so a 0.5 GB dump is never
held as Python objects all at once.

Saving (:func:`save_state`): ``anvil_dumpState`` (the same JSON, gzip-compressed, hex-encoded), the
check, then a write to a temporary file, fsync, and an atomic rename over the state file: a save
that is torn, or cut short by a kill, never replaces the last good one.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "StateSummary",
    "TornState",
    "check_state",
    "check_state_file",
    "dump_state",
    "latest_block_hash",
    "pause_mining",
    "save_state",
    "write_atomically",
]

#: How long a save may wait for the node to serialise its chain (0.5 GB at 100,000 attestations).
DUMP_TIMEOUT_S = 600.0

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class TornState(Exception):
    """A state dump that anvil could load but that is not one consistent chain (or no dump at all).

    ``str(exc)`` is one line saying what was found."""


@dataclass(frozen=True)
class StateSummary:
    """What a consistent dump holds."""

    best_block: int
    blocks: int
    transactions: int
    accounts: int


def _number(value: object) -> int:
    """anvil writes some numbers as JSON integers, others as 0x-hex or decimal strings."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith(("0x", "0X")) else int(value)
    raise ValueError(f"not a number: {value!r}")


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _expect(text: str, pos: int, char: str) -> int:
    pos = _skip(text, pos)
    if text[pos : pos + 1] != char:
        raise TornState(f"not an anvil state dump: expected {char!r} at byte {pos}")
    return pos + 1


def _elements(text: str, pos: int) -> tuple[list[object], int]:
    """The elements of the array starting at ``pos``, decoded one at a time, and the end position.
    Each element is handed back decoded; callers keep only what they need of it."""
    pos = _expect(text, pos, "[")
    out: list[object] = []
    pos = _skip(text, pos)
    if text[pos : pos + 1] == "]":
        return out, pos + 1
    while True:
        value, pos = _DECODER.raw_decode(text, _skip(text, pos))
        out.append(value)
        pos = _skip(text, pos)
        if text[pos : pos + 1] == "]":
            return out, pos + 1
        pos = _expect(text, pos, ",")


class _Walk:
    """What the check keeps of a dump while walking it."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[int, bool]] = {}  # address -> (nonce, has code)
        self.best: int | None = None
        self.block_txs: dict[int, int] = {}  # block number -> transactions it lists
        self.sent: Counter[str] = Counter()  # sender -> transactions in the dump
        self.tx_blocks: Counter[int] = Counter()  # block number -> transactions the dump holds
        self.transactions = 0

    def accounts_from(self, value: object) -> None:
        if not isinstance(value, dict):
            raise TornState("not an anvil state dump: 'accounts' is not an object")
        for address, account in value.items():
            if not isinstance(account, dict):
                raise TornState(f"not an anvil state dump: account {address} is not an object")
            code = str(account.get("code") or "0x")
            self.accounts[address.lower()] = (_number(account.get("nonce", 0)), code not in ("0x", ""))

    def block(self, value: object) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("header"), dict):
            raise TornState("not an anvil state dump: a block without a header")
        number = _number(value["header"]["number"])
        txs = value.get("transactions") or []
        self.block_txs[number] = len(txs) if isinstance(txs, list) else 0

    def transaction(self, value: object) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("info"), dict):
            raise TornState("not an anvil state dump: a transaction without its info")
        self.sent[str(value["info"]["from"]).lower()] += 1
        self.tx_blocks[_number(value["block_number"])] += 1
        self.transactions += 1

    def verdict(self) -> StateSummary:
        if self.best is None:
            raise TornState("not an anvil state dump: no best_block_number")
        if not self.block_txs:
            raise TornState("not an anvil state dump: no blocks")
        last = max(self.block_txs)
        if self.best != last:
            raise TornState(f"its best block is {self.best}, but its blocks end at {last}")
        for number, count in sorted(self.tx_blocks.items()):
            if number not in self.block_txs:
                raise TornState(
                    f"it holds {count} transaction(s) of block {number}, but not block {number} itself"
                )
        for number, listed in sorted(self.block_txs.items()):
            if listed != self.tx_blocks.get(number, 0):
                raise TornState(
                    f"block {number} lists {listed} transaction(s), the dump holds "
                    f"{self.tx_blocks.get(number, 0)} of them"
                )
        wrong = [
            (address, nonce, self.sent.get(address, 0))
            for address, (nonce, has_code) in sorted(self.accounts.items())
            if not has_code and nonce != self.sent.get(address, 0)
        ]
        if wrong:
            address, nonce, held = wrong[0]
            more = f" (and {len(wrong) - 1} other account(s))" if len(wrong) > 1 else ""
            raise TornState(
                f"account {address} has nonce {nonce} but the dump holds {held} of its transactions{more}: "
                f"the state is ahead of the blocks (a save taken while a block was being stored)"
            )
        return StateSummary(self.best, len(self.block_txs), self.transactions, len(self.accounts))


def check_state(text: str) -> StateSummary:
    """Check one anvil state dump (its JSON text); raise :class:`TornState` saying what is wrong."""
    walk = _Walk()
    try:
        pos = _expect(text, 0, "{")
        pos = _skip(text, pos)
        if text[pos : pos + 1] == "}":
            raise TornState("not an anvil state dump: an empty object")
        while True:
            key, pos = _DECODER.raw_decode(text, _skip(text, pos))
            pos = _expect(text, pos, ":")
            if key in ("blocks", "transactions"):
                items, pos = _elements(text, pos)
                for item in items:
                    (walk.block if key == "blocks" else walk.transaction)(item)
                items.clear()
            else:
                value, pos = _DECODER.raw_decode(text, _skip(text, pos))
                if key == "accounts":
                    walk.accounts_from(value)
                elif key == "best_block_number":
                    walk.best = _number(value)
            pos = _skip(text, pos)
            if text[pos : pos + 1] == "}":
                break
            pos = _expect(text, pos, ",")
    except ValueError as exc:  # JSONDecodeError is a ValueError: a dump cut short, or not JSON
        raise TornState(f"not a complete anvil state dump ({exc})") from None
    except (KeyError, TypeError) as exc:
        raise TornState(f"not an anvil state dump: {exc!r} missing or malformed") from None
    return walk.verdict()


def check_state_file(path: Path) -> StateSummary:
    """:func:`check_state` of a file; a file that cannot be read or decoded is :class:`TornState`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TornState(f"cannot read it: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TornState("not an anvil state dump: not UTF-8") from None
    del data
    return check_state(text)


def _rpc(url: str, method: str, params: list[object], timeout: float) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if not isinstance(reply, dict) or "error" in reply:
        raise OSError(f"{method}: {reply.get('error') if isinstance(reply, dict) else reply}")
    return reply.get("result")


def dump_state(url: str, *, timeout: float = DUMP_TIMEOUT_S) -> str:
    """The node's whole chain as anvil's state JSON (``anvil_dumpState``, un-hexed and gunzipped).

    Raises:
        OSError: the node did not answer, or answered something else.
    """
    result = _rpc(url, "anvil_dumpState", [], timeout)
    if not isinstance(result, str):
        raise OSError(f"anvil_dumpState answered {type(result).__name__}, not bytes")
    try:
        return gzip.decompress(bytes.fromhex(result.removeprefix("0x"))).decode("utf-8")
    except (ValueError, OSError, EOFError) as exc:
        raise OSError(f"anvil_dumpState answered bytes that are not a gzip'd dump: {exc}") from None


def latest_block_hash(url: str) -> tuple[int, str]:
    """The node's head: (number, hash) of its latest block."""
    block = _rpc(url, "eth_getBlockByNumber", ["latest", False], 10.0)
    if not isinstance(block, dict):
        raise OSError(f"eth_getBlockByNumber answered {block!r}")
    return int(str(block["number"]), 16), str(block["hash"])


def pause_mining(url: str) -> None:
    """Stop the node mining (interval and automine), so that a last save cannot tear; best effort."""
    calls: list[tuple[str, list[object]]] = [("evm_setIntervalMining", [0]), ("evm_setAutomine", [False])]
    for method, params in calls:
        with contextlib.suppress(OSError, ValueError):
            _rpc(url, method, params, 5.0)


def save_state(url: str, path: Path, *, timeout: float = DUMP_TIMEOUT_S) -> StateSummary:
    """Take the node's state, check it, and only then put it in place of ``path`` (atomically).

    Raises:
        TornState: the dump was torn (``path`` is left as it was: the last good save).
        OSError: the node did not answer, or the file could not be written.
    """
    text = dump_state(url, timeout=timeout)
    summary = check_state(text)
    write_atomically(path, text.encode("utf-8"))
    return summary


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, rename over ``path``, fsync the
    directory: a reader (or a crash) sees the old file or the new one, never part of one."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
