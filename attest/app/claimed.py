"""Verify a document that was hashed elsewhere: the reader's browser sends its digest.

The page `attest serve` gives computes a document's digest in the reader's browser and sends what
the rules need to know about it: the digest, the digest rule it applied, and what the document says
about itself — its type (figures / statement / file by its content), the organisation it names and
its year — plus the receipt, if one was given. A plain file never leaves the reader's machine. A
published JSON document (figures, a statement) is also sent as its canonical text (`canonical`):
the rules that read a document's content (a statement's retirements, its credit blocks) need it,
and the server digests it itself, so it must be the document the digest is of. From these the same
`Target` is built that `attest.app.verify.read_target` builds from a file, and the same `gather`
and `finish` decide, so the page's verdict is the CLI's. A statement sent without its text is
refused (its claims could otherwise switch off the rules that read its content). The claims only
narrow whose attestation counts, as the file would: a reader who lies about their own file only
fools themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attest.app.facts import LiveFacts
from attest.app.verify import Target, finish, gather
from attest.core.contracts import Kind
from attest.core.documents import (
    DOCUMENT_TYPES,
    MAX_JSON_BYTES,
    DocumentType,
    HashedDocument,
    structured_from_bytes,
)
from attest.core.errors import InputError
from attest.core.receipt import Receipt, is_receipt, parse_receipt
from attest.core.sidefiles import RECEIPT_SUFFIX, receipt_name
from attest.core.strictjson import load_strict, quote_text
from attest.core.verification import Report

if TYPE_CHECKING:
    from attest.app.proven import Prover
    from attest.chain.deployment import Deployment

_HEX64 = re.compile(r"^(?:sha256:|0x)?([0-9a-fA-F]{64})$")
_RULE_TEXT = {"sha256-rfc8785": "RFC 8785 canonical form", "sha256-raw": "raw bytes"}
MAX_NAME = 255
MAX_RECEIPT_BYTES = 1 << 20
MAX_DOCUMENT_CHARS = MAX_JSON_BYTES  # the largest JSON document `attest hash` reads


@dataclass(frozen=True)
class Claims:
    """What a document hashed elsewhere says about itself (read by the browser from its content)."""

    name: str  # its file name, as the reader picked it
    type: DocumentType
    organisation: str | None  # the organisation it names (figures: the bank; statements: the verifier)
    year: int | None
    schema: str | None = None  # the schema it declares (a /1 statement's credits cannot be compared)
    document: HashedDocument | None = None  # a JSON document's content, when the client sent it


@dataclass(frozen=True)
class ClaimedTarget(Target):
    """A `Target` known by its claims (kind, named organisation, year) and, for a JSON document
    whose content was sent, by that content, as a file's is (then the claims are not needed)."""

    claims: Claims | None = None

    @property
    def kind(self) -> Kind | None:
        if self.document is not None:
            return super().kind
        return self.claims.type.kind if self.claims is not None else None

    @property
    def named_org(self) -> str | None:
        if self.document is not None:
            return super().named_org
        return self.claims.organisation if self.claims is not None else None

    @property
    def year(self) -> int | None:
        if self.document is not None:
            return super().year
        return self.claims.year if self.claims is not None else None

    @property
    def schema(self) -> str | None:
        if self.document is not None:
            return super().schema
        return self.claims.schema if self.claims is not None else None


def parse_digest(text: object, *, field: str = "digest") -> str:
    """A sha256 given as 64 hex digits (with or without `0x` / `sha256:`), lowercased."""
    match = _HEX64.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InputError("not a sha256 digest (64 hexadecimal digits)", field=field)
    return match.group(1).lower()


def parse_claims(obj: object) -> Claims:
    """The document part of a request, checked field by field (the request is the reader's, unchecked)."""
    if not isinstance(obj, dict):
        raise InputError("must be an object", field="document")
    name = obj.get("name")
    if not isinstance(name, str) or not name or len(name) > MAX_NAME or "/" in name or "\x00" in name:
        raise InputError("must be a file name", field="document.name")
    label = obj.get("type")
    types = {t.label: t for t in DOCUMENT_TYPES}
    if label not in types:
        raise InputError(f"must be one of {', '.join(types)}", field="document.type")
    doc_type = types[str(label)]
    organisation, year = obj.get("organisation"), obj.get("year")
    if doc_type.organisation_field is None:
        if organisation is not None or year is not None:
            raise InputError("a plain file names no organisation or year", field="document")
        return Claims(name, doc_type, None, None)
    if not isinstance(organisation, str) or not organisation or len(organisation) > 1000:
        raise InputError("must be the organisation the document names", field="document.organisation")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        raise InputError("must be the document's reporting year (1990..2100)", field="document.year")
    schema = obj.get("schema")
    if schema is not None and (
        not isinstance(schema, str) or not schema.startswith(str(doc_type.schema).split("/")[0] + "/")
    ):
        raise InputError(f"must be the schema {doc_type.title} declares", field="document.schema")
    document = None
    text = obj.get("canonical")
    if text is None and doc_type.kind is Kind.STATEMENT:
        # a statement's claims alone would let a client switch off the rules that read its content
        # (its retirements, its credit blocks, its schema): it is judged by its content only
        raise InputError(
            "a statement is verified by its content: send its canonical JSON text too (the page does)",
            field="document.canonical",
        )
    if text is not None:
        if not isinstance(text, str) or len(text) > MAX_DOCUMENT_CHARS:
            raise InputError("must be the document's canonical JSON text", field="document.canonical")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("contains an unpaired surrogate", field="document.canonical") from None
        document = structured_from_bytes(name, data)
        if document.type is not doc_type:
            raise InputError(f"is {document.type.title}, not {doc_type.title}", field="document.canonical")
    return Claims(name, doc_type, organisation, year, schema, document)


