"""Run every benchmark and print its table (`make bench`)."""

from __future__ import annotations

import platform
import runpy
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    print(
        f"# esg-attest benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    print("\n## Gas (embedded chain, exact)\n")
    runpy.run_path(str(HERE / "gas.py"), run_name="__main__")
