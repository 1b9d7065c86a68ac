"""The one way anything is anchored in the registry: requests window by window, pipelined.

The registry's write path, apart from `attest.chain.deployment.Deployment` (which deploys and reads)
and `attest.chain.committee.Committee` (the committee's governance writes): whose organisation each
request is for, whether it already holds the digest, then the `WindowSender` (dry run per shape,
sign, record, batch send, batch receipts). `attest.app.anchor` wraps it with the publishing journal;
every publisher goes through there. `revoke` withdraws one attestation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attest.chain import events
from attest.chain.contract import selector
from attest.chain.sender import DEFAULT_TIMEOUT, Call, InFlight, Outcome, Recorder, WindowSender
from attest.core.contracts import REGISTRY, Kind
from attest.core.credits import ClaimedCredits
from attest.core.errors import AttestError, ChainError, TransactionReverted
from attest.core.records import Published

if TYPE_CHECKING:
    from attest.chain.connection import SentTransaction
    from attest.chain.deployment import Deployment
    from attest.chain.signer import Signer

WINDOW = 200  # requests per window: intents committed in one journal transaction, then sent together


def effects_without_transactions(lost: Sequence[tuple[str, str]]) -> ChainError:
    """The node holds these attestations (uid, document label) in the registry's storage, but no
    transaction, receipt or `Attested` event stands behind them: it lost blocks and kept their
    effects (anvil restarted from a torn state file does). Neither re-anchoring (the registry refuses
    the digest) nor verification (it reads the events) can work on such a node."""
    uid, label = lost[0]
    example = f"{uid} ({label})" if label else uid
    return ChainError(
        f"the node's registry holds {len(lost)} attestation(s) with no transaction, receipt or "
        f"Attested event behind them (e.g. {example}): the node lost transactions but kept their "
        "effects. Nothing was changed in the publishing journal. Restart the node from a consistent "
        "state (`attest node start` sets a torn state file aside and loads the last consistent "
        "copy), then run the same command again; a node that does this otherwise is not trustworthy"
    )


def anchor(
    deployment: Deployment,
    account: Signer,
    requests: Sequence[AnchorRequest],
    *,
    recorder: Recorder | None = None,
    window: int = WINDOW,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[list[AnchorResult]]:
    """Anchor each request once in `deployment`'s registry, sent by `account`, window by window;
    yields each window's results (`_Anchorer.anchor`)."""
    return _Anchorer(deployment).anchor(account, requests, recorder=recorder, window=window, timeout=timeout)


