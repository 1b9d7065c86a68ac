"""scripts/publish_year.py's statement and restatement runs (--statement/--covers, --supersedes), as
real processes against anvil: the same attest.app.references rules as `attest publish`.

The consortium (committee = anvil's first dev account, threshold 1; WeBank admitted as publisher, the
example's verification body as verifier) is set up in-process through the library. Each test
publishes its own documents, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import VERIFIER_NAME
from worlds import run_attest

from attest.devtools.node import AnvilNode, dev_private_keys

pytestmark = pytest.mark.anvil

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "scripts" / "publish_year.py"
EXAMPLES = REPO_ROOT / "examples"
PASSWORD = "publish-year password"
TIMEOUT = 120


@dataclass
class Setup:
    root: Path
    manifest: Path
    bank_keystore: Path
    verifier_keystore: Path
    dep: Any

    def head(self) -> int:
        return self.dep.chain.head()

    def run(self, *args: str | Path, keystore: Path | None = None) -> subprocess.CompletedProcess[str]:
        argv = [
            sys.executable,
            SCRIPT,
            "--deployment",
            self.manifest,
            "--keystore",
            keystore or self.bank_keystore,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
        env["ATTEST_PASSWORD"] = PASSWORD
        return subprocess.run(
            [str(a) for a in [*argv, *args]], cwd=self.root, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip

    def year(self, work: Path, variant: int) -> tuple[Path, Path]:
        """Figures with one metric changed by `variant` (a digest of their own) and a report PDF."""
        work.mkdir()
        doc = json.loads((EXAMPLES / "webank-2022-figures.json").read_text(encoding="utf-8"))
        doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + variant)
        figures = work / "webank-2022-figures.json"
        figures.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        report = work / "webank-2022-report.pdf"
        report.write_bytes(b"%PDF-1.4\n%% WeBank 2022 report " + str(variant).encode() + b"\n%%EOF\n")
        return figures, report

    def statement(self, work: Path, variant: int) -> Path:
        doc = json.loads(
            (EXAMPLES / "illustrative-carbon-verification-2022.json").read_text(encoding="utf-8")
        )
        doc["boundary"] += f" (variant {variant})"
        path = work / "webank-2022-verification.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    from eth_account import Account

    from attest.chain.committee import Committee
    from attest.chain.connection import Chain
    from attest.chain.deployment import Deployment
    from attest.chain.keystore import create_keystore
    from attest.core.contracts import Role
    from attest.core.manifest import write_atomic
    from attest.core.records import OrganisationInfo

    root = tmp_path_factory.mktemp("publish-year")
    node = AnvilNode(root / "node")
    node.start()
    try:
        dev_key = dev_private_keys(1)[0]
        committee = Account.from_key(dev_key)
        bank, verifier = Account.create(), Account.create()
        chain = Chain.connect(node.rpc_url)
        for acct in (bank, verifier):
            chain.fund(acct.address, 10**20, funder_key=dev_key)
        dep = Deployment.deploy(
            chain,
            committee,
            committee=[committee.address],
            threshold=1,
            network="anvil",
            rpc_url=node.rpc_url,
        )
        admit = Committee(dep).admit
        admit([committee], OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [bank.address])
        body = OrganisationInfo(VERIFIER_NAME, "CN", "verification body", "CNAS", "V-1")
        admit([committee], body, Role.VERIFIER, [verifier.address])
        manifest = root / "deployment.json"
        write_atomic(manifest, dep.manifest.dump())
        bank_ks, verifier_ks = root / "bank.keystore.json", root / "verifier.keystore.json"
        create_keystore(bank_ks, PASSWORD, private_key=bank.key.hex())
        create_keystore(verifier_ks, PASSWORD, private_key=verifier.key.hex())
        yield Setup(root, manifest, bank_ks, verifier_ks, dep)
    finally:
        node.stop()


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"


def written(work: Path) -> list[str]:
    return sorted(p.name for p in work.iterdir() if p.name.endswith((".receipt.json", ".canonical.json")))


def test_verification_body_publishes_a_statement_covering_the_figures(setup: Setup) -> None:
    figures, report = setup.year(setup.root / "covered", 1)
    year = summary(setup.run("--figures", figures, "--report", report, "--json"))
    figures_uid = year["documents"][0]["uid"]
    statement = setup.statement(figures.parent, 1)

    head = setup.head()
    figures_receipt = figures.parent / "webank-2022-figures.receipt.json"
    out = summary(
        setup.run(
            "--statement", statement, "--covers", figures_receipt, "--json", keystore=setup.verifier_keystore
        )
    )
    assert (out["organisation"], out["year"], out["covers"]) == (VERIFIER_NAME, 2022, figures_uid)
    (st,) = out["documents"]
    assert (st["role"], st["kind"], st["already_anchored"]) == ("statement", "statement", False)
    assert setup.head() == head + 1
    assert [a.uid for a in setup.dep.covering_statements(figures_uid)] == [st["uid"]]
    receipt = json.loads(Path(st["receipt"]).read_text(encoding="utf-8"))
    assert receipt["attestation"]["ref"] == figures_uid and receipt["attestation"]["kind"] == "statement"

    # Covering by the figures' digest finds the same figures; re-running sends nothing.
    again = summary(
        setup.run("--statement", statement, "--covers", year["documents"][0]["digest"], "--json",
                  keystore=setup.verifier_keystore)
    )  # fmt: skip
    assert again["covers"] == figures_uid and again["documents"][0]["already_anchored"] is True
    assert setup.head() == head + 1

    human = setup.run("--statement", statement, "--covers", figures_uid, keystore=setup.verifier_keystore)
    assert human.returncode == 0, human.stderr
    assert f"covering the figures {figures_uid}" in human.stdout and "0 transaction(s) sent" in human.stdout

    verified = run_attest("verify", "-d", setup.manifest, figures, "--statement", statement, timeout=TIMEOUT)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_restatement_supersedes_the_old_figures(setup: Setup) -> None:
    figures, report = setup.year(setup.root / "restated", 2)
    first = summary(setup.run("--figures", figures, "--report", report, "--json"))
    old_uid = first["documents"][0]["uid"]
    old_receipt = figures.parent / "webank-2022-figures.receipt.json"
    old_receipt = old_receipt.rename(figures.parent / "webank-2022-figures.original.receipt.json")

    doc = json.loads(figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + 1000)  # the correction
    figures.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    head = setup.head()
    out = summary(setup.run("--figures", figures, "--report", report, "--supersedes", old_receipt, "--json"))
    fig, rep = out["documents"]
    assert out["supersedes"] == old_uid
    assert (fig["already_anchored"], rep["already_anchored"]) == (False, True)  # the same report: reused
    assert setup.head() == head + 1
    assert setup.dep.attestation(old_uid).superseded_by == fig["uid"]
    assert json.loads(Path(fig["receipt"]).read_text(encoding="utf-8"))["attestation"]["ref"] == old_uid

    # Safe to re-run (e.g. after a crash before the report): the restatement is found done.
    again = summary(setup.run("--figures", figures, "--report", report, "--supersedes", old_uid, "--json"))
    assert [d["already_anchored"] for d in again["documents"]] == [True, True]
    assert setup.head() == head + 1


def test_bad_statement_and_restatement_input_exit_2_and_nothing_sent(setup: Setup) -> None:
    figures, report = setup.year(setup.root / "bad", 3)
    published = summary(setup.run("--figures", figures, "--report", report, "--json"))
    figures_uid, report_uid = (d["uid"] for d in published["documents"])
    figures_receipt, report_receipt = (Path(d["receipt"]) for d in published["documents"])
    statement = setup.statement(figures.parent, 3)
    before = written(figures.parent)
    head = setup.head()
    verifier, year = setup.verifier_keystore, ("--figures", figures, "--report", report)
    cases: list[tuple[tuple[str | Path, ...], Path | None, tuple[str, ...]]] = [
        # usage: one run publishes a year or a statement
        ((), None, ("nothing to publish",)),
        (("--figures", figures), None, ("--report is needed too",)),
        (("--statement", statement), verifier, ("--statement needs --covers",)),
        (("--statement", statement, "--figures", figures, "--covers", figures_uid), verifier, ("--figures",)),
        (("--statement", statement, "--covers", figures_uid, "--supersedes", figures_uid), verifier,
         ("--supersedes restates figures",)),
        ((*year, "--covers", figures_uid), None, ("needs --statement",)),
        # --covers: read before the chain, then checked on it
        (("--statement", statement, "--covers", "not-a-thing"), verifier, ("--covers", "'not-a-thing'")),
        (("--statement", statement, "--covers", report_receipt), verifier,
         ("--covers", "a file attestation, not figures")),
        (("--statement", statement, "--covers", report_uid), verifier, ("is file, not figures",)),
        (("--statement", statement, "--covers", "0x" + "11" * 32), verifier, ("no attestation with uid",)),
        (("--statement", figures, "--covers", figures_uid), verifier, ("needs a carbon-verification/1",)),
        # --supersedes
        ((*year, "--supersedes", "1234"), None, ("--supersedes", "'1234'")),
        ((*year, "--supersedes", figures_receipt), None, ("the same document",)),
        ((*year, "--supersedes", report_uid), None, ("is file, not figures",)),
        ((*year, "--supersedes", "0x" + "22" * 32), None, ("no attestation with uid",)),
    ]  # fmt: skip
    for args, keystore, needles in cases:
        one_line_error(setup.run(*args, keystore=keystore), *needles)
    assert setup.head() == head
    assert (
        written(figures.parent) == before
        and not statement.with_name("webank-2022-verification.receipt.json").exists()
    )
