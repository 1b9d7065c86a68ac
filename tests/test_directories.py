"""A folder handed to an auditor cannot hide a document, and publishing cannot lose one's receipt.

Case 2 of "Nothing on faith" (and case 1 for `publish batch`). Every test is an attack by the party
being audited, or a publishing mistake that would lose a record; each must end NOT VERIFIED with a
line saying why, or as a refusal before anything is sent. Real contracts on the embedded chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES, Consortium, build_consortium

from attest.app.batch import publish_batch
from attest.app.bulk import expand_targets, verify_many
from attest.app.publishing import publish
from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.errors import InputError
from attest.core.verification import Report

FIGURES = EXAMPLES / "webank-2022-figures.json"


@pytest.fixture(scope="module")
def _world() -> Consortium:
    return build_consortium(Chain.embedded())


@pytest.fixture
def c(_world: Consortium) -> Iterator[Consortium]:
    """The shared deployment, reverted to its fresh state after each test."""
    snapshot = _world.chain.tester.take_snapshot()
    try:
        yield _world
    finally:
        _world.chain.tester.revert_to_snapshot(snapshot)


def verify_folder(c: Consortium, folder: Path) -> dict[str, Report]:
    """`attest verify FOLDER`'s reports, by target file name."""
    targets = expand_targets([str(folder)])
    return {Path(r.subject).name: r for r in verify_many(c.dep, targets)}


def failing(report: Report) -> dict[str, str]:
    return {ch.name: ch.detail for ch in report.checks if ch.status == "fail"}


def sent(c: Consortium) -> int:
    return int(c.chain.w3.eth.get_transaction_count(c.bank.address))


def test_a_receipt_without_its_document_fails_in_a_directory(c: Consortium, tmp_path: Path) -> None:
    """A genuine receipt left in the folder while its document was taken out used to show
    "✓ digest from the receipt; document not at hand" and count as verified."""
    doc = tmp_path / "annex.pdf"
    doc.write_bytes(b"%PDF-1.4 an annex that was published\n")
    publish(c.dep, c.bank, doc, kind=Kind.FILE, year=2022)
    doc.unlink()
    reports = verify_folder(c, tmp_path)
    assert list(reports) == ["annex.pdf.receipt.json"]
    report = reports["annex.pdf.receipt.json"]
    assert not report.verified
    assert "its document 'annex.pdf' is not in the directory" in failing(report)["receipt"]


def test_a_receipt_for_another_name_cannot_hide_the_file_beside_it(c: Consortium, tmp_path: Path) -> None:
    """`notes` and `notes.json` share the receipt name `notes.receipt.json`. The folder holds an
    unpublished `notes` and the genuine receipt of a `notes.json` that is not there: `notes` used
    to be skipped as "checked through its receipt", and the receipt verified alone."""
    genuine = tmp_path / "elsewhere" / "notes.json"
    genuine.parent.mkdir()
    genuine.write_text('{"memo": "published"}\n')
    publish(c.dep, c.bank, genuine, kind=Kind.FILE, year=2022)
    folder = tmp_path / "handed-over"
    folder.mkdir()
    (folder / "notes").write_bytes(b"never published, edited numbers\n")
    (folder / "notes.receipt.json").write_bytes((genuine.parent / "notes.receipt.json").read_bytes())
    reports = verify_folder(c, folder)
    assert list(reports) == ["notes.receipt.json"]
    report = reports["notes.receipt.json"]
    assert not report.verified
    assert (
        "beside the receipt notes.receipt.json is 'notes', which it does not describe"
        in (failing(report)["receipt"])
    )


