"""Shared fixtures: a real deployment on the embedded chain, and a real anvil node on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.contracts import Role
from attest.core.records import OrganisationInfo

REPO_ROOT = Path(__file__).resolve().parent.parent

# Test tiers. A test module that names one of these outside tools is marked with it; every other
# test is marked `unit` — no node, browser, HSM or compiler (the in-process embedded chain is not a
# node) — so `pytest -m unit` is the fast loop a developer runs alone (README: "Tests").
TOOLS = {
    "anvil": ("anvil", "AnvilNode", "make_node", "consortium_on_anvil"),
    "browser": ("playwright", "chromium"),
    "hsm": ("softhsm", "pkcs11", "Pkcs11"),
    "compiler": ("solc", "attest.chain.compiler"),
}


def tools_named(source: str) -> list[str]:
    """The outside tools a test module's source names (see TOOLS)."""
    return [tool for tool, words in TOOLS.items() if any(w in source for w in words)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    by_module: dict[Path, list[str]] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in by_module:
            by_module[path] = tools_named(path.read_text(encoding="utf-8"))
        for tool in by_module[path]:
            item.add_marker(getattr(pytest.mark, tool))
        if not by_module[path] and item.get_closest_marker("anvil") is None:
            item.add_marker(pytest.mark.unit)


EXAMPLES = REPO_ROOT / "examples"
# The verification body named by examples/illustrative-carbon-verification-2022.json.
VERIFIER_NAME = "Example Carbon Verification Body (illustrative)"


@dataclass
class Consortium:
    """A deployed consortium with a committee, a bank (publisher), a verifier and an outsider."""

    chain: Chain
    dep: Deployment
    committee: list[Any]
    bank: Any
    bank_id: int
    verifier: Any
    verifier_id: int
    rival: Any  # a second admitted publisher (e.g. for squatting tests)
    rival_id: int
    outsider: Any


def build_consortium(chain: Chain, funder_key: str | None = None) -> Consortium:
    committee = [Account.create() for _ in range(3)]
    bank, verifier, rival, outsider = (Account.create() for _ in range(4))
    for acct in (*committee, bank, verifier, rival, outsider):
        chain.fund(acct.address, funder_key=funder_key)
    dep = Deployment.deploy(
        chain, committee[0], committee=[a.address for a in committee], threshold=2, network=chain.name
    )
    voters, admit = committee[:2], Committee(dep).admit
    bank_id = admit(voters, OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [bank.address])
    verifier_id = admit(
        voters,
        OrganisationInfo(VERIFIER_NAME, "CN", "verification body", "CNAS", "V-1"),
        Role.VERIFIER,
        [verifier.address],
    )
    rival_id = admit(voters, OrganisationInfo("Rival Bank", "CN", "bank"), Role.PUBLISHER, [rival.address])
    return Consortium(chain, dep, committee, bank, bank_id, verifier, verifier_id, rival, rival_id, outsider)


@pytest.fixture
def consortium() -> Consortium:
    """A fresh embedded chain with the consortium deployed (function scope: tests may change state)."""
    return build_consortium(Chain.embedded())


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[Any]:
    """A real anvil node on 127.0.0.1 (free port), stopped after the test."""
    from attest.devtools.node import AnvilNode

    node = AnvilNode(tmp_path / "node")
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def anvil_consortium(anvil: Any) -> Consortium:
    from attest.devtools.node import dev_private_keys

    chain = Chain.connect(anvil.rpc_url)
    return build_consortium(chain, funder_key=dev_private_keys(1)[0])


@contextmanager
def consortium_on_anvil(root: Path) -> Iterator[tuple[Any, Consortium]]:
    """A real anvil under `root/node` with the consortium deployed on it; the node stopped after."""
    from attest.devtools.node import AnvilNode, dev_private_keys

    node = AnvilNode(root / "node")
    node.start()
    try:
        yield node, build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
    finally:
        node.stop()


def watch_requests(chain: Chain, seen: Any) -> Any:
    """Call `seen(calls, answers)` for every request the chain's one JSON-RPC client sends from now
    on (a batch is one request); returns what undoes it."""
    client: Any = chain.client
    answers = client.answers

    def watched(calls: Any) -> Any:
        got = answers(calls)
        seen(calls, got)
        return got

    client.answers = watched
    return lambda: delattr(client, "answers")


def mine(c: Consortium, blocks: int) -> None:
    """`blocks` empty blocks on the consortium's anvil (confirmations for what was just published)."""
    for _ in range(blocks):
        c.chain.call("evm_mine", [])


_SECOND_PARTIES: dict[str, Any] = {}


def second_party(url: str) -> list[str]:
    """`--rpc-url URL2`: a second party's node in front of the chain at `url` (an honest JSON-RPC
    proxy on 127.0.0.1, kept for the test session): with the node at `url`, the nodes of two parties,
    which `--require-proofs` needs to prove what is current (a checkpoint proves what was so at its
    block; whether it changed since is the node's word)."""
    from lying_proxy import LyingProxy

    if url not in _SECOND_PARTIES:
        _SECOND_PARTIES[url] = LyingProxy(url)
    return ["--rpc-url", _SECOND_PARTIES[url].url]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the second parties' proxies (`second_party`)."""
    for proxy in _SECOND_PARTIES.values():
        proxy.close()
    _SECOND_PARTIES.clear()


def checkpoint(url: str) -> list[str]:
    """`--trust-block NUMBER:HASH` naming the head of the node at `url`: the checkpoint an auditor
    obtains out of band. It proves what was so at its block; whether anything changed since is the
    node's word, so `--require-proofs` needs the nodes of two parties (`second_party`) to pass."""
    from attest.chain.rpc import HttpRpc

    head = HttpRpc(url).call("eth_getBlockByNumber", ["latest", False])
    return ["--trust-block", f"{int(head['number'], 16)}:{head['hash']}"]


def manifest_of(c: Consortium, root: Path) -> Path:
    """The consortium's deployment manifest, written to `root/deployment.json`."""
    from attest.core.manifest import write_atomic

    path = root / "deployment.json"
    write_atomic(path, c.dep.manifest.dump())
    return path
