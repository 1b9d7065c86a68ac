"""What a file is and what its digest is: the one rule every command shares.

Structured documents (`esg-figures/1` and `carbon-verification/1` or `/2` JSON) are hashed in their RFC 8785
canonical form, so key order and whitespace do not matter but every value does; any other file is
hashed as raw bytes, streamed. A receipt is not a document: callers handle it before asking for a digest.

`DOCUMENT_TYPES` is the one table of what each type is and says about itself — its kind, its digest
rule, which organisation it names and at which field (the one that anchors it), its reporting year —
so publishing and verifying ask `doc.type` instead of branching on figures/statement/file again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from attest.core.canonical import file_sha256, file_sha256_and_head, sha256_hex
from attest.core.contracts import Kind
from attest.core.errors import InputError, StrictJSONError
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

DigestRule = Literal["sha256-rfc8785", "sha256-raw"]
Structured = EsgFigures | CarbonVerification


@dataclass(frozen=True)
class DocumentType:
    """One type of document attest anchors, and what a document of it answers about itself."""

    label: str  # figures | statement | file (its kind's label)
    kind: Kind
    title: str  # for messages: "an esg-figures/1 document"
    media_type: str
    digest_rule: DigestRule
    schema: str | None = None  # what a structured document declares in its `schema` field
    organisation_field: str | None = None  # where it names the organisation that anchors it
    year_field: str | None = None  # where it gives its reporting year (else: --year)
    declares: Callable[[object], bool] | None = None  # whether parsed JSON claims this type
    read: Callable[[object, Path], tuple[Structured, bytes]] | None = None  # validated, canonical

    def organisation(self, doc: HashedDocument) -> str | None:
        """The organisation `doc` names as the one anchoring it (None for a plain file)."""
        value = _field(doc, self.organisation_field)
        return value if isinstance(value, str) else None

    def year(self, doc: HashedDocument) -> int | None:
        """The reporting year `doc` states (None for a plain file: the publisher gives it)."""
        value = _field(doc, self.year_field)
        return value if isinstance(value, int) else None


def _field(doc: HashedDocument, dotted: str | None) -> object:
    """The value at a dotted field of the document's validated content (the field an error names)."""
    if dotted is None or doc.content is None:
        return None
    value: object = doc.content
    for name in dotted.split("."):
        value = getattr(value, name)
    return value


def _read_figures(obj: object, path: Path) -> tuple[Structured, bytes]:
    doc = parse_figures(obj, path=path)
    return doc, figures_canonical(doc)


def _read_statement(obj: object, path: Path) -> tuple[Structured, bytes]:
    doc = parse_statement(obj, path=path)
    return doc, statement_canonical(doc)


FIGURES_TYPE = DocumentType(
    "figures",
    Kind.FIGURES,
    "an esg-figures/1 document",
    FIGURES_MEDIA_TYPE,
    "sha256-rfc8785",
    schema="esg-figures/1",
    organisation_field="organisation.name",  # the reporting organisation publishes its own figures
    year_field="reporting_year",
    declares=is_figures_document,
    read=_read_figures,
)
STATEMENT_TYPE = DocumentType(
    "statement",
    Kind.STATEMENT,
    "a carbon-verification/1 or /2 statement",
    STATEMENT_MEDIA_TYPE,  # one media type for the family; the document's `schema` names its version
    "sha256-rfc8785",
    schema="carbon-verification/1 or /2",
    organisation_field="verifier.name",  # the verification body anchors its statement, not the bank
    year_field="reporting_year",
    declares=is_statement_document,
    read=_read_statement,
)
FILE_TYPE = DocumentType("file", Kind.FILE, "a plain file", OCTET_STREAM, "sha256-raw")
DOCUMENT_TYPES = (FIGURES_TYPE, STATEMENT_TYPE, FILE_TYPE)
STRUCTURED_TYPES = tuple(t for t in DOCUMENT_TYPES if t.read is not None)


def document_type(kind: Kind) -> DocumentType:
    """The document type published as `kind`; a batch root is no document (ValueError)."""
    for t in DOCUMENT_TYPES:
        if t.kind is kind:
            return t
    raise ValueError(f"no document type is published as {kind.label}")


