"""Run every benchmark and print its table (`make bench`).

BENCH_SCALE (default 1) shrinks the timed sizes for a quick check that everything runs; only a full
run (BENCH_SCALE=1) on a quiet machine gives the figures to report.
"""

from __future__ import annotations

import os
import platform
import runpy
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _machine() -> str:
    """The machine the figures were measured on: CPU model, cores, memory, load (a shared box shows)."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        memory = "unknown RAM"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: {platform.node()}, {model}, {os.cpu_count()} cores, {memory}, "
        f"{platform.system()} {platform.release()}; load average {load:.2f} at start"
    )


def main() -> None:
    print(
        f"# esg-attest benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    print(_machine())
    print("\n## Gas (embedded chain, exact)\n")
    runpy.run_path(str(HERE / "gas.py"), run_name="__main__")
    scale = os.environ.get("BENCH_SCALE", "1")
    note = "" if scale == "1" else f" — BENCH_SCALE={scale}: reduced sizes, preliminary figures"
    print(f"\n## Batch root gas by tree size (embedded chain, exact){note}\n")
    runpy.run_path(str(HERE / "batch_gas.py"), run_name="__main__")
    print(f"\n## Single attestations per second: publish_many.py beside a plain loop (local anvil){note}\n")
    runpy.run_path(str(HERE / "throughput.py"), run_name="__main__")
    print(f"\n## Throughput, bulk verification, memory (local anvil node){note}\n")
    scale_bench = runpy.run_path(str(HERE / "scale.py"))
    scale_bench["print_table"](scale_bench["main"]())
    runpy.run_path(str(HERE / "proven.py"), run_name="__main__")
    runpy.run_path(str(HERE / "node_pace.py"), run_name="__main__")


if __name__ == "__main__":
    main()
