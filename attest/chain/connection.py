"""Chain I/O: one connection, local signing, raw sends, decoded reverts, confirmations.

Every request goes through one JSON-RPC client (`attest.chain.rpc`); web3, over that client, is
used by publishing only.

Every transaction is signed here, by a keystore's key or a key in an HSM (`attest.chain.signer`), and
sent raw: no node ever holds a key. Fees follow the chain: EIP-1559 where the chain has a base fee,
legacy transactions with gasPrice 0 on free-gas consortium chains (Besu QBFT with zeroBaseFee, FISCO
BCOS). Two backends share this code: the embedded eth-tester chain (in-process) and any JSON-RPC
endpoint (anvil, Besu, FISCO BCOS web3_rpc).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from attest.chain.rpc import JsonRpc, result_of
from attest.chain.transport import chain_error, node_errors
from attest.core.errors import ChainError, NotConfirmed, TransactionReverted, WrongChain

if TYPE_CHECKING:
    from web3 import Web3
    from web3.providers import JSONBaseProvider
    from web3.types import TxReceipt

    from attest.chain.signer import Signer

EMBEDDED_FUNDING_WEI = 10**21


def gas_with_margin(estimate: int) -> int:
    """The gas limit given a dry run's estimate: a fifth more plus 5,000, for what state may change."""
    return estimate + estimate // 5 + 5000


def quantity(value: Any, what: str) -> int:
    """A JSON-RPC quantity ("0x…" hex) as an int; anything else is the node's error (exit 3)."""
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return int(value[2:] or "0", 16)
        except ValueError:
            pass
    raise ChainError(f"the node answered {what} with {value!r:.80}, not a hex quantity")


def client_provider(client: JsonRpc) -> JSONBaseProvider:
    """A web3 provider that sends every request through `client` (so publishing and reading share one
    client and one error mapping: an error answer is raised as our error before web3 sees it)."""
    import json

    from web3.providers import JSONBaseProvider

    class ClientProvider(JSONBaseProvider):
        def make_request(self, method: Any, params: Any) -> Any:
            # web3's own encoder turns its values (HexBytes, ints) into the JSON a node reads
            sent = json.loads(self.encode_rpc_request(method, params))
            return {"jsonrpc": "2.0", "id": sent["id"], "result": client.call(method, sent["params"])}

        def make_batch_request(self, requests: Any) -> Any:
            calls = [(m, json.loads(self.encode_rpc_request(m, p))["params"]) for m, p in requests]
            return [{"jsonrpc": "2.0", "id": i, **a} for i, a in enumerate(client.answers(calls))]

        def is_connected(self, show_traceback: bool = False) -> bool:
            return True

    return ClientProvider()


