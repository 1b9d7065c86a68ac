"""Send a window of transactions from one account in a few round trips, recording each step first.

`Chain.send` does what one careful transaction needs (dry run, nonce, fees, wait for the receipt):
several round trips each, so a few hundred per second at best. A window of transactions instead:
- is dry-run once per *shape* (calls of one shape — e.g. `attest` of a FILE with the same URI length —
  get the gas limit of the first, plus `Chain`'s margin; a call without a shape is dry-run alone), all
  in one JSON-RPC batch with the pending nonce: a revert there refuses the calls, nothing is signed;
- is numbered from that nonce locally, priced once, signed locally (eth_keys' coincurve backend);
- is handed to a `Recorder` (the publishing journal) BEFORE anything leaves, then sent in JSON-RPC
  batch requests, then its receipts are collected in batch requests until every one is mined, and
  each outcome (mined, or reverted with the decoded error) is handed to the recorder.
A transaction the node refuses stops the sending (every later nonce would wait on it); nothing is
retried blindly. The embedded chain takes no batches: there every request goes one by one, through
the same code. The functions below are also what recovery uses to look up and re-send recorded bytes.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from attest.chain.connection import Chain, gas_with_margin
from attest.core.errors import AttestError, ChainError, TransactionReverted

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

SEND_BATCH = 100  # raw transactions per JSON-RPC batch request
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
    account: LocalAccount,
    calls: Sequence[Call],
    *,
    recorder: Recorder | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Outcome]:
    """Dry-run, sign, record, send and settle `calls` in order; one outcome per call, in order."""
    if not calls:
        return []
    nonce, gas = _nonce_and_gas(chain, account.address, calls)
    template: dict[str, Any] = {"chainId": chain.chain_id}
    chain.set_fees(template)
    outcomes: dict[int, Outcome] = {}
    signed: list[tuple[int, Signed]] = []
    for i, call in enumerate(calls):
        limit = gas[i]
        if isinstance(limit, TransactionReverted):
            outcomes[i] = Outcome(call, None, None, limit)
            continue
        tx = {**template, "to": call.to, "data": call.data, "gas": limit, "nonce": nonce}
        one = account.sign_transaction(tx)
        signed.append((i, Signed(call.key, nonce, bytes(one.raw_transaction), one.hash.to_0x_hex())))
        nonce += 1
    txs = [s for _, s in signed]
    if recorder is not None and txs:
        recorder.signed(txs)  # durable before anything leaves
    answers = send_raw(chain, [s.raw for s in txs], stop_at_error=True)
    refused: AttestError | None = None
    accepted: list[tuple[int, Signed]] = []
    for (i, s), answer in zip(signed, answers, strict=True):
        if refused is None and isinstance(answer, AttestError):
            refused = answer
        if refused is None:
            accepted.append((i, s))
        else:
            why = (
                refused
                if answer is refused
                else ChainError(f"not sent: the transaction before it was refused ({refused})")
            )
            outcomes[i] = Outcome(calls[i], s, None, why)
    if recorder is not None and accepted:
        recorder.sent([s for _, s in accepted])
    mined = collect(chain, [s.tx_hash for _, s in accepted], timeout=timeout)
    if mined:
        chain.wait_confirmations(max(r.block_number for r in mined.values()), timeout=timeout)
    done: list[tuple[Signed, Receipt, TransactionReverted | None]] = []
    for i, s in accepted:
        receipt = mined.get(s.tx_hash)
        if receipt is None:
            outcomes[i] = Outcome(calls[i], s, None, not_mined(s.tx_hash, timeout))
            continue
        reverted = None if receipt.ok else reverted_on_chain(chain, receipt)
        done.append((s, receipt, reverted))
        outcomes[i] = Outcome(calls[i], s, receipt, reverted)
    if recorder is not None and done:
        recorder.settled(done)
    return [outcomes[i] for i in range(len(calls))]


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
    """The pending nonce, and a gas limit (or the decoded revert) per call: one dry run per shape."""
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
            ("eth_estimateGas", [{"from": sender, "to": calls[i].to, "data": "0x" + calls[i].data.hex()}])
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


def send_raw(chain: Chain, raws: Sequence[bytes], *, stop_at_error: bool = False) -> list[str | AttestError]:
    """Broadcast signed transactions in order: each one's hash, or the error the node answered.

    With `stop_at_error`, batches after one holding a refusal are not sent (answered with that error).
    """
    out: list[str | AttestError] = []
    for start in range(0, len(raws), SEND_BATCH if chain.batches else 1):
        chunk = raws[start : start + (SEND_BATCH if chain.batches else 1)]
        stopped = next((a for a in out if isinstance(a, AttestError)), None) if stop_at_error else None
        if stopped is not None:
            out.extend(stopped for _ in chunk)
            continue
        if chain.batches:
            for answer in chain.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in chunk]):
                try:
                    out.append(str(chain.result(answer, "eth_sendRawTransaction")))
                except AttestError as exc:
                    out.append(exc)
        else:
            try:
                out.append(chain.send_raw(chunk[0]))
            except AttestError as exc:
                out.append(exc)
    return out


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
