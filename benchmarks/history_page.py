"""The history page at 10,000 attestations, in Chromium, against `attest serve` over a real anvil.

WeBank publishes 10,000 attestations through the anchor path (`publish_documents`, as
benchmarks/scale.py does): ESG figures for 2015–2024 and 9,990 small files spread over those years,
then withdraws five. `attest serve` runs as a child process; Debian's Chromium (Playwright, by path)
opens /history and each step is timed from the click to the rows drawn (`body[data-render-ms]`):
the first page on a freshly started server (which reads the organisation's 10,000 `Attested` events
once per head block), the next and the last page, one year, one kind. The page must be drawn in
under 0.5 s and fit one 1100×900 screen. BENCH_SCALE shrinks the history (e.g. 0.1 for a quick run).
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


def scaled(n: int) -> int:
    return max(20, int(n * float(os.environ.get("BENCH_SCALE", "1"))))


def build(root: Path, rpc_url: str, n: int) -> Path:
    """The consortium, WeBank's `n` attestations and five withdrawn; the manifest's path."""
    from conftest import EXAMPLES, build_consortium

    from attest.app.journal import Journal
    from attest.app.publishing import PublishResult, ToPublish, prepare, publish_documents
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
        c.dep.revoke(c.bank, d.receipt.attestation.uid, "a typo in the evidence")
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


def measure(base: str, screenshot: Path | None = None) -> list[tuple[str, str, str, str]]:
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from playwright.sync_api import sync_playwright

    rows: list[tuple[str, str, str, str]] = []
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

        steps: list[tuple[str, Callable[[], Any]]] = [
            ("first page, server just started", lambda: page.click("#history-button")),
            ("next page", lambda: page.click("text=Next ›")),
            ("last page", lambda: page.click("text=Last »")),
            ("one year (2019)", pick("2019", "")),
            ("one kind (ESG figures)", pick("", "figures")),
        ]
        for label, action in steps:
            page.evaluate("document.body.removeAttribute('data-render-ms')")
            started = time.perf_counter()
            action()
            page.wait_for_selector("body[data-render-ms]")
            seconds = time.perf_counter() - started
            width, height = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            shown = page.evaluate("document.querySelectorAll('#history-table tbody tr').length")
            fits = width <= VIEWPORT["width"] and height <= VIEWPORT["height"]
            rows.append(
                (
                    f"history page: {label} ({shown} rows; {page.inner_text('#history-summary')})",
                    f"{seconds * 1000:.0f} ms, {width}×{height} px",
                    f"< {TARGET_S * 1000:.0f} ms, one screen",
                    "ok" if seconds < TARGET_S and fits else "MISSED",
                )
            )
            if screenshot is not None and label.startswith("first"):
                page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
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
                rows += measure(f"http://127.0.0.1:{port}", Path(shot) if shot else None)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=15)
        finally:
            node.stop()
    return rows


if __name__ == "__main__":
    from scale import print_table

    print_table(main())
