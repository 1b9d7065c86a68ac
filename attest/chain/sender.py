"""Send a window of transactions from one account in a few round trips, recording each step first.

`Chain.send` does what one careful transaction needs (dry run, nonce, fees, wait for the receipt):
several round trips each, so a few hundred per second at best. A window of transactions instead:
- is dry-run once per *shape* (calls of one shape — e.g. `attest` of a FILE with the same URI length —
  get the gas limit of the first, plus `Chain`'s margin; a call without a shape is dry-run alone), all
  in one JSON-RPC batch with the pending nonce: a revert there refuses the calls, nothing is signed;
- is numbered from that nonce locally, priced once, signed locally (`WindowSigner`: libsecp256k1
  for a keystore's key, the token for an HSM's);
- is handed to a `Recorder` (the publishing journal) BEFORE anything leaves, then sent in ONE
  JSON-RPC batch request (highest nonce first: `send_raw`), then its receipts are collected in batch
  requests until every one is mined, and each outcome (mined, or reverted with the decoded error) is
  handed to the recorder;
- is pipelined (`WindowSender`): the node mines one window while the next is prepared, and a window
  is sent (from a background thread) while the one before is settled.
A transaction the node refuses ends the window there (every later nonce would wait on it), and no
later window is signed; nothing is retried blindly. The embedded chain takes no batches: there
every request goes one by one, through the same code. The functions below are also what recovery
uses to look up and re-send recorded bytes.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from attest.chain.connection import Chain, gas_with_margin
from attest.core.errors import AttestError, ChainError, TransactionReverted

if TYPE_CHECKING:
    from attest.chain.signer import Signer

RECEIPT_BATCH = 200  # receipt queries per JSON-RPC batch request
POLL_SECONDS = 0.005  # between receipt polls: a local node mines within milliseconds
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Call:
    """One transaction to send. Calls with the same `shape` share one dry run; `key` is the caller's
    and comes back with the outcome (the journal reads what to record from it)."""

    to: str
    data: bytes
    shape: Hashable | None = None
    key: Any = None


@dataclass(frozen=True)
class Signed:
    key: Any
    nonce: int
    raw: bytes
    tx_hash: str


@dataclass(frozen=True)
class Receipt:
    """A mined transaction, as the node reports it; `logs` in the node's (or web3's) form."""

    tx_hash: str
    ok: bool
    block_number: int
    block_hash: str
    gas_used: int
    logs: tuple[Mapping[str, Any], ...]


class Recorder(Protocol):
    """Where each step of a window is written down (the journal). `signed` must be durable when it
    returns: the bytes leave only after it."""

    def signed(self, txs: Sequence[Signed]) -> None: ...

    def sent(self, txs: Sequence[Signed]) -> None: ...

    def settled(self, done: Sequence[tuple[Signed, Receipt, TransactionReverted | None]]) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """What became of one call: mined (`receipt`, with `error` set if it reverted on-chain), refused
    before signing (dry run: `error` is the decoded revert), or not mined (`error` says why)."""

    call: Call
    signed: Signed | None
    receipt: Receipt | None
    error: AttestError | None


def signing_backend() -> str:
    """The secp256k1 backend eth_keys (and so eth_account) signs with: 'CoinCurveECCBackend' if fast."""
    from eth_keys.backends import get_backend

    return type(get_backend()).__name__


def send_window(
    chain: Chain,
    account: Signer,
    calls: Sequence[Call],
    *,
    recorder: Recorder | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Outcome]:
    """Dry-run, sign, record, send and settle `calls` in order; one outcome per call, in order."""
    with WindowSender(chain, account, recorder=recorder, timeout=timeout) as sender:
        flight = sender.prepare(calls)
        sender.send(flight)
        return sender.outcomes(flight)


@dataclass
class InFlight:
    """A window through its steps: prepared (dry-run, signed, recorded), sent (`sending` answers),
    answered (what the node accepted), mined (the receipts found)."""

    calls: Sequence[Call]
    outcomes: dict[int, Outcome]
    signed: list[tuple[int, Signed]]
    sending: Future[list[str | AttestError]] | None = None
    accepted: list[tuple[int, Signed]] = field(default_factory=list)
    refused: AttestError | None = None
    answered: bool = False
    mined: dict[str, Receipt] | None = None


class WindowSender:
    """Windows from one account, pipelined so that the node mines one window while the next is
    prepared, and the next is sent while the one before is settled — but never sent while the node
    is still mining this account's earlier transactions (see `send_raw`):

        prepare(k+1)   dry run, sign, record: while the node mines window k
        mined(k)       its receipts, and the account's nonce caught up on the node
        send(k+1)      from a background thread…
        outcomes(k)    …while window k's outcomes are recorded and its receipts written
    """

    def __init__(
        self,
        chain: Chain,
        account: Signer,
        *,
        recorder: Recorder | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.chain = chain
        self.account = account
        self.recorder = recorder
        self.timeout = timeout
        self.next_nonce = 0  # after the last transaction the node accepted from this sender
        # one sending thread (HTTP only; web3 keeps one session per thread); SQLite stays here
        self._pool = ThreadPoolExecutor(max_workers=1) if chain.batches else None
        self._last: InFlight | None = None

    def __enter__(self) -> WindowSender:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def prepare(self, calls: Sequence[Call]) -> InFlight:
        """Dry-run and sign the window, and record it (durably) before any of it leaves."""
        chain = self.chain
        outcomes: dict[int, Outcome] = {}
        if not calls:
            return InFlight(calls, outcomes, [], answered=True, mined={})
        if self._last is not None:
            self.answered(self._last)  # its nonces are known (and taken) before any new one is signed
        pending, gas = _nonce_and_gas(chain, self.account.address, calls)
        nonce = max(pending, self.next_nonce)  # the window before may not be in the node's count yet
        template: dict[str, Any] = {"chainId": chain.chain_id}
        chain.set_fees(template)
        signer = WindowSigner(self.account, template)
        signed: list[tuple[int, Signed]] = []
        for i, call in enumerate(calls):
            limit = gas[i]
            if isinstance(limit, TransactionReverted):
                outcomes[i] = Outcome(call, None, None, limit)
                continue
            signed.append((i, signer.sign(call, nonce, limit)))
            nonce += 1
        txs = [s for _, s in signed]
        if self.recorder is not None and txs:
            self.recorder.signed(txs)  # durable before anything leaves
        self._last = InFlight(calls, outcomes, signed, answered=not signed)
        return self._last

    def send(self, flight: InFlight) -> None:
        """Hand the window's signed transactions to the node (from the sending thread, over HTTP)."""
        if flight.answered:
            return
        raws = [s.raw for _, s in flight.signed]
        if self._pool is None:
            flight.sending = Future()
            flight.sending.set_result(send_raw(self.chain, raws))
        else:
            flight.sending = self._pool.submit(send_raw, self.chain, raws)

    def answered(self, flight: InFlight) -> InFlight:
        """Wait for the node's answers to the window's sends and record what it accepted: the
        transactions before the first refusal (every later nonce would wait on a refused one)."""
        if flight.answered:
            return flight
        if flight.sending is None:
            self.send(flight)
        assert flight.sending is not None
        answers = flight.sending.result()  # a lost node raises here, in this thread
        for (i, s), answer in zip(flight.signed, answers, strict=True):
            if flight.refused is None and isinstance(answer, AttestError):
                flight.refused = answer
            if flight.refused is None:
                flight.accepted.append((i, s))
                self.next_nonce = s.nonce + 1
            else:
                why = (
                    flight.refused
                    if answer is flight.refused
                    else ChainError(f"not sent: the transaction before it was refused ({flight.refused})")
                )
                flight.outcomes[i] = Outcome(flight.calls[i], s, None, why)
        flight.answered = True
        if self.recorder is not None and flight.accepted:
            self.recorder.sent([s for _, s in flight.accepted])
        return flight

    def mined(self, flight: InFlight) -> dict[str, Receipt]:
        """The receipts of the window's accepted transactions, polled until all are mined (or the
        timeout); then, until the node's nonce for the account has caught up with them."""
        if flight.mined is not None:
            return flight.mined
        self.answered(flight)
        chain, timeout = self.chain, self.timeout
        flight.mined = collect(chain, [s.tx_hash for _, s in flight.accepted], timeout=timeout)
        if flight.mined and len(flight.mined) == len(flight.accepted) and chain.batches:
            deadline = time.monotonic() + timeout
            while chain.nonce(self.account.address) < flight.accepted[-1][1].nonce + 1:
                if time.monotonic() > deadline:
                    break
                time.sleep(POLL_SECONDS)
        return flight.mined

    def outcomes(self, flight: InFlight) -> list[Outcome]:
        """The window's outcomes, in order (revert reasons decoded), recorded; then the mined blocks'
        confirmations waited for (`NotConfirmed` when they do not come in time: what was mined is
        recorded first, so a re-run knows it)."""
        chain, timeout, outcomes = self.chain, self.timeout, flight.outcomes
        mined = self.mined(flight)
        done: list[tuple[Signed, Receipt, TransactionReverted | None]] = []
        for i, s in flight.accepted:
            receipt = mined.get(s.tx_hash)
            if receipt is None:
                outcomes[i] = Outcome(flight.calls[i], s, None, not_mined(s.tx_hash, timeout))
                continue
            reverted = None if receipt.ok else reverted_on_chain(chain, receipt)
            done.append((s, receipt, reverted))
            outcomes[i] = Outcome(flight.calls[i], s, receipt, reverted)
        if self.recorder is not None and done:
            self.recorder.settled(done)
        if mined:
            chain.wait_confirmations(max(r.block_number for r in mined.values()), timeout=timeout)
        return [outcomes[i] for i in range(len(flight.calls))]


