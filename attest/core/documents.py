"""What a file is and what its digest is: the one rule every command shares.

Structured documents (`esg-figures/1` and `carbon-verification/1` JSON) are hashed in their RFC 8785
canonical form, so key order and whitespace do not matter but every value does; any other file is
hashed as raw bytes, streamed. A receipt is not a document: callers handle it before asking for a digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from attest.core.canonical import file_sha256, sha256_hex
from attest.core.errors import InputError
from attest.core.figures import EsgFigures, figures_canonical, is_figures_document, parse_figures
from attest.core.statement import (
    CarbonVerification,
    is_statement_document,
    parse_statement,
    statement_canonical,
)
from attest.core.strictjson import load_strict

FIGURES_MEDIA_TYPE = "application/vnd.esg-figures.v1+json"
STATEMENT_MEDIA_TYPE = "application/vnd.carbon-verification.v1+json"
OCTET_STREAM = "application/octet-stream"
MAX_JSON_BYTES = 64 << 20


@dataclass(frozen=True)
class HashedDocument:
    path: Path
    media_type: str
    digest: str
    digest_rule: Literal["sha256-rfc8785", "sha256-raw"]
    canonical: bytes | None = None
    figures: EsgFigures | None = None
    statement: CarbonVerification | None = None

    @property
    def rule_text(self) -> str:
        return "RFC 8785 canonical form" if self.digest_rule == "sha256-rfc8785" else "raw bytes"


def read_json_document(path: Path) -> object:
    """Strictly parse a small JSON file; InputError (exit 2) names the file on any problem."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise InputError(f"JSON document larger than {MAX_JSON_BYTES >> 20} MiB", path=path)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path=path) from None
    return load_strict(data, path=path)


def hash_document(path: str | Path, *, structured: bool | None = None) -> HashedDocument:
    """Digest a file. `structured=None` decides by content: `.json` files declaring esg-figures/1 or
    carbon-verification/1 are hashed in canonical form; `structured=True` requires one of them."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory, not a file", path=p)
    if structured is not False and p.suffix.lower() == ".json":
        obj = read_json_document(p)
        if is_figures_document(obj):
            doc = parse_figures(obj, path=p)
            canonical = figures_canonical(doc)
            return HashedDocument(
                p, FIGURES_MEDIA_TYPE, sha256_hex(canonical), "sha256-rfc8785", canonical, doc
            )
        if is_statement_document(obj):
            statement = parse_statement(obj, path=p)
            canonical = statement_canonical(statement)
            return HashedDocument(
                p,
                STATEMENT_MEDIA_TYPE,
                sha256_hex(canonical),
                "sha256-rfc8785",
                canonical,
                statement=statement,
            )
        if structured:
            raise InputError("not an esg-figures/1 or carbon-verification/1 document", path=p, field="schema")
    return HashedDocument(p, OCTET_STREAM, file_sha256(p), "sha256-raw")
