"""Batch publishing: many files, one Merkle root, one transaction, one receipt per file.

Each file's raw-byte sha256 is a leaf `[digest]` (leaf encoding `["bytes32"]`) of an OpenZeppelin
StandardMerkleTree; the root is anchored once with `Kind.BATCH`, and every file gets a receipt that
carries the root's attestation plus the file's Merkle proof. Identical files share one leaf (a tree
needs no duplicate) but each still gets its own receipt. Only digests are held in memory, never
file contents, and the receipt is the same whether the root was anchored now or by an earlier run.
A structured document (esg-figures/1, carbon-verification/1) is refused before anything is sent:
verification judges it by its content, as its own kind, so as a raw-bytes leaf it would never verify.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from attest.app import stages
from attest.app.anchor import anchor_one
from attest.app.proven import receipt_proofs
from attest.app.publishing import ANCHORED, MAX_YEAR, MIN_YEAR, DocumentState, build_receipt, run_states
from attest.chain.anchoring import AnchorRequest
from attest.chain.deployment import Deployment
from attest.core.batch_receipt import LEAF_ENCODING
from attest.core.contracts import Kind
from attest.core.documents import OCTET_STREAM, HashedDocument, plain_file_digest
from attest.core.errors import InputError, UnfinishedOutput
from attest.core.manifest import write_if_changed
from attest.core.merkle import StandardMerkleTree
from attest.core.receipt import DocumentPart, MerklePart, Receipt, receipt_of_another
from attest.core.records import Published
from attest.core.sidefiles import receipt_name

if TYPE_CHECKING:
    from attest.app.journal import Journal
    from attest.chain.signer import Signer

PROGRESS_EVERY = 256  # files between progress calls: a redraw per file would cost more than the file


@dataclass(frozen=True)
class BatchResult:
    root: str  # 64 lowercase hex, no 0x: the digest anchored on-chain
    published: Published
    files: int  # receipts written
    leaves: int  # distinct digests in the tree
    receipts: list[str]  # absolute paths, in the order of the files

    @property
    def receipt_paths(self) -> list[Path]:
        return [Path(r) for r in self.receipts]


@dataclass
class BatchTracker:
    """How far `publish_batch` got: its files, the root they are anchored under, the receipts written."""

    files: list[Path] = field(default_factory=list)
    root: str | None = None
    written: list[Path] = field(default_factory=list)

    def states(
        self, deployment: Deployment | None, account: Signer | None, journal: Journal | None
    ) -> list[DocumentState]:
        """Each file's state (`attest.app.publishing.run_states`): a written receipt is anchored; else
        the root's journal record says mined, in flight or not sent."""
        done = {p: DocumentState(p, ANCHORED, "receipt written") for p in self.written}
        return run_states(deployment, account, journal, [(p, self.root) for p in self.files], done)


def _plan_receipts(files: list[Path]) -> list[tuple[Path, str]]:
    """Each distinct input with its receipt's path; refuses receipts that collide or clobber an input."""
    if not files:
        raise InputError("no files to publish")
    unique: dict[str, Path] = {}
    for f in files:
        p = f if isinstance(f, Path) else Path(f)
        if not p.is_file():
            raise InputError("not a regular file" if p.exists() else "no such file", path=p)
        unique.setdefault(os.path.abspath(f), p)  # not resolve(): a symlink's receipt lies beside the link
    outputs: dict[str, Path] = {}
    for absolute, p in unique.items():
        folder, name = os.path.split(absolute)
        out = os.path.join(folder, receipt_name(name))
        if out in outputs:
            raise InputError(f"its receipt would overwrite that of {outputs[out]}", path=p)
        if out in unique:
            raise InputError(f"its receipt would overwrite the input {unique[out]}", path=p)
        owner = receipt_of_another(out, p.name)  # `x` and `x.json` share a receipt name
        if owner is not None:
            raise InputError(
                f"{receipt_name(name)} beside it is the receipt of {owner!r}: publishing would overwrite it; "
                "rename one of the two documents",
                path=p,
            )
        outputs[out] = p
    return [(p, out) for out, p in outputs.items()]


