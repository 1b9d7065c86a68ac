"""`attest publish`: anchor figures, files, statements and batches; receipts next to each."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
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
    from attest.chain.deployment import Deployment
    from attest.core.contracts import Kind
    from attest.core.statement import CarbonVerification


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
        from attest.app.publishing import prepare
        from attest.app.publishing import publish as do_publish
        from attest.core.contracts import Kind

        kind = Kind[kind_name.upper()]
        doc, _ = prepare(path, kind=kind, year=year)  # bad input fails here, before any key or chain
        covers_early = _covers_syntax(covers) if covers is not None else None
        replaces = _supersedes_syntax(supersedes, kind.label) if supersedes is not None else None
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        ref = None
        if covers_early is not None and doc.statement is not None:
            ref = _resolve_covers(dep, covers_early, doc.statement)
        signer = load_signer(keystore, password_file)
        if replaces is not None:
            ref = _resolve_supersedes(dep, replaces, signer.address, kind, doc.digest)
        with _journal(deployment_path) as journal:
            result = do_publish(dep, signer, doc, kind=kind, year=year, uri=uri, ref=ref, journal=journal)
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


_UID = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _covers_syntax(covers: str) -> tuple[str, str]:
    """Classify --covers without touching the chain: ("uid", uid) or ("digest", hex)."""
    if _UID.fullmatch(covers):
        return "uid", covers.lower()
    if _HEX64.fullmatch(covers) and not Path(covers).is_file():
        return "digest", covers.lower()
    if Path(covers).is_file():
        from attest.core.receipt import load_receipt

        receipt = load_receipt(covers)
        if receipt.attestation.kind != "figures":
            raise InputError(
                f"the receipt is for a {receipt.attestation.kind} attestation, not figures",
                path=covers,
                field="--covers",
            )
        return "uid", receipt.attestation.uid.lower()
    raise InputError(
        f"{covers!r} is not a receipt file, an attestation uid (0x + 64 hex) or a sha256 digest",
        field="--covers",
    )


def _resolve_covers(dep: Deployment, covers: tuple[str, str], statement: CarbonVerification) -> str:
    """The uid of the figures attestation a statement covers; InputError (exit 2) if there is none."""
    from attest.core.contracts import Kind

    how, value = covers
    if how == "digest":
        name = statement.organisation.name
        org_ids = {o.org_id for o in dep.organisations() if o.info.name == name}
        if not org_ids:
            raise InputError(
                f"the statement names organisation {name!r}, which is not an admitted member",
                field="--covers",
            )
        found = [
            a
            for a in dep.attestations_of_digest(value)
            if a.org_id in org_ids and a.kind is Kind.FIGURES and not a.revoked
        ]
        if not found:
            raise InputError(f"no unrevoked figures attestation of {value} by {name!r}", field="--covers")
        if len(found) > 1:
            uids = ", ".join(a.uid for a in found)
            raise InputError(f"several figures attestations of {value} by {name!r}: {uids}", field="--covers")
        value = found[0].uid
    target = dep.attestation(value)
    if target is None:
        raise InputError(f"no attestation with uid {value}", field="--covers")
    if target.kind is not Kind.FIGURES:
        raise InputError(f"attestation {value} is {target.kind.label}, not figures", field="--covers")
    if target.year != statement.reporting_year:
        raise InputError(
            f"the figures attestation is for {target.year}, the statement for {statement.reporting_year}",
            field="--covers",
        )
    return target.uid


def _supersedes_syntax(supersedes: str, kind: str) -> str:
    """The uid a restatement replaces, from a uid or a receipt file, without touching the chain."""
    if _UID.fullmatch(supersedes):
        return supersedes.lower()
    if Path(supersedes).is_file():
        from attest.core.receipt import load_receipt

        receipt = load_receipt(supersedes)
        if receipt.attestation.kind != kind:
            raise InputError(
                f"the receipt is for a {receipt.attestation.kind} attestation, not {kind}",
                path=supersedes,
                field="--supersedes",
            )
        return receipt.attestation.uid.lower()
    raise InputError(
        f"{supersedes!r} is not a receipt file or an attestation uid (0x + 64 hex)", field="--supersedes"
    )


def _resolve_supersedes(dep: Deployment, uid: str, signer: str, kind: Kind, digest: str) -> str:
    """Check the registry's restatement rule before sending, so a refusal is exit 2 and costs nothing."""
    from attest.core.contracts import Kind as _Kind

    old = dep.attestation(uid)
    if old is None:
        raise InputError(f"no attestation with uid {uid}", field="--supersedes")
    org_id = dep.account_org(signer)
    if old.org_id != org_id:
        raise InputError(
            f"attestation {uid} belongs to organisation #{old.org_id}, not the signer's (#{org_id})",
            field="--supersedes",
        )
    if old.kind is not _Kind(kind):
        raise InputError(f"attestation {uid} is {old.kind.label}, not {kind.label}", field="--supersedes")
    if old.revoked:
        raise InputError(
            f"attestation {uid} is revoked: there is nothing live to restate", field="--supersedes"
        )
    if old.superseded_by:
        raise InputError(
            f"attestation {uid} is already superseded by {old.superseded_by}", field="--supersedes"
        )
    if old.digest == digest:
        raise InputError(
            "the restatement is the same document as the one it supersedes", field="--supersedes"
        )
    return old.uid


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
        from attest.app.batch import publish_batch
        from attest.app.publishing import MAX_YEAR, MIN_YEAR
        from attest.core.inputs import collect_files

        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}", field="--year")
        collected = collect_files(paths)
        dep = open_deployment(deployment_path, rpc_url, confirmations)
        signer = load_signer(keystore, password_file)
        with progress_bar(hidden=as_json) as bar:
            task = bar.add_task("hashing and writing receipts", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            with _journal(deployment_path) as journal:
                result = publish_batch(
                    dep, signer, collected.files, year=year, progress=progress, journal=journal
                )
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
