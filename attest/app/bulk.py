"""Verify thousands of files, receipts or digests with a bounded number of chain reads.

`attest.app.verify.verify_target` asks the chain about one target at a time (a handful of round trips
each). An auditor checking a year's evidence must not pay that per file, so here the chain is read
once for everyone: ONE scan of the registry's logs (Attested, Revoked, Superseded, Covered — from the
manifest's registry address only, from its deploy block, in block-range chunks), ONE replay of the
governance history, the head, and the few block headers the reports name (JSON-RPC batch requests).
Each target's evidence is then gathered by `attest.app.verify`'s own code from that index
(`IndexedFacts`, the bulk implementation of `attest.app.facts.ChainFacts`), and the same pure
`decide` turns it into the same report: the rules live in one place, only the facts' source differs.

The index trusts the registry's events as `verify_target` trusts its storage: the registry writes an
attestation's facts once, in the same transaction as its `Attested` event, and only `Revoked` and
`Superseded` change them afterwards, each with its own event.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from attest.app.facts import LiveFacts
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.errors import ChainError, ChainUnreachable
from attest.core.inputs import walk
from attest.core.membership_history import MembershipHistory, Position, Standing
from attest.core.records import OnchainAttestation, Revocation
from attest.core.sidefiles import CANONICAL_SUFFIX, RECEIPT_SUFFIX, receipt_name
from attest.core.verification import Report

LOG_CHUNK_BLOCKS = 50_000  # blocks per eth_getLogs call; halved when a node refuses a range
BLOCKS_PER_BATCH = 500  # block headers per JSON-RPC batch request

Progress = Callable[[int, int], None]


@dataclass
class RegistryIndex:
    """Every attestation the registry holds, as of `head`, indexed for the questions `verify` asks."""

    head: int
    by_uid: dict[str, OnchainAttestation] = field(default_factory=dict)
    by_digest: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_org: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    covered_by: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def of_digest(self, digest: str) -> list[OnchainAttestation]:
        return [self.by_uid[u] for u in self.by_digest.get(digest, [])]

    def of_org(self, org_id: int) -> list[OnchainAttestation]:
        return [self.by_uid[u] for u in self.by_org.get(org_id, [])]

    def covering(self, figures_uid: str) -> list[OnchainAttestation]:
        return [self.by_uid[u] for u in self.covered_by.get(figures_uid, []) if u in self.by_uid]


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
    strict: bool = False,
    progress: Progress | None = None,
) -> Iterator[Report]:
    """The report `verify_target` would give for each target, from one shared read of the chain.

    The evidence is gathered by `attest.app.verify`'s own code (`read_target`, `gather`, `finish`)
    over `IndexedFacts`, so the rules cannot drift apart. Targets are read and decided
    one at a time and each report is yielded at once, so memory does not grow with the number of
    files. `progress(done, total)` is called after each target. Bad input (a missing file, a malformed
    document) raises `InputError` naming it, as `verify_target` does.
    """
    from attest.app.verify import finish, gather, read_target

    history = _MemoHistory.of(deployment.membership_history())
    index = registry_index(deployment)
    # Every block that holds an attestation, read up front in batches: genuine receipts and anchored
    # digests only ever point at those. A receipt naming any other block is read on its own.
    blocks = read_blocks(deployment, sorted({a.block_number for a in index.by_uid.values()}))
    facts = IndexedFacts(deployment, index, history, blocks)
    for n, target in enumerate(targets, 1):
        yield finish(facts, gather(facts, read_target(target), target, org, require_coverage, strict))
        if progress is not None:
            progress(n, len(targets))


def verify_many(
    deployment: Deployment,
    targets: Sequence[str],
    *,
    org: str | None = None,
    require_coverage: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> list[Report]:
    """`iter_verify` as a list, for callers that want every report at once."""
    return list(
        iter_verify(
            deployment, targets, org=org, require_coverage=require_coverage, strict=strict, progress=progress
        )
    )


@dataclass
class _MemoHistory(MembershipHistory):
    """The governance history with standings memoised: thousands of targets share few attesters."""

    memo: dict[tuple[str, Position], Standing] = field(default_factory=dict)

    @classmethod
    def of(cls, history: MembershipHistory) -> _MemoHistory:
        return cls(history.events)

    def standing(self, account: str, at: Position) -> Standing:
        key = (account, at)
        if key not in self.memo:
            self.memo[key] = super().standing(account, at)
        return self.memo[key]


class IndexedFacts:
    """`ChainFacts` answered from one shared read: the registry index, the governance history and
    the block headers read up front (a block not read up front is read when first asked, and kept)."""

    def __init__(
        self,
        deployment: Deployment,
        index: RegistryIndex,
        history: MembershipHistory,
        blocks: dict[int, tuple[str, int]],
    ) -> None:
        self.deployment = deployment
        self.index = index
        self.history = history
        self.blocks = blocks
        self.orgs: dict[str, int] = {}
        self.bound: str | None = None

    @property
    def chain_id(self) -> int:
        return self.deployment.manifest.chain_id

    @property
    def registry(self) -> str:
        return self.deployment.manifest.registry.address

    @property
    def governance(self) -> str:
        return self.deployment.manifest.governance.address

    @property
    def manifest_sha256(self) -> str | None:
        return self.deployment.manifest.file_sha256

    @property
    def confirmations_required(self) -> int:
        return self.deployment.chain.confirmations

    def bound_governance(self) -> str:
        if self.bound is None:
            self.bound = LiveFacts(self.deployment).bound_governance()
        return self.bound

    def head(self) -> int:
        return self.index.head

    def find_organisation(self, name_or_id: str) -> int:
        if name_or_id not in self.orgs:
            self.orgs[name_or_id] = self.deployment.find_organisation(name_or_id)
        return self.orgs[name_or_id]

    def membership_history(self) -> MembershipHistory:
        return self.history

    def attestations_of_digest(self, digest: str) -> list[OnchainAttestation]:
        return self.index.of_digest(digest.lower())

    def attestations_by_org(self, org_id: int) -> list[OnchainAttestation]:
        return self.index.of_org(org_id)

    def covering_statements(self, figures_uid: str) -> list[OnchainAttestation]:
        return self.index.covering(figures_uid.lower())

    def attestation(self, uid: str) -> OnchainAttestation | None:
        return self.index.by_uid.get(uid.lower())

    def block_hash(self, number: int) -> str | None:
        found = self._lookup(number)
        return None if found is None else found[0]

    def block_timestamp(self, number: int) -> int:
        found = self._lookup(number)
        if found is None:
            raise ChainError(f"block {number} is not on this chain (head {self.index.head})")
        return found[1]

    def _lookup(self, number: int) -> tuple[str, int] | None:
        """(hash, timestamp) of a block up to the head."""
        if number > self.index.head or number < 0:
            return None
        if number not in self.blocks:
            self.blocks.update(read_blocks(self.deployment, [number]))
        return self.blocks.get(number)


# ------------------------------------------------------------------------------------------ chain reads


def registry_index(deployment: Deployment) -> RegistryIndex:
    """One scan of the registry's logs, from its deploy block to the head, decoded into an index."""
    from eth_abi import decode
    from eth_utils import event_abi_to_log_topic, to_checksum_address

    chain = deployment.chain
    head = chain.head()
    topics = {
        event_abi_to_log_topic(item): item["name"]
        for item in deployment.registry.abi
        if item["type"] == "event"
    }
    index = RegistryIndex(head=head)
    revocations: dict[str, Revocation] = {}
    superseded: dict[str, str] = {}
    for log in scan_logs(
        deployment, deployment.registry.address, deployment.manifest.registry.block_number, head
    ):
        t = log["topics"]
        name = topics.get(bytes(t[0]))
        if name == "Attested":
            uid = "0x" + bytes(t[1]).hex()
            attester, kind, year, ref, uri = decode(
                ["address", "uint8", "uint16", "bytes32", "string"], bytes(log["data"])
            )
            a = OnchainAttestation(
                uid=uid,
                digest=bytes(t[2]).hex(),
                org_id=int.from_bytes(bytes(t[3]), "big"),
                attester=to_checksum_address(attester),
                kind=Kind(int(kind)),
                year=int(year),
                ref="0x" + ref.hex(),
                uri=uri,
                block_number=int(log["blockNumber"]),
                log_index=int(log["logIndex"]),
                block_hash=log["blockHash"].to_0x_hex(),
                transaction_hash=log["transactionHash"].to_0x_hex(),
                revoked=False,
                revocation=None,
                superseded_by=None,
            )
            index.by_uid[uid] = a
            index.by_digest[a.digest].append(uid)
            index.by_org[a.org_id].append(uid)
        elif name == "Revoked":
            uid = "0x" + bytes(t[1]).hex()
            (reason,) = decode(["string"], bytes(log["data"]))
            revocations.setdefault(
                uid,
                Revocation(
                    int(log["blockNumber"]),
                    int.from_bytes(bytes(t[2]), "big"),
                    to_checksum_address(bytes(t[3])[12:]),
                    reason,
                ),
            )
        elif name == "Superseded":
            superseded["0x" + bytes(t[1]).hex()] = "0x" + bytes(t[2]).hex()
        elif name == "Covered":
            index.covered_by["0x" + bytes(t[1]).hex()].append("0x" + bytes(t[2]).hex())
    for uid, r in revocations.items():
        if uid in index.by_uid:
            index.by_uid[uid] = replace(index.by_uid[uid], revoked=True, revocation=r)
    for uid, new in superseded.items():
        if uid in index.by_uid:
            index.by_uid[uid] = replace(index.by_uid[uid], superseded_by=new)
    return index


