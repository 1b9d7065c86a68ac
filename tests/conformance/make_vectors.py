"""Write the shared conformance vectors: `python tests/conformance/make_vectors.py`.

`jcs.json`: JSON texts (as base64 bytes, since some are not UTF-8) with the RFC 8785 canonical text
the Python side computes (attest.core.strictjson.load_strict + attest.core.canonical.canonical_bytes),
or `refuse` for the texts both sides must refuse. `documents/`: files `attest hash` digests, listed in
`documents.json` with the digest and rule it prints, or `refuse`. tests/test_conformance.py checks the
Python side against these files, tests/test_browser.py the browser's; neither trusts the generator.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from attest.core.canonical import canonical_bytes  # noqa: E402
from attest.core.errors import InputError  # noqa: E402
from attest.core.strictjson import load_strict  # noqa: E402

B = bytes
ACCEPT: list[tuple[str, bytes]] = [
    (
        "rfc8785 3.2.2 sample",
        rb"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}""",
    ),
    (
        "rfc8785 3.2.3 key sorting by UTF-16",
        rb"""{
  "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}""",
    ),
    (
        "astral key sorts before U+FB33 (UTF-16, not code points)",
        '{"\ufb33":1,"\U0001f600":2,"\uffff":3,"\U00010000":4}'.encode(),
    ),
    ("raw astral characters", '{"s":"𠀀 😀 𝄞 \U0010ffff"}'.encode()),
    ("escaped surrogate pair, both cases", rb'{"a":"\ud83d\ude00","b":"\uD83D\uDE00","c":"\uD834\uDD1E"}'),
    ("every control character escaped", json.dumps({"c": "".join(chr(i) for i in range(32))}).encode()),
    ("controls written as \\u escapes in upper case", rb'{"c":"\u0000\u001F\u000B\u007f\u0080"}'),
    ("short escapes", rb'{"e":"\" \\ \/ \b \f \n \r \t"}'),
    ("DEL and C1 controls stay as they are", '{"d":"\x7f\x85\x9f"}'.encode()),
    ("U+2028 and U+2029 raw and escaped", '{"a":"\u2028\u2029","b":"\\u2028\\u2029"}'.encode()),
    ("non-ASCII escaped and raw are one string", rb'{"a":"\u00e9\u8d85","b":"' + "é超".encode() + b'"}'),
    ("keys that differ only by case or normalisation", '{"a":1,"A":2,"é":3,"e\u0301":4}'.encode()),
    ("prototype-looking keys", rb'{"__proto__":{"x":1},"constructor":2,"toString":3,"hasOwnProperty":4}'),
    ("numeric-looking keys sort as strings", rb'{"10":1,"2":2,"1":3,"":4,"-1":5,"01":6}'),
    (
        "nested key order and whitespace",
        b'{ "b" : [ 1 , { "y" : 2 , "x" : 1 } ] ,\r\n\t"a" : "z" , "c" : { } , "d" : [ ] }',
    ),
    ("integers at the edge of the safe range", b"[9007199254740991,-9007199254740991,0,-0,1,-1]"),
    ("integral floats", b"[1.0,-1.0,100.0,1e2,1E+2,100e-2,0.0,-0.0,1e0]"),
    ("exponent boundaries", b"[1e20,1e21,1e-6,1e-7,123456789e13,1.5e21,0.000001234,1.234e-7]"),
    ("extremes", b"[5e-324,2.2250738585072014e-308,1.7976931348623157e308,1e-400,-1e-400]"),
    ("shortest round trip", b"[0.1,0.2,0.30000000000000004,1.1,100.5,9007199254740993.0,2.5e-5,123.456]"),
    ("many digits", b"[3.14159265358979323846264338327950288,0.1000000000000000055511151231257827]"),
    ("float beyond 2^53 written with a fraction", b"[18446744073709551616.0,1.8446744073709552e19]"),
    ("literals", b'[true,false,null,[null],{"n":null}]'),
    ("top-level scalars: string", b'"just a string"'),
    ("top-level scalars: number", b"  42  "),
    ("nested 256 deep", b"[" * 256 + b"]" * 256),
    ("empty string and key", b'{"":""}'),
    ("solidus unescaped", rb'{"url":"https:\/\/example.invalid/a/b"}'),
]
REFUSE: list[tuple[str, bytes]] = [
    ("duplicate key", b'{"a":1,"a":2}'),
    ("duplicate key after unescaping", rb'{"a":1,"\u0061":2}'),
    ("duplicate key, nested", b'{"x":[{"k":1,"j":0,"k":1}]}'),
    ("duplicate key, same value", b'{"value":"1","value":"1"}'),
    ("duplicate astral key, one escaped", b'{"\xf0\x9f\x98\x80":1,"\\ud83d\\ude00":2}'),
    ("lone high surrogate", rb'{"s":"\ud800"}'),
    ("lone low surrogate", rb'{"s":"\udc00"}'),
    ("reversed surrogate pair", rb'{"s":"\ude00\ud83d"}'),
    ("high surrogate then a letter", rb'{"s":"\ud83dA"}'),
    ("lone surrogate in a key", rb'{"\udfff":1}'),
    ("two high surrogates then a low", rb'["\ud83d\ud83d\ude00"]'),
    ("NaN", b'{"v":NaN}'),
    ("Infinity", b"[Infinity]"),
    ("-Infinity", b"[-Infinity]"),
    ("number overflowing to infinity", b"[1e400]"),
    ("integer beyond 2^53 - 1", b"[9007199254740992]"),
    ("negative integer beyond 2^53 - 1", b"[-9007199254740992]"),
    ("huge integer", b"[" + b"9" * 40 + b"]"),
    ("byte order mark", b'\xef\xbb\xbf{"a":1}'),
    ("invalid UTF-8: lone continuation byte", b'{"a":"\x80"}'),
    ("invalid UTF-8: overlong solidus", b'{"a":"\xc0\xaf"}'),
    ("invalid UTF-8: encoded surrogate", b'{"a":"\xed\xa0\x80"}'),
    ("invalid UTF-8: beyond U+10FFFF", b'{"a":"\xf4\x90\x80\x80"}'),
    ("invalid UTF-8: truncated sequence", b'{"a":"\xe8\xb6"}'),
    ("invalid UTF-8: Latin-1 text", b'{"a":"caf\xe9"}'),
    ("nested 257 deep", b"[" * 257 + b"]" * 257),
    ("trailing comma in object", b'{"a":1,}'),
    ("trailing comma in array", b"[1,]"),
    ("single quotes", b"{'a':1}"),
    ("comment", b'{"a":1 /* c */}'),
    ("trailing data", b'{"a":1} {"b":2}'),
    ("leading zero", b"[01]"),
    ("plus sign", b"[+1]"),
    ("bare fraction", b"[.5]"),
    ("trailing decimal point", b"[1.]"),
    ("exponent without digits", b"[1e]"),
    ("raw newline in a string", b'{"a":"x\ny"}'),
    ("raw tab in a string", b'{"a":"x\ty"}'),
    ("unknown escape", rb'{"a":"\x41"}'),
    ("short unicode escape", rb'{"a":"\u12"}'),
    ("unterminated string", b'{"a":"abc'),
    ("empty document", b""),
    ("only whitespace", b" \r\n\t"),
    ("form feed is not JSON whitespace", b'\x0c{"a":1}'),
    ("no-break space is not JSON whitespace", '\u00a0{"a":1}'.encode()),
    ("non-ASCII digit", "[\u0661]".encode()),
    ("unquoted key", b"{a:1}"),
    ("capitalised literal", b"[True]"),
]


