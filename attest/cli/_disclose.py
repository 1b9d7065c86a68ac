"""`attest publish disclosure-root`, `attest disclose`, `attest verify-disclosure`, `attest audit-disclosure`:
one figure at a time, from the one tree the registry binds to the figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from attest.cli._common import (
    SYMBOL,
    chain_options,
    emit,
    handle_errors,
    json_option,
    load_signer,
    main,
    open_deployment,
    proof_options,
    proof_policy,
    signer_options,
)
from attest.cli._publish import publish
from attest.core.report_text import check_line, legend, printable


@publish.command("disclosure-root")
@click.argument("figures", type=click.Path(dir_okay=False))
@chain_options
@signer_options
@json_option
def publish_disclosure_root(
    figures: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor the salted private-data root of FIGURES, so single figures can be disclosed later.

    Writes FIGURES' tree with its salts to <name>.disclosure.json (keep it private: it can disclose
    any figure) and anchors its root as the figures' disclosure root, bound on-chain to their
    attestation. The figures must be published first: the tree names their digest, and every
    disclosure is checked against them. The registry binds one root per figures attestation and
    refuses a second, even after the first is revoked: restate the figures to disclose from a new
    tree. Safe to re-run. How disclosure works and what it proves: docs/disclosure.md.
    """
    with handle_errors():
        from attest.app.disclosure import publish_disclosure_root, read_figures
        from attest.app.journal import open_journal

        read_figures(Path(figures))  # bad input fails here, before any key or chain
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        signer = load_signer(keystore, password_file)
        with open_journal(None, deployment_path) as journal:  # $ATTEST_JOURNAL, else beside the manifest
            result = publish_disclosure_root(dep, signer, Path(figures), journal=journal)
        a = result.published.attestation
        data = {
            "figures": figures,
            "tree_file": str(result.tree_file),
            "root": result.root,
            "uid": a.uid,
            "figures_uid": a.ref,
            "transaction_hash": a.transaction_hash,
            "block_number": a.block_number,
            "gas_used": result.published.gas_used,
            "already_anchored": result.published.already_anchored,
        }

        def human() -> None:
            state = "already anchored (nothing sent)" if result.published.already_anchored else "anchored"
            click.echo(f"{state}: private-data root of {figures}")
            click.echo(f"  root     {result.root}")
            click.echo(f"  bound to figures attestation {a.ref} (the only root they will have)")
            click.echo(f"  tx       {a.transaction_hash} in block {a.block_number}")
            click.echo(f"  tree     {result.tree_file} (private: holds every figure's salt)")

        emit(as_json, data, human)


@main.command()
@click.argument("figures", type=click.Path(dir_okay=False))
@click.option("--metric", "code", required=True, help="Code of the metric to disclose (e.g. E.GHG.SCOPE1).")
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="Proof file (default: next to FIGURES)."
)
@json_option
def disclose(figures: str, code: str, out: str | None, as_json: bool) -> None:
    """Write a proof of one metric of FIGURES, verifiable without the rest of the figures."""
    with handle_errors():
        from attest.app.disclosure import disclose as make_proof
        from attest.core.manifest import write_atomic
        from attest.core.sidefiles import disclosure_proof_path

        proof = make_proof(Path(figures), code)
        path = Path(out) if out else disclosure_proof_path(Path(figures), code)
        write_atomic(path, (json.dumps(proof, indent=2, ensure_ascii=False) + "\n").encode())
        m = proof["metric"]
        emit(
            as_json,
            {"proof": str(path), "metric": m, "root": proof["root"]},
            lambda: click.echo(f"disclosed {m['code']} = {m['value']} {m['unit']}: {path}"),
        )


