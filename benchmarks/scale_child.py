"""One measured step of benchmarks/scale.py, in its own process so its peak RSS is its own.

    python benchmarks/scale_child.py publish MANIFEST DIR YEAR KEYSTORE   (password in ATTEST_PASSWORD)
    python benchmarks/scale_child.py verify MANIFEST DIR

`publish` times what a bank runs — the `attest publish batch DIR` command, in a subprocess: start-up,
keystore decryption, the directory walk, hashing, the tree, the transaction and every receipt — and
reports that process's peak RSS. `verify` streams every receipt through attest.app.bulk in this process.
Prints one JSON line: seconds, peak RSS (includes the interpreter and web3), counts. The CLI's peak is
getrusage(RUSAGE_CHILDREN), which on Linux is at least this small process's size at the fork: it can
only over-report, by a few tens of MB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not getrusage(RUSAGE_SELF): on Linux that also keeps the
    high-water mark of the parent's memory image this process was forked from, before exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise SystemExit("no VmHWM in /proc/self/status: peak RSS cannot be measured here")


def main(argv: list[str]) -> None:
    step, manifest, folder = argv[0], argv[1], Path(argv[2])
    if step == "publish":
        attest = str(Path(sys.executable).parent / "attest")
        command = [attest, "publish", "batch", str(folder), "--year", argv[3], "--keystore", argv[4]]
        command += ["-d", manifest, "--json"]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"attest publish batch exited {done.returncode}: {done.stderr.strip()}")
        result = json.loads(done.stdout)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out = {"seconds": seconds, "files": result["files"], "root": result["root"], "peak_rss_mb": peak}
        print(json.dumps(out))
        return
    if step == "verify":
        from attest.app.bulk import iter_verify
        from attest.chain.deployment import Deployment

        dep = Deployment.open(manifest)
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