def test_two_documents_sharing_a_receipt_name_are_each_judged(c: Consortium, tmp_path: Path) -> None:
    """With both `notes` and `notes.json` present and only `notes.json` published, `notes` is judged
    on its own (and fails: it was never anchored) instead of being skipped."""
    published = tmp_path / "notes.json"
    published.write_text('{"memo": "published"}\n')
    publish(c.dep, c.bank, published, kind=Kind.FILE, year=2022)
    (tmp_path / "notes").write_bytes(b"never published\n")
    reports = verify_folder(c, tmp_path)
    assert set(reports) == {"notes", "notes.json", "notes.receipt.json"}
    assert reports["notes.receipt.json"].verified
    assert not reports["notes"].verified and "anchored" in failing(reports["notes"])


def test_every_document_with_its_receipt_verifies(c: Consortium, tmp_path: Path) -> None:
    """The honest folder: each document through its receipt, nothing skipped but what is listed."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 a\n")
    figures = tmp_path / FIGURES.name
    figures.write_bytes(FIGURES.read_bytes())
    publish(c.dep, c.bank, tmp_path / "a.pdf", kind=Kind.FILE, year=2022)
    publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    targets = expand_targets([str(tmp_path)])
    assert [Path(t).name for t in targets] == ["a.pdf.receipt.json", "webank-2022-figures.receipt.json"]
    assert [Path(p).name for p, _ in targets.skipped] == [".DS_Store"]
    assert all(r.verified for r in verify_many(c.dep, targets))


def test_publishing_never_overwrites_another_documents_receipt(c: Consortium, tmp_path: Path) -> None:
    """`x` was published; publishing `x.json` would write `x.receipt.json` over `x`'s receipt and
    lose it. Refused before anything is sent; `x`'s receipt is untouched."""
    x = tmp_path / "x"
    x.write_bytes(b"first document\n")
    publish(c.dep, c.bank, x, kind=Kind.FILE, year=2022)
    receipt = (tmp_path / "x.receipt.json").read_bytes()
    (tmp_path / "x.json").write_text('{"another": "document"}\n')
    before = sent(c)
    with pytest.raises(InputError, match=r"x\.receipt\.json beside it is the receipt of 'x'"):
        publish(c.dep, c.bank, tmp_path / "x.json", kind=Kind.FILE, year=2022)
    with pytest.raises(InputError, match=r"x\.receipt\.json beside it is the receipt of 'x'"):
        publish_batch(c.dep, c.bank, [tmp_path / "x.json"], year=2022)
    assert sent(c) == before
    assert (tmp_path / "x.receipt.json").read_bytes() == receipt


def test_two_documents_claiming_one_receipt_in_one_run_are_refused(c: Consortium, tmp_path: Path) -> None:
    (tmp_path / "x").write_bytes(b"one\n")
    (tmp_path / "x.json").write_text('{"two": 2}\n')
    before = sent(c)
    with pytest.raises(InputError, match="would overwrite that of"):
        publish_batch(c.dep, c.bank, [tmp_path / "x", tmp_path / "x.json"], year=2022)
    assert sent(c) == before and not (tmp_path / "x.receipt.json").exists()


@pytest.mark.parametrize("name", ["figures.json", "figures.txt"])
def test_a_batch_refuses_a_structured_document(c: Consortium, tmp_path: Path, name: str) -> None:
    """Case 1: figures in a batch would be anchored as a raw-bytes leaf, which never verifies as
    figures; refused (whatever the file is called) before the root is sent."""
    (tmp_path / "annex.pdf").write_bytes(b"%PDF-1.4 annex\n")
    (tmp_path / name).write_bytes(FIGURES.read_bytes())
    before = sent(c)
    with pytest.raises(InputError, match=r"is an esg-figures/1 document: publish it as figures") as err:
        publish_batch(c.dep, c.bank, sorted(tmp_path.iterdir()), year=2022)
    assert err.value.path is not None and Path(err.value.path).name == name
    assert sent(c) == before
    assert not list(tmp_path.glob("*.receipt.json"))


def test_a_batch_takes_json_that_is_not_ours_as_a_plain_file(c: Consortium, tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text(json.dumps({"schema": "someone-else/1", "x": 1}))
    result = publish_batch(c.dep, c.bank, [tmp_path / "data.json"], year=2022)
    assert result.files == 1
