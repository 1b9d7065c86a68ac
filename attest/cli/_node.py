"""`attest node`: the local persistent anvil node."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    _emit,
    _errors,
    json_option,
    main,
)

if TYPE_CHECKING:
    pass


@main.group()
def node() -> None:
    """A local persistent chain node (anvil from npm) on 127.0.0.1."""


@node.command("start")
@click.option("--data-dir", type=click.Path(file_okay=False), default=".attest-node", show_default=True)
@click.option("--port", type=int, default=8545, show_default=True)
@click.option("--zero-fees", is_flag=True, help="Free-gas profile, like a Besu/FISCO BCOS consortium chain.")
@json_option
def node_start(data_dir: str, port: int, zero_fees: bool, as_json: bool) -> None:
    """Start anvil in the background with its state persisted under DATA_DIR."""
    with _errors():
        from attest.node import AnvilNode, dev_private_keys

        n = AnvilNode(Path(data_dir), port=port, zero_fees=zero_fees)
        n.start()
        info = {
            "rpc_url": n.rpc_url,
            "pid": n.pid,
            "state_file": str(n.state_file),
            "dev_key_0": dev_private_keys(1)[0],
        }
        _emit(
            as_json,
            info,
            lambda: click.echo(f"anvil running at {n.rpc_url} (pid {n.pid}), state {n.state_file}"),
        )


@node.command("stop")
@click.option("--data-dir", type=click.Path(file_okay=False), default=".attest-node", show_default=True)
def node_stop(data_dir: str) -> None:
    """Stop the node started from DATA_DIR (its state is saved)."""
    with _errors():
        from attest.node import stop_by_info

        click.echo("stopped" if stop_by_info(Path(data_dir)) else "no node running")
