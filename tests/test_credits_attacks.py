"""The lies a bank (or its verification body) would tell about its carbon credits, each a test.

Each test is one way to mislead an auditor about the credits behind a neutrality claim — the same
units written so that they get another identity, a registry the tool does not know, someone else's
retirement claimed by a legal name the statement invents, a beneficiary that is only mentioned, a
relabelled vintage or project, an export doctored or given twice, a requirement dropped by verifying
a digest, a block recorded twice on-chain — and asserts the SAFE behaviour: the spelling is refused
or has the honest key, the line fails, or the verdict is not VERIFIED. The `defeated` tests are
attacks that never worked; they stay so that they keep not working. Unit-level first (no chain), then
end to end on the embedded chain through `verify_target`, and one through the real CLI on anvil.

Threat model: the bank and its verification body write the statement, anchor it with any client they
like (the contract cannot check keys), and may hand the auditor files; the auditor runs `attest
verify` and trusts only the chain, the tool and registry exports it fetched itself.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Consortium, build_consortium

from attest.core.credits import ClaimRecord, CreditPolicy, collisions, retirement_checks
from attest.core.errors import InputError
from attest.core.registries import credit_block
from attest.core.registry_records import read_records, record_checks, record_lines
from attest.core.statement import CarbonVerificationV2, parse_statement

DATA = Path(__file__).resolve().parent / "data" / "registries"
S2023 = EXAMPLES / "illustrative-carbon-verification-2023.json"

HILTI_GS = "GS1-1-KE-GS11603-16-2025-30256-110-5463"
GS_ISSUANCE = "GS1-1-KE-GS11603-16-2025-30256"
SHOPIFY_VERRA = "19334-940082955-940097954-VCS-VCU-576-VER-US-14-4268-01062024-31122024-1"


def same_units_or_refused(registry: str, honest: dict[str, Any], other: dict[str, Any]) -> None:
    """The safe outcomes for a second spelling of the same units: the same canonical key (so the
    chain / verify see the collision), or the spelling is refused outright (ValueError)."""
    a = credit_block(registry, "honest", **honest)
    try:
        b = credit_block(registry, "other", **other)
    except ValueError:
        return
    assert (b.key, b.first, b.last) == (a.key, a.first, a.last), (
        f"{other!r} reads as issuance {b.canonical_issuance!r}, not {a.canonical_issuance!r}: "
        "another key, so no collision on-chain or in verify"
    )


# ---------------------------------------------------------------- 1. spellings that escape the identity


@pytest.mark.parametrize(
    "issuance",
    [
        GS_ISSUANCE + "\u200b",  # zero-width space (invisible)
        "GS1-1-KE\u200b-GS11603-16-2025-30256",  # zero-width space inside (invisible)
        GS_ISSUANCE + "\u00ad",  # soft hyphen (invisible)
        "GS1-1-KE-GS11603-16-2025-30256\u2060",  # word joiner (invisible)
        "\ufeff" + GS_ISSUANCE,  # BOM / zero-width no-break space (invisible)
        "GS1-1-\u041aE-GS11603-16-2025-30256",  # Cyrillic capital KA for K (looks identical)
        "GS1\u20101\u2010KE\u2010GS11603\u201016\u20102025\u201030256",  # U+2010 HYPHEN for '-'
        "GS1\u20111\u2011KE\u2011GS11603\u201116\u20112025\u201130256",  # U+2011 non-breaking hyphen
        "GS1\u22121\u2212KE\u2212GS11603\u221216\u22122025\u221230256",  # U+2212 MINUS SIGN
        "GS1-1-KE-GS\u0661\u0661\u0666\u0660\u0663-16-2025-30256",  # Arabic-Indic digits
        "GS1-1-KE-GS11603-16-2025-30256.",  # trailing full stop
    ],
)
def test_invisible_or_lookalike_characters_in_an_issuance_are_the_same_units_or_refused(
    issuance: str,
) -> None:
    same_units_or_refused(
        "gold-standard",
        {"issuance": GS_ISSUANCE, "start": 110, "end": 5463},
        {"issuance": issuance, "start": 110, "end": 5463},
    )


@pytest.mark.parametrize(
    "serial",
    [
        "GS1-1-KE\u200b-GS11603-16-2025-30256-110-5463",  # ZWSP inside the serial form too
        "GS1-1-\u041aE-GS11603-16-2025-30256-110-5463",  # Cyrillic K in the serial form
    ],
)
def test_invisible_or_lookalike_characters_in_a_serial_are_the_same_units_or_refused(serial: str) -> None:
    same_units_or_refused("gold-standard", {"serial": HILTI_GS}, {"serial": serial})


def test_a_gold_standard_issuance_written_as_its_full_serial_is_the_same_units_or_refused() -> None:
    """`issuance` + `start` + `end` where the issuance is the registry's serial as shown (units
    included): an auditor reads exactly the registry's serial; the key is another issuance's."""
    same_units_or_refused(
        "gold-standard",
        {"serial": HILTI_GS},
        {"issuance": HILTI_GS, "start": 110, "end": 5463},
    )


def test_an_acr_issuance_written_as_its_full_serial_is_the_same_units_or_refused() -> None:
    same_units_or_refused(
        "acr",
        {"serial": "ACR-FR-1129-2025-2917-30932 to 35143"},
        {"issuance": "ACR-FR-1129-2025-2917-30932 to 35143", "start": 30932, "end": 35143},
    )


def _statement(**changes: Any) -> dict[str, Any]:
    s: dict[str, Any] = copy.deepcopy(json.loads(S2023.read_text(encoding="utf-8")))
    s.update(changes)
    return s


def test_the_same_units_twice_in_one_statement_behind_an_invisible_character_are_refused() -> None:
    """Within ONE statement: the CCER block twice, the second with a zero-width space — the schema's
    'credit counted twice' check uses the same keys, so 900 units count as 1800 toward the residual."""
    s = _statement()
    r = s["neutrality_claim"]["retirements"][1]
    r["serial_blocks"].append({"issuance": "FCS-EXAMPLE-01-2022-A\u200b", "start": "300001", "end": "300900"})
    r["quantity_tco2e"] = "1800"
    with pytest.raises(InputError, match="counted twice"):
        parse_statement(s)


@pytest.mark.parametrize("where", ["serial", "issuance"])
def test_a_look_alike_letter_is_a_schema_error_naming_the_field(where: str) -> None:
    """A Cyrillic ES for the C of `VCS` in a Verra serial, or a Cyrillic KA in a CCER issuance: one
    schema error line naming the block's field (not a bare value error about the whole claim)."""
    s = _statement()
    if where == "serial":
        block = s["neutrality_claim"]["retirements"][0]["serial_blocks"][0]
        block["serial"] = block["serial"].replace("VCS", "V\u0421S")
        at = "retirements[0].serial_blocks[0].serial"
    else:
        block = s["neutrality_claim"]["retirements"][1]["serial_blocks"][0]
        block["issuance"] = block["issuance"].replace("E", "\u0415", 1)
        at = "retirements[1].serial_blocks[0].issuance"
    with pytest.raises(InputError, match=rf"{re.escape(at)}'?: holds U\+04"):
        parse_statement(s)


