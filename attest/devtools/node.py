"""The local persistent node: anvil (Foundry, installed from npm) managed from Python.

Why a local node at all: the embedded eth-tester chain lives and dies with one Python process, but
scripts that publish figures over days, and the fault tests (crash, restart, resume), need a chain
that outlives the process that writes to it. anvil is a single static binary shipped through npm
(``npm ci`` at the repository root), so no Rust toolchain and no download at run time.

Persistence: anvil loads its chain from ``data_dir/anvil-state.json`` on start (``--load-state``),
and a keeper process beside it (:mod:`attest.devtools.keeper`) saves the chain every ``state_interval``
seconds (1 by default, :data:`CONSORTIUM_STATE_INTERVAL_S` for ``attest node start``); :meth:`stop`
pauses mining and takes the last save itself. anvil 1.7.1 can write a *torn* dump — a block's
effects without the block (see :mod:`attest.devtools.anvil_state`) — and its own ``--state-interval``
saves rewrite the file in place, so a kill mid-save truncates it: neither is used. Every save is
checked before it is renamed over the state file, so the file is always the last consistent save;
a crash (SIGKILL, power loss) loses at most the last N seconds of blocks, which the publishing
journal re-sends. ``start()`` checks the file again before anvil loads it (it may come from an older
version, or from elsewhere): one that fails is set aside (``.torn``) and the last consistent copy
(``anvil-state.json.bak``, kept at each start and stop) loaded instead, with a one-line notice
(:attr:`AnvilNode.notices`); with no consistent copy the node refuses to start. Each save writes
the whole chain, so stop and start wait in proportion to its size: a SIGKILL after a fixed 10 s
cut the final dump of a 100,000-attestation chain (~0.5 GB, ~17 s to write on a busy machine) short.

Pace: see :class:`AnvilNode` (``block_time``) and :data:`CONSORTIUM_BLOCK_TIME_S`.

A separate process (``attest node stop``) finds a running node through ``data_dir/node.json``
(pid, port, flags) – see :func:`read_node_info` and :func:`stop_by_info`.

The module deliberately imports nothing heavy at module level (no web3): the CLI imports it on
every start and must stay fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from attest.core.errors import ChainError

__all__ = [
    "DEV_MNEMONIC",
    "LOOPBACK",
    "AnvilNode",
    "dev_private_keys",
    "find_anvil",
    "is_node_running",
    "read_node_info",
    "stop_by_info",
]

#: The only address a local node ever binds: it is a development/test chain with public keys.
LOOPBACK = "127.0.0.1"

#: anvil's (and Hardhat's) well-known development mnemonic. The keys derived from it are PUBLIC –
#: printed in every anvil banner and in countless tutorials – and must only ever hold value on a
#: throw-away local chain.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

STATE_FILE_NAME = "anvil-state.json"
STATE_BACKUP_NAME = "anvil-state.json.bak"
STATE_TORN_NAME = "anvil-state.json.torn"
LOG_FILE_NAME = "anvil.log"
INFO_FILE_NAME = "node.json"

#: How long ``start()`` waits for ``eth_chainId`` to answer before giving up, plus the time to read
#: the state file at :data:`STATE_BYTES_PER_S` (a chain of 100,000 attestations is ~0.5 GB of JSON).
START_TIMEOUT_S = 15.0
#: How long ``stop()`` waits after SIGTERM (anvil dumps its state on the way out) before SIGKILL, plus
#: the time to write the state file at :data:`STATE_BYTES_PER_S`: a SIGKILL mid-dump truncates it.
STOP_TIMEOUT_S = 10.0
#: A pessimistic speed at which anvil reads or writes its JSON state (measured ~35 MB/s on a busy
#: 2-core machine), to scale the two timeouts above with the size of the chain.
STATE_BYTES_PER_S = 10 * 1024 * 1024
#: The block time `attest node start` uses unless told otherwise: interval mining, one block a second,
#: like the QBFT consortium chains the tool targets (a block every 1–2 s). Blocks cost anvil time in
#: proportion to the chain's whole state (it recomputes the state root from every storage slot and
#: snapshots the state for each block), so one block per transaction (automine) slows down as the
#: chain grows; a block a second carries hundreds of transactions and keeps the pace.
CONSORTIUM_BLOCK_TIME_S = 1.0
#: Per-block state snapshots anvil keeps (in memory only) for calls at recent past blocks. Without
#: ``--prune-history`` anvil keeps 500 in memory (1,500 with a block time ≤ 2 s), each a full copy
#: of the state, then writes one full-state JSON file per block under ~/.foundry/anvil/tmp (up to
#: 3,600 of them, left behind on exit): gigabytes for a chain of a few thousand attestations.
RECENT_STATES = 8
#: Seconds between anvil's state dumps (``--state-interval``): what a crash (SIGKILL, power loss) may
#: lose, which the publishing journal re-sends on the next run. AnvilNode's default (tests, scripts).
STATE_INTERVAL_S = 1
#: The dump interval `attest node start` uses. Each dump rewrites the WHOLE chain as JSON (~5 KB per
#: attestation, most of it the call traces anvil keeps per transaction: ~0.5 GB at 100,000), takes
#: seconds, and copies the chain out under the locks mining needs; anvil dumps even when nothing
#: changed. Every second, a chain of 30,000 attestations kept an idle node 20–40 % busy, and one of
#: 100,000 is dumped without pause.
CONSORTIUM_STATE_INTERVAL_S = 30
#: A log larger than this is rotated to ``anvil.log.1`` on start: anvil logs every RPC method name
#: and a node that publishes for days would otherwise grow its log without bound.
LOG_ROTATE_BYTES = 10 * 1024 * 1024
#: Attempts to find a free port when port 0 is asked for (the probe-then-bind gap is racy).
PORT_ATTEMPTS = 5

_ANVIL_NOT_FOUND = "anvil not found: run `npm ci` at the repository root"


# --------------------------------------------------------------------------------------------------
# Locating the binary
# --------------------------------------------------------------------------------------------------


def _repo_root() -> Path:
    """The directory holding ``node_modules``: the parent of the ``attest`` package directory."""
    return Path(__file__).resolve().parents[2]


def _npm_platform_dir() -> str:
    """The suffix of the npm platform package for this machine (``linux-amd64``, ``darwin-arm64``…).

    Mirrors the names in ``@foundry-rs/anvil``'s ``optionalDependencies``; an unknown platform
    returns a name that simply does not exist, and the glob fallback takes over.
    """
    system = platform.system().lower()
    os_name = {"linux": "linux", "darwin": "darwin", "windows": "win32"}.get(system, system)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{os_name}-{arch}"


def _exe_name() -> str:
    return "anvil.exe" if sys.platform == "win32" else "anvil"


def find_anvil() -> Path:
    """Return the path of the anvil executable; never downloads anything.

    Order: ``$ATTEST_ANVIL`` (an explicit choice, so a wrong value is an error rather than being
    silently ignored); the native binary of the npm platform package under the repository root
    (not ``node_modules/.bin/anvil``, which is a Node wrapper that would add a Node process between
    us and anvil and swallow our signals); any other ``@foundry-rs/anvil-*`` package; ``PATH``.

    Raises:
        ChainError: nothing found (exit 3), or ``$ATTEST_ANVIL`` names no executable file.
    """
    override = os.environ.get("ATTEST_ANVIL")
    if override:
        path = Path(override).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChainError(f"ATTEST_ANVIL={override}: no executable anvil at that path")

    scope = _repo_root() / "node_modules" / "@foundry-rs"
    native = scope / f"anvil-{_npm_platform_dir()}" / "bin" / _exe_name()
    if native.is_file() and os.access(native, os.X_OK):
        return native
    for candidate in sorted(scope.glob(f"anvil-*/bin/{_exe_name()}")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate

    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ChainError(_ANVIL_NOT_FOUND)


# --------------------------------------------------------------------------------------------------
# Dev accounts
# --------------------------------------------------------------------------------------------------


def dev_private_keys(n: int = 10) -> list[str]:
    """The first ``n`` private keys (0x-hex) of anvil's funded dev accounts.

    These keys are PUBLIC (derived from :data:`DEV_MNEMONIC`, printed by every anvil) and exist
    only so that tests and the local demo can sign transactions on a throw-away 127.0.0.1 chain.
    Never use them, or anything derived from them, on a real or shared chain.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    from eth_account import Account  # lazy: keeps `import attest.devtools.node` fast

    Account.enable_unaudited_hdwallet_features()
    keys: list[str] = []
    for i in range(n):
        acct = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        keys.append("0x" + bytes(acct.key).hex())
    return keys


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (the caller must cope with losing the race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def _port_free(port: int) -> bool:
    """Whether a server could bind 127.0.0.1:``port`` now.

    Uses SO_REUSEADDR like anvil (tokio) does: without it, the TIME_WAIT connections a just-stopped
    node leaves behind would make its port look busy for a minute although anvil can reuse it.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if sys.platform != "win32":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _rpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    """``eth_chainId`` over plain urllib (no web3 import); None when nothing sensible answers."""
    import urllib.request  # lazy: ~20 ms the CLI should not pay unless it talks to a node

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            reply = json.loads(resp.read())
        return int(reply["result"], 16)
    except (OSError, ValueError, KeyError, TypeError):  # URLError is an OSError
        return None


def state_problem(path: Path) -> str | None:
    """Why anvil must not load ``path`` (one line: cut short, not a dump, or torn), or None when it
    is one consistent chain (:func:`attest.devtools.anvil_state.check_state_file`)."""
    from attest.devtools.anvil_state import TornState, check_state_file

    try:
        check_state_file(path)
    except TornState as exc:
        return str(exc)
    return None


def state_io_seconds(path: Path) -> float:
    """Extra seconds to allow anvil for reading or writing ``path`` (see STATE_BYTES_PER_S)."""
    try:
        return path.stat().st_size / STATE_BYTES_PER_S
    except OSError:
        return 0.0


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _keep_copy(src: Path, dst: Path) -> None:
    """``dst`` becomes a copy of ``src``, atomically (a copy, not a hard link: a file rewritten in
    place by anything else must not take its backup with it)."""
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _tail(path: Path, start: int = 0, lines: int = 8) -> str:
    """The last ``lines`` lines of ``path`` written after byte offset ``start``, joined by `` | ``.

    Joined on one line because every error message of the tool is one line (see errors.py).
    """
    try:
        with path.open("rb") as f:
            f.seek(start)
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace").strip()
    return " | ".join(ln.strip() for ln in text.splitlines()[-lines:] if ln.strip())


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (the keeper asks it of anvil too)."""
    if pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        # If it happens to be our own child that already exited, reap it so it stops "existing".
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by a parent that is not us) still answers kill(pid, 0).
    # Without this check `attest node stop` would wait out its whole timeout whenever the process
    # that started the node is still alive (e.g. a test session).
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    return True


