"""The auditor's HTML report: every check, the chain data relied on, escaped, self-contained."""

from __future__ import annotations

import re
import shutil
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import EXAMPLES, build_consortium

from attest.app.publishing import publish
from attest.app.verify import verify_pair
from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.records import OnchainAttestation
from attest.core.report_html import ReportContext, render_html
from attest.core.verification import Check, Report

EVIL = '<script>alert("x")</script>'


def context(**changes: object) -> ReportContext:
    base = dict(
        chain_id=1337,
        network="embedded",
        registry="0x" + "aa" * 20,
        governance="0x" + "bb" * 20,
        manifest_path="/audit/deployment.json",
        manifest_sha256="cc" * 32,
        head_block=42,
        head_block_hash="0x" + "dd" * 32,
        confirmations_required=2,
        generated_at=1_700_000_000,
        tool_version="0.1.0",
        command="attest verify f.json",
    )
    base.update(changes)
    return ReportContext(**base)  # type: ignore[arg-type]


def attestation(**changes: object) -> OnchainAttestation:
    base = dict(
        uid="0x" + "11" * 32,
        digest="22" * 32,
        org_id=1,
        attester="0x" + "33" * 20,
        kind=Kind.FIGURES,
        year=2022,
        ref="0x" + "00" * 32,
        uri="",
        block_number=10,
        log_index=0,
        block_hash="0x" + "44" * 32,
        transaction_hash="0x" + "55" * 32,
        revoked=False,
        revocation=None,
        superseded_by=None,
    )
    base.update(changes)
    return OnchainAttestation(**base)  # type: ignore[arg-type]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def tags_of(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def test_every_check_and_the_chain_data_are_in_the_page() -> None:
    checks = [
        Check("digest", "pass", "sha256 " + "22" * 32),
        Check("anchored", "pass", "figures for 2022 by WeBank"),
        Check("authorised", "pass", "held the PUBLISHER role"),
        Check("status", "fail", "superseded by restatement 0x" + "66" * 32),
        Check("coverage", "info", "no verification statement covers these figures yet"),
    ]
    report = Report("figures.json", "22" * 32, checks, attestation(), anchored_at=1_690_000_000)
    page = render_html([report], context())
    for c in checks:
        assert c.name in page and c.detail in page
    chain_data = ("1337", "0x" + "aa" * 20, "0x" + "bb" * 20, "/audit/deployment.json")
    chain_data += ("cc" * 32, "0x" + "dd" * 32)
    for value in chain_data:
        assert value in page
    for value in ("0x" + "11" * 32, "22" * 32, "0x" + "44" * 32, "0x" + "55" * 32):
        assert value in page
    assert "2023-07-22 04:26:40 UTC" in page  # anchored_at
    assert "2023-11-14 22:13:20 UTC" in page  # generated_at
    assert "esg-attest 0.1.0" in page
    assert "NOT VERIFIED (failed: status)" in page


def test_values_are_escaped() -> None:
    checks = [Check("digest", "pass", "ok"), Check("anchored", "fail", f"named {EVIL}")]
    report = Report(f"dir/{EVIL}.json", "22" * 32, checks, attestation(uri=EVIL))
    page = render_html([report], context(network=EVIL, command=f"attest verify '{EVIL}'"))
    assert EVIL not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "script" not in tags_of(page).tags


def test_page_is_self_contained() -> None:
    page = render_html([Report("x", "22" * 32, [Check("digest", "pass", "ok")], None)], context())
    parsed = tags_of(page)
    assert not {"script", "link", "img", "iframe", "object"} & set(parsed.tags)
    assert not any(name in ("src", "href") for name, _ in parsed.attrs)
    assert not re.search(r"(?i)url\(|@import|https?://", page)
    assert "attestation</th><td>none relied on" in page


@pytest.fixture(scope="module")
def real_pair(tmp_path_factory: pytest.TempPathFactory) -> list[Report]:
    c = build_consortium(Chain.embedded())
    d: Path = tmp_path_factory.mktemp("html")
    figures, statement = d / "f.json", d / "s.json"
    shutil.copyfile(EXAMPLES / "webank-2022-figures.json", figures)
    shutil.copyfile(EXAMPLES / "illustrative-carbon-verification-2022.json", statement)
    f = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation
    publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=f.uid)
    return list(verify_pair(c.dep, str(figures), str(statement)))


def test_a_real_pair_renders_every_line(real_pair: list[Report]) -> None:
    page = render_html(real_pair, context())
    assert all(r.verified for r in real_pair)
    for r in real_pair:
        assert r.attestation is not None
        assert r.attestation.transaction_hash in page and r.attestation.block_hash in page
        for c in r.checks:
            assert escape(c.name) in page and escape(c.detail) in page
    assert "cross-check: carbon neutrality" in page
    assert page.count("VERIFIED") >= 3  # overall and each report
