"""Bulk reads of a deployment: the registry's events for a set of targets, block headers in batches.

`attest.app.bulk` verifies thousands of targets from these reads instead of asking the chain per
target; the anchor path reads the headers of the blocks its transactions landed in. Logs are only
read from the manifest's registry address, and decoded by `attest.chain.events`.

Two ways to fill a `RegistryIndex`, with one decoder (`RegistryIndex.add`): `registry_index` scans
every registry log (an organisation's history needs them all), `TargetedIndex` asks only for the
logs its targets can reach — their digests' `Attested` events, then the events of those
attestations and of what they reach (covering statements, references, restatements, the claims on
the same credits), by indexed topic — so verifying N files costs in proportion to N, not to the
size of the registry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from attest.chain import events
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind
from attest.core.credits import ClaimRecord, NeutralityRecord
from attest.core.records import ZERO_REF, OnchainAttestation, Revocation

LOG_CHUNK_BLOCKS = 50_000  # blocks per eth_getLogs call; halved when a node refuses a range
BLOCKS_PER_BATCH = 500  # block headers per JSON-RPC batch request
TOPICS_PER_QUERY = 200  # values one eth_getLogs topic names (an OR list)


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
    covered_logs: dict[str, list[events.Covered]] = field(default_factory=lambda: defaultdict(list))
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
        events.covering_checked(self.covered_logs.get(figures_uid, []), self.by_uid, "the node")
        return [self.by_uid[u] for u in self.covered_by.get(figures_uid, []) if u in self.by_uid]

    def add(self, log: Any) -> None:
        """Decode one registry log into the index (logs must come in chain order)."""
        t = events.topics()
        name = events.topic0(log)
        if name == t.attested:
            a = events.attested(log)
            self.by_uid[a.uid] = a
            self.by_digest[a.digest].append(a.uid)
            self.by_org[a.org_id].append(a.uid)
        elif name == t.revoked:
            uid, revocation = events.revoked(log)
            self.revocations.setdefault(uid, revocation)
        elif name == t.superseded:
            uid, replacement = events.superseded(log)
            self.replacements[uid].append(replacement)
        elif name == t.covered:
            c = events.covered(log)
            self.covered_by[c.figures_uid].append(c.statement_uid)
            self.covered_logs[c.figures_uid].append(c)
        elif name == t.credit_claimed:
            claim = events.credit_claimed(log)
            self.claims_on[claim.issuance_key].append(claim)
            self.claims_of[claim.statement_uid].append(claim)
        elif name == t.neutrality_claimed:
            record = events.neutrality_claimed(log)
            self.neutrality.setdefault(record.statement_uid, record)


def registry_index(deployment: Deployment) -> RegistryIndex:
    """One scan of the registry's logs, from its deploy block to the head, decoded into an index."""
    head = deployment.chain.head()
    index = RegistryIndex(head=head)
    start = deployment.manifest.registry.block_number
    for log in scan_logs(deployment, deployment.registry.address, start, head):
        index.add(log)
    return index