class WindowSigner:
    """Signs transactions of one window: `template`'s chain id and fees, then each call's fields.

    eth_account's `sign_transaction` re-validates and re-parses the dictionary of every transaction
    (about 0.4 ms each, as long as everything else a document costs together); the RLP encoding of a
    legacy (EIP-155) or EIP-1559 transaction is fixed by the standards, so it is built here directly
    and only its digest is signed (`attest.chain.signer.digest_signer`: libsecp256k1 for a keystore's
    key, CKM_ECDSA for a key in a token): the same bytes (tests/test_sender.py), several times faster.
    """

    def __init__(self, account: Signer, template: Mapping[str, Any]) -> None:
        from attest.chain.signer import digest_signer

        self._sign = digest_signer(account)
        self.chain_id = int(template["chainId"])
        self.legacy = "gasPrice" in template
        if self.legacy:
            self.fees = [int(template["gasPrice"])]
        else:
            self.fees = [int(template["maxPriorityFeePerGas"]), int(template["maxFeePerGas"])]

    def sign(self, call: Call, nonce: int, gas: int) -> Signed:
        from eth_utils import keccak

        to = bytes.fromhex(call.to.removeprefix("0x"))
        if self.legacy:
            body: list[RlpItem] = [nonce, self.fees[0], gas, to, 0, call.data]
            r, s, y = self._sign(keccak(rlp([*body, self.chain_id, 0, 0])))
            raw = rlp([*body, y + 35 + 2 * self.chain_id, r, s])
        else:
            body = [self.chain_id, nonce, *self.fees, gas, to, 0, call.data, []]
            r, s, y = self._sign(keccak(b"\x02" + rlp(body)))
            raw = b"\x02" + rlp([*body, y, r, s])
        return Signed(call.key, nonce, raw, "0x" + keccak(raw).hex())


