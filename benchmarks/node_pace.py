"""Does the local node hold its pace as its chain grows? Pipelined publishing, fresh vs 100,000 deep.

One run, real processes on 127.0.0.1:
1. a node started as `attest node start` starts it (AnvilNode with CONSORTIUM_BLOCK_TIME_S: a block
   a second, CONSORTIUM_STATE_INTERVAL_S, RECENT_STATES), the contracts deployed and three
   organisations admitted (tests/conftest.py);
2. RATE_CHUNKS chunks of 1,000 distinct attestations through the pipelined sender
   (`Deployment.anchor`, the one anchor path: windows pipelined): the fresh rate;
3. the chain filled to FILL attestations, in the same chunks;
4. the rate again over RATE_CHUNKS chunks, and the ratio (target ≥ 0.8);
5. the latency of one `attest publish file` (the CLI: process start, scrypt keystore decryption,
   journal, one transaction), median of PUBLISH_SAMPLES, on the fresh node and on the full one;
6. the baseline: the OLD node flags (a block per transaction, anvil's default state history) in the
   same run, fresh and after a smaller fill (BASELINE_FILL), labelled as such.

BENCH_SCALE (see run.py) shrinks FILL and BASELINE_FILL for a quick check; the figure to report is a
full run (FILL = 100,000).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

CHUNK = 1_000
RATE_CHUNKS = 3
FILL, BASELINE_FILL = 100_000, 10_000
TARGET_RATIO = 0.8
PUBLISH_SAMPLES = 3
PASSWORD = "benchmark only"  # an ephemeral key's keystore, made and deleted by the run


def scaled(n: int) -> int:
    return max(CHUNK * RATE_CHUNKS, int(n * float(os.environ.get("BENCH_SCALE", "1"))) // CHUNK * CHUNK)


class Run:
    """One node with the consortium deployed; publishes numbered attestations in chunks."""

    def __init__(
        self, root: Path, block_time: float | None, state_interval: int, recent_states: int | None
    ) -> None:
        from conftest import build_consortium

        from attest.chain.connection import Chain
        from attest.chain.keystore import create_keystore
        from attest.devtools.node import AnvilNode, dev_private_keys

        self.root = root
        node = AnvilNode(
            root / "node", block_time=block_time, state_interval=state_interval, recent_states=recent_states
        )
        self.node = node.start()
        chain = Chain.connect(self.node.rpc_url)
        self.c = build_consortium(chain, funder_key=dev_private_keys(1)[0])
        self.published = 0
        self.manifest = root / "local.json"
        manifest = self.c.dep.manifest.model_copy(update={"rpc_url": self.node.rpc_url})
        self.manifest.write_bytes(manifest.dump())
        self.keystore = root / "bank.json"
        create_keystore(self.keystore, PASSWORD, private_key=self.c.bank.key.hex())

    def chunk(self) -> float:
        """Publish CHUNK new attestations; return the seconds taken (signing, sending, every receipt)."""
        from attest.chain.anchoring import AnchorRequest, anchor
        from attest.core.contracts import Kind

        dep, bank, start = self.c.dep, self.c.bank, self.published
        digests = [hashlib.sha256(f"pace {start + i}".encode()).hexdigest() for i in range(CHUNK)]
        requests = [AnchorRequest(d, Kind.FILE, 2022) for d in digests]
        started = time.perf_counter()
        results = [r for window in anchor(dep, bank, requests, timeout=600) for r in window]
        seconds = time.perf_counter() - started
        assert len(results) == CHUNK and all(r.error is None for r in results), "an attestation failed"
        self.published += CHUNK
        return seconds

    def rate(self) -> float:
        """Attestations per second over RATE_CHUNKS chunks."""
        return CHUNK * RATE_CHUNKS / sum(self.chunk() for _ in range(RATE_CHUNKS))

    def fill(self, total: int, progress: Callable[[str], None]) -> None:
        while self.published < total:
            self.chunk()
            if self.published % 10_000 == 0:
                progress(f"  … {self.published:,} attestations")

    def publish_latency(self) -> float:
        """The median of PUBLISH_SAMPLES `attest publish file` runs (each a new document), in seconds."""
        return statistics.median(self.publish_once() for _ in range(PUBLISH_SAMPLES))

    def peak_rss_mb(self) -> float:
        """anvil's peak resident memory so far (VmHWM), in MB."""
        for line in Path(f"/proc/{self.node.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def publish_once(self) -> float:
        """Seconds for one `attest publish file` of a new document, through the CLI."""
        doc = self.root / f"single-{self.published}-{time.monotonic_ns()}.txt"
        doc.write_text(f"one more document ({doc.name})\n")
        attest = str(Path(sys.executable).with_name("attest"))
        command = [attest, "publish", "file", str(doc), "--year", "2022", "-d", str(self.manifest)]
        command += ["--keystore", str(self.keystore), "--journal", str(self.root / "journal.sqlite")]
        env = dict(os.environ, ATTEST_PASSWORD=PASSWORD)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"attest publish file exited {done.returncode}: {done.stderr.strip()}")
        return seconds

    def close(self) -> None:
        self.node.stop()


