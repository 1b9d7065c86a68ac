"""`attest publish`: anchor figures, files, statements and batches; receipts next to each."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from attest.cli._common import (
    chain_options,
    emit,
    handle_errors,
    json_option,
    load_signer,
    main,
    open_deployment,
    progress_bar,
    signer_options,
)
from attest.core.errors import InputError

if TYPE_CHECKING:
    from attest.app.journal import Journal


@main.group()
def publish() -> None:
    """Anchor documents; writes a receipt (and the canonical form) next to each."""


_F = TypeVar("_F", bound=Callable[..., Any])
_JOURNAL_KEY = "attest.app.journal"


def journal_option(f: _F) -> _F:
    """`--journal PATH` / ATTEST_JOURNAL, kept in the click context so command signatures stay unchanged."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        ctx.meta[_JOURNAL_KEY] = value
        return value

    return click.option(
        "--journal",
        envvar="ATTEST_JOURNAL",
        type=click.Path(dir_okay=False),
        expose_value=False,
        callback=remember,
        help="Crash-safe publishing journal (SQLite): re-running after a crash resumes, never doubles. "
        "Default: beside the manifest (<manifest>.journal.sqlite). Env ATTEST_JOURNAL.",
    )(f)


def _journal(deployment_path: str) -> Journal:
    from attest.app.journal import open_journal

    return open_journal(click.get_current_context().meta.get(_JOURNAL_KEY), deployment_path)


def _publish(
    kind_name: str,
    path: str,
    year: int | None,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
    *,
    covers: str | None = None,
    supersedes: str | None = None,
) -> None:
    with handle_errors():
        from attest.app.publishing import prepare, run_states
        from attest.app.publishing import publish as do_publish
        from attest.app.references import parse_covers, parse_supersedes, resolve_covers, resolve_supersedes
        from attest.cli.exits import end_unfinished
        from attest.core.contracts import Kind

        kind = Kind[kind_name.upper()]
        doc, _ = prepare(path, kind=kind, year=year)  # bad input fails here, before any key or chain
        covers_early = parse_covers(covers) if covers is not None else None
        replaces = parse_supersedes(supersedes, kind) if supersedes is not None else None
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        ref = None
        if covers_early is not None and doc.statement is not None:
            ref = resolve_covers(dep, covers_early, doc.statement)
        signer = load_signer(keystore, password_file)
        if replaces is not None:
            ref = resolve_supersedes(dep, replaces, signer.address, kind, doc.digest)
        with _journal(deployment_path) as journal:
            try:
                result = do_publish(dep, signer, doc, kind=kind, year=year, uri=uri, ref=ref, journal=journal)
            except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain
                states = run_states(dep, signer, journal, [(doc.path, doc.digest)], {})
                end_unfinished(exc, states, sys.stderr)
        a = result.published.attestation
        data = {
            "outcome": result.outcome,
            "file": str(result.document.path),
            "digest": result.document.digest,
            "uid": a.uid,
            "org_id": a.org_id,
            "transaction_hash": a.transaction_hash,
            "block_number": a.block_number,
            "gas_used": result.published.gas_used,
            "already_anchored": result.published.already_anchored,
            "receipt": str(result.receipt_path),
            "canonical": str(result.canonical_path) if result.canonical_path else None,
        }

        def human() -> None:
            state = "already anchored (nothing sent)" if result.published.already_anchored else "anchored"
            click.echo(f"{state}: {result.document.path}")
            click.echo(f"  digest   sha256 {result.document.digest} ({result.document.rule_text})")
            click.echo(f"  tx       {a.transaction_hash} in block {a.block_number}")
            if result.published.gas_used is not None:
                click.echo(f"  gas used {result.published.gas_used}")
            click.echo(f"  receipt  {result.receipt_path}")

        emit(as_json, data, human)


