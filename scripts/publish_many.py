"""Publish many files as many single attestations, a window at a time, through the crash-safe journal.

For a bank that anchors each of its documents on its own (one receipt, one attestation each) rather
than under one Merkle root (`attest publish batch`)::

    python scripts/publish_many.py --deployment deployments/local.json --keystore bank.json \\
        --year 2022 reports/2022/

(or, with the key in an HSM, ``--signer 'pkcs11:token=…;object=…' --pkcs11-module LIB``).

Every input is validated and hashed first: one bad input exits 2 before a key is decrypted or
anything is sent. Entries under a directory that are not regular files (FIFOs, sockets, broken
links) are skipped and listed at the end. Each file is then anchored as raw bytes (kind FILE)
through the one anchor path (`attest.app.anchor`): a window of files at a time, whose intents and
signed transactions are committed to the journal (`attest.app.journal`) before the window is sent in
JSON-RPC batch requests, and whose receipts are written as the window is mined. After a crash of this
script, of the node, or a dropped transaction, running the SAME command again finishes the job:
nothing is lost, nothing is anchored twice, and what this organisation already anchored counts as done.
Interrupted (Ctrl-C, exit 130) or stopped by the chain (exit 3), it ends by listing each file it did not
finish — mined (its receipt not written yet), in flight, not sent — and the exact command to finish it.

One line per file on stdout as it is anchored (``sent``, ``already``, ``resumed``, ``resent``), then a
summary (``--json`` for machines); a file this organisation anchored before whose attestation was
revoked (``revoked``) or records another year (``differs``) is listed too, and not counted as done.
Exit codes are attest's (docs/exit-codes.md): 0 done, 2 bad input, 3 chain or keystore error or a
reverted transaction (reported, not retried blindly), else 5 if a file's attestation was revoked, 6 if
one differs, 4 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from attest.app import stages
from attest.app.journal import open_journal
from attest.app.publishing import (
    ANCHORED,
    FAILED,
    DocumentState,
    PublishFailure,
    ToPublish,
    prepare,
    publish_documents,
    run_states,
)
from attest.chain.deployment import Deployment
from attest.cli.exits import end_unfinished, exit_codes_epilog, one_line_errors
from attest.cli.script_signer import add_signer_arguments, signer_choice
from attest.core.contracts import Kind
from attest.core.errors import AttestationRevoked, InputError, TransactionReverted
from attest.core.inputs import collect_files
from attest.core.receipt import receipt_path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="publish_many.py",
        description="Anchor each file as its own attestation (kind FILE), resumably.",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", help="Files, or directories (searched recursively).")
    parser.add_argument("--year", type=int, required=True, help="Reporting year of the files.")
    parser.add_argument("--deployment", required=True, help="Deployment manifest (JSON).")
    add_signer_arguments(parser)
    parser.add_argument("--rpc-url", default=None, help="JSON-RPC endpoint (default: the manifest's).")
    parser.add_argument(
        "--journal", default=None, help="Publishing journal (else $ATTEST_JOURNAL, else beside the manifest)."
    )
    parser.add_argument("--json", dest="as_json", action="store_true", help="Machine-readable summary.")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    key = signer_choice(args)
    collected = collect_files(args.paths)
    files = collected.files
    skipped = [{"path": str(p), "reason": why} for p, why in collected.skipped]
    seen: dict[Path, Path] = {}
    items: list[ToPublish] = []
    stream = sys.stderr if args.as_json else sys.stdout  # --json keeps stdout for the summary alone
    try:
        for f in files:  # 1. everything is validated and hashed (once) before a key or the chain is touched
            doc, year = prepare(f, kind=Kind.FILE, year=args.year)
            out = receipt_path(f.resolve())
            if out in seen:
                raise InputError(f"named twice (also as {seen[out]})", path=f)
            seen[out] = f
            items.append(ToPublish(doc, Kind.FILE, year))
    except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain: nothing was sent
        end_unfinished(exc, run_states(None, None, None, [(f, None) for f in files], {}), stream)
    documents = [(i.document.path, i.document.digest) for i in items]
    finished: dict[Path, DocumentState] = {}  # what this run saw through: a receipt, or a reported failure
    try:
        stages.reached("hashed")
        deployment = Deployment.open(args.deployment, rpc_url=args.rpc_url)
        account = key.load(prompt=sys.stdin.isatty())
    except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain: nothing was sent
        end_unfinished(exc, run_states(None, None, None, documents, finished), stream)
    outcomes: Counter[str] = Counter()
    reverted: list[dict[str, str | None]] = []
    not_anchored: list[dict[str, Any]] = []
    with open_journal(args.journal, args.deployment) as journal:
        try:
            for result in publish_documents(deployment, account, items, journal=journal):
                f = result.document.path
                if isinstance(result, PublishFailure):  # reported at the end; the other files still go out
                    err = result.error
                    finished[f] = DocumentState(f, FAILED, str(err))
                    if isinstance(err, TransactionReverted):
                        reverted.append({"file": str(f), "error": err.error_name, "message": str(err)})
                        print(f"reverted {f}: {err}", file=stream, flush=True)
                    else:
                        word = "revoked" if isinstance(err, AttestationRevoked) else "differs"
                        not_anchored.append(
                            {"file": str(f), "outcome": word, "exit_code": err.exit_code, "message": str(err)}
                        )
                        print(f"{word:<8} {f}", file=stream, flush=True)
                    continue
                finished[f] = DocumentState(f, ANCHORED, "receipt written")
                outcome = result.outcome or "sent"
                outcomes[outcome] += 1
                block = result.published.attestation.block_number
                print(f"{outcome:<8} {f} block {block}", file=stream, flush=True)
        except BaseException as exc:  # noqa: BLE001 - re-raised unless Ctrl-C or the chain (each file's fate)
            end_unfinished(exc, run_states(deployment, account, journal, documents, finished), stream)
        journal_state = journal.summary()
    return {
        "files": len(files),
        "anchored": sum(outcomes.values()),
        "outcomes": dict(outcomes),
        "reverted": reverted,
        "not_anchored": not_anchored,
        "skipped": skipped,
        "journal": journal_state,
        "account": account.address,
        "registry": deployment.manifest.registry.address,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with one_line_errors():
        summary = run(args)
    for s in summary["skipped"]:
        print(f"skipped: {s['path']}: {s['reason']}", file=sys.stderr)
    for r in [*summary["reverted"], *summary["not_anchored"]]:
        print(f"error: {r['message']}", file=sys.stderr)
    if args.as_json:
        print(json.dumps(summary, indent=2))
    else:
        o = summary["outcomes"]
        print(
            f"done: {summary['anchored']}/{summary['files']} anchored — {o.get('sent', 0)} sent, "
            f"{o.get('resent', 0)} re-sent, {o.get('resumed', 0)} resumed, "
            f"{o.get('already', 0)} already anchored"
        )
    if summary["reverted"]:
        return 3
    return min((r["exit_code"] for r in summary["not_anchored"]), default=0)


if __name__ == "__main__":
    sys.exit(main())
