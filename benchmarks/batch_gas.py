"""Gas of anchoring a batch root for trees of 1 … 100,000 leaves, built for real (embedded chain).

The registry stores one slot per attestation whatever the tree behind its digest, so the cost of a
batch root must not grow with the number of leaves: this table shows it. Sizes above 100 are scaled
by BENCH_SCALE (default 1).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import build_consortium

from attest.chain.connection import Chain
from attest.core.batch_receipt import LEAF_ENCODING
from attest.core.contracts import Kind
from attest.core.merkle import StandardMerkleTree

SIZES = (1, 100, 10_000, 100_000)
TARGET_GAS = 65_000


def sizes() -> list[int]:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    return [n if n <= 100 else max(101, int(n * scale)) for n in SIZES]


def main() -> None:
    c = build_consortium(Chain.embedded())
    rows = []
    for n in sizes():
        leaves = [[hashlib.sha256(f"leaf-{n}-{i}".encode()).digest()] for i in range(n)]
        started = time.perf_counter()
        tree = StandardMerkleTree.of(leaves, LEAF_ENCODING)
        built = time.perf_counter() - started
        gas = c.dep.attest(c.bank, tree.root_bytes.hex(), Kind.BATCH, 2022).gas_used or 0
        depth = len(tree.get_proof(0))
        rows.append((n, gas, depth, built))
    print(
        f"{'leaves':>9}  {'gas used':>9}  {'proof length':>12}  {'tree built in':>13}  "
        f"target ≤ {TARGET_GAS:,}"
    )
    print(f"{'-' * 9}  {'-' * 9}  {'-' * 12}  {'-' * 13}  {'-' * 16}")
    for n, gas, depth, built in rows:
        ok = "ok" if gas <= TARGET_GAS else "OVER"
        print(f"{n:>9,}  {gas:>9,}  {depth:>12}  {built:>12.2f}s  {ok}")
    spread = max(r[1] for r in rows) - min(r[1] for r in rows)
    print(f"\nroot anchoring gas varies by {spread} across tree sizes (independent of the leaf count)")


if __name__ == "__main__":
    main()
