"""The verification page in a real browser: Debian's Chromium, driven by Playwright, against `attest
serve` over a real anvil node (tests/serve_net.py).

Nothing here downloads a browser: Playwright launches /usr/bin/chromium (or $ATTEST_CHROMIUM) by
path. When it is missing these tests FAIL, saying what to install (`make test` installs it when run
as root). Every page load goes through a request handler that lets through only this server's URLs
and records anything else, and every load the server's Content-Security-Policy refuses is recorded
too; both must stay empty: the page loads nothing from outside.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_net import ServeNet, build_net, serving

pytestmark = pytest.mark.anvil

CONFORMANCE = Path(__file__).resolve().parent / "conformance"
SHOTS = Path(os.environ.get("ATTEST_SCREENSHOTS", "/tmp"))
PHONE = {"width": 360, "height": 740}
PDF_2023 = b"%PDF-1.4\n%% WeBank 2023 sustainability report, draft\n%%EOF\n"


def chromium_path() -> str:
    found = os.environ.get("ATTEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        pytest.fail(
            "Chromium is not installed: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium`, which `make test` runs when root)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeNet]:
    from attest.devtools.node import AnvilNode

    root = tmp_path_factory.mktemp("browser")
    node = AnvilNode(root / "node")
    node.start()
    try:
        yield build_net(root, node.rpc_url)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def url(net: ServeNet) -> Iterator[str]:
    with serving(net) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


class Page:
    """A browser tab on the server, recording every request and refusing those to anywhere else."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int] | None = None) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport=viewport or {"width": 1100, "height": 900}, accept_downloads=True
        )
        self.requests: list[str] = []
        self.outside: list[str] = []

        def route(r: Any) -> None:
            u = r.request.url
            self.requests.append(u)
            if u.startswith(base + "/") or u.startswith("blob:" + base) or u.startswith("data:"):
                r.continue_()
            else:
                self.outside.append(u)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # a load the Content-Security-Policy stops never reaches the route handler: count those too
        self.page.on(
            "console",
            lambda m: self.outside.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def open(self, path: str = "/") -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-ready=true]")
        return self.page

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"the page asked for something outside the server: {self.outside}"
        assert self.errors == [], self.errors


@pytest.fixture
def tab(browser: Any, url: str) -> Iterator[Page]:
    t = Page(browser, url)
    yield t
    t.close()


def verify_file(
    page: Any, document: Path | None = None, receipt: Path | None = None, digest: str = ""
) -> str:
    if document is not None:
        page.set_input_files("#document", str(document))
    if receipt is not None:
        page.set_input_files("#receipt", str(receipt))
    if digest:
        page.fill("#digest", digest)
    page.click("#verify-button")
    page.wait_for_selector("body[data-verdict]", timeout=300_000)
    return str(page.get_attribute("body", "data-verdict"))


def checks(page: Any) -> list[tuple[str, str, str]]:
    """(name, status, text) of each check line; the text with its folded technical detail."""
    return [
        (li.get_attribute("data-check"), li.get_attribute("data-status"), li.text_content())
        for li in page.query_selector_all("ol.checks li")
    ]


def cli_report(net: ServeNet, target: str | Path) -> dict[str, Any]:
    r = net.attest_raw("verify", target, "--json")
    assert r.returncode in (0, 1), r.stderr
    return dict(json.loads(r.stdout)[0])


