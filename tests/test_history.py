"""`attest history`: an organisation's attestations with their status and the statements covering them.

The story: WeBank publishes 2022 figures, a verifier covers them, WeBank restates them (the old set
is superseded), the committee revokes the verifier's statement, and WeBank revokes a 2021 PDF.
Library on the embedded chain, then the real CLI against a real anvil node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, build_consortium
from eth_abi import encode
from worlds import run_attest

from attest.app.history import organisation_history
from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.core.contracts import Action, Kind


@dataclass
class Story:
    c: Consortium
    old: str
    new: str
    statement: str
    pdf: str


def tell(c: Consortium, d: Path) -> Story:
    figures, statement = d / "webank-2022-figures.json", d / "statement.json"
    shutil.copyfile(EXAMPLES / "webank-2022-figures.json", figures)
    shutil.copyfile(EXAMPLES / "illustrative-carbon-verification-2022.json", statement)
    old = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    st = publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=old).published.attestation.uid
    doc = json.loads(figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 3)
    restated = d / "webank-2022-restated.json"
    restated.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    new = publish(c.dep, c.bank, restated, kind=Kind.FIGURES, ref=old).published.attestation.uid
    registry = c.dep.manifest.registry.address
    data = encode(["address", "bytes32", "string"], [registry, bytes.fromhex(st[2:]), "<b>lapsed</b>"])
    Committee(c.dep).enact(c.committee[:2], Action.REVOKE_ATTESTATION, data)
    pdf = d / "report-2021.pdf"
    pdf.write_bytes(b"%PDF-1.4 WeBank 2021\n%%EOF\n")
    pdf_uid = publish(c.dep, c.bank, pdf, kind=Kind.FILE, year=2021).published.attestation.uid
    revoke(c.dep, c.bank, pdf_uid, "wrong file uploaded")
    return Story(c, old, new, st, pdf_uid)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return tell(build_consortium(Chain.embedded()), tmp_path_factory.mktemp("history"))


def test_year_2022_lists_both_figures_with_status_and_coverage(story: Story) -> None:
    entries = organisation_history(story.c.dep, story.c.bank_id, 2022)
    assert [e.attestation.uid for e in entries] == [story.old, story.new]
    old, new = entries
    assert old.status == f"superseded by {story.new}"
    assert new.status == "current" and new.covered_by == []
    (cov,) = old.covered_by
    assert cov.statement.uid == story.statement
    assert cov.verifier == f"Example Carbon Verification Body (illustrative) (org #{story.c.verifier_id})"
    assert cov.status.startswith("revoked at block ") and "by the committee" in cov.status
    assert cov.status.endswith(": <b>lapsed</b>")
    j = old.to_json()
    assert j["current"] is False and j["superseded_by"] == story.new
    assert j["covered_by"][0]["status"] == cov.status


def test_all_years_and_revocation_by_the_organisation(story: Story) -> None:
    entries = organisation_history(story.c.dep, story.c.bank_id)
    assert [e.attestation.year for e in entries] == [2022, 2022, 2021]
    pdf = entries[2]
    assert pdf.attestation.uid == story.pdf
    assert pdf.status.startswith("revoked at block ")
    assert f"by WeBank (org #{story.c.bank_id}), account {story.c.bank.address}" in pdf.status
    assert pdf.status.endswith(": wrong file uploaded")
    assert pdf.to_json()["revocation"]["reason"] == "wrong file uploaded"


def test_a_page_of_the_history_newest_first_filtered_and_dated(story: Story) -> None:
    """What the page shows: a page at a time, newest first, by year and kind, each row dated; the
    counts from the events, the page's rows settled as `organisation_history` settles them."""
    from attest.app.history import history_page

    dep, bank = story.c.dep, story.c.bank_id
    every = history_page(dep, bank, per_page=2)
    assert (every.total, every.matching, every.pages, every.page) == (3, 3, 2, 1)
    assert [e.attestation.uid for e in every.entries] == [story.pdf, story.new]
    assert every.years == [(2022, 2), (2021, 1)] and every.kinds == [("figures", 2), ("file", 1)]
    assert set(every.anchored_at) == {e.attestation.block_number for e in every.entries}
    for e in every.entries:
        assert every.anchored_at[e.attestation.block_number] == dep.chain.timestamp(
            e.attestation.block_number
        )
    last = history_page(dep, bank, per_page=2, page=99)  # past the end: the last page
    assert last.page == 2 and [e.attestation.uid for e in last.entries] == [story.old]
    whole = {e.attestation.uid: e for e in organisation_history(dep, bank)}
    assert last.entries[0] == whole[story.old] and every.entries[0] == whole[story.pdf]  # settled alike
    figures = history_page(dep, bank, year=2022, kind=Kind.FIGURES)
    assert figures.matching == 2 and [e.attestation.uid for e in figures.entries] == [story.new, story.old]
    assert history_page(dep, bank, year=2021, kind=Kind.FIGURES).entries == []


