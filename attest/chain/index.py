"""Bulk reads of a deployment: every registry event in one scan, block headers in batches.

`attest.app.bulk` verifies thousands of targets from these reads instead of asking the chain per
target; the anchor path reads the headers of the blocks its transactions landed in. Logs are only
read from the manifest's registry address, and decoded by `attest.chain.events`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from attest.chain import events
from attest.chain.deployment import Deployment
from attest.core.credits import ClaimRecord, NeutralityRecord
from attest.core.errors import ChainError, ChainUnreachable
from attest.core.records import OnchainAttestation, Revocation

LOG_CHUNK_BLOCKS = 50_000  # blocks per eth_getLogs call; halved when a node refuses a range
BLOCKS_PER_BATCH = 500  # block headers per JSON-RPC batch request


@dataclass
class RegistryIndex:
    """Every attestation the registry's events announce, as of `head`, indexed for the questions
    `verify` asks; with the events' history: each attestation's first `Revoked` event and the
    restatements that replaced it (`Superseded`, in order).

    The records are as `Attested` announced them: whether one is revoked or superseded NOW is the
    registry's storage (`Deployment.stored_states`), which `attest.app.bulk.IndexedFacts` reads."""

    head: int
    by_uid: dict[str, OnchainAttestation] = field(default_factory=dict)
    by_digest: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_org: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    covered_by: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    revocations: dict[str, Revocation] = field(default_factory=dict)
    replacements: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # credit claims (`CreditClaimed`) by issuance key and by statement, and neutrality claims by statement
    claims_on: dict[str, list[ClaimRecord]] = field(default_factory=lambda: defaultdict(list))
    claims_of: dict[str, list[ClaimRecord]] = field(default_factory=lambda: defaultdict(list))
    neutrality: dict[str, NeutralityRecord] = field(default_factory=dict)

    def of_digest(self, digest: str) -> list[OnchainAttestation]:
        return [self.by_uid[u] for u in self.by_digest.get(digest, [])]

    def of_org(self, org_id: int) -> list[OnchainAttestation]:
        return [self.by_uid[u] for u in self.by_org.get(org_id, [])]

    def covering(self, figures_uid: str) -> list[OnchainAttestation]:
        return [self.by_uid[u] for u in self.covered_by.get(figures_uid, []) if u in self.by_uid]


def registry_index(deployment: Deployment) -> RegistryIndex:
    """One scan of the registry's logs, from its deploy block to the head, decoded into an index."""
    head = deployment.chain.head()
    t = events.topics()
    index = RegistryIndex(head=head)
    logs = scan_logs(deployment, deployment.registry.address, deployment.manifest.registry.block_number, head)
    for log in logs:
        name = events.topic0(log)
        if name == t.attested:
            a = events.attested(log)
            index.by_uid[a.uid] = a
            index.by_digest[a.digest].append(a.uid)
            index.by_org[a.org_id].append(a.uid)
        elif name == t.revoked:
            uid, revocation = events.revoked(log)
            index.revocations.setdefault(uid, revocation)
        elif name == t.superseded:
            uid, replacement = events.superseded(log)
            index.replacements[uid].append(replacement)
        elif name == t.covered:
            c = events.covered(log)
            index.covered_by[c.figures_uid].append(c.statement_uid)
        elif name == t.credit_claimed:
            claim = events.credit_claimed(log)
            index.claims_on[claim.issuance_key].append(claim)
            index.claims_of[claim.statement_uid].append(claim)
        elif name == t.neutrality_claimed:
            record = events.neutrality_claimed(log)
            index.neutrality.setdefault(record.statement_uid, record)
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
    if not chain.batches:
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
