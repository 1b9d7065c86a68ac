"""Prove a verdict's log facts with block receipts (the shell of attest.core.log_proofs).

The records a report rests on (the attestation chosen, the statements covering figures, the figures
a statement references, and the revocations in their history) were read from one node's logs. For
each block they sit in, this asks every node for the block's header and trusts its hash only with a
quorum (as the trusted block's: `ProofPolicy.quorum`, default all), or, under a `--trust-block`
checkpoint, only for the checkpoint's block and those up to MAX_WALK blocks before it, linked to
it by parentHash. It then fetches that block's receipts (eth_getBlockReceipts, else one
eth_getTransactionReceipt per transaction), rebuilds the receipts trie against the header's
receiptsRoot, and has the core compare the node's records with the logs the receipts hold. Each
block is proven once per command, however many records share it.

A node can still leave logs out. The one fact of a verdict that only an absence of logs gives —
which statements cover these figures — is asked of every node (eth_getLogs on the registry, the
figures' uid as topic), and a statement one node returned (proven in its block's receipts) that
another left out fails the verdict, naming both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from attest.chain.proving import block_receipts, claimed_hash, header_from_block, receipt_from_rpc
from attest.chain.rpc import HttpRpc, NodeRefused
from attest.core.chain_family import ChainFamily, family
from attest.core.contracts import Kind
from attest.core.errors import ChainError, ChainUnreachable
from attest.core.header import BlockHeader, TrustedHeader, header_hash
from attest.core.log_proofs import (
    LogResult,
    ProvenBlock,
    covered_log,
    judge_attested,
    judge_claim,
    judge_claims_of,
    judge_covered,
    judge_neutrality,
    judge_revoked,
    omitted,
    proven_block,
)
from attest.core.proof_errors import MalformedProof, ProofError, QuorumError
from attest.core.proven import only_shown, others_read
from attest.core.receipt_trie import TxReceipt
from attest.core.records import ZERO_REF, OnchainAttestation
from attest.core.verification import Check, Evidence, Read, Report

if TYPE_CHECKING:
    from attest.app.proven import ProofPolicy
    from attest.chain.deployment import Deployment
    from attest.core.credits import ClaimRecord, NeutralityRecord, UnitsElsewhere

#: how many blocks before a `--trust-block` checkpoint are linked to it by parentHash
MAX_WALK = 256
#: figures whose covering statements are asked by their uid; past that (verify-many) every Covered
#: log is asked once per node: their number grows with the statements, not with the targets
FEW_FIGURES = 8
#: Issuances one CreditClaimed query names; for more, every such log is asked for and filtered here.
CLAIM_KEYS_PER_QUERY = 100


class LogProver:
    """Receipt proofs of the log facts of every report of one command, against blocks the nodes
    agree on (or that lead by parentHash to the checkpoint)."""

    def __init__(self, deployment: Deployment, policy: ProofPolicy, trusted: TrustedHeader) -> None:
        self.registry = deployment.manifest.registry.address
        self.from_block = deployment.manifest.registry.block_number
        self.family = family(deployment.manifest.family)
        self.policy = policy
        self.trusted = trusted
        self.urls = list(dict.fromkeys(u.strip().rstrip("/") for u in policy.urls))
        self.node = trusted.agreed[0]  # serves the receipts
        # per block: its header (hash agreed) or why it is unproven; then its logs or the node's lie
        self._headers: dict[int, tuple[BlockHeader, bytes] | str] = {
            trusted.number: (trusted.header, trusted.hash)
        }
        self._blocks: dict[int, ProvenBlock | str] = {}
        self._lies: dict[int, str] = {}
        self._coverage: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self._figures_asked: set[str] = set()
        self._every_covered: dict[str, list[_Covering] | str] = {}
        self._claims_asked: dict[tuple[str, tuple[str, ...]], list[ClaimRecord] | str] = {}
        self._claim_sets: set[tuple[str, ...]] = set()
        self._sessions: dict[str, HttpRpc] = {}

    # ------------------------------------------------------------------ the report line

    def check(self, report: Report, ev: Evidence) -> Check | None:
        """The `logs` line of one report (None when it rests on no record)."""
        chosen = report.attestation
        if chosen is None:
            return None
        limit = self.trusted.number
        # what was read for this target and relied on (`Evidence.read`): every record, claim and
        # neutrality claim, proven by its block's receipts; nothing worked out again here
        read = ev.read if ev.read is not None else Read()
        records = list({a.uid.lower(): a for a in [chosen, *read.records.values()]}.values())
        revocations = [(uid, r) for a in records for uid, r in _revocations(a)]
        # statements read as covering figures, each with its Covered log to show (`Read.covered`)
        covered = [(f, read.records[s]) for f, s in sorted(read.covered) if s in read.records]
        claims = list(read.claims.values())
        neutrality = list(read.neutrality.values())
        # what the node puts after the trusted block cannot be proven by its receipts: the node's word,
        # named, and failed by --require-proofs (a revocation dated later hides a double claim)
        shown = only_shown(ev)  # another organisation's record of the digest, "not relied on"
        # statements only the coverage and credit lines read: what of theirs is newer weakens those
        # lines (`after_block`'s "others"), said here, not failing this line (and every line on logs)
        theirs = others_read(ev)
        # each fact the node puts after the trusted block: whose it is, where, what it is
        later = [
            *((a.uid, a.block_number, "attestation", "record") for a in records),
            *((u, r.block_number, "the revocation of", "status") for u, r in revocations),
            *((c.statement_uid, c.block_number, "a credit claim of", "claim") for c in claims),
            *((r.statement_uid, r.block_number, "the neutrality claim of", "claim") for r in neutrality),
        ]
        newer: list[str] = []  # the node's word this line rests on
        others_later: list[str] = []  # the coverage and credit lines' (`after_block`'s "others")
        shown_later: list[str] = []  # said, never failed
        for uid, number, what, kind in later:
            if number <= limit:
                continue
            words = f"{what} {uid[:18]}… (block {number})"
            if uid.lower() in theirs:
                others_later.append(words)
            elif kind == "claim" or uid.lower() not in shown:
                newer.append(words)
            elif kind == "record":
                shown_later.append(words)
        numbers = {a.block_number for a in records} | {r.block_number for _, r in revocations}
        numbers |= {c.block_number for c in claims} | {r.block_number for r in neutrality}
        self._prepare(sorted(n for n in numbers if n <= limit))
        receipt_lie = self._receipt_block(ev)

        judged = _Judged()
        reg = self.registry
        for a in records:
            if a.block_number <= limit and (block := self._block(judged, a.block_number)):
                judged.results.append(judge_attested(a, block, reg))
        for figures, s in covered:
            if s.block_number <= limit and (block := self._block(judged, s.block_number)):
                judged.results.append(judge_covered(figures, s, block, reg))
        for uid, r in revocations:
            if r.block_number <= limit and (block := self._block(judged, r.block_number)):
                judged.results.append(judge_revoked(uid, r, block, reg))
        for c in claims:
            if c.block_number <= limit and (block := self._block(judged, c.block_number)):
                judged.results.append(judge_claim(c, block, reg))
        for r in neutrality:
            if r.block_number <= limit and (block := self._block(judged, r.block_number)):
                judged.results.append(judge_neutrality(r, block, reg))
        for uid in sorted(read.claims_asked | read.neutrality_asked):  # all in its anchoring block
            held = read.records.get(uid)
            if held is None or held.block_number > limit:
                continue
            if block := self._block(judged, held.block_number):
                mine = (
                    [c for c in claims if c.statement_uid.lower() == uid]
                    if uid in read.claims_asked
                    else None
                )
                said = read.neutrality.get(uid) if uid in read.neutrality_asked else False
                judged.results.append(judge_claims_of(uid, mine, said, block, reg))
        lies = [*judged.lies, *(x.problem for x in judged.results if x.problem), *receipt_lie]
        complete, left_out = "", list[str]()
        if chosen.kind is Kind.FIGURES:
            verdict = [s.uid.lower() for s in ev.covering_statements]
            left_out, answered, silent = self._complete(chosen.uid, verdict)
            none = "no other statement" if ev.covering_statements else "no statement"
            complete = (
                f"{none} covers these figures: as complete as the logs of node(s) {', '.join(answered)}"
                f" (each up to block {limit})"
            )
            complete += "".join(f" ({s})" for s in silent)
        if read.claim_keys:
            more, beyond, answered, silent = self._claims_complete(
                sorted(read.claim_keys), list(read.claims.values()), ev.head
            )
            left_out += more
            newer += beyond
            others = (
                "other statements' claims on these credits: as complete as the logs of node(s) "
                + ", ".join(answered)
                + " (each up to its head)"
            )
            complete += ("; " if complete else "") + others + "".join(f" ({s})" for s in silent)
        if read.elsewhere_asked:
            more, beyond, answered, silent = self._elsewhere_complete(
                read.elsewhere_asked, list(read.claims.values()), ev.head
            )
            left_out += more
            newer += beyond
            others = (
                "claims on its Verra unit numbers under other issuance keys: as complete as the logs of "
                "node(s) " + ", ".join(answered) + " (each up to its head)"
            )
            complete += ("; " if complete else "") + others + "".join(f" ({s})" for s in silent)
        if lies or left_out:
            parts = [f"receipts contradict the node's logs: {'; '.join(dict.fromkeys(lies))}"] if lies else []
            if left_out:
                parts.append(f"the nodes' logs differ: {'; '.join(left_out)}")
            return Check("logs", "fail", "; ".join(parts))
        if others_later:  # the coverage and credit lines rest on the node for them (`after_block`)
            complete += ("; " if complete else "") + (
                f"read by the coverage and credit lines only, after block {limit} (the node's word, said "
                f"on those lines): {', '.join(others_later)}"
            )
        if shown_later:  # said, never failed: no decision rests on them
            complete += ("; " if complete else "") + (
                f"only shown, not relied on, after block {limit} (the node's word): {', '.join(shown_later)}"
            )
        return self._line(judged.results, judged.unproven, newer, complete)

    def proven_time(self, number: int, block_hash: str) -> int | None:
        """The timestamp of block `number` from its header, when that header's hash is agreed (or
        linked to the checkpoint) and is `block_hash`; None when it is not proven (the node's word)."""
        entry = self._headers.get(number)
        if not isinstance(entry, tuple) or "0x" + entry[1].hex() != block_hash.lower():
            return None
        return entry[0].timestamp

    def proven_time_of(self, number: int) -> int | None:
        """The timestamp of block `number` from its header, when that header's hash was agreed (or
        linked to the checkpoint) while proving a report's logs; None when it was not."""
        entry = self._headers.get(number)
        return entry[0].timestamp if isinstance(entry, tuple) else None

    def prefetch(self, numbers: Iterable[int]) -> None:
        """Prove these blocks' logs ahead, in one go (a bulk run's chunk of targets): one batch per
        node for their headers, one for their receipts."""
        self._prepare(sorted({n for n in numbers if 0 <= n <= self.trusted.number}))

    def _receipt_block(self, ev: Evidence) -> list[str]:
        """The node's word that a receipt's block hash is the chain's, against the agreed hash."""
        r = ev.target.receipt
        if r is None or r.chain.block_number > self.trusted.number:
            return []
        said = (ev.receipt_block_hash_on_chain or "").lower()
        if said != r.chain.block_hash.lower():
            return []  # the `receipt` line already fails
        if r.chain.block_number not in self._headers:
            self._confirm([r.chain.block_number])
        entry = self._headers[r.chain.block_number]
        if isinstance(entry, tuple) and "0x" + entry[1].hex() != said:
            return [
                f"the node confirms the receipt's block {r.chain.block_number} hash {said}, but the agreed "
                f"hash of that block is 0x{entry[1].hex()}"
            ]
        return []

    def _line(self, results: list[LogResult], unproven: list[str], newer: list[str], complete: str) -> Check:
        what: list[str] = []
        proven = [r for r in results if r.problem is None]
        blocks = sorted({r.block for r in proven})
        if proven:
            facts = ", ".join(f"{r.event} {r.uid[:10]}… (block {r.block})" for r in proven)
            listed = ", ".join(map(str, blocks))
            what.append(
                f"proven by the receipts of block(s) {listed} ({self._vouched()}): {facts}"
                " — each at its block and block hash, Attested logs at their position with their reference, "
                "URI, attester, kind and year, Revoked logs with who and why, CreditClaimed logs at their "
                "position with their issuance and units, NeutralityClaimed logs with for whom and how much; "
                "transaction hashes remain the node's word"
            )
        if newer:
            what.append(
                f"after block {self.trusted.number}, not proven yet (the node's word): {', '.join(newer)}"
            )
        what.extend(dict.fromkeys(unproven))
        if complete:
            what.append(complete)
        what.append("restatement history (Superseded logs) rests on the node's logs")
        if (unproven or newer) and self.policy.require:
            return Check("logs", "fail", "; ".join(what) + " (--require-proofs)", unproven=True)
        return Check("logs", "info" if unproven or newer or not proven else "pass", "; ".join(what))

    def _vouched(self) -> str:
        if self.trusted.checkpoint is not None:
            return f"linked by parentHash to checkpoint {self.trusted.checkpoint}"
        return f"hashes agreed by {self._needed()} of {len(self.urls)} node(s)"

    def _needed(self) -> int:
        if self.policy.quorum is not None:
            return self.policy.quorum
        return 1 if self.trusted.checkpoint is not None else len(self.urls)

    def _block(self, judged: _Judged, number: int) -> ProvenBlock | None:
        """The proven block `number`, or None with the node's lie or why it is unproven recorded."""
        block = self._blocks.get(number)
        if number in self._lies:
            judged.lies.append(self._lies[number])
        elif isinstance(block, ProvenBlock):
            return block
        else:
            judged.unproven.append(f"block {number}: unproven, node's word ({block or 'not fetched'})")
        return None

    # ------------------------------------------------------------------ blocks: header, receipts

    def _rpc(self, url: str) -> HttpRpc:
        """One JSON-RPC session per node for the whole command (its connection kept open)."""
        if url not in self._sessions:
            self._sessions[url] = HttpRpc(url)
        return self._sessions[url]

    def _prepare(self, numbers: Sequence[int]) -> None:
        """Prove the logs of every block in `numbers` not proven yet."""
        todo = [n for n in numbers if n not in self._headers]
        if todo:
            self._confirm(todo)
        fetch = [n for n in numbers if n not in self._blocks and n not in self._lies]
        ready = [n for n in fetch if isinstance(self._headers.get(n), tuple)]
        for n in fetch:
            if n not in ready:
                self._blocks[n] = str(self._headers.get(n))
        try:
            fetched = self._receipts(ready)
        except MalformedProof as exc:  # not a refusal: an answer no receipt can be
            self._lies.update(dict.fromkeys(ready, f"node {self.node}: {exc.detail}"))
            return
        for n, receipts in fetched.items():
            if isinstance(receipts, str):
                self._blocks[n] = receipts
                continue
            entry = self._headers[n]
            assert isinstance(entry, tuple)
            header, trusted_hash = entry
            try:
                self._blocks[n] = proven_block(n, trusted_hash, header.receipts_root, receipts)
            except ProofError as exc:
                self._lies[n] = f"node {self.node}: {exc.detail}"

    def _confirm(self, numbers: list[int]) -> None:
        if self.trusted.checkpoint is not None:
            self._walk(numbers)
            return
        needed = self._needed()
        votes: dict[int, Counter[bytes]] = {n: Counter() for n in numbers}
        said: dict[int, list[str]] = {n: [] for n in numbers}
        headers: dict[tuple[int, bytes], BlockHeader] = {}
        for url in self.urls:
            answers = _blocks_of(self._rpc(url), numbers, self.family)
            for n in numbers:
                answer = answers[n]
                if not isinstance(answer, tuple):
                    said[n].append(f"{url}: {answer}")
                    continue
                header, h = answer
                votes[n][h] += 1
                headers.setdefault((n, h), header)
                said[n].append(f"{url}: 0x{h.hex()}")
        for n in numbers:
            ranked = votes[n].most_common()
            # a block at or below the trusted one is final: two headers that each hash to what their
            # node names are two chains, whatever the quorum (a dissent is never outvoted here)
            if not ranked or ranked[0][1] < needed or len(ranked) > 1:
                raise QuorumError(
                    f"the nodes do not agree on block {n}, where a record of the verdict sits: "
                    + "; ".join(said[n]) + f" ({needed} of {len(self.urls)} required)"
                )  # fmt: skip
            h = ranked[0][0]
            self._headers[n] = (headers[(n, h)], h)

    def _walk(self, numbers: list[int]) -> None:
        """Headers before the checkpoint, each hashing to its successor's parentHash."""
        top = self.trusted.number
        linked = [n for n in numbers if top - MAX_WALK <= n < top]
        for n in numbers:
            if n not in linked:
                self._headers[n] = (
                    f"more than {MAX_WALK} blocks before checkpoint {self.trusted.checkpoint}, not walked"
                    if n < top else f"after checkpoint {self.trusted.checkpoint}"
                )  # fmt: skip
        if not linked:
            return
        low = min(linked)
        # from the lowest header already linked (the checkpoint's, or one a previous walk reached)
        start = min(m for m, e in self._headers.items() if isinstance(e, tuple) and low < m <= top)
        entry = self._headers[start]
        assert isinstance(entry, tuple)
        try:
            answers = self._rpc(self.node).batch(
                [("eth_getBlockByNumber", [hex(n), False]) for n in range(low, start)]
            )
        except ChainError as exc:
            for n in linked:
                self._headers[n] = f"{self.node} did not send the headers back to the checkpoint ({exc})"
            return
        expected = entry[0].parent_hash
        for n, block in zip(range(start - 1, low - 1, -1), reversed(answers), strict=True):
            if not isinstance(block, dict):
                raise MalformedProof(f"{self.node}: has no block {n} (walking back to the checkpoint)")
            try:
                header = self.family.accept(header_from_block(block), expected)
            except ProofError as exc:
                raise type(exc)(f"{self.node}: {exc} (walking back from checkpoint by parentHash)") from None
            self._headers[n] = (header, expected)
            expected = header.parent_hash

    def _receipts(self, numbers: list[int]) -> dict[int, list[TxReceipt] | str]:
        """Each block's receipts from the node that served the trusted block: one batch of
        eth_getBlockReceipts, else the receipts of each block's transactions."""
        if not numbers:
            return {}
        out: dict[int, list[TxReceipt] | str] = {}
        try:
            answers = self._rpc(self.node).batch([("eth_getBlockReceipts", [hex(n)]) for n in numbers])
            for n, answer in zip(numbers, answers, strict=True):
                out[n] = (
                    [receipt_from_rpc(r) for r in answer]
                    if isinstance(answer, list)
                    else f"{self.node} has no receipts of block {n}"
                )
            return out
        except MalformedProof:
            raise
        except NodeRefused:
            pass  # no eth_getBlockReceipts (or one block refused): block by block below
        except (ChainError, AttributeError, TypeError) as exc:
            return {n: f"{self.node} sent no receipts of block {n} ({exc})" for n in numbers}
        for n in numbers:
            try:
                out[n] = block_receipts(self.node, n)
            except MalformedProof:
                raise
            except ChainError as exc:
                out[n] = f"{self.node} serves no receipts of block {n} ({exc})"
        return out

    # ------------------------------------------------------------------ completeness: every node's logs

    def prove_neutrality(self, records: Sequence[NeutralityRecord]) -> tuple[list[str], list[str]]:
        """(every way these NeutralityClaimed records contradict their blocks' proven receipts — the
        statement, figures, beneficiary, year and tonnes each log holds; why a block could not be
        proven): for a caller that decides with claims no report rests on (the neutrality history
        picks its first year and its rows by them). Records after the trusted block are the
        caller's to name."""
        return self._judge_apart([(r.block_number, partial(judge_neutrality, r)) for r in records])

    def prove_attested(self, records: Sequence[OnchainAttestation]) -> tuple[list[str], list[str]]:
        """(every way these attestations' Attested logs, as the node gave them, contradict their
        blocks' proven receipts — their position in the block, reference, URI, attester, kind and
        year; why a block could not be proven), for a caller that orders records no report reads
        (the neutrality history's "latest" of two in one block). Records after the trusted block
        are the caller's to name."""
        return self._judge_apart([(a.block_number, partial(judge_attested, a)) for a in records])

    def _judge_apart(
        self, jobs: Sequence[tuple[int, Callable[[ProvenBlock, str], LogResult]]]
    ) -> tuple[list[str], list[str]]:
        """Judge each (block number, judge of one record) up to the trusted block against its proven
        block, as `check` does for a report's: (the lies found, why a block could not be proven)."""
        limit = self.trusted.number
        self._prepare(sorted({n for n, _ in jobs if n <= limit}))
        judged = _Judged()
        for number, judge in jobs:
            if number <= limit and (block := self._block(judged, number)):
                judged.results.append(judge(block, self.registry))
        lies = [*judged.lies, *(x.problem for x in judged.results if x.problem)]
        return list(dict.fromkeys(lies)), list(dict.fromkeys(judged.unproven))

    def logs_complete(
        self, what: str, topics: list[Any], key: int, held: Iterable[str], upto: int
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        """(the registry's logs with these `topics` that some node holds at a block up to `upto` whose
        topic `key` — an id — is not among `held`, the ids the caller decides with; those some node
        holds after `upto`, which the caller's reading did not reach; the nodes that answered; those
        that did not): "these are all of them" as complete as the logs of every node asked. Each node
        is asked up to its own head, so a log left out after the trusted block (in the confirmation
        window) is found too, by a node that has its block; `upto` is the last block the caller's own
        reading covered. A node's logs cannot be forged past the receipts, but they can leave one
        out, or stop early (a head reported low)."""
        from attest.chain.events import as_int

        have = {h.lower() for h in held}
        left_out: list[str] = []
        beyond: list[str] = []
        answered: list[str] = []
        silent: list[str] = []
        for url in self.urls:
            logs = self._registry_logs(url, topics, to_block="latest")
            if isinstance(logs, str):
                silent.append(f"{url} did not answer eth_getLogs ({logs})")
                continue
            answered.append(url)
            for log in logs:
                try:
                    block, uid = as_int(log["blockNumber"]), "0x" + _topic_id(log, key)
                except (KeyError, TypeError, ValueError, IndexError) as exc:
                    raise ChainError(f"{url} answered eth_getLogs with a malformed log: {exc}") from None
                if uid in have:
                    continue
                if block <= upto:
                    left_out.append(f"{what} {uid} (block {block}), which node {url} returned")
                else:
                    beyond.append(
                        f"{what} {uid} at block {block}, which node {url} holds, after block {upto}"
                    )
        return list(dict.fromkeys(left_out)), list(dict.fromkeys(beyond)), answered, silent

    def _complete(self, figures_uid: str, verdict: list[str]) -> tuple[list[str], list[str], list[str]]:
        """(statements some node left out, the nodes whose logs were asked, those that did not
        answer) for the statements covering `figures_uid`, up to the trusted block."""
        key = figures_uid.lower()
        if key not in self._coverage:
            self._coverage[key] = self._ask_coverage(key, verdict)
        return self._coverage[key]

    def _ask_coverage(self, key: str, verdict: list[str]) -> tuple[list[str], list[str], list[str]]:
        by_node: dict[str, list[str]] = {}
        seen: dict[str, _Covering] = {}
        silent: list[str] = []
        for url in self.urls:
            found = self._covered_logs(url, key)
            if isinstance(found, str):
                silent.append(f"{url} did not answer eth_getLogs ({found})")
                continue
            mine = [c for c in found if c.figures_uid == key]
            by_node[url] = [c.statement_uid for c in mine]
            for c in mine:
                seen.setdefault(c.statement_uid, c)
        problems = omitted(key, by_node, verdict)
        if not problems:
            return [], list(by_node), silent
        # a node that returns a Covered log no block holds has invented it, not the others left it out
        doubted = [
            c for s, c in seen.items() if any(s not in v for v in by_node.values()) or s not in verdict
        ]
        self._prepare(sorted({c.block for c in doubted if c.block <= self.trusted.number}))
        invented = []
        for c in doubted:
            block = self._blocks.get(c.block)
            stub = _stub(c.statement_uid, c.verifier_org_id)
            if isinstance(block, ProvenBlock) and covered_log(key, stub, self.registry) not in block.logs:
                invented.append(
                    f"a node returned a Covered log of statement {c.statement_uid} in block {c.block}, "
                    "whose receipts (proven) do not hold it"
                )
                problems = [p for p in problems if c.statement_uid not in p]
        return invented + problems, list(by_node), silent

    def _claims_complete(
        self, keys: list[str], read: list[ClaimRecord], upto: int
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        """(claims on these issuances some node holds that the verdict's reads left out, the nodes
        asked, those that did not answer), each node asked up to its own head. A claim that overlaps
        another only by unit range is refused by no contract: a node that leaves one out hides a
        double claim, so every node is asked, as for coverage — and past the trusted block too, for a
        double claim made in the confirmation window is one all the same. Compared up to `upto`, the
        head the verdict's reads reached; a claim some node holds after it is returned apart (the
        second list), for the logs line to name as the node's word."""
        have = {(c.block_number, c.log_index) for c in read}
        wanted = set(keys)
        left_out: list[str] = []
        beyond: list[str] = []
        answered: list[str] = []
        silent: list[str] = []
        for url in self.urls:
            found = self._claim_logs(url, keys)
            if isinstance(found, str):
                silent.append(f"{url} did not answer eth_getLogs ({found})")
                continue
            answered.append(url)
            for c in found:
                if c.issuance_key.lower() in wanted and (c.block_number, c.log_index) not in have:
                    held = (
                        f"{url} holds a claim by statement {c.statement_uid} on issuance {c.issuance_key} "
                        f"units {c.first}..{c.last} (block {c.block_number})"
                    )
                    if c.block_number <= upto:
                        left_out.append(f"{held} that the logs read for this verdict left out")
                    else:
                        beyond.append(f"{held}, after block {upto} the verdict's reads reached")
        return left_out, list(dict.fromkeys(beyond)), answered, silent

    def _elsewhere_complete(
        self, asked: set[UnitsElsewhere], read: list[ClaimRecord], upto: int
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        """(claims some node holds on the Verra unit numbers of `asked` under another issuance key that
        the verdict's read of every claim left out up to `upto`, those after it, the nodes asked, those
        that did not answer), each node asked up to its head. Such a claim turns the `credits` line
        into a warning (the same units under an old spelling): a node that leaves it out hides it, so
        every node is asked for every claim (once per node per command, as `_claim_logs` does past
        FEW_FIGURES)."""
        have = {(c.block_number, c.log_index) for c in read}
        left_out: list[str] = []
        beyond: list[str] = []
        answered: list[str] = []
        silent: list[str] = []
        for url in self.urls:
            cache = (url, ("*",))
            if cache not in self._claims_asked:
                self._claims_asked[cache] = self._ask_claims(url, None)
            found = self._claims_asked[cache]
            if isinstance(found, str):
                silent.append(f"{url} did not answer eth_getLogs ({found})")
                continue
            answered.append(url)
            for c in found:
                if (c.block_number, c.log_index) not in have and any(q.concerns(c) for q in asked):
                    held = (
                        f"{url} holds a claim by statement {c.statement_uid} on Verra unit numbers "
                        f"{c.first}..{c.last} under another issuance key {c.issuance_key} (block "
                        f"{c.block_number})"
                    )
                    if c.block_number <= upto:
                        left_out.append(f"{held} that the claims read for this verdict left out")
                    else:
                        beyond.append(f"{held}, after block {upto} the verdict's reads reached")
        return left_out, list(dict.fromkeys(beyond)), answered, silent

    def _claim_logs(self, url: str, keys: list[str]) -> list[ClaimRecord] | str:
        """The registry's CreditClaimed logs at `url` on these issuances, up to the trusted block:
        asked by issuance for the first FEW_FIGURES sets of issuances; past that (verify-many), every
        claim is asked once per node and filtered here, as for coverage."""
        self._claim_sets.add(tuple(keys))
        every = len(self._claim_sets) > FEW_FIGURES or len(keys) > CLAIM_KEYS_PER_QUERY
        cache = (url, ("*",) if every else tuple(keys))
        if cache not in self._claims_asked:
            self._claims_asked[cache] = self._ask_claims(url, None if every else keys)
        found = self._claims_asked[cache]
        if isinstance(found, str):
            return found
        wanted = set(keys)
        return [c for c in found if c.issuance_key.lower() in wanted]

    def _ask_claims(self, url: str, keys: list[str] | None) -> list[ClaimRecord] | str:
        """The CreditClaimed logs (on `keys`, or all) at `url` up to its head."""
        from attest.chain import events

        topic = "0x" + events.topics().credit_claimed.hex()
        logs = self._registry_logs(url, [topic] if keys is None else [topic, keys], to_block="latest")
        return logs if isinstance(logs, str) else [events.credit_claimed(log) for log in logs]

    def _covered_logs(self, url: str, key: str) -> list[_Covering] | str:
        """The registry's Covered logs at `url` up to the trusted block: those of `key`'s figures, or,
        once more than FEW_FIGURES have been asked (verify-many), every one, asked once per node."""
        from attest.chain import events

        self._figures_asked.add(key)
        every = len(self._figures_asked) > FEW_FIGURES
        if every and url in self._every_covered:
            return self._every_covered[url]
        logs = self._registry_logs(url, ["0x" + events.topics().covered.hex(), *([] if every else [key])])
        found: list[_Covering] | str = logs if isinstance(logs, str) else [_covering(log) for log in logs]
        if every:
            self._every_covered[url] = found
        return found

    def _registry_logs(self, url: str, topics: list[Any], *, to_block: str | None = None) -> list[Any] | str:
        """The registry's logs with these topics at `url`, from its deploy block to the trusted block
        (or `to_block`: "latest", the node's head), each checked against the query (a node
        contradicting its own filter, or a malformed log, is a chain error: exit 3); what the node
        said instead when it does not answer (said on the line)."""
        from attest.chain import events

        query = {
            "address": self.registry,
            "fromBlock": hex(self.from_block),
            "toBlock": to_block if to_block is not None else hex(self.trusted.number),
            "topics": topics,
        }
        try:
            logs = self._rpc(url).call("eth_getLogs", [query])
        except ChainUnreachable as exc:
            return str(exc)
        except ChainError:  # e.g. "block range too large": ask again in ranges the node accepts
            ranged = self._ranged_logs(url, topics, to_block)
            if isinstance(ranged, str):
                return ranged
            logs = ranged
        return events.matching(logs, self.registry, topics, where=url)

    def _ranged_logs(self, url: str, topics: list[Any], to_block: str | None) -> list[Any] | str:
        """The same query asked range by range, halving a range the node refuses
        (`attest.chain.events.logs_in_ranges`, as the registry scan does); what the node said when
        it refuses even one block."""
        from attest.chain import events

        rpc = self._rpc(url)
        try:
            end = self.trusted.number if to_block is None else int(rpc.call("eth_blockNumber", []), 16)
            half = max(1, (end - self.from_block + 1) // 2)  # the whole span was refused
            ranges = events.logs_in_ranges(
                rpc.call, self.registry, self.from_block, end, topics, size=half, where=url
            )
        except (ChainError, TypeError, ValueError) as exc:
            return str(exc)
        return [log for _, found in ranges for log in found]


@dataclass(frozen=True)
class _Covering:
    """One Covered log as a node returned it."""

    figures_uid: str
    statement_uid: str
    verifier_org_id: int
    block: int


@dataclass
class _Judged:
    """One report's log facts: judged against proven receipts, lies of the node, and unproven."""

    results: list[LogResult] = field(default_factory=list)
    lies: list[str] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)


def _stub(uid: str, org_id: int) -> OnchainAttestation:
    """A statement record with only what its Covered log names (uid, organisation)."""
    return OnchainAttestation(
        uid=uid, digest="00" * 32, org_id=org_id, attester="0x" + "00" * 20, kind=Kind.STATEMENT, year=0,
        ref=ZERO_REF, uri="", block_number=0, log_index=0, block_hash=ZERO_REF, transaction_hash=ZERO_REF,
        revoked=False, revocation=None, superseded_by=None,
    )  # fmt: skip


def _covering(log: Any) -> _Covering:
    """A Covered log as the completeness question compares it."""
    from attest.chain import events

    c = events.covered(log)
    return _Covering(
        c.figures_uid.lower(), c.statement_uid.lower(), c.verifier_org_id, events.as_int(log["blockNumber"])
    )


def _revocations(a: OnchainAttestation) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if a.revocation is not None:
        out.append((a.uid, a.revocation))
    out.extend((w.uid, w.revocation) for w in a.withdrawn_restatements if w.revocation is not None)
    return out


def _blocks_of(
    rpc: HttpRpc, numbers: list[int], chain_family: ChainFamily
) -> dict[int, tuple[BlockHeader, bytes] | str]:
    """What the node vouches for at each of `numbers`: a header and the hash it names (when the
    header hashes to it by the chain family's rule), else what it said instead. One batch request."""
    try:
        answers = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    except ChainError as exc:
        return dict.fromkeys(numbers, f"failed eth_getBlockByNumber ({exc})")
    out: dict[int, tuple[BlockHeader, bytes] | str] = {}
    for n, block in zip(numbers, answers, strict=True):
        if not isinstance(block, dict):
            out[n] = f"has no block {n}"
            continue
        try:
            header, claimed = header_from_block(block), claimed_hash(block)
        except MalformedProof as exc:
            out[n] = f"sent a malformed block ({exc})"
            continue
        if header.number != n:
            out[n] = f"sent block {header.number} when asked for {n}"
            continue
        try:
            out[n] = (chain_family.accept(header, claimed), claimed)
        except ProofError:
            computed = chain_family.block_hash(header) if chain_family.block_hash else header_hash(header)
            out[n] = f"names hash 0x{claimed.hex()}, but its header fields hash to 0x{computed.hex()}"
    return out


def _topic_id(log: Mapping[str, Any], position: int) -> str:
    """Topic `position` of `log`, as 64 lower-case hex digits (an id the registry indexes)."""
    from attest.chain.events import as_bytes

    word = as_bytes(log["topics"][position])
    if len(word) != 32:
        raise ValueError(f"topic {position} is {len(word)} bytes, not 32")
    return word.hex()
