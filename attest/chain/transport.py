"""The one mapping from what a node connection raises to the project's errors.

web3, requests and eth-tester each raise their own exceptions; every chain read and send, the
pipelined sender's batches and the journal go through `node_errors` / `chain_error`, so a revert is
always decoded the same way and a node that stops answering is always `ChainUnreachable` (exit 3).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from attest.core.contracts import decode_error
from attest.core.errors import AttestError, ChainError, ChainUnreachable, TransactionReverted

if TYPE_CHECKING:
    import requests


def node_session(url: str) -> requests.Session:
    """An HTTP session for one node, with what the environment says about that URL — proxies (and
    NO_PROXY), a CA bundle (REQUESTS_CA_BUNDLE), .netrc credentials — read once, here.

    requests otherwise reads the environment again for every request (all of os.environ, for the
    proxies: about 0.2 ms a request), and a proven verification makes a dozen or more."""
    import requests

    session = requests.Session()
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(settings.get("proxies") or {})
    if settings.get("verify") is not None:
        session.verify = settings["verify"]
    if settings.get("cert") is not None:
        session.cert = settings["cert"]
    auth = requests.utils.get_netrc_auth(url)
    if auth is not None:
        session.auth = auth
    session.trust_env = False
    return session


def is_transport_failure(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a lost or timed-out connection to the node."""
    import requests

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def chain_error(exc: Exception, where: str) -> AttestError:
    """The error `exc` means, raised by a call to the node `where` (its URL or 'embedded')."""
    if isinstance(exc, AttestError):
        return exc
    data = revert_data(exc)
    if data is not None:
        name, text = decode_error(data)
        return TransactionReverted(f"reverted: {text}", error_name=name)
    if is_transport_failure(exc):
        return ChainUnreachable(f"{where} is unreachable ({type(exc).__name__})")
    from web3.exceptions import TimeExhausted, Web3RPCError

    if isinstance(exc, TimeExhausted):
        return ChainError(f"{where}: {exc}")
    if isinstance(exc, Web3RPCError):
        message = str(exc.message or exc)
        if "insufficient funds" in message.lower():
            from attest.chain.rpc import insufficient_funds

            return insufficient_funds(message, where)
        return ChainError(f"{where} refused the request: {message}")
    return ChainError(f"{where}: {type(exc).__name__}: {exc}")


@contextmanager
def node_errors(where: str) -> Iterator[None]:
    """Run node calls (reads, sends, contract `.call()`s, log queries); map what they raise."""
    try:
        yield
    except AttestError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of a node call is sorted by chain_error
        raise chain_error(exc, where) from None


@contextmanager
def lost_node_is_unreachable(where: str) -> Iterator[None]:
    """Around a whole use case: a node that stops answering mid-way is `ChainUnreachable` (exit 3),
    whichever library call noticed; every other exception passes unchanged."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, AttestError) or not is_transport_failure(exc):
            raise
        raise ChainUnreachable(f"{where} is unreachable ({type(exc).__name__})") from None


def revert_data(exc: Exception) -> bytes | None:
    """The raw revert data carried by a web3 or eth-tester exception, if it is a revert."""
    from eth_tester.exceptions import TransactionFailed
    from web3.exceptions import ContractLogicError

    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        return b""
    if isinstance(exc, TransactionFailed):
        first = exc.args[0] if exc.args else b""
        if isinstance(first, Exception):
            first = first.args[0] if first.args else b""
        if isinstance(first, bytes):
            return first
        text = str(first)
        prefix = "execution reverted: "
        if text.startswith(prefix + "b'") or text.startswith(prefix + 'b"'):
            value = ast.literal_eval(text[len(prefix) :])
            return value if isinstance(value, bytes) else b""
        from eth_abi import encode

        return bytes.fromhex("08c379a0") + encode(["string"], [text.removeprefix(prefix)])
    return None
