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

Documents go out in windows (one document is a window of one): the intents of a whole window are
committed in ONE transaction before any of its bytes leave, then its transactions are sent and
their outcomes committed together, so a crash anywhere in a window leaves intents the next run
settles as above. `attest.app.anchor` carries these rules out; this module is the record.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attest.core.errors import InputError
from attest.core.sidefiles import journal_lock_path, journal_path

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
    org_id: int


_INTENT_COLUMNS = "id, digest, path, nonce, raw_tx, tx_hash, status, block_number, error, org_id"

#: (chain id, registry address in lower case, signing account): whose nonces an intent uses.
Scope = tuple[int, str, str]


@dataclass(frozen=True)
class IntentFacts:
    """What an intent says about its document, besides its transaction."""

    digest: str
    path: str
    kind: str  # Kind.label
    year: int
    ref: str | None
    uri: str
    org_id: int


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
        # what this run did (a journal is held by one run at a time): the scopes already recovered,
        # and the intents whose bytes recovery re-sent (their documents' outcome is `resent`)
        self.recovered: set[Scope] = set()
        self.resent: set[int] = set()

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
        sql = f"SELECT {_INTENT_COLUMNS} FROM intents"
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

    # ---------------------------------------------------------------- recording (attest.app.anchor)

    def unsettled(self, scope: Scope, recheck_above: int) -> list[Intent]:
        """The signer's intents recovery must look at, in nonce order: unfinished ones, and anchored
        ones mined above block `recheck_above` (a crashed node can lose its last blocks)."""
        rows = self._db.execute(
            f"SELECT {_INTENT_COLUMNS} FROM intents WHERE chain_id = ? AND registry = ? AND signer = ? "
            "AND raw_tx IS NOT NULL AND (status IN ('signed', 'sent') OR "
            "(status = 'anchored' AND block_number > ?)) ORDER BY nonce",
            (*scope, recheck_above),
        ).fetchall()
        return [Intent(*r) for r in rows]

    def row(self, scope: Scope, digest: str) -> Intent | None:
        r = self._db.execute(
            f"SELECT {_INTENT_COLUMNS} FROM intents "
            "WHERE chain_id = ? AND registry = ? AND signer = ? AND digest = ?",
            (*scope, digest),
        ).fetchone()
        return Intent(*r) if r else None

    def signed(self, scope: Scope, entries: Sequence[tuple[IntentFacts, int, str, str]]) -> list[int]:
        """Record (facts, nonce, raw transaction hex, its hash) for each document, all in ONE committed
        (fsynced) transaction: the window's bytes may leave once this returns. Their intent ids."""
        ids = []
        for facts, nonce, raw_tx, tx_hash in entries:
            intent = self._upsert(scope, facts)
            self.update(
                intent,
                "signed",
                nonce=nonce,
                raw_tx=raw_tx,
                tx_hash=tx_hash,
                error=None,
                attempt=True,
                event="signed",
                detail=f"nonce {nonce} tx {tx_hash}",
                commit=False,
            )
            ids.append(intent)
        self._db.commit()
        return ids

    def found(self, scope: Scope, facts: IntentFacts, tx_hash: str, block_number: int, outcome: str) -> int:
        """Record a document found anchored on-chain (`outcome` already | resumed | resent); uncommitted."""
        intent = self._upsert(scope, facts)
        self.update(
            intent,
            "anchored",
            tx_hash=tx_hash,
            block_number=block_number,
            event=f"anchored ({outcome})",
            commit=False,
        )
        return intent

    def update(
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
        """Change one intent and append its event; committed (fsynced) unless `commit` is False."""
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

    def commit(self) -> None:
        self._db.commit()

    def path_of(self, intent: int) -> str:
        return str(self._db.execute("SELECT path FROM intents WHERE id = ?", (intent,)).fetchone()[0])

    def summary(self) -> dict[str, int]:
        return {
            s: int(n) for s, n in self._db.execute("SELECT status, COUNT(*) FROM intents GROUP BY status")
        }

    def _upsert(self, scope: Scope, f: IntentFacts) -> int:
        (intent,) = self._db.execute(
            "INSERT INTO intents (chain_id, registry, signer, digest, path, kind, year, ref, uri, org_id, "
            "status, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?) "
            "ON CONFLICT (chain_id, registry, signer, digest) DO UPDATE SET path = excluded.path, "
            "kind = excluded.kind, year = excluded.year, ref = excluded.ref, uri = excluded.uri, "
            "org_id = excluded.org_id RETURNING id",
            (*scope, f.digest, f.path, f.kind, f.year, f.ref, f.uri, f.org_id, time.time()),
        ).fetchone()
        return int(intent)


#: How long a publishing run waits for its transactions to be mined and then to reach the
#: deployment's confirmations (seconds; docs/publishing.md).
WAIT_ENV = "ATTEST_WAIT_SECONDS"


def open_journal(path: str | Path | None, manifest_path: str | Path) -> Journal:
    """The journal a publish command uses: `path` (--journal / ATTEST_JOURNAL), else beside the
    manifest; its runs wait for mining and confirmations $ATTEST_WAIT_SECONDS (default 120)."""
    return Journal(
        path or os.environ.get("ATTEST_JOURNAL") or default_journal_path(manifest_path),
        timeout=wait_seconds(),
    )


def wait_seconds() -> float:
    """$ATTEST_WAIT_SECONDS, a positive number of seconds (default 120)."""
    text = os.environ.get(WAIT_ENV)
    if text is None:
        return 120.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise InputError(f"{WAIT_ENV}={text!r}: give a positive number of seconds", field=WAIT_ENV)
    return seconds
