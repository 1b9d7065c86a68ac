"""Publishing: digest a document, anchor it once, write its canonical form and its receipt beside it.

Order matters for crash safety: the canonical file is written first (it is a pure function of the
input), then the chain is asked whether this organisation already anchored the digest — if so that
attestation is reused, never duplicated, provided it is live and the one asked for (else an error
says what it is) — and the receipt is written last, atomically. One document
or thousands go the same way (`publish_documents`, through `attest.app.anchor`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attest.app import stages
from attest.app.anchor import anchor, scope_of
from attest.app.proven import receipt_proofs
from attest.chain.anchoring import AnchorRequest
from attest.chain.deployment import Deployment
from attest.chain.index import read_blocks
from attest.core.contracts import Kind
from attest.core.credits import claimed_credits, refuse_unknown_registries
from attest.core.documents import HashedDocument, document_type, hash_document
from attest.core.errors import InputError, NotAnchoredAsAsked, TransactionReverted
from attest.core.manifest import write_atomic
from attest.core.receipt import AttestationPart, ChainPart, DocumentPart, Receipt, receipt_of_another
from attest.core.records import OnchainAttestation, Published
from attest.core.sidefiles import canonical_path, receipt_path

if TYPE_CHECKING:
    from attest.app.journal import Journal
    from attest.chain.signer import Signer

MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class PublishResult:
    document: HashedDocument
    published: Published
    receipt: Receipt
    receipt_path: Path
    canonical_path: Path | None
    outcome: str | None = None  # sent | already, and with a journal resumed | resent


@dataclass(frozen=True)
class ToPublish:
    """A prepared document (`prepare`) and what to anchor it as."""

    document: HashedDocument
    kind: Kind
    year: int
    uri: str = ""
    ref: str | None = None


@dataclass(frozen=True)
class PublishFailure:
    """A document whose transaction reverted (decoded), or whose existing attestation by this
    organisation is not the one asked for (revoked, or another kind, year or reference): nothing was
    anchored for it, and no receipt written."""

    document: HashedDocument
    error: TransactionReverted | NotAnchoredAsAsked


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
    if kind is Kind.STATEMENT:
        refuse_unknown_registries(doc.statement, str(path))
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
    account: Signer,
    document: HashedDocument | str | Path,
    *,
    kind: Kind,
    year: int | None = None,
    uri: str = "",
    ref: str | None = None,
    journal: Journal | None = None,
) -> PublishResult:
    """Anchor one document for the account's organisation and write its receipt (idempotent).

    `document` is what `prepare` returned (then `year` is the year it returned, or None for a
    structured document, whose own reporting year counts), so the file is read and hashed once per
    command; a path is prepared here. With a `journal`, the intent and signed transaction are
    recorded before sending, so a re-run after any crash resumes instead of guessing
    (attest.app.journal). A revert is raised, decoded; so is an existing attestation of the document
    by this organisation that was revoked (`AttestationRevoked`) or records another kind, year or
    reference (`AnchoredDifferently`) — a re-run finds only the same live one done.
    """
    if isinstance(document, HashedDocument):
        doc, year = document, _year_of(document, year)
    else:
        doc, year = prepare(document, kind=kind, year=year)
    item = ToPublish(doc, kind, year, uri, ref)
    (result,) = publish_documents(deployment, account, [item], journal=journal)
    if isinstance(result, PublishFailure):
        raise result.error
    return result


def publish_documents(
    deployment: Deployment,
    account: Signer,
    items: Sequence[ToPublish],
    *,
    journal: Journal | None = None,
) -> Iterator[PublishResult | PublishFailure]:
    """Anchor many prepared documents (`attest.app.anchor`: window by window, each window's intents
    journaled before it is sent) and write each receipt as its window completes; one result per
    document, in order. A document whose transaction reverts is a `PublishFailure` and the others
    still go out; a chain error (node gone, transaction refused or not mined) is raised after the
    receipts of what did get anchored are written.
    """
    authors = _Authors(deployment, account)
    for item in items:  # every check that needs no transaction, before any is sent
        authors.check(item.document)
    check_receipt_slots([item.document.path for item in items])
    canonical: dict[int, Path] = {}
    for n, item in enumerate(items):  # a pure function of the input: written before anchoring
        if item.document.canonical is not None:
            canonical[n] = canonical_path(item.document.path)
            write_atomic(canonical[n], item.document.canonical)
    requests = [
        AnchorRequest(
            i.document.digest,
            i.kind,
            i.year,
            ref=i.ref,
            uri=i.uri,
            label=str(i.document.path),
            credits=claimed_credits(i.document.statement) if i.kind is Kind.STATEMENT else None,
        )
        for i in items
    ]
    n = 0
    for window in anchor(deployment, account, requests, journal=journal):
        blocks = read_blocks(
            deployment, sorted({r.published.attestation.block_number for r in window if r.published})
        )
        # receipt/2: the header and proofs of each attestation at its block, to verify offline
        proofs = receipt_proofs(deployment, [r.published.attestation for r in window if r.published])
        for result in window:
            item = items[n]
            if result.published is None:
                if isinstance(result.error, TransactionReverted | NotAnchoredAsAsked):
                    yield PublishFailure(item.document, result.error)
                n += 1
                continue  # any other error is raised by `anchor` once this window is done
            a = result.published.attestation
            receipt = build_receipt(deployment, item.document, a, timestamp=blocks[a.block_number][1])
            if a.uid in proofs:
                receipt = receipt.with_proof(proofs[a.uid])
            out = receipt_path(item.document.path)
            write_atomic(out, receipt.dump())
            yield PublishResult(
                item.document, result.published, receipt, out, canonical.get(n), result.outcome
            )
            stages.reached("receipt")  # once the caller has taken this result
            n += 1


def check_receipt_slots(documents: Sequence[Path]) -> None:
    """Refuse, before anything is sent, to write a receipt over another document's receipt.

    `x` and `x.json` share the receipt name `x.receipt.json` (attest.core.sidefiles): two such
    documents in one run, or a receipt already there that records another document, would leave
    one of them without its receipt. InputError names both.
    """
    claimed: dict[str, Path] = {}
    for doc in documents:
        out = receipt_path(doc)
        key = os.path.abspath(out)
        first = claimed.setdefault(key, doc)
        if first.name != doc.name:
            raise InputError(f"its receipt {out.name} would also be that of {first}: rename one", path=doc)
        owner = receipt_of_another(out, doc.name)
        if owner is not None:
            raise InputError(
                f"{out.name} beside it is the receipt of {owner!r}: publishing would overwrite it; rename "
                "one of the two documents",
                path=doc,
            )


def _year_of(doc: HashedDocument, year: int | None) -> int:
    """The year a prepared document is anchored for: as given, else its own reporting year."""
    structured = doc.figures if doc.figures is not None else doc.statement
    if year is None and structured is not None:
        year = structured.reporting_year
    if year is None:
        raise InputError("a reporting year is required for this file (--year)", path=doc.path)
    return year


class _Authors:
    """`_check_author` for many documents, reading the signer's organisation once."""

    def __init__(self, deployment: Deployment, account: Signer) -> None:
        self.deployment = deployment
        self.account = account
        self.org: tuple[int, str] | None = None

    def check(self, doc: HashedDocument) -> None:
        if doc.figures is None and doc.statement is None:
            return
        if self.org is None:
            org_id = self.deployment.account_org(self.account.address)
            self.org = (org_id, self.deployment.organisation(org_id).info.name if org_id else "")
        _check_author(doc, *self.org)