@main.command("verify-disclosure")
@click.argument("proof", type=click.Path(dir_okay=False))
@click.option(
    "--statement",
    type=click.Path(dir_okay=False),
    default=None,
    help="A carbon-verification/1 statement covering the figures that names this root as audited.",
)
@proof_options
@chain_options
@json_option
def verify_disclosure(
    proof: str,
    statement: str | None,
    quorum: int | None,
    trust_block: str | None,
    require_proofs: bool,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """Check a disclosed figure: its proof leads to the one root the registry binds to the figures
    named, anchored, live, by the organisation named.

    The value is what the publisher's tree says: unless --statement names a verification statement
    that covers these figures and names this root (its verifier audited the tree), a warning says so.

    As `attest verify`, it first settles on a trusted block (every --rpc-url node, or --quorum of
    them, or --trust-block); the root's, the figures' and the statement's facts and the binding
    itself (`bound`) are proven against it, or rest on the node's word (failed by --require-proofs).
    """
    with handle_errors():
        from attest.app.disclosure import parse_proof, read_statement
        from attest.app.disclosure import verify_disclosure as check
        from attest.app.proven import Prover
        from attest.core.header import parse_checkpoint

        parse_proof(Path(proof))  # bad input fails before the chain is contacted
        if statement is not None:
            read_statement(Path(statement))
        checkpoint = parse_checkpoint(trust_block) if trust_block is not None else None
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        # before anything is checked: one block whose hash the nodes agree on (or the checkpoint's)
        prover = Prover(dep, proof_policy(dep, quorum, checkpoint, require_proofs))
        result = check(dep, Path(proof), statement=Path(statement) if statement else None, prover=prover)

        def human() -> None:
            m = result.metric
            click.echo(f"{proof}: {m['code']} ({m['label']}) = {m['value']} {m['unit']}")
            for line in [*(check_line(c) for c in result.checks), *legend(result.checks)]:
                click.echo(line)
            failed = [c.name for c in result.checks if c.status == "fail"]
            if not result.verified:
                click.echo(f"NOT VERIFIED (failed: {', '.join(failed)})")
            elif result.audited_by is not None:
                click.echo(f"VERIFIED (tree audited by {printable(result.audited_by)})")
            else:
                click.echo("VERIFIED (the value rests on the publisher's tree)")

        emit(as_json, result.to_json(), human)
        sys.exit(0 if result.verified else 1)


@main.command("audit-disclosure")
@click.argument("figures", type=click.Path(dir_okay=False))
@click.argument("tree", type=click.Path(dir_okay=False))
@chain_options
@json_option
def audit_disclosure(
    figures: str,
    tree: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    as_json: bool,
) -> None:
    """Recompute every leaf of disclosure TREE and its root from FIGURES and the tree's salts.

    For a verifier auditing the publisher's tree (<name>.disclosure.json) before naming its root in a
    statement (disclosure_root). One line per mismatch and exit 1 if any leaf, the root, or the root
    the registry binds to the figures disagrees; exit 0 with a summary when all agree.
    """
    with handle_errors():
        from attest.app.disclosure import audit_disclosure as audit
        from attest.app.disclosure import load_tree, read_figures

        read_figures(Path(figures))  # bad input fails before the chain is contacted
        load_tree(Path(tree))
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        result = audit(dep, Path(figures), Path(tree))

        def human() -> None:
            for m in result.mismatches:
                click.echo(f"{SYMBOL['fail']} {printable(m.leaf)}: {printable(m.detail)}")
            if not result.audited:
                click.echo(f"NOT AUDITED: {len(result.mismatches)} mismatch(es) between {tree} and {figures}")
                return
            click.echo(
                f"{SYMBOL['pass']} {result.metrics} metric leaves and the document leaf of {tree} "
                f"recomputed from {figures}: all agree"
            )
            click.echo(
                f"{SYMBOL['pass']} root {result.root}: the one bound on-chain to figures attestation "
                f"{result.figures_uid} (disclosure attestation {result.disclosure_uid})"
            )
            click.echo(f"AUDITED: a statement may name disclosure_root {result.root}")

        emit(as_json, result.to_json(), human)
        sys.exit(0 if result.audited else 1)
