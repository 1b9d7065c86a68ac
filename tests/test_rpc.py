"""The one JSON-RPC client (attest/chain/rpc.py) and what rests on it.

- A node's answers and the embedded chain's come back in the same dress (0x-hex JSON), so readers
  have one path; an error answer is mapped once: a revert decoded, a method the node does not serve
  `NodeRefused.method_not_found`, a node that does not answer `ChainUnreachable`.
- Verification imports no web3: `attest verify` of a receipt, proven against a real anvil, runs in
  a process that never loads web3, eth_account or eth_tester.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES, Consortium, consortium_on_anvil, manifest_of, mine, second_party

from attest.app.publishing import publish
from attest.chain.connection import Chain
from attest.chain.rpc import EmbeddedRpc, HttpRpc, NodeRefused, refusal
from attest.core.contracts import Kind
from attest.core.errors import ChainError, ChainUnreachable, TransactionReverted


@pytest.fixture(scope="module")
def anvil_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Consortium]]:
    root = tmp_path_factory.mktemp("rpc")
    with consortium_on_anvil(root) as (node, c):
        figures = root / "webank-2022-figures.json"
        shutil.copy(EXAMPLES / "webank-2022-figures.json", figures)
        publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
        mine(c, 3)
        c.dep.manifest = c.dep.manifest.model_copy(update={"rpc_url": node.rpc_url})
        yield root, figures, c


@pytest.mark.parametrize(
    "command",
    [
        [
            "verify",
            "{receipt}",
            "-d",
            "{manifest}",
            "--require-proofs",
            "--rpc-url",
            "{node}",
            "--rpc-url",
            "{second}",
        ],
        [
            "verify",
            "{figures}",
            "-d",
            "{manifest}",
            "--require-proofs",
            "--rpc-url",
            "{node}",
            "--rpc-url",
            "{second}",
        ],
        [
            "verify-many",
            "{figures}",
            "{receipt}",
            "-d",
            "{manifest}",
            "--require-proofs",
            "--rpc-url",
            "{node}",
            "--rpc-url",
            "{second}",
        ],
        ["verify", "{receipt}", "-d", "{manifest}", "--offline", "--trust-block", "{block}"],
    ],
    ids=["receipt", "file", "verify-many", "offline"],
)
def test_verification_imports_no_web3(anvil_world: tuple[Path, Path, Consortium], command: list[str]) -> None:
    root, figures, c = anvil_world
    receipt = figures.with_name(figures.name.removesuffix(".json") + ".receipt.json")
    assert receipt.exists(), sorted(p.name for p in root.iterdir())
    manifest = manifest_of(c, root)
    chain = json.loads(receipt.read_text(encoding="utf-8"))["chain"]
    block = f"{chain['block_number']}:{chain['block_hash']}"
    node = c.dep.manifest.rpc_url or ""
    second = second_party(node)[1]  # the nodes of two parties: what --require-proofs needs
    argv = [
        a.format(receipt=receipt, manifest=manifest, figures=figures, block=block, node=node, second=second)
        for a in command
    ]
    program = (
        "import sys\n"
        "from attest.cli import main\n"
        f"sys.argv = ['attest', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('EXIT', code)\n"
        "print('LOADED', [m for m in ('web3', 'eth_account', 'eth_tester', 'aiohttp') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert "EXIT 0" in done.stdout, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout or "2 verified, 0 not verified" in done.stdout, done.stdout
    assert "✓ proofs" in done.stdout or "proven against" in done.stdout or "--offline" in argv, done.stdout
    assert "LOADED []" in done.stdout, done.stdout


def test_a_node_and_the_embedded_chain_answer_in_one_dress(
    anvil_world: tuple[Path, Path, Consortium],
) -> None:
    """The same questions to anvil (HttpRpc) and to the embedded chain (EmbeddedRpc): the same keys,
    every quantity and datum 0x-hex, so no reader needs a second path."""
    _, _, c = anvil_world
    embedded = Chain.embedded()
    assert isinstance(embedded.client, EmbeddedRpc) and isinstance(c.chain.client, HttpRpc)
    for chain in (c.chain, embedded):
        block = chain.call("eth_getBlockByNumber", ["0x0", False])
        for key in ("number", "timestamp", "gasLimit"):
            assert isinstance(block[key], str) and block[key].startswith("0x"), (chain.name, key, block[key])
        assert len(bytes.fromhex(block["logsBloom"][2:])) == 256
        assert isinstance(block["hash"], str) and len(block["hash"]) == 66
        head, batched = chain.batch([("eth_blockNumber", []), ("eth_chainId", [])])
        assert chain.result(head, "eth_blockNumber").startswith("0x")
        assert int(chain.result(batched, "eth_chainId"), 16) == chain.chain_id


def test_a_revert_is_decoded_alike_from_a_node_and_from_the_embedded_chain(
    anvil_world: tuple[Path, Path, Consortium], consortium: Consortium
) -> None:
    """`proposal(999)` reverts with UnknownProposal(999) on both chains; both clients map it to the
    same TransactionReverted, named."""
    _, _, c = anvil_world
    for dep in (c.dep, consortium.dep):
        with pytest.raises(TransactionReverted) as caught:
            dep.governance.call("proposal", 999)
        assert caught.value.error_name == "UnknownProposal", (dep.chain.name, caught.value)


def test_refusals_are_mapped_once() -> None:
    not_served = refusal({"code": -32601, "message": "Method not found"}, "eth_getProof", "node")
    assert isinstance(not_served, NodeRefused) and not_served.method_not_found
    assert "node refused eth_getProof: Method not found" in str(not_served)
    revert = refusal({"code": 3, "message": "execution reverted", "data": "0x"}, "eth_call", "node")
    assert isinstance(revert, TransactionReverted)
    poor = refusal({"code": -32000, "message": "insufficient funds for gas * price + value"}, "x", "node")
    assert isinstance(poor, ChainError) and "attest node fund" in str(poor)


def test_a_node_that_does_not_answer_is_unreachable_and_one_that_answers_garbage_a_chain_error(
    tmp_path: Path,
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ChainUnreachable):
        HttpRpc(f"http://127.0.0.1:{port}", timeout=2).call("eth_blockNumber", [])
    from rpc_proxy import ProxyServer

    class Garbage(ProxyServer):
        def handle(self, body: bytes) -> bytes:
            return json.dumps({"jsonrpc": "2.0", "id": 999, "result": "0x1"}).encode()

    server = Garbage(upstream="")
    try:
        with pytest.raises(ChainError, match="gave no answer to eth_blockNumber"):
            HttpRpc(server.url).call("eth_blockNumber", [])
    finally:
        server.close()
