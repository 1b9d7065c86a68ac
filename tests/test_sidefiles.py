"""attest.core.sidefiles: the one place our side files are named, and recognised by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from attest.core.sidefiles import (
    SideFile,
    canonical_path,
    disclosure_proof_path,
    disclosure_tree_path,
    journal_lock_path,
    journal_path,
    receipt_name,
    receipt_path,
    side_file,
    signed_request_path,
)

D = Path("/evidence")


def test_names_built_beside_the_document() -> None:
    assert receipt_path(D / "report.json") == D / "report.receipt.json"
    assert receipt_path(D / "report.pdf") == D / "report.pdf.receipt.json"
    assert receipt_name(".json") == ".json.receipt.json"  # as Path.suffix: a bare ".json" has no suffix
    assert canonical_path(D / "figures.json") == D / "figures.canonical.json"
    assert disclosure_tree_path(D / "figures.json") == D / "figures.disclosure.json"
    assert disclosure_proof_path(D / "figures.json", "E.x") == D / "figures.E.x.proof.json"
    assert signed_request_path(D / "statement.json") == D / "statement.signed.json"
    assert journal_path(Path("deployments/local.json")) == Path("deployments/local.journal.sqlite")
    assert journal_lock_path(Path("x/local.journal.sqlite")) == Path("x/local.journal.sqlite.lock")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("report.receipt.json", SideFile.RECEIPT),
        ("report.pdf.receipt.json", SideFile.RECEIPT),
        ("/a/b/figures.canonical.json", SideFile.CANONICAL),
        ("figures.disclosure.json", SideFile.DISCLOSURE_TREE),
        ("figures.E.paperless.paper_saved.proof.json", SideFile.DISCLOSURE_PROOF),
        ("statement.signed.json", SideFile.SIGNED_REQUEST),
        ("local.journal.sqlite", SideFile.JOURNAL),
        ("local.journal.sqlite.lock", SideFile.JOURNAL),
        ("local.journal.sqlite-wal", SideFile.JOURNAL),
        ("local.journal.sqlite-shm", SideFile.JOURNAL),
        ("local.journal.sqlite-journal", SideFile.JOURNAL),
        ("figures.json", None),
        ("report.pdf", None),
        ("receipt.json", None),
        ("signed.json.pdf", None),
        ("notes.sqlite", None),
    ],
)
def test_side_file_by_name(name: str, kind: SideFile | None) -> None:
    assert side_file(name) is kind


def test_every_name_built_is_recognised() -> None:
    built = {
        receipt_path(D / "a.pdf"): SideFile.RECEIPT,
        canonical_path(D / "a.json"): SideFile.CANONICAL,
        disclosure_tree_path(D / "a.json"): SideFile.DISCLOSURE_TREE,
        disclosure_proof_path(D / "a.json", "E.x"): SideFile.DISCLOSURE_PROOF,
        signed_request_path(D / "a.json"): SideFile.SIGNED_REQUEST,
        journal_path(D / "a.json"): SideFile.JOURNAL,
        journal_lock_path(journal_path(D / "a.json")): SideFile.JOURNAL,
    }
    assert {p: side_file(p.name) for p in built} == built
