"""Throughput, bulk verification and memory against a real local anvil node; printed as a table.

Every figure is measured by running (nothing is hard-coded). BENCH_SCALE (default 1) multiplies the
sizes, so a shared or slow machine can check the benchmark works at e.g. BENCH_SCALE=0.1 before a
full run on a quiet one. Steps:
1. anchor N single files (the anchor path, in-process, as the targets of step 3; the throughput of
   single attestations is measured on the path users run by benchmarks/throughput.py);
2. batch-publish M small files with the `attest publish batch` command (directory walk, hash, tree, one
   transaction, M receipts), timed from outside the process once the inputs are flushed to disk —
   target ≤ 20 s, peak RSS < 500 MB — and the same command once more, as a re-run finds it all done;
3. bulk-verify V anchored documents (the N single files plus batch receipts) with attest.app.bulk, every
   report's state facts proven against one trusted block as `attest verify-many` does — target ≤ 5 s —
   beside the same run unproven and the per-file path `verify_target` measured on a sample and
   extrapolated (stated);
4. verify all M batch receipts in a child process — peak RSS < 500 MB.

File creation dominates step 2, and on ext4 WITHOUT a journal (this project's CI machines) the inode
allocator skips every inode freed in the last 60 s — 300 s while its inode-table block is still dirty
(fs/ext4/ialloc.c, recently_deleted) — so creating files within minutes of deleting hundreds of
thousands (e.g. the previous run's clean-up) costs several times more. Leave five minutes between runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

N_SINGLE, N_BATCH, N_VERIFY, N_SAMPLE = 1_000, 100_000, 10_000, 300
SETTLE_SECONDS = 5
BENCH_PASSWORD = "benchmark only"  # an ephemeral key's keystore, made and deleted by the run


def scaled(n: int) -> int:
    return max(10, int(n * float(os.environ.get("BENCH_SCALE", "1"))))


def write_files(folder: Path, n: int, tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"{tag}-{i:06}.txt"
        p.write_bytes(f"{tag} evidence document {i}\n".encode() * 4)
        paths.append(p)
    return paths


def child(step: str, manifest: Path, folder: Path, *extra: str) -> dict[str, Any]:
    env = dict(os.environ, ATTEST_PASSWORD=BENCH_PASSWORD)
    done = subprocess.run(
        [sys.executable, str(HERE / "scale_child.py"), step, str(manifest), str(folder), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {step} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def main() -> list[tuple[str, str, str, str]]:
    from conftest import build_consortium

    from attest.app.bulk import verify_many
    from attest.app.journal import Journal
    from attest.app.proven import ProofPolicy, Prover
    from attest.app.publishing import PublishResult, ToPublish, prepare, publish_documents
    from attest.app.verify import verify_target
    from attest.chain.connection import Chain
    from attest.core.contracts import Kind
    from attest.devtools.node import AnvilNode, dev_private_keys

    n_single, n_batch = scaled(N_SINGLE), scaled(N_BATCH)
    n_verify, n_sample = min(scaled(N_VERIFY), n_single + n_batch), min(scaled(N_SAMPLE), scaled(N_VERIFY))
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="attest-bench-") as tmp:
        root = Path(tmp)
        node = AnvilNode(root / "node")
        node.start()
        try:
            chain = Chain.connect(node.rpc_url)
            c = build_consortium(chain, funder_key=dev_private_keys(1)[0])
            manifest = root / "manifest.json"
            manifest.write_bytes(c.dep.manifest.model_copy(update={"rpc_url": node.rpc_url}).dump())

            # 1. single attestations through the anchor path (setup for step 3; timed in throughput.py)
            singles = write_files(root / "single", n_single, "single")
            items = []
            for p in singles:
                doc, year = prepare(p, kind=Kind.FILE, year=2022)
                items.append(ToPublish(doc, Kind.FILE, year))
            with Journal(root / "singles.journal.sqlite") as journal:
                done = list(publish_documents(c.dep, c.bank, items, journal=journal))
            assert all(isinstance(d, PublishResult) for d in done), "a single attestation failed"

            # 2. batch publishing through the CLI, in a child (time and peak memory); then the same
            #    command again, as a bank re-runs it (root already anchored, receipts checked)
            from attest.chain.keystore import create_keystore

            keystore = root / "bank-keystore.json"
            create_keystore(keystore, BENCH_PASSWORD, private_key=c.bank.key.hex())
            batch_dir = root / "batch"
            write_files(batch_dir, n_batch, "batch")
            # a bank's evidence files exist on disk long before it publishes them: flush the ones just
            # made, so their write-back is not charged to the command being timed
            os.sync()
            time.sleep(SETTLE_SECONDS)
            pub = child("publish", manifest, batch_dir, "2022", str(keystore))
            rows.append(
                (
                    f"attest publish batch: {pub['files']:,} small files (walk, hash, tree, 1 tx, receipts)",
                    f"{pub['seconds']:.2f} s",
                    "≤ 20 s",
                    _ok(pub["seconds"] <= 20),
                )
            )
            rows.append(
                (
                    f"  peak RSS publishing {pub['files']:,} files (incl. the keystore's 256 MiB scrypt)",
                    f"{pub['peak_rss_mb']:.0f} MB",
                    "< 500 MB",
                    _ok(pub["peak_rss_mb"] < 500),
                )
            )
            again = child("publish", manifest, batch_dir, "2022", str(keystore))
            assert again["root"] == pub["root"], "a re-run built a different tree"
            rows.append(
                (
                    f"  the same command again (already anchored; {again['files']:,} receipts read back)",
                    f"{again['seconds']:.2f} s",
                    "",
                    "",
                )
            )

            # 3. bulk verification vs one at a time, same run
            receipts = sorted(str(p) for p in batch_dir.glob("*.receipt.json"))
            targets = [str(p) for p in singles] + receipts[: max(0, n_verify - len(singles))]
            targets = targets[:n_verify]
            fresh = Chain.connect(node.rpc_url)  # no warm caches from publishing
            from attest.chain.deployment import Deployment

            dep = Deployment(fresh, c.dep.manifest)
            # the path `attest verify-many` runs: a prover settles the trusted block (here one node)
            # and proves every report's state facts; the same targets unproven are the baseline
            policy = ProofPolicy((node.rpc_url,))
            bulk_s, reports = timed(lambda: verify_many(dep, targets, prover=Prover(dep, policy)))
            assert all(r.verified for r in reports), "bulk verification found a document not verified"
            assert all([c.status for c in r.checks[-2:]] == ["pass", "pass"] for r in reports)  # proofs, logs
            plain_s, plain = timed(
                lambda: verify_many(Deployment(Chain.connect(node.rpc_url), c.dep.manifest), targets)
            )
            assert all(r.verified for r in plain)
            step = max(1, len(targets) // n_sample)
            sample = targets[::step][:n_sample]
            one_s, one_reports = timed(lambda: [verify_target(dep, t) for t in sample])
            assert all(r.verified for r in one_reports)
            per_file = one_s / len(sample)
            extrapolated = per_file * len(targets)
            rows.append(
                (
                    f"proven bulk-verify {len(targets):,} anchored documents ({len(singles):,} single + "
                    f"{len(targets) - len(singles):,} batch receipts; every state fact proven)",
                    f"{bulk_s:.2f} s",
                    "≤ 5 s",
                    _ok(bulk_s <= 5),
                )
            )
            attest = str(Path(sys.executable).with_name("attest"))
            cli_s, cli = timed(
                lambda: subprocess.run(
                    [attest, "verify-many", *targets, "-d", str(manifest)],
                    capture_output=True,
                    text=True,
                    check=False,
                    env={k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")},
                )
            )
            assert cli.returncode == 0 and "proofs: state facts of every report proven" in cli.stdout, (
                cli.stderr
            )
            rows.append(
                (
                    f"  `attest verify-many` on the same {len(targets):,}, proven (the command, process "
                    "start included)",
                    f"{cli_s:.2f} s",
                    "≤ 5 s",
                    _ok(cli_s <= 5),
                )
            )
            rows.append(
                (
                    "  the same targets unproven (the node's word), same run",
                    f"{plain_s:.2f} s (proofs add {bulk_s / plain_s:.2f}×)",
                    "",
                    "",
                )
            )
            rows.append(
                (
                    f"  one at a time (verify_target, unproven): {len(sample)} measured, extrapolated to "
                    f"{len(targets):,}",
                    f"{per_file * 1000:.1f} ms/file → {extrapolated:.1f} s "
                    f"({extrapolated / bulk_s:.0f}× slower)",
                    "bulk ≥ 10× faster",
                    _ok(extrapolated / bulk_s >= 10),
                )
            )

            # 4. verifying every batch receipt, in a child (peak memory)
            ver = child("verify", manifest, batch_dir)
            assert ver["verified"] == ver["files"], ver
            rows.append(
                (
                    f"  peak RSS bulk-verifying {ver['files']:,} receipts ({ver['seconds']:.1f} s)",
                    f"{ver['peak_rss_mb']:.0f} MB",
                    "< 500 MB",
                    _ok(ver["peak_rss_mb"] < 500),
                )
            )
        finally:
            node.stop()
    return rows


def _ok(good: bool) -> str:
    return "ok" if good else "MISSED"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    heads = ("benchmark", "measured", "target", "")
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(heads)).rstrip())
    print("  ".join("-" * w[i] for i in range(4)))
    for r in rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(4)).rstrip())


if __name__ == "__main__":
    print(f"BENCH_SCALE={os.environ.get('BENCH_SCALE', '1')}")
    print_table(main())
