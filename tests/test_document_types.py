"""attest.core.documents' type table: what each type of document is and says about itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES

from attest.app.publishing import prepare
from attest.core.contracts import Kind
from attest.core.documents import (
    DOCUMENT_TYPES,
    FIGURES_TYPE,
    FILE_TYPE,
    STATEMENT_TYPE,
    HashedDocument,
    document_type,
    hash_document,
)
from attest.core.errors import InputError

FIGURES = EXAMPLES / "webank-2022-figures.json"
STATEMENT = EXAMPLES / "illustrative-carbon-verification-2022.json"


def test_one_entry_per_kind_of_document() -> None:
    assert [(t.label, t.kind, t.digest_rule) for t in DOCUMENT_TYPES] == [
        ("figures", Kind.FIGURES, "sha256-rfc8785"),
        ("statement", Kind.STATEMENT, "sha256-rfc8785"),
        ("file", Kind.FILE, "sha256-raw"),
    ]
    assert all(document_type(t.kind) is t and t.label == t.kind.label for t in DOCUMENT_TYPES)
    with pytest.raises(ValueError, match="batch"):  # a Merkle root is no document
        document_type(Kind.BATCH)


def test_each_document_answers_its_organisation_field_and_year(tmp_path: Path) -> None:
    figures, statement = hash_document(FIGURES), hash_document(STATEMENT)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 report")
    raw = hash_document(pdf)
    assert (figures.type, statement.type, raw.type) == (FIGURES_TYPE, STATEMENT_TYPE, FILE_TYPE)
    assert (FIGURES_TYPE.organisation(figures), FIGURES_TYPE.organisation_field) == (
        "WeBank",
        "organisation.name",
    )
    # the verification body anchors its statement: it is named by the verifier, not the bank it covers
    assert STATEMENT_TYPE.organisation(statement) == "Example Carbon Verification Body (illustrative)"
    assert STATEMENT_TYPE.organisation_field == "verifier.name"
    assert (FIGURES_TYPE.year(figures), STATEMENT_TYPE.year(statement), FILE_TYPE.year(raw)) == (
        2022,
        2022,
        None,
    )
    assert FILE_TYPE.organisation(raw) is None
    assert figures.figures is not None and figures.statement is None
    assert statement.statement is not None and statement.figures is None


def test_a_document_rebuilt_from_a_receipt_has_a_type_but_no_content() -> None:
    """signing.relayed_document rebuilds a statement from its signed request: no content to name anyone."""
    doc = hash_document(STATEMENT)
    rebuilt = HashedDocument(doc.path, doc.media_type, doc.digest, doc.digest_rule)
    assert rebuilt.type is STATEMENT_TYPE and STATEMENT_TYPE.organisation(rebuilt) is None
    with pytest.raises(InputError, match="unknown media type"):
        _ = HashedDocument(doc.path, "text/plain", doc.digest, "sha256-raw").type


def test_prepare_names_the_type_wanted_and_the_type_found(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match="needs a carbon-verification/1 or /2 statement, not an esg-figures/1"
    ) as e:
        prepare(FIGURES, kind=Kind.STATEMENT, year=None)
    assert e.value.exit_code == 2 and "schema" in str(e.value)
    with pytest.raises(InputError, match="needs an esg-figures/1 document, not a carbon-verification/1"):
        prepare(STATEMENT, kind=Kind.FIGURES, year=None)
    with pytest.raises(InputError, match="contradicts the document's reporting_year 2022"):
        prepare(FIGURES, kind=Kind.FIGURES, year=2021)
    assert prepare(FIGURES, kind=Kind.FIGURES, year=2022)[1] == 2022
    # a structured document is never published as a raw file (verification judges it by its
    # content, whatever it is called): the publisher is told which command publishes it
    for name in ("figures.json", "figures.txt", "figures"):
        renamed = tmp_path / name
        renamed.write_bytes(FIGURES.read_bytes())
        with pytest.raises(InputError, match="is an esg-figures/1 document: publish it as figures"):
            prepare(renamed, kind=Kind.FILE, year=2019)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 annual report\n")
    doc, year = prepare(report, kind=Kind.FILE, year=2019)
    assert (doc.type, doc.digest_rule, year) == (FILE_TYPE, "sha256-raw", 2019)
    not_ours = tmp_path / "data.json"
    not_ours.write_text('{"schema": "something-else/1"}', encoding="utf-8")
    assert prepare(not_ours, kind=Kind.FILE, year=2019)[0].type is FILE_TYPE
    with pytest.raises(InputError, match="reporting year is required"):
        prepare(report, kind=Kind.FILE, year=None)