def test_collisions_see_an_invisible_respelling_of_claimed_units() -> None:
    """What verify's `credits` line rests on: another statement's claim under the honest key must be
    found for a block spelled with a zero-width space."""
    honest = credit_block("gold-standard", "x", serial=HILTI_GS)
    sneaky = credit_block("gold-standard", "y", issuance=GS_ISSUANCE + "\u200b", start=110, end=5463)
    claim = ClaimRecord(honest.key, 110, 5463, "0x" + "11" * 32, 10, 0)
    double, _ = collisions([sneaky], "0x" + "22" * 32, (2, 2025), [claim], {})
    assert double, "a claim on the same units under the canonical key is not seen"


# ---------------------------------------------------------------- 2. the registry records check


def records(*names: str) -> list[Any]:
    return [read_records(n, (DATA / n).read_bytes()) for n in names]


def _retiring_dict(
    org: dict[str, str],
    registry: str,
    blocks: list[dict[str, str]],
    quantity: int,
    vintage: int,
    on: str,
    beneficiary: str,
    project: str = "4268",
    period: tuple[str, str] = ("2025-01-01", "2025-12-31"),
    issued: str = "2026-04-30",
) -> dict[str, Any]:
    s = _statement()
    s["organisation"] = org
    s.update(reporting_year=int(period[1][:4]), period={"start": period[0], "end": period[1]}, issued=issued)
    r = s["neutrality_claim"]["retirements"][0]
    r.update(registry=registry, project_id=project, serial_blocks=blocks, quantity_tco2e=str(quantity))
    r.update(vintage=vintage, retired_on=on, beneficiary=beneficiary)
    s["neutrality_claim"]["retirements"] = [r]
    total = str(quantity)
    s["emissions_tco2e"] = {
        k: {"scope1": "0", "scope2": total, "scope3": "0"} for k in ("reported", "verified")
    }
    s["neutrality_claim"]["residual_emissions_tco2e"] = total
    return s


def _retiring(*args: Any, **kwargs: Any) -> CarbonVerificationV2:
    out = parse_statement(_retiring_dict(*args, **kwargs))
    assert isinstance(out, CarbonVerificationV2)
    return out


def test_a_legal_name_the_statement_invents_does_not_make_someone_elses_retirement_ours() -> None:
    """WeBank's verifier writes `organisation.legal_name: "Shopify Inc."` (nothing compares it with the
    chain or the figures) and retires Shopify's real Verra units: `credit records` ✓ "retired for
    Shopify Inc.", and without figures at hand `retirement: beneficiary` ✓ too."""
    org = {"name": "WeBank", "legal_name": "Shopify Inc.", "country": "CN"}
    s = _retiring(org, "verra", [{"serial": SHOPIFY_VERRA}], 15000, 2024, "2026-03-31", "Shopify Inc.")
    lines = record_lines(s, records("verra-transactions.csv"), require=True)
    (_, status, detail) = lines[0]
    assert status != "pass", detail