def parse_receipt_text(name: object, text: object) -> Receipt:
    """A receipt as the reader picked it: its file name and its text, parsed strictly."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise InputError("must be a file name", field="receipt.name")
    if not isinstance(text, str) or len(text.encode("utf-8", "surrogatepass")) > MAX_RECEIPT_BYTES:
        raise InputError("must be the receipt's text (at most 1 MiB)", field="receipt.text", path=name)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("contains an unpaired surrogate", path=name) from None
    obj = load_strict(data, path=name)
    if not is_receipt(obj):
        raise InputError("not a receipt (esg-attest/receipt/1)", path=name, field="schema")
    return parse_receipt(obj, path=name)


def _receipt_problems(receipt_file: str, receipt: Receipt, document: str | None) -> list[str]:
    """The receipt is evidence about the document it names: as `read_target` requires of a receipt
    beside its document, its own name must be that document's receipt name and, when the reader gave
    the document too, the document must be the one it names."""
    problems = []
    recorded = receipt.document.name
    plain = bool(recorded) and recorded not in (".", "..") and "/" not in recorded and "\\" not in recorded
    if not plain:
        problems.append(f"the receipt names its document {quote_text(recorded)}, which is not a file name")
    elif receipt_file.endswith(RECEIPT_SUFFIX) and receipt_name(recorded) != receipt_file:
        named_for = quote_text(receipt_file.removesuffix(RECEIPT_SUFFIX))
        problems.append(
            f"the receipt {receipt_file} is named for {named_for}, but it describes {quote_text(recorded)}"
        )
    if document is not None and plain and document != recorded:
        problems.append(
            f"the receipt describes {quote_text(recorded)}, the document given is {quote_text(document)}"
        )
    return problems


def claimed_target(
    digest: str | None, rule: str | None, claims: Claims | None, receipt: tuple[str, Receipt] | None
) -> ClaimedTarget:
    """The target the rules judge: a digest with its document's claims, a receipt, or a bare digest."""
    if claims is not None:
        if digest is None:
            raise InputError("a document's digest is missing", field="digest")
        if rule != claims.type.digest_rule:
            raise InputError(
                f"{claims.type.title} is digested by {claims.type.digest_rule}, not {rule}", field="rule"
            )
        if claims.document is not None and claims.document.digest != digest:
            raise InputError(
                f"the document sent has sha256 {claims.document.digest}, not the digest sent ({digest})",
                field="document.canonical",
            )
    rule_text = _RULE_TEXT.get(str(rule), "")
    if receipt is not None:
        receipt_file, r = receipt
        problems = tuple(_receipt_problems(receipt_file, r, claims.name if claims else None))
        if claims is None or digest is None:
            if digest is not None:
                raise InputError("a receipt with a bare digest: give the document, or the receipt alone")
            detail = "from the receipt; document not at hand"
            return ClaimedTarget(r.document.digest, detail, r, receipt_problems=problems)
        mismatch = None
        if digest != r.document.digest:
            mismatch = (
                f"{claims.name} has sha256 {digest} ({rule_text}), the receipt says {r.document.digest}: "
                "the document was changed after publishing, or the receipt is not its receipt"
            )
        detail = f"{rule_text} of {claims.name}, hashed in the reader's browser"
        return ClaimedTarget(
            digest, detail, r, mismatch, claims.document, receipt_problems=problems, claims=claims
        )
    if digest is None:
        raise InputError("give a document, a receipt or a sha256 digest", field="digest")
    if claims is None:
        return ClaimedTarget(digest, "given as a bare digest")
    return ClaimedTarget(
        digest, f"{rule_text}, hashed in the reader's browser", document=claims.document, claims=claims
    )


def verify_claimed(
    deployment: Deployment,
    request: dict[str, Any],
    *,
    prover: Prover | None = None,
    require_coverage: bool = False,
    strict: bool = False,
) -> Report:
    """Verify what the reader's browser sent (`digest`, `rule`, `document`, `receipt`, `org`) with the
    rules `attest verify` applies; InputError (one line, the field named) for a malformed request."""
    digest = parse_digest(request["digest"]) if request.get("digest") is not None else None
    claims = parse_claims(request["document"]) if request.get("document") is not None else None
    receipt = None
    if request.get("receipt") is not None:
        part = request["receipt"]
        if not isinstance(part, dict):
            raise InputError("must be an object", field="receipt")
        receipt = (str(part.get("name")), parse_receipt_text(part.get("name"), part.get("text")))
    org = request.get("org")
    if org is not None and (not isinstance(org, str) or not org.strip()):
        raise InputError("must be an organisation id or name", field="org")
    target = claimed_target(digest, request.get("rule"), claims, receipt)
    subject = claims.name if claims is not None else receipt[0] if receipt is not None else target.digest
    facts = LiveFacts(deployment)
    evidence = gather(facts, target, subject, org, require_coverage, strict, prover=prover)
    return finish(facts, evidence, prover)