def test_the_history_index_reads_only_new_blocks(consortium: Consortium, tmp_path: Path) -> None:
    """A server keeps an organisation's index and reads only the blocks after it; the same chain
    head gives the same index back; a block no longer the chain's (a reorganisation) reads all."""
    from dataclasses import replace

    from attest.app.history import history_index, history_page

    c = consortium
    first = tmp_path / "a.pdf"
    first.write_bytes(b"%PDF-1.4 first\n")
    publish(c.dep, c.bank, first, kind=Kind.FILE, year=2020)
    index = history_index(c.dep, c.bank_id)
    assert len(index.placed) == 1 and history_index(c.dep, c.bank_id, index) is index
    second = tmp_path / "b.pdf"
    second.write_bytes(b"%PDF-1.4 second\n")
    publish(c.dep, c.bank, second, kind=Kind.FILE, year=2021)
    asked: list[tuple[int | None, int | None]] = []
    read = c.dep.attested_logs_by_org

    def spy(org_id: int, from_block: int | None = None, to_block: int | None = None) -> list[Any]:
        asked.append((from_block, to_block))
        return read(org_id, from_block, to_block)

    c.dep.attested_logs_by_org = spy  # type: ignore[method-assign]
    newer = history_index(c.dep, c.bank_id, index)
    assert asked == [(index.block + 1, newer.block)] and len(newer.placed) == 2
    page = history_page(c.dep, c.bank_id, index=newer)
    assert [e.attestation.year for e in page.entries] == [2021, 2020]
    forked = replace(index, block_hash="0x" + "00" * 32)  # that block is not the chain's any more
    again = history_index(c.dep, c.bank_id, forked)
    assert asked[-1] == (None, again.block) and len(again.placed) == 2


def test_a_verifiers_history_shows_what_it_covers(story: Story) -> None:
    (e,) = organisation_history(story.c.dep, story.c.verifier_id, 2022)
    assert e.attestation.kind is Kind.STATEMENT and e.attestation.ref == story.old
    assert organisation_history(story.c.dep, story.c.verifier_id, 2019) == []


def test_unknown_organisation_is_input_error(story: Story) -> None:
    from attest.core.errors import InputError

    with pytest.raises(InputError, match="no admitted organisation #99"):
        organisation_history(story.c.dep, 99)


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, cwd=cwd, timeout=120)


@pytest.mark.anvil
def test_cli_history_on_anvil(anvil: Any, tmp_path: Path) -> None:
    from attest.core.manifest import write_atomic
    from attest.devtools.node import dev_private_keys

    c = build_consortium(Chain.connect(anvil.rpc_url), funder_key=dev_private_keys(1)[0])
    s = tell(c, tmp_path)
    manifest = tmp_path / "deployment.json"
    write_atomic(manifest, c.dep.manifest.dump())
    common = ("--deployment", manifest, "--rpc-url", anvil.rpc_url)
    r = _run("history", "--org", "WeBank", "--year", "2022", *common, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["organisation"] == "WeBank" and data["year"] == 2022
    assert [a["status"] for a in data["attestations"]] == [f"superseded by {s.new}", "current"]
    assert data["attestations"][0]["covered_by"][0]["uid"] == s.statement
    human = _run("history", "--org", str(c.bank_id), *common, cwd=tmp_path)
    assert human.returncode == 0, human.stderr
    assert "WeBank (org #1): 3 attestation(s)" in human.stdout
    assert f"superseded by {s.new}" in human.stdout and "wrong file uploaded" in human.stdout
    assert "covered by no verification statement" in human.stdout
    bad = _run("history", "--org", "Nobody", *common, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--org" in bad.stderr
