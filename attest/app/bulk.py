"""Verify thousands of files, receipts or digests with a bounded number of chain reads.

`attest.app.verify.verify_target` asks the chain about one target at a time (a handful of round trips
each). An auditor checking a year's evidence must not pay that per file, so here the chain is read
once for everyone: ONE scan of the registry's logs (Attested, Revoked, Superseded, Covered — from the
manifest's registry address only, from its deploy block, in block-range chunks), ONE replay of the
governance history, the head, and the few block headers the reports name (JSON-RPC batch requests).
Each target's evidence is then gathered by `attest.app.verify`'s own code over a read-only view of that
index (`_IndexedDeployment`), and the same pure `decide` turns it into the same report: the rules
live in one place, only where the facts come from differs.

The index trusts the registry's events as `verify_target` trusts its storage: the registry writes an
attestation's facts once, in the same transaction as its `Attested` event, and only `Revoked` and
`Superseded` change them afterwards, each with its own event.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from attest.chain.deployment import Deployment
from attest.chain.index import RegistryIndex, read_blocks, registry_index
from attest.core.inputs import walk
from attest.core.membership_history import MembershipHistory, Position, Standing
from attest.core.receipt import CANONICAL_SUFFIX, RECEIPT_SUFFIX, receipt_name
from attest.core.records import OnchainAttestation
from attest.core.verification import Report

Progress = Callable[[int, int], None]


def expand_targets(items: Iterable[str]) -> list[str]:
    """Targets from the command line: directories become their files (`attest.core.inputs.walk`: path
    order, hidden entries and non-regular files left out), receipts preferred.

    In a directory, a document with a receipt next to it is verified through that receipt (which
    also checks the document's bytes), and canonical-form copies are skipped, so each published
    document is checked once. Explicit files and bare digests are kept as given.
    """
    out: list[str] = []
    for item in items:
        if not os.path.isdir(item):
            out.append(item)
            continue
        files, _ = walk(item)
        present = set(files)
        for f in files:
            if f.endswith(CANONICAL_SUFFIX):
                continue
            folder, name = os.path.split(f)
            if not name.endswith(RECEIPT_SUFFIX) and os.path.join(folder, receipt_name(name)) in present:
                continue
            out.append(f)
    return out


def iter_verify(
    deployment: Deployment,
    targets: Sequence[str],
    *,
    org: str | None = None,
    require_coverage: bool = False,
    progress: Progress | None = None,
) -> Iterator[Report]:
    """The report `verify_target` would give for each target, from one shared read of the chain.

    The evidence is gathered by `attest.app.verify`'s own code (`_read_target`, `_gather`, `_finish`)
    over an indexed view of the chain, so the rules cannot drift apart. Targets are read and decided
    one at a time and each report is yielded at once, so memory does not grow with the number of
    files. `progress(done, total)` is called after each target. Bad input (a missing file, a malformed
    document) raises `InputError` naming it, as `verify_target` does.
    """
    from attest.app.verify import _finish, _gather, _read_target

    history = _MemoHistory.of(deployment.membership_history())
    index = registry_index(deployment)
    # Every block that holds an attestation, read up front in batches: genuine receipts and anchored
    # digests only ever point at those. A receipt naming any other block is read on its own.
    blocks = read_blocks(deployment, sorted({a.block_number for a in index.by_uid.values()}))
    view = _IndexedDeployment(deployment, index, history, blocks)
    as_deployment = cast(Deployment, view)  # duck-typed: exactly the reads `_gather`/`_finish` make
    for n, target in enumerate(targets, 1):
        t = _read_target(target)
        yield _finish(as_deployment, _gather(as_deployment, t, target, org, require_coverage))
        if progress is not None:
            progress(n, len(targets))


def verify_many(
    deployment: Deployment,
    targets: Sequence[str],
    *,
    org: str | None = None,
    require_coverage: bool = False,
    progress: Progress | None = None,
) -> list[Report]:
    """`iter_verify` as a list, for callers that want every report at once."""
    return list(
        iter_verify(deployment, targets, org=org, require_coverage=require_coverage, progress=progress)
    )


class _MemoHistory(MembershipHistory):
    """The governance history with standings memoised: thousands of targets share few attesters."""

    _memo: dict[tuple[str, Position], Standing]

    @classmethod
    def of(cls, history: MembershipHistory) -> _MemoHistory:
        out = cls(history.events)
        out._memo = {}
        return out

    def standing(self, account: str, at: Position) -> Standing:
        key = (account, at)
        if key not in self._memo:
            self._memo[key] = super().standing(account, at)
        return self._memo[key]


class _IndexedChain:
    """The chain facts `attest.app.verify` asks for, answered from what was read up front."""

    def __init__(self, deployment: Deployment, head: int, blocks: dict[int, tuple[str, int]]) -> None:
        self._deployment = deployment
        self._head = head
        self.confirmations = deployment.chain.confirmations
        self._blocks = blocks

    def head(self) -> int:
        return self._head

    def lookup(self, number: int) -> tuple[str, int] | None:
        """(hash, timestamp) of a block up to the head; one not read up front is read now and kept."""
        if number > self._head or number < 0:
            return None
        if number not in self._blocks:
            self._blocks.update(read_blocks(self._deployment, [number]))
        return self._blocks.get(number)

    def block(self, number: int) -> dict[str, Any] | None:
        found = self.lookup(number)
        return None if found is None else {"hash": found[0], "timestamp": found[1]}


class _IndexedDeployment:
    """A read-only stand-in for `Deployment`: the registry index, the history, the prefetched blocks."""

    def __init__(
        self,
        deployment: Deployment,
        index: RegistryIndex,
        history: MembershipHistory,
        blocks: dict[int, tuple[str, int]],
    ) -> None:
        self._deployment = deployment
        self._index = index
        self._history = history
        self._orgs: dict[str, int] = {}
        self.manifest = deployment.manifest
        self.chain = _IndexedChain(deployment, index.head, blocks)

    def find_organisation(self, name_or_id: str) -> int:
        if name_or_id not in self._orgs:
            self._orgs[name_or_id] = self._deployment.find_organisation(name_or_id)
        return self._orgs[name_or_id]

    def membership_history(self) -> MembershipHistory:
        return self._history

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        return self._index.of_digest(digest.lower())

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        return self._index.of_org(org_id)

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        return self._index.covering(figures_uid.lower())

    def attestation(self, uid: str) -> OnchainAttestation | None:
        return self._index.by_uid.get(uid.lower())

    def block_hash(self, number: int) -> str | None:
        found = self.chain.lookup(number)
        return None if found is None else found[0]
