"""What the page's browser sends about a document (attest.app.claimed), checked without a chain."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from attest.app.claimed import claimed_target, parse_claims
from attest.core.canonical import canonical_bytes
from attest.core.documents import hash_document
from attest.core.errors import InputError
from attest.core.strictjson import load_strict

STATEMENT_V2 = EXAMPLES / "illustrative-carbon-verification-2022-v2.json"
FIGURES = EXAMPLES / "webank-2022-figures.json"


def claims_of(path: object, *, canonical: bool, **override: object) -> dict[str, object]:
    doc = hash_document(path)  # type: ignore[arg-type]
    part: dict[str, object] = {
        "name": doc.path.name,
        "type": doc.type.label,
        "organisation": doc.type.organisation(doc),
        "year": doc.type.year(doc),
        "schema": getattr(doc.content, "schema_", None),
    }
    if canonical:
        assert doc.canonical is not None
        part["canonical"] = doc.canonical.decode("utf-8")
    part.update(override)
    return part


def test_a_statement_sent_with_its_text_is_judged_by_its_content() -> None:
    doc = hash_document(STATEMENT_V2)
    target = claimed_target(
        doc.digest, "sha256-rfc8785", parse_claims(claims_of(STATEMENT_V2, canonical=True)), None
    )
    assert target.document is not None and target.document.digest == doc.digest
    assert target.document.statement is not None


def test_a_statement_sent_without_its_text_is_refused() -> None:
    """Its claims alone (a /1 schema claimed for a /2 statement, say) could switch off the credit rules."""
    with pytest.raises(InputError, match="a statement is verified by its content"):
        parse_claims(claims_of(STATEMENT_V2, canonical=False, schema="carbon-verification/1"))


def test_a_text_that_is_not_the_digested_document_is_refused() -> None:
    other = hash_document(FIGURES).digest
    claims = parse_claims(claims_of(STATEMENT_V2, canonical=True))
    with pytest.raises(InputError, match=r"the document sent has sha256 .* not the digest sent"):
        claimed_target(other, "sha256-rfc8785", claims, None)


def test_a_text_of_another_type_than_claimed_is_refused() -> None:
    figures_text = canonical_bytes(load_strict(FIGURES.read_bytes())).decode("utf-8")
    with pytest.raises(InputError, match="is an esg-figures/1 document, not"):
        parse_claims(claims_of(STATEMENT_V2, canonical=True) | {"canonical": figures_text})


def test_the_page_cannot_be_given_registry_records_and_its_lines_say_so() -> None:
    """The page verifies through `gather` with no registry records: each retirement's `credit records`
    line is there, `info`, saying it was not checked — never missing."""
    from attest.app.verify import document_records

    doc = hash_document(STATEMENT_V2)
    target = claimed_target(
        doc.digest, "sha256-rfc8785", parse_claims(claims_of(STATEMENT_V2, canonical=True)), None
    )
    lines = document_records(target)
    assert lines is not None and [n for n, _, _ in lines] == [
        "credit records: retirements[0]",
        "credit records: retirements[1]",
    ]
    assert all(s == "info" and d.startswith("not checked") for _, s, d in lines)
