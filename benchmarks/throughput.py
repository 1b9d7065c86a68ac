"""Single attestations per second: `scripts/publish_many.py` as a bank runs it, beside a plain loop.

One run, two local anvil nodes started alike (`attest.devtools.node.AnvilNode` with its default
mining) each with the consortium freshly deployed — one per measurement, since anvil's blocks and its
state dumps cost more as its chain grows, so a second measurement on the same node would pay for the
first one's attestations:
1. the baseline: a plain sequential web3.py loop over N fresh digests (sign locally, send raw, wait
   for the receipt polling every 10 ms; one dry run and one fee read for all) — not crash-safe, no
   receipts written;
2. `scripts/publish_many.py DIR` in a subprocess, as users run it: interpreter start-up, a real
   scrypt keystore, N files hashed, the SQLite journal on disk, a receipt written per file — timed
   from outside, N / wall time. Targets: ≥ 500 attestations/s, and ≥ 1.5 × the baseline's rate.
3. the same script with the bank's key in an HSM: a SoftHSM2 token of the run's own (tests/softhsm.py),
   the key generated in it, `--signer pkcs11:…`: every transaction signed by the token (CKM_ECDSA),
   its recovery id found locally. Target: ≥ 200 attestations/s.
BENCH_SCALE (default 1) multiplies N.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))

N_FILES = 2_000
PASSWORD = "benchmark only"  # an ephemeral key's keystore, made and deleted by the run
POLL_SECONDS = 0.01
TARGET_RATE, TARGET_RATIO = 500, 1.5
TARGET_HSM_RATE = 200

Row = tuple[str, str, str, str]


def scaled(n: int) -> int:
    return max(10, int(n * float(os.environ.get("BENCH_SCALE", "1"))))


def publish_many(
    root: Path, manifest: Path, key: list[str], rpc_url: str, n: int, env_extra: dict[str, str] | None = None
) -> tuple[float, dict]:
    """Run the script on n fresh files with the key options `key`; (wall seconds, its --json summary)."""
    docs = root / "docs"
    docs.mkdir()
    for i in range(n):
        (docs / f"evidence-{i:06}.txt").write_bytes(f"throughput benchmark evidence {i}\n".encode())
    os.sync()  # the files exist long before a bank publishes them: their write-back is not the script's
    command = [
        sys.executable, str(REPO / "scripts" / "publish_many.py"), str(docs), "--year", "2022",
        "--deployment", str(manifest), *key, "--rpc-url", rpc_url,
        "--journal", str(root / "bench.journal.sqlite"), "--json",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env["ATTEST_PASSWORD"] = PASSWORD
    env.update(env_extra or {})
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"publish_many.py exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    summary: dict = json.loads(done.stdout)
    if summary["outcomes"] != {"sent": n} or len(list(docs.glob("*.receipt.json"))) != n:
        raise SystemExit(f"publish_many.py did not anchor all {n} files: {summary['outcomes']}")
    return seconds, summary


def plain_loop(consortium: object, n: int) -> float:
    """Seconds for n attestations the plain way: sign, send raw, wait for each receipt (10 ms polls)."""
    from attest.core.contracts import Kind

    c = consortium
    chain, account, registry = c.chain, c.bank, c.dep.registry  # type: ignore[attr-defined]
    w3 = chain.w3
    datas = [
        registry.call_data(
            "attest",
            hashlib.sha256(f"plain loop {i}".encode()).digest(),
            int(Kind.FILE),
            2022,
            b"\0" * 32,
            "",
        )
        for i in range(n)
    ]
    template = {"to": registry.address, "chainId": chain.chain_id}
    template["gas"] = chain.estimate_gas({"from": account.address, "to": registry.address, "data": datas[0]})
    chain.set_fees(template)
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    started = time.perf_counter()
    for i, data in enumerate(datas):
        signed = account.sign_transaction({**template, "data": data, "nonce": nonce + i})
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=POLL_SECONDS)
        assert receipt["status"] == 1
    return time.perf_counter() - started


@contextmanager
def fresh_consortium(folder: Path) -> Iterator[tuple[Any, Any, Path, Path]]:
    """A new anvil node (AnvilNode's defaults, as `attest node start` uses the class) with the
    consortium deployed: (node, consortium, manifest, bank keystore)."""
    from conftest import build_consortium

    from attest.chain.connection import Chain
    from attest.chain.keystore import create_keystore
    from attest.devtools.node import AnvilNode, dev_private_keys

    node = AnvilNode(folder / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        manifest = folder / "manifest.json"
        manifest.write_bytes(c.dep.manifest.model_copy(update={"rpc_url": node.rpc_url}).dump())
        keystore = folder / "bank-keystore.json"
        create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
        yield node, c, manifest, keystore
    finally:
        node.stop()


def main() -> list[Row]:
    from attest.chain.sender import signing_backend

    n = scaled(N_FILES)
    with tempfile.TemporaryDirectory(prefix="attest-throughput-") as tmp:
        root = Path(tmp)
        # each on a node of its own, started and set up alike: anvil's blocks (and its state dumps,
        # every second) cost more as its chain grows, so the second would pay for the first's
        (root / "loop").mkdir()
        with fresh_consortium(root / "loop") as (_node, c, _manifest, _keystore):
            loop_s = plain_loop(c, n)
        (root / "script").mkdir()
        with fresh_consortium(root / "script") as (node, _c, manifest, keystore):
            script_s, _summary = publish_many(
                root / "script", manifest, ["--keystore", str(keystore)], node.rpc_url, n
            )
        (root / "hsm").mkdir()
        with fresh_consortium(root / "hsm") as (node, c, manifest, _keystore):
            key, hsm_env = hsm_key(root / "hsm", c)
            hsm_s, _summary = publish_many(root / "hsm", manifest, key, node.rpc_url, n, hsm_env)
    script_rate, loop_rate, hsm_rate = n / script_s, n / loop_s, n / hsm_s
    ratio = script_rate / loop_rate
    return [
        (
            f"scripts/publish_many.py, {n:,} files (subprocess: start-up, scrypt keystore, hashing, "
            "journal, receipts)",
            f"{script_s:.2f} s = {script_rate:,.0f} attestations/s",
            f"≥ {TARGET_RATE}/s",
            _ok(script_rate >= TARGET_RATE),
        ),
        (
            f"  plain web3.py loop, {n:,} attestations (sign, send raw, wait receipt, 10 ms polls; "
            f"{signing_backend()})",
            f"{loop_s:.2f} s = {loop_rate:,.0f} attestations/s",
            "baseline",
            "",
        ),
        ("  publish_many.py / plain loop", f"{ratio:.2f}×", f"≥ {TARGET_RATIO}×", _ok(ratio >= TARGET_RATIO)),
        (
            f"scripts/publish_many.py, {n:,} files, the key in SoftHSM2 (PKCS#11 CKM_ECDSA per transaction)",
            f"{hsm_s:.2f} s = {hsm_rate:,.0f} attestations/s",
            f"≥ {TARGET_HSM_RATE}/s",
            _ok(hsm_rate >= TARGET_HSM_RATE),
        ),
    ]


def hsm_key(folder: Path, c: Any) -> tuple[list[str], dict[str, str]]:
    """A secp256k1 key generated in a SoftHSM2 token of this run's own, made an account of the bank
    (committee vote) and funded: (the script's key options, the environment reaching the token)."""
    from softhsm import USER_PIN, SoftHsm, uri

    from attest.chain.committee import Committee
    from attest.chain.pkcs11 import generate_key
    from attest.core import governance
    from attest.devtools.node import dev_private_keys

    hsm = SoftHsm(folder / "softhsm")
    hsm.init_token("bench")
    with hsm.active():
        signer = generate_key(uri("bench", "bank"), module=hsm.module, pin=lambda _: USER_PIN)
        address = str(signer.address)
        signer.close()
    call = governance.add_account(c.bank_id, address)
    Committee(c.dep).enact(c.committee[:2], call.action, call.data)
    c.chain.fund(address, 10**20, funder_key=dev_private_keys(1)[0])
    return ["--signer", uri("bench", "bank")], hsm.env()


def _ok(good: bool) -> str:
    return "ok" if good else "MISSED"


if __name__ == "__main__":
    from scale import print_table  # type: ignore[import-not-found]  # benchmarks/ is on the path

    print_table(main())
