"""The one anchor path: every publishing command and script anchors its digests through `anchor`.

Single documents (`attest publish …`, `scripts/publish_year.py`), many documents
(`scripts/publish_many.py`), batch and disclosure roots and relayed statements all come here. With a
journal (`attest.app.journal`, whose docstring states the rules) a run first settles what an earlier
run left unfinished (`recover`), then anchors window by window through `attest.chain.anchoring.anchor`: each
window's intents and signed bytes are committed in one journal transaction before they leave, sent
in JSON-RPC batch requests, their receipts collected in batch requests and their outcomes recorded.
A document is a window of one. What the organisation already anchored is reported as `already`, or
as `resumed` / `resent` when it is this journal's own transaction — if it is what was asked for
(`as_asked`): one that was revoked, or records another kind, year or reference, fails with
`AttestationRevoked` / `AnchoredDifferently` instead, since no re-run can anchor it as asked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from attest.app import stages
from attest.app.journal import RECHECK_BLOCKS, Intent, IntentFacts, Journal, Scope
from attest.chain import anchoring, sender
from attest.chain.anchoring import WINDOW, AnchorRequest, AnchorResult, Planned, effects_without_transactions
from attest.chain.deployment import Deployment
from attest.chain.transport import lost_node_is_unreachable
from attest.core.contracts import Kind
from attest.core.errors import (
    AnchoredDifferently,
    AttestationRevoked,
    AttestError,
    NotAnchoredAsAsked,
    TransactionReverted,
)
from attest.core.records import ZERO_REF, OnchainAttestation
from attest.core.verification import attestation_status

if TYPE_CHECKING:
    from attest.chain.connection import Chain
    from attest.chain.signer import Signer


def anchor(
    deployment: Deployment,
    account: Signer,
    requests: Sequence[AnchorRequest],
    *,
    journal: Journal | None = None,
    window: int = WINDOW,
) -> Iterator[list[AnchorResult]]:
    """Anchor every request once, sent by `account`; yields the results window by window, in order.

    A result's `outcome` is sent | already | resumed | resent, or failed with its `error`: a revert,
    decoded, or an existing attestation other than the one asked for (`as_asked`) — the other
    requests still go out — or a chain error that stops the run, raised once its window has been
    handed over (so what did get anchored is written down first).
    """
    with lost_node_is_unreachable(deployment.chain.name):
        if journal is None:
            for results in anchoring.anchor(deployment, account, requests, window=window):
                results = as_asked(results)
                confirmed(deployment.chain, results)
                yield results
                _stop_at(results)
            return
        recover(deployment, account, journal)
        scope = scope_of(deployment, account)
        recorder = JournalRecorder(journal, scope)
        anchored = anchoring.anchor(
            deployment, account, requests, recorder=recorder, window=window, timeout=journal.timeout
        )
        for results in anchored:
            results = _classified(journal, scope, as_asked(results))  # recorded, then waited for
            confirmed(deployment.chain, results, timeout=journal.timeout)
            yield results
            _stop_at(results)


def anchor_one(
    deployment: Deployment, account: Signer, request: AnchorRequest, *, journal: Journal | None = None
) -> AnchorResult:
    """`anchor` of one request (a window of one); its failure raised."""
    ((result,),) = anchor(deployment, account, [request], journal=journal)
    result.unwrap()
    return result


def confirmed(chain: Chain, window: list[AnchorResult], *, timeout: float = sender.DEFAULT_TIMEOUT) -> None:
    """Wait until every attestation of `window` — sent now or found anchored by an earlier run —
    has the confirmations the deployment requires (`Chain.confirmations`), at most `timeout`
    seconds: a window is handed over (and its receipts written) only once it is final by the
    deployment's own rule. `NotConfirmed` otherwise; the journal has what was mined."""
    blocks = [r.published.attestation.block_number for r in window if r.published is not None]
    if blocks:
        chain.wait_confirmations(max(blocks), timeout=timeout)


def _stop_at(window: list[AnchorResult]) -> None:
    """Raise the first error in `window` that is about no one document: the node refused or did
    not mine (a revert or an existing attestation other than asked is that document's result)."""
    for result in window:
        if result.error is not None and not isinstance(
            result.error, TransactionReverted | NotAnchoredAsAsked
        ):
            raise result.error


def as_asked(window: list[AnchorResult]) -> list[AnchorResult]:
    """`window` with each attestation found (not sent) checked against its request: a re-run finding
    the same live attestation is done, but one that was revoked (the document is NOT anchored now)
    or that records another kind, year or reference must not be reported as done."""
    out = []
    for result in window:
        problem = None
        if result.published is not None and result.published.already_anchored:
            problem = not_as_asked(result.request, result.published.attestation)
        out.append(
            result if problem is None else replace(result, published=None, outcome="failed", error=problem)
        )
    return out


