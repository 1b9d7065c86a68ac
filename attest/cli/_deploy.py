"""`attest deploy`: deploy the contracts and write the deployment manifest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from attest.cli._common import (
    emit,
    handle_errors,
    json_option,
    load_signer,
    main,
    parse_addresses,
    signer_options,
)
from attest.core.chain_family import FAMILIES
from attest.core.errors import InputError

if TYPE_CHECKING:
    pass


@main.command()
@click.option(
    "--rpc-url", envvar="ATTEST_RPC_URL", required=True, help="JSON-RPC endpoint. Env ATTEST_RPC_URL."
)
@signer_options
@click.option(
    "--committee",
    multiple=True,
    callback=parse_addresses,
    help="Committee member address (repeat). Default: the deployer.",
)
@click.option("--threshold", type=int, default=1, show_default=True)
@click.option("--network", default="local", show_default=True, help="Name recorded in the manifest.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Manifest path (default deployments/NETWORK.json).",
)
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--family",
    type=click.Choice(list(FAMILIES)),
    default="ethereum",
    show_default=True,
    help="The kind of chain, recorded in the manifest: how its block hash is computed and what can be "
    "proven on it (ethereum: anvil, geth, Besu PoA/PoS; besu-bft: Besu IBFT 2.0/QBFT; fisco-bcos: FISCO "
    "BCOS 3.x, where nothing is proven).",
)
@json_option
def deploy(
    rpc_url: str,
    keystore: str,
    password_file: str | None,
    committee: tuple[str, ...],
    threshold: int,
    network: str,
    out: str | None,
    confirmations: int,
    family: str,
    as_json: bool,
) -> None:
    """Deploy governance and registry; write the deployment manifest.

    The manifest (docs/formats.md) is what publishing and verifying read with -d; publish it, with its
    sha256, for auditors. On a consortium chain (Besu, FISCO BCOS): docs/consortium-nodes.md.
    """
    with handle_errors():
        from attest.chain.connection import Chain
        from attest.chain.deployment import Deployment
        from attest.core.manifest import write_atomic

        out_path = Path(out or f"deployments/{network}.json")
        if out_path.exists():
            raise InputError("a manifest already exists here; choose another --out", path=out_path)
        signer = load_signer(keystore, password_file)
        chain = Chain.connect(rpc_url, confirmations=confirmations)
        members = list(committee) or [signer.address]
        dep = Deployment.deploy(
            chain,
            signer,
            committee=members,
            threshold=threshold,
            network=network,
            rpc_url=rpc_url,
            family=family,
        )
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out_path, dep.manifest.dump())
        m = dep.manifest
        data = {
            "manifest": str(out_path),
            "chain_id": m.chain_id,
            "governance": m.governance.address,
            "registry": m.registry.address,
        }
        emit(
            as_json,
            data,
            lambda: click.echo(
                f"deployed on chain {m.chain_id}: governance {m.governance.address}, "
                f"registry {m.registry.address}\n"
                f"manifest written to {out_path}"
            ),
        )
