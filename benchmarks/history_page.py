"""The history page at 10,000 attestations, in Chromium, against `attest serve` over a real anvil.

WeBank publishes 10,000 attestations through the anchor path (`publish_documents`, as
benchmarks/scale.py does): ESG figures for 2015–2024 and 9,990 small files spread over those years,
then withdraws five. `attest serve` runs as a child process; Debian's Chromium (Playwright, by path)
opens /history and each step is timed from the click to the rows drawn (`body[data-render-ms]`):
the first page on a freshly started server (which reads each organisation's `Attested` logs in the
background as it starts, then only the new blocks'), then, five times over, the next and the last
page, one year, one kind, and page 1 again after a new block. Each must be drawn in under 0.5 s
(the median; the worst is printed too) and fit one 1100×900 screen. Click-to-drawn, in the browser:
the server's answer, the JSON, the DOM. BENCH_SCALE shrinks the history (0.1 for a quick run).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

N = 10_000
VIEWPORT = {"width": 1100, "height": 900}
TARGET_S = 0.5
ROUNDS = 5


def scaled(n: int) -> int:
    return max(20, int(n * float(os.environ.get("BENCH_SCALE", "1"))))


def build(root: Path, rpc_url: str, n: int) -> Path:
    """The consortium, WeBank's `n` attestations and five withdrawn; the manifest's path."""
    from conftest import EXAMPLES, build_consortium

    from attest.app.journal import Journal
    from attest.app.publishing import PublishResult, ToPublish, prepare, publish_documents
    from attest.chain.anchoring import revoke
    from attest.chain.connection import Chain
    from attest.core.contracts import Kind
    from attest.devtools.node import dev_private_keys

    c = build_consortium(Chain.connect(rpc_url), funder_key=dev_private_keys(1)[0])
    manifest = root / "deployment.json"
    manifest.write_bytes(c.dep.manifest.model_copy(update={"rpc_url": rpc_url}).dump())
    docs = root / "docs"
    docs.mkdir()
    items = []
    base = json.loads((EXAMPLES / "webank-2022-figures.json").read_text("utf-8"))
    for year in range(2015, 2025):
        figures = {
            **base,
            "reporting_year": year,
            "period": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        }
        path = docs / f"webank-{year}-figures.json"
        path.write_text(json.dumps(figures, ensure_ascii=False), "utf-8")
        doc, stated = prepare(path, kind=Kind.FIGURES, year=None)
        items.append(ToPublish(doc, Kind.FIGURES, stated))
    for i in range(n - len(items)):
        path = docs / f"evidence-{i:06}.txt"
        path.write_bytes(f"WeBank evidence document {i}\n".encode() * 3)
        doc, year = prepare(path, kind=Kind.FILE, year=2015 + i % 10)
        items.append(ToPublish(doc, Kind.FILE, year))
    with Journal(root / "journal.sqlite") as journal:
        done = list(publish_documents(c.dep, c.bank, items, journal=journal))
    assert all(isinstance(d, PublishResult) for d in done), "a publication failed"
    for d in done[10 : 10 + 5 * 40 : 40]:
        assert isinstance(d, PublishResult)
        revoke(c.dep, c.bank, d.receipt.attestation.uid, "a typo in the evidence")
    return manifest


def serve(manifest: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "attest"), "serve", "-d", str(manifest), "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("attest serve did not start") from None
            time.sleep(0.2)


def mine(rpc_url: str) -> None:
    """One empty block: the chain moves on between pages, as a consortium chain does."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}).encode()
    request = urllib.request.Request(rpc_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def measure(base: str, rpc_url: str, screenshot: Path | None = None) -> list[tuple[str, str, str, str]]:
    """Each step timed from the click to the rows drawn: the first page once, the others ROUNDS
    times (median and worst reported: the machine may be shared)."""
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from statistics import median

    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    sizes: dict[str, tuple[int, int, int]] = {}
    with sync_playwright() as p:
        chromium = os.environ.get("ATTEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(base + "/history")
        page.wait_for_selector("body[data-ready=true]")
        page.select_option("#org-select", label="WeBank (#1)")

        def pick(year: str, kind: str) -> Callable[[], Any]:
            return lambda: (
                page.select_option("#year", year),
                page.select_option("#kind", kind),
                page.click("#history-button"),
            )

        def step(label: str, action: Callable[[], Any]) -> None:
            page.evaluate("document.body.removeAttribute('data-render-ms')")
            started = time.perf_counter()
            action()
            page.wait_for_selector("body[data-render-ms]")
            times.setdefault(label, []).append(time.perf_counter() - started)
            width, height = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            shown = page.evaluate("document.querySelectorAll('#history-table tbody tr').length")
            sizes[label] = (width, height, shown)

        step("first page, server just started", lambda: page.click("#history-button"))
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        for _ in range(ROUNDS):
            step("next page", lambda: page.click("text=Next ›"))
            step("last page", lambda: page.click("text=Last »"))
            step("one year (2019)", pick("2019", ""))
            step("one kind (ESG figures)", pick("", "figures"))
            mine(rpc_url)
            step("page 1 after a new block", pick("", ""))
        browser.close()
    rows = []
    for label, seconds in times.items():
        width, height, shown = sizes[label]
        fits = width <= VIEWPORT["width"] and height <= VIEWPORT["height"]
        middle = median(seconds)
        measured = f"{middle * 1000:.0f} ms" + (
            f" (median of {len(seconds)}, worst {max(seconds) * 1000:.0f} ms)" if len(seconds) > 1 else ""
        )
        rows.append(
            (
                f"history page: {label} ({shown} rows, {width}×{height} px)",
                measured,
                f"< {TARGET_S * 1000:.0f} ms, one screen",
                "ok" if middle < TARGET_S and fits else "MISSED",
            )
        )
    return rows


def main() -> list[tuple[str, str, str, str]]:
    from serve_net import free_port

    from attest.devtools.node import AnvilNode

    n = scaled(N)
    with tempfile.TemporaryDirectory(prefix="attest-bench-history-") as tmp:
        root = Path(tmp)
        node = AnvilNode(root / "node")
        node.start()
        try:
            started = time.perf_counter()
            manifest = build(root, node.rpc_url, n)
            rows = [(f"publish {n:,} attestations (setup)", f"{time.perf_counter() - started:.1f} s", "", "")]
            port = free_port()
            proc = serve(manifest, port)
            try:
                shot = os.environ.get("ATTEST_SCREENSHOT")
                rows += measure(f"http://127.0.0.1:{port}", node.rpc_url, Path(shot) if shot else None)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=15)
        finally:
            node.stop()
    return rows


if __name__ == "__main__":
    from scale import print_table

    print_table(main())
