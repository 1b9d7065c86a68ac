"""Settling on one trusted header: real anvil nodes, and proxies in front of them that lie.

Each lie a node can tell about a block is caught: another hash for the same number, header fields
that do not hash to the hash it names, another chain altogether, no answer at all; the error (or the
result's dissent) names the node and what it said. A checkpoint's hash overrides every node."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from lying_proxy import LyingProxy, another_hash, forged_state_root, honest, low_head

from attest.chain.connection import Chain
from attest.chain.proving import block_header
from attest.chain.quorum import settle_header
from attest.chain.rpc import HttpRpc
from attest.core.errors import InputError
from attest.core.header import Checkpoint, header_hash
from attest.core.proof_errors import QuorumError
from attest.devtools.node import AnvilNode, dev_private_keys, free_port

pytestmark = pytest.mark.anvil


@pytest.fixture
def node(anvil: Any) -> str:
    """A node with a few blocks (one transfer each)."""
    chain = Chain.connect(anvil.rpc_url)
    for _ in range(3):
        chain.fund(Account.create().address, 10**18, funder_key=dev_private_keys(1)[0])
    return str(anvil.rpc_url)


@pytest.fixture
def other_chain(tmp_path: Path) -> Iterator[str]:
    """An independent anvil with as many blocks, all empty: another chain at every height >= 1."""
    other = AnvilNode(tmp_path / "other")
    other.start()
    try:
        rpc = HttpRpc(other.rpc_url)
        for _ in range(3):
            rpc.call("evm_mine", [])
        yield other.rpc_url
    finally:
        other.stop()


@pytest.fixture
def proxies() -> Iterator[list[LyingProxy]]:
    made: list[LyingProxy] = []
    yield made
    for p in made:
        p.close()


def proxy(made: list[LyingProxy], upstream: str, lie: Any = honest) -> str:
    made.append(LyingProxy(upstream, lie))
    return made[-1].url


def real_hash(url: str, number: int) -> str:
    return (
        "0x"
        + bytes.fromhex(HttpRpc(url).call("eth_getBlockByNumber", [hex(number), False])["hash"][2:]).hex()
    )


def test_the_same_node_twice_and_an_honest_proxy_agree(node: str, proxies: list[LyingProxy]) -> None:
    head = int(HttpRpc(node).call("eth_blockNumber", []), 16)
    trusted = settle_header([node, node + "/"])
    assert trusted.agreed == (node,) and trusted.dissent == ()  # one URL is one vote
    assert trusted.number == head and "0x" + trusted.hash.hex() == real_hash(node, head)
    header, claimed = block_header(node, head)
    assert header_hash(trusted.header) == trusted.hash == claimed
    assert (trusted.state_root, trusted.receipts_root, trusted.timestamp) == (
        header.state_root,
        header.receipts_root,
        header.timestamp,
    )
    via = proxy(proxies, node)
    assert settle_header([node, via]).agreed == (node, via)
    with pytest.raises(InputError, match="quorum 2 of 1 distinct node"):
        settle_header([node, node], quorum=2)


def test_two_independent_chains_disagree(node: str, other_chain: str) -> None:
    with pytest.raises(QuorumError) as caught:
        settle_header([node, other_chain])
    message = str(caught.value)
    assert message.startswith("the nodes do not agree on block 3:")
    assert f"{node}: {real_hash(node, 3)}" in message
    assert f"{other_chain}: {real_hash(other_chain, 3)}" in message
    assert "(1 of 2 node(s) (2 required) on one hash)" in message
    with pytest.raises(QuorumError, match="the nodes split on block 3, each side a quorum"):
        settle_header([node, other_chain], quorum=1)


def test_two_of_three_pass_naming_the_node_on_another_chain(
    node: str, other_chain: str, proxies: list[LyingProxy]
) -> None:
    """A consistent liar: its blocks hash to their hashes, but it is another chain."""
    trusted = settle_header([node, proxy(proxies, node), other_chain], quorum=2)
    assert "0x" + trusted.hash.hex() == real_hash(node, 3)
    assert [(d.url, d.said) for d in trusted.dissent] == [(other_chain, real_hash(other_chain, 3))]


@pytest.mark.parametrize(
    ("lie", "said"),
    [
        (another_hash, "names hash 0x" + "ab" * 32 + ", but its header fields hash to {real}"),
        (forged_state_root, "names hash {real}, but its header fields hash to 0x"),
    ],
)
def test_a_lying_node_is_outvoted_or_stops_the_quorum(
    node: str, proxies: list[LyingProxy], lie: Any, said: str
) -> None:
    honest_one, liar = proxy(proxies, node), proxy(proxies, node, lie)
    real = real_hash(node, 3)
    trusted = settle_header([node, honest_one, liar], quorum=2)
    assert trusted.agreed == (node, honest_one)
    ((dissenter,),) = [trusted.dissent]
    assert dissenter.url == liar and dissenter.hash is None
    assert dissenter.said.startswith(said.format(real=real))
    assert trusted.header.state_root != b"\x11" * 32
    with pytest.raises(QuorumError, match=f"{liar}: " + said.format(real=real).split(",")[0]):
        settle_header([node, honest_one, liar])  # all required
    with pytest.raises(QuorumError, match="0 of 1 node"):
        settle_header([liar])  # alone, the liar is believed by nobody


def test_an_unreachable_node_is_named(node: str, proxies: list[LyingProxy]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    trusted = settle_header([node, proxy(proxies, node), dead], quorum=2, timeout=2)
    assert [(d.url, d.said) for d in trusted.dissent] == [(dead, "unreachable")]
    expected = f"2 of 3 node(s) (3 required) answer eth_blockNumber: {dead}: unreachable"
    with pytest.raises(QuorumError, match=re.escape(expected)):
        settle_header([node, proxy(proxies, node), dead], timeout=2)


def test_the_block_is_the_lowest_head_less_the_confirmations(node: str, proxies: list[LyingProxy]) -> None:
    assert settle_header([node], confirmations=3).number == 1
    assert settle_header([node, proxy(proxies, node, low_head(1))]).number == 2
    assert settle_header([node], number=0).number == 0
    with pytest.raises(QuorumError, match="no block has 5 confirmations yet: the lowest head is 3"):
        settle_header([node], confirmations=5)
    with pytest.raises(QuorumError, match="has no block 9"):
        settle_header([node], number=9)


def test_a_checkpoint_is_the_trusted_hash(node: str, other_chain: str, proxies: list[LyingProxy]) -> None:
    good = Checkpoint(2, bytes.fromhex(real_hash(node, 2)[2:]))
    liar = proxy(proxies, node, forged_state_root)
    trusted = settle_header([other_chain, liar, node], checkpoint=good)
    assert trusted.number == 2 and trusted.hash == good.hash and trusted.checkpoint == good
    assert trusted.agreed == (node,) and {d.url for d in trusted.dissent} == {other_chain, liar}
    wrong = Checkpoint(2, b"\x42" * 32)
    expected = f"0 of 1 node(s) (1 required) serve the checkpoint's block 2:0x{'42' * 32}"
    with pytest.raises(QuorumError, match=re.escape(expected)):
        settle_header([node], checkpoint=wrong)
    with pytest.raises(QuorumError, match="serve the checkpoint's block"):
        settle_header([other_chain, liar], checkpoint=good)  # nobody has a header that hashes to it
    with pytest.raises(InputError, match="not both"):
        settle_header([node], checkpoint=good, number=2)


def test_bad_settings_are_input_errors(node: str) -> None:
    for kwargs, match in [
        ({"quorum": 0}, "quorum 0 of 1"),
        ({"confirmations": 0}, "confirmations must be at least 1"),
    ]:
        with pytest.raises(InputError, match=match):
            settle_header([node], **kwargs)
    with pytest.raises(InputError, match="at least one node URL"):
        settle_header([])


def test_the_click_choice_of_families_is_the_registry() -> None:
    """`attest deploy --family` offers exactly the families `attest.core.chain_family` knows."""
    import click

    from attest.cli._deploy import deploy
    from attest.core.chain_family import FAMILIES

    (option,) = [p for p in deploy.params if p.name == "family"]
    assert isinstance(option.type, click.Choice) and list(option.type.choices) == list(FAMILIES)