def test_the_beneficiary_rule_without_figures_does_not_trust_the_statements_own_legal_name() -> None:
    org = {"name": "WeBank", "legal_name": "Shopify Inc.", "country": "CN"}
    s = _retiring(org, "verra", [{"serial": SHOPIFY_VERRA}], 15000, 2024, "2026-03-31", "Shopify Inc.")
    (beneficiary,) = [
        c for c in retirement_checks(s, None, CreditPolicy()) if c[0] == "retirement: beneficiary"
    ]
    assert not beneficiary[1], beneficiary[2]


def _export(name: str, header: list[str], rows: list[dict[str, str]]) -> Any:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({h: r.get(h, "") for h in header})
    return read_records(name, out.getvalue().encode("utf-8"))


GS_HEADER = next(csv.reader((DATA / "gold-standard-retirements.csv").open(encoding="utf-8")))


def _gs_row(serial: str, entity: str, retired: str, vintage: str) -> dict[str, str]:
    return {
        "Vintage": vintage, "Credit Status": "Retired", "GSID": "11603", "Serial Number": serial,
        "Retirement Date": retired, "Using Entity": entity, "Issuance Date": "2016-01-01",
    }  # fmt: skip


def test_a_beneficiary_text_that_merely_mentions_the_organisation_is_not_a_retirement_for_it() -> None:
    """`Using Entity: "Customers of WeBank"` (a broker's retirement for WeBank's clients — not WeBank's
    own claim) is read as retired for WeBank: a whole-word substring is enough."""
    f = _export("gs.csv", GS_HEADER, [_gs_row(HILTI_GS, "Customers of WeBank", "2026-04-10", "2025")])
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], True)
    assert status != "pass", detail


def test_the_vintage_a_gold_standard_serial_and_its_records_give_is_the_retirements() -> None:
    """Old credits relabelled: the serial (field 6) and the registry's `Vintage` say 2016; the
    statement says 2025. `retirement: vintage` ✓ with --max-vintage-age 0 and `credit records` ✓."""
    old = "GS1-1-KE-GS11603-16-2016-30256-110-5463"
    f = _export("gs.csv", GS_HEADER, [_gs_row(old, "WeBank", "2026-04-10", "2016")])
    org = {"name": "WeBank", "country": "CN"}
    try:
        s = _retiring(org, "gold-standard", [{"serial": old}], 5354, 2025, "2026-04-10", "WeBank",
                      project="GS11603")  # fmt: skip
    except InputError:
        return  # refused: the serial's vintage is not the retirement's (safe)
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], True)
    vintage = [
        c
        for c in retirement_checks(s, None, CreditPolicy(max_vintage_age=0))
        if c[0] == "retirement: vintage"
    ]
    assert status != "pass" or not vintage[0][1], (detail, vintage)


def test_a_verra_serial_relabelled_with_another_batch_project_and_vintage_is_not_confirmed() -> None:
    """Verra's key is the unit numbers alone, and the records check compares only those: a statement
    may write Bradesco's 2018 units (project 1491) as a 2025 serial of project 9999 — the vintage
    and project the statement shows are then not the registry's."""
    verra = records("verra-transactions.csv")
    relabelled = "99999-935997204-935997231-VCS-VCU-1-VER-BR-1-9999-01012025-31122025-0"
    org = {"name": "Bradesco Seguros", "country": "BR"}
    s = _retiring(org, "verra", [{"serial": relabelled}], 28, 2025, "2026-04-13", "Bradesco Seguros",
                  project="9999")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["Bradesco Seguros"], verra, True)
    assert status != "pass", detail


def test_units_retired_years_before_the_period_are_not_confirmed_for_it() -> None:
    """A 2020-vintage block retired for WeBank in March 2021 (for its 2020 claim, made elsewhere) is
    confirmed for WeBank's 2025 claim: the window opens on 1 January of the vintage, not the period."""
    serial = "GS1-1-KE-GS11603-16-2020-30256-110-5463"
    f = _export("gs.csv", GS_HEADER, [_gs_row(serial, "WeBank", "2021-03-01", "2020")])
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": serial}], 5354, 2020, "2026-01-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], True)
    assert status != "pass", detail


def test_the_same_export_given_twice_does_not_fail_a_good_retirement() -> None:
    """Robustness (false alarm, not a false pass): overlapping rows are counted twice."""
    f = _export("gs.csv", GS_HEADER, [_gs_row(HILTI_GS, "WeBank", "2026-04-10", "2025")])
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f, f], True)
    assert status == "pass", detail


