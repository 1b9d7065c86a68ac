"""The publishing journal: a local SQLite file that makes re-running a publish command always safe.

Why: a publisher (or the node) can die between signing a transaction, sending it and seeing its
receipt. The chain alone cannot tell a re-run "you signed nonce 41 for this digest and it may be in
a mempool"; the journal can. Each intent — document, digest, kind, year, ref, organisation, signer,
nonce and the signed raw bytes with their hash — is committed BEFORE the bytes leave, and each
outcome (mined in block N, reverted with the decoded error, already anchored) after.

On the next run, before anything new is sent, every unfinished intent of the signer (and every one
mined in the last `RECHECK_BLOCKS` blocks, since a crashed node can lose its last blocks) is looked
up by transaction hash first; one that the chain does not have is re-broadcast as the SAME signed
bytes (same nonce) if its nonce is still free, or marked dropped if another transaction took the
nonce. Then each document is checked against the registry: already anchored by this organisation
counts as done. The contract itself refuses a second attestation of a digest by one organisation,
so even a stray copy of an old transaction can never anchor twice. A transaction that reverted is
recorded and reported; the next attempt starts with a fresh dry run, never by replaying the bytes.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attest.chain.transport import lost_node_is_unreachable
from attest.core.errors import ChainError, InputError, TransactionReverted
from attest.core.records import OnchainAttestation
from attest.core.sidefiles import journal_lock_path, journal_path

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from attest.chain.deployment import Deployment
    from attest.core.contracts import Kind
    from attest.core.records import Published

#: Anchored intents mined this close to the head are re-checked on start: a node killed before its
#: last state dump (anvil) or a short reorganisation can lose them.
RECHECK_BLOCKS = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    id INTEGER PRIMARY KEY,
    chain_id INTEGER NOT NULL,
    registry TEXT NOT NULL,
    signer TEXT NOT NULL,
    digest TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    ref TEXT,
    uri TEXT NOT NULL,
    org_id INTEGER NOT NULL,
    nonce INTEGER,
    raw_tx TEXT,
    tx_hash TEXT,
    status TEXT NOT NULL,
    block_number INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL,
    UNIQUE (chain_id, registry, signer, digest)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    intent INTEGER NOT NULL REFERENCES intents(id),
    at REAL NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
);
"""

# intent.status: signed (bytes recorded, maybe not sent) → sent → anchored | reverted | dropped
UNFINISHED = ("signed", "sent")


@dataclass(frozen=True)
class Intent:
    id: int
    digest: str
    path: str
    nonce: int | None
    raw_tx: str | None
    tx_hash: str | None
    status: str
    block_number: int | None
    error: str | None


@dataclass(frozen=True)
class JournaledAttestation:
    """What happened to one document: `outcome` is sent | already | resumed | resent."""

    published: Published
    outcome: str


def _lock_exclusively(journal: Path) -> int:
    """Hold `<journal>.lock` (flock, not blocking) for the life of a run; the open descriptor."""
    import fcntl

    lock_path = journal_lock_path(journal)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise InputError(f"cannot open the journal's lock file: {exc.strerror}", path=lock_path) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError(
            "another publishing run is using this journal: wait for it to finish (two runs on one "
            "journal would race for nonces)",
            path=journal,
            field="--journal",
        ) from None
    except OSError as exc:  # e.g. a file system without locks (some NFS / FUSE mounts)
        os.close(fd)
        raise InputError(
            f"cannot lock the journal ({exc.strerror}): keep it on a local disk (--journal PATH)",
            path=journal,
            field="--journal",
        ) from None
    return fd


def default_journal_path(manifest_path: str | Path) -> Path:
    """The journal beside the manifest: deployments/local.json → deployments/local.journal.sqlite."""
    return journal_path(Path(manifest_path))