class _Anchorer:
    """The anchoring of one run, over one deployment."""

    def __init__(self, deployment: Deployment) -> None:
        self.dep = deployment

    def anchor(
        self,
        account: Signer,
        requests: Sequence[AnchorRequest],
        *,
        recorder: Recorder | None = None,
        window: int = WINDOW,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Iterator[list[AnchorResult]]:
        """Anchor each request once, sent by `account`, window by window; yields each window's results.

        The one way anything is anchored. Per window: whose organisation each request is for, and
        whether it already holds that digest (one batch of storage reads: the registry refuses a
        second attestation of a digest by one organisation, so an existing one is the result); the
        rest go through the `WindowSender` (dry run per shape, sign, `recorder`, batch send, batch
        receipts), pipelined: while the node mines one window the next is checked, signed and
        recorded; it is sent once the first is mined, and the first settled while the next is sent
        and mined — unless the next holds a digest of the first or a reference (which may point at
        it), or the first was refused: then the first is settled before the next is planned. A
        request that reverts is reported in its result and the others still go out.
        """
        with WindowSender(self.dep.chain, account, recorder=recorder, timeout=timeout) as pipe:
            yield from self._anchor(pipe, account, requests, window)

    def _anchor(
        self, pipe: WindowSender, account: Signer, requests: Sequence[AnchorRequest], window: int
    ) -> Iterator[list[AnchorResult]]:
        orgs: dict[str, int] = {}
        flying: _Window | None = None  # sent, its receipts not collected yet
        for chunk in windows(requests, window, default_attester=account.address):
            keys = {((r.attester or account.address).lower(), r.digest) for r in chunk}
            if flying is not None and (
                pipe.answered(flying.flight).refused is not None
                or keys & flying.keys
                or any(r.ref or r.tx is not None for r in chunk)  # may refer to what is in flight
            ):
                yield self._landed(pipe, flying)
                flying = None
            for address in {r.attester or account.address for r in chunk} - orgs.keys():
                orgs[address] = self.dep.account_org(address)
            planned = []
            for i, r in enumerate(chunk):
                org_id = orgs[r.attester or account.address]
                planned.append(Planned(i, r, org_id, self.dep.uid_of(org_id, r.digest) if org_id else None))
            stored = held(self.dep, [p.uid for p in planned])
            results: list[AnchorResult | None] = [None] * len(chunk)
            calls: list[Call] = []
            for p, is_held in zip(planned, stored, strict=True):
                if is_held:
                    existing = self.dep.attestation_of(p.org_id, p.request.digest)
                    if existing is None:  # the node's storage and its logs disagree: never an assert
                        raise effects_without_transactions([(p.uid or "", p.request.label)])
                    results[p.index] = AnchorResult(p.request, Published(existing, None, True), "already")
                else:
                    calls.append(self._call(p))
            prepared = pipe.prepare(calls)  # signed and recorded while the node mines the window before
            if flying is not None:
                pipe.mined(flying.flight)  # this account's transactions are never sent while it mines
            pipe.send(prepared)
            if flying is not None:
                yield self._landed(pipe, flying)  # settled while the node takes the next window
            flying = _Window(results, prepared, keys)
        if flying is not None:
            yield self._landed(pipe, flying)

    def _landed(self, pipe: WindowSender, w: _Window) -> list[AnchorResult]:
        for outcome in pipe.outcomes(w.flight):
            p = outcome.call.key
            w.results[p.index] = self._result(p, outcome)
        return [r for r in w.results if r is not None]

    def _call(self, p: Planned) -> Call:
        r = p.request
        if r.tx is not None:  # a prepared call (a relayed attestBySig): dry-run on its own
            return Call(str(r.tx["to"]), _as_bytes(r.tx["data"]), None, p)
        ref = bytes.fromhex(r.ref.removeprefix("0x")) if r.ref else bytes(32)
        if r.credits is not None:  # a neutrality statement: its credit blocks go with it
            blocks = [(bytes.fromhex(k.removeprefix("0x")), a, b) for k, a, b in r.credits.blocks]
            data = selector(REGISTRY, "attestStatementWithCredits") + _abi_encode(
                ["bytes32", "uint16", "bytes32", "string", "uint256", "(bytes32,uint256,uint256)[]"],
                [bytes.fromhex(r.digest), r.year, ref, r.uri, r.credits.residual_tonnes, blocks],
            )
            return Call(self.dep.registry.address, data, None, p)
        data = selector(REGISTRY, "attest") + _abi_encode(
            ["bytes32", "uint8", "uint16", "bytes32", "string"],
            [bytes.fromhex(r.digest), int(r.kind), r.year, ref, r.uri],
        )
        # a reference is checked per document (statements, restatements): those are dry-run alone
        shape = None if r.ref else ("attest", int(r.kind), len(r.uri.encode()))
        return Call(self.dep.registry.address, data, shape, p)

    def _result(self, p: Planned, outcome: Outcome) -> AnchorResult:
        r = p.request
        if outcome.error is not None:
            error = outcome.error
            if outcome.receipt is not None and r.label:  # reverted on-chain: name the document
                assert isinstance(error, TransactionReverted)
                error = TransactionReverted(f"{r.label}: {error.detail}", error_name=error.error_name)
            return AnchorResult(r, None, "failed", error)
        assert outcome.receipt is not None
        found = [
            a
            for a in events.attested_by(outcome.receipt.logs, self.dep.registry.address)
            if p.uid in (None, a.uid)
        ]
        if len(found) != 1:
            raise ChainError(f"transaction {outcome.receipt.tx_hash} was mined without its Attested event")
        return AnchorResult(r, Published(found[0], outcome.receipt.gas_used, False), "sent")


def held(deployment: Deployment, uids: Sequence[str | None]) -> list[bool]:
    """Whether the registry's storage holds each attestation uid (None: the signer has no
    organisation, so no), in one batch of reads (one `getAttestation` each)."""
    asked = [u for u in uids if u is not None]
    if not asked:
        return [False] * len(uids)
    data = [deployment.registry.call_data("getAttestation", _as_bytes(u)) for u in asked]
    answers = deployment.chain.batch(
        [("eth_call", [{"to": deployment.registry.address, "data": d}, "latest"]) for d in data]
    )
    exists = iter(any(_as_bytes(deployment.chain.result(a, "eth_call"))[:32]) for a in answers)
    return [False if u is None else next(exists) for u in uids]


def revoke(dep: Deployment, account: Signer, uid: str, reason: str) -> SentTransaction:
    """Revoke attestation `uid` (0x-hex or bare) of `account`'s organisation, with `reason` for the
    public record: one `revoke` transaction to `dep`'s registry."""
    return dep.transact(account, dep.registry.functions.revoke(bytes.fromhex(uid.removeprefix("0x")), reason))


@dataclass(frozen=True)
class AnchorRequest:
    """One digest to anchor: the `attest` arguments (with `credits`: `attestStatementWithCredits`'s),
    or a prepared call (a relayed `attestBySig`).

    `attester` is the account whose organisation the attestation is for (default: the sender);
    `label` says what it is (the document's path) for the journal and for error messages.
    """

    digest: str
    kind: Kind
    year: int
    ref: str | None = None
    uri: str = ""
    label: str = ""
    attester: str | None = None
    tx: Mapping[str, Any] | None = None
    credits: ClaimedCredits | None = None  # a neutrality statement's credit blocks, recorded with it


@dataclass
class _Window:
    results: list[AnchorResult | None]
    flight: InFlight
    keys: set[tuple[str, str]]


@dataclass(frozen=True)
class Planned:
    """A request in its window, with the organisation it is for (and so the uid it will have, None
    when the account belongs to none): what a `Recorder` is handed."""

    index: int
    request: AnchorRequest
    org_id: int
    uid: str | None


@dataclass(frozen=True)
class AnchorResult:
    """What became of one request: `outcome` is sent | already | failed (then `error` says why)."""

    request: AnchorRequest
    published: Published | None
    outcome: str
    error: AttestError | None = None

    def unwrap(self) -> Published:
        if self.error is not None:
            raise self.error
        assert self.published is not None
        return self.published


def windows(
    requests: Sequence[AnchorRequest], size: int, *, default_attester: str
) -> Iterator[list[AnchorRequest]]:
    """`requests` cut into windows of at most `size`; a digest met again for the same organisation's
    account starts a new window, so it is checked after its twin is anchored (and found held)."""
    chunk: list[AnchorRequest] = []
    seen: set[tuple[str, str]] = set()
    for r in requests:
        key = ((r.attester or default_attester).lower(), r.digest)
        if len(chunk) >= size or key in seen:
            yield chunk
            chunk, seen = [], set()
        chunk.append(r)
        seen.add(key)
    if chunk:
        yield chunk


def _abi_encode(types: list[str], values: list[Any]) -> bytes:
    from eth_abi import encode

    return encode(types, values)


def _as_bytes(data: Any) -> bytes:
    return bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