def not_as_asked(request: AnchorRequest, existing: OnchainAttestation) -> NotAnchoredAsAsked | None:
    """Why the organisation's existing attestation of `request.digest` is not what `request` asks
    for, or None when it is (and is not revoked)."""
    where = {"path": request.label} if request.label else {}
    if existing.revoked:
        return AttestationRevoked(
            f"this organisation's attestation of it, {existing.uid}, was {attestation_status(existing)}: "
            "it is NOT anchored, and the registry will not anchor the same document for this "
            "organisation again",
            **where,
        )
    asked_ref = (request.ref or ZERO_REF).lower()
    differences = []
    if existing.kind is not request.kind:
        differences.append(f"as {existing.kind.label}, not {request.kind.label}")
    if existing.year != request.year:
        differences.append(f"for {existing.year}, not {request.year}")
    if existing.ref.lower() != asked_ref:
        differences.append(
            f"{_reference(existing.kind, existing.ref)}, not {_reference(request.kind, asked_ref)}"
        )
    if not differences:
        return None
    return AnchoredDifferently(
        f"already anchored by this organisation ({existing.uid}) {'; '.join(differences)}: the registry "
        "keeps one attestation of a document per organisation, so it cannot be anchored as asked",
        **where,
    )


def _reference(kind: Kind, ref: str) -> str:
    if kind is Kind.STATEMENT:
        return f"covering figures {ref}" if ref != ZERO_REF else "covering no figures"
    return f"restating {ref}" if ref != ZERO_REF else "restating nothing"


def scope_of(deployment: Deployment, account: Signer) -> Scope:
    return (deployment.manifest.chain_id, deployment.manifest.registry.address.lower(), account.address)


def facts(request: AnchorRequest, org_id: int) -> IntentFacts:
    return IntentFacts(
        request.digest, request.label, request.kind.label, request.year, request.ref, request.uri, org_id
    )


class JournalRecorder:
    """Writes each step of a window into the journal (`attest.chain.sender.Recorder`)."""

    def __init__(self, journal: Journal, scope: Scope) -> None:
        self.journal = journal
        self.scope = scope
        self.intents: dict[str, int] = {}  # transaction hash -> intent id

    def signed(self, txs: Sequence[sender.Signed]) -> None:
        entries = []
        for tx in txs:
            planned = tx.key
            assert isinstance(planned, Planned)
            entries.append((facts(planned.request, planned.org_id), tx.nonce, tx.raw.hex(), tx.tx_hash))
        ids = self.journal.signed(self.scope, entries)  # committed: the window may leave now
        self.intents.update((tx.tx_hash, i) for tx, i in zip(txs, ids, strict=True))
        stages.reached("signed")

    def sent(self, txs: Sequence[sender.Signed]) -> None:
        for tx in txs:  # left uncommitted: 'signed' and 'sent' recover alike
            self.journal.update(self.intents[tx.tx_hash], "sent", event="sent", commit=False)
        stages.reached("sent")

    def settled(
        self, done: Sequence[tuple[sender.Signed, sender.Receipt, TransactionReverted | None]]
    ) -> None:
        for tx, receipt, reverted in done:
            _record_outcome(self.journal, self.intents[tx.tx_hash], receipt, reverted, found=False)
        self.journal.commit()


def recover(deployment: Deployment, account: Signer, journal: Journal) -> None:
    """Once per signer and run: settle every intent the chain may not have (the journal's rules)."""
    scope = scope_of(deployment, account)
    if scope in journal.recovered:
        return
    chain = deployment.chain
    rows = journal.unsettled(scope, chain.head() - RECHECK_BLOCKS)
    if rows:
        _recover(deployment, account.address, journal, rows)
    journal.recovered.add(scope)