@dataclass(frozen=True)
class HashedDocument:
    path: Path
    media_type: str
    digest: str
    digest_rule: DigestRule
    canonical: bytes | None = None
    content: Structured | None = None  # the validated document, when one was read from a structured file

    @property
    def type(self) -> DocumentType:
        """Its entry in DOCUMENT_TYPES, by media type (also for one rebuilt from a receipt's fields)."""
        for t in DOCUMENT_TYPES:
            if t.media_type == self.media_type:
                return t
        raise InputError(f"unknown media type {self.media_type!r}", path=self.path, field="media_type")

    @property
    def figures(self) -> EsgFigures | None:
        return self.content if isinstance(self.content, EsgFigures) else None

    @property
    def statement(self) -> CarbonVerification | None:
        return self.content if isinstance(self.content, CarbonVerification) else None

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


#: the first bytes of a file that tell whether it may be one of our JSON documents
_HEAD = 64


def _looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _declared_type(path: Path) -> DocumentType | None:
    """The structured type a file declares, if it is strict JSON declaring one of our schemas."""
    try:
        obj = read_json_document(path)
    except InputError:
        return None  # not strict JSON: not a document of ours, hashed as the bytes it is
    return next((t for t in STRUCTURED_TYPES if t.declares is not None and t.declares(obj)), None)


def _may_be_ours(path: Path) -> bool:
    """Whether a file not named `.json` could still be one of our structured documents: small, and
    strict JSON declaring one of our schemas (a PDF or spreadsheet is answered from its first bytes)."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return False
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return False
    return _looks_like_json(head) and _declared_type(path) is not None


def plain_file_digest(path: Path, *, refusal: str) -> str:
    """The raw-bytes sha256 of a file that must be a plain file, e.g. a leaf of a batch.

    A structured document is refused (InputError, ending with `refusal`): its digest is that of its
    canonical form, so its raw bytes would never verify, and it must be anchored as its own kind.
    Read once: the first bytes hashed also tell a JSON document from a PDF.
    """
    digest, head = file_sha256_and_head(path)
    if _looks_like_json(head):
        declared = _declared_type(path)
        if declared is not None:
            raise InputError(
                f"is {declared.title}: publish it as {declared.label} (`attest publish {declared.label}`), "
                f"{refusal}; verification judges a document by its content",
                path=path,
                field="schema",
            )
    return digest


def structured_from_bytes(name: str, data: bytes) -> HashedDocument:
    """A structured document (figures or a statement) given as its bytes rather than a file — what
    the verification page's browser sends of a published JSON document — strictly parsed and
    digested exactly as `hash_document` digests the file; InputError when it is not one."""
    from attest.core.strictjson import load_strict

    path = Path(name)
    obj = load_strict(data, path=path)
    for t in STRUCTURED_TYPES:
        assert t.declares is not None and t.read is not None
        if t.declares(obj):
            content, canonical = t.read(obj, path)
            return HashedDocument(
                path, t.media_type, sha256_hex(canonical), t.digest_rule, canonical, content
            )
    schemas = " or ".join(str(t.schema) for t in STRUCTURED_TYPES)
    raise InputError(f"not an {schemas} document", path=path, field="schema")


def hash_document(path: str | Path, *, structured: bool | None = None) -> HashedDocument:
    """Digest a file. `structured=None` decides by content, whatever the file is called: JSON
    declaring esg-figures/1 or carbon-verification/1 is hashed in canonical form (a figures document
    renamed `figures.txt` is still figures); `structured=True` requires one of them."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory, not a file", path=p)
    if structured is None and p.suffix.lower() != ".json":
        # hashed in the same read that tells a plain file (most evidence) from JSON: its first 64
        # bytes, as `_may_be_ours` reads them, decide; JSON-looking, the file is asked as before
        digest, head = file_sha256_and_head(p)
        if not _looks_like_json(head[:_HEAD]) or not _may_be_ours(p):
            return HashedDocument(p, FILE_TYPE.media_type, digest, FILE_TYPE.digest_rule)
    if structured is not False:
        schemas = " or ".join(str(t.schema) for t in STRUCTURED_TYPES)
        try:
            obj = read_json_document(p)
        except StrictJSONError:
            if p.suffix.lower() == ".json":
                raise  # a JSON file that is not strict JSON: say precisely why
            raise InputError(f"not an {schemas} document (not JSON)", path=p, field="schema") from None
        for t in STRUCTURED_TYPES:
            assert t.declares is not None and t.read is not None  # what makes it structured
            if t.declares(obj):
                content, canonical = t.read(obj, p)
                return HashedDocument(
                    p, t.media_type, sha256_hex(canonical), t.digest_rule, canonical, content
                )
        if structured:
            raise InputError(f"not an {schemas} document", path=p, field="schema")
    return HashedDocument(p, FILE_TYPE.media_type, file_sha256(p), FILE_TYPE.digest_rule)