def scan_logs(deployment: Deployment, address: str, from_block: int, to_block: int) -> list[Any]:
    """Every log of `address` in [from_block, to_block], in chunks; a refused range is split in two."""
    chain = deployment.chain
    out: list[Any] = []
    start, size = from_block, LOG_CHUNK_BLOCKS
    while start <= to_block:
        end = min(to_block, start + size - 1)
        try:
            out.extend(
                chain.rpc(
                    lambda s=start, e=end: chain.w3.eth.get_logs(
                        {"address": address, "fromBlock": s, "toBlock": e}  # type: ignore[typeddict-item]
                    )
                )
            )
        except ChainUnreachable:
            raise
        except ChainError:  # e.g. "query returned more than 10000 results" / "block range too large"
            if end == start:
                raise
            size = max(1, (end - start + 1) // 2)
            continue
        start = end + 1
    return out


def read_blocks(deployment: Deployment, numbers: Sequence[int]) -> dict[int, tuple[str, int]]:
    """(hash, timestamp) of each block, BLOCKS_PER_BATCH to a JSON-RPC batch request.

    The embedded chain's provider has no batch requests (and no round trips): it is read directly.
    """
    chain = deployment.chain
    out: dict[int, tuple[str, int]] = {}
    if not numbers:
        return out
    if chain.tester is not None:
        for n in numbers:
            b = chain.block(n)
            out[n] = (b["hash"].to_0x_hex(), int(b["timestamp"]))
        return out
    w3 = chain.w3
    for i in range(0, len(numbers), BLOCKS_PER_BATCH):
        chunk = numbers[i : i + BLOCKS_PER_BATCH]

        def fetch(chunk: Sequence[int] = chunk) -> list[Any]:
            with w3.batch_requests() as batch:
                for n in chunk:
                    batch.add(w3.eth.get_block(n))
                return list(batch.execute())

        for n, b in zip(chunk, chain.rpc(fetch), strict=True):
            if b is not None:
                out[n] = (b["hash"].to_0x_hex(), int(b["timestamp"]))
    return out
