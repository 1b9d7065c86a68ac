"""A pipelined sender: many transactions from one account without a round trip per transaction.

`Chain.send` does what one careful transaction needs (dry run, nonce, fees, wait for the receipt):
five or more round trips each, so a few per second. Publishing thousands of attestations instead:
- reads the pending nonce ONCE and numbers the transactions locally;
- dry-runs the first transaction ONCE and gives all of them that gas limit (plus `Chain`'s margin):
  they must be calls of the same shape (e.g. `attest` with similar URIs);
- prices them ONCE (legacy gasPrice 0 on free-gas chains, EIP-1559 otherwise);
- signs locally (eth_keys uses the coincurve secp256k1 backend when installed);
- sends the raw transactions in JSON-RPC batch requests, without waiting on any receipt;
- then collects the receipts, again in batch requests, until every one is mined.
Nothing is retried blindly: a refused transaction stops the run and names its nonce, since every
later nonce would wait on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attest.chain.connection import Chain
from attest.core.errors import ChainError, TransactionReverted

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

SEND_BATCH = 100  # raw transactions per JSON-RPC batch request
RECEIPT_BATCH = 200  # receipt queries per JSON-RPC batch request


@dataclass(frozen=True)
class Mined:
    tx_hash: str
    nonce: int
    block_number: int
    block_hash: str
    gas_used: int
    ok: bool


def signing_backend() -> str:
    """The secp256k1 backend eth_keys (and so eth_account) signs with: 'CoinCurveECCBackend' if fast."""
    from eth_keys.backends import get_backend

    return type(get_backend()).__name__


class PipelinedSender:
    """Sign and send many transactions from `account`, then collect their receipts in batches."""

    def __init__(self, chain: Chain, account: LocalAccount, *, timeout: float = 120) -> None:
        self.chain = chain
        self.account = account
        self.timeout = timeout
        self.requests = 0  # HTTP requests made (a batch request counts once)

    def send_all(
        self,
        txs: Sequence[dict[str, Any]],
        *,
        gas: int | None = None,
        check: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Mined]:
        """Send `txs` (each with `to` and `data`, optionally `value`) in order; return their receipts.

        `progress(done, total)` counts sends then receipts (total = 2 × len(txs)). With `check`, a
        reverted transaction raises `TransactionReverted` once all receipts are in.
        """
        if not txs:
            return []
        chain, sender = self.chain, self.account.address
        template: dict[str, Any] = {"from": sender, "chainId": chain.chain_id}
        nonce = int(self._call("eth_getTransactionCount", [sender, "pending"]), 16)
        template["gas"] = gas if gas is not None else chain.estimate_gas({**template, **txs[0]})
        chain.set_fees(template)
        total = 2 * len(txs)
        raw: list[str] = []
        for i, tx in enumerate(txs):
            full = {**template, **{k: v for k, v in tx.items() if k in ("to", "data", "value")}}
            full["nonce"] = nonce + i
            full.pop("from")
            raw.append("0x" + self.account.sign_transaction(full).raw_transaction.hex())
        hashes: list[str] = []
        for start in range(0, len(raw), SEND_BATCH):
            chunk = raw[start : start + SEND_BATCH]
            answers = self._batch([("eth_sendRawTransaction", [r]) for r in chunk])
            for offset, answer in enumerate(answers):
                if "error" in answer:
                    raise ChainError(
                        f"{chain.name} refused the transaction with nonce {nonce + start + offset} "
                        f"({len(hashes)} sent before it): {answer['error'].get('message', answer['error'])}"
                    )
                hashes.append(str(answer["result"]))
            if progress is not None:
                progress(len(hashes), total)
        mined = self._collect(hashes, nonce, progress, total)
        if mined:
            chain.wait_confirmations(max(m.block_number for m in mined), timeout=self.timeout)
        failed = [m for m in mined if not m.ok]
        if check and failed:
            raise TransactionReverted(
                f"{len(failed)} of {len(mined)} transactions reverted on-chain, first {failed[0].tx_hash}"
            )
        return mined

    def _collect(
        self, hashes: list[str], nonce: int, progress: Callable[[int, int], None] | None, total: int
    ) -> list[Mined]:
        found: dict[str, Mined] = {}
        deadline = time.monotonic() + self.timeout
        pending = list(hashes)
        while pending:
            still: list[str] = []
            for start in range(0, len(pending), RECEIPT_BATCH):
                chunk = pending[start : start + RECEIPT_BATCH]
                answers = self._batch([("eth_getTransactionReceipt", [h]) for h in chunk])
                for h, answer in zip(chunk, answers, strict=True):
                    r = answer.get("result")
                    if r is None:
                        still.append(h)
                        continue
                    found[h] = Mined(
                        tx_hash=h,
                        nonce=-1,  # set below from the hash's position
                        block_number=int(r["blockNumber"], 16),
                        block_hash=str(r["blockHash"]),
                        gas_used=int(r["gasUsed"], 16),
                        ok=int(r["status"], 16) == 1,
                    )
            if progress is not None:
                progress(len(hashes) + len(found), total)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise ChainError(f"{len(pending)} transactions not mined after {self.timeout:.0f} s")
                time.sleep(0.05)
        from dataclasses import replace

        return [replace(found[h], nonce=nonce + i) for i, h in enumerate(hashes)]

    # ---------------------------------------------------------------- transport

    def _call(self, method: str, params: list[Any]) -> Any:
        (answer,) = self._batch([(method, params)])
        if "error" in answer:
            raise ChainError(f"{self.chain.name}: {method}: {answer['error']}")
        return answer["result"]

    def _batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Raw JSON-RPC answers to `calls`, in order: one batch request (the embedded chain: one by one)."""
        provider: Any = self.chain.w3.provider
        if self.chain.tester is not None:
            raise ChainError("the pipelined sender needs a JSON-RPC node (the embedded chain has no batches)")
        self.requests += 1
        try:
            answers = provider.make_batch_request(calls)
        except Exception as exc:  # noqa: BLE001 - transport errors become ChainError
            self.chain.raise_chain_error(exc)
        if isinstance(answers, dict):  # a node that refuses batches answers with one error object
            raise ChainError(f"{self.chain.name} refused a JSON-RPC batch request: {answers.get('error')}")
        return sorted((dict(a) for a in answers), key=lambda a: int(a.get("id", 0)))
