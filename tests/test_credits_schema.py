"""`carbon-verification/2` retirements, Verra serials and the retirement rules, without a chain."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import EXAMPLES

from attest.core.canonical import canonical_bytes, sha256_hex
from attest.core.credits import CreditPolicy, claimed_credits, collisions, retirement_checks
from attest.core.errors import SchemaError
from attest.core.figures import load_figures, parse_figures
from attest.core.serials import issuance_key, parse_verra_serial
from attest.core.statement import CarbonVerificationV1, CarbonVerificationV2, load_statement, parse_statement

V2_2022 = EXAMPLES / "illustrative-carbon-verification-2022-v2.json"
V2_2023 = EXAMPLES / "illustrative-carbon-verification-2023.json"
V1_2022 = EXAMPLES / "illustrative-carbon-verification-2022.json"
FIGURES_2022 = EXAMPLES / "webank-2022-figures.json"
FIGURES_2023 = EXAMPLES / "illustrative-webank-2023-figures.json"
LEGAL = "深圳前海微众银行股份有限公司"


def doc(path: Any = V2_2022) -> dict[str, Any]:
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))


def v2(obj: dict[str, Any]) -> CarbonVerificationV2:
    s = parse_statement(obj)
    assert isinstance(s, CarbonVerificationV2)
    return s


def error(obj: dict[str, Any]) -> SchemaError:
    with pytest.raises(SchemaError) as exc:
        parse_statement(obj, path="s.json")
    return exc.value


def retirement(obj: dict[str, Any], i: int = 0) -> dict[str, Any]:
    r: dict[str, Any] = obj["neutrality_claim"]["retirements"][i]
    return r


# -- Verra serials


def test_the_issues_verra_serial_covers_units_1_to_100_of_its_issuance() -> None:
    s = parse_verra_serial("0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1")
    assert (s.first, s.last, s.project_id) == (1, 100, 3)
    assert (s.vintage_start.isoformat(), s.vintage_end.isoformat()) == ("2020-01-01", "2020-12-31")
    assert s.issuance == "0001-VCS-VCU-003-VER-US-0003-01012020-31122020-1"


def test_a_13_field_verra_serial_and_one_without_program_code() -> None:
    s = parse_verra_serial("9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0")
    assert (s.first, s.last, s.project_id, s.vintage_end.year) == (115597313, 115618057, 1060, 2019)
    t = parse_verra_serial("8040-449402275-449402275-VCU-042-MER-PE-14-1360-01072013-30062014-1")
    assert (t.first, t.last, t.project_id, t.vintage_start.isoformat()) == (
        449402275,
        449402275,
        1360,
        "2013-07-01",
    )


def test_the_legacy_issuance_of_a_verra_serial_is_the_serial_without_its_units() -> None:
    a = parse_verra_serial("0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1")
    b = parse_verra_serial("0001-000101-000200-VCS-VCU-003-VER-US-0003-01012020-31122020-1")
    c = parse_verra_serial("0002-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1")
    assert a.issuance == b.issuance != c.issuance  # the key statements anchored before the table used
    assert issuance_key("verra", a.issuance) != issuance_key("gold-standard", a.issuance)


@pytest.mark.parametrize(
    ("serial", "message"),
    [
        ("0001-000001-000100", "is not a Verra serial"),
        ("0001-00000A-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1", "first unit"),
        ("0001-000100-000001-VCS-VCU-003-VER-US-0003-01012020-31122020-1", "last unit is below its first"),
        ("0001-000001-000100-VCS-XXX-003-VER-US-0003-01012020-31122020-1", "no unit type VCU"),
        ("0001-000001-000100-VCS-VCU-003-VER-US-0003-31022020-31122020-1", "vintage start"),
        ("0001-000001-000100-VCS-VCU-003-VER-US-0003-01012021-31122020-1", "ends before it starts"),
        ("0001-000001-000100-VCS-VCU-003-VER-US-P3-01012020-31122020-1", "project id"),
    ],
)
def test_bad_verra_serials(serial: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_verra_serial(serial)


# -- the /2 schema


def test_the_examples_are_v2_illustrative_and_v1_still_reads() -> None:
    for path in (V2_2022, V2_2023):
        s = load_statement(path)
        assert isinstance(s, CarbonVerificationV2) and s.illustrative is True
        assert "ILLUSTRATIVE EXAMPLE" in s.boundary and s.organisation.legal_name == LEGAL
        assert s.neutrality_claim is not None and s.neutrality_claim.retirements
        assert all("ILLUSTRATIVE" in r.reason for r in s.neutrality_claim.retirements)
    assert isinstance(load_statement(V1_2022), CarbonVerificationV1)
    figures = load_figures(FIGURES_2023)
    assert figures.illustrative is True and figures.reporting_year == 2023
    assert all("ILLUSTRATIVE" in m.source for m in figures.metrics)


def test_v2_digest_is_that_of_its_canonical_form() -> None:
    obj = doc()
    from attest.core.statement import statement_digest

    assert statement_digest(v2(obj)) == sha256_hex(canonical_bytes(obj))


def test_claimed_credits_are_the_blocks_keys_and_the_residual_rounded_up() -> None:
    obj = doc()
    obj["emissions_tco2e"]["verified"]["scope3"] = "410.4"
    obj["neutrality_claim"]["residual_emissions_tco2e"] = "6860.4"
    claimed = claimed_credits(v2(obj))
    assert claimed is not None and claimed.residual_tonnes == 6861
    # Verra units are numbered registry-wide: every Verra block is keyed under the one issuance VCU
    assert claimed.blocks[0] == (issuance_key("verra", "VCU"), 1, 5000)
    assert claimed.blocks[1][0] == issuance_key("ccer", "FCS-EXAMPLE-1-2021-A")
    assert claimed.blocks[1][1:] == (200001, 201900)
    assert claimed_credits(load_statement(V1_2022)) is None


def _edit(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    retirement(obj).update(changes)
    return obj


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (lambda o: _edit(o, project_id="0004"), "serial_blocks[0].serial", "serial is of project 3"),
        (lambda o: _edit(o, vintage=2021), "serial_blocks[0].serial", "does not include the vintage 2021"),
        (lambda o: _edit(o, serial_blocks=[{"issuance": "X", "start": "1", "end": "2"}]),
         "serial_blocks[0].serial", "a Verra block is given as its serial"),
        (lambda o: _edit(o, serial_blocks=[{"serial": "0001-000001-000100-VCS"}]), "serial_blocks[0].serial",
         "not a Verra serial"),
        (lambda o: _edit(o, registry="Verra Registry"), "registry", "registry identifier"),
        (lambda o: retirement(o, 1).update(serial_blocks=[{"serial": "A-1-2"}]),
         "[1].serial_blocks[0].serial", "give issuance, start and end"),
        (lambda o: retirement(o, 1).update(serial_blocks=[{"issuance": "X", "start": "1"}]),
         "[1].serial_blocks[0].end", "required field is missing"),
        (lambda o: retirement(o, 1).update(serial_blocks=[{"issuance": "X", "start": "5", "end": "4"}]),
         "[1].serial_blocks[0].end", "end is below start"),
        (lambda o: retirement(o, 1).update(serial_blocks=[{"serial": "x", "issuance": "X"}]),
         "[1].serial_blocks[0].issuance", "either serial"),
        (lambda o: _edit(o, beneficiary=" "), "beneficiary", "must not be empty"),
        (lambda o: _edit(o, retired_on="2023-02-30"), "retired_on", "not a real calendar date"),
    ],
)  # fmt: skip
def test_v2_schema_errors_name_the_field(edit: Any, field: str, message: str) -> None:
    obj = doc()
    edit(obj)
    err = error(obj)
    assert message in err.detail and field in str(err.field), str(err)


def test_two_blocks_of_one_issuance_may_not_overlap_in_one_statement() -> None:
    obj = doc()
    retirement(obj)["serial_blocks"].append(
        {"serial": "0001-004000-004100-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}
    )
    err = error(obj)
    assert "overlaps neutrality_claim.retirements[0].serial_blocks[0]" in err.detail, str(err)
    # Verra numbers units registry-wide: the same unit numbers under another batch number are the
    # same units (written with another batch number, leading zeros or case)
    for serial in (
        "0002-000001-000100-VCS-VCU-003-VER-CN-0003-01012022-31122022-1",
        "1-4000-4100-vcs-vcu-3-ver-cn-3-01012022-31122022-1",
    ):
        obj = doc()
        retirement(obj)["serial_blocks"].append({"serial": serial})
        assert "overlaps neutrality_claim.retirements[0].serial_blocks[0]" in error(obj).detail
    # units of another Verra range are other credits
    obj = doc()
    retirement(obj)["serial_blocks"].append(
        {"serial": "0002-005001-005100-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"}
    )
    retirement(obj)["quantity_tco2e"] = "5100"
    assert v2(obj).neutrality_claim is not None


def test_residual_must_equal_the_verified_total_in_v2_too() -> None:
    obj = doc()
    obj["neutrality_claim"]["residual_emissions_tco2e"] = "6000"
    assert "do not equal the verified total 6860.0" in error(obj).detail


# -- the retirement rules: one line each, saying its rule


def lines(
    obj: dict[str, Any], figures: Any = None, policy: CreditPolicy | None = None
) -> dict[str, tuple[bool, str]]:
    return {name: (ok, d) for name, ok, d in retirement_checks(v2(obj), figures, policy or CreditPolicy())}


def test_the_examples_pass_every_retirement_rule() -> None:
    for path, figures in ((V2_2022, FIGURES_2022), (V2_2023, FIGURES_2023)):
        got = lines(doc(path), load_figures(figures))
        assert list(got) == [
            "retirement: beneficiary",
            "retirement: date",
            "retirement: vintage",
            "retirement: quantity",
        ]
        assert all(ok for ok, _ in got.values()), got
        assert all("rule:" in d for _, d in got.values())


def test_beneficiary_must_be_the_figures_organisation_by_legal_name() -> None:
    obj = doc()
    retirement(obj, 1)["beneficiary"] = "Rival Bank Co., Ltd."
    ok, detail = lines(obj, load_figures(FIGURES_2022))["retirement: beneficiary"]
    assert not ok and 'retirements[1] retires for "Rival Bank Co., Ltd."' in detail and LEGAL in detail
    # the display name is not the legal name
    obj = doc()
    retirement(obj)["beneficiary"] = "WeBank"
    assert not lines(obj, load_figures(FIGURES_2022))["retirement: beneficiary"][0]
    # without the figures, against the organisation the statement names; the legal name it gives is
    # its own word, not confirmed (a warning: None), never a pass
    ok, detail = lines(doc())["retirement: beneficiary"]
    assert ok is None and "figures are not at hand" in detail and "not confirmed" in detail
    obj = doc()
    for r in obj["neutrality_claim"]["retirements"]:
        r["beneficiary"] = "WeBank"
    ok, detail = lines(obj)["retirement: beneficiary"]
    assert ok is True and "figures are not at hand" in detail


def test_figures_without_a_legal_name_are_matched_by_name() -> None:
    f = json.loads(FIGURES_2022.read_text(encoding="utf-8"))
    del f["organisation"]["legal_name"]
    assert not lines(doc(), parse_figures(f))["retirement: beneficiary"][0]
    obj = doc()
    for r in obj["neutrality_claim"]["retirements"]:
        r["beneficiary"] = "webank"
    assert lines(obj, parse_figures(f))["retirement: beneficiary"][0]  # normalised: case folded


def test_retired_more_than_12_months_after_the_period_fails() -> None:
    obj = doc()
    retirement(obj)["retired_on"] = "2024-01-01"
    ok, detail = lines(obj)["retirement: date"]
    assert not ok and "retirements[0] retired 2024-01-01, after 2023-12-31" in detail
    retirement(obj)["retired_on"] = "2023-12-31"
    assert lines(obj)["retirement: date"][0]


def test_retired_before_its_vintage_began_fails() -> None:
    obj = doc()
    retirement(obj)["retired_on"] = "2021-12-31"
    ok, detail = lines(obj)["retirement: date"]
    assert not ok and "before its vintage 2022 began" in detail


def test_vintage_policy_default_and_configured() -> None:
    obj = doc()
    r = retirement(obj, 1)
    r["vintage"] = 2016  # six years before the period ends
    ok, detail = lines(obj)["retirement: vintage"]
    assert not ok and "retirements[1] vintage 2016" in detail and "from 2017 to 2022" in detail
    assert lines(obj, policy=CreditPolicy(max_vintage_age=6))["retirement: vintage"][0]
    r["vintage"] = 2023  # after the period it offsets
    assert not lines(obj, policy=CreditPolicy(max_vintage_age=6))["retirement: vintage"][0]


def test_quantity_must_be_the_units_of_its_blocks_and_cover_the_residual() -> None:
    obj = doc()
    retirement(obj)["quantity_tco2e"] = "5001"
    ok, detail = lines(obj)["retirement: quantity"]
    assert not ok and "retirements[0] states 5001 tCO2e, its serial blocks 5000 units" in detail
    obj = doc()
    retirement(obj, 1)["serial_blocks"][0]["end"] = "201800"
    retirement(obj, 1)["quantity_tco2e"] = "1800"
    ok, detail = lines(obj)["retirement: quantity"]
    assert not ok and "retired 6800 tCO2e < residual emissions 6860.0 tCO2e" in detail


def test_collisions_skip_revoked_and_split_same_claims() -> None:
    from dataclasses import replace

    from attest.core.contracts import Kind
    from attest.core.credits import Claimant, ClaimRecord
    from attest.core.records import OnchainAttestation

    s = v2(doc())
    assert s.neutrality_claim is not None
    blocks = s.neutrality_claim.blocks()
    key = blocks[0].key
    zero = "0x" + "00" * 32
    a = OnchainAttestation(
        "0x" + "aa" * 32, "00" * 32, 3, "0x" + "11" * 20, Kind.STATEMENT, 2022, zero, "", 5, 0, zero, zero,
        False, None, None,
    )  # fmt: skip
    claim = ClaimRecord(key, 4990, 5010, a.uid, 5, 1)
    far = ClaimRecord(key, 5001, 6000, a.uid, 5, 2)
    other_year = {a.uid: Claimant(a, 1, 2023)}
    double, same = collisions(blocks, "0x" + "bb" * 32, (1, 2022), [claim, far], other_year)
    assert [(c.other.first, c.mine.first) for c in double] == [(4990, 1)] and same == []
    double, same = collisions(blocks, "0x" + "bb" * 32, (1, 2022), [claim], {a.uid: Claimant(a, 1, 2022)})
    assert double == [] and len(same) == 1
    revoked = {a.uid: Claimant(replace(a, revoked=True), 2, 2022)}
    assert collisions(blocks, "0x" + "bb" * 32, (1, 2022), [claim], revoked) == ([], [])
    assert collisions(blocks, a.uid, (1, 2022), [claim], other_year) == ([], [])  # its own claim