@publish.command("figures")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--uri", default="", help="Where the document can be fetched (optional).")
@click.option(
    "--supersedes",
    default=None,
    help="Publish a restatement: the figures it replaces, as their receipt file or attestation uid "
    "(your organisation's, same year, neither revoked nor already superseded).",
)
@chain_options
@signer_options
@journal_option
@json_option
def publish_figures(
    path: str,
    uri: str,
    supersedes: str | None,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor a yearly esg-figures/1 JSON document (by its RFC 8785 canonical digest)."""
    _publish(
        "figures",
        path,
        None,
        uri,
        deployment_path,
        rpc_url,
        confirmations,
        keystore,
        password_file,
        as_json,
        supersedes=supersedes,
    )


@publish.command("file")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--year", type=int, default=None, help="Reporting year the file belongs to (required).")
@click.option("--uri", default="", help="Where the document can be fetched (optional).")
@chain_options
@signer_options
@journal_option
@json_option
def publish_file(
    path: str,
    year: int | None,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor any file (e.g. the report PDF) by the sha256 of its raw bytes."""
    _publish(
        "file", path, year, uri, deployment_path, rpc_url, confirmations, keystore, password_file, as_json
    )


@publish.command("statement")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--covers",
    required=True,
    help="The figures it covers: their receipt file, their attestation uid (0x + 64 hex), or their "
    "sha256 digest (then the figures attestation by the organisation the statement names).",
)
@click.option("--uri", default="", help="Where the document can be fetched (optional).")
@chain_options
@signer_options
@journal_option
@json_option
def publish_statement(
    path: str,
    covers: str,
    uri: str,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor a carbon-verification/1 statement (as a verifier) covering a figures attestation."""
    _publish(
        "statement",
        path,
        None,
        uri,
        deployment_path,
        rpc_url,
        confirmations,
        keystore,
        password_file,
        as_json,
        covers=covers,
    )


@publish.command("batch")
@click.argument("paths", nargs=-1, required=True)
@click.option("--year", type=int, required=True, help="Reporting year the files belong to.")
@chain_options
@signer_options
@journal_option
@json_option
def publish_batch_cmd(
    paths: tuple[str, ...],
    year: int,
    deployment_path: str,
    rpc_url: str | None,
    confirmations: int | None,
    keystore: str,
    password_file: str | None,
    as_json: bool,
) -> None:
    """Anchor many files with ONE transaction (a Merkle root); a receipt with its proof next to each."""
    with handle_errors():
        from attest.app.batch import BatchTracker, publish_batch
        from attest.app.publishing import MAX_YEAR, MIN_YEAR
        from attest.cli.exits import end_unfinished
        from attest.core.inputs import collect_files

        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}", field="--year")
        collected = collect_files(paths)
        tracker = BatchTracker(list(collected.files))
        try:
            dep = open_deployment(deployment_path, rpc_url, confirmations)
            signer = load_signer(keystore, password_file)
            with progress_bar(hidden=as_json) as bar:
                task = bar.add_task("hashing and writing receipts", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                with _journal(deployment_path) as journal:
                    try:
                        result = publish_batch(
                            dep,
                            signer,
                            collected.files,
                            year=year,
                            progress=progress,
                            journal=journal,
                            tracker=tracker,
                        )
                    except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain
                        end_unfinished(exc, tracker.states(dep, signer, journal), sys.stderr, each=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain
            end_unfinished(exc, tracker.states(None, None, None), sys.stderr, each=False)
        skipped = collected.skipped
        a = result.published.attestation
        data = {
            "root": result.root,
            "files": result.files,
            "leaves": result.leaves,
            "uid": a.uid,
            "transaction_hash": a.transaction_hash,
            "block_number": a.block_number,
            "gas_used": result.published.gas_used,
            "already_anchored": result.published.already_anchored,
            "skipped": [{"path": str(p), "reason": why} for p, why in skipped],
        }
        for p, why in skipped:
            click.echo(f"skipped: {p}: {why}", err=True)
        emit(
            as_json,
            data,
            lambda: click.echo(
                f"{'already anchored' if result.published.already_anchored else 'anchored'}: "
                f"{result.files} files ({result.leaves} distinct) under root {result.root}\n"
                f"  tx {a.transaction_hash} in block {a.block_number}, gas used {result.published.gas_used}"
            ),
        )