RlpItem = int | bytes | list["RlpItem"]


def rlp(item: RlpItem) -> bytes:
    """Recursive-length prefix encoding (Ethereum Yellow Paper, appendix B) of unsigned integers, byte
    strings and lists of them: what a transaction is made of. pyrlp infers a serializer per value,
    which costs more than the whole transaction's signature."""
    if isinstance(item, list):
        payload = b"".join(rlp(i) for i in item)
        return _rlp_length(len(payload), 0xC0) + payload
    if isinstance(item, int):
        if item < 0:
            raise ValueError("RLP encodes unsigned integers only")
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")  # 0 is the empty string
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def not_mined(tx_hash: str, timeout: float) -> ChainError:
    return ChainError(
        f"transaction {tx_hash} not mined after {timeout:g} s; run the same command again: with the "
        "journal, the same signed transaction is re-sent"
    )


def reverted_on_chain(chain: Chain, receipt: Receipt) -> TransactionReverted:
    name, text = revert_reason(chain, receipt)
    return TransactionReverted(f"transaction {receipt.tx_hash} reverted: {text}", error_name=name)


# ------------------------------------------------------------------------------------------ requests


def _nonce_and_gas(
    chain: Chain, sender: str, calls: Sequence[Call]
) -> tuple[int, list[int | TransactionReverted]]:
    """The pending nonce, and a gas limit (or the decoded revert) per call: one dry run per shape,
    against the latest block (not the pool: what is in flight counts only once mined, on any node)."""
    firsts: dict[Hashable, int] = {}
    runs: list[int] = []  # index of the call dry-run for each call
    for i, call in enumerate(calls):
        if call.shape is None:
            runs.append(i)
        else:
            runs.append(firsts.setdefault(call.shape, i))
    todo = sorted(set(runs))
    results: dict[int, int | TransactionReverted] = {}
    if chain.batches:
        requests: list[tuple[str, list[Any]]] = [("eth_getTransactionCount", [sender, "pending"])]
        requests += [
            (
                "eth_estimateGas",
                [{"from": sender, "to": calls[i].to, "data": "0x" + calls[i].data.hex()}, "latest"],
            )
            for i in todo
        ]
        answers = chain.batch(requests)
        nonce = int(chain.result(answers[0], "eth_getTransactionCount"), 16)
        for i, answer in zip(todo, answers[1:], strict=True):
            try:
                results[i] = gas_with_margin(int(chain.result(answer, "eth_estimateGas"), 16))
            except TransactionReverted as exc:
                results[i] = exc
    else:
        nonce = chain.nonce(sender, "pending")
        for i in todo:
            try:
                results[i] = chain.estimate_gas({"from": sender, "to": calls[i].to, "data": calls[i].data})
            except TransactionReverted as exc:
                results[i] = exc
    return nonce, [results[r] for r in runs]


