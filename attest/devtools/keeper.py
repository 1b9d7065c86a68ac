"""The local node's state keeper: every N seconds, a checked save of anvil's chain.

``python -m attest.devtools.keeper --rpc-url URL --state FILE --anvil-pid PID --interval N --log LOG``

Started by :meth:`attest.devtools.node.AnvilNode.start` beside anvil, in its own session, so it
outlives the command that started the node (``attest node start`` returns at once). Every
``--interval`` seconds it takes the chain (``anvil_dumpState``), checks it
(:func:`attest.devtools.anvil_state.check_state`) and only then renames it over ``--state``: a torn
save is logged and taken again shortly, never kept; a save cut short by a kill leaves only a
temporary file. It exits when anvil is gone, or on SIGTERM once a save under way has finished
(``AnvilNode.stop`` then takes the last save itself, with mining paused).

Imports nothing heavy (no web3): it starts with every node, tests included.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from pathlib import Path

from attest.devtools.anvil_state import TornState, latest_block_hash, save_state
from attest.devtools.node import pid_alive

#: After a torn save, how soon the keeper tries again (a block takes a moment to be stored).
RETRY_TORN_S = 0.3


def _log(path: Path, line: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- attest keeper {time.strftime('%H:%M:%S')}: {line}\n")
    except OSError:
        pass


def keep(
    rpc_url: str, state: Path, anvil_pid: int, interval: float, log: Path, stop: threading.Event
) -> None:
    """Save every ``interval`` seconds until anvil is gone or ``stop`` is set."""
    wait = interval
    saved: object = None  # the head the last good save holds: an idle node is not saved again
    while not stop.wait(wait):
        if not pid_alive(anvil_pid):
            return
        try:
            head = latest_block_hash(rpc_url)
            if head != saved:
                summary = save_state(rpc_url, state)
                saved = head if summary.best_block == _block_number(head) else None
            wait = interval
        except TornState as exc:
            _log(log, f"a save was torn and not kept ({exc}); taking it again")
            wait = RETRY_TORN_S
        except (OSError, ValueError, KeyError) as exc:
            if not pid_alive(anvil_pid):
                return
            _log(log, f"a save failed ({exc}); the last good save is kept")
            wait = interval


def _block_number(head: object) -> int | None:
    return head[0] if isinstance(head, tuple) and isinstance(head[0], int) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attest.devtools.keeper")
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--anvil-pid", required=True, type=int)
    parser.add_argument("--interval", required=True, type=float)
    parser.add_argument("--log", required=True, type=Path)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    keep(args.rpc_url, args.state, args.anvil_pid, args.interval, args.log, stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