def _check_author(doc: HashedDocument, org_id: int, actual: str) -> None:
    """Refuse to anchor a document that names another organisation (not `actual`) as its author.

    The registry would accept it (an organisation may anchor any digest for itself), but publishing
    another member's figures under your name is never what a publisher means to do.
    """
    claimed = doc.type.organisation(doc)
    if claimed is None:
        return
    if org_id == 0:
        return  # not a member: the registry refuses with NotMember, decoded for the user
    if claimed != actual:
        raise InputError(
            f"the document names {claimed!r}, but the signing account belongs to {actual!r} (org #{org_id})",
            path=doc.path,
            field=doc.type.organisation_field,
        )


def build_receipt(
    deployment: Deployment, doc: HashedDocument, a: OnchainAttestation, *, timestamp: int | None = None
) -> Receipt:
    """The receipt of `doc` anchored as `a`; `timestamp` is that block's (read when not given)."""
    if timestamp is None:
        timestamp = deployment.chain.timestamp(a.block_number)
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


# ------------------------------------------------------------------ a run that stopped before the end

ANCHORED = "anchored"  # mined, and its receipt written
MINED = "mined"  # mined (the journal saw it), its receipt not written yet
IN_FLIGHT = "in flight"  # signed and committed to the journal, maybe sent: the node may still mine it
NOT_SENT = "not sent"
FAILED = "failed"  # reverted, revoked or anchored otherwise: the run reported why


@dataclass(frozen=True)
class DocumentState:
    """What happened to one document of a publishing run that was interrupted or failed."""

    path: Path
    state: str  # ANCHORED | MINED | IN_FLIGHT | NOT_SENT | FAILED
    detail: str = ""


def run_states(
    deployment: Deployment | None,
    account: Signer | None,
    journal: Journal | None,
    documents: Sequence[tuple[Path, str | None]],
    finished: Mapping[Path, DocumentState],
) -> list[DocumentState]:
    """Each document's state once a run stopped: what the run itself finished (`finished`: receipts
    written, failures reported), else what the journal recorded for the digest it was anchored under
    (its own, or its batch's root; None: not known yet, so nothing was sent for it) — mined, in
    flight (signed, maybe sent), or nothing: not sent."""
    scope = scope_of(deployment, account) if deployment is not None and account is not None else None
    out = []
    for path, digest in documents:
        if path in finished:
            out.append(finished[path])
            continue
        row = journal.row(scope, digest) if journal is not None and scope is not None and digest else None
        if row is not None and row.status == "anchored":
            out.append(DocumentState(path, MINED, f"block {row.block_number}, tx {row.tx_hash}"))
        elif row is not None and row.status in ("signed", "sent"):
            out.append(DocumentState(path, IN_FLIGHT, f"nonce {row.nonce}, tx {row.tx_hash}"))
        else:
            out.append(DocumentState(path, NOT_SENT))
    return out