def publish_batch(
    deployment: Deployment,
    account: Signer,
    files: list[Path],
    *,
    year: int,
    progress: Callable[[int, int], None] | None = None,
    journal: Journal | None = None,
    tracker: BatchTracker | None = None,
) -> BatchResult:
    """Anchor the Merkle root of `files` for the account's organisation; write every receipt.

    Idempotent: re-running over the same files finds the root already anchored, sends nothing,
    leaves the receipts that are already right untouched and rewrites missing or damaged ones.
    `progress(done, total)` is called every PROGRESS_EVERY files hashed or receipts written and at
    the end of each phase, with `total` = 2 × number of files. `tracker`, when given, is kept up to
    date (the files, the root once known, the receipts written), for a run that stops before the end
    to say what happened to each file (`BatchTracker.states`).
    """
    if isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}", field="year")
    plan = _plan_receipts(files)
    paths = [p for p, _ in plan]
    if tracker is not None:
        tracker.files = list(paths)
    total = 2 * len(plan)
    digests: list[str] = []
    for n, p in enumerate(paths, 1):  # sequential: for small files threads only add GIL traffic
        digests.append(plain_file_digest(p, refusal="not as a leaf of a batch"))
        if progress is not None and (n % PROGRESS_EVERY == 0 or n == len(paths)):
            progress(n, total)

    leaf_index: dict[str, int] = {}
    for d in digests:
        leaf_index.setdefault(d, len(leaf_index))
    tree = StandardMerkleTree.of([[bytes.fromhex(d)] for d in leaf_index], LEAF_ENCODING)
    root = tree.root_bytes.hex()
    if tracker is not None:
        tracker.root = root
    stages.reached("hashed")

    # with a journal, the root's transaction is recorded before it is sent (attest.app.journal)
    label = f"batch root of {len(paths)} files from {paths[0].parent}"
    request = AnchorRequest(root, Kind.BATCH, year, label=label)
    published = anchor_one(deployment, account, request, journal=journal).unwrap()
    # one receipt for the root's attestation (one block read); each file's differs only in its
    # document and Merkle parts
    template = build_receipt(
        deployment, HashedDocument(paths[0], OCTET_STREAM, root, "sha256-raw"), published.attestation
    )
    # the root's proofs (its block's header, its record, its organisation's name), shared by every
    # member's receipt: each can then be verified offline (receipt/2), as a single document's can
    proofs = receipt_proofs(deployment, [published.attestation])
    if published.attestation.uid in proofs:
        template = template.with_proof(proofs[published.attestation.uid])
    written: list[str] = []
    # written in this thread, one after another: a pool of writer threads was measured slower here
    # (a futex hand-off per file costs more than the file's creation, and one directory's creations
    # serialise in the kernel anyway)
    for n, ((p, out), d) in enumerate(zip(plan, digests, strict=True), len(paths) + 1):
        receipt = Receipt(
            schema=template.schema_,
            document=DocumentPart(name=p.name, media_type=OCTET_STREAM, digest=d, digest_rule="sha256-raw"),
            attestation=template.attestation,
            chain=template.chain,
            proof=template.proof,
            merkle=MerklePart(
                root="0x" + root,
                leaf_encoding=list(LEAF_ENCODING),
                value=["0x" + d],
                proof=tree.get_proof(leaf_index[d]),
            ),
        )
        try:
            write_if_changed(out, receipt.dump())  # a re-run finds most receipts already right
        except OSError as exc:  # the root is anchored: a re-run writes what is missing
            raise UnfinishedOutput(
                f"cannot write the receipt ({exc.strerror or exc}); the root is anchored: fix this and run "
                "the same command again to write the rest",
                path=out,
            ) from None
        written.append(out)
        if tracker is not None:
            tracker.written.append(p)
        stages.reached("receipt")
        if progress is not None and (n % PROGRESS_EVERY == 0 or n == total):
            progress(n, total)
    return BatchResult(root, published, len(paths), len(leaf_index), written)