@dataclass(frozen=True)
class SentTransaction:
    """What a publisher needs to know about a mined transaction."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    receipt: TxReceipt = field(repr=False)


class Chain:
    """One chain connection. Build it with `Chain.embedded()` or `Chain.connect(url)`.

    Every request goes through `client`, the one JSON-RPC client (`attest.chain.rpc`). Reads use it
    directly; `w3` (web3, made on first use: publishing only) is web3 over that same client, for
    building, signing and decoding transactions."""

    def __init__(
        self,
        client: JsonRpc,
        *,
        name: str,
        confirmations: int = 1,
        tester: Any = None,
        funder_key: str | None = None,
        w3: Web3 | None = None,
    ) -> None:
        self.client = client
        self._w3 = w3
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

        from attest.chain.rpc import EmbeddedRpc

        backend = PyEVMBackend()
        tester = EthereumTester(backend)
        funder = backend.account_keys[0].to_hex()
        w3 = Web3(EthereumTesterProvider(tester))
        return cls(EmbeddedRpc(w3), name="embedded", tester=tester, funder_key=funder, w3=w3)

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
        from attest.chain.rpc import HttpRpc

        chain = cls(HttpRpc(rpc_url, timeout=timeout), name=rpc_url, confirmations=confirmations)
        if expected_chain_id is not None:
            chain.expect_chain_id(expected_chain_id, chain.call("eth_chainId", []))
        return chain

    def expect_chain_id(self, expected: int, answer: Any) -> None:
        """Take the node's eth_chainId `answer` as this chain's id; WrongChain unless it is `expected`."""
        self._chain_id = quantity(answer, "eth_chainId")
        if self._chain_id != expected:
            raise WrongChain(
                f"{self.name} is chain id {self._chain_id}, the deployment manifest says {expected}"
            )

    @property
    def w3(self) -> Web3:
        """web3 over this chain's client: what publishing builds, signs and decodes transactions with.
        Made on first use, so a verification never imports web3."""
        if self._w3 is None:
            from web3 import Web3
            from web3.middleware import ExtraDataToPOAMiddleware

            w3 = Web3(client_provider(self.client))
            # QBFT/IBFT/Clique chains put more than 32 bytes in extraData; web3 rejects that unless told.
            w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
            self._w3 = w3
        return self._w3

    # ---------------------------------------------------------------- facts

    def call(self, method: str, params: Sequence[Any]) -> Any:
        """The node's raw answer (JSON: 0x-hex quantities) to one request."""
        return self.client.call(method, params)

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = quantity(self.call("eth_chainId", []), "eth_chainId")
        return self._chain_id

    @property
    def free_gas(self) -> bool:
        """True on chains that charge nothing for gas: they get legacy transactions with gasPrice 0."""
        if self._free_gas is None:
            base_fee = self.base_fee()
            self._free_gas = base_fee == 0 and quantity(self.call("eth_gasPrice", []), "eth_gasPrice") == 0
        return self._free_gas

    def base_fee(self) -> int:
        """The latest block's base fee (0 on chains without one)."""
        return quantity(self.block("latest").get("baseFeePerGas") or "0x0", "baseFeePerGas")

    def head(self) -> int:
        return quantity(self.call("eth_blockNumber", []), "eth_blockNumber")

    def client_version(self) -> str:
        """The node software's self-description (web3_clientVersion), e.g. `anvil/v1.7.1`."""
        return str(self.call("web3_clientVersion", []))

    def block(self, number: int | str) -> dict[str, Any]:
        """The node's answer for a block (transaction hashes only), as sent: 0x-hex fields."""
        tag = hex(number) if isinstance(number, int) else number
        found = self.call("eth_getBlockByNumber", [tag, False])
        if not isinstance(found, dict):
            raise ChainError(f"{self.name} has no block {number}")
        return found

    def timestamp(self, number: int | str) -> int:
        """The time (unix seconds) the node gives block `number`."""
        return quantity(self.block(number).get("timestamp"), f"block {number}'s timestamp")

    def block_hash(self, number: int | str) -> str:
        """The hash the node gives block `number` (0x-hex)."""
        return str(self.block(number).get("hash"))

    def has_code(self, address: str) -> bool:
        return len(self.code(address)) > 0

    def code(self, address: str) -> bytes:
        """The runtime code at `address` (eth_getCode at the latest block); empty if none."""
        found = self.call("eth_getCode", [address, "latest"])
        try:
            return bytes.fromhex(str(found).removeprefix("0x"))
        except ValueError:
            raise ChainError(f"{self.name} answered eth_getCode with {found!r:.80}") from None

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
        return quantity(self.call("eth_getTransactionCount", [address, block]), "eth_getTransactionCount")

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
        """Block until `block_number` has `self.confirmations` confirmations (1 = mined), at most
        `timeout` seconds; then `NotConfirmed`, saying how deep it is."""
        if self.tester is not None:
            return  # the embedded chain mines on demand: waiting would never end
        deadline = time.monotonic() + timeout
        while (have := self.head() - block_number + 1) < self.confirmations:
            if time.monotonic() > deadline:
                raise NotConfirmed(
                    f"block {block_number} has {max(have, 0)} of the {self.confirmations} confirmations "
                    f"required after {timeout:g} s: is the chain producing blocks?",
                    block_number=block_number,
                    required=self.confirmations,
                )
            time.sleep(0.2)

    def set_fees(self, tx: dict[str, Any]) -> None:
        if "gasPrice" in tx or "maxFeePerGas" in tx:
            return
        if self.free_gas:
            tx["gasPrice"] = 0
            return
        base_fee = self.base_fee()
        if base_fee == 0:
            tx["gasPrice"] = quantity(self.call("eth_gasPrice", []), "eth_gasPrice")
            return
        tip = 10**9
        tx["maxPriorityFeePerGas"] = tip
        tx["maxFeePerGas"] = 2 * base_fee + tip

    # ---------------------------------------------------------------- JSON-RPC batches

    @property
    def batches(self) -> bool:
        """Whether this chain takes JSON-RPC batch requests in one round trip (a node does; the
        embedded chain answers them call by call)."""
        return self.tester is None

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
        """The node's answers to `calls`, in order, each holding "result" (as sent: 0x-hex) or
        "error" (see `result`): one batch request to a node."""
        return self.client.answers(calls)

    def result(self, answer: Mapping[str, Any], method: str) -> Any:
        """The result of one batch answer, or raise the error it carries (`attest.chain.rpc.refusal`)."""
        return result_of(answer, method, self.name)

    # ---------------------------------------------------------------- errors

    def rpc(self, call: Any) -> Any:
        """Run one node call; whatever it raises becomes one of our errors (`attest.chain.transport`)."""
        with node_errors(self.name):
            return call()

    def raise_chain_error(self, exc: Exception) -> NoReturn:
        """Raise the error `exc` means for this node (a decoded revert, unreachable, refused…)."""
        raise chain_error(exc, self.name) from None