def python_side(data: bytes) -> bytes | str:
    """The canonical bytes, or the one-line error that refuses the input."""
    try:
        return canonical_bytes(load_strict(data))
    except InputError as exc:
        return f"refused: {exc}"


def jcs_vectors() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for name, data in ACCEPT:
        got = python_side(data)
        assert isinstance(got, bytes), (name, got)
        out.append({"name": name, "input": base64.b64encode(data).decode(), "canonical": got.decode()})
    for name, data in REFUSE:
        got = python_side(data)
        assert isinstance(got, str), (name, got)
        out.append({"name": name, "input": base64.b64encode(data).decode(), "refuse": got})
    return out


def documents() -> list[tuple[str, bytes]]:
    """Documents `attest hash` reads: figures and statements written in many ways, and refusals."""
    figures = json.loads((ROOT / "examples" / "webank-2022-figures.json").read_text(encoding="utf-8"))
    statement = json.loads(
        (ROOT / "examples" / "illustrative-carbon-verification-2022.json").read_text(encoding="utf-8")
    )
    docs: list[tuple[str, bytes]] = []
    docs.append(("figures-as-published.json", json.dumps(figures, ensure_ascii=False, indent=2).encode()))
    docs.append(("figures-ascii-escaped.json", json.dumps(figures, ensure_ascii=True).encode()))
    reordered = dict(reversed(list(figures.items())))
    reordered["metrics"] = [dict(reversed(list(m.items()))) for m in figures["metrics"]]
    docs.append(
        ("figures-keys-reversed.json", json.dumps(reordered, ensure_ascii=False, indent="\t").encode())
    )
    tricky = copy.deepcopy(figures)
    tricky["report"]["title"] = 'Quotes " and \\ backslashes, \t tab, \u2028 LS, DEL \x7f, 😀 𠀀 𝄞'
    tricky["organisation"]["legal_name"] = "\u0000\u001f control characters and e\u0301 vs é"
    tricky["metrics"][0]["as_written"] = "超3.6亿 \U0001f331 \ufb33 \uffff"
    docs.append(("figures-tricky-strings.json", json.dumps(tricky, ensure_ascii=False).encode()))
    docs.append(("figures-tricky-strings-escaped.json", json.dumps(tricky, ensure_ascii=True).encode()))
    docs.append(
        (
            "figures-crlf.json",
            json.dumps(figures, ensure_ascii=False, indent=1).replace("\n", "\r\n").encode(),
        )
    )
    docs.append(("figures-renamed.txt", json.dumps(figures, ensure_ascii=False).encode()))
    docs.append(("statement.json", json.dumps(statement, ensure_ascii=False, indent=2).encode()))
    docs.append(("statement-escaped.json", json.dumps(statement, ensure_ascii=True, sort_keys=True).encode()))
    docs.append(("other-json.json", b'{"schema":"something-else/1","b":1,  "a":2}'))
    docs.append(("not-json.txt", b'{"a":1,"a":2} is not strict JSON, but a .txt is hashed as bytes'))
    docs.append(("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"))
    docs.append(("empty.bin", b""))
    docs.append(("leading-dot-only", b"\xef\xbb\xbf  {not json at all"))
    # must be refused by both
    text = json.dumps(figures, ensure_ascii=False, indent=2)
    dup = text.replace('"reporting_year": 2022,', '"reporting_year": 2022,\n  "reporting_year": 2021,', 1)
    docs.append(("REFUSE-figures-duplicate-key.json", dup.encode()))
    value = figures["metrics"][0]["value"]
    dup_value = text.replace(f'"value": "{value}",', f'"value": "{value}",\n      "value": "1",', 1)
    docs.append(("REFUSE-figures-duplicate-value.json", dup_value.encode()))
    docs.append(("figures-duplicate-key-as-text.txt", dup.encode()))  # not .json: its bytes
    lone = text.replace(
        '"label": "Individual customers served"', '"label": "Individual \\ud800 customers"', 1
    )
    docs.append(("REFUSE-figures-lone-surrogate.json", lone.encode()))
    docs.append(("REFUSE-figures-bom.json", b"\xef\xbb\xbf" + text.encode()))
    docs.append(
        ("REFUSE-figures-nan.json", text.replace('"reporting_year": 2022', '"reporting_year": NaN').encode())
    )
    v2 = text.replace('"esg-figures/1"', '"esg-figures/2"', 1)
    docs.append(("REFUSE-figures-unsupported-version.json", v2.encode()))
    docs.append(("REFUSE-json-with-duplicate-key.json", b'{"a":1,"a":2}'))
    docs.append(("REFUSE-invalid-utf8.json", b'{"a":"\xff"}'))
    return docs


def attest_hash(path: Path) -> dict[str, str] | str:
    attest = Path(sys.executable).parent / "attest"
    r = subprocess.run(
        [str(attest), "hash", "--json", str(path)], capture_output=True, text=True, check=False
    )
    if r.returncode == 0:
        row = json.loads(r.stdout)[0]
        return {"digest": row["digest"], "rule": row["rule"]}
    return r.stderr.strip().removeprefix("error: ").removeprefix(f"{path}: ")


def main() -> None:
    (HERE / "jcs.json").write_text(
        json.dumps(jcs_vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    docdir = HERE / "documents"
    docdir.mkdir(exist_ok=True)
    listing: list[dict[str, object]] = []
    for name, data in documents():
        (docdir / name).write_bytes(data)
        got = attest_hash(docdir / name)
        must_refuse = name.startswith("REFUSE-")
        assert isinstance(got, str) == must_refuse, (name, got)
        entry: dict[str, object] = {"file": name}
        entry.update({"refuse": got} if isinstance(got, str) else got)
        listing.append(entry)
    (HERE / "documents.json").write_text(json.dumps(listing, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