def _pid_command_line(pid: int) -> list[str] | None:
    """The argv of ``pid`` (Linux /proc, else ``ps``); None when it cannot be determined."""
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.exists():
        try:
            raw = proc.read_bytes()
        except OSError:
            return None
        return [a.decode("utf-8", errors="replace") for a in raw.split(b"\0") if a]
    try:
        out = subprocess.run(
            ["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.split() if out.returncode == 0 and out.stdout.strip() else None


def _is_our_anvil(pid: int, state_file: Path) -> bool:
    """Guard against pid reuse: ``pid`` must be an anvil started for *this* state file's directory
    (its working directory: anvil is started there, and is given the file only when one exists).

    Without this, a stale node.json (the machine rebooted, the pid was recycled) could make
    ``attest node stop`` signal an unrelated process.
    """
    if not pid_alive(pid):
        return False
    argv = _pid_command_line(pid)
    if argv is None:
        return True  # cannot inspect (exotic OS): the pid is alive, trust node.json
    if not argv:
        return False  # zombie / kernel thread
    if not any(Path(a).name in ("anvil", "anvil.exe") for a in argv):
        return False
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) == state_file.parent
    except OSError:
        return str(state_file) in argv or not Path("/proc").is_dir()


def _is_our_keeper(pid: int, state_file: Path) -> bool:
    """Whether ``pid`` is the state keeper of this state file (see :mod:`attest.devtools.keeper`)."""
    if not pid_alive(pid):
        return False
    argv = _pid_command_line(pid)
    if argv is None:
        return True
    return "attest.devtools.keeper" in argv and str(state_file) in argv


def _last_save(keeper_pid: int | None, rpc_url: str, state_file: Path, timeout: float) -> None:
    """Before anvil is stopped: the keeper told to finish (a save under way completes), mining paused,
    and one last checked save taken. A node that does not answer, or keeps tearing its dump, leaves
    the last good save in place (said in the log)."""
    from attest.devtools.anvil_state import TornState, pause_mining, save_state

    if keeper_pid is not None and _is_our_keeper(keeper_pid, state_file):
        with contextlib.suppress(ProcessLookupError):
            os.kill(keeper_pid, signal.SIGTERM)
        if not _wait_pid_gone(keeper_pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(keeper_pid, signal.SIGKILL)
            _wait_pid_gone(keeper_pid, 5.0)
    pause_mining(rpc_url)
    problem = "no answer"
    for _ in range(3):
        try:
            save_state(rpc_url, state_file, timeout=timeout)
            return
        except TornState as exc:
            problem = str(exc)
            time.sleep(0.2)
        except OSError as exc:
            problem = str(exc)
            break
    with contextlib.suppress(OSError), state_file.with_name(LOG_FILE_NAME).open("a", encoding="utf-8") as log:
        log.write(f"--- attest: the last save on stop failed ({problem}); the previous save is kept\n")


def _kill_keeper(keeper_pid: int | None, state_file: Path) -> None:
    if keeper_pid is not None and _is_our_keeper(keeper_pid, state_file):
        with contextlib.suppress(ProcessLookupError):
            os.kill(keeper_pid, signal.SIGKILL)


def _wait_pid_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)


# --------------------------------------------------------------------------------------------------
# node.json: how another process finds a running node
# --------------------------------------------------------------------------------------------------


def read_node_info(data_dir: Path) -> dict[str, Any] | None:
    """The contents of ``data_dir/node.json`` (pid, port, rpc_url, flags …) or None.

    Returns the record as written, even if the process has since died: use
    :func:`is_node_running` to know whether it is live. An unreadable file counts as absent.
    """
    path = Path(data_dir) / INFO_FILE_NAME
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def is_node_running(data_dir: Path) -> bool:
    """Whether the node recorded in ``data_dir/node.json`` is alive (and really is that anvil)."""
    info = read_node_info(data_dir)
    if info is None or not isinstance(info.get("pid"), int):
        return False
    return _is_our_anvil(info["pid"], Path(str(info.get("state_file", Path(data_dir) / STATE_FILE_NAME))))


def stop_by_info(data_dir: Path, *, timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop the node recorded in ``data_dir/node.json`` from any process.

    SIGTERM first so anvil dumps its state, SIGKILL after ``timeout`` seconds (plus the time a state
    file of that size takes to write: see STATE_BYTES_PER_S). A stale record
    (process gone, or the pid now belongs to something else) is removed and never signalled.

    Returns:
        True if a running node was stopped, False if there was none.
    """
    data_dir = Path(data_dir)
    info = read_node_info(data_dir)
    info_path = data_dir / INFO_FILE_NAME
    if info is None or not isinstance(info.get("pid"), int):
        return False
    pid: int = info["pid"]
    state_file = Path(str(info.get("state_file", data_dir / STATE_FILE_NAME)))
    keeper = info.get("keeper_pid") if isinstance(info.get("keeper_pid"), int) else None
    if not _is_our_anvil(pid, state_file):
        _kill_keeper(keeper, state_file)
        info_path.unlink(missing_ok=True)
        return False
    _last_save(keeper, str(info.get("rpc_url")), state_file, timeout + state_io_seconds(state_file))
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_pid_gone(pid, timeout + state_io_seconds(state_file)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_pid_gone(pid, 5.0)
    info_path.unlink(missing_ok=True)
    _refresh_backup(state_file)
    return True


def _refresh_backup(state_file: Path) -> None:
    """Keep ``anvil-state.json.bak`` = the newest consistent save (every save is checked before it is
    renamed into place, so the state file is one; it is checked again should it come from elsewhere)."""
    if state_file.exists() and state_problem(state_file) is None:
        _keep_copy(state_file, state_file.with_name(STATE_BACKUP_NAME))


# --------------------------------------------------------------------------------------------------
# The node
# --------------------------------------------------------------------------------------------------


class AnvilNode:
    """One anvil process on 127.0.0.1 whose chain persists in ``data_dir``.

    ``zero_fees=True`` mimics the free-gas consortium chains the tool targets (Hyperledger Besu
    with ``zeroBaseFee``/``min-gas-price 0``, FISCO BCOS): base fee 0 and a suggested gas price of 0,
    so legacy transactions with ``gasPrice 0`` from accounts holding no ether are mined.

    ``block_time`` (seconds) mines a block at that interval with every transaction waiting, as a
    consortium chain does: the pace holds as the chain grows (``attest node start`` uses
    :data:`CONSORTIUM_BLOCK_TIME_S`). ``None`` mines one block per transaction the moment it arrives
    (anvil's automine): each lone transaction is mined in milliseconds, which the test suite and
    one-off scripts want, but every block costs time in proportion to the chain's state, so bulk
    publishing slows down as the chain grows (~1,500/s fresh, ~80/s after 16,000 attestations).

    ``state_interval`` (seconds between state dumps: what a crash may lose) and ``recent_states``
    (None: anvil's own state history, the old behaviour, for baselines) are explained at
    :data:`STATE_INTERVAL_S` and :data:`RECENT_STATES`.

    The process is started in its own session so that Ctrl-C in the terminal of the command that
    started it does not kill the chain; use :meth:`stop` (or ``attest node stop``).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 0,
        chain_id: int = 31337,
        zero_fees: bool = False,
        block_time: float | None = None,
        accounts: int = 10,
        state_interval: int = STATE_INTERVAL_S,
        recent_states: int | None = RECENT_STATES,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port out of range: {port}")
        if chain_id <= 0:
            raise ValueError(f"chain_id must be positive: {chain_id}")
        if block_time is not None and block_time <= 0:
            raise ValueError(f"block_time must be positive: {block_time}")
        if accounts < 0:
            raise ValueError(f"accounts must be >= 0: {accounts}")
        if state_interval < 1:
            raise ValueError(f"state_interval must be >= 1 s: {state_interval}")
        if recent_states is not None and recent_states < 1:
            raise ValueError(f"recent_states must be >= 1: {recent_states}")
        self.data_dir = Path(data_dir).resolve()
        self.requested_port = port
        self.chain_id = chain_id
        self.zero_fees = zero_fees
        self.block_time = block_time
        self.accounts = accounts
        self.state_interval = state_interval
        self.recent_states = recent_states
        self._port: int | None = port or None
        self._proc: subprocess.Popen[bytes] | None = None
        self._keeper: subprocess.Popen[bytes] | None = None
        #: One line per thing ``start()`` did that its caller should tell the user (a torn or
        #: truncated state file set aside, and which copy was loaded instead).
        self.notices: list[str] = []

    # -- properties ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1; with port=0 it is only known once start() picked one."""
        if self._port is None:
            raise ChainError("the node has not been started yet: no port chosen")
        return self._port

    @property
    def rpc_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE_NAME

    @property
    def info_file(self) -> Path:
        return self.data_dir / INFO_FILE_NAME

    def is_running(self) -> bool:
        """Whether the process this object started is alive (see is_node_running for others)."""
        return self._proc is not None and self._proc.poll() is None

    def wait_exit(self, timeout: float) -> int | None:
        """Wait for the process this object started to end (stopped by another process, say);
        its exit code, or None if it never started."""
        return self._proc.wait(timeout=timeout) if self._proc is not None else None

    # -- command line -------------------------------------------------------------------------------

    def _flags(self, port: int) -> list[str]:
        """anvil 1.7.1 flags (each checked against ``anvil --help`` and by running it)."""
        flags = [
            "--host", LOOPBACK,
            "--port", str(port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
            "--color", "never",
        ]  # fmt: skip
        if self.state_file.exists():  # checked by _prepare_state_file; saved by the keeper, not anvil
            flags += ["--load-state", str(self.state_file)]
        if self.recent_states is not None:
            flags += ["--prune-history", str(self.recent_states)]
        if self.zero_fees:
            # base fee 0: EIP-1559 keeps it at 0 forever, so gasPrice-0 legacy txs are valid.
            # --gas-price 0 alone does NOT change eth_gasPrice (still 1 gwei); together with
            # --disable-min-priority-fee eth_gasPrice answers 0, as Besu/FISCO do.
            flags += ["--block-base-fee-per-gas", "0", "--gas-price", "0", "--disable-min-priority-fee"]
        if self.block_time is not None:
            flags += ["--block-time", f"{self.block_time:g}"]
        return flags

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> AnvilNode:
        """Launch anvil and wait (≤ 15 s) until ``eth_chainId`` answers with our chain id.

        Raises:
            ChainError: another node already runs on this data_dir, anvil is missing, the state
                file is corrupt with no good backup, or the node did not come up (the message
                carries the last lines of its log).
        """
        if self.is_running():
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if is_node_running(self.data_dir):
            other = read_node_info(self.data_dir) or {}
            raise ChainError(
                f"a node is already running for {self.data_dir} "
                f"(pid {other.get('pid')}, {other.get('rpc_url')})"
            )
        anvil = find_anvil()
        if self.requested_port and not _port_free(self.requested_port):
            raise ChainError(f"cannot start anvil: {LOOPBACK}:{self.requested_port} is already in use")
        self._prepare_state_file()
        self._rotate_log()

        last_error = ChainError(f"could not find a free port on {LOOPBACK} for anvil")
        for attempt in range(PORT_ATTEMPTS if self.requested_port == 0 else 1):
            if self.requested_port:
                port = self.requested_port
            elif attempt == 0 and self._port is not None and _port_free(self._port):
                port = self._port  # restart: keep the URL clients already know, if we can
            else:
                port = free_port()
            try:
                self._launch(anvil, port)
                return self
            except _PortInUse as exc:
                last_error = ChainError(str(exc))
                continue
        raise last_error

    def _launch(self, anvil: Path, port: int) -> None:
        flags = self._flags(port)
        with self.log_file.open("ab") as log:
            log_start = log.tell()
            log.write(f"--- attest: starting {anvil} {' '.join(flags)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                [str(anvil), *flags],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self._proc = proc
        self._port = port
        url = self.rpc_url
        listening = f"Listening on {LOOPBACK}:{port}"
        patience = START_TIMEOUT_S + state_io_seconds(self.state_file)
        deadline = time.monotonic() + patience
        first_answer: float | None = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = _tail(self.log_file, log_start)
                self._proc = None
                if "Address already in use" in tail:
                    raise _PortInUse(f"anvil could not bind {LOOPBACK}:{port}: {tail.split(' | ')[-1]}")
                raise ChainError(
                    f"anvil exited with code {proc.returncode} on start; log {self.log_file}: {tail}"
                )
            got = _rpc_chain_id(url, timeout=0.5)
            if got is not None:
                # An answer alone does not prove it is *our* process answering: another server that
                # grabbed the port in the meantime would too, and our anvil would then die with
                # "Address already in use". So also require anvil's own "Listening on" log line
                # (or, should a future anvil word it differently, our process still alive 2 s on).
                first_answer = first_answer if first_answer is not None else time.monotonic()
                ours = listening in _tail(self.log_file, log_start, lines=1000)
                if ours or time.monotonic() - first_answer > 2.0:
                    if got != self.chain_id:
                        self._terminate(proc, kill_only=True)
                        self._proc = None
                        raise ChainError(
                            f"the node on {url} reports chain id {got}, expected {self.chain_id}"
                        )
                    self._start_keeper()
                    self._write_info(anvil, flags)
                    return
            time.sleep(0.05)
        self._terminate(proc, kill_only=True)
        self._proc = None
        tail = _tail(self.log_file, log_start)
        raise ChainError(
            f"anvil did not answer eth_chainId on {url} within {patience:.0f} s; log {self.log_file}: {tail}"
        )

    def _start_keeper(self) -> None:
        """The process that saves the chain every ``state_interval`` s (see :mod:`attest.devtools.keeper`)."""
        assert self._proc is not None
        with self.log_file.open("ab") as log:
            command = [
                sys.executable, "-m", "attest.devtools.keeper",
                "--rpc-url", self.rpc_url,
                "--state", str(self.state_file),
                "--anvil-pid", str(self._proc.pid),
                "--interval", str(self.state_interval),
                "--log", str(self.log_file),
            ]  # fmt: skip
            self._keeper = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )

    def _write_info(self, anvil: Path, flags: list[str]) -> None:
        assert self._proc is not None
        info = {
            "pid": self._proc.pid,
            "keeper_pid": self._keeper.pid if self._keeper is not None else None,
            "port": self.port,
            "rpc_url": self.rpc_url,
            "chain_id": self.chain_id,
            "zero_fees": self.zero_fees,
            "block_time": self.block_time,
            "state_interval": self.state_interval,
            "accounts": self.accounts,
            "anvil": str(anvil),
            "flags": flags,
            "state_file": str(self.state_file),
            "log_file": str(self.log_file),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _atomic_write_text(self.info_file, json.dumps(info, indent=2) + "\n")

    def _prepare_state_file(self) -> None:
        """Make sure anvil loads one consistent chain (see the module docstring).

        A consistent file is kept as ``.bak`` too. One that is not — cut short, or torn (a block's
        effects without the block: :mod:`attest.devtools.anvil_state`) — is set aside as ``.torn``
        and replaced by ``.bak`` if that is consistent, losing the blocks since it was kept, which
        beats a node whose storage holds attestations no transaction stands behind; a one-line
        notice says so (:attr:`notices`, and the log). No consistent copy → ChainError (exit 3).
        """
        state, backup = self.state_file, self.data_dir / STATE_BACKUP_NAME
        self.notices = []  # this start's
        if not state.exists():
            return
        problem = state_problem(state)
        if problem is None:
            _keep_copy(state, backup)
            return
        torn = self.data_dir / STATE_TORN_NAME
        os.replace(state, torn)
        backup_problem = state_problem(backup) if backup.exists() else "there is none"
        if backup_problem is None:
            _keep_copy(backup, state)
            notice = (
                f"{state.name} was not loaded: {problem} (set aside as {torn.name}); "
                f"loaded {backup.name}, the last consistent copy, instead: blocks after it are lost, "
                "and a publishing journal re-sends what they held"
            )
            self.notices.append(notice)
            with self.log_file.open("a", encoding="utf-8") as log:
                log.write(f"--- attest: {notice}\n")
            return
        raise ChainError(
            f"the saved chain is not consistent: {problem} (set aside as {torn}), and no consistent "
            f"copy exists ({backup.name}: {backup_problem}); to recover, put a consistent "
            f"{state.name} from a backup in {self.data_dir}, or remove that directory to start an "
            "empty chain (its attestations are then lost)",
            path=state,
        )

    def _rotate_log(self) -> None:
        with contextlib.suppress(OSError):
            if self.log_file.stat().st_size > LOG_ROTATE_BYTES:
                os.replace(self.log_file, self.log_file.with_name(LOG_FILE_NAME + ".1"))

    def _terminate(
        self, proc: subprocess.Popen[bytes], *, kill_only: bool = False, timeout: float = STOP_TIMEOUT_S
    ) -> None:
        if proc.poll() is None and not kill_only:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def _forget(self, *, remove_info: bool) -> None:
        pid = self.pid
        self._proc = None
        if self._keeper is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._keeper.wait(timeout=10)  # stopped or killed already: reap it
            self._keeper = None
        if remove_info:
            info = read_node_info(self.data_dir)
            if info is not None and info.get("pid") == pid:
                self.info_file.unlink(missing_ok=True)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """The last checked save (the keeper told to finish, mining paused), then SIGTERM, then SIGKILL
        after ``timeout`` seconds; the save may take as long again plus the time a state file of the
        chain's size takes to write (see STATE_BYTES_PER_S).

        Idempotent. Afterwards node.json is gone and the state backup is refreshed.
        """
        if self._proc is None:
            return
        keeper = self._keeper.pid if self._keeper is not None else None
        patience = timeout + state_io_seconds(self.state_file)
        if self._proc.poll() is None:
            _last_save(keeper, self.rpc_url, self.state_file, patience)
        else:
            _kill_keeper(keeper, self.state_file)
        self._terminate(self._proc, timeout=timeout)
        self._forget(remove_info=True)
        _refresh_backup(self.state_file)

    def kill(self) -> None:
        """SIGKILL anvil and its keeper without a last save, as a crash would (for fault tests).

        node.json is left behind on purpose – a real crash leaves it too – and is recognised as
        stale by :func:`is_node_running` / :func:`stop_by_info` / the next :meth:`start`.
        """
        if self._proc is None:
            return
        if self._keeper is not None:
            _kill_keeper(self._keeper.pid, self.state_file)
        self._terminate(self._proc, kill_only=True)
        self._forget(remove_info=False)

    def restart(self) -> AnvilNode:
        """Stop cleanly (if running) and start again from the state file, on the same port if free."""
        self.stop()
        return self.start()

    # -- context manager ----------------------------------------------------------------------------

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "auto"
        state = "running" if self.is_running() else "stopped"
        return f"AnvilNode({str(self.data_dir)!r}, port={port}, chain_id={self.chain_id}, {state})"


class _PortInUse(ChainError):
    """anvil lost the race for an auto-picked port; start() retries with another one."""
