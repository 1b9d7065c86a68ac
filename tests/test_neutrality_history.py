"""`attest history --neutrality`: an organisation's carbon-neutrality commitment year by year, from
the chain alone — figures anchored, a statement backing a claim for them, claim met, credits unique,
status — with a missing year shown as a gap. Library on the embedded chain, then the real CLI
against a real anvil node (with `verify --max-vintage-age` and `sign-statement`'s refusal)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, build_consortium
from worlds import run_attest

from attest.app.history import neutrality_history, neutrality_lines
from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.chain.connection import Chain
from attest.core.contracts import Kind

F2022 = EXAMPLES / "webank-2022-figures.json"
S2022 = EXAMPLES / "illustrative-carbon-verification-2022-v2.json"
F2023 = EXAMPLES / "illustrative-webank-2023-figures.json"
S2023 = EXAMPLES / "illustrative-carbon-verification-2023.json"


def load(path: Path) -> Any:
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))


def write(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def year_2024(d: Path) -> tuple[Path, Path]:
    """The 2023 examples moved to 2024, retiring credits of other (2024) issuances."""
    f = load(F2023)
    f.update(reporting_year=2024, period={"start": "2024-01-01", "end": "2024-12-31"})
    s = load(S2023)
    s.update(reporting_year=2024, period={"start": "2024-01-01", "end": "2024-12-31"}, issued="2025-03-28")
    verra, forestry = s["neutrality_claim"]["retirements"]
    verra.update(vintage=2024, retired_on="2025-03-14")
    verra["serial_blocks"] = [{"serial": "0003-200001-205800-VCS-VCU-003-VER-CN-0003-01012024-31122024-1"}]
    forestry.update(vintage=2023, retired_on="2025-03-14")
    forestry["serial_blocks"][0]["issuance"] = "FCS-EXAMPLE-01-2023-A"
    return write(d / "figures-2024.json", f), write(d / "statement-2024.json", s)


def pair(c: Consortium, figures: Path, statement: Path) -> tuple[str, str]:
    f = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    s = publish(c.dep, c.verifier, statement, kind=Kind.STATEMENT, ref=f).published.attestation.uid
    return f, s


def copies(d: Path) -> dict[str, Path]:
    out = {}
    for p in (F2022, S2022, F2023, S2023):
        out[p.name] = d / p.name
        shutil.copyfile(p, out[p.name])
    return out


def test_2022_and_2023_met(tmp_path: Path) -> None:
    c = build_consortium(Chain.embedded())
    p = copies(tmp_path)
    f22, s22 = pair(c, p[F2022.name], p[S2022.name])
    pair(c, p[F2023.name], p[S2023.name])
    rows = neutrality_history(c.dep, c.bank_id)
    assert [(r.year, r.status, r.met) for r in rows] == [(2022, "current", True), (2023, "current", True)]
    first = rows[0].to_json()
    assert first["figures"]["uid"] == f22 and first["statement"]["uid"] == s22
    assert (first["residual_tonnes"], first["retired_tonnes"], first["credits_unique"]) == (6860, 6900, True)
    lines = neutrality_lines("WeBank", c.bank_id, rows)
    assert lines[0] == f"WeBank (org #{c.bank_id}): carbon neutrality, 2022–2023"
    assert lines[2].startswith("2022  ✓        ✓          ✓ 6900 ≥ 6860 t      ✓               current")
    # the year's credits per registry: Verra's (one key, units numbered registry-wide) are named from
    # the chain alone; the CCER issuance only by records that hold it (none given here)
    assert first["verified_emissions_tonnes"] == 6860
    assert first["credits_by_registry"] == [
        {"registry": "verra", "blocks": 1, "units": 5000, "confirmed_by_records": None},
        {"registry": None, "blocks": 1, "units": 1900, "confirmed_by_records": None},
    ]
    assert "      credits   verra: 1 block(s), 5000 unit(s)" in lines
    # the verifier made no claim of its own; an organisation without any claim has no rows
    assert neutrality_history(c.dep, c.verifier_id) == [] and neutrality_history(c.dep, c.rival_id) == []


def test_a_missing_year_is_a_gap_not_skipped(tmp_path: Path) -> None:
    c = build_consortium(Chain.embedded())
    p = copies(tmp_path)
    pair(c, p[F2022.name], p[S2022.name])
    pair(c, *year_2024(tmp_path))
    rows = neutrality_history(c.dep, c.bank_id)
    assert [(r.year, r.status) for r in rows] == [(2022, "current"), (2023, "gap"), (2024, "current")]
    gap = rows[1]
    assert gap.figures is None and gap.claim_met is None and gap.credits_unique is None and not gap.met
    j = gap.to_json()
    assert (j["figures_anchored"], j["statement_covering"], j["claim_met"]) == (False, False, None)
    assert "2023  ✗        ✗          —" in "\n".join(neutrality_lines("WeBank", c.bank_id, rows))
    # figures anchored without a statement backing them are a gap too, and so is a year asked for
    publish(c.dep, c.bank, p[F2023.name], kind=Kind.FIGURES)
    rows = neutrality_history(c.dep, c.bank_id, to_year=2025)
    assert [(r.year, r.status, r.figures is not None) for r in rows] == [
        (2022, "current", True), (2023, "gap", True), (2024, "current", True), (2025, "gap", False),
    ]  # fmt: skip


def reusing_2022_credits_in_2023(tmp_path: Path) -> tuple[Consortium, str, str]:
    """2022's figures and statement, then 2023's with one more Verra block overlapping 2022's
    credits: (the consortium, the 2022 figures' and statement's uids)."""
    c = build_consortium(Chain.embedded())
    p = copies(tmp_path)
    f22, s22 = pair(c, p[F2022.name], p[S2022.name])
    s = load(S2023)
    extra = copy.deepcopy(s["neutrality_claim"]["retirements"][0])
    extra.update(vintage=2022, quantity_tco2e="200")
    extra["serial_blocks"] = [{"serial": "0001-004901-005100-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}]
    s["neutrality_claim"]["retirements"].append(extra)
    pair(c, p[F2023.name], write(tmp_path / "reusing.json", s))
    return c, f22, s22


def test_reused_credits_revoked_statements_and_restated_figures(tmp_path: Path) -> None:
    c, f22, s22 = reusing_2022_credits_in_2023(tmp_path)
    rows = neutrality_history(c.dep, c.bank_id)
    assert [(r.year, r.credits_unique, r.met) for r in rows] == [(2022, False, False), (2023, False, False)]
    assert s22 in rows[1].double_claims[0] and "for WeBank (org #1), 2022" in rows[1].double_claims[0]
    revoke(c.dep, c.verifier, s22, "retired for 2023 instead")
    rows = neutrality_history(c.dep, c.bank_id)
    assert [(r.year, r.status, r.credits_unique) for r in rows] == [
        (2022, "revoked", None),
        (2023, "current", True),
    ]
    assert rows[0].statement_status is not None and "retired for 2023 instead" in rows[0].statement_status
    # 2022 restated: the row follows the current figures, which no statement backs yet
    restated = load(F2022)
    restated["metrics"][0]["value"] = "360000001"
    publish(c.dep, c.bank, write(tmp_path / "restated.json", restated), kind=Kind.FIGURES, ref=f22)
    assert neutrality_history(c.dep, c.bank_id)[0].status == "gap"


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, cwd=cwd, timeout=120)


@pytest.mark.anvil
def test_cli_history_neutrality_verify_and_sign_on_anvil(anvil: Any, tmp_path: Path) -> None:
    from attest.core.manifest import write_atomic
    from attest.devtools.node import dev_private_keys

    c = build_consortium(Chain.connect(anvil.rpc_url), funder_key=dev_private_keys(1)[0])
    p = copies(tmp_path)
    pair(c, p[F2022.name], p[S2022.name])
    manifest = tmp_path / "deployment.json"
    write_atomic(manifest, c.dep.manifest.dump())
    common = ("--deployment", manifest, "--rpc-url", anvil.rpc_url)
    # 2024 through the real publishing command (and its journal): the statement's blocks go with it
    from attest.chain.keystore import create_keystore

    f2024, s2024 = year_2024(tmp_path)
    publish(c.dep, c.bank, f2024, kind=Kind.FIGURES)
    verifier_key = tmp_path / "verifier-key.json"
    create_keystore(verifier_key, "neutrality test password", private_key=c.verifier.key.hex())
    published = run_attest(
        "publish", "statement", s2024, "--covers", f2024.with_name("figures-2024.receipt.json"),
        "--keystore", verifier_key, *common, "--json",
        cwd=tmp_path, timeout=120, env={"ATTEST_PASSWORD": "neutrality test password"},
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    out = json.loads(published.stdout)
    assert out["outcome"] == "sent" and out["gas_used"] > 130_000  # a plain statement: ~64,400
    assert c.dep.neutrality_claims([out["uid"]])[out["uid"]].retired_tonnes == 6700
    assert len(c.dep.credit_claims_of(out["uid"])) == 2

    human = _run("history", "--org", "WeBank", "--neutrality", *common, cwd=tmp_path)
    assert human.returncode == 0, human.stderr
    assert "WeBank (org #1): carbon neutrality, 2022–2024" in human.stdout
    assert "2022  ✓        ✓          ✓ 6900 ≥ 6860 t" in human.stdout
    assert (
        "2023  ✗        ✗          —" in human.stdout and "no figures anchored for this year" in human.stdout
    )
    data = json.loads(
        _run("history", "--org", "WeBank", "--neutrality", "--json", *common, cwd=tmp_path).stdout
    )
    assert [(y["year"], y["status"]) for y in data["years"]] == [
        (2022, "current"),
        (2023, "gap"),
        (2024, "current"),
    ]
    assert data["met"] is False
    one = json.loads(_run("history", "--org", "WeBank", "--neutrality", "--year", "2022", "--json", *common,
                          cwd=tmp_path).stdout)  # fmt: skip
    assert [y["year"] for y in one["years"]] == [2022] and one["met"] is True
    bad = _run("history", "--org", "WeBank", "--to", "2025", *common, cwd=tmp_path)
    assert bad.returncode == 2 and "--to goes with --neutrality" in bad.stderr

    # verify's vintage policy: the 2021 forestry credits are too old for a policy of 0 years
    ok = _run("verify", p[F2022.name], "--statement", p[S2022.name], *common, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✓ credits       no serial block is claimed by another live statement" in ok.stdout
    assert "✓ retirement: vintage vintages 2021, 2022 (rule: vintage from 2017 to 2022" in ok.stdout
    strict = _run("verify", p[S2022.name], "--max-vintage-age", "0", *common, cwd=tmp_path)
    assert strict.returncode == 1 and "✗ retirement: vintage retirements[1] vintage 2021" in strict.stdout
    many = _run("verify-many", p[S2022.name], "--max-vintage-age", "0", *common, cwd=tmp_path)
    assert many.returncode == 1 and "retirement: vintage" in many.stdout

    # an off-line signed attestation cannot carry credit blocks: refused before signing
    key = tmp_path / "verifier.json"
    env_pw = {"ATTEST_PASSWORD": "neutrality test password"}
    made = run_attest("account", "new", key, cwd=tmp_path, timeout=120, env=env_pw)
    assert made.returncode == 0, made.stderr
    signed = run_attest(
        "sign-statement", p[S2022.name], "--covers", "0x" + "11" * 32, "--nonce", "0",
        "--keystore", key, "--deployment", manifest, cwd=tmp_path, timeout=120, env=env_pw,
    )  # fmt: skip
    assert signed.returncode == 2 and signed.stderr.count("\n") == 1, signed.stderr
    assert "retires 2 credit block(s)" in signed.stderr and "attest publish statement" in signed.stderr


def test_each_row_runs_verifys_own_checks_on_its_statement(tmp_path: Path) -> None:
    """The history is one more way of verifying: each row carries its statement's report by the same
    checks as `verify DIGEST --org VERIFIER` (the same lines, the same verdict), and a row is met only
    if that report verifies — the 2023 statement that reuses 2022's credits fails `credits` there
    as in `verify`."""
    from attest.app.verify import verify_target

    c, _, _ = reusing_2022_credits_in_2023(tmp_path)
    rows = neutrality_history(c.dep, c.bank_id)
    for r in rows:
        assert r.statement is not None and r.verification is not None
        alone = verify_target(c.dep, r.statement.digest.removeprefix("0x"), org=str(r.statement.org_id))
        assert [(x.name, x.status) for x in r.verification.checks] == [
            (x.name, x.status) for x in alone.checks
        ]
        assert r.verification.verified is alone.verified
    assert [(r.year, r.verification is not None and r.verification.verified) for r in rows] == [
        (2022, False),  # its units are claimed again in 2023: `credits` fails for both
        (2023, False),
    ]
    lines = "\n".join(neutrality_lines("WeBank", c.bank_id, rows))
    assert "verify    the statement NOT VERIFIED (failed: credits" in lines, lines
