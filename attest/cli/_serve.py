"""`attest serve`: the read-only verification page for auditors and the public."""

from __future__ import annotations

import click

from attest.cli._common import (
    chain_options,
    handle_errors,
    main,
    open_deployment,
    proof_options,
    proof_policy,
)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="TCP port.")
@proof_options
@chain_options
def serve(
    host: str,
    port: int,
    quorum: int | None,
    trust_block: str | None,
    require_proofs: bool,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
) -> None:
    """Serve the verification page over the manifest and node(s) `attest verify` uses.

    Readers drop a document (hashed in their browser; only its digest is sent), a receipt, or paste
    a sha256, and see every check `attest verify` makes; there are also pages for an organisation's
    history, the deployment and disclosure proofs. Read-only: it holds no key and sends no
    transaction. Listens on 127.0.0.1 unless --host says otherwise. How the page works:
    docs/verification-page.md.
    """
    with handle_errors():
        import uvicorn

        from attest.core.header import parse_checkpoint
        from attest.server.app import ServeConfig, create_app, find_hasher

        checkpoint = parse_checkpoint(trust_block) if trust_block is not None else None
        hasher = find_hasher()  # before the chain is asked anything: the page cannot work without it
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        policy = proof_policy(dep, quorum, checkpoint, require_proofs)
        app = create_app(dep, ServeConfig(deployment_path, policy), hasher=hasher)
        click.echo(f"attest serve: http://{host}:{port}/ (read-only; Ctrl-C stops it)", err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
