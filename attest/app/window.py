"""The confirmation window: revocations after the trusted block, asked of every node.

Without a checkpoint the trusted block is the one every node has `confirmations` deep; what happened
after it — a revocation in the last blocks — is in no proof, and was read from the reading node
alone: a node that hid a revocation there had the verdict say "current". So before the rules decide,
every other node given (`--rpc-url`) is asked, at its own head, whether each record the verdict
relies on is revoked (the registry's storage, `getAttestation`). A revocation one node reports at
block N is believed (it can only make a verification fail; it is shown on the `status` line, and,
newer than the trusted block, rests on the node's word) — unless the reading node already has block
N and says the record is not revoked there: then the nodes contradict each other, a chain error
naming both (exit 3). The same the other way: a revocation the reading node dates at block N that
another node, having block N, does not hold. A node whose head has not reached N yet is no
contradiction (nodes' heads differ by a block or two), and a node that does not answer decides
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from attest.chain.rpc import HttpRpc, JsonRpc
from attest.core.contracts import GOVERNANCE, REGISTRY
from attest.core.errors import ChainError
from attest.core.records import OnchainAttestation, Revocation
from attest.core.verification import Evidence

if TYPE_CHECKING:
    from attest.app.proven import Prover


class Window:
    """The other nodes' answers about revocations after the trusted block, for one command: each
    node's session and head asked once, each record's state asked once per node (`prefetch` asks a
    bulk run's chunk in one batch per node)."""

    def __init__(self, prover: Prover) -> None:
        self.prover = prover
        self.reading = _url(prover.deployment.chain.name)
        self.others = [u for u in dict.fromkeys(_url(x) for x in prover.policy.urls) if u != self.reading]
        self._rpcs: dict[str, HttpRpc] = {}
        self._heads: dict[str, int | None] = {}
        # (revoked, replacement or None) of each record, as each other node holds it at its head
        self._states: dict[tuple[str, str], tuple[bool, str | None]] = {}
        # (organisation, roles while active, frozen) of each account, as each other node holds it at a block
        self._accounts: dict[tuple[str, str, int], tuple[int, int, bool]] = {}

    def prefetch(self, uids: Sequence[str]) -> None:
        """Ask every other node, in one batch each, whether these records are revoked at its head."""
        for url in self.others:
            self._ask(url, [u.lower() for u in uids])

    def revocations(self, ev: Evidence) -> Evidence:
        """`ev` with each record relied on that another node holds revoked (and the reading node
        cannot contradict) marked revoked as that node says; a `ChainError` when two nodes that both
        have the revocation's block disagree about it. Unchanged with one node or nothing proven."""
        if self.prover.header is None or self.prover.unproven is not None or ev.read is None:
            return ev
        records = list(ev.read.records.values())
        if not self.others or not records:
            return ev
        believed: dict[str, Revocation | str] = {}
        for url in self.others:
            believed.update(self._compare(url, records, believed))
            self._standings(url, ev, records)
        return _with_revocations(ev, believed) if believed else ev

    def _standings(self, url: str, ev: Evidence, records: list[OnchainAttestation]) -> None:
        """Each attester's standing — its organisation, that organisation's roles while it is
        active, whether the key is frozen (governance's `accountStatus`) — as node `url` holds it
        at a block both it and the reading node have, against what the reading node's history says
        there: a key frozen or a role taken away after the trusted block is in no proof, and a
        reading node that hides it (its event left out) would have `authorised` and `key` pass. Any
        difference is a chain error naming both nodes (exit 3)."""
        head = self._head(url)
        if head is None or ev.history is None:
            return
        at = min(head, ev.head)
        accounts = sorted({a.attester.lower() for a in records})
        missing = [x for x in accounts if (url, x, at) not in self._accounts]
        if missing:
            try:
                said = _accounts_at(self._rpc(url), self.prover, missing, at)
            except ChainError:
                return  # a node that does not answer decides nothing
            self._accounts.update(((url, x, at), v) for x, v in said.items())
        for account in accounts:
            theirs = self._accounts[(url, account, at)]
            s = ev.history.standing(account, (at + 1, 0))
            mine = (0, 0, False) if s.org_id == 0 else (s.org_id, s.roles if s.org_active else 0, s.frozen)
            if theirs != mine:
                raise ChainError(
                    f"the nodes contradict each other about account {account} at block {at}: "
                    f"{self.reading} says {_standing_words(mine)}; {url} holds {_standing_words(theirs)}: "
                    "verify again; if it persists, one of them is not to be believed"
                )

    def _rpc(self, url: str) -> HttpRpc:
        if url not in self._rpcs:
            self._rpcs[url] = HttpRpc(url)
        return self._rpcs[url]

    def _head(self, url: str) -> int | None:
        """Node `url`'s head, asked once per command (None: it did not answer, and decides nothing)."""
        if url not in self._heads:
            try:
                self._heads[url] = int(self._rpc(url).call("eth_blockNumber", []), 16)
            except (ChainError, ValueError, TypeError):
                self._heads[url] = None
        return self._heads[url]

    def _ask(self, url: str, uids: list[str]) -> bool:
        """Node `url`'s answers for `uids` at its head, cached; False when it does not answer."""
        head = self._head(url)
        if head is None:
            return False
        missing = [u for u in dict.fromkeys(uids) if (url, u) not in self._states]
        if missing:
            try:
                answers = _states_at(self._rpc(url), self.prover, missing, head)
            except ChainError:
                return False
            self._states.update(((url, u), v) for u, v in answers.items())
        return True

    def _compare(
        self, url: str, records: list[OnchainAttestation], believed: dict[str, Revocation | str]
    ) -> dict[str, Revocation | str]:
        """The revocations node `url` holds, at its head, that the reading node did not say (each
        checked against the reading node: `_check_reading`); a `ChainError` for a revocation the
        reading node dates after the trusted block that `url`, having that block, does not hold. A
        node that does not answer decides nothing (the quorum of the trusted block named it already)."""
        prover = self.prover
        assert prover.header is not None
        if not self._ask(url, [a.uid.lower() for a in records]):
            return {}
        head = self._heads[url]
        assert head is not None
        out: dict[str, Revocation | str] = {}
        for a in records:
            uid = a.uid.lower()
            revoked, replacement = self._states[(url, uid)]
            if a.revoked and not revoked and a.revocation is not None:
                n = a.revocation.block_number
                if prover.header.number < n <= head:
                    raise ChainError(
                        f"the nodes contradict each other about attestation {a.uid}: {self.reading} says "
                        f"it was revoked at block {n}; {url} has block {n} (its head is {head}) and holds "
                        "it not revoked: verify again; if it persists, one of them is not to be believed"
                    )
            elif revoked and not a.revoked and uid not in believed:
                r = _revocation(self._rpc(url), prover, uid, head)
                if r.block_number > prover.header.number:  # before it, the proofs decide
                    out[uid] = _check_reading(prover, self.reading, url, a, r)
            if replacement is not None and not a.superseded_by and uid not in believed and uid not in out:
                superseded = self._superseded(url, a, replacement)
                if superseded is not None:
                    out[uid] = superseded
        return out

    def _superseded(self, url: str, a: OnchainAttestation, replacement: str) -> str | None:
        """Restatement `replacement` of `a` that node `url` holds and the reading node did not say:
        believed unless the reading node has the restatement's block and holds `a` not superseded
        there (a `ChainError` naming both). A restatement after the trusted block is in no proof: a
        reading node that hides one (its `supersededBy` answer zero, its `Superseded` log dropped)
        would have the verdict say "current"."""
        n = _block_of(self._rpc(url), self.prover, replacement, url)
        assert self.prover.header is not None
        if n <= self.prover.header.number:
            # at the trusted block the proofs decide (a hidden restatement contradicts them), unless
            # the reading node says it was withdrawn since: node `url` still holds it, so if it has the
            # block of that withdrawal, the nodes contradict each other
            head = self._heads[url]
            for w in a.withdrawn_restatements:
                r = w.revocation
                if r is None or head is None or w.uid.lower() != replacement:
                    continue
                if self.prover.header.number < r.block_number <= head:
                    raise ChainError(
                        f"the nodes contradict each other about restatement {replacement} of "
                        f"attestation {a.uid}: {self.reading} says it was withdrawn at block "
                        f"{r.block_number}; {url} has block {r.block_number} (its head is {head}) and "
                        "holds it in force: verify again; if it persists, one of them is not to be "
                        "believed"
                    )
            return None
        chain = self.prover.deployment.chain
        if chain.head() < n:
            return replacement  # the reading node has not reached that block yet: no contradiction
        if _states_at(chain.client, self.prover, [a.uid], n)[a.uid.lower()][1] is not None:
            return replacement
        raise ChainError(
            f"the nodes contradict each other about attestation {a.uid}: {url} says it was superseded "
            f"by {replacement} at block {n}; {self.reading} has block {n} and holds it not superseded "
            "there: verify again; if it persists, one of them is not to be believed"
        )


def others_revocations(ev: Evidence, prover: Prover) -> Evidence:
    """`ev` as the other nodes' revocations after the trusted block leave it (`Window.revocations`,
    with the prover's window for this command)."""
    return prover.window().revocations(ev)


def _check_reading(
    prover: Prover, reading: str, url: str, a: OnchainAttestation, r: Revocation
) -> Revocation:
    """Revocation `r` of `a` that node `url` reports, believed unless the reading node has its block
    and holds `a` not revoked there (a `ChainError` naming both)."""
    chain = prover.deployment.chain
    if chain.head() < r.block_number:
        return r  # the reading node has not reached that block yet: no contradiction
    if _states_at(chain.client, prover, [a.uid], r.block_number)[a.uid.lower()][0]:
        return r  # revoked there too: the reading node's other answer is the one to doubt, not this
    raise ChainError(
        f"the nodes contradict each other about attestation {a.uid}: {url} says it was revoked at block "
        f"{r.block_number} (by org #{r.org_id}, {r.by}); {reading} has block {r.block_number} and holds it "
        "not revoked there: verify again; if it persists, one of them is not to be believed"
    )


def _states_at(
    rpc: JsonRpc, prover: Prover, uids: list[str], block: int
) -> dict[str, tuple[bool, str | None]]:
    """Whether the registry's storage at `block` holds each of `uids` revoked (`getAttestation`'s last
    word), and its replacement (`supersededBy`; None: none), as node `rpc` answers: one batch."""
    from attest.chain.contract import selector

    registry = prover.deployment.manifest.registry.address
    get, sup = selector(REGISTRY, "getAttestation"), selector(REGISTRY, "supersededBy")
    calls = [
        (
            "eth_call",
            [{"to": registry, "data": "0x" + (f + bytes.fromhex(u.removeprefix("0x"))).hex()}, hex(block)],
        )
        for u in uids
        for f in (get, sup)
    ]
    answers = iter(rpc.batch(calls))
    out: dict[str, tuple[bool, str | None]] = {}
    for u in uids:
        word, replaced = next(answers), next(answers)
        if not isinstance(word, str) or len(word) != 2 + 6 * 64:
            raise ChainError(f"the registry answered getAttestation({u}) malformed")
        if not isinstance(replaced, str) or len(replaced) != 2 + 64:
            raise ChainError(f"the registry answered supersededBy({u}) malformed")
        out[u.lower()] = (int(word[-64:], 16) != 0, None if int(replaced, 16) == 0 else replaced.lower())
    return out


def _accounts_at(
    rpc: JsonRpc, prover: Prover, accounts: list[str], block: int
) -> dict[str, tuple[int, int, bool]]:
    """Each account's (organisation, roles while active, frozen) in governance's storage at `block`,
    as node `rpc` answers (`accountStatus`): one batch."""
    from attest.chain.contract import selector

    governance = prover.deployment.manifest.governance.address
    status = selector(GOVERNANCE, "accountStatus")
    calls = [
        (
            "eth_call",
            [
                {"to": governance, "data": "0x" + (status + bytes(12) + bytes.fromhex(x[2:])).hex()},
                hex(block),
            ],
        )
        for x in accounts
    ]
    out: dict[str, tuple[int, int, bool]] = {}
    for x, word in zip(accounts, rpc.batch(calls), strict=True):
        if not isinstance(word, str) or len(word) != 2 + 3 * 64:
            raise ChainError(f"governance answered accountStatus({x}) malformed")
        out[x] = (int(word[2:66], 16), int(word[66:130], 16), int(word[130:194], 16) != 0)
    return out


def _standing_words(s: tuple[int, int, bool]) -> str:
    org, roles, frozen = s
    if org == 0:
        return "it belongs to no organisation"
    return f"organisation #{org}, roles {roles}" + (", key frozen" if frozen else ", key not frozen")


def _block_of(rpc: JsonRpc, prover: Prover, uid: str, url: str) -> int:
    """The block attestation `uid` was anchored in, as node `rpc` holds it (`getAttestation`'s third
    word); a `ChainError` when it holds no such record."""
    from attest.chain.contract import selector

    registry = prover.deployment.manifest.registry.address
    data = "0x" + (selector(REGISTRY, "getAttestation") + bytes.fromhex(uid.removeprefix("0x"))).hex()
    word = rpc.call("eth_call", [{"to": registry, "data": data}, "latest"])
    if not isinstance(word, str) or len(word) != 2 + 6 * 64 or int(word[2:66], 16) == 0:
        raise ChainError(f"{url} names restatement {uid} but holds no record of it")
    return int(word[2 + 2 * 64 : 2 + 3 * 64], 16)


def _revocation(rpc: HttpRpc, prover: Prover, uid: str, head: int) -> Revocation:
    """The `Revoked` log of `uid` as node `rpc` gives it (who, why, at which block)."""
    from attest.chain import events

    query = {
        "address": prover.deployment.manifest.registry.address,
        "fromBlock": hex(prover.deployment.manifest.registry.block_number),
        "toBlock": hex(head),
        "topics": ["0x" + events.topics().revoked.hex(), uid],
    }
    logs = rpc.call("eth_getLogs", [query])
    found = [events.revoked(log) for log in logs or []]
    mine = [r for u, r in found if u.lower() == uid.lower()]
    if not mine:
        raise ChainError(f"{rpc.url} holds attestation {uid} revoked but gives no Revoked log of it")
    return mine[0]


def _url(url: str) -> str:
    """A node's URL as the quorum asks it (no trailing slash)."""
    return url.strip().rstrip("/")


def _with_revocations(ev: Evidence, believed: dict[str, Revocation | str]) -> Evidence:
    """`ev` with the records in `believed` revoked (a `Revocation`) or superseded (the restatement's
    uid) as another node says, wherever the rules read them."""

    def settle(a: OnchainAttestation) -> OnchainAttestation:
        r = believed.get(a.uid.lower())
        if r is None:
            return a
        if isinstance(r, str):
            return replace(a, superseded_by=r)
        return replace(a, revoked=True, revocation=r)

    assert ev.read is not None
    for uid in believed:
        if uid in ev.read.records:
            ev.read.records[uid] = settle(ev.read.records[uid])
    return replace(
        ev,
        attestations=[settle(a) for a in ev.attestations],
        covering_statements=[settle(a) for a in ev.covering_statements],
        referenced=settle(ev.referenced) if ev.referenced is not None else None,
        paired_figures=settle(ev.paired_figures) if ev.paired_figures is not None else None,
    )
