"""Proven verification against a real local anvil node: what proofs cost, how big they are, and
that bulk verification does not slow down as the registry grows. Every figure is measured here.

One run, on a node started as `attest node start` starts it (a block a second):
1. RECEIPTS documents published through the anchor path, each receipt (receipt/2) carrying its
   block's header and the storage proofs of its attestation;
2. proof bytes per receipt: the receipt's `proof` part as written (mean and largest), beside the
   whole receipt;
3. one verification of a receipt, unproven (the node's word, as before proofs) and proven (settling
   the trusted block, proving the registry's code and the record, rebuilding the record's block's
   receipts) — in process, medians of PAIRS runs taken turn about, so process start does not hide
   the difference — target: proven ≤ 2× unproven; and
   the `attest verify RECEIPT` command's wall time for reference;
4. `attest verify-many`'s path (attest.app.bulk with a prover) over the RECEIPTS receipts, against a
   registry holding little else: the baseline, the median of SAMPLES;
5. FILL other attestations anchored (the pipelined sender, in chunks of 1,000);
6. step 4 again — target: within 1.3× of the baseline.

BENCH_SCALE (see run.py) shrinks FILL for a quick check; the figure to report is FILL = 100,000.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from node_clock import NodeClock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

RECEIPTS, FILL, SAMPLES, PAIRS = 100, 100_000, 5, 15
SINGLE_TARGET, GROWTH_TARGET = 2.0, 1.3
COMMAND_TARGET_S = 0.6  # one proven `attest verify RECEIPT`, process start included


def median_time(fn: Callable[[], Any], n: int = SAMPLES) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def interleaved(a: Callable[[], Any], b: Callable[[], Any], pairs: int = PAIRS) -> tuple[float, float]:
    """Medians of `a` and `b` timed turn about, so a shared machine's slow moments hit both alike."""
    ta, tb = [], []
    for _ in range(pairs):
        for fn, times in ((a, ta), (b, tb)):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return statistics.median(ta), statistics.median(tb)


