"""Strict JSON: every ambiguity the stdlib parser tolerates is an error naming file and field."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attest.core.errors import InputError, StrictJSONError
from attest.core.strictjson import format_path, load_strict, load_strict_file

FILE = "figures.json"


def _error(data: bytes) -> StrictJSONError:
    with pytest.raises(StrictJSONError) as info:
        load_strict(data, path=FILE)
    message = str(info.value)
    assert FILE in message
    assert "\n" not in message
    return info.value


def test_valid_document_parses() -> None:
    assert load_strict(b'{"a": [1, 2.5, "x", true, null], "b": {}}') == {
        "a": [1, 2.5, "x", True, None],
        "b": {},
    }


def test_large_integers_are_kept_exactly() -> None:
    assert load_strict(b"123456789012345678901234567890") == 123456789012345678901234567890


def test_duplicate_key_at_top_level() -> None:
    e = _error(b'{"a": 1, "a": 2}')
    assert e.field == "a"
    assert "duplicate key" in str(e)


def test_duplicate_key_deep_names_its_path() -> None:
    data = b'{"metrics": [{"value": "1"}, {}, {}, {"code": "x", "value": "1", "value": "2"}]}'
    e = _error(data)
    assert e.field == "metrics[3].value"
    assert "metrics[3].value" in str(e)
    assert '"value"' in str(e)


def test_duplicate_key_with_odd_characters_stays_one_line() -> None:
    e = _error('{"x": {"a\\nb\u2028": 1, "a\\nb\u2028": 2}}'.encode())
    assert e.field is not None and e.field.startswith("x[")


def test_first_duplicate_in_document_order_is_reported() -> None:
    e = _error(b'{"a": {"p": 1, "p": 2}, "b": {"q": 1, "q": 2}}')
    assert e.field == "a.p"


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_rejected(token: str) -> None:
    e = _error(f'{{"metrics": [{{"value": {token}}}]}}'.encode())
    assert e.field == "metrics[0].value"
    assert token in str(e)


def test_number_overflowing_to_infinity_rejected() -> None:
    e = _error(b'{"x": [1e400]}')
    assert e.field == "x[0]"


def test_invalid_utf8_reports_byte_offset() -> None:
    e = _error(b'{"label": "caf\xe9"}')
    assert "byte offset 14" in str(e)


def test_encoded_surrogate_is_invalid_utf8() -> None:
    _error(b'"\xed\xa0\x80"')


def test_escaped_lone_surrogate_rejected() -> None:
    e = _error(b'{"label": "x\\ud800"}')
    assert e.field == "label"


def test_bom_rejected() -> None:
    e = _error(b'\xef\xbb\xbf{"a": 1}')
    assert "BOM" in str(e)


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty_rejected(data: bytes) -> None:
    assert "empty" in str(_error(data))


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"a": 1,}', "line 1 column 9"),
        (b'{\n  "a": 1\n  "b": 2\n}', "line 3 column 3"),
        (b"[1, 2] 3", "line 1 column 8"),
        (b"{'a': 1}", "line 1 column 2"),
        (b'"tab\there"', "line 1 column 5"),
    ],
)
def test_syntax_errors_give_line_and_column(data: bytes, where: str) -> None:
    assert where in str(_error(data))


def test_too_deep_nesting_is_a_strict_json_error() -> None:
    _error(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("arrays", [0, 100, 256])
def test_nesting_limit_counts_both_brackets(arrays: int) -> None:
    """256 levels parse and 257 do not, however `[` and `{` share them (the pre-check counts both),
    and a shallow document with more than 256 brackets still parses."""
    from attest.core.strictjson import MAX_DEPTH

    def nested(depth: int) -> bytes:
        a = min(arrays, depth)
        opening = b"[" * a + b'{"k":' * (depth - a)
        return opening + b"0" + b"}" * (depth - a) + b"]" * a

    assert load_strict(nested(MAX_DEPTH)) is not None
    assert "nested more than 256 levels deep" in str(_error(nested(MAX_DEPTH + 1)))
    assert load_strict(b"[" + b"[],{}," * 300 + b"0]")[-1] == 0


def test_too_many_digits_is_a_strict_json_error() -> None:
    _error(b"1" * 5000)


def test_load_strict_file(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(b'{"a": 1}')
    assert load_strict_file(good) == {"a": 1}
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"a": 1, "a": 1}')
    with pytest.raises(StrictJSONError, match=r"bad\.json"):
        load_strict_file(bad)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.json"):
        load_strict_file(tmp_path / "missing.json")


def test_format_path() -> None:
    assert format_path(["metrics", 3, "value"]) == "metrics[3].value"
    assert format_path([0, "a b"]) == '[0]["a b"]'
    assert format_path([]) == ""


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_round_trip(value: Any, ascii_only: bool) -> None:
    assert load_strict(json.dumps(value, ensure_ascii=ascii_only).encode()) == value


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_strict_json_error(data: bytes) -> None:
    with contextlib.suppress(StrictJSONError):
        load_strict(data)


@settings(max_examples=300, deadline=None)
@given(json_values.map(lambda v: json.dumps(v).encode()), st.integers(0, 10_000), st.binary(max_size=3))
def test_mutated_json_only_raises_strict_json_error(data: bytes, at: int, junk: bytes) -> None:
    at %= len(data) + 1
    with contextlib.suppress(StrictJSONError):
        load_strict(data[:at] + junk + data[at:])
