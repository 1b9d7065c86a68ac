"""`attest node`: the local persistent anvil node."""

from __future__ import annotations

from pathlib import Path

import click

from attest.cli._common import emit, handle_errors, json_option, main, parse_addresses
from attest.devtools.node import CONSORTIUM_BLOCK_TIME_S, CONSORTIUM_STATE_INTERVAL_S


@main.group()
def node() -> None:
    """A local persistent chain node (anvil from npm) on 127.0.0.1."""


@node.command("start")
@click.option("--data-dir", type=click.Path(file_okay=False), default=".attest-node", show_default=True)
@click.option("--port", type=int, default=8545, show_default=True)
@click.option("--zero-fees", is_flag=True, help="Free-gas profile, like a Besu/FISCO BCOS consortium chain.")
@click.option(
    "--block-time",
    type=click.FloatRange(min=0),
    default=CONSORTIUM_BLOCK_TIME_S,
    show_default=True,
    metavar="SECONDS",
    help="Mine a block every SECONDS with all waiting transactions, as a QBFT consortium chain does "
    "(every 1-2 s): publishing keeps its pace as the chain grows, and a lone transaction waits for "
    "the next block. 0: one block per transaction, at once (fast for a few transactions, but each "
    "block costs time in proportion to the chain's state, so bulk publishing slows as it grows).",
)
@click.option(
    "--state-interval",
    type=click.IntRange(min=1),
    default=CONSORTIUM_STATE_INTERVAL_S,
    show_default=True,
    metavar="SECONDS",
    help="Save the chain to DATA_DIR every SECONDS (and on stop): what a crash can lose, which the "
    "publishing journal re-sends. Each save is checked for consistency before it replaces the last "
    "one, and rewrites the whole chain (~0.5 GB at 100,000 attestations).",
)
@json_option
def node_start(
    data_dir: str, port: int, zero_fees: bool, block_time: float, state_interval: int, as_json: bool
) -> None:
    """Start anvil in the background with its state persisted under DATA_DIR.

    Its block time and how its state is saved and checked: docs/local-node.md. A consortium's own
    nodes (Besu, FISCO BCOS): docs/consortium-nodes.md.
    """
    with handle_errors():
        from attest.devtools.node import AnvilNode, dev_private_keys

        n = AnvilNode(
            Path(data_dir),
            port=port,
            zero_fees=zero_fees,
            block_time=block_time or None,
            state_interval=state_interval,
        )
        n.start()
        mining = f"a block every {block_time:g} s" if block_time else "a block per transaction"
        info = {
            "rpc_url": n.rpc_url,
            "pid": n.pid,
            "state_file": str(n.state_file),
            "block_time": block_time or None,
            "state_interval": state_interval,
            "dev_key_0": dev_private_keys(1)[0],
            "notices": n.notices,
        }
        for notice in n.notices:  # a torn or cut state file set aside: said even with --json
            click.echo(f"note: {notice}", err=True)
        emit(
            as_json,
            info,
            lambda: click.echo(f"anvil running at {n.rpc_url} (pid {n.pid}), {mining}, state {n.state_file}"),
        )


@node.command("stop")
@click.option("--data-dir", type=click.Path(file_okay=False), default=".attest-node", show_default=True)
def node_stop(data_dir: str) -> None:
    """Stop the node started from DATA_DIR (its state is saved)."""
    with handle_errors():
        from attest.devtools.node import stop_by_info

        click.echo("stopped" if stop_by_info(Path(data_dir)) else "no node running")


@node.command("fund")
@click.argument("addresses", nargs=-1, required=True, callback=parse_addresses)
@click.option("--ether", type=click.IntRange(1, 1_000), default=100, show_default=True)  # dev account: 10,000
@click.option("--rpc-url", envvar="ATTEST_RPC_URL", default="http://127.0.0.1:8545", show_default=True)
@json_option
def node_fund(addresses: tuple[str, ...], ether: int, rpc_url: str, as_json: bool) -> None:
    """Give accounts ether on a LOCAL anvil node, from its first (publicly known) dev account.

    Consortium chains fund their members' accounts through their operators, or need no ether at all
    (free gas; locally: `attest node start --zero-fees`). This refuses any node that is not anvil.
    """
    with handle_errors():
        from attest.chain.connection import Chain
        from attest.core.errors import ChainError
        from attest.devtools.node import dev_private_keys

        chain = Chain.connect(rpc_url)
        client = chain.client_version()
        if not client.lower().startswith("anvil"):
            raise ChainError(f"{rpc_url} runs {client!r}, not anvil: dev keys fund only a local node")
        for address in addresses:
            chain.fund(address, ether * 10**18, funder_key=dev_private_keys(1)[0])
        emit(
            as_json,
            {"funded": list(addresses), "ether": ether, "rpc_url": rpc_url},
            lambda: click.echo("\n".join(f"funded {a} with {ether} ETH on {rpc_url}" for a in addresses)),
        )
