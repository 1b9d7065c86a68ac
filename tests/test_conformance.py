"""The Python side of the shared conformance vectors (tests/conformance/): strict JSON and RFC 8785
as attest.core does them, and `attest hash` on every document. tests/test_browser.py checks the
browser's implementation against the same files, so the two agree on every vector."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from worlds import run_attest

from attest.core.canonical import canonical_bytes
from attest.core.errors import InputError
from attest.core.strictjson import load_strict

HERE = Path(__file__).resolve().parent / "conformance"
JCS = json.loads((HERE / "jcs.json").read_text(encoding="utf-8"))
DOCUMENTS = json.loads((HERE / "documents.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", JCS, ids=[v["name"] for v in JCS])
def test_jcs_vector(vector: dict[str, Any]) -> None:
    data = base64.b64decode(vector["input"])
    if "refuse" in vector:
        with pytest.raises(InputError):
            canonical_bytes(load_strict(data))
    else:
        assert canonical_bytes(load_strict(data)).decode() == vector["canonical"]


def test_vectors_cover_what_the_issue_names() -> None:
    names = " ".join(v["name"] for v in JCS)
    for topic in ("duplicate", "surrogate", "escape", "sort", "astral", "NaN", "UTF-8", "integer", "deep"):
        assert topic in names, topic
    assert JCS[0]["canonical"] == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )  # RFC 8785 section 3.2.2, as the RFC prints it


def test_attest_hash_on_every_document() -> None:
    paths = [HERE / "documents" / e["file"] for e in DOCUMENTS]
    for entry, path in zip(DOCUMENTS, paths, strict=True):
        r = run_attest("hash", "--json", str(path))
        if "refuse" in entry:
            assert r.returncode == 2, (entry["file"], r.stdout)
            assert r.stderr.strip() == f"error: {path}: {entry['refuse']}"
        else:
            assert r.returncode == 0, r.stderr
            row = json.loads(r.stdout)[0]
            assert {"digest": row["digest"], "rule": row["rule"]} == {
                "digest": entry["digest"],
                "rule": entry["rule"],
            }
            if entry["rule"] == "sha256-raw":
                assert entry["digest"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sum("refuse" in e for e in DOCUMENTS) >= 8
