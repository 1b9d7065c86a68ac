"""The carbon-verification/1 model, its cross-check against figures, and publishing it on the chain."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, Consortium

from attest.app.publishing import prepare, publish
from attest.app.references import Covers, parse_covers, resolve_covers
from attest.chain.anchoring import revoke
from attest.cli import main
from attest.core.canonical import canonical_bytes, sha256_hex
from attest.core.contracts import Kind
from attest.core.documents import STATEMENT_MEDIA_TYPE, hash_document
from attest.core.errors import InputError, SchemaError, TransactionReverted
from attest.core.figures import load_figures
from attest.core.receipt import load_receipt
from attest.core.statement import (
    CarbonVerification,
    cross_check,
    is_statement_document,
    load_statement,
    parse_statement,
    statement_canonical,
    statement_digest,
)

EXAMPLE = EXAMPLES / "illustrative-carbon-verification-2022.json"
FIGURES = EXAMPLES / "webank-2022-figures.json"
FILE = "statement.json"


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def schema_error(obj: Any) -> SchemaError:
    with pytest.raises(SchemaError) as exc:
        parse_statement(obj, path=FILE)
    message = str(exc.value)
    assert "\n" not in message
    return exc.value


# -- the example


def test_example_loads_and_is_marked_illustrative() -> None:
    s = load_statement(EXAMPLE)
    assert s.illustrative is True
    assert "(illustrative)" in s.verifier.name
    assert "invented for illustration" in s.boundary
    assert s.organisation.name == "WeBank"
    assert s.reporting_year == 2022
    claim = s.neutrality_claim
    assert claim is not None
    assert claim.standard == "ISO 14068-1:2023"
    assert claim.credits_total() >= s.emissions_tco2e.verified.total()


def test_example_cross_checks_with_the_example_figures() -> None:
    results = cross_check(load_statement(EXAMPLE), load_figures(FIGURES))
    names = [name for name, _, _ in results]
    assert names == ["organisation", "reporting year", "period", "carbon neutrality"]
    assert all(ok for _, ok, _ in results), results


def test_is_statement_document() -> None:
    assert is_statement_document(example())
    assert not is_statement_document({"schema": "esg-figures/1"})
    assert not is_statement_document([])


# -- canonical form and digest


def test_canonical_digest_is_stable_under_key_reordering() -> None:
    obj = example()
    reordered = json.loads(json.dumps(obj, sort_keys=True))
    reordered["emissions_tco2e"] = dict(reversed(list(reordered["emissions_tco2e"].items())))
    reordered = dict(reversed(list(reordered.items())))
    a, b = parse_statement(obj), parse_statement(reordered)
    assert statement_canonical(a) == statement_canonical(b)
    assert statement_digest(a) == statement_digest(b) == sha256_hex(canonical_bytes(obj))


def test_canonical_digest_changes_with_any_value() -> None:
    obj = example()
    obj["emissions_tco2e"]["reported"]["scope1"] = "812.50"
    assert statement_digest(parse_statement(obj)) != statement_digest(parse_statement(example()))


def test_hash_document_recognises_statements(tmp_path: Path) -> None:
    doc = hash_document(EXAMPLE)
    assert doc.media_type == STATEMENT_MEDIA_TYPE
    assert doc.digest_rule == "sha256-rfc8785"
    assert doc.statement is not None and doc.figures is None
    assert doc.canonical is not None and doc.digest == sha256_hex(doc.canonical)
    assert doc.digest == statement_digest(load_statement(EXAMPLE))


def test_prepare_takes_the_year_from_the_statement() -> None:
    doc, year = prepare(EXAMPLE, kind=Kind.STATEMENT, year=None)
    assert year == 2022 and doc.statement is not None
    with pytest.raises(InputError, match="contradicts"):
        prepare(EXAMPLE, kind=Kind.STATEMENT, year=2021)


def test_prepare_statement_needs_a_statement_and_figures_needs_figures(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="carbon-verification/1"):
        prepare(FIGURES, kind=Kind.STATEMENT, year=None)
    with pytest.raises(InputError, match="esg-figures/1"):
        prepare(EXAMPLE, kind=Kind.FIGURES, year=None)
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    with pytest.raises(InputError, match="carbon-verification/1"):
        prepare(pdf, kind=Kind.STATEMENT, year=2022)


# -- validation: each rule on its own, with its field path

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(obj: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = obj
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return edit


_DELETE = object()


def _no_scope3(obj: dict[str, Any]) -> None:
    del obj["emissions_tco2e"]["reported"]["scope3"]
    del obj["emissions_tco2e"]["verified"]["scope3"]
    obj["neutrality_claim"]["residual_emissions_tco2e"] = "6450"


def _credits_short(obj: dict[str, Any]) -> None:
    credit = obj["neutrality_claim"]["credits"][1]
    credit["serials"] = [{"start": "200001", "end": "201000"}]
    credit["quantity_tco2e"] = "1000"


def _overlapping_serials(obj: dict[str, Any]) -> None:
    credits = obj["neutrality_claim"]["credits"]
    credits[1]["registry"] = credits[0]["registry"]
    credits[1]["serials"] = [{"start": "1004001", "end": "1005900"}]


INVALID: list[tuple[str, Edit, str, str]] = [
    ("negative verified tonnes", _set("emissions_tco2e/verified/scope1", "-820"),
     "emissions_tco2e.verified.scope1", "must not be negative"),
    ("negative reported tonnes", _set("emissions_tco2e/reported/scope3", "-1"),
     "emissions_tco2e.reported.scope3", "must not be negative"),
    ("negative residual", _set("neutrality_claim/residual_emissions_tco2e", "-6860"),
     "neutrality_claim.residual_emissions_tco2e", "must not be negative"),
    ("negative credit quantity", _set("neutrality_claim/credits/1/quantity_tco2e", "-1"),
     "neutrality_claim.credits[1].quantity_tco2e", "must not be negative"),
    ("tonnes as a JSON number", _set("emissions_tco2e/verified/scope2", 5630),
     "emissions_tco2e.verified.scope2", "decimal string, not a number"),
    ("tonnes with an exponent", _set("emissions_tco2e/verified/scope2", "5.63e3"),
     "emissions_tco2e.verified.scope2", "plain decimal string"),
    ("vintage after the period", _set("neutrality_claim/credits/0/vintage", 2023),
     "neutrality_claim.credits[0].vintage", "after the period it offsets ends (2022)"),
    ("serial quantity mismatch", _set("neutrality_claim/credits/0/quantity_tco2e", "4999"),
     "neutrality_claim.credits[0].quantity_tco2e", "does not equal the 5000 credits"),
    ("fractional quantity with serials", _set("neutrality_claim/credits/0/quantity_tco2e", "5000.5"),
     "neutrality_claim.credits[0].quantity_tco2e", "does not equal the 5000 credits"),
    ("serial range reversed", _set("neutrality_claim/credits/0/serials/0/end", "1000000"),
     "neutrality_claim.credits[0].serials[0].end", "end is below start"),
    ("serial not an integer", _set("neutrality_claim/credits/0/serials/0/start", "AB-1"),
     "neutrality_claim.credits[0].serials[0].start", "digits only"),
    ("serials counted twice", _overlapping_serials,
     "neutrality_claim.credits[1].serials[0]", "overlaps credits[0].serials[0]"),
    ("credits below residual", _credits_short,
     "neutrality_claim.credits", "total 6000 tCO2e, less than the residual emissions 6860.0"),
    ("residual below verified total", _set("neutrality_claim/residual_emissions_tco2e", "6000"),
     "neutrality_claim.residual_emissions_tco2e", "do not equal the verified total 6860.0"),
    ("residual above verified total", _set("neutrality_claim/residual_emissions_tco2e", "6861"),
     "neutrality_claim.residual_emissions_tco2e", "scope1 + scope2 + scope3"),
    ("scope3 verified but not reported", _set("emissions_tco2e/reported/scope3", _DELETE),
     "emissions_tco2e.reported.scope3", "missing here but given in verified"),
    ("issued before the period ends", _set("issued", "2022-12-30"),
     "issued", "before the verified period ends (2022-12-31)"),
    ("period end outside the reporting year", _set("reporting_year", 2023),
     "period.end", "not in the reporting year 2023"),
    ("period reversed", _set("period/start", "2023-01-01"), "period.end", "end is before start"),
    ("not a real date", _set("issued", "2023-02-30"), "issued", "real calendar date"),
    ("unknown field", _set("remarks", "x"), "remarks", "unknown field (not part of carbon-verification/1)"),
    ("unknown nested field", _set("verifier/accreditation/scope", "x"),
     "verifier.accreditation.scope", "unknown field"),
    ("missing field", _set("opinion", _DELETE), "opinion", "required field is missing"),
    ("null optional field", _set("signed_statement_sha256", None),
     "signed_statement_sha256", "omitted rather than null"),
    ("bad pdf digest", _set("signed_statement_sha256", "AB" * 32), "signed_statement_sha256", "64 lowercase"),
    ("illustrative false", _set("illustrative", False), "illustrative", "must be true, or left out"),
    ("root without 0x", _set("disclosure_root", "ab" * 32), "disclosure_root", "0x and 64 lowercase hex"),
    ("root in upper case", _set("disclosure_root", "0x" + "AB" * 32), "disclosure_root", "64 lowercase"),
    ("root too short", _set("disclosure_root", "0x" + "ab" * 31), "disclosure_root", "Merkle root"),
    ("null disclosure root", _set("disclosure_root", None), "disclosure_root", "omitted rather than null"),
    ("unknown opinion", _set("opinion", "clean"), "opinion", "unmodified"),
    ("unknown assurance", _set("assurance", "high"), "assurance", "reasonable"),
    ("unknown standard", _set("neutrality_claim/standard", "ISO 14064-1"),
     "neutrality_claim.standard", "ISO 14068-1:2023"),
    ("materiality above 100", _set("materiality_percent", "150"), "materiality_percent", "between 0 and 100"),
    ("duplicate criterion", _set("criteria/1", "GHG Protocol Corporate Standard"),
     "criteria[1]", "duplicate"),
    ("no criteria", _set("criteria", []), "criteria", "at least 1"),
    ("no credits", _set("neutrality_claim/credits", []), "neutrality_claim.credits", "at least 1"),
    ("blank verifier", _set("verifier/name", "  "), "verifier.name", "must not be empty"),
    ("bad country", _set("organisation/country", "UK"), "organisation.country", "ISO 3166-1"),
    ("year as a string", _set("reporting_year", "2022"), "reporting_year", "valid integer"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "field", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_statement_is_rejected_with_its_field(edit: Edit, field: str, message: str) -> None:
    obj = example()
    edit(obj)
    err = schema_error(obj)
    assert err.field == field, str(err)
    assert message in err.detail, str(err)
    assert str(err).startswith(f"{FILE}: field '{field}': ")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "expected a JSON object"),
        ({}, "missing; expected 'carbon-verification/1'"),
        (
            {"schema": "carbon-verification/3"},
            'unsupported schema "carbon-verification/3"; expected '
            "'carbon-verification/1' or 'carbon-verification/2'",
        ),
    ],
)
def test_not_a_statement(obj: Any, message: str) -> None:
    assert message in str(schema_error(obj))


@pytest.mark.parametrize(
    "edit",
    [
        _no_scope3,
        _set("neutrality_claim", _DELETE),
        _set("illustrative", _DELETE),
        _set("neutrality_claim/credits/0/serials", _DELETE),
        _set("neutrality_claim/credits/1/quantity_tco2e", "1900.0"),  # decimal spelling of the same count
        _set("neutrality_claim/standard", "PAS 2060"),
        _set("neutrality_claim/credits/0/vintage", 2022),
        _set("signed_statement_sha256", "ab" * 32),
        _set("disclosure_root", "0x" + "ab" * 32),
        _set("issued", "2022-12-31"),
        _set("assurance", "limited"),
    ],
    ids=[
        "no scope3",
        "no neutrality claim",
        "not illustrative",
        "credit without serials",
        "decimal quantity",
        "PAS 2060",
        "vintage in the year",
        "pdf digest",
        "audited disclosure root",
        "issued on the last day",
        "limited assurance",
    ],
)
def test_valid_variants(edit: Edit) -> None:
    obj = example()
    edit(obj)
    parse_statement(obj)


def test_disclosure_root_leaves_statements_without_it_as_they_were() -> None:
    """The optional field is new: a statement that lacks it digests as before (the example's sha256 is
    the one it had before the field existed), and one that has it digests differently."""
    assert statement_digest(load_statement(EXAMPLE)) == (
        "5856b7f4120e392fde35ef7d5f49c8ac64b707d17b7a194923d0c618f8f23b8d"
    )
    obj = example()
    obj["disclosure_root"] = "0x" + "ab" * 32
    audited = parse_statement(obj)
    assert audited.disclosure_root == obj["disclosure_root"]
    plain = statement_digest(parse_statement(example()))
    assert statement_digest(audited) == sha256_hex(canonical_bytes(obj)) != plain


def test_credits_may_exceed_the_residual() -> None:
    obj = example()
    credit = obj["neutrality_claim"]["credits"][1]
    credit["serials"] = [{"start": "200001", "end": "209000"}]
    credit["quantity_tco2e"] = "9000"
    claim = parse_statement(obj).neutrality_claim
    assert claim is not None and claim.credits_total() == 14000


def test_same_serials_in_different_registries_do_not_overlap() -> None:
    obj = example()
    obj["neutrality_claim"]["credits"][1]["serials"] = [{"start": "1000001", "end": "1001900"}]
    parse_statement(obj)


# -- cross_check


def _checks(statement: CarbonVerification, figures_obj: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    from attest.core.figures import parse_figures

    return {name: (ok, detail) for name, ok, detail in cross_check(statement, parse_figures(figures_obj))}


def figures_obj() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIGURES.read_text(encoding="utf-8"))
    return data


def test_cross_check_other_organisation() -> None:
    f = figures_obj()
    f["organisation"]["name"] = "Rival Bank"
    ok, detail = _checks(load_statement(EXAMPLE), f)["organisation"]
    assert not ok and "Rival Bank" in detail


def test_cross_check_other_country() -> None:
    f = figures_obj()
    f["organisation"]["country"] = "HK"
    ok, detail = _checks(load_statement(EXAMPLE), f)["organisation"]
    assert not ok and "HK" in detail


def test_cross_check_other_year() -> None:
    f = figures_obj()
    f["reporting_year"] = 2023
    f["period"] = {"start": "2023-01-01", "end": "2023-12-31"}
    checks = _checks(load_statement(EXAMPLE), f)
    assert checks["reporting year"] == (False, "statement 2022, figures 2023")
    assert not checks["period"][0]
    assert checks["organisation"][0]


def test_cross_check_claim_without_neutrality_claim() -> None:
    obj = example()
    del obj["neutrality_claim"]
    ok, detail = _checks(parse_statement(obj), figures_obj())["carbon neutrality"]
    assert not ok and "no neutrality claim" in detail


def test_cross_check_no_claim_in_figures_needs_nothing() -> None:
    obj = example()
    del obj["neutrality_claim"]
    f = figures_obj()
    del f["claims"]
    checks = _checks(parse_statement(obj), f)
    assert all(ok for ok, _ in checks.values())
    assert "no carbon-neutrality claim" in checks["carbon neutrality"][1]


def test_cross_check_credits_short() -> None:
    # cross_check is pure: it re-checks the numbers even for a statement built without validation.
    s = load_statement(EXAMPLE)
    assert s.neutrality_claim is not None
    claim = s.neutrality_claim.model_copy(update={"credits": s.neutrality_claim.credits[:1]})
    short = s.model_copy(update={"neutrality_claim": claim})
    ok, detail = _checks(short, figures_obj())["carbon neutrality"]
    assert not ok and "5000 tCO2e < residual emissions 6860.0" in detail


@pytest.mark.parametrize(("opinion", "ok"), [("adverse", False), ("disclaimer", False), ("modified", True)])
def test_cross_check_opinion_must_back_the_claim(opinion: str, ok: bool) -> None:
    obj = example()
    obj["opinion"] = opinion
    assert _checks(parse_statement(obj), figures_obj())["carbon neutrality"][0] is ok


# -- on the embedded chain


def _copy_examples(tmp_path: Path) -> tuple[Path, Path]:
    figures, statement = tmp_path / FIGURES.name, tmp_path / EXAMPLE.name
    shutil.copy(FIGURES, figures)
    shutil.copy(EXAMPLE, statement)
    return figures, statement


def test_verifier_publishes_a_statement_covering_the_figures(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    figures, statement = _copy_examples(tmp_path)
    f = publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    figures_uid = f.published.attestation.uid
    s = publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=figures_uid)
    a = s.published.attestation
    assert a.kind is Kind.STATEMENT and a.year == 2022 and a.org_id == c.verifier_id
    assert a.ref == figures_uid
    assert a.digest == statement_digest(load_statement(EXAMPLE))
    assert s.receipt_path.is_file() and s.canonical_path is not None and s.canonical_path.is_file()
    receipt = load_receipt(s.receipt_path)
    assert receipt.document.media_type == STATEMENT_MEDIA_TYPE
    assert receipt.attestation.kind == "statement" and receipt.attestation.ref == figures_uid
    assert sha256_hex(s.canonical_path.read_bytes()) == a.digest
    assert [x.uid for x in c.dep.covering_statements(figures_uid)] == [a.uid]
    again = publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=figures_uid)
    assert again.published.already_anchored and again.published.attestation.uid == a.uid


def test_bank_cannot_publish_a_statement(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    figures, statement = _copy_examples(tmp_path)
    figures_uid = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    with pytest.raises(InputError, match=r"verifier\.name"):  # the tool refuses: not the bank's statement
        publish(c.dep, c.bank, statement, kind=Kind.STATEMENT, ref=figures_uid)
    digest = hash_document(statement).digest
    with pytest.raises(TransactionReverted) as exc:  # and the registry refuses whoever calls it directly
        c.dep.attest(c.bank, digest, Kind.STATEMENT, 2022, ref=figures_uid)
    assert exc.value.error_name == "MissingRole", str(exc.value)
    assert c.dep.covering_statements(figures_uid) == []


def test_statement_cannot_cover_revoked_figures(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    figures, statement = _copy_examples(tmp_path)
    figures_uid = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    revoke(c.dep, c.bank, figures_uid, "restated")
    with pytest.raises(TransactionReverted) as exc:
        publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=figures_uid)
    assert exc.value.error_name == "AttestationIsRevoked", str(exc.value)


# -- resolving `publish statement --covers`


def test_covers_resolves_receipt_uid_and_digest(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    figures, _ = _copy_examples(tmp_path)
    f = publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    uid, digest = f.published.attestation.uid, f.document.digest
    statement = load_statement(EXAMPLE)
    assert parse_covers(str(f.receipt_path)) == ("uid", uid)
    assert parse_covers(uid.upper().replace("0X", "0x")) == ("uid", uid)
    assert parse_covers(digest) == ("digest", digest)
    for covers in (str(f.receipt_path), uid, digest):
        assert resolve_covers(c.dep, parse_covers(covers), statement) == uid


def test_covers_digest_by_another_organisation_is_not_found(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    figures, _ = _copy_examples(tmp_path)
    digest = hash_document(figures).digest
    c.dep.attest(c.rival, digest, Kind.FIGURES, 2022)  # same bytes, anchored directly by Rival Bank
    with pytest.raises(InputError, match="no unrevoked figures attestation") as exc:
        resolve_covers(c.dep, Covers("digest", digest), load_statement(EXAMPLE))
    assert exc.value.exit_code == 2


def test_covers_must_be_figures_of_the_same_year(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 report")
    p = publish(c.dep, c.bank, pdf, kind=Kind.FILE, year=2022)
    statement = load_statement(EXAMPLE)
    with pytest.raises(InputError, match="not figures"):
        resolve_covers(c.dep, Covers("uid", p.published.attestation.uid), statement)
    with pytest.raises(InputError, match="not figures"):
        parse_covers(str(p.receipt_path))
    with pytest.raises(InputError, match="no attestation with uid"):
        resolve_covers(c.dep, Covers("uid", "0x" + "11" * 32), statement)
    f = figures_obj()
    f["reporting_year"], f["period"] = 2021, {"start": "2021-01-01", "end": "2021-12-31"}
    (tmp_path / "f2021.json").write_text(json.dumps(f), encoding="utf-8")
    uid_2021 = publish(c.dep, c.bank, tmp_path / "f2021.json", kind=Kind.FIGURES).published.attestation.uid
    with pytest.raises(InputError, match="for 2021, the statement for 2022"):
        resolve_covers(c.dep, Covers("uid", uid_2021), statement)


def test_cli_rejects_bad_covers_before_touching_the_chain(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "publish",
            "statement",
            str(EXAMPLE),
            "--covers",
            "not-a-thing",
            "--deployment",
            str(tmp_path / "missing.json"),
            "--keystore",
            str(tmp_path / "missing-keystore.json"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "--covers" in result.output


def test_cli_rejects_a_figures_file_as_statement(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "publish",
            "statement",
            str(FIGURES),
            "--covers",
            "0x" + "11" * 32,
            "--deployment",
            str(tmp_path / "missing.json"),
            "--keystore",
            str(tmp_path / "missing-keystore.json"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "carbon-verification/1" in result.output


def test_example_file_is_untouched_by_validation() -> None:
    before = copy.deepcopy(example())
    parse_statement(before)
    assert before == example()