def test_a_genuine_file_verifies(tab: Page, net: ServeNet) -> None:
    page = tab.open()
    assert verify_file(page, net.pdf) == "verified"
    assert page.inner_text("#verdict") == "VERIFIED"
    cli = cli_report(net, net.pdf)
    assert cli["verified"]
    assert [(n, s) for n, s, _ in checks(page)] == [(c["name"], c["status"]) for c in cli["checks"]]
    lines = {n: text for n, _, text in checks(page)}
    assert lines["anchored"].startswith("✓") and "by WeBank (org #1)" in lines["anchored"]
    assert page.inner_text("#result-digest") == hashlib.sha256(net.pdf.read_bytes()).hexdigest()
    # the links: the JSON is what `attest verify --json` prints, the HTML the self-contained report
    with page.expect_download() as d:
        page.click("text=Report as JSON")
    report = json.loads(Path(d.value.path()).read_text(encoding="utf-8"))
    assert report[0]["verified"] is True
    for mine, theirs in zip(report[0]["checks"], cli["checks"], strict=True):  # the digest line says where
        assert mine == theirs or mine["name"] == "digest", mine
    with page.expect_download() as d:
        page.click("text=Self-contained HTML report")
    html = Path(d.value.path()).read_text(encoding="utf-8")
    assert "esg-attest verification report" in html and "<script" not in html
    page.screenshot(path=str(SHOTS / "attest-serve-verified.png"), full_page=True)


def test_figures_and_statement_verify(tab: Page, net: ServeNet) -> None:
    page = tab.open()
    for document in (net.figures, net.statement):
        page.click("#clear-button")
        verdict = verify_file(page, document)
        cli = cli_report(net, document)
        assert verdict == ("verified" if cli["verified"] else "not-verified")
        assert [(n, s) for n, s, _ in checks(page)] == [(c["name"], c["status"]) for c in cli["checks"]]
        digest = next(text for n, _, text in checks(page) if n == "digest")
        assert "RFC 8785 canonical form" in digest and cli["digest"] in digest


