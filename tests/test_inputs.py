"""attest.core.inputs: which files a publishing command's arguments stand for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from attest.core.errors import InputError
from attest.core.inputs import collect_files, walk


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    d = tmp_path / "evidence"
    for rel in ("b.txt", "a/2.txt", "a/1.txt", "a-b.txt", "a/deep/x.pdf", ".git/config", "report.json"):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(rel)
    (d / ".hidden.txt").write_text("h")
    (d / "report.receipt.json").write_text("{}")
    (d / "report.canonical.json").write_text("{}")
    (d / ".report.receipt.json.tmp42").write_text("{")
    return d


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_directory_walk_order_and_exclusions(tree: Path) -> None:
    got = collect_files([str(tree)])
    # path order (as sorted(Path.rglob) gave): a/… before a-b.txt; hidden entries and our outputs left out
    assert names(got.files, tree) == ["a/1.txt", "a/2.txt", "a/deep/x.pdf", "a-b.txt", "b.txt", "report.json"]
    # hidden entries are listed, never dropped silently; a hidden directory is not looked into
    assert [(p.relative_to(tree).as_posix(), why.split(" (")[0]) for p, why in got.skipped] == [
        (".git", "hidden directory"),
        (".hidden.txt", "hidden entry"),
        (".report.receipt.json.tmp42", "hidden entry"),
    ]


def test_entries_that_are_not_regular_files_are_skipped_with_a_reason(tree: Path, tmp_path: Path) -> None:
    os.mkfifo(tree / "stream.fifo")
    (tree / "dangling.pdf").symlink_to(tree / "deleted.pdf")
    (tree / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    (tree / "alias.txt").symlink_to(tree / "b.txt")
    got = collect_files([str(tree)])
    assert "alias.txt" in names(got.files, tree)  # a link to a regular file is published, like the file
    assert {p.name: why for p, why in got.skipped if not p.name.startswith(".")} == {
        "dangling.pdf": "broken symbolic link",
        "elsewhere": "symbolic link to a directory, not followed",
        "stream.fifo": "a FIFO, not a regular file",
    }


def test_named_files_are_kept_as_given(tree: Path) -> None:
    named = [str(tree / "report.receipt.json"), str(tree / "missing.pdf"), str(tree / "b.txt")]
    got = collect_files(named)
    assert [str(p) for p in got.files] == named  # the publishing step names any problem with them


def test_nothing_to_publish_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "only.receipt.json").write_text("{}")
    with pytest.raises(InputError, match="no files to publish"):
        collect_files([str(tmp_path / "empty")])


# -- our side files: never a document in a directory walk


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A folder after publishing, disclosing and signing in it: two documents and our side files."""
    d = tmp_path / "published"
    d.mkdir()
    for name in (
        "figures.json",  # documents
        "annex.pdf",
        "figures.receipt.json",  # publishing's outputs
        "figures.canonical.json",
        "annex.pdf.receipt.json",
        "figures.disclosure.json",  # secret salts
        "figures.E.paper_saved.proof.json",  # a disclosed metric
        "statement.signed.json",  # an off-line signed request
        "local.journal.sqlite",  # a journal, its lock and SQLite's companions
        "local.journal.sqlite.lock",
        "local.journal.sqlite-wal",
        "local.journal.sqlite-shm",
    ):
        (d / name).write_text(name)
    return d


SIDE_FILE_REASONS = {
    "figures.disclosure.json": "a disclosure tree (it holds secret salts), not a document",
    "figures.E.paper_saved.proof.json": "a disclosure proof, not a document",
    "statement.signed.json": "a signed attestation request, not a document",
    "local.journal.sqlite": "a publishing journal, not a document",
    "local.journal.sqlite.lock": "a publishing journal, not a document",
    "local.journal.sqlite-wal": "a publishing journal, not a document",
    "local.journal.sqlite-shm": "a publishing journal, not a document",
}


def test_publishing_a_directory_leaves_every_side_file_out(published: Path) -> None:
    got = collect_files([str(published)])
    assert names(got.files, published) == ["annex.pdf", "figures.json"]
    # receipts and canonical copies silently (a re-run would list every document); the others named
    assert {p.name: why for p, why in got.skipped} == SIDE_FILE_REASONS


def test_verifying_a_directory_checks_documents_through_receipts_and_nothing_else(published: Path) -> None:
    from attest.app.bulk import expand_targets

    targets = [Path(t).name for t in expand_targets([str(published)])]
    assert targets == ["annex.pdf.receipt.json", "figures.receipt.json"]


def test_walk_keeps_receipts_for_verify_and_skips_the_rest(published: Path) -> None:
    files, skipped = walk(str(published))
    assert [Path(f).name for f in files] == [
        "annex.pdf",
        "annex.pdf.receipt.json",
        "figures.canonical.json",
        "figures.json",
        "figures.receipt.json",
    ]
    assert {Path(p).name for p, _ in skipped} == set(SIDE_FILE_REASONS)


def test_a_side_file_named_explicitly_is_kept_as_given(published: Path) -> None:
    named = [str(published / "figures.disclosure.json")]
    assert [str(p) for p in collect_files(named).files] == named
