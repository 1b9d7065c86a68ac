"""Verifying carbon verification statements, figures with their statement, and restatements.

Most cases run through the library on the embedded chain (one deployment per module, restored from an
eth-tester snapshot after each test); a few run the real `attest` entry point against a real anvil
node. Each failure case breaks exactly one thing and asserts which check names it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, build_consortium
from worlds import run_attest

from attest.app.publishing import publish
from attest.app.verify import verify_pair, verify_target
from attest.chain.anchoring import revoke
from attest.chain.connection import Chain
from attest.core.contracts import Kind
from attest.core.receipt import receipt_path
from attest.core.verification import Report

FIGURES = EXAMPLES / "webank-2022-figures.json"
STATEMENT = EXAMPLES / "illustrative-carbon-verification-2022.json"
PASSWORD = "statement tests password 9"
CROSS = (
    "cross-check: organisation",
    "cross-check: reporting year",
    "cross-check: period",
    "cross-check: carbon neutrality",
)


@dataclass
class World:
    c: Consortium
    dir: Path
    figures: Path
    statement: Path
    figures_uid: str
    statement_uid: str


def failed(report: Report) -> set[str]:
    return {c.name for c in report.checks if c.status == "fail"}


def check(report: Report, name: str) -> Any:
    (found,) = [c for c in report.checks if c.name == name]
    return found


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def _world(tmp_path_factory: pytest.TempPathFactory) -> World:
    c = build_consortium(Chain.embedded())
    d = tmp_path_factory.mktemp("published")
    figures, statement = d / FIGURES.name, d / STATEMENT.name
    shutil.copyfile(FIGURES, figures)
    shutil.copyfile(STATEMENT, statement)
    f = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation
    s = publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=f.uid).published.attestation
    return World(c, d, figures, statement, f.uid, s.uid)


@pytest.fixture
def world(_world: World) -> Iterator[World]:
    tester = _world.c.chain.tester
    snapshot = tester.take_snapshot()
    try:
        yield _world
    finally:
        tester.revert_to_snapshot(snapshot)


# ------------------------------------------------------------------------------------------ valid


def test_valid_pair_every_check_passes(world: World) -> None:
    fig, st = verify_pair(world.c.dep, str(world.figures), str(world.statement))
    assert fig.verified and st.verified
    assert [c.name for c in st.checks] == [
        "deployment", "digest", "anchored", "authorised", "status", "reference", "covers", *CROSS,
        "credits", "confirmations",
    ]  # fmt: skip
    assert all(c.status == "pass" for c in st.checks if c.name != "credits")
    # a /1 statement names no issuance: its credits cannot be compared with anyone's, and it says so
    assert check(st, "credits").status == "warn" and "carbon-verification/1" in check(st, "credits").detail
    assert "VERIFIER" in check(st, "authorised").detail
    assert world.figures_uid in check(st, "reference").detail
    assert "WeBank (org #1)" in check(st, "reference").detail
    assert "6900 tCO2e ≥ residual emissions 6860.0" in check(st, "cross-check: carbon neutrality").detail
    coverage = check(fig, "coverage")
    assert coverage.status == "info"
    assert (
        "Example Carbon Verification Body (illustrative)" in coverage.detail and "current" in coverage.detail
    )


def test_statement_alone_by_file_and_by_receipt(world: World, tmp_path: Path) -> None:
    by_file = verify_target(world.c.dep, str(world.statement))
    assert by_file.verified, by_file.checks
    assert check(by_file, "reference").status == "pass"
    by_receipt = verify_target(world.c.dep, str(receipt_path(world.statement)))
    assert by_receipt.verified and check(by_receipt, "receipt").status == "pass"
    # the receipt alone, its document not at hand
    alone = tmp_path / receipt_path(world.statement).name
    shutil.copyfile(receipt_path(world.statement), alone)
    only_receipt = verify_target(world.c.dep, str(alone))
    assert only_receipt.verified and "not at hand" in check(only_receipt, "digest").detail


def test_pair_of_receipts_with_their_documents(world: World) -> None:
    fig, st = verify_pair(world.c.dep, str(receipt_path(world.figures)), str(receipt_path(world.statement)))
    assert fig.verified and st.verified
    assert all(check(st, n).status == "pass" for n in CROSS)


def test_pair_of_bare_receipts_cannot_cross_check(world: World, tmp_path: Path) -> None:
    for p in (world.figures, world.statement):
        shutil.copyfile(receipt_path(p), tmp_path / receipt_path(p).name)
    fig, st = verify_pair(
        world.c.dep,
        str(tmp_path / receipt_path(world.figures).name),
        str(tmp_path / receipt_path(world.statement).name),
    )
    assert fig.verified
    assert failed(st) == {"cross-check"} and "not at hand" in check(st, "cross-check").detail
    assert check(st, "covers").status == "pass"


def test_require_coverage(world: World, tmp_path: Path) -> None:
    assert (
        check(verify_target(world.c.dep, str(world.figures), require_coverage=True), "coverage").status
        == "pass"
    )
    other = write_json(
        tmp_path / "rival.json", {**load(FIGURES), "organisation": {"name": "Rival Bank", "country": "CN"}}
    )
    publish(world.c.dep, world.c.rival, other, kind=Kind.FIGURES)
    assert verify_target(world.c.dep, str(other)).verified  # informational by default
    strict = verify_target(world.c.dep, str(other), require_coverage=True)
    assert failed(strict) == {"coverage"} and "no verification statement" in check(strict, "coverage").detail


# ------------------------------------------------------------------------------------------ one failure each


def test_tampered_statement_fails_anchored(world: World, tmp_path: Path) -> None:
    doc = load(world.statement)
    doc["materiality_percent"] = "10"
    edited = write_json(tmp_path / "edited-statement.json", doc)
    r = verify_target(world.c.dep, str(edited))
    assert failed(r) == {"anchored"}
    assert "Example Carbon Verification Body (illustrative)" in check(r, "anchored").detail


def test_statement_edited_next_to_its_receipt_fails_digest(world: World, tmp_path: Path) -> None:
    shutil.copyfile(receipt_path(world.statement), tmp_path / receipt_path(world.statement).name)
    doc = load(world.statement)
    doc["opinion"] = "modified"
    write_json(tmp_path / world.statement.name, doc)
    r = verify_target(world.c.dep, str(tmp_path / receipt_path(world.statement).name))
    assert "changed after publishing" in check(r, "digest").detail
    # the document itself is judged, not the receipt's digest: the edited statement was never anchored
    assert failed(r) == {"digest", "anchored"}


def test_unknown_digest_fails_anchored(world: World) -> None:
    r = verify_target(world.c.dep, "ab" * 32)
    assert failed(r) == {"anchored"} and r.attestation is None


def test_revoked_statement_fails_status(world: World) -> None:
    revoke(world.c.dep, world.c.verifier, world.statement_uid, "scope 2 factors misapplied")
    r = verify_target(world.c.dep, str(world.statement))
    assert failed(r) == {"status"}
    assert "scope 2 factors misapplied" in check(r, "status").detail
    fig = verify_target(world.c.dep, str(world.figures))
    assert fig.verified and "revoked" in check(fig, "coverage").detail
    assert failed(verify_target(world.c.dep, str(world.figures), require_coverage=True)) == {"coverage"}


def test_statement_covering_revoked_figures_fails_reference(world: World) -> None:
    revoke(world.c.dep, world.c.bank, world.figures_uid, "wrong customer count")
    r = verify_target(world.c.dep, str(world.statement))
    assert failed(r) == {"reference"}
    detail = check(r, "reference").detail
    assert world.figures_uid in detail and "revoked" in detail and "wrong customer count" in detail
    assert check(r, "status").status == "pass"  # the statement itself is not revoked


def test_superseded_figures(world: World, tmp_path: Path) -> None:
    doc = load(world.figures)
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1)
    restated = write_json(tmp_path / "webank-2022-restated.json", doc)
    new = publish(world.c.dep, world.c.bank, restated, kind=Kind.FIGURES, ref=world.figures_uid)
    old = verify_target(world.c.dep, str(world.figures))
    assert failed(old) == {"status"} and new.published.attestation.uid in check(old, "status").detail
    assert verify_target(world.c.dep, str(restated)).verified
    st = verify_target(world.c.dep, str(world.statement))
    assert failed(st) == {"reference"} and "superseded" in check(st, "reference").detail


def test_statement_anchored_by_a_non_verifier_does_not_count(world: World, tmp_path: Path) -> None:
    """The registry only lets verifiers anchor *statements*, but any publisher may anchor any digest
    as a plain file. A statement is judged by its content: only the verifier it names can have
    published it, so the rival's attestation never counts — not even when `--org` or a receipt
    point at the rival."""
    doc = load(world.statement)
    doc["issued"] = "2023-04-01"
    copy = write_json(tmp_path / "statement-by-rival.json", doc)
    from attest.core.documents import hash_document

    world.c.dep.attest(world.c.rival, hash_document(copy).digest, Kind.FILE, 2022)
    r = verify_target(world.c.dep, str(copy))
    assert not r.verified and failed(r) == {"anchored"}
    assert "attested only by Rival Bank" in check(r, "anchored").detail
    pointed = verify_target(world.c.dep, str(copy), org="Rival Bank")
    assert not pointed.verified and {"organisation", "anchored"} <= set(failed(pointed))
    assert "only the named organisation's attestation counts" in check(pointed, "organisation").detail


def test_neutrality_without_claim_fails_cross_check(world: World, tmp_path: Path) -> None:
    """The statement model refuses credits below residual emissions, so an honest way to get the
    arithmetic wrong is a statement that carries no neutrality claim while the figures claim neutrality."""
    doc = load(world.statement)
    del doc["neutrality_claim"]
    plain = write_json(tmp_path / "statement-no-claim.json", doc)
    publish(world.c.dep, world.c.verifier, plain, kind=Kind.STATEMENT, ref=world.figures_uid)
    assert verify_target(world.c.dep, str(plain)).verified  # on its own it is a genuine statement
    fig, st = verify_pair(world.c.dep, str(world.figures), str(plain))
    assert fig.verified
    assert failed(st) == {"cross-check: carbon neutrality"}
    assert "no neutrality claim" in check(st, "cross-check: carbon neutrality").detail


def test_adverse_opinion_fails_neutrality_cross_check(world: World, tmp_path: Path) -> None:
    doc = load(world.statement)
    doc["opinion"] = "adverse"
    adverse = write_json(tmp_path / "statement-adverse.json", doc)
    publish(world.c.dep, world.c.verifier, adverse, kind=Kind.STATEMENT, ref=world.figures_uid)
    _, st = verify_pair(world.c.dep, str(world.figures), str(adverse))
    assert failed(st) == {"cross-check: carbon neutrality"}
    assert "adverse" in check(st, "cross-check: carbon neutrality").detail


def test_statement_covering_other_figures_fails_covers(world: World, tmp_path: Path) -> None:
    doc = load(world.figures)
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 2)
    second = write_json(tmp_path / "webank-2022-second.json", doc)
    publish(world.c.dep, world.c.bank, second, kind=Kind.FIGURES)
    fig, st = verify_pair(world.c.dep, str(second), str(world.statement))
    assert fig.verified
    assert failed(st) == {"covers"} and world.figures_uid in check(st, "covers").detail


def test_pair_with_unanchored_figures(world: World, tmp_path: Path) -> None:
    doc = load(world.figures)
    doc["metrics"][0]["value"] = "1"
    edited = write_json(tmp_path / "edited.json", doc)
    fig, st = verify_pair(world.c.dep, str(edited), str(world.statement))
    assert failed(fig) == {"anchored"}
    assert failed(st) == {"covers"}


# ------------------------------------------------------------------------------ the real CLI on anvil


def attest(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, cwd=cwd, env={"ATTEST_PASSWORD": PASSWORD, **(env or {})}, timeout=120)


@dataclass
class Net:
    root: Path
    rpc_url: str
    manifest: Path
    bank_keystore: Path
    verifier_keystore: Path
    c: Consortium

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return attest(*args, "--deployment", self.manifest, "--rpc-url", self.rpc_url, cwd=self.root)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    from attest.chain.keystore import create_keystore
    from attest.core.manifest import write_atomic
    from attest.devtools.node import AnvilNode, dev_private_keys

    root = tmp_path_factory.mktemp("anvil-statements")
    node = AnvilNode(root / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        manifest = root / "deployment.json"
        write_atomic(manifest, c.dep.manifest.dump())
        bank_ks, verifier_ks = root / "bank.keystore.json", root / "verifier.keystore.json"
        create_keystore(bank_ks, PASSWORD, private_key=c.bank.key.hex())
        create_keystore(verifier_ks, PASSWORD, private_key=c.verifier.key.hex())
        yield Net(root, node.rpc_url, manifest, bank_ks, verifier_ks, c)
    finally:
        node.stop()


def _ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.mark.anvil
def test_cli_publish_pair_verify_html_and_restate(net: Net) -> None:
    work = net.root / "e2e"
    work.mkdir()
    figures, statement = work / FIGURES.name, work / STATEMENT.name
    shutil.copyfile(FIGURES, figures)
    shutil.copyfile(STATEMENT, statement)
    pub = _ok(net.run("publish", "figures", figures, "--keystore", net.bank_keystore, "--json"))
    _ok(net.run(
        "publish", "statement", statement, "--covers", receipt_path(figures),
        "--keystore", net.verifier_keystore, "--json",
    ))  # fmt: skip

    # both files together: every check passes, exit 0; the HTML report is written
    html = work / "report.html"
    ok = net.run("verify", figures, "--statement", statement, "--html", html)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name in ("reference", "covers", *CROSS):
        assert f"✓ {name}" in ok.stdout
    assert "HTML report written to" in ok.stdout
    page = html.read_text(encoding="utf-8")
    assert "cross-check: carbon neutrality" in page and net.c.dep.manifest.registry.address in page
    # receipts, on their own and together
    rs = net.run("verify", receipt_path(figures), receipt_path(statement), "--json")
    assert [r["verified"] for r in _ok(rs)] == [True, True]
    together = _ok(net.run("verify", receipt_path(figures), "--statement", receipt_path(statement), "--json"))
    assert [r["verified"] for r in together] == [True, True]

    # a statement with no neutrality claim while the figures claim neutrality: exit 1, check named
    doc = load(statement)
    del doc["neutrality_claim"]
    plain = write_json(work / "statement-plain.json", doc)
    _ok(net.run(
        "publish", "statement", plain, "--covers", pub["uid"], "--keystore", net.verifier_keystore, "--json",
    ))  # fmt: skip
    bad = net.run("verify", figures, "--statement", plain)
    assert bad.returncode == 1
    assert "✗ cross-check: carbon neutrality" in bad.stdout
    assert "NOT VERIFIED (failed: cross-check: carbon neutrality)" in bad.stdout

    # restatement through --supersedes: the old figures then fail `status`, naming the replacement
    doc = load(figures)
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 5)
    restated = write_json(work / "webank-2022-restated.json", doc)
    new = _ok(net.run(
        "publish", "figures", restated, "--supersedes", receipt_path(figures),
        "--keystore", net.bank_keystore, "--json",
    ))  # fmt: skip
    old = net.run("verify", figures)
    assert old.returncode == 1 and "✗ status" in old.stdout and new["uid"] in old.stdout
    assert net.run("verify", restated).returncode == 0
    # the statement covered the old figures: it no longer verifies
    st = net.run("verify", statement)
    assert st.returncode == 1 and "✗ reference" in st.stdout and "superseded" in st.stdout


@pytest.mark.anvil
def test_cli_supersedes_bad_input_exit_2_nothing_sent(net: Net) -> None:
    work = net.root / "bad-supersedes"
    work.mkdir()
    doc = load(FIGURES)
    doc["metrics"][1]["value"] = str(int(doc["metrics"][1]["value"]) + 7)
    figures = write_json(work / "f.json", doc)
    head = net.c.chain.head()
    for value, needle in (
        ("not-a-uid", "--supersedes"),
        ("0x" + "12" * 32, "no attestation with uid"),
    ):
        r = net.run("publish", "figures", figures, "--supersedes", value, "--keystore", net.bank_keystore)
        assert r.returncode == 2, r.stdout + r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert net.c.chain.head() == head
    assert not receipt_path(figures).exists()


@pytest.mark.anvil
def test_cli_statement_flag_needs_one_target(net: Net) -> None:
    r = net.run("verify", "ab" * 32, "cd" * 32, "--statement", str(STATEMENT))
    assert r.returncode == 2 and "--statement" in r.stderr