def _recover(deployment: Deployment, address: str, journal: Journal, rows: list[Intent]) -> None:
    chain = deployment.chain
    hashes = [str(r.tx_hash) for r in rows]
    found = sender.receipts(chain, hashes)  # looked up by transaction hash first, all at once
    missing = [r for r, h in zip(rows, hashes, strict=True) if h not in found]
    if missing:  # before the journal is touched: a node that kept effects without transactions
        latest = chain.nonce(address, "latest")
        _check_not_kept_without_transactions(deployment, [r for r in missing if int(r.nonce or 0) < latest])
    _settle(
        chain,
        journal,
        [
            (r.id, found[h])
            for r, h in zip(rows, hashes, strict=True)
            if h in found and (r.status != "anchored" or not found[h].ok)
        ],
        found=True,
    )
    if not missing:
        return
    latest, pending = chain.nonce(address, "latest"), chain.nonce(address, "pending")
    resend: list[Intent] = []
    for r in missing:  # in nonce order: each one re-sent makes the next nonce pending
        nonce = int(r.nonce or 0)
        if nonce < latest or nonce > pending:
            # its nonce went to another transaction, or a gap it cannot fill: it can never be mined
            # as signed; the document is published afresh (the contract refuses doubles)
            journal.update(
                r.id, "dropped", event="dropped", detail=f"nonce {nonce}, account at {latest}", commit=False
            )
        else:
            resend.append(r)
            pending = max(pending, nonce + 1)
    journal.commit()
    # highest nonce first, as a window is sent: the lower ones wait queued until the lowest arrives,
    # so anvil never reads the account's nonce while it mines the same account's earlier ones
    order = sorted(resend, key=lambda r: int(r.nonce or 0), reverse=True)
    sent = sender.send_raw(chain, [bytes.fromhex(str(r.raw_tx).removeprefix("0x")) for r in order])
    by_intent = {r.id: answer for r, answer in zip(order, sent, strict=True)}
    answers = [by_intent[r.id] for r in resend]
    accepted: list[Intent] = []
    failure: AttestError | None = None
    for r, answer in zip(resend, answers, strict=True):
        # refused as a duplicate ("already known", anvil's "already imported", …) is fine when the node
        # holds it — waiting in the pool or mined meanwhile; otherwise a real error
        if isinstance(answer, AttestError) and (
            isinstance(answer, TransactionReverted) or not chain.knows_transaction(str(r.tx_hash))
        ):
            failure = answer
            break
        journal.resent.add(r.id)
        journal.update(r.id, "sent", event="resent", detail=f"same bytes, nonce {r.nonce}", commit=False)
        accepted.append(r)
    journal.commit()
    mined = sender.collect(chain, [str(r.tx_hash) for r in accepted], timeout=journal.timeout)
    _settle(
        chain, journal, [(r.id, mined[str(r.tx_hash)]) for r in accepted if r.tx_hash in mined], found=False
    )
    if failure is not None:
        raise failure
    late = [r for r in accepted if r.tx_hash not in mined]
    if late:
        raise sender.not_mined(str(late[0].tx_hash), journal.timeout)


def _check_not_kept_without_transactions(deployment: Deployment, doomed: list[Intent]) -> None:
    """Before intents whose transactions the node no longer has are written off as dropped: if the
    registry's storage holds their attestations with no `Attested` event behind them, the node lost
    the transactions but kept their effects — a chain error, and the journal is left as it is (so a
    node restored from a consistent state finds every intent still to settle)."""
    if not doomed:
        return
    uids = [deployment.uid_of(r.org_id, r.digest) if r.org_id else None for r in doomed]
    held = [
        (r, str(u))
        for r, u, is_held in zip(doomed, uids, anchoring.held(deployment, uids), strict=True)
        if is_held
    ]
    if not held:
        return
    with_events = {a.uid for a in deployment.attestations([u for _, u in held])}
    lost = [(u, r.path) for r, u in held if u not in with_events]
    if lost:
        raise effects_without_transactions(lost)


def _settle(chain: Chain, journal: Journal, pairs: list[tuple[int, sender.Receipt]], *, found: bool) -> None:
    """Record the outcome of mined transactions (reverts decoded), in one commit. Their
    confirmations are waited for when their documents' window is handed over (`confirmed`)."""
    if not pairs:
        return
    for intent, receipt in pairs:
        reverted = None if receipt.ok else sender.reverted_on_chain(chain, receipt)
        _record_outcome(journal, intent, receipt, reverted, found=found)
    journal.commit()


def _record_outcome(
    journal: Journal,
    intent: int,
    receipt: sender.Receipt,
    reverted: TransactionReverted | None,
    *,
    found: bool,
) -> None:
    block = receipt.block_number
    if reverted is None:
        event = "found mined" if found else "mined"
        journal.update(
            intent,
            "anchored",
            block_number=block,
            error=None,
            event=event,
            detail=f"block {block}",
            commit=False,
        )
    else:
        text = reverted.detail
        journal.update(
            intent, "reverted", block_number=block, error=text, event="reverted", detail=text, commit=False
        )


def _classified(journal: Journal, scope: Scope, window: list[AnchorResult]) -> list[AnchorResult]:
    """The window's results with `already` told apart: this journal's own transaction is `resumed`
    (or `resent`, when recovery re-sent its bytes in this run), anyone else's stays `already`."""
    out = []
    recorded = False
    for result in window:
        if result.outcome != "already" or result.published is None:
            out.append(result)
            continue
        existing = result.published.attestation
        row = journal.row(scope, result.request.digest)
        ours = row is not None and (row.tx_hash or "").lower() == existing.transaction_hash.lower()
        outcome = "already"
        if row is not None and ours:
            outcome = "resent" if row.id in journal.resent else "resumed"
        if row is None or row.status != "anchored" or not ours:
            journal.found(
                scope,
                facts(result.request, existing.org_id),
                existing.transaction_hash,
                existing.block_number,
                outcome,
            )
            recorded = True
        out.append(replace(result, outcome=outcome))
    if recorded:
        journal.commit()
    return out