def send_raw(chain: Chain, raws: Sequence[bytes]) -> list[str | AttestError]:
    """Broadcast one account's signed transactions (consecutive nonces, in nonce order); each one's
    hash, or the error the node answered, in that order.

    A node takes them in ONE batch request, highest nonce first: each waits in the pool for the one
    below it until the lowest arrives and makes them all ready at once. In nonce order, a node that
    mines each transaction as it arrives (anvil's automine) would be mining the first while the next
    arrive, and anvil 1.7.1 reads the account's nonce for a new transaction before it commits such a
    block: a transaction that lands in that gap waits forever for a predecessor already mined.
    The embedded chain takes them one by one, in nonce order (it mines each at once).
    """
    if not raws:
        return []
    if not chain.batches:
        out: list[str | AttestError] = []
        for raw in raws:
            try:
                out.append(chain.send_raw(raw))
            except AttestError as exc:
                out.append(exc)
        return out
    answers = chain.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in reversed(raws)])
    answered: list[str | AttestError] = []
    for answer in reversed(answers):
        try:
            answered.append(str(chain.result(answer, "eth_sendRawTransaction")))
        except AttestError as exc:
            answered.append(exc)
    return answered


def receipts(chain: Chain, hashes: Sequence[str]) -> dict[str, Receipt]:
    """The receipts of those of `hashes` that are mined now (no waiting)."""
    found: dict[str, Receipt] = {}
    if chain.batches:
        for start in range(0, len(hashes), RECEIPT_BATCH):
            chunk = hashes[start : start + RECEIPT_BATCH]
            answers = chain.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for h, answer in zip(chunk, answers, strict=True):
                r = chain.result(answer, "eth_getTransactionReceipt")
                if r is not None and r.get("blockNumber") is not None:
                    found[h] = Receipt(
                        tx_hash=h,
                        ok=int(r["status"], 16) == 1,
                        block_number=int(r["blockNumber"], 16),
                        block_hash=str(r["blockHash"]),
                        gas_used=int(r["gasUsed"], 16),
                        logs=tuple(r.get("logs") or ()),
                    )
        return found
    for h in hashes:
        r = chain.receipt(h)
        if r is not None:
            found[h] = Receipt(
                tx_hash=h,
                ok=int(r["status"]) == 1,
                block_number=int(r["blockNumber"]),
                block_hash=r["blockHash"].to_0x_hex(),
                gas_used=int(r["gasUsed"]),
                logs=tuple(r["logs"]),
            )
    return found


def collect(chain: Chain, hashes: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Receipt]:
    """Poll for the receipts of `hashes` until all are mined or `timeout` passes; what was found."""
    found: dict[str, Receipt] = {}
    pending = list(hashes)
    deadline = time.monotonic() + timeout
    while pending:
        found.update(receipts(chain, pending))
        pending = [h for h in pending if h not in found]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    return found


def revert_reason(chain: Chain, receipt: Receipt) -> tuple[str | None, str]:
    """Why a mined transaction reverted: replay it as a call at its block and decode the custom error."""
    try:
        tx = chain.w3.eth.get_transaction(receipt.tx_hash)  # type: ignore[arg-type]
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        chain.w3.eth.call(call, block_identifier=receipt.block_number - 1)  # type: ignore[arg-type]
    except TransactionReverted as exc:
        return exc.error_name, exc.detail.removeprefix("reverted: ")
    except Exception as exc:  # noqa: BLE001 - a revert is decoded by the chain's own sorter
        try:
            chain.raise_chain_error(exc)
        except TransactionReverted as decoded:
            return decoded.error_name, decoded.detail.removeprefix("reverted: ")
        except ChainError:
            pass
    return None, "reverted on-chain (reason not recoverable)"