class TargetedIndex:
    """A `RegistryIndex` holding only what its targets reach, filled by topic-filtered log queries.

    `load_digests` asks for the `Attested` events of the targets' digests, then, until nothing new
    turns up, for the events of every attestation found: its revocation, restatements
    (`Superseded`) and coverage (`Covered`), its credit and neutrality claims, the other claims on
    the same issuances, and the `Attested` events of the statements, references and restatements
    these name. Each value is asked about once, TOPICS_PER_QUERY to a query, up to the `head` fixed
    at the start, so the index cannot shift under a long run. What the logs leave out stays out:
    completeness is the node's (the reports say so, and proofs find an omitted own attestation).
    """

    def __init__(self, deployment: Deployment, head: int | None = None) -> None:
        self.deployment = deployment
        self.index = RegistryIndex(head=deployment.chain.head() if head is None else head)
        # (events, topic position) -> every value asked about
        self._asked: dict[tuple[tuple[bytes, ...], int], set[str]] = defaultdict(set)
        self._seen: set[tuple[int, int]] = set()  # (block, log index) of every log added

    def load_digests(self, digests: Sequence[str]) -> None:
        """Load what verifying these digests (hex, no 0x) can ask about (nothing, once asked)."""
        asked = self._asked[((events.topics().attested,), 2)]
        wanted = ["0x" + d.lower() for d in digests]
        if all(d in asked for d in wanted):
            return
        found = self._query((events.topics().attested,), 2, wanted)
        self._follow([log_uid(log) for log in found])

    def load_org(self, org_id: int) -> None:
        """Load every attestation an organisation made (asked when a target is not anchored by it)."""
        found = self._query((events.topics().attested,), 3, ["0x" + org_id.to_bytes(32, "big").hex()])
        self._follow([log_uid(log) for log in found])

    def load_issuances(self, keys: Sequence[str]) -> None:
        """Load every claim on these credit issuances and the statements that made them."""
        found = self._query((events.topics().credit_claimed,), 1, list(keys))
        self._follow(["0x" + events.as_bytes(log["topics"][2]).hex() for log in found])

    def load_all_claims(self) -> None:
        """Load every credit claim of the registry and the statements that made them (one query of
        the `CreditClaimed` topic, once): "are these Verra unit numbers claimed under another
        issuance key (an old spelling)?" is a question about all of them, so verify-many answers it
        as `attest verify` does."""
        found = self._query((events.topics().credit_claimed,), 0, ["*"])
        self._follow(["0x" + events.as_bytes(log["topics"][2]).hex() for log in found])

    def load_uids(self, uids: Sequence[str]) -> None:
        """Load these attestations (by uid) and what they reach."""
        self._follow(list(uids))

    def _follow(self, uids: list[str]) -> None:
        """The events of these attestations and of all they reach, a round of queries per step."""
        t, index = events.topics(), self.index
        # every event whose first indexed topic is an attestation's uid, in one query
        by_uid = (t.attested, t.revoked, t.superseded, t.covered, t.neutrality_claimed)
        frontier = [u.lower() for u in uids]
        while frontier:
            self._query(by_uid, 1, frontier)
            # only a statement claims credits (in its own transaction): a query for any other kind
            # would only make the node filter every registry log again, for nothing
            self._query((t.credit_claimed,), 2, [u for u in frontier if _may_claim(index, u)])
            issuances = {c.issuance_key for u in frontier for c in index.claims_of.get(u, [])}
            self._query((t.credit_claimed,), 1, sorted(issuances))
            reached: list[str] = []
            for u in frontier:
                a = index.by_uid.get(u)
                if a is not None and a.ref != ZERO_REF:
                    reached.append(a.ref)
                reached.extend(index.covered_by.get(u, []))
                reached.extend(index.replacements.get(u, []))
            reached.extend(c.statement_uid for k in issuances for c in index.claims_on.get(k, []))
            asked = self._asked[(by_uid, 1)]
            frontier = [u for u in dict.fromkeys(r.lower() for r in reached) if u not in asked]

    def _query(self, topic0s: tuple[bytes, ...], position: int, values: Sequence[str]) -> list[Any]:
        """The registry's logs of these events whose indexed topic `position` is one of `values` not
        asked about before (position 0: all of them); each is added to the index once, and the lists
        it touches kept in chain order."""
        asked = self._asked[(topic0s, position)]
        new = [v for v in dict.fromkeys(v.lower() for v in values) if v not in asked]
        asked.update(new)
        dep, out = self.deployment, []
        names = ["0x" + t.hex() for t in topic0s]
        for i in range(0, len(new), TOPICS_PER_QUERY):
            topics: list[str | list[str] | None] = [names if len(names) > 1 else names[0]]
            if position > 0:  # position 0: every log of these events (values: ["*"], asked once)
                topics.extend([None] * (position - 1))
                topics.append(new[i : i + TOPICS_PER_QUERY])
            start = dep.manifest.registry.block_number
            for log in scan_logs(dep, dep.registry.address, start, self.index.head, topics):
                at = (events.as_int(log["blockNumber"]), events.as_int(log["logIndex"]))
                if at not in self._seen:
                    self._seen.add(at)
                    out.append(log)
        out.sort(key=lambda log: (events.as_int(log["blockNumber"]), events.as_int(log["logIndex"])))
        for log in out:
            self.index.add(log)
        self._reorder(out)
        return out

    def _reorder(self, logs: list[Any]) -> None:
        """Attestations found by several queries end up in each list in chain order."""
        attested = events.topics().attested
        found = [self.index.by_uid[log_uid(log)] for log in logs if events.topic0(log) == attested]
        index = self.index

        def position(uid: str) -> tuple[int, int]:
            a = index.by_uid[uid]
            return (a.block_number, a.log_index)

        for digest in {a.digest for a in found}:
            index.by_digest[digest] = sorted(dict.fromkeys(index.by_digest[digest]), key=position)
        for org in {a.org_id for a in found}:
            index.by_org[org] = sorted(dict.fromkeys(index.by_org[org]), key=position)


def _may_claim(index: RegistryIndex, uid: str) -> bool:
    """Whether `uid` may have claimed credits: a statement, or an attestation not found yet."""
    found = index.by_uid.get(uid)
    return found is None or found.kind is Kind.STATEMENT


def log_uid(log: Any) -> str:
    """The uid an `Attested` log names (its first indexed topic)."""
    return "0x" + events.as_bytes(log["topics"][1]).hex()


def scan_logs(
    deployment: Deployment,
    address: str,
    from_block: int,
    to_block: int,
    topics: Sequence[str | list[str] | None] | None = None,
) -> list[Any]:
    """Every log of `address` in [from_block, to_block] (with these topics, when given), in chunks;
    a refused range is split in two."""
    chain = deployment.chain
    ranges = events.logs_in_ranges(
        chain.call, address, from_block, to_block, topics, size=LOG_CHUNK_BLOCKS, where=chain.name
    )
    return [
        log
        for first, found in ranges
        for log in events.matching(found, address, topics or (), from_block=first, where=chain.name)
    ]


def read_blocks(deployment: Deployment, numbers: Sequence[int]) -> dict[int, tuple[str, int]]:
    """(hash, timestamp) of each block, BLOCKS_PER_BATCH to a JSON-RPC batch request."""
    chain = deployment.chain
    out: dict[int, tuple[str, int]] = {}
    for i in range(0, len(numbers), BLOCKS_PER_BATCH):
        chunk = numbers[i : i + BLOCKS_PER_BATCH]
        answers = chain.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
        for n, answer in zip(chunk, answers, strict=True):
            b = chain.result(answer, "eth_getBlockByNumber")
            if b is not None:
                out[n] = (str(b["hash"]), events.as_int(b["timestamp"]))
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