def test_a_duplicated_beneficiary_column_is_refused_not_read_from_its_last_copy() -> None:
    """A header naming `Using Entity` twice: a spreadsheet shows the first (Rival Bank); the reader keeps
    the last (WeBank). A registry's own export never repeats a column: refuse it."""
    header = [*GS_HEADER, "Using Entity"]
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(header)
    row = {**_gs_row(HILTI_GS, "Rival Bank", "2026-04-10", "2025")}
    w.writerow([row.get(h, "") for h in GS_HEADER] + ["WeBank"])
    try:
        f = read_records("gs.csv", text.getvalue().encode("utf-8"))
    except InputError:
        return
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], True)
    assert status != "pass", detail


# ---------------------------------------------------------------- 3. end to end (embedded chain)

F2022 = EXAMPLES / "webank-2022-figures.json"
S2022 = EXAMPLES / "illustrative-carbon-verification-2022-v2.json"


def _world(tmp_path: Path) -> tuple[Consortium, str, str]:
    from attest.app.publishing import publish
    from attest.chain.connection import Chain
    from attest.core.contracts import Kind

    c = build_consortium(Chain.embedded())
    figures = tmp_path / F2022.name
    shutil.copyfile(F2022, figures)
    fuid = publish(c.dep, c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    rival = json.loads(F2022.read_text(encoding="utf-8"))
    rival["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank", "country": "CN"}
    rf = tmp_path / "rival-figures.json"
    rf.write_text(json.dumps(rival, ensure_ascii=False), encoding="utf-8")
    ruid = publish(c.dep, c.rival, rf, kind=Kind.FIGURES).published.attestation.uid
    return c, fuid, ruid


def _rival_statement(tmp_path: Path, name: str, edit: Any) -> Path:
    s = json.loads(S2022.read_text(encoding="utf-8"))
    s["organisation"] = {"name": "Rival Bank", "legal_name": "Rival Bank", "country": "CN"}
    for r in s["neutrality_claim"]["retirements"]:
        r["beneficiary"] = "Rival Bank"
    edit(s)
    path = tmp_path / name
    path.write_text(json.dumps(s, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _anchor_directly(
    c: Consortium, path: Path, figures_uid: str, keys: str = "canonical", repeat_first: bool = False
) -> None:
    """What a verification body with its own client does: attestStatementWithCredits with the keys it
    computes itself (here: the tool's own canonical ones, or the keys of the spelling), skipping the
    CLI's refusal of registries not in the table."""
    from attest.chain.anchoring import AnchorRequest, anchor
    from attest.core.contracts import Kind
    from attest.core.credits import ClaimedCredits, residual_tonnes
    from attest.core.documents import hash_document
    from attest.core.statement import load_statement

    doc = load_statement(path)
    assert isinstance(doc, CarbonVerificationV2) and doc.neutrality_claim is not None
    blocks = doc.neutrality_claim.blocks()
    chosen = [b.legacy_key if keys == "legacy" else b.key for b in blocks]
    claimed = [(k, b.first, b.last) for k, b in zip(chosen, blocks, strict=True)]
    if repeat_first:  # the same block recorded twice: the contract's retired count doubles it
        claimed.append(claimed[0])
    credits = ClaimedCredits(residual_tonnes(doc.neutrality_claim), tuple(claimed))
    request = AnchorRequest(
        hash_document(path).digest, Kind.STATEMENT, 2022, ref=figures_uid, credits=credits
    )
    ((result,),) = anchor(c.dep, c.verifier, [request])
    result.unwrap()


def _check(report: Any, name: str) -> Any:
    (found,) = [c for c in report.checks if c.name == name]
    return found


def test_e2e_verra_units_claimed_again_under_a_registry_name_not_in_the_table_do_not_verify(
    tmp_path: Path,
) -> None:
    """WeBank's statement (the example: Verra units 1–5000, CCER 200001–201900) is anchored honestly.
    Rival Bank's verifier then claims the same Verra units with `registry: "verra-registry"` (a
    valid registry id the schema accepts, which the table does not resolve) as issuance VCU + start +
    end, anchoring it with its own client. Its key is the spelling's, so neither the contract nor
    `verify` sees the double claim: verify must say the registry is unknown, and fail."""
    from attest.app.publishing import publish
    from attest.app.verify import verify_target
    from attest.core.contracts import Kind

    c, fuid, ruid = _world(tmp_path)
    honest = tmp_path / "webank.json"
    shutil.copyfile(S2022, honest)
    publish(c.dep, c.verifier, honest, kind=Kind.STATEMENT, ref=fuid)

    def respell(s: dict[str, Any]) -> None:
        r = s["neutrality_claim"]["retirements"][0]
        r["registry"] = "verra-registry"
        r["serial_blocks"] = [{"issuance": "VCU", "start": "1", "end": "5000"}]
        ccer = s["neutrality_claim"]["retirements"][1]["serial_blocks"][0]
        ccer.update(start="900001", end="901900")  # other CCER units: only the Verra units are shared

    sneaky = _rival_statement(tmp_path, "rival.json", respell)
    _anchor_directly(c, sneaky, ruid)
    report = verify_target(c.dep, str(sneaky))
    credits = _check(report, "credits")
    assert credits.status == "fail" and not report.verified, [
        (x.name, x.status, x.detail[:160]) for x in report.checks
    ]
    assert 'registry "verra-registry" is not one the tool knows; known: verra' in credits.detail
    (records_line,) = [x for x in report.checks if x.name == "credit records: retirements[0]"]
    assert records_line.status == "fail" and "is not one the tool knows" in records_line.detail


def test_e2e_a_pre_table_verra_claim_is_seen_whatever_batch_number_a_new_claim_writes(
    tmp_path: Path,
) -> None:
    """A statement anchored before the table (legacy keys: `verra` + the serial without its units,
    batch 0001 included) holds Verra units 1–5000. Since the table, the batch number is no part of a
    Verra unit's identity, so a new statement may write any batch: Rival Bank's verifier publishes the
    same units as batch 0002 through the normal CLI path. Before the fix `verify` found no double
    claim; now every claim on those Verra unit numbers is read, and one under a key the statement does
    not have is a warning naming it (failed by --strict): the key alone does not say it is Verra's."""
    from attest.app.publishing import publish
    from attest.app.verify import verify_target
    from attest.core.contracts import Kind

    c, fuid, ruid = _world(tmp_path)
    old = tmp_path / "webank-old.json"
    shutil.copyfile(S2022, old)
    _anchor_directly(c, old, fuid, keys="legacy")

    def rebatch(s: dict[str, Any]) -> None:
        r = s["neutrality_claim"]["retirements"][0]
        r["serial_blocks"] = [{"serial": "0002-000001-005000-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}]
        ccer = s["neutrality_claim"]["retirements"][1]["serial_blocks"][0]
        ccer.update(start="900001", end="901900")  # other CCER units: only the Verra block is shared

    new = _rival_statement(tmp_path, "rival.json", rebatch)
    publish(c.dep, c.verifier, new, kind=Kind.STATEMENT, ref=ruid)
    credits = _check(verify_target(c.dep, str(new)), "credits")
    assert credits.status == "warn" and "under another issuance key" in credits.detail, credits.detail
    assert "units 1–5000 claimed by statement 0x" in credits.detail
    strict = verify_target(c.dep, str(new), strict=True)
    assert _check(strict, "credits").status == "fail" and not strict.verified


def test_e2e_a_new_claim_recorded_under_its_spellings_key_is_not_hidden_from_later_claims(
    tmp_path: Path,
) -> None:
    """The old-spelling read path used by a NEW statement: Rival Bank's verifier anchors the example's
    units spelled `VCS` with batch 0099 under the keys of that spelling (a warning only). WeBank's
    honest canonical claim of the same units, anchored afterwards, verified clean before the fix:
    neither the contract nor `verify` of WeBank's statement found Rival Bank's claim. Now its Verra
    unit numbers are seen claimed under another key: a warning naming Rival Bank's statement."""
    from attest.app.publishing import publish
    from attest.app.verify import verify_target
    from attest.core.contracts import Kind

    c, fuid, ruid = _world(tmp_path)

    def respell(s: dict[str, Any]) -> None:
        r = s["neutrality_claim"]["retirements"][0]
        r["registry"] = "VCS"
        r["serial_blocks"] = [{"serial": "0099-000001-005000-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}]
        s["neutrality_claim"]["retirements"][1]["registry"] = "CCER"

    early = _rival_statement(tmp_path, "rival.json", respell)
    _anchor_directly(c, early, ruid, keys="legacy")
    honest = tmp_path / "webank.json"
    shutil.copyfile(S2022, honest)
    publish(c.dep, c.verifier, honest, kind=Kind.STATEMENT, ref=fuid)
    credits = _check(verify_target(c.dep, str(honest)), "credits")
    assert credits.status in ("warn", "fail") and "Rival Bank" in credits.detail, credits.detail
    assert not verify_target(c.dep, str(honest), strict=True).verified


@pytest.mark.anvil
def test_cli_someone_elses_real_verra_retirement_is_not_confirmed_for_us_by_a_legal_name_we_write(
    tmp_path: Path,
) -> None:
    """Through the real CLI on anvil, with the registry's real export and --require-registry: WeBank's
    verification body writes `legal_name: "Lindblad Expeditions Family of Companies"` in WeBank's 2025
    statement and retires Lindblad's real Verra units (19381-941412555-941441125…) for WeBank's
    claim. `attest verify` prints ✓ credit records "retired for Lindblad…" and VERIFIED, exit 0."""
    from conftest import consortium_on_anvil, manifest_of, mine
    from lying_proxy import run_attest, show

    from attest.app.publishing import publish
    from attest.core.contracts import Kind

    f2023 = EXAMPLES / "illustrative-webank-2023-figures.json"
    lindblad = "19381-941412555-941441125-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0"
    with consortium_on_anvil(tmp_path) as (node, c):
        f = json.loads(f2023.read_text(encoding="utf-8"))
        f.update(reporting_year=2025, period={"start": "2025-01-01", "end": "2025-12-31"})
        fp = tmp_path / "webank-2025-figures.json"
        fp.write_text(json.dumps(f, ensure_ascii=False, indent=2), encoding="utf-8")
        fuid = publish(c.dep, c.bank, fp, kind=Kind.FIGURES).published.attestation.uid
        org = {**f["organisation"], "legal_name": "Lindblad Expeditions Family of Companies"}
        s = _retiring_dict(org, "verra", [{"serial": lindblad}], 28571, 2022, "2026-04-06",
                           "Lindblad Expeditions Family of Companies", project="3005")  # fmt: skip
        sp = tmp_path / "webank-2025-statement.json"
        sp.write_text(json.dumps(s, ensure_ascii=False, indent=2), encoding="utf-8")
        publish(c.dep, c.verifier, sp, kind=Kind.STATEMENT, ref=fuid)
        mine(c, 2)
        manifest = manifest_of(c, tmp_path)
        done = run_attest(
            "verify", "-d", str(manifest), "--rpc-url", node.rpc_url, str(sp),
            "--registry-records", str(DATA / "verra-transactions.csv"), "--require-registry",
        )  # fmt: skip
        print(show(done))
        assert done.returncode != 0, show(done)


def test_an_oversized_cell_in_an_export_is_one_input_error_line() -> None:
    """Robustness: a cell over csv's field limit raises csv.Error, not the one-line InputError (exit 2)."""
    header = (DATA / "gold-standard-retirements.csv").read_bytes().split(b"\n")[0]
    with pytest.raises(InputError):
        read_records("big.csv", header + b'\n"' + b"a" * 200_000 + b'"\n')


@pytest.mark.parametrize(
    "serial",
    [
        "GS11603-16-2025-30256-110-5463",  # fields left out: still "a Gold Standard serial"
        "GS1-1-KE-GS11603-16-2025-30256-0-110-5463",  # a field added
    ],
)
def test_a_gold_standard_serial_of_another_shape_is_refused_not_another_issuance(serial: str) -> None:
    same_units_or_refused("gold-standard", {"serial": HILTI_GS}, {"serial": serial})


# ---------------------------------------------------------------- defeated attacks (these pass)


@pytest.mark.parametrize(
    ("registry", "block"),
    [
        ("GS", {"serial": "gs1-01-ke-gs011603-16-2025-030256-0110-05463"}),
        ("Gold Standard Impact Registry", {"serial": HILTI_GS}),
        ("https://goldstandard.example/credit-blocks", {"serial": HILTI_GS}),
        ("gold-standard", {"serial": "ＧＳ1-1-ＫＥ-GS11603-16-2025-30256-110-5463"}),  # full-width letters
        ("gold-standard", {"issuance": "GS1－1－KE－GS11603－16－2025－30256", "start": 110, "end": 5463}),
        (
            "gold-standard",
            {"issuance": "GS1\u00a01\u3000KE_GS11603 16-2025-30256 ", "start": 110, "end": 5463},
        ),
        ("gold-standard", {"issuance": "GS1-1-KE-GS１１６０３-16-2025-30256", "start": 110, "end": 5463}),
        (
            "gold-standard",
            {"serial": "GS1-1-110-KE-GS11603-16-2025-30256 - GS1-1-5463-KE-GS11603-16-2025-30256"},
        ),
        ("gold-standard", {"serial": "GS1-1-KE-GS11603-16-2025-30256-+110-5463"}),  # refused
        ("gold-standard", {"serial": "GS1-1-KE-GS11603-16-2025-30256-110-５463"}),  # refused
    ],
)
def test_defeated_other_spellings_of_a_gold_standard_block(registry: str, block: dict[str, Any]) -> None:
    same_units_or_refused("gold-standard", {"serial": HILTI_GS}, block)
    if "serial" in block:
        same_units_or_refused(registry, {"serial": HILTI_GS}, block)


def test_defeated_a_verra_block_under_another_batch_and_alias_overlapping_registry_wide() -> None:
    a = credit_block("verra", "a", serial=SHOPIFY_VERRA)
    b = credit_block(
        "Verified Carbon Standard",
        "b",
        serial="000001-0940097000-0940099999-vcs-vcu-1-VER-US-1-4268-01012024-31122024-0",
    )
    assert b.overlaps(a.key, a.first, a.last)


def test_defeated_units_retired_for_us_and_for_someone_else_in_the_records_fail() -> None:
    f = _export("gs.csv", GS_HEADER, [
        _gs_row(HILTI_GS, "WeBank", "2026-04-10", "2025"),
        _gs_row("GS1-1-KE-GS11603-16-2025-30256-200-300", "Rival Bank", "2026-04-10", "2025"),
    ])  # fmt: skip
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], False)
    assert status == "fail" and "Rival Bank" in detail


def test_defeated_empty_beneficiary_and_bom_and_shuffled_columns() -> None:
    header = list(reversed(GS_HEADER))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    w.writeheader()
    w.writerow({h: _gs_row(HILTI_GS, "", "2026-04-10", "2025").get(h, "") for h in header})
    f = read_records("gs.csv", "\ufeff".encode() + out.getvalue().encode("utf-8"))
    assert f.format == "Gold Standard retirements"
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], False)
    assert status == "fail" and "no beneficiary named" in detail


def test_defeated_an_invisible_respelling_is_the_registrys_own_block_in_the_records() -> None:
    """A zero-width space is dropped from an issuance: the block is the registry's own, found in its
    records (before the fix it was another issuance, in no records)."""
    org = {"name": "Hilti Corporation", "country": "LI"}
    s = _retiring(org, "gold-standard", [{"issuance": GS_ISSUANCE + "\u200b", "start": "110", "end": "5463"}],
                  5354, 2025, "2026-04-10", "Hilti Corporation", project="GS11603")  # fmt: skip
    gs = records("gold-standard-retirements.csv")
    for require in (False, True):
        ((_, status, detail),) = record_checks(s, ["Hilti Corporation"], gs, require)
        assert status == "pass", detail


# ------------------------------------------------------- 4. more lies, and the honest case beside them


def test_a_free_text_column_that_mentions_the_organisation_is_a_warning_not_a_pass() -> None:
    """CAR's export has no beneficiary field, only `Retirement Reason Details`: a mention there is all
    there is, so it confirms the units only with a warning (`!`)."""
    header = next(csv.reader((DATA / "car-retirements.csv").open(encoding="utf-8-sig")))
    serial = "CAR-1-US-1335-31-983-KS-2025-9205-1 to 5000"
    row = {
        "Offset Credit Serial Numbers": serial, "Status Effective": "04/10/2026",
        "Retirement Reason Details": "Retired on behalf of WeBank for its 2025 emissions",
    }  # fmt: skip
    f = _export("car.csv", header, [row])
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "car", [{"serial": serial}], 5000, 2025, "2026-04-10", "WeBank",
                  project="CAR1335")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [f], True)
    assert status == "warn" and "only mentions the organisation" in detail, detail


def test_the_statements_legal_name_counts_only_where_the_figures_give_it() -> None:
    from attest.core.figures import parse_figures
    from attest.core.registry_records import beneficiary_names

    legal = "Shenzhen Qianhai WeBank Co., Ltd."
    f = _export("gs.csv", GS_HEADER, [_gs_row(HILTI_GS, legal, "2026-04-10", "2025")])
    org = {"name": "WeBank", "legal_name": legal, "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", legal,
                  project="GS11603")  # fmt: skip
    figures = json.loads(F2022.read_text(encoding="utf-8"))
    figures["organisation"] = dict(org)
    same = parse_figures(figures)
    figures["organisation"]["legal_name"] = "Another Legal Name Ltd."
    other = parse_figures(figures)
    # the chain's member name alone: the legal name the statement gives is not confirmed
    ((_, status, detail),) = record_lines(s, [f], True, names=beneficiary_names(s, "WeBank"))
    assert status == "fail" and "the legal name the statement itself gives" in detail, detail
    ((_, status, detail),) = record_lines(s, [f], True, names=beneficiary_names(s, "WeBank", other))
    assert status == "fail", detail
    ((_, status, detail),) = record_lines(s, [f], True, names=beneficiary_names(s, "WeBank", same))
    assert status == "pass", detail


def test_a_registry_not_in_the_table_fails_its_credit_records_line_even_without_records() -> None:
    s = _statement()
    s["neutrality_claim"]["retirements"][1]["registry"] = "forestry-registry"
    doc = parse_statement(s)
    assert isinstance(doc, CarbonVerificationV2)
    lines = record_lines(doc, None, False)
    assert lines[1][1] == "fail" and "is not one the tool knows; known: verra" in lines[1][2], lines


def test_a_gold_standard_issuance_of_another_vintage_or_project_is_refused() -> None:
    org = {"name": "WeBank", "country": "CN"}
    for issuance, project in (("GS1-1-KE-GS11603-16-2016-30256", "GS11603"), (GS_ISSUANCE, "GS99999")):
        with pytest.raises(InputError, match="serial_blocks"):
            _retiring(org, "gold-standard", [{"issuance": issuance, "start": "110", "end": "5463"}],
                      5354, 2025, "2026-04-10", "WeBank", project=project)  # fmt: skip


def test_e2e_require_registry_is_not_dropped_when_the_statement_is_given_by_its_digest(
    tmp_path: Path,
) -> None:
    """`verify STATEMENT --registry-records verra.csv --require-registry` fails the example (its invented
    units are in no registry's records), but handed only the statement's digest, verify prints no
    `credit records` (nor `retirement`) line at all and says VERIFIED: the auditor's requirement
    silently vanishes."""
    from attest.app.publishing import publish
    from attest.app.verify import verify_target
    from attest.core.contracts import Kind
    from attest.core.documents import hash_document

    c, fuid, _ = _world(tmp_path)
    honest = tmp_path / "webank.json"
    shutil.copyfile(S2022, honest)
    publish(c.dep, c.verifier, honest, kind=Kind.STATEMENT, ref=fuid)
    policy = CreditPolicy(registry_records=tuple(records("verra-transactions.csv")), require_registry=True)
    assert not verify_target(c.dep, str(honest), credit_policy=policy).verified
    report = verify_target(c.dep, hash_document(honest).digest, credit_policy=policy)
    lines = [(x.name, x.status) for x in report.checks if x.name.startswith("credit records")]
    assert not report.verified or any(s == "fail" for _, s in lines), [
        (x.name, x.status) for x in report.checks
    ]


def test_the_issuance_export_given_with_the_retirement_export_does_not_fail_a_good_retirement() -> None:
    """Robustness (false alarm): Gold Standard's issuances export lists the whole issuance as `Issued`;
    given with the retirements export (both docs/credits.md formats), the retired units overlap the
    `Issued` row and the retirement fails "issued, not retired"."""
    issuance_header = next(csv.reader((DATA / "gold-standard-issuances.csv").open(encoding="utf-8")))
    whole = "GS1-1-KE-GS11603-16-2025-30256-1-20000"
    issued = _export("gs-issuances.csv", issuance_header, [{
        "Vintage": "2025", "Credit Status": "Issued", "GSID": "11603", "Issuance Date": "2026-03-31",
        "Serial Number": whole,
    }])  # fmt: skip
    retired = _export("gs.csv", GS_HEADER, [_gs_row(HILTI_GS, "WeBank", "2026-04-10", "2025")])
    org = {"name": "WeBank", "country": "CN"}
    s = _retiring(org, "gold-standard", [{"serial": HILTI_GS}], 5354, 2025, "2026-04-10", "WeBank",
                  project="GS11603")  # fmt: skip
    ((_, status, detail),) = record_checks(s, ["WeBank"], [issued, retired], True)
    assert status == "pass", detail


def test_e2e_units_respelled_with_an_invisible_character_through_the_normal_publish_path_do_not_verify(
    tmp_path: Path,
) -> None:
    """No custom client needed: Rival Bank's verifier publishes (attest's own publish) a statement
    retiring WeBank's CCER units 200001–201900 with the issuance `FCS-EXAMPLE-01-2021-A` + U+200B and
    Verra units elsewhere. Before the fix the contract accepted it (another key) and `verify` said
    VERIFIED; now the zero-width space is dropped, the key is the honest claim's, and the registry
    contract refuses the exact duplicate."""
    from attest.app.publishing import publish
    from attest.app.verify import verify_target
    from attest.core.contracts import Kind
    from attest.core.errors import TransactionReverted

    c, fuid, ruid = _world(tmp_path)
    honest = tmp_path / "webank.json"
    shutil.copyfile(S2022, honest)
    publish(c.dep, c.verifier, honest, kind=Kind.STATEMENT, ref=fuid)

    def respell(s: dict[str, Any]) -> None:
        r = s["neutrality_claim"]["retirements"][0]
        r["serial_blocks"] = [{"serial": "0001-900001-905000-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}]
        s["neutrality_claim"]["retirements"][1]["serial_blocks"][0]["issuance"] = (
            "FCS-EXAMPLE-01-2021-A\u200b"
        )

    sneaky = _rival_statement(tmp_path, "rival.json", respell)
    with pytest.raises(TransactionReverted, match="CreditAlreadyClaimed"):
        publish(c.dep, c.verifier, sneaky, kind=Kind.STATEMENT, ref=ruid)
    report = verify_target(c.dep, str(sneaky), strict=True)
    assert not report.verified, [(x.name, x.status) for x in report.checks]


def test_e2e_a_block_recorded_twice_on_chain_fails_credits_recorded(tmp_path: Path) -> None:
    """A custom client records the Verra block twice in attestStatementWithCredits: the contract lets
    the statement's own repeat through (same beneficiary) and its NeutralityClaimed says 11900 t retired
    for 6900 t of blocks — what `history --neutrality` shows as retired. `credits: recorded` compares
    sets, so it passes, and even prints the inflated tonnes."""
    from attest.app.verify import verify_target

    c, fuid, _ = _world(tmp_path)
    doubled = tmp_path / "webank.json"
    shutil.copyfile(S2022, doubled)
    _anchor_directly(c, doubled, fuid, repeat_first=True)
    report = verify_target(c.dep, str(doubled))
    recorded = _check(report, "credits: recorded")
    assert recorded.status == "fail", recorded.detail