class Journal:
    """One journal file, held by one publishing run at a time (an exclusive lock on `<file>.lock`):
    a second run on the same journal would race the first for nonces, so it is refused at once."""

    def __init__(self, path: str | Path, *, timeout: float = 120) -> None:
        self.path = Path(path)
        self.timeout = timeout
        if self.path.is_dir():
            raise InputError("the journal path is a directory", path=self.path, field="--journal")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot open the publishing journal: {exc}", path=self.path) from None
        self._lock = _lock_exclusively(self.path)
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")  # one fsync per commit
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            db.commit()
            self._db = db
        except (sqlite3.DatabaseError, OSError) as exc:
            if db is not None:
                db.close()
            os.close(self._lock)
            raise InputError(f"cannot open the publishing journal: {exc}", path=self.path) from None
        self._recovered: set[tuple[int, str, str]] = set()
        self._orgs: dict[tuple[int, str, str], int] = {}
        self._resent: set[int] = set()

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            os.close(self._lock)  # releases the lock (the kernel does too if the process dies)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- reading

    def intents(self, status: str | None = None) -> list[Intent]:
        sql = "SELECT id, digest, path, nonce, raw_tx, tx_hash, status, block_number, error FROM intents"
        rows = self._db.execute(
            sql + (" WHERE status = ?" if status else "") + " ORDER BY id", (status,) if status else ()
        ).fetchall()
        return [Intent(*r) for r in rows]

    def events(self, event: str | None = None) -> list[tuple[int, str, str | None]]:
        """(intent id, event, detail) in order: the audit trail of every send and outcome."""
        sql = "SELECT intent, event, detail FROM events"
        args: tuple[Any, ...] = ()
        if event:
            sql, args = sql + " WHERE event = ?", (event,)
        return [(int(a), str(b), c) for a, b, c in self._db.execute(sql + " ORDER BY id", args)]

    # ---------------------------------------------------------------- publishing

    def attest(
        self,
        deployment: Deployment,
        account: LocalAccount,
        digest: str,
        kind: Kind,
        year: int,
        *,
        ref: str | None = None,
        uri: str = "",
        path: str | Path = "",
    ) -> JournaledAttestation:
        """`Deployment.attest` with the journal: resume first, then anchor once (see the module doc)."""
        with lost_node_is_unreachable(deployment.chain.name):
            return self._attest(deployment, account, digest, kind, year, ref=ref, uri=uri, path=path)

    def _attest(
        self,
        deployment: Deployment,
        account: LocalAccount,
        digest: str,
        kind: Kind,
        year: int,
        *,
        ref: str | None,
        uri: str,
        path: str | Path,
    ) -> JournaledAttestation:
        from attest.core.records import Published

        self.recover(deployment, account)
        scope = _scope(deployment, account)
        row = self._row(scope, digest)
        org_id = self._orgs.get(scope) or deployment.account_org(account.address)
        if org_id:
            self._orgs[scope] = org_id  # membership changes are caught by each send's dry run
            existing = deployment.attestation_of(org_id, digest)
            if existing is not None:
                ours = row is not None and (row.tx_hash or "").lower() == existing.transaction_hash.lower()
                outcome = (
                    ("resent" if row is not None and row.id in self._resent else "resumed")
                    if ours
                    else "already"
                )
                intent = self._upsert(scope, digest, path, kind, year, ref, uri, org_id)
                if row is None or row.status != "anchored" or not ours:
                    self._update(
                        intent,
                        "anchored",
                        tx_hash=existing.transaction_hash,
                        block_number=existing.block_number,
                        event=f"anchored ({outcome})",
                    )
                return JournaledAttestation(
                    Published(existing, gas_used=None, already_anchored=True), outcome
                )

        unsigned = deployment.attest_transaction(account, digest, kind, year, ref=ref, uri=uri)
        tx = deployment.chain.build(account, unsigned)  # dry run: a revert is raised, nothing recorded
        signed = account.sign_transaction(tx)
        tx_hash = signed.hash.to_0x_hex()
        intent = self._upsert(scope, digest, path, kind, year, ref, uri, org_id, commit=False)
        self._update(  # committed (fsynced) before the bytes leave
            intent,
            "signed",
            nonce=int(tx["nonce"]),
            raw_tx=signed.raw_transaction.hex(),
            tx_hash=tx_hash,
            error=None,
            attempt=True,
            event="signed",
            detail=f"nonce {tx['nonce']} tx {tx_hash}",
        )
        deployment.chain.send_raw(signed.raw_transaction)
        self._update(intent, "sent", event="sent", commit=False)  # 'signed' and 'sent' recover alike
        receipt = self._settle(deployment, intent, tx_hash)
        from web3.logs import DISCARD

        (event,) = deployment.registry.events.Attested().process_receipt(receipt, errors=DISCARD)
        found = _just_attested(event)
        return JournaledAttestation(Published(found, int(receipt["gasUsed"]), already_anchored=False), "sent")

    def recover(self, deployment: Deployment, account: LocalAccount) -> None:
        """Once per signer and run: settle every intent the chain may not have (see the module doc)."""
        scope = _scope(deployment, account)
        if scope in self._recovered:
            return
        chain = deployment.chain
        head = chain.head()
        rows = self._db.execute(
            "SELECT id, nonce, raw_tx, tx_hash, status FROM intents WHERE chain_id = ? AND registry = ? "
            "AND signer = ? AND raw_tx IS NOT NULL AND (status IN ('signed', 'sent') OR "
            "(status = 'anchored' AND block_number > ?)) ORDER BY nonce",
            (*scope, head - RECHECK_BLOCKS),
        ).fetchall()
        for intent, nonce, raw_tx, tx_hash, status in rows:
            receipt = chain.receipt(tx_hash)
            if receipt is not None:
                if status != "anchored" or int(receipt["status"]) != 1:
                    self._outcome(deployment, intent, tx_hash, receipt, found=True)
                continue
            latest = chain.nonce(account.address, "latest")
            pending = chain.nonce(account.address, "pending")
            if nonce < latest or nonce > pending:
                # its nonce went to another transaction, or a gap it cannot fill: it can never be
                # mined as signed; the document is published afresh (the contract refuses doubles)
                self._update(intent, "dropped", event="dropped", detail=f"nonce {nonce}, account at {latest}")
                continue
            try:
                chain.send_raw(bytes.fromhex(raw_tx.removeprefix("0x")))
            except TransactionReverted:
                raise
            except ChainError:
                # refused as a duplicate ("already known", anvil's "already imported", …): fine when
                # the node holds it — waiting in the pool or mined meanwhile; otherwise a real error
                if not chain.knows_transaction(tx_hash):
                    raise
            self._resent.add(intent)
            self._update(intent, "sent", event="resent", detail=f"same bytes, nonce {nonce}")
            self._settle(deployment, intent, tx_hash, reraise=False)
        self._recovered.add(scope)

    def summary(self) -> dict[str, int]:
        return {
            s: int(n) for s, n in self._db.execute("SELECT status, COUNT(*) FROM intents GROUP BY status")
        }

    # ---------------------------------------------------------------- internals

    def _settle(self, deployment: Deployment, intent: int, tx_hash: str, *, reraise: bool = True) -> Any:
        """Wait for the receipt; record mined or reverted (decoded). A timeout leaves it 'sent'."""
        chain = deployment.chain
        try:
            receipt = chain.rpc(
                lambda: chain.w3.eth.wait_for_transaction_receipt(
                    tx_hash,  # type: ignore[arg-type]
                    timeout=self.timeout,
                    poll_latency=0.05,
                )
            )
        except ChainError as exc:
            raise ChainError(
                f"transaction {tx_hash} not mined ({exc}); run the same command again: the journal "
                "re-sends the same signed transaction"
            ) from None
        self._outcome(deployment, intent, tx_hash, receipt, found=False, reraise=reraise)
        return receipt

    def _outcome(
        self,
        deployment: Deployment,
        intent: int,
        tx_hash: str,
        receipt: Any,
        *,
        found: bool,
        reraise: bool = False,
    ) -> None:
        block = int(receipt["blockNumber"])
        if int(receipt["status"]) == 1:
            deployment.chain.wait_confirmations(block)
            self._update(
                intent,
                "anchored",
                block_number=block,
                error=None,
                event="found mined" if found else "mined",
                detail=f"block {block}",
            )
            return
        name, text = _revert_reason(deployment, receipt)
        self._update(intent, "reverted", block_number=block, error=text, event="reverted", detail=text)
        path = self._db.execute("SELECT path FROM intents WHERE id = ?", (intent,)).fetchone()[0]
        if reraise:
            raise TransactionReverted(f"{path}: transaction {tx_hash} reverted: {text}", error_name=name)

    def _row(self, scope: tuple[int, str, str], digest: str) -> Intent | None:
        r = self._db.execute(
            "SELECT id, digest, path, nonce, raw_tx, tx_hash, status, block_number, error FROM intents "
            "WHERE chain_id = ? AND registry = ? AND signer = ? AND digest = ?",
            (*scope, digest),
        ).fetchone()
        return Intent(*r) if r else None

    def _upsert(
        self,
        scope: tuple[int, str, str],
        digest: str,
        path: str | Path,
        kind: Kind,
        year: int,
        ref: str | None,
        uri: str,
        org_id: int,
        *,
        commit: bool = True,
    ) -> int:
        self._db.execute(
            "INSERT INTO intents (chain_id, registry, signer, digest, path, kind, year, ref, uri, org_id, "
            "status, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?) "
            "ON CONFLICT (chain_id, registry, signer, digest) DO UPDATE SET path = excluded.path, "
            "kind = excluded.kind, year = excluded.year, ref = excluded.ref, uri = excluded.uri, "
            "org_id = excluded.org_id",
            (*scope, digest, str(path), kind.label, year, ref, uri, org_id, time.time()),
        )
        if commit:
            self._db.commit()
        row = self._row(scope, digest)
        assert row is not None
        return row.id

    def _update(
        self,
        intent: int,
        status: str,
        *,
        event: str,
        detail: str | None = None,
        attempt: bool = False,
        commit: bool = True,
        **fields: Any,
    ) -> None:
        """Change one intent and append its event, in one committed (fsynced) transaction."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._db.execute(
            f"UPDATE intents SET status = ?, updated = ?{', ' + sets if sets else ''}"
            f"{', attempts = attempts + 1' if attempt else ''} WHERE id = ?",
            (status, time.time(), *fields.values(), intent),
        )
        self._db.execute(
            "INSERT INTO events (intent, at, event, detail) VALUES (?, ?, ?, ?)",
            (intent, time.time(), event, detail),
        )
        if commit:
            self._db.commit()


def open_journal(path: str | Path | None, manifest_path: str | Path) -> Journal:
    """The journal a publish command uses: `path` (--journal / ATTEST_JOURNAL), else beside the manifest."""
    return Journal(path or os.environ.get("ATTEST_JOURNAL") or default_journal_path(manifest_path))


def _just_attested(event: Any) -> OnchainAttestation:
    """The record of an attestation from its `Attested` event in the receipt that created it: just
    mined, it cannot be revoked or superseded yet, so three more reads per document are saved."""
    from attest.core.contracts import Kind

    args = event["args"]
    return OnchainAttestation(
        uid="0x" + args["uid"].hex(),
        digest=args["digest"].hex(),
        org_id=int(args["orgId"]),
        attester=args["attester"],
        kind=Kind(int(args["kind"])),
        year=int(args["year"]),
        ref="0x" + args["ref"].hex(),
        uri=args["uri"],
        block_number=int(event["blockNumber"]),
        log_index=int(event["logIndex"]),
        block_hash=event["blockHash"].to_0x_hex(),
        transaction_hash=event["transactionHash"].to_0x_hex(),
        revoked=False,
        revocation=None,
        superseded_by=None,
    )


def _scope(deployment: Deployment, account: LocalAccount) -> tuple[int, str, str]:
    return (deployment.manifest.chain_id, deployment.manifest.registry.address.lower(), account.address)


def _revert_reason(deployment: Deployment, receipt: Any) -> tuple[str | None, str]:
    """Why a mined transaction reverted: replay it as a call at its block and decode the custom error."""
    chain = deployment.chain
    try:
        tx = chain.w3.eth.get_transaction(receipt["transactionHash"])
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        chain.w3.eth.call(call, block_identifier=int(receipt["blockNumber"]) - 1)  # type: ignore[arg-type]
    except TransactionReverted as exc:
        return exc.error_name, exc.detail
    except Exception as exc:  # noqa: BLE001 - a revert is decoded by the chain's own sorter
        try:
            chain.raise_chain_error(exc)
        except TransactionReverted as decoded:
            return decoded.error_name, decoded.detail.removeprefix("reverted: ")
        except ChainError:
            pass
    return None, "reverted on-chain (reason not recoverable)"
