"""Publishing: digest a document, anchor it once, write its canonical form and its receipt beside it.

Order matters for crash safety: the canonical file is written first (it is a pure function of the
input), then the chain is asked whether this organisation already anchored the digest — if so that
attestation is reused, never duplicated — and the receipt is written last, atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.documents import HashedDocument, document_type, hash_document
from attest.core.errors import InputError
from attest.core.manifest import write_atomic
from attest.core.receipt import AttestationPart, ChainPart, DocumentPart, Receipt
from attest.core.records import OnchainAttestation, Published
from attest.core.sidefiles import canonical_path, receipt_path

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from attest.app.journal import Journal

MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class PublishResult:
    document: HashedDocument
    published: Published
    receipt: Receipt
    receipt_path: Path
    canonical_path: Path | None
    outcome: str | None = None  # with a journal: sent | already | resumed | resent


def prepare(path: str | Path, *, kind: Kind, year: int | None) -> tuple[HashedDocument, int]:
    """Validate and digest before anything touches the chain: bad input never reaches it."""
    p = Path(path)
    if p.exists() and not p.is_dir() and not p.is_file():
        # a FIFO or device would block or never end; only regular files are documents
        raise InputError("not a regular file (a FIFO, socket or device)", path=p)
    if p.is_symlink() and not p.exists():
        raise InputError("broken symbolic link", path=p)
    if p.is_file() and p.stat().st_size == 0:
        # the sha256 of nothing is the same for everyone: anchoring it would prove nothing
        raise InputError("empty file: nothing to anchor", path=p)
    wanted = document_type(kind)
    doc = hash_document(path, structured=True if wanted.schema is not None else None)
    if wanted.schema is None and doc.type.schema is not None:
        raise InputError(
            f"is {doc.type.title}: publish it as {doc.type.label} (`attest publish {doc.type.label}`); "
            "verification judges a document by its content, so its raw bytes would never verify",
            path=path,
            field="schema",
        )
    if doc.type is not wanted:
        raise InputError(
            f"publishing {wanted.label} needs {wanted.title}, not {doc.type.title}", path=path, field="schema"
        )
    stated = wanted.year(doc)
    if stated is not None:
        if year is not None and year != stated:
            raise InputError(
                f"--year {year} contradicts the document's {wanted.year_field} {stated}",
                path=path,
                field=wanted.year_field,
            )
        year = stated
    if year is None:
        raise InputError("a reporting year is required for this file (--year)", path=path)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}", path=path, field="year")
    return doc, year


def publish(
    deployment: Deployment,
    account: LocalAccount,
    path: str | Path,
    *,
    kind: Kind,
    year: int | None = None,
    uri: str = "",
    ref: str | None = None,
    journal: Journal | None = None,
) -> PublishResult:
    """Anchor one document for the account's organisation and write its receipt (idempotent).

    With a `journal`, the intent and signed transaction are recorded before sending, so a re-run
    after any crash resumes instead of guessing (attest.app.journal).
    """
    doc, year = prepare(path, kind=kind, year=year)
    _check_author(deployment, account, doc)
    canonical_file = None
    if doc.canonical is not None:
        canonical_file = canonical_path(doc.path)
        write_atomic(canonical_file, doc.canonical)
    outcome = None
    if journal is not None:
        journaled = journal.attest(
            deployment, account, doc.digest, kind, year, ref=ref, uri=uri, path=doc.path
        )
        published, outcome = journaled.published, journaled.outcome
    else:
        published = deployment.attest(account, doc.digest, kind, year, ref=ref, uri=uri)
    receipt = build_receipt(deployment, doc, published.attestation)
    out = receipt_path(doc.path)
    write_atomic(out, receipt.dump())
    return PublishResult(doc, published, receipt, out, canonical_file, outcome)


def _check_author(deployment: Deployment, account: LocalAccount, doc: HashedDocument) -> None:
    """Refuse to anchor a document that names another organisation as its author.

    The registry would accept it (an organisation may anchor any digest for itself), but publishing
    another member's figures under your name is never what a publisher means to do.
    """
    claimed = doc.type.organisation(doc)
    if claimed is None:
        return
    org_id = deployment.account_org(account.address)
    if org_id == 0:
        return  # not a member: the registry refuses with NotMember, decoded for the user
    actual = deployment.organisation(org_id).info.name
    if claimed != actual:
        raise InputError(
            f"the document names {claimed!r}, but the signing account belongs to {actual!r} (org #{org_id})",
            path=doc.path,
            field=doc.type.organisation_field,
        )


def build_receipt(deployment: Deployment, doc: HashedDocument, a: OnchainAttestation) -> Receipt:
    timestamp = int(deployment.chain.block(a.block_number)["timestamp"])
    return Receipt(
        document=DocumentPart(
            name=doc.path.name, media_type=doc.media_type, digest=doc.digest, digest_rule=doc.digest_rule
        ),
        attestation=AttestationPart(
            uid=a.uid,
            org_id=a.org_id,
            attester=a.attester,
            kind=a.kind.label,
            year=a.year,
            ref=a.ref,
            uri=a.uri,
        ),
        chain=ChainPart(
            chain_id=deployment.manifest.chain_id,
            registry=deployment.manifest.registry.address,
            transaction_hash=a.transaction_hash,
            block_number=a.block_number,
            block_hash=a.block_hash,
            timestamp=timestamp,
        ),
    )
