"""The demo: the whole story on the embedded chain, in one process, nothing to start.

A consortium committee deploys the contracts and admits WeBank as a publisher and an (illustrative)
carbon verification body as a verifier; WeBank publishes its 2022 ESG figures; the verification body
publishes its (illustrative) statement covering them; an auditor verifies figures and statement
together, cross-checking one against the other; then one figure is edited in a copy and the auditor's
check fails, naming the check.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from attest.app.publishing import publish
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind, Role
from attest.core.records import OrganisationInfo
from attest.core.report_text import report_lines
from attest.core.verification import Report

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FIGURES = REPO_ROOT / "examples" / "webank-2022-figures.json"
EXAMPLE_STATEMENT = REPO_ROOT / "examples" / "illustrative-carbon-verification-2022.json"
TAMPERED_METRIC = "S.customers.individual"


def run_demo(workdir: Path | None = None, *, as_json: bool = False) -> bool:
    """Run the story; return True when it went as it must (original verifies, tampered copy does not)."""
    from eth_account import Account

    from attest.app.verify import verify_pair, verify_target
    from attest.core.manifest import write_atomic

    out = workdir or Path(tempfile.mkdtemp(prefix="esg-attest-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda *_: None) if as_json else click.echo

    chain = Chain.embedded()
    committee, bank, verifier = Account.create(), Account.create(), Account.create()
    for acct in (committee, bank, verifier):
        chain.fund(acct.address)
    say("1. The consortium committee deploys governance and registry on the embedded chain")
    dep = Deployment.deploy(chain, committee, committee=[committee.address], threshold=1, network="embedded")
    manifest_path = out / "deployment.json"
    write_atomic(manifest_path, dep.manifest.dump())
    say(f"   governance {dep.manifest.governance.address}, registry {dep.manifest.registry.address}")

    say("2. The committee admits WeBank (publisher) and a verification body (verifier)")
    bank_id = dep.admit([committee], OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [bank.address])
    verifier_info = OrganisationInfo(
        "Example Carbon Verification Body (illustrative)",
        "CN",
        "verification body",
        "CNAS (illustrative)",
        "V-0000",
    )
    verifier_id = dep.admit([committee], verifier_info, Role.VERIFIER, [verifier.address])
    say(f"   WeBank is org #{bank_id}, the verification body org #{verifier_id}")

    say("3. WeBank publishes its 2022 ESG figures")
    figures = out / EXAMPLE_FIGURES.name
    shutil.copyfile(EXAMPLE_FIGURES, figures)
    result = publish(dep, bank, figures, kind=Kind.FIGURES)
    a = result.published.attestation
    say(f"   digest sha256 {result.document.digest}")
    say(f"   tx {a.transaction_hash}, block {a.block_number}, gas used {result.published.gas_used}")
    say(f"   receipt {result.receipt_path}")

    say("4. The verification body publishes its (illustrative) statement covering those figures")
    statement = out / EXAMPLE_STATEMENT.name
    shutil.copyfile(EXAMPLE_STATEMENT, statement)
    stated = publish(dep, verifier, statement, kind=Kind.STATEMENT, ref=a.uid)
    say(f"   digest sha256 {stated.document.digest}, block {stated.published.attestation.block_number}")

    say("5. An auditor verifies the figures and the statement together")
    good, good_statement = verify_pair(dep, str(figures), str(statement))
    for line in report_lines(good) + report_lines(good_statement):
        say(line)

    say(f"6. Someone edits one figure ({TAMPERED_METRIC}) in a copy; the auditor verifies the copy")
    tampered = out / "webank-2022-figures.edited.json"
    doc: dict[str, Any] = json.loads(figures.read_text(encoding="utf-8"))
    for metric in doc["metrics"]:
        if metric["code"] == TAMPERED_METRIC:
            metric["value"] = str(int(metric["value"]) + 10_000_000)
    tampered.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    bad = verify_target(dep, str(tampered))
    for line in report_lines(bad):
        say(line)

    ok = good.verified and good_statement.verified and not bad.verified
    if as_json:
        summary = _summary(good, bad, result.published.gas_used, out, ok)
        summary["statement"] = good_statement.to_json()
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        verdict = "as expected" if ok else "NOT as expected"
        say(
            f"Demo finished {verdict}: the figures and the statement covering them verify (exit 0), "
            "the edited copy does not (exit 1)."
        )
        say(f"Files are in {out}")
    return ok


def _summary(good: Report, bad: Report, gas: int | None, out: Path, ok: bool) -> dict[str, Any]:
    return {
        "ok": ok,
        "workdir": str(out),
        "gas_used": gas,
        "original": good.to_json(),
        "edited": bad.to_json(),
    }
