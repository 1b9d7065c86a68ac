"""Publish one reporting year: the bank's ESG figures and its report PDF, anchored in one run.

This is the bank's yearly publishing script, built on the esg-attest library's public API (the same
code the `attest` command line uses). Each year the sustainability team runs::

    python scripts/publish_year.py --deployment deployments/consortium.json \\
        --keystore keys/webank-publisher.json --password-file /run/secrets/attest-password \\
        --figures webank-2023-figures.json --report webank-2023-sustainability-report.pdf \\
        --report-uri https://www.webank.com/esg/2023.pdf

What it does, in this order:

1. validates BOTH inputs (strict JSON, the esg-figures/1 schema, the report year) before any key is
   decrypted or the chain is contacted: bad input exits 2 and nothing is sent;
2. anchors the figures (kind FIGURES, by the sha256 of their RFC 8785 canonical form), then the
   report (kind FILE, raw bytes, for the figures' ``reporting_year``);
3. writes, next to each input, its receipt (``*.receipt.json``) and, for the figures, their
   canonical form (``*.canonical.json``, so plain ``sha256sum`` reproduces the digest).

A restatement of figures already published adds ``--supersedes OLD`` (the old figures' receipt or
attestation uid): the new figures replace them on-chain, which the registry allows only for the
organisation's own live figures of the same kind — checked before anything is sent.

The verification body publishes its carbon-verification/1 statement with the same script and its
own keystore, naming the figures it covers (their receipt, attestation uid or sha256 digest)::

    python scripts/publish_year.py --deployment deployments/consortium.json \\
        --keystore keys/verifier.json --statement webank-2023-verification.json \\
        --covers webank-2023-figures.receipt.json

``--covers`` and ``--supersedes`` are read and checked against the chain by attest.app.references,
exactly as ``attest publish statement --covers`` and ``attest publish figures --supersedes`` do.

Re-running is safe: a document this organisation already anchored, live and as asked, is reported
as done and nothing is sent, so after a crash or a failed second step simply run the same command
again. One whose attestation was revoked (exit 5), or that was anchored with another year or
reference — e.g. a restatement re-run with another ``--supersedes`` (exit 6) — is an error: it is not
anchored as asked, and the registry keeps one attestation of a document per organisation.

The password comes from ``--password-file``, else ``$ATTEST_PASSWORD``, else a prompt when run from a
terminal. With the key in an HSM, ``--signer 'pkcs11:token=…;object=…'`` replaces ``--keystore``
(module: ``--pkcs11-module`` or ``$ATTEST_PKCS11_MODULE``; PIN: ``--pin-file``, ``$ATTEST_PKCS11_PIN``
or the prompt). Exit codes are attest's: 0 done, 2 bad input or usage, 3 chain unreachable or
misconfigured or a transaction failed (e.g. the account is not an admitted publisher), 4 internal
error, 5 and 6 as above, 130 interrupted (docs/exit-codes.md). Errors are one line on stderr; a run
interrupted or stopped by the chain also says what became of each document and how to finish.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from attest.app.journal import open_journal
from attest.app.publishing import ANCHORED, DocumentState, PublishResult, prepare, publish, run_states
from attest.app.references import parse_covers, parse_supersedes, resolve_covers, resolve_supersedes
from attest.chain.deployment import Deployment
from attest.chain.signer import SignerChoice
from attest.cli.exits import end_unfinished, exit_codes_epilog, one_line_errors
from attest.cli.script_signer import add_signer_arguments, signer_choice
from attest.core.contracts import Kind
from attest.core.errors import InputError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="publish_year.py",
        description="Anchor a reporting year's ESG figures and report PDF (or a verification statement "
        "covering them); write receipts next to them.",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--deployment", required=True, help="Deployment manifest (JSON).")
    add_signer_arguments(parser)
    parser.add_argument("--rpc-url", default=None, help="JSON-RPC endpoint (default: the manifest's).")
    parser.add_argument("--figures", default=None, help="The year's esg-figures/1 JSON document.")
    parser.add_argument("--report", default=None, help="The year's report (the PDF), anchored as raw bytes.")
    parser.add_argument("--report-uri", default="", help="Where the report can be fetched (optional).")
    parser.add_argument(
        "--supersedes",
        default=None,
        help="Publish the figures as a restatement of earlier ones: their receipt file or attestation uid.",
    )
    parser.add_argument(
        "--statement",
        default=None,
        help="Instead of figures and report: a carbon-verification/1 statement (the verification "
        "body's keystore publishes it).",
    )
    parser.add_argument(
        "--covers",
        default=None,
        help="With --statement: the figures it covers (their receipt, attestation uid or sha256 digest).",
    )
    parser.add_argument("--statement-uri", default="", help="Where the statement can be fetched (optional).")
    parser.add_argument("--json", dest="as_json", action="store_true", help="Machine-readable output.")
    parser.add_argument(
        "--journal",
        default=None,
        help="Crash-safe publishing journal (SQLite; else $ATTEST_JOURNAL, else beside the manifest).",
    )
    return parser.parse_args(argv)


def check_usage(args: argparse.Namespace) -> None:
    """One run publishes either a year (figures and report) or a statement: say which is missing."""
    if args.statement is not None:
        extra = [f for f, v in (("--figures", args.figures), ("--report", args.report)) if v is not None]
        if extra:
            raise InputError(
                f"--statement cannot be combined with {' or '.join(extra)}: a statement is published "
                "by the verification body's keystore, the year by the bank's",
                field="--statement",
            )
        if args.supersedes is not None:
            raise InputError(
                "--supersedes restates figures: it cannot be used with --statement", field="--supersedes"
            )
        if args.covers is None:
            raise InputError(
                "--statement needs --covers: the figures it covers (receipt, attestation uid or digest)",
                field="--covers",
            )
        return
    if args.covers is not None:
        raise InputError("--covers names what a statement covers: it needs --statement", field="--covers")
    if args.figures is None and args.report is None:
        raise InputError("nothing to publish: give --figures and --report, or --statement and --covers")
    if args.figures is None or args.report is None:
        missing = "--report" if args.report is None else "--figures"
        raise InputError(
            f"{missing} is needed too: a year is published as its figures and report", field=missing
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Validate the inputs, then anchor them; return the summary."""
    key = signer_choice(args)  # no key (or two) is the first usage error, as a missing --keystore was
    check_usage(args)
    if args.statement is not None:
        return run_statement(args, key)
    # 1. Nothing touches a key or the chain until both documents (and --supersedes) are known to be good.
    figures_doc, year = prepare(args.figures, kind=Kind.FIGURES, year=None)
    report_doc, _ = prepare(args.report, kind=Kind.FILE, year=year)
    assert figures_doc.figures is not None  # prepare(kind=FIGURES) only returns parsed figures
    replaces = parse_supersedes(args.supersedes, Kind.FIGURES) if args.supersedes is not None else None

    # 2. Connect (chain id and contract code are checked against the manifest); a restatement is
    #    checked against the registry's rule before the key is unlocked; then unlock the key.
    deployment = Deployment.open(args.deployment, rpc_url=args.rpc_url)
    ref = None
    if replaces is not None:
        signer = key.address(prompt=sys.stdin.isatty())
        ref = resolve_supersedes(deployment, replaces, signer, Kind.FIGURES, figures_doc.digest)
    account = key.load(prompt=sys.stdin.isatty())

    # 3. Anchor (idempotent: an existing attestation by this organisation is reused; the journal
    #    records each signed transaction before it is sent, so a crash mid-send resumes cleanly).
    with open_journal(args.journal, args.deployment) as journal:
        finished: dict[Path, DocumentState] = {}
        try:
            figures = publish(
                deployment, account, figures_doc, kind=Kind.FIGURES, year=year, ref=ref, journal=journal
            )
            finished[figures_doc.path] = DocumentState(figures_doc.path, ANCHORED, "receipt written")
            report = publish(
                deployment,
                account,
                report_doc,
                kind=Kind.FILE,
                year=year,
                uri=args.report_uri,
                journal=journal,
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain (each document's fate)
            documents = [(d.path, d.digest) for d in (figures_doc, report_doc)]
            end_unfinished(exc, run_states(deployment, account, journal, documents, finished), sys.stderr)
    return {
        "organisation": figures_doc.figures.organisation.name,
        "year": year,
        "chain_id": deployment.manifest.chain_id,
        "registry": deployment.manifest.registry.address,
        "account": account.address,
        "supersedes": ref,
        "documents": [_entry("figures", figures), _entry("report", report)],
    }


def run_statement(args: argparse.Namespace, key: SignerChoice) -> dict[str, Any]:
    """A verification body's statement covering published figures: validated, resolved, then anchored."""
    statement_doc, year = prepare(args.statement, kind=Kind.STATEMENT, year=None)
    assert statement_doc.statement is not None  # prepare(kind=STATEMENT) only returns parsed statements
    covers = parse_covers(args.covers)
    deployment = Deployment.open(args.deployment, rpc_url=args.rpc_url)
    ref = resolve_covers(deployment, covers, statement_doc.statement)
    account = key.load(prompt=sys.stdin.isatty())
    with open_journal(args.journal, args.deployment) as journal:
        try:
            statement = publish(
                deployment,
                account,
                statement_doc,
                kind=Kind.STATEMENT,
                uri=args.statement_uri,
                ref=ref,
                journal=journal,
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain
            documents = [(statement_doc.path, statement_doc.digest)]
            end_unfinished(exc, run_states(deployment, account, journal, documents, {}), sys.stderr)
    return {
        "organisation": statement_doc.statement.verifier.name,
        "year": year,
        "chain_id": deployment.manifest.chain_id,
        "registry": deployment.manifest.registry.address,
        "account": account.address,
        "covers": ref,
        "documents": [_entry("statement", statement)],
    }


def _entry(role: str, result: PublishResult) -> dict[str, Any]:
    a = result.published.attestation
    return {
        "role": role,
        "kind": a.kind.label,
        "file": str(result.document.path),
        "digest": result.document.digest,
        "digest_rule": result.document.digest_rule,
        "uid": a.uid,
        "org_id": a.org_id,
        "already_anchored": result.published.already_anchored,
        "transaction_hash": a.transaction_hash,
        "block_number": a.block_number,
        "gas_used": result.published.gas_used,
        "receipt": str(result.receipt_path),
        "canonical": str(result.canonical_path) if result.canonical_path else None,
    }


def print_summary(summary: dict[str, Any]) -> None:
    head = f"{summary['organisation']} {summary['year']}"
    print(f"{head}: chain {summary['chain_id']}, registry {summary['registry']}")
    if summary.get("supersedes"):
        print(f"  restating the figures {summary['supersedes']}")
    if summary.get("covers"):
        print(f"  covering the figures {summary['covers']}")
    for d in summary["documents"]:
        state = "already anchored (nothing sent)" if d["already_anchored"] else "anchored"
        print(f"  {d['role']:<8} {state}: {d['file']}")
        print(f"           sha256 {d['digest']}")
        gas = f", gas used {d['gas_used']}" if d["gas_used"] is not None else ""
        print(f"           tx {d['transaction_hash']} in block {d['block_number']}{gas}")
        print(f"           receipt {d['receipt']}")
    sent = sum(1 for d in summary["documents"] if not d["already_anchored"])
    print(f"done: {sent} transaction(s) sent, {len(summary['documents']) - sent} already anchored")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with one_line_errors():
        summary = run(args)
    if args.as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
