"""The esg-figures/1 model: strict validation, one-line errors, and a digest over what was validated."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from attest.core.canonical import canonical_bytes, sha256_hex
from attest.core.errors import SchemaError, StrictJSONError
from attest.core.figures import (
    EsgFigures,
    figures_canonical,
    figures_digest,
    is_figures_document,
    load_figures,
    parse_figures,
)
from attest.core.strictjson import load_strict

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "webank-2022-figures.json"
FILE = "fig.json"


def minimal() -> dict[str, Any]:
    return {
        "schema": "esg-figures/1",
        "organisation": {"name": "WeBank", "country": "CN"},
        "reporting_year": 2022,
        "period": {"start": "2022-01-01", "end": "2022-12-31"},
        "metrics": [
            {
                "code": "S.customers.individual",
                "label": "Individual customers served",
                "value": "360000000",
                "unit": "customers",
                "qualifier": "at_least",
                "scope": "cumulative",
                "category": "S",
                "source": "test",
            },
            {
                "code": "E.paperless.loans",
                "label": "Paperless loans",
                "value": "410000000",
                "unit": "loans",
                "qualifier": "at_least",
                "scope": "cumulative",
                "category": "E",
                "source": "test",
            },
            {
                "code": "S.it.cost_per_account",
                "label": "IT cost per account",
                "value": "2",
                "unit": "CNY",
                "qualifier": "exact",
                "scope": "year",
                "category": "S",
                "source": "test",
            },
        ],
    }


def schema_error(obj: Any) -> SchemaError:
    with pytest.raises(SchemaError) as info:
        parse_figures(obj, path=FILE)
    message = str(info.value)
    assert message.startswith(FILE + ": ")
    assert "\n" not in message
    return info.value


# --- the example data set -------------------------------------------------------------------------


def test_example_loads_and_values_are_decimal_strings() -> None:
    doc = load_figures(EXAMPLE)
    assert doc.organisation.name == "WeBank"
    assert doc.reporting_year == 2022
    assert len(doc.metrics) >= 26
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for metric in raw["metrics"]:
        assert isinstance(metric["value"], str)
        assert re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", metric["value"])
        assert metric["code"][0] == metric["category"]
    assert {c.code for c in doc.claims or ()} == {"E.carbon_neutral_operations"}


def test_example_keeps_qualifiers_as_written() -> None:
    by_code = {m.code: m for m in load_figures(EXAMPLE).metrics}
    for m in by_code.values():
        assert m.as_written
        if m.as_written.startswith(("超", "逾")) or "以上" in m.as_written:
            assert m.qualifier == "at_least", m.code
        elif m.as_written.startswith(("约", "近")) or "左右" in m.as_written:
            assert m.qualifier == "about", m.code
        else:
            assert m.qualifier == "exact", m.code
    assert by_code["S.customers.individual"].value == "360000000"
    assert by_code["S.weiyedai.credit_granted"].value == "1100000000000"


def test_example_is_pretty_printed_utf8() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "超3.6亿" in text
    assert text.startswith('{\n  "schema"')


def test_example_digest_equals_digest_of_raw_input() -> None:
    doc = load_figures(EXAMPLE)
    assert figures_canonical(doc) == canonical_bytes(load_strict(EXAMPLE.read_bytes()))
    assert figures_digest(doc) == sha256_hex(figures_canonical(doc))


# --- digest behaviour -----------------------------------------------------------------------------


def test_canonical_of_model_equals_canonical_of_input() -> None:
    obj = minimal()
    obj["organisation"]["legal_name"] = "深圳前海微众银行股份有限公司"
    obj["report"] = {"title": "2022 Sustainability Report", "language": "zh", "uri": "https://example.org/r"}
    obj["claims"] = [{"code": "E.carbon_neutral_operations", "text": "Operational carbon neutrality"}]
    assert figures_canonical(parse_figures(obj)) == canonical_bytes(obj)


def test_reordered_keys_keep_the_digest() -> None:
    obj = minimal()
    reordered = {k: obj[k] for k in reversed(list(obj))}
    reordered["metrics"] = [{k: m[k] for k in reversed(list(m))} for m in obj["metrics"]]
    a = figures_digest(parse_figures(load_strict(json.dumps(obj, indent=2).encode())))
    b = figures_digest(parse_figures(load_strict(json.dumps(reordered).encode())))
    assert a == b


def test_lookalike_unicode_changes_the_digest() -> None:
    obj = minimal()
    spoofed = copy.deepcopy(obj)
    spoofed["metrics"][0]["label"] = obj["metrics"][0]["label"].replace("a", "\u0430", 1)  # Cyrillic а
    assert spoofed["metrics"][0]["label"] != obj["metrics"][0]["label"]
    assert figures_digest(parse_figures(spoofed)) != figures_digest(parse_figures(obj))


def test_metric_order_is_significant() -> None:
    obj = minimal()
    swapped = copy.deepcopy(obj)
    swapped["metrics"].reverse()
    assert figures_digest(parse_figures(swapped)) != figures_digest(parse_figures(obj))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.from_regex(r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,10})?", fullmatch=True), min_size=1, max_size=4
    ),
    st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != ""),
)
def test_any_valid_values_and_labels_round_trip_to_input_bytes(values: list[str], label: str) -> None:
    obj = minimal()
    template = obj["metrics"][0]
    obj["metrics"] = [
        {**template, "code": f"S.m{i}", "value": v, "label": label} for i, v in enumerate(values)
    ]
    assert figures_canonical(parse_figures(obj)) == canonical_bytes(obj)


# --- validation errors ----------------------------------------------------------------------------


def test_minimal_document_is_valid() -> None:
    doc = parse_figures(minimal())
    assert isinstance(doc, EsgFigures)
    assert doc.schema_ == "esg-figures/1"
    assert doc.claims is None and doc.report is None


def test_models_are_frozen() -> None:
    doc = parse_figures(minimal())
    with pytest.raises(ValidationError):
        doc.reporting_year = 2023  # type: ignore[misc, unused-ignore]


def test_number_value_fails_naming_the_field() -> None:
    obj = minimal()
    obj["metrics"][2]["value"] = 2
    e = schema_error(obj)
    assert e.field == "metrics[2].value"
    assert "metrics[2].value" in str(e)
    assert "must be a decimal string, not a number" in str(e)


def test_float_value_parsed_from_file_fails(tmp_path: Path) -> None:
    obj = minimal()
    text = json.dumps(obj).replace('"410000000"', "4.1e8")
    f = tmp_path / "f.json"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"f\.json: field 'metrics\[1\]\.value': must be a decimal string"):
        load_figures(f)


@pytest.mark.parametrize(
    "value", ["", "1e6", "+1", "01", "1.", ".5", "1,000", " 1", "1\n", "３", "NaN", "1.0.0"]
)
def test_malformed_decimal_strings_fail(value: str) -> None:
    obj = minimal()
    obj["metrics"][0]["value"] = value
    assert schema_error(obj).field == "metrics[0].value"


@pytest.mark.parametrize("value", ["0", "-7.5", "0.25", "1100000000000", "123456789012345678901234567890.5"])
def test_decimal_strings_accepted(value: str) -> None:
    obj = minimal()
    obj["metrics"][0]["value"] = value
    assert parse_figures(obj).metrics[0].value == value


def test_extra_field_fails_naming_it() -> None:
    obj = minimal()
    obj["metrics"][1]["colour"] = "green"
    e = schema_error(obj)
    assert e.field == "metrics[1].colour"
    assert "unknown field" in str(e)


def test_extra_top_level_field_fails() -> None:
    obj = minimal()
    obj["comment"] = "hi"
    assert schema_error(obj).field == "comment"


def test_missing_field() -> None:
    obj = minimal()
    del obj["metrics"][0]["unit"]
    e = schema_error(obj)
    assert e.field == "metrics[0].unit"
    assert "missing" in str(e)


@pytest.mark.parametrize("schema", ["esg-figures/2", "ESG-FIGURES/1", 1])
def test_wrong_schema_names_expected_version(schema: Any) -> None:
    obj = minimal()
    obj["schema"] = schema
    e = schema_error(obj)
    assert e.field == "schema"
    assert "esg-figures/1" in str(e)


def test_missing_schema() -> None:
    obj = minimal()
    del obj["schema"]
    assert "esg-figures/1" in str(schema_error(obj))


@pytest.mark.parametrize("obj", [[], "x", None, 3])
def test_not_an_object(obj: Any) -> None:
    schema_error(obj)


def test_duplicate_metric_code_names_code_and_index() -> None:
    obj = minimal()
    obj["metrics"][2]["code"] = "S.customers.individual"
    e = schema_error(obj)
    assert e.field == "metrics[2].code"
    assert "S.customers.individual" in str(e)
    assert "metrics[0]" in str(e)


def test_duplicate_claim_code() -> None:
    obj = minimal()
    claim = {"code": "E.carbon_neutral_operations", "text": "x"}
    obj["claims"] = [claim, dict(claim)]
    assert schema_error(obj).field == "claims[1].code"


def test_claim_code_must_not_reuse_metric_code() -> None:
    obj = minimal()
    obj["claims"] = [{"code": "E.paperless.loans", "text": "x"}]
    assert schema_error(obj).field == "claims[0].code"


def test_category_must_match_code() -> None:
    obj = minimal()
    obj["metrics"][1]["category"] = "S"
    e = schema_error(obj)
    assert e.field == "metrics[1].category"


@pytest.mark.parametrize("code", ["s.customers", "S", "S.", "SX.customers", "S.Customers", "S.a b", "S.x-y"])
def test_bad_codes(code: str) -> None:
    obj = minimal()
    obj["metrics"][0]["code"] = code
    assert schema_error(obj).field == "metrics[0].code"


@pytest.mark.parametrize(
    ("field", "value"),
    [("qualifier", "more_than"), ("scope", "annual"), ("category", "X"), ("label", ""), ("unit", "  ")],
)
def test_bad_metric_fields(field: str, value: str) -> None:
    obj = minimal()
    obj["metrics"][0][field] = value
    assert schema_error(obj).field == f"metrics[0].{field}"


def test_no_metrics() -> None:
    obj = minimal()
    obj["metrics"] = []
    assert schema_error(obj).field == "metrics"


@pytest.mark.parametrize("year", [1989, 2101, "2022", True, 2022.0])
def test_reporting_year(year: Any) -> None:
    obj = minimal()
    obj["reporting_year"] = year
    assert schema_error(obj).field == "reporting_year"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2022-13-01", "2022-12-31", "period.start"),
        ("2022-02-30", "2022-12-31", "period.start"),
        ("20220101", "2022-12-31", "period.start"),
        ("2022-01-01", "2021-12-31", "period.end"),
        ("2021-01-01", "2021-12-31", "period.end"),
    ],
)
def test_period(start: str, end: str, field: str) -> None:
    obj = minimal()
    obj["period"] = {"start": start, "end": end}
    assert schema_error(obj).field == field


def test_fiscal_year_straddling_calendar_years_is_allowed() -> None:
    obj = minimal()
    obj["period"] = {"start": "2021-04-01", "end": "2022-03-31"}
    assert parse_figures(obj).period.end == "2022-03-31"


@pytest.mark.parametrize("country", ["cn", "CHN", "XX", "UK", ""])
def test_country(country: str) -> None:
    obj = minimal()
    obj["organisation"]["country"] = country
    assert schema_error(obj).field == "organisation.country"


def test_optional_field_must_be_omitted_not_null() -> None:
    obj = minimal()
    obj["organisation"]["legal_name"] = None
    e = schema_error(obj)
    assert e.field == "organisation.legal_name"
    assert "omitted" in str(e)
    obj = minimal()
    obj["report"] = None
    assert schema_error(obj).field == "report"


def test_required_field_null_is_a_type_error() -> None:
    obj = minimal()
    obj["metrics"][0]["label"] = None
    e = schema_error(obj)
    assert e.field == "metrics[0].label"
    assert "omitted" not in str(e)


def test_several_errors_are_counted() -> None:
    obj = minimal()
    obj["metrics"][0]["value"] = 1
    obj["metrics"][1]["value"] = 2
    obj["metrics"][2]["unit"] = ""
    e = schema_error(obj)
    assert e.field == "metrics[0].value"
    assert "(+2 more)" in str(e)


def test_load_figures_strict_json_errors_pass_through(tmp_path: Path) -> None:
    f = tmp_path / "dup.json"
    f.write_bytes(b'{"schema": "esg-figures/1", "schema": "esg-figures/1"}')
    with pytest.raises(StrictJSONError, match=r"dup\.json"):
        load_figures(f)


def test_is_figures_document() -> None:
    assert is_figures_document(minimal())
    assert is_figures_document({"schema": "esg-figures/1"})
    assert not is_figures_document({"schema": "carbon-verification/1"})
    assert not is_figures_document([{"schema": "esg-figures/1"}])
    assert not is_figures_document(None)
