"""One measured step of benchmarks/scale.py, in its own process so its peak RSS is its own.

    python benchmarks/scale_child.py publish MANIFEST DIR YEAR   (publisher key in env BENCH_PUBLISHER_KEY)
    python benchmarks/scale_child.py verify MANIFEST DIR

Prints one JSON line: seconds, peak RSS (resource.getrusage, includes the interpreter and web3), counts.
The key is an ephemeral dev key made for the benchmark; it goes through the environment, never argv.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str]) -> None:
    from attest.client import Deployment

    step, manifest, folder = argv[0], argv[1], Path(argv[2])
    dep = Deployment.open(manifest)
    if step == "publish":
        from eth_account import Account

        from attest.batch import publish_batch

        account = Account.from_key(os.environ["BENCH_PUBLISHER_KEY"])
        files = sorted(p for p in folder.iterdir() if not p.name.endswith(".receipt.json"))
        started = time.perf_counter()
        result = publish_batch(dep, account, files, year=int(argv[3]))
        seconds = time.perf_counter() - started
        out = {"seconds": seconds, "files": result.files, "root": result.root}
    elif step == "verify":
        from attest.bulk import iter_verify

        targets = sorted(str(p) for p in folder.iterdir() if p.name.endswith(".receipt.json"))
        started = time.perf_counter()
        verified = total = 0
        for report in iter_verify(dep, targets):  # streamed, as `attest verify-many` does
            total += 1
            verified += report.verified
        seconds = time.perf_counter() - started
        out = {"seconds": seconds, "files": total, "verified": verified}
    else:
        raise SystemExit(f"unknown step {step!r}")
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
