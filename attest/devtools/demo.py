"""The demo: the whole story on the embedded chain, in one process, nothing to start.

A consortium committee deploys the contracts and admits WeBank as a publisher and an (illustrative)
carbon verification body as a verifier; WeBank publishes its 2022 ESG figures; the verification body
publishes its (illustrative) carbon-verification/2 statement covering them, with the credit blocks
it retires recorded on-chain; an auditor verifies figures and statement together, cross-checking one
against the other and checking that no credit is claimed twice; the same for (illustrative) 2023;
the commitment is followed year by year (`attest history --neutrality`); then one figure is edited in
a copy and the auditor's check fails, naming the check.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from attest.app.publishing import publish
from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.contracts import Kind, Role
from attest.core.records import OrganisationInfo
from attest.core.report_text import report_lines
from attest.core.verification import Report

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FIGURES = REPO_ROOT / "examples" / "webank-2022-figures.json"
EXAMPLE_STATEMENT = REPO_ROOT / "examples" / "illustrative-carbon-verification-2022-v2.json"
EXAMPLE_FIGURES_2023 = REPO_ROOT / "examples" / "illustrative-webank-2023-figures.json"
EXAMPLE_STATEMENT_2023 = REPO_ROOT / "examples" / "illustrative-carbon-verification-2023.json"
TAMPERED_METRIC = "S.customers.individual"


def run_demo(workdir: Path | None = None, *, as_json: bool = False) -> bool:
    """Run the story; return True when it went as it must (original verifies, tampered copy does not)."""
    from eth_account import Account

    from attest.app.history import neutrality_history, neutrality_lines
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
    admit = Committee(dep).admit
    bank_id = admit([committee], OrganisationInfo("WeBank", "CN", "bank"), Role.PUBLISHER, [bank.address])
    verifier_info = OrganisationInfo(
        "Example Carbon Verification Body (illustrative)",
        "CN",
        "verification body",
        "CNAS (illustrative)",
        "V-0000",
    )
    verifier_id = admit([committee], verifier_info, Role.VERIFIER, [verifier.address])
    say(f"   WeBank is org #{bank_id}, the verification body org #{verifier_id}")

    say("3. WeBank publishes its 2022 ESG figures")
    figures = out / EXAMPLE_FIGURES.name
    shutil.copyfile(EXAMPLE_FIGURES, figures)
    result = publish(dep, bank, figures, kind=Kind.FIGURES)
    a = result.published.attestation
    say(f"   digest sha256 {result.document.digest}")
    say(f"   tx {a.transaction_hash}, block {a.block_number}, gas used {result.published.gas_used}")
    say(f"   receipt {result.receipt_path}")

    say("4. The verification body publishes its (illustrative) statement covering those figures,")
    say("   with the carbon-credit blocks it retires recorded on-chain")
    statement = out / EXAMPLE_STATEMENT.name
    shutil.copyfile(EXAMPLE_STATEMENT, statement)
    stated = publish(dep, verifier, statement, kind=Kind.STATEMENT, ref=a.uid)
    say(f"   digest sha256 {stated.document.digest}, block {stated.published.attestation.block_number}")

    say("5. An auditor verifies the figures and the statement together")
    good, good_statement = verify_pair(dep, str(figures), str(statement))
    for line in report_lines(good) + report_lines(good_statement):
        say(line)

    say("6. For 2023 (illustrative): WeBank publishes figures, the body its statement; the auditor verifies")
    figures_2023, statement_2023 = out / EXAMPLE_FIGURES_2023.name, out / EXAMPLE_STATEMENT_2023.name
    shutil.copyfile(EXAMPLE_FIGURES_2023, figures_2023)
    shutil.copyfile(EXAMPLE_STATEMENT_2023, statement_2023)
    a_2023 = publish(dep, bank, figures_2023, kind=Kind.FIGURES).published.attestation
    publish(dep, verifier, statement_2023, kind=Kind.STATEMENT, ref=a_2023.uid)
    good_2023, good_statement_2023 = verify_pair(dep, str(figures_2023), str(statement_2023))
    for line in report_lines(good_statement_2023):
        if line.startswith(
            ("  ✓ credits", "  ✗ credits", "  ✓ retirement", "  ✗ retirement", "VERIFIED", "NOT")
        ):
            say(line)

    say("7. The commitment year by year (`attest history --org WeBank --neutrality`)")
    years = neutrality_history(dep, bank_id)
    for line in neutrality_lines("WeBank", bank_id, years):
        say(line)

    say(f"8. Someone edits one figure ({TAMPERED_METRIC}) in a copy; the auditor verifies the copy")
    tampered = out / "webank-2022-figures.edited.json"
    doc: dict[str, Any] = json.loads(figures.read_text(encoding="utf-8"))
    for metric in doc["metrics"]:
        if metric["code"] == TAMPERED_METRIC:
            metric["value"] = str(int(metric["value"]) + 10_000_000)
    tampered.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    bad = verify_target(dep, str(tampered))
    for line in report_lines(bad):
        say(line)

    followed = [y.year for y in years if y.met] == [2022, 2023]
    ok = (
        good.verified
        and good_statement.verified
        and good_2023.verified
        and good_statement_2023.verified
        and followed
        and not bad.verified
    )
    if as_json:
        summary = _summary(good, bad, result.published.gas_used, out, ok)
        summary["statement"] = good_statement.to_json()
        summary["statement_2023"] = good_statement_2023.to_json()
        summary["neutrality"] = [y.to_json() for y in years]
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        verdict = "as expected" if ok else "NOT as expected"
        say(
            f"Demo finished {verdict}: the figures and the statements covering them verify (exit 0), "
            "the commitment is met in 2022 and 2023, the edited copy does not verify (exit 1)."
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