def test_an_edited_file_fails_naming_the_check(tab: Page, net: ServeNet, tmp_path: Path) -> None:
    doc = json.loads(net.figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
    edited = tmp_path / net.figures.name
    edited.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    page = tab.open()
    assert verify_file(page, edited) == "not-verified"
    assert page.inner_text("#verdict") == "NOT VERIFIED"
    failed = [(n, text) for n, s, text in checks(page) if s == "fail"]
    assert [n for n, _ in failed] == ["anchored"]
    assert failed[0][1].startswith("✗") and "this file is not what was published" in failed[0][1]
    cli = cli_report(net, edited)
    assert [(n, s) for n, s, _ in checks(page)] == [(c["name"], c["status"]) for c in cli["checks"]]
    page.screenshot(path=str(SHOTS / "attest-serve-failed.png"), full_page=True)


def test_a_receipt_of_a_batch_verifies(tab: Page, net: ServeNet) -> None:
    bill = net.batch / "bill-0.txt"
    receipt = bill.with_name(bill.name + ".receipt.json")
    page = tab.open()
    assert verify_file(page, bill, receipt) == "verified"
    statuses = {n: s for n, s, _ in checks(page)}
    assert statuses["merkle"] == "pass" and statuses["receipt"] == "pass"
    cli = cli_report(net, receipt)
    assert [(n, s) for n, s, _ in checks(page)] == [(c["name"], c["status"]) for c in cli["checks"]]
    page.click("#clear-button")  # the receipt alone: its digest is the one checked
    assert verify_file(page, receipt=receipt) == "verified"


def test_a_bare_digest_works(tab: Page, net: ServeNet) -> None:
    digest = hashlib.sha256(net.pdf.read_bytes()).hexdigest()
    page = tab.open()
    assert verify_file(page, digest=digest) == "verified"
    lines = {n: text for n, _, text in checks(page)}
    assert "given as a bare digest" in lines["digest"]
    page.click("#clear-button")
    page.fill("#digest", "not-a-digest")
    page.click("#verify-button")
    page.wait_for_selector("body[data-verdict=refused]")
    assert "not a sha256 digest" in page.inner_text("#status")


def test_a_duplicate_key_json_is_refused_in_the_browser(tab: Page, net: ServeNet, tmp_path: Path) -> None:
    """Attack: figures with a second `value` for a metric. JSON.parse keeps the last one, so a
    lenient page would hash the doctored figures as the published ones; the strict parser refuses
    the file and nothing is sent to the server."""
    text = net.figures.read_text(encoding="utf-8")
    original = json.loads(text)["metrics"][0]["value"]
    doctored = text.replace(f'"value": "{original}",', f'"value": "1",\n      "value": "{original}",', 1)
    assert doctored != text
    path = tmp_path / net.figures.name
    path.write_text(doctored, encoding="utf-8")
    page = tab.open()
    assert verify_file(page, path) == "refused"
    message = page.inner_text("#status")
    assert 'duplicate key "value"' in message and "metrics[0].value" in message
    assert "refused in this browser, nothing was sent" in message
    assert not [u for u in tab.requests if u.endswith("/api/verify")]
    cli = net.attest_raw("verify", path)
    assert cli.returncode == 2 and 'duplicate key "value"' in cli.stderr


def test_a_200_mb_file_is_hashed_in_the_browser(tab: Page, tmp_path: Path) -> None:
    big = tmp_path / "annex.bin"
    digest = hashlib.sha256()
    block = random.Random(15).randbytes(1 << 20)
    with big.open("wb") as f:
        for i in range(200):
            chunk = block[i:] + block[:i]
            f.write(chunk)
            digest.update(chunk)
    page = tab.open()
    started = time.monotonic()
    assert verify_file(page, big) == "not-verified"  # never published: `anchored` fails
    wall = time.monotonic() - started
    assert page.inner_text("#result-digest") == digest.hexdigest()
    seconds = float(str(page.get_attribute("body", "data-hash-seconds")))
    print(
        f"\n200 MiB hashed in the browser in {seconds:.2f} s ({200 / seconds:.0f} MiB/s); "
        f"whole check {wall:.2f} s"
    )
    assert [n for n, s, _ in checks(page) if s == "fail"] == ["anchored"]


def test_conformance_vectors_agree_with_attest_hash(tab: Page) -> None:
    """Every shared vector: the browser's canonical text (and digest) is Python's, and it refuses
    exactly the ones Python refuses; every document hashes as `attest hash` said, or is refused."""
    page = tab.open()
    jcs = json.loads((CONFORMANCE / "jcs.json").read_text(encoding="utf-8"))
    got = page.evaluate(
        """async (vectors) => {
          const out = [];
          for (const v of vectors) {
            const bytes = Uint8Array.from(atob(v.input), (c) => c.charCodeAt(0));
            try {
              const text = AttestJSON.canonicalize(AttestJSON.parseStrict(bytes));
              const h = await hashwasm.createSHA256(); h.init(); h.update(new TextEncoder().encode(text));
              out.push({ canonical: text, digest: h.digest("hex") });
            } catch (e) { out.push({ refused: e.message }); }
          }
          return out;
        }""",
        jcs,
    )
    mismatches = []
    for v, g in zip(jcs, got, strict=True):
        if "refuse" in v:
            if "refused" not in g:
                mismatches.append((v["name"], "accepted", g))
        elif (
            g.get("canonical") != v["canonical"]
            or g["digest"] != hashlib.sha256(v["canonical"].encode()).hexdigest()
        ):
            mismatches.append((v["name"], g, v["canonical"]))
    assert mismatches == []
    assert sum("refuse" in v for v in jcs) >= 40 and sum("canonical" in v for v in jcs) >= 25

    listing = json.loads((CONFORMANCE / "documents.json").read_text(encoding="utf-8"))
    files = [
        {
            "name": e["file"],
            "data": base64.b64encode((CONFORMANCE / "documents" / e["file"]).read_bytes()).decode(),
        }
        for e in listing
    ]
    hashed = page.evaluate(
        """async (files) => {
          const out = [];
          for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
            try {
              const r = await AttestVerify.hashDocument(new File([bytes], f.name));
              out.push({ digest: r.digest, rule: r.rule });
            } catch (e) { out.push({ refuse: e.message }); }
          }
          return out;
        }""",
        files,
    )
    for e, h in zip(listing, hashed, strict=True):
        if "refuse" in e:
            assert "refuse" in h, (e["file"], h)
        else:
            assert h == {"digest": e["digest"], "rule": e["rule"]}, e["file"]


def test_numbers_serialise_as_python_does(tab: Page) -> None:
    """3,000 doubles (random bit patterns and random decimal texts) through both canonical forms."""
    from attest.core.canonical import canonical_bytes
    from attest.core.strictjson import load_strict

    rng = random.Random(8785)
    values = []
    while len(values) < 2000:
        (x,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if x == x and abs(x) != float("inf"):
            values.append(repr(x))
    for _ in range(1000):
        mantissa = str(rng.randrange(1, 10 ** rng.randrange(1, 18)))
        values.append(f"{mantissa[:1]}.{mantissa[1:] or '0'}e{rng.randrange(-330, 308)}")
    text = "[" + ",".join(values) + "]"
    expected = canonical_bytes(load_strict(text.encode())).decode()
    page = tab.open()
    got = page.evaluate(
        "(t) => AttestJSON.canonicalize(AttestJSON.parseStrict(new TextEncoder().encode(t)))", text
    )
    assert got == expected


def test_keyboard_alone(tab: Page, net: ServeNet) -> None:
    page = tab.open()
    order = []
    for _ in range(14):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
    for control in ("document", "receipt", "digest", "org", "verify-button", "clear-button"):
        assert control in order, order
    assert (
        order.index("document")
        < order.index("receipt")
        < order.index("digest")
        < order.index("verify-button")
    )
    page.focus("#digest")
    page.keyboard.type(hashlib.sha256(net.pdf.read_bytes()).hexdigest())
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-verdict=verified]")
    assert page.evaluate("document.activeElement.id") == "result-heading"  # the result is announced
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Report as JSON":
            break
    assert page.evaluate("document.activeElement.textContent") == "Report as JSON"


@pytest.mark.parametrize("path", ["/", "/history", "/deployment", "/disclosure"])
def test_every_control_is_labelled_and_a_phone_can_read_it(browser: Any, url: str, path: str) -> None:
    t = Page(browser, url, viewport=PHONE)
    try:
        page = t.open(path)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input,select,textarea,button')].filter((c) => {
                 const byFor = c.id && document.querySelector(`label[for="${c.id}"]`);
                 const text = c.tagName === 'BUTTON' ? c.textContent : '';
                 const name = (c.getAttribute('aria-label') || text).trim();
                 return !byFor && !name;
               }).map((c) => c.outerHTML)"""
        )
        assert unlabelled == []
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate("document.querySelectorAll('h1').length") == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
        assert any(u.startswith(url) for u in t.requests)
    finally:
        t.close()


def test_a_verified_result_fits_a_phone(browser: Any, url: str, net: ServeNet) -> None:
    t = Page(browser, url, viewport=PHONE)
    try:
        page = t.open()
        assert verify_file(page, net.pdf) == "verified"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(SHOTS / "attest-serve-phone.png"), full_page=True)
    finally:
        t.close()


def show_history(page: Any) -> str:
    page.evaluate("document.body.removeAttribute('data-render-ms')")
    page.click("#history-button")
    page.wait_for_selector("body[data-render-ms]")
    return str(page.inner_text("#history-summary"))


def test_history_page(tab: Page, net: ServeNet) -> None:
    """A page at a time, newest first, dated, filtered by year and kind (10,000 attestations:
    benchmarks/history_page.py)."""
    page = tab.open("/history")
    page.select_option("#org-select", label="WeBank (#1)")
    said = show_history(page)
    assert re.fullmatch(
        r"WeBank \(org #1\): (\d+) attestation\(s\) of \1; showing 1–\1, newest first\.", said
    ), said
    years = [o.strip() for o in page.eval_on_selector_all("#year option", "os => os.map(o => o.value)")]
    assert "2022" in years and "2021" in years  # the years offered are the organisation's
    page.select_option("#year", "2022")
    page.select_option("#kind", "figures")
    said = show_history(page)
    assert said == "WeBank (org #1): 1 attestation(s) for 2022 (ESG figures only) of " + said.split(" of ")[1]
    (row,) = page.query_selector_all("#history-table tbody tr")
    cells = [c.inner_text() for c in row.query_selector_all("td")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[0]) and cells[1:3] == ["2022", "ESG figures"]
    assert "current" in cells[3]
    assert page.evaluate("document.documentElement.scrollHeight") <= 900  # one screen
    row.query_selector("summary").click()  # the technical record, folded
    record = row.inner_text()
    assert net.published["figures"]["digest"] in record
    assert "Example Verification Body (org #2): current" in record
    page.screenshot(path=str(SHOTS / "attest-serve-history.png"), full_page=True)


def test_the_history_fits_a_phone(browser: Any, url: str) -> None:
    t = Page(browser, url, viewport=PHONE)
    try:
        page = t.open("/history")
        page.select_option("#org-select", label="WeBank (#1)")
        show_history(page)
        page.locator("#history-table summary").first.click()  # a record opened, its long hashes too
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(SHOTS / "attest-serve-history-phone.png"), full_page=True)
    finally:
        t.close()


def test_the_page_says_in_plain_words_who_published_what_when(tab: Page, net: ServeNet) -> None:
    """The summary sentence (attest.core.report_summary) for a verified, a failed and a revoked
    document: who published it, as what, for which year, when, whether it is still current, and
    what the answer rests on; each line's technical detail folded under its plain summary."""
    from attest.chain.connection import Chain
    from attest.core.report_summary import when

    page = tab.open()
    assert verify_file(page, net.pdf) == "verified"
    cli = cli_report(net, net.pdf)
    said = page.inner_text("#summary")
    block = cli["attestation"]["block_number"]
    assert said.startswith(
        "Verified: WeBank published this document as a document for the reporting year 2022, "
        f"on {when(cli['anchored_at'])} (block {block}), and it is still current: not withdrawn, "
        "not replaced."
    ), said
    # one node: the reader is told that one node was trusted, and which
    assert f"whose hash one node alone ({net.rpc_url}) gave: this server trusted that one node" in said, said
    assert "as the node reports it" not in said  # the time is read from the agreed header
    proofs = page.locator("li[data-check=proofs]")
    assert proofs.locator("summary").inner_text().startswith("Proven against block ")
    assert not proofs.locator(".detail").is_visible()  # storage slots and code hashes folded away
    proofs.locator("summary").click()
    assert proofs.locator(".detail").is_visible() and "codeHash" in proofs.locator(".detail").inner_text()
    page.screenshot(path=str(SHOTS / "attest-serve-verified-plain.png"), full_page=True)

    doc = json.loads(net.figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 7)
    edited = net.root / "edited" / net.figures.name
    edited.parent.mkdir(exist_ok=True)
    edited.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    page = tab.open()
    assert verify_file(page, edited) == "not-verified"
    said = page.inner_text("#summary")
    assert said.startswith(
        "Not verified: the organisation it names published a different document for that year: this "
        "file is not what was published (see the line marked ✗: anchored)."
    ), said
    assert "WeBank published" not in said
    # the proofs line no longer points to a logs line that is not there
    assert "logs line" not in next(t for n, _, t in checks(page) if n == "proofs")
    page.screenshot(path=str(SHOTS / "attest-serve-failed-plain.png"), full_page=True)

    withdrawn = net.root / "published" / "report-2023-draft.pdf"
    withdrawn.write_bytes(PDF_2023)
    keystore = net.root / "bank.keystore.json"
    net.attest("publish", "file", withdrawn, "--year", "2023", "--keystore", keystore, "--json")
    (receipt,) = withdrawn.parent.glob(withdrawn.name + "*.receipt.json") or withdrawn.parent.glob(
        withdrawn.stem + "*.receipt.json"
    )
    gone = net.attest(
        "revoke", receipt, "--reason", "the draft, not the final report", "--keystore", keystore, "--json"
    )
    page = tab.open()
    assert verify_file(page, withdrawn) == "not-verified"
    cli = cli_report(net, withdrawn)
    said = page.inner_text("#summary")
    revoked_at = when(Chain.connect(net.rpc_url).timestamp(gone["block_number"]))
    assert said.startswith(
        "Not verified: WeBank published this document as a document for the reporting year 2023, "
        f"on {when(cli['anchored_at'])} (block {cli['attestation']['block_number']}), but it has been "
        f"withdrawn: revoked by its publisher on {revoked_at} (block {gone['block_number']}), giving "
        "as reason “the draft, not the final report” (see the line marked ✗: status)."
    ), said
    assert [n for n, s, _ in checks(page) if s == "fail"] == ["status"]
    page.screenshot(path=str(SHOTS / "attest-serve-revoked-plain.png"), full_page=True)


