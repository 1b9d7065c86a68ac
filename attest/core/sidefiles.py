"""The names of the files attest writes beside documents and manifests, and whether a name is one.

- receipt: `<name>.receipt.json` (report.json → report.receipt.json, report.pdf → report.pdf.receipt.json)
- canonical copy of a structured document: `<stem>.canonical.json`
- disclosure tree: `<stem>.disclosure.json` — it holds the SECRET salts of the figures' tree
- disclosure proof of one metric: `<stem>.<metric code>.proof.json` (checked by `verify-disclosure`)
- signed (off-line) attestation request: `<stem>.signed.json`
- publishing journal: `<manifest stem>.journal.sqlite`, with its lock (`.lock`) and SQLite's own
  companions (`-wal`, `-shm`, `-journal`)

`<stem>` is the name without a final `.json`. Every command builds these names here, and the
directory walk (attest.core.inputs) asks `side_file` which entries are ours, so a folder a command
wrote into means the same documents the next time it is walked.

Recognition is by name only, on purpose. The walk classifies every entry of trees of 100,000 files
without opening any (opening would cost a read per file, block on a FIFO, and turn one malformed
side file into a failed walk). Reading content is the verifier's business: `attest verify` reads
each file it checks anyway and recognises a receipt by its `schema` field whatever it is called,
while a document that merely happens to end in `.signed.json` is listed as skipped by the walk and
can still be named explicitly.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

RECEIPT_SUFFIX = ".receipt.json"
CANONICAL_SUFFIX = ".canonical.json"
DISCLOSURE_TREE_SUFFIX = ".disclosure.json"
DISCLOSURE_PROOF_SUFFIX = ".proof.json"
SIGNED_REQUEST_SUFFIX = ".signed.json"
JOURNAL_SUFFIX = ".journal.sqlite"
JOURNAL_LOCK_SUFFIX = ".lock"
#: what SQLite itself writes beside a database (WAL mode, or a rollback journal)
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


class SideFile(Enum):
    """A kind of file attest writes; the value says what it is, for messages."""

    RECEIPT = "a receipt"
    CANONICAL = "a canonical copy"
    DISCLOSURE_TREE = "a disclosure tree (it holds secret salts)"
    DISCLOSURE_PROOF = "a disclosure proof"
    SIGNED_REQUEST = "a signed attestation request"
    JOURNAL = "a publishing journal"


_BY_SUFFIX = (
    (RECEIPT_SUFFIX, SideFile.RECEIPT),
    (CANONICAL_SUFFIX, SideFile.CANONICAL),
    (DISCLOSURE_TREE_SUFFIX, SideFile.DISCLOSURE_TREE),
    (DISCLOSURE_PROOF_SUFFIX, SideFile.DISCLOSURE_PROOF),
    (SIGNED_REQUEST_SUFFIX, SideFile.SIGNED_REQUEST),
    *((JOURNAL_SUFFIX + tail, SideFile.JOURNAL) for tail in ("", JOURNAL_LOCK_SUFFIX, *SQLITE_COMPANIONS)),
)


_ANY_SUFFIX = tuple(suffix for suffix, _ in _BY_SUFFIX)


def side_file(name: str) -> SideFile | None:
    """Which of our side files `name` (a file name, or a path: only its end is read) is, if any."""
    if not name.endswith(_ANY_SUFFIX):  # one C-level test for the many names that are none
        return None
    for suffix, kind in _BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    return None


def _stem(name: str) -> str:
    """The name without a final `.json` (a file called just `.json` keeps it, as Path.suffix does)."""
    return name.removesuffix(".json") if name != ".json" else name


def receipt_name(document_name: str) -> str:
    """`report.json` → `report.receipt.json`; `report.pdf` → `report.pdf.receipt.json`."""
    return _stem(document_name) + RECEIPT_SUFFIX


def receipt_path(document: Path) -> Path:
    """Where a document's receipt is written: next to it, named by `receipt_name`."""
    return document.with_name(receipt_name(document.name))


def canonical_path(document: Path) -> Path:
    """Where the canonical (RFC 8785) bytes of a structured document are written, next to it."""
    return document.with_name(_stem(document.name) + CANONICAL_SUFFIX)


def disclosure_tree_path(figures: Path) -> Path:
    """`figures.json` → `figures.disclosure.json`: where the salted tree (private) is kept."""
    return figures.with_name(_stem(figures.name) + DISCLOSURE_TREE_SUFFIX)


def disclosure_proof_path(figures: Path, code: str) -> Path:
    """`figures.json` and metric `E.x` → `figures.E.x.proof.json`: the proof of one metric."""
    return figures.with_name(f"{_stem(figures.name)}.{code}{DISCLOSURE_PROOF_SUFFIX}")


def signed_request_path(statement: Path) -> Path:
    """`statement.json` → `statement.signed.json`: the default place of an off-line signed request."""
    return statement.with_name(_stem(statement.name) + SIGNED_REQUEST_SUFFIX)


def journal_path(manifest: Path) -> Path:
    """The journal beside a manifest: deployments/local.json → deployments/local.journal.sqlite."""
    return manifest.with_name(manifest.stem + JOURNAL_SUFFIX)


def journal_lock_path(journal: Path) -> Path:
    """The lock a publishing run holds on its journal: `<journal>.lock`."""
    return journal.with_name(journal.name + JOURNAL_LOCK_SUFFIX)
