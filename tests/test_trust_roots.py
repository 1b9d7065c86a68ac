"""The side files an auditor is handed are claims, not trust roots (the audited party wrote them).

Each test is an attack by the party being audited; each must end NOT VERIFIED with a ✗ line saying
why, or as a one-line refusal — never as VERIFIED. Real contracts on the embedded chain.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, build_consortium

from attest.app.publishing import build_receipt, publish
from attest.app.verify import verify_target
from attest.chain.anchoring import revoke
from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core import governance
from attest.core.contracts import Action, Kind, Role
from attest.core.documents import hash_document
from attest.core.errors import InputError
from attest.core.manifest import check_pinned, load_manifest, write_atomic
from attest.core.receipt import receipt_path
from attest.core.records import OrganisationInfo
from attest.core.report_text import report_lines
from attest.core.verification import Check, Report

FIGURES = EXAMPLES / "webank-2022-figures.json"


@pytest.fixture(scope="module")
def _world() -> Consortium:
    return build_consortium(Chain.embedded())


@pytest.fixture
def c(_world: Consortium) -> Iterator[Consortium]:
    """The shared deployment, reverted to its fresh state after each test."""
    snapshot = _world.chain.tester.take_snapshot()
    try:
        yield _world
    finally:
        _world.chain.tester.revert_to_snapshot(snapshot)


def edited_figures(folder: Path) -> Path:
    """WeBank's figures with one value changed: still names WeBank as its organisation."""
    doc = json.loads(FIGURES.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
    out = folder / "webank-2022-figures.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def rogue_manifest(c: Consortium, folder: Path) -> Path:
    """The genuine registry, but a governance contract the rival deployed itself, in which the
    rival's organisation id belongs to an organisation called "WeBank" holding the rival's key."""
    rogue = Deployment.deploy(c.chain, c.rival, committee=[c.rival.address], threshold=1, network="rogue")
    admit = Committee(rogue).admit
    for filler in range(1, c.rival_id):
        admit([c.rival], OrganisationInfo(f"filler {filler}"), Role.PUBLISHER, [])
    fake_id = admit([c.rival], OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [c.rival.address])
    assert fake_id == c.rival_id
    manifest = c.dep.manifest.model_copy(update={"governance": rogue.manifest.governance})
    path = folder / "deployment.json"
    write_atomic(path, manifest.dump())
    return path


def test_a_manifest_naming_rogue_governance_does_not_verify_the_rivals_edit(
    c: Consortium, tmp_path: Path
) -> None:
    """Case 3 of "Nothing on faith": the rival anchors WeBank's edited figures (a hand-made
    transaction, not `publish`, which would refuse) and hands over a manifest whose governance says
    its organisation is "WeBank". The registry is bound to the genuine governance, so it fails."""
    handed = Deployment(c.chain, load_manifest(rogue_manifest(c, tmp_path)))  # its "WeBank" predates…
    edited = edited_figures(tmp_path)
    c.dep.attest(c.rival, hash_document(edited).digest, Kind.FIGURES, 2022)  # …the rival's attestation

    report = verify_target(handed, str(edited))

    assert not report.verified
    deployment = next(ch for ch in report.checks if ch.name == "deployment")
    assert deployment.status == "fail"
    assert f"obeys governance {c.dep.manifest.governance.address}" in deployment.detail
    assert c.dep.manifest.registry.address in deployment.detail


def test_the_genuine_manifest_names_its_deployment_in_the_report(c: Consortium, tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    write_atomic(path, c.dep.manifest.dump())
    genuine = Deployment(c.chain, load_manifest(path))
    report = verify_target(genuine, "ab" * 32)
    line = report.checks[0]
    assert (line.name, line.status) == ("deployment", "pass")
    for fact in (str(c.dep.manifest.chain_id), c.dep.manifest.registry.address,
                 c.dep.manifest.governance.address, genuine.manifest.file_sha256 or "?"):  # fmt: skip
        assert fact in line.detail


def test_a_pinned_manifest_sha256_refuses_any_other_manifest(c: Consortium, tmp_path: Path) -> None:
    genuine_path = tmp_path / "genuine.json"
    write_atomic(genuine_path, c.dep.manifest.dump())
    genuine = load_manifest(genuine_path)
    assert genuine.file_sha256 is not None
    check_pinned(genuine, genuine.file_sha256.upper())  # the consortium's value, as published
    other = load_manifest(rogue_manifest(c, tmp_path))
    with pytest.raises(InputError, match="not the deployment manifest the consortium published"):
        check_pinned(other, genuine.file_sha256)
    with pytest.raises(InputError, match="64 hex digits"):
        check_pinned(genuine, "abc")


def test_a_key_frozen_after_it_signed_is_a_warning_and_strict_fails_it(c: Consortium, tmp_path: Path) -> None:
    """Case 7: the bank's key signs its figures, then the committee freezes it (a compromise). The
    attestation stands — it was authorised then — but the reader is told, and --strict fails it."""
    figures = tmp_path / FIGURES.name
    figures.write_bytes(FIGURES.read_bytes())
    publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    before = verify_target(c.dep, str(figures))
    assert before.verified and before.warnings == 0

    Committee(c.dep).enact(
        c.committee[:2], Action.FREEZE_ACCOUNT, governance.freeze_account(c.bank.address).data
    )

    report = verify_target(c.dep, str(figures))
    key = next(ch for ch in report.checks if ch.name == "key")
    assert (key.status, report.verified, report.warnings) == ("warn", True, 1)
    assert "frozen after this attestation" in key.detail
    assert "  ! key " in "\n".join(report_lines(report))
    assert report.to_json()["warnings"] == 1
    strict = verify_target(c.dep, str(figures), strict=True)
    assert not strict.verified
    assert [ch.status for ch in strict.checks if ch.name == "key"] == ["fail"]


def test_a_revoked_restatement_leaves_its_original_current_not_stuck_superseded(
    c: Consortium, tmp_path: Path
) -> None:
    """Case 8: the bank restates its figures, then revokes the restatement (it was the wrong one).
    The registry kept the original "superseded" by a revoked attestation for ever, so the figures
    the bank stands by again could neither verify nor be restated properly."""
    original = tmp_path / "original" / FIGURES.name
    original.parent.mkdir()
    original.write_bytes(FIGURES.read_bytes())
    first = publish(c.dep, c.bank, original, kind=Kind.FIGURES).published.attestation
    (tmp_path / "wrong").mkdir()
    wrong = publish(c.dep, c.bank, edited_figures(tmp_path / "wrong"), kind=Kind.FIGURES, ref=first.uid)
    restated = wrong.published.attestation
    sent = revoke(c.dep, c.bank, restated.uid, "restated the wrong year's figures")

    report = verify_target(c.dep, str(original))
    status = check(report, "status")
    assert report.verified, "\n".join(report_lines(report))
    assert status.status == "warn"
    assert status.detail == (
        f"current again: restatement {restated.uid} replaced it until it was revoked by its "
        f"organisation at block {sent.block_number}: restated the wrong year's figures"
    )
    assert not verify_target(c.dep, str(original), strict=True).verified
    replacement = verify_target(c.dep, str(wrong.receipt_path))
    assert not replacement.verified
    revoked = f"revoked by its organisation at block {sent.block_number}: restated the wrong year's figures"
    assert check(replacement, "status").detail == revoked

    # and the original can be restated again, properly this time
    right = tmp_path / "right.json"
    doc = json.loads(FIGURES.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 2)
    right.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    again = publish(c.dep, c.bank, right, kind=Kind.FIGURES, ref=first.uid).published.attestation
    now = verify_target(c.dep, str(original))
    assert check(now, "status").detail == f"superseded by restatement {again.uid}"


def test_chain_text_cannot_drive_the_readers_terminal(c: Consortium, tmp_path: Path) -> None:
    """Case 9: an organisation's name is whatever its admission proposal said; escape sequences
    (clear screen, a fake "VERIFIED" line) and bidi overrides are shown, not obeyed."""
    evil = "Evil\x1b[2J\x1b[1A\rVERIFIED\u202e"
    signer = c.outsider
    Committee(c.dep).admit(
        c.committee[:2], OrganisationInfo(evil, "CN", "bank"), Role.PUBLISHER, [signer.address]
    )
    report = verify_target(c.dep, hash_document_digest(c, signer, tmp_path), org=evil)
    text = "\n".join(report_lines(report))
    assert report.verified
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "Evil\\x1b[2J\\x1b[1A\\x0dVERIFIED\\u202e" in text


def hash_document_digest(c: Consortium, signer: Any, folder: Path) -> str:
    """A file anchored by `signer`'s organisation; its bare digest."""
    doc = folder / "report.pdf"
    doc.write_bytes(b"%PDF-1.4 an annual report\n")
    digest = hash_document(doc).digest
    c.dep.attest(signer, digest, Kind.FILE, 2022)
    return digest


def rivals_raw_receipt(c: Consortium, edited: Path) -> Path:
    """The rival anchors the edited figures' raw bytes as a plain file and writes the receipt
    that goes with it (organisation: the rival; digest rule: raw)."""
    raw = hash_document(edited, structured=False)
    published = c.dep.attest(c.rival, raw.digest, Kind.FILE, 2022)
    receipt = build_receipt(c.dep, raw, published.attestation)
    out = receipt_path(edited)
    write_atomic(out, receipt.dump())
    return out


def test_a_receipt_cannot_make_figures_a_raw_file_of_another_organisation(
    c: Consortium, tmp_path: Path
) -> None:
    """Case 1: the receipt's org_id and digest_rule used to decide whose attestation counted and
    whether the file was parsed at all, so this verified as "file for 2022 by Rival Bank"."""
    edited = edited_figures(tmp_path)
    receipt = rivals_raw_receipt(c, edited)

    for target in (receipt, edited):
        report = verify_target(c.dep, str(target))
        lines = "\n".join(report_lines(report))
        assert not report.verified, lines
        assert check(report, "anchored").status == "fail", lines
    by_receipt = verify_target(c.dep, str(receipt))
    assert check(by_receipt, "digest").status == "fail"  # its content is figures: hashed canonically
    assert "RFC 8785" in check(by_receipt, "digest").detail
    assert "the receipt says organisation #3" in check(by_receipt, "organisation").detail
    with_org = verify_target(c.dep, str(edited), org="Rival Bank")
    assert not with_org.verified
    assert "only the named organisation's attestation counts" in check(with_org, "organisation").detail


def test_figures_anchored_as_a_raw_file_by_their_own_bank_fail_the_kind_check(
    c: Consortium, tmp_path: Path
) -> None:
    """Figures are figures whatever the attestation says: one anchored as a FILE (by a hand-made
    transaction over their canonical digest) is not a publication of figures."""
    figures = tmp_path / FIGURES.name
    figures.write_bytes(FIGURES.read_bytes())
    c.dep.attest(c.bank, hash_document(figures).digest, Kind.FILE, 2022)
    report = verify_target(c.dep, str(figures))
    assert not report.verified
    assert check(report, "kind").detail == "anchored as file, but the document is figures"


@pytest.mark.parametrize("name", ["", ".", "..", "../report.pdf", "sub/report.pdf", "C:\\\\report.pdf"])
def test_a_crafted_receipt_name_is_a_failed_check_not_a_crash(
    c: Consortium, tmp_path: Path, name: str
) -> None:
    """Case 12: a receipt whose document name is empty or a path is judged, never exit 4."""
    doc = tmp_path / "report.pdf"
    doc.write_bytes(b"%PDF-1.4 annual report\n")
    hashed = hash_document(doc)
    published = c.dep.attest(c.bank, hashed.digest, Kind.FILE, 2022)
    genuine = build_receipt(c.dep, hashed, published.attestation)
    crafted = genuine.model_copy(update={"document": genuine.document.model_copy(update={"name": name})})
    out = tmp_path / "report.pdf.receipt.json"
    write_atomic(out, crafted.dump())
    report = verify_target(c.dep, str(out))
    assert not report.verified
    assert "which is not a file name" in check(report, "receipt").detail


def test_a_receipt_is_evidence_about_the_file_it_sits_beside(c: Consortium, tmp_path: Path) -> None:
    """Case 2: a genuine receipt of b.pdf renamed to sit beside a.pdf does not vouch for a.pdf."""
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"%PDF-1.4 the file the auditor asks about\n")
    b.write_bytes(b"%PDF-1.4 a file that was published\n")
    hashed = hash_document(b)
    published = c.dep.attest(c.bank, hashed.digest, Kind.FILE, 2022)
    write_atomic(tmp_path / "a.pdf.receipt.json", build_receipt(c.dep, hashed, published.attestation).dump())
    report = verify_target(c.dep, str(tmp_path / "a.pdf.receipt.json"))
    assert not report.verified
    assert "sits beside 'a.pdf', but it describes 'b.pdf'" in check(report, "receipt").detail


def check(report: Report, name: str) -> Check:
    return next(ch for ch in report.checks if ch.name == name)


def test_what_a_file_is_comes_from_its_content_not_its_name(c: Consortium, tmp_path: Path) -> None:
    """Figures renamed `.txt` are still figures: hashed canonically and judged as WeBank's."""
    figures = tmp_path / FIGURES.name
    figures.write_bytes(FIGURES.read_bytes())
    publish(c.dep, c.bank, figures, kind=Kind.FIGURES)
    renamed = tmp_path / "figures-2022.txt"
    renamed.write_bytes(FIGURES.read_bytes())
    report = verify_target(c.dep, str(renamed))
    assert report.verified
    assert "RFC 8785" in check(report, "digest").detail
    assert "figures for 2022 by WeBank" in check(report, "anchored").detail


def test_a_planted_symlink_cannot_redirect_an_atomic_write(tmp_path: Path) -> None:
    """Case 10: the old temporary name was predictable (`.<name>.tmp<pid>`): a link planted there
    made the write land in the link's target. Now the temporary file is created exclusively, with
    an unpredictable name, never through a link — the victim file is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "out.receipt.json"
    for pid in range(os.getpid() - 50, os.getpid() + 50):  # the old scheme's names, all planted
        (tmp_path / f".{target.name}.tmp{pid}").symlink_to(victim)
    write_atomic(target, b"receipt bytes")
    assert victim.read_text(encoding="utf-8") == "precious"
    assert target.read_bytes() == b"receipt bytes" and not target.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == [
        "out.receipt.json",
        "victim.txt",
    ]


def test_a_secret_file_is_written_owner_only(tmp_path: Path) -> None:
    secret = tmp_path / "figures.disclosure.json"
    write_atomic(secret, b"{}", mode=0o600)
    assert secret.stat().st_mode & 0o777 == 0o600