def test_deployment_page(tab: Page, net: ServeNet) -> None:
    page = tab.open("/deployment")
    page.wait_for_selector("#verdict")
    assert "Code verified" in page.inner_text("#verdict")
    assert page.inner_text("#manifest-sha256") == hashlib.sha256(net.manifest.read_bytes()).hexdigest()
    manifest = json.loads(net.manifest.read_text())
    body = page.inner_text("#result-body")
    assert manifest["registry"]["address"] in body and manifest["governance"]["address"] in body
    assert "31337" in body


def test_disclosure_page(tab: Page, net: ServeNet, tmp_path: Path) -> None:
    page = tab.open("/disclosure")
    page.set_input_files("#proof", str(net.proof))
    page.click("#disclosure-button")
    page.wait_for_selector("body[data-verdict]")
    assert page.get_attribute("body", "data-verdict") == "verified"
    statuses = {n: s for n, s, _ in checks(page)}
    assert statuses["proof"] == "pass" and statuses["bound"] == "pass" and statuses["audit"] == "warn"
    doctored = json.loads(net.proof.read_text(encoding="utf-8"))
    doctored["metric"]["value"] = "1"
    fake = tmp_path / "paper.proof.json"
    fake.write_text(json.dumps(doctored), encoding="utf-8")
    page.set_input_files("#proof", str(fake))
    page.click("#disclosure-button")
    page.wait_for_selector("body[data-verdict=not-verified]")
    assert {n: s for n, s, _ in checks(page)}["leaf"] == "fail"