@contextlib.contextmanager
def private_home(home: Path) -> Iterator[None]:
    """HOME for the nodes started inside: anvil's own state history (the OLD flags) writes a full-state
    file per block under ~/.foundry/anvil/tmp and leaves them behind; here they go with the run."""
    saved = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = saved


def measure(
    label: str,
    profile: tuple[float | None, int, int | None],
    fill: int,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Fresh rate, fill, deep rate, one CLI publish at each end, state size, restart time."""
    with tempfile.TemporaryDirectory(prefix="attest-pace-") as tmp, private_home(Path(tmp) / "home"):
        run = Run(Path(tmp), *profile)
        try:
            fresh_publish = run.publish_latency()
            fresh = run.rate()
            say(f"{label}: fresh node {fresh:,.0f}/s; filling to {fill:,} attestations")
            run.fill(fill, say)
            deep = run.rate()
            deep_publish = run.publish_latency()
            rss = run.peak_rss_mb()
            state_mb = run.node.state_file.stat().st_size / 1e6 if run.node.state_file.exists() else 0.0
            started = time.perf_counter()
            run.node.restart()
            restart = time.perf_counter() - started
        finally:
            run.close()
    return {
        "label": label, "fill": fill, "fresh": fresh, "deep": deep, "fresh_publish": fresh_publish,
        "deep_publish": deep_publish, "state_mb": state_mb, "restart": restart, "rss": rss,
    }  # fmt: skip


def main(say: Callable[[str], None] = print) -> list[dict[str, Any]]:
    from attest.devtools.node import (
        CONSORTIUM_BLOCK_TIME_S,
        CONSORTIUM_STATE_INTERVAL_S,
        RECENT_STATES,
    )

    new = measure(
        f"attest node start (a block every {CONSORTIUM_BLOCK_TIME_S:g} s, saved every "
        f"{CONSORTIUM_STATE_INTERVAL_S} s)",
        (CONSORTIUM_BLOCK_TIME_S, CONSORTIUM_STATE_INTERVAL_S, RECENT_STATES), scaled(FILL), say,
    )  # fmt: skip
    old = measure(
        "OLD flags (a block per transaction, saved every 1 s, anvil's state history)",
        (None, 1, None), scaled(BASELINE_FILL), say,
    )  # fmt: skip
    return [new, old]


def print_table(results: list[dict[str, Any]]) -> None:
    rows = [
        ("node", "fresh", "after fill", "ratio", "1 publish fresh → deep", "state, restart, anvil peak RSS")
    ]
    for r in results:
        ratio = r["deep"] / r["fresh"]
        mark = "" if "OLD" in r["label"] else (" ok" if ratio >= TARGET_RATIO else " MISSED")
        rows.append(
            (
                r["label"],
                f"{r['fresh']:,.0f}/s",
                f"{r['deep']:,.0f}/s at {r['fill']:,}",
                f"{ratio:.2f}{mark}",
                f"{r['fresh_publish']:.2f} s → {r['deep_publish']:.2f} s",
                f"{r['state_mb']:,.0f} MB, {r['restart']:.1f} s, {r['rss']:,.0f} MB",
            )
        )
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * x for x in w))
    print(f"target: rate after {FILL:,} attestations ≥ {TARGET_RATIO} × the fresh rate (chunks of {CHUNK:,})")


if __name__ == "__main__":
    scale = os.environ.get("BENCH_SCALE", "1")
    note = "" if scale == "1" else f" — BENCH_SCALE={scale}: smaller fills, preliminary figures"
    print(f"\n## Pace of the local node as its chain grows (local anvil node){note}\n")
    print_table(main(lambda line: print(line, flush=True)))