def main(say: Callable[[str], None] = print) -> list[tuple[str, str, str, str]]:
    from node_clock import NodeClock
    from node_pace import CHUNK, Run, private_home

    from attest.app.bulk import iter_verify
    from attest.app.journal import Journal
    from attest.app.proven import ProofPolicy, Prover
    from attest.app.publishing import PublishResult, ToPublish, prepare, publish_documents
    from attest.app.verify import verify_target
    from attest.chain.connection import Chain
    from attest.chain.deployment import Deployment
    from attest.core.contracts import Kind
    from attest.core.proof_errors import ProofError
    from attest.devtools.node import CONSORTIUM_BLOCK_TIME_S, CONSORTIUM_STATE_INTERVAL_S, RECENT_STATES

    fill = max(CHUNK, int(FILL * float(os.environ.get("BENCH_SCALE", "1"))) // CHUNK * CHUNK)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="attest-proven-") as tmp, private_home(Path(tmp) / "home"):
        root = Path(tmp)
        run = Run(root, CONSORTIUM_BLOCK_TIME_S, CONSORTIUM_STATE_INTERVAL_S, RECENT_STATES)
        try:
            # 1. documents published with their receipts (receipt/2: header and proofs)
            docs = root / "docs"
            docs.mkdir()
            items = []
            for i in range(RECEIPTS):
                p = docs / f"evidence-{i:04}.txt"
                p.write_text(f"evidence document {i} for the proven benchmark\n")
                doc, year = prepare(p, kind=Kind.FILE, year=2022)
                items.append(ToPublish(doc, Kind.FILE, year))
            with Journal(root / "journal.sqlite") as journal:
                done = list(publish_documents(run.c.dep, run.c.bank, items, journal=journal))
            assert all(isinstance(d, PublishResult) for d in done), "a publication failed"
            receipts = sorted(str(p) for p in docs.glob("*.receipt.json"))
            assert len(receipts) == RECEIPTS
            time.sleep(2 * CONSORTIUM_BLOCK_TIME_S + 1)  # the last receipt's block confirmed

            # 2. proof bytes per receipt
            proof_bytes, whole = [], []
            for r in receipts:
                data = json.loads(Path(r).read_text(encoding="utf-8"))
                assert data["schema"].endswith("/2") and "proof" in data, f"{r} carries no proofs"
                proof_bytes.append(len(json.dumps(data["proof"], separators=(",", ":"))))
                whole.append(Path(r).stat().st_size)
            rows.append(
                (
                    f"proof data per receipt ({RECEIPTS} receipt/2 files: header + storage proofs)",
                    f"{statistics.mean(proof_bytes):,.0f} B mean, {max(proof_bytes):,} B max "
                    f"(whole receipt {statistics.mean(whole):,.0f} B)",
                    "reported",
                    "",
                )
            )

            # 3. one verification, unproven vs proven, same run
            url = run.node.rpc_url
            dep = Deployment(Chain.connect(url), run.c.dep.manifest)
            policy = ProofPolicy((url,))
            target = receipts[RECEIPTS // 2]

            def unproven() -> None:
                assert verify_target(dep, target).verified

            def proven() -> None:
                report = verify_target(dep, target, prover=Prover(dep, policy))
                assert report.verified and _proven(report), report.checks[-2:]

            plain_s, proven_s = interleaved(unproven, proven)
            rows.append(
                (
                    "one receipt verified: unproven (node's word) → proven (header settled, code and "
                    "record proven)",
                    f"{plain_s * 1000:.0f} ms → {proven_s * 1000:.0f} ms ({proven_s / plain_s:.2f}×)",
                    f"≤ {SINGLE_TARGET:g}×",
                    _ok(proven_s / plain_s <= SINGLE_TARGET),
                )
            )
            floor_s = median_time(_cli_floor, 5)
            cli_s = median_time(lambda: _cli_verify(run.manifest, target), 5)
            rows.append(
                (
                    "  `attest verify RECEIPT` command, proven (process start included; beside it "
                    "`attest --version`, the process floor, same run)",
                    f"{cli_s:.2f} s (floor {floor_s:.2f} s)",
                    f"≤ {COMMAND_TARGET_S:g} s",
                    _ok(cli_s <= COMMAND_TARGET_S),
                )
            )

            # 4-6. bulk verification of the receipts before and after the registry grows; every run
            # timed whole and, by NodeClock, for how long it waited on the node's answers
            def bulk() -> NodeClock:
                with NodeClock().running() as clock:
                    d = Deployment(Chain.connect(url), run.c.dep.manifest)
                    reports = list(iter_verify(d, receipts, prover=Prover(d, policy)))
                assert all(r.verified and _proven(r) for r in reports)
                return clock

            before, clock_before = median_run(bulk)
            others_before = run.published
            say(f"proven: {RECEIPTS} receipts verified in {before:.2f} s; filling to {fill:,} others")
            one_proof_before = _one_proof(url, run.c.dep.manifest.governance.address)
            run.fill(fill, say)
            time.sleep(2 * CONSORTIUM_BLOCK_TIME_S + 1)
            one_proof_after = _one_proof(url, run.c.dep.manifest.governance.address)
            try:
                after, clock_after = median_run(bulk)
            except ProofError as exc:  # the node's answer did not hold: say so rather than stop the run
                rows.append(
                    (
                        f"proven verify-many of {RECEIPTS} receipts after {run.published:,}",
                        f"failed: {exc}",
                        f"≤ {GROWTH_TARGET:g}×",
                        "MISSED",
                    )
                )
                return rows
            rows.append(
                (
                    f"proven verify-many of {RECEIPTS} receipts: registry with {others_before:,} → "
                    f"{run.published:,} other attestations",
                    f"{before:.2f} s → {after:.2f} s ({after / before:.2f}×)",
                    f"≤ {GROWTH_TARGET:g}×",
                    _ok(after / before <= GROWTH_TARGET),
                )
            )
            rows.extend(_split(before, clock_before, after, clock_after))
            rows.append(
                (
                    "  the node alone: one eth_getProof of one governance slot (a 1-slot proof of the "
                    "smallest contract), same sizes",
                    f"{one_proof_before * 1000:.1f} ms → {one_proof_after * 1000:.1f} ms "
                    f"({one_proof_after / one_proof_before:.1f}×)",
                    "reported",
                    "",
                )
            )
        finally:
            run.close()
    return rows


def median_run(fn: Callable[[], NodeClock], n: int = SAMPLES) -> tuple[float, NodeClock]:
    """The median wall time of `n` runs of `fn`, with the node clock of that (median) run."""
    runs = []
    for _ in range(n):
        started = time.perf_counter()
        clock = fn()
        runs.append((time.perf_counter() - started, clock))
    runs.sort(key=lambda r: r[0])
    return runs[len(runs) // 2]


def _split(
    before: float, clock_before: NodeClock, after: float, clock_after: NodeClock
) -> list[tuple[str, str, str, str]]:
    """Where the growth is: the requests sent (the same before and after), the time spent waiting for
    the node's answers (by method), and the rest, this process's own work."""

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    own_before, own_after = before - clock_before.total, after - clock_after.total
    rows = [
        (
            "  requests sent (HTTP, batches counted once)",
            f"{clock_before.requests} → {clock_after.requests}",
            "the same",
            _ok(clock_before.requests == clock_after.requests),
        ),
        (
            "  of the time: waiting for the node's answers",
            f"{ms(clock_before.total)} → {ms(clock_after.total)}",
            "reported",
            "",
        ),
    ]
    for method in ("eth_getProof", "eth_getLogs"):
        (sb, nb), (sa, na) = clock_before.of(method), clock_after.of(method)
        rows.append((f"    of which {method} ({nb} → {na} requests)", f"{ms(sb)} → {ms(sa)}", "reported", ""))
    rows.append(
        (
            "  of the time: this process's own work (the rest)",
            f"{ms(own_before)} → {ms(own_after)} ({own_after / own_before:.2f}×)",
            f"≤ {GROWTH_TARGET:g}×",
            _ok(own_after / own_before <= GROWTH_TARGET),
        )
    )
    return rows


def _one_proof(url: str, address: str) -> float:
    """The median time the node takes to answer one eth_getProof of one slot at its latest block."""
    from attest.chain.rpc import HttpRpc

    rpc = HttpRpc(url)
    return median_time(lambda: rpc.call("eth_getProof", [address, ["0x" + "00" * 32], "latest"]), 7)


def _proven(report: Any) -> bool:
    """Its `proofs` (state facts) and `logs` (receipts) lines both passed."""
    status = {c.name: c.status for c in report.checks}
    return status.get("proofs") == "pass" and status.get("logs") == "pass"


def _cli_verify(manifest: Path, target: str) -> None:
    attest = str(Path(sys.executable).with_name("attest"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    done = subprocess.run(
        [attest, "verify", target, "-d", str(manifest)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0 or "✓ proofs" not in done.stdout:
        raise SystemExit(f"attest verify exited {done.returncode}: {done.stdout}{done.stderr}")


def _cli_floor() -> None:
    attest = str(Path(sys.executable).with_name("attest"))
    subprocess.run([attest, "--version"], capture_output=True, check=True)


def _ok(good: bool) -> str:
    return "ok" if good else "MISSED"


if __name__ == "__main__":
    from scale import print_table

    scale = os.environ.get("BENCH_SCALE", "1")
    note = "" if scale == "1" else f" — BENCH_SCALE={scale}: a smaller fill, preliminary figures"
    print(f"\n## Proven verification (local anvil node){note}\n")
    print_table(main(lambda line: print(line, flush=True)))