def test_a_statement_retiring_for_another_beneficiary_fails_on_the_page_as_in_the_cli(
    tab: Page, net: ServeNet
) -> None:
    """A carbon-verification/2 statement whose credits are retired for another company: the CLI
    fails its `retirement` line. The page used to send only the digest and the document's claims,
    so the retirement lines (and `credits: recorded`) silently disappeared and it said VERIFIED."""
    from serve_net import STATEMENT

    doc = json.loads((STATEMENT.parent / "illustrative-carbon-verification-2022-v2.json").read_text("utf-8"))
    doc["verifier"]["name"] = json.loads(net.statement.read_text("utf-8"))["verifier"]["name"]
    for retirement in doc["neutrality_claim"]["retirements"]:
        retirement["beneficiary"] = "Another Company Ltd."
    other = net.root / "published" / "statement-other-beneficiary.json"
    other.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    receipt = net.figures.with_name(net.figures.stem + ".receipt.json")
    keystore = net.root / "verifier.keystore.json"
    net.attest("publish", "statement", other, "--covers", receipt, "--keystore", keystore, "--json")
    cli = cli_report(net, other)
    assert not cli["verified"]
    failed = {c["name"] for c in cli["checks"] if c["status"] == "fail"}
    assert any(name.startswith("retirement") for name in failed), cli["checks"]
    page = tab.open()
    assert verify_file(page, other) == "not-verified"
    assert [(n, s) for n, s, _ in checks(page)] == [(c["name"], c["status"]) for c in cli["checks"]]
    assert any(n == "credits: recorded" for n, _, _ in checks(page))
