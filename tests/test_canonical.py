"""RFC 8785 canonical form and sha256 digests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from attest.core.canonical import canonical_bytes, file_sha256, sha256_hex
from attest.core.errors import InputError
from attest.core.strictjson import load_strict

# RFC 8785 section 3.2.2 (the sample input, as bytes) and its canonical output.
RFC_SAMPLE_IN = rb"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_SAMPLE_OUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()

# RFC 8785 section 3.2.3: property sorting by UTF-16 code units.
RFC_SORT_IN = rb"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORT_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]


def test_rfc8785_sample() -> None:
    assert canonical_bytes(load_strict(RFC_SAMPLE_IN)) == RFC_SAMPLE_OUT


def test_rfc8785_key_sorting_is_by_utf16() -> None:
    out = canonical_bytes(load_strict(RFC_SORT_IN)).decode()
    positions = [out.index(v) for v in RFC_SORT_VALUES]
    assert positions == sorted(positions)
    assert out.startswith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1e30, "1e+30"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (4.5, "4.5"),
        (2e-3, "0.002"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740991, "9007199254740991"),
        (-9007199254740991, "-9007199254740991"),
    ],
)
def test_number_formatting(number: float, text: str) -> None:
    assert canonical_bytes(number) == text.encode()


def test_whitespace_and_key_order_do_not_matter() -> None:
    a = load_strict(b'{"b": [1, {"y": 2, "x": 1}], "a": "z"}')
    b = load_strict(b'{ "a" : "z" ,\n "b" : [ 1 , { "x" : 1 , "y" : 2 } ] }')
    assert canonical_bytes(a) == canonical_bytes(b) == b'{"a":"z","b":[1,{"x":1,"y":2}]}'


def test_non_ascii_is_written_as_utf8_not_escaped() -> None:
    assert canonical_bytes({"as_written": "超3.6亿"}) == '{"as_written":"超3.6亿"}'.encode()


@pytest.mark.parametrize(
    "value",
    [
        2**53,
        -(2**53),
        float("nan"),
        float("inf"),
        object(),
        {1: "non-string key"},
        "\ud800",
        {"\udc00": 1},
        b"bytes",
    ],
)
def test_values_jcs_cannot_represent_are_input_errors(value: Any) -> None:
    with pytest.raises(InputError, match=r"figures\.json: cannot canonicalise"):
        canonical_bytes(value, path="figures.json")


def test_sha256_hex_format() -> None:
    digest = sha256_hex(b"abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert len(sha256_hex(b"")) == 64


@pytest.mark.parametrize("chunk", [1, 4096, 1 << 20])
def test_file_sha256_streams_and_matches_hashlib(tmp_path: Path, chunk: int) -> None:
    data = os.urandom(3 * (1 << 20) + 12345) if chunk > 1 else os.urandom(5000)
    f = tmp_path / "report.pdf"
    f.write_bytes(data)
    assert file_sha256(f, chunk=chunk) == hashlib.sha256(data).hexdigest()
    assert file_sha256(str(f), chunk=chunk) == sha256_hex(data)


def test_file_sha256_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty"
    f.write_bytes(b"")
    assert file_sha256(f) == hashlib.sha256(b"").hexdigest()


def test_file_sha256_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.pdf"):
        file_sha256(tmp_path / "nope.pdf")
