"""attest.app.references: `--covers` and `--supersedes` read without the chain, then resolved on it.

(`--covers` resolution against the chain is in tests/test_statement.py; the CLI and
scripts/publish_year.py run these same functions: tests/test_verify_statements.py, test_publish_year.py.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium

from attest.app.publishing import PublishResult, publish
from attest.app.references import Covers, covers_uid, parse_covers, parse_supersedes, resolve_supersedes
from attest.chain.anchoring import revoke
from attest.core.contracts import Kind
from attest.core.errors import InputError

FIGURES = EXAMPLES / "webank-2022-figures.json"


def figures_file(tmp_path: Path, variant: int) -> Path:
    doc: dict[str, Any] = json.loads(FIGURES.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + variant)
    path = tmp_path / f"figures-{variant}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def a_file(tmp_path: Path, c: Consortium) -> PublishResult:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 the report")
    return publish(c.dep, c.bank, pdf, kind=Kind.FILE, year=2022)


def bad(exc: pytest.ExceptionInfo[InputError], *needles: str) -> None:
    assert exc.value.exit_code == 2
    assert "\n" not in str(exc.value)
    for needle in needles:
        assert needle in str(exc.value), str(exc.value)


def test_parse_supersedes_takes_a_uid_or_a_receipt_of_the_same_kind(
    consortium: Consortium, tmp_path: Path
) -> None:
    c = consortium
    old = publish(c.dep, c.bank, figures_file(tmp_path, 1), kind=Kind.FIGURES)
    uid = old.published.attestation.uid
    assert parse_supersedes(uid.upper().replace("0X", "0x"), Kind.FIGURES) == uid
    assert parse_supersedes(str(old.receipt_path), Kind.FIGURES) == uid
    with pytest.raises(InputError) as exc:
        parse_supersedes(str(a_file(tmp_path, c).receipt_path), Kind.FIGURES)
    bad(exc, "the receipt is for a file attestation, not figures", "--supersedes", "report.pdf.receipt.json")
    with pytest.raises(InputError) as exc:
        parse_supersedes("ab" * 32, Kind.FIGURES)  # a digest names no single attestation to replace
    bad(exc, "is not a receipt file or an attestation uid", "--supersedes")


def test_resolve_supersedes_checks_the_registry_rule_first(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    old = publish(c.dep, c.bank, figures_file(tmp_path, 2), kind=Kind.FIGURES)
    uid, digest = old.published.attestation.uid, old.document.digest
    new_digest = "cd" * 32
    assert resolve_supersedes(c.dep, uid, c.bank.address, Kind.FIGURES, new_digest) == uid

    def refused(target: str, signer: str, kind: Kind, d: str, needle: str) -> None:
        with pytest.raises(InputError) as exc:
            resolve_supersedes(c.dep, target, signer, kind, d)
        bad(exc, needle, "--supersedes")

    refused(uid, c.rival.address, Kind.FIGURES, new_digest, f"belongs to organisation #{c.bank_id}")
    refused(uid, c.bank.address, Kind.FIGURES, digest, "the same document")
    refused(uid, c.bank.address, Kind.FILE, new_digest, "is figures, not file")
    refused("0x" + "11" * 32, c.bank.address, Kind.FIGURES, new_digest, "no attestation with uid")
    restated = publish(c.dep, c.bank, figures_file(tmp_path, 3), kind=Kind.FIGURES, ref=uid)
    refused(
        uid,
        c.bank.address,
        Kind.FIGURES,
        new_digest,
        f"already superseded by {restated.published.attestation.uid}",
    )
    again = restated.document.digest  # re-running the restatement finds it done, not refused
    assert resolve_supersedes(c.dep, uid, c.bank.address, Kind.FIGURES, again) == uid
    assert publish(
        c.dep, c.bank, restated.document.path, kind=Kind.FIGURES, ref=uid
    ).published.already_anchored
    revoked = a_file(tmp_path, c).published.attestation.uid
    revoke(c.dep, c.bank, revoked, "wrong file")
    refused(revoked, c.bank.address, Kind.FILE, new_digest, "is revoked")


def test_covers_off_line_needs_a_uid_or_a_receipt(consortium: Consortium, tmp_path: Path) -> None:
    c = consortium
    f = publish(c.dep, c.bank, figures_file(tmp_path, 4), kind=Kind.FIGURES)
    uid = f.published.attestation.uid
    assert covers_uid(uid) == uid == covers_uid(str(f.receipt_path))
    assert parse_covers(f.document.digest) == Covers("digest", f.document.digest)
    with pytest.raises(InputError) as exc:
        covers_uid(f.document.digest)  # found only by asking the chain
    bad(exc, "only with the chain", "--covers")
    with pytest.raises(InputError) as exc:
        covers_uid(str(a_file(tmp_path, c).receipt_path))
    bad(exc, "the receipt is for a file attestation, not figures")
    with pytest.raises(InputError) as exc:
        covers_uid("0x1234")
    bad(exc, "'0x1234' is not a receipt file, an attestation uid", "--covers")


def test_a_statement_cannot_cover_another_organisations_figures(
    consortium: Consortium, tmp_path: Path
) -> None:
    """Rival Bank's statement naming WeBank's figures by uid is refused before anything is sent
    (`verify` fails it on `reference` too: tests/test_reference_subject.py)."""
    from attest.app.references import resolve_covers
    from attest.core.documents import hash_document

    c = consortium
    f = publish(c.dep, c.bank, figures_file(tmp_path, 5), kind=Kind.FIGURES)
    doc = json.loads((EXAMPLES / "illustrative-carbon-verification-2022.json").read_text(encoding="utf-8"))
    doc["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank Co.", "country": "CN"}
    path = tmp_path / "rival-statement.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    statement = hash_document(path).statement
    assert statement is not None
    with pytest.raises(InputError) as exc:
        resolve_covers(c.dep, Covers("uid", f.published.attestation.uid), statement)
    bad(
        exc,
        "the figures attestation is by 'WeBank' (org #1), the statement is about 'Rival Bank'",
        "--covers",
    )
