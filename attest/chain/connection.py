"""Chain I/O: one connection, local signing, raw sends, decoded reverts, confirmations.

Every transaction is signed here, by a keystore's key or a key in an HSM (`attest.chain.signer`), and
sent raw: no node ever holds a key. Fees follow the chain: EIP-1559 where the chain has a base fee,
legacy transactions with gasPrice 0 on free-gas consortium chains (Besu QBFT with zeroBaseFee, FISCO
BCOS). Two backends share this code: the embedded eth-tester chain (in-process) and any JSON-RPC
endpoint (anvil, Besu, FISCO BCOS web3_rpc).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from attest.chain.transport import chain_error, node_errors
from attest.core.errors import AttestError, ChainError, TransactionReverted, WrongChain

if TYPE_CHECKING:
    from web3 import Web3
    from web3.types import TxReceipt

    from attest.chain.signer import Signer

EMBEDDED_FUNDING_WEI = 10**21


def gas_with_margin(estimate: int) -> int:
    """The gas limit given a dry run's estimate: a fifth more plus 5,000, for what state may change."""
    return estimate + estimate // 5 + 5000


@dataclass(frozen=True)
class SentTransaction:
    """What a publisher needs to know about a mined transaction."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    receipt: TxReceipt = field(repr=False)


class Chain:
    """One chain connection. Build it with `Chain.embedded()` or `Chain.connect(url)`."""

    def __init__(
        self,
        w3: Web3,
        *,
        name: str,
        confirmations: int = 1,
        tester: Any = None,
        funder_key: str | None = None,
    ) -> None:
        self.w3 = w3
        self._funder_key = funder_key
        self.name = name
        self.confirmations = confirmations
        self.tester = tester
        self._chain_id: int | None = None
        self._free_gas: bool | None = None

    # ---------------------------------------------------------------- construction

    @classmethod
    def embedded(cls) -> Chain:
        """A fresh in-process chain (eth-tester on py-evm). It lives as long as this process."""
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import Web3
        from web3.providers.eth_tester import EthereumTesterProvider

        backend = PyEVMBackend()
        tester = EthereumTester(backend)
        funder = backend.account_keys[0].to_hex()
        return cls(Web3(EthereumTesterProvider(tester)), name="embedded", tester=tester, funder_key=funder)

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        *,
        expected_chain_id: int | None = None,
        confirmations: int = 1,
        timeout: float = 30,
    ) -> Chain:
        """Connect over JSON-RPC; check the chain answers and, if given, that its id is the expected one."""
        from web3 import Web3
        from web3.middleware import ExtraDataToPOAMiddleware

        # web3's validation asks eth_chainId before every call and send (half of all requests); it
        # cannot change under a running node, so it alone is cached (never blocks: a node may lose some)
        from attest.chain.transport import node_session

        provider = Web3.HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": timeout},
            session=node_session(rpc_url),  # the environment read once, not per request
            cache_allowed_requests=True,
            cacheable_requests={"eth_chainId"},
        )
        w3 = Web3(provider)
        # QBFT/IBFT/Clique chains put more than 32 bytes in extraData; web3 rejects that unless told.
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        chain = cls(w3, name=rpc_url, confirmations=confirmations)
        if expected_chain_id is not None and chain.chain_id != expected_chain_id:
            raise WrongChain(
                f"{rpc_url} is chain id {chain.chain_id}, the deployment manifest says {expected_chain_id}"
            )
        return chain

    # ---------------------------------------------------------------- facts

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc(lambda: self.w3.eth.chain_id))
        return self._chain_id

    @property
    def free_gas(self) -> bool:
        """True on chains that charge nothing for gas: they get legacy transactions with gasPrice 0."""
        if self._free_gas is None:
            latest = self.rpc(lambda: self.w3.eth.get_block("latest"))
            base_fee = int(latest.get("baseFeePerGas", 0) or 0)
            self._free_gas = base_fee == 0 and int(self.rpc(lambda: self.w3.eth.gas_price)) == 0
        return self._free_gas

    def head(self) -> int:
        return int(self.rpc(lambda: self.w3.eth.block_number))

    def client_version(self) -> str:
        """The node software's self-description (web3_clientVersion), e.g. `anvil/v1.7.1`."""
        return str(self.rpc(lambda: self.w3.client_version))

    def block(self, number: int | str) -> Any:
        return self.rpc(lambda: self.w3.eth.get_block(number))  # type: ignore[arg-type]

    def has_code(self, address: str) -> bool:
        return len(self.rpc(lambda: self.w3.eth.get_code(address))) > 0  # type: ignore[arg-type]

    def code(self, address: str) -> bytes:
        """The runtime code at `address` (eth_getCode at the latest block); empty if none."""
        return bytes(self.rpc(lambda: self.w3.eth.get_code(address)))  # type: ignore[arg-type]

    # ---------------------------------------------------------------- dev funding

    def fund(self, address: str, wei: int = EMBEDDED_FUNDING_WEI, *, funder_key: str | None = None) -> None:
        """Give a dev account ether, from the embedded chain's prefunded account or `funder_key`."""
        from eth_account import Account

        key = funder_key or self._funder_key
        if key is None:
            raise ChainError("no funded account to fund from on this chain")
        self.send(Account.from_key(key), {"to": address, "value": wei})

    # ---------------------------------------------------------------- transactions

    def send(self, account: Signer, tx: dict[str, Any]) -> SentTransaction:
        """Dry-run, sign locally, send raw, wait for the receipt; raise with the decoded error on revert."""
        signed = account.sign_transaction(self.build(account, tx, nonce=tx.get("nonce")))
        return self.wait(self.send_raw(signed.raw_transaction))

    def build(self, account: Signer, tx: dict[str, Any], *, nonce: int | None = None) -> dict[str, Any]:
        """`tx` filled for signing (sender, chain id, nonce, gas by dry run, fees), not sent."""
        tx = dict(tx)
        tx["from"] = account.address
        tx.setdefault("chainId", self.chain_id)
        tx["nonce"] = self.nonce(account.address, "pending") if nonce is None else nonce
        if "gas" not in tx:
            tx["gas"] = self.estimate_gas(tx)
        self.set_fees(tx)
        return tx

    def nonce(self, address: str, block: str = "latest") -> int:
        """The account's transaction count at `block` ("latest": mined; "pending": with the pool)."""
        return int(self.rpc(lambda: self.w3.eth.get_transaction_count(address, block)))  # type: ignore[arg-type]

    def send_raw(self, raw: bytes) -> str:
        """Broadcast already-signed bytes; return the transaction hash (0x-hex)."""
        return str(self.rpc(lambda: self.w3.eth.send_raw_transaction(raw)).to_0x_hex())

    def receipt(self, tx_hash: str) -> Any:
        """The receipt of `tx_hash` if it is mined on this chain now, else None (no waiting)."""
        from web3.exceptions import TransactionNotFound

        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        except Exception as exc:  # noqa: BLE001 - sorted by raise_chain_error
            self.raise_chain_error(exc)

    def knows_transaction(self, tx_hash: str) -> bool:
        """Whether the node has `tx_hash`, mined or waiting in its pool (eth_getTransactionByHash)."""
        from web3.exceptions import TransactionNotFound

        try:
            return self.w3.eth.get_transaction(tx_hash) is not None  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        except Exception as exc:  # noqa: BLE001 - sorted by raise_chain_error
            self.raise_chain_error(exc)
            return False

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        """Gas for `tx` plus a margin; a revert here raises TransactionReverted before anything is sent."""
        call = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value")}
        try:
            estimate = int(self.w3.eth.estimate_gas(call))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - sorted into reverts and transport errors below
            self.raise_chain_error(exc)
        return gas_with_margin(estimate)

    def wait(self, tx_hash: str, timeout: float = 120) -> SentTransaction:
        """Wait for a transaction's receipt and its confirmations; raise if it reverted."""
        receipt = self.rpc(lambda: self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout))  # type: ignore[arg-type]
        if receipt["status"] != 1:
            raise TransactionReverted(f"transaction {tx_hash} reverted on-chain")
        self.wait_confirmations(int(receipt["blockNumber"]), timeout=timeout)
        return SentTransaction(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            block_hash=receipt["blockHash"].to_0x_hex(),
            gas_used=int(receipt["gasUsed"]),
            receipt=receipt,
        )

    def wait_confirmations(self, block_number: int, timeout: float = 120) -> None:
        """Block until `block_number` has `self.confirmations` confirmations (1 = mined)."""
        if self.tester is not None:
            return  # the embedded chain mines on demand: waiting would never end
        deadline = time.monotonic() + timeout
        while self.head() - block_number + 1 < self.confirmations:
            if time.monotonic() > deadline:
                raise ChainError(f"block {block_number} did not reach {self.confirmations} confirmations")
            time.sleep(0.2)

    def set_fees(self, tx: dict[str, Any]) -> None:
        if "gasPrice" in tx or "maxFeePerGas" in tx:
            return
        if self.free_gas:
            tx["gasPrice"] = 0
            return
        latest = self.rpc(lambda: self.w3.eth.get_block("latest"))
        base_fee = int(latest.get("baseFeePerGas", 0) or 0)
        if base_fee == 0:
            tx["gasPrice"] = int(self.rpc(lambda: self.w3.eth.gas_price))
            return
        tip = 10**9
        tx["maxPriorityFeePerGas"] = tip
        tx["maxFeePerGas"] = 2 * base_fee + tip

    # ---------------------------------------------------------------- JSON-RPC batches

    @property
    def batches(self) -> bool:
        """Whether this chain takes JSON-RPC batch requests (a node does; the embedded chain does not)."""
        return self.tester is None

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """The raw JSON-RPC answers to `calls`, in order, from ONE batch request (results unformatted:
        0x-hex quantities). Each answer holds "result" or "error" (see `result`)."""
        if not self.batches:
            raise ChainError("the embedded chain takes no JSON-RPC batch requests")
        if not calls:
            return []
        provider: Any = self.w3.provider
        with node_errors(self.name):
            answers = provider.make_batch_request(calls)
        if isinstance(answers, dict):  # a node that refuses batches answers with one error object
            raise ChainError(f"{self.name} refused a JSON-RPC batch request: {answers.get('error')}")
        return sorted((dict(a) for a in answers), key=lambda a: int(a.get("id", 0)))

    def result(self, answer: Mapping[str, Any], method: str) -> Any:
        """The result of one batch answer, or raise the error it carries (mapped like any node error)."""
        if "error" in answer:
            raise self.answer_error(answer["error"], method)
        return answer.get("result")

    def answer_error(self, error: Any, method: str) -> AttestError:
        """Our error for a batch answer's error object: the same mapping as a single call's
        (`attest.chain.transport`), so a revert is decoded and a refusal named alike."""
        from web3.exceptions import ContractLogicError, Web3RPCError

        if not isinstance(error, Mapping):
            return ChainError(f"{self.name}: {method}: {error}")
        message = str(error.get("message", error))
        data = error.get("data")
        if isinstance(data, str) and data.startswith("0x") and "revert" in message.lower():
            return chain_error(ContractLogicError(message, data=data), self.name)
        return chain_error(Web3RPCError(message), self.name)

    # ---------------------------------------------------------------- errors

    def rpc(self, call: Any) -> Any:
        """Run one node call; whatever it raises becomes one of our errors (`attest.chain.transport`)."""
        with node_errors(self.name):
            return call()

    def raise_chain_error(self, exc: Exception) -> NoReturn:
        """Raise the error `exc` means for this node (a decoded revert, unreachable, refused…)."""
        raise chain_error(exc, self.name) from None
