"""The registry table and the registries' own records, on real rows (tests/data/registries, see its
SOURCE.md), without a chain: every serial each registry's export shows is read, every other spelling of
the same units gets the same canonical key, the exports are recognised by their header, and each
retirement is judged against them."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES

from attest.app.publishing import prepare
from attest.core.contracts import Kind
from attest.core.errors import InputError
from attest.core.registries import REGISTRIES, canonical_text, credit_block, resolve_registry
from attest.core.registry_records import RecordsFile, read_records, record_checks
from attest.core.serials import issuance_key
from attest.core.statement import CarbonVerificationV2, parse_statement

DATA = Path(__file__).resolve().parent / "data" / "registries"
S2023 = EXAMPLES / "illustrative-carbon-verification-2023.json"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def records(*names: str) -> list[RecordsFile]:
    return [read_records(n, (DATA / n).read_bytes()) for n in names]


# ------------------------------------------------------------------------- the table and its names


@pytest.mark.parametrize(
    ("written", "registry"),
    [
        ("verra", "verra"), ("VCS", "verra"), ("Verra", "verra"), ("Verified Carbon Standard", "verra"),
        ("gold-standard", "gold-standard"), ("goldstandard", "gold-standard"),
        ("Gold Standard", "gold-standard"), ("GS", "gold-standard"), ("acr", "acr"),
        ("American Carbon Registry", "acr"),
        ("Climate Action Reserve", "car"), ("CAR", "car"), ("ART TREES", "art"), ("art", "art"),
        ("Cercarbono", "cercarbono"), ("CCER", "ccer"), ("国家核证自愿减排量", "ccer"),
    ],
)  # fmt: skip
def test_each_name_of_a_registry_means_it(written: str, registry: str) -> None:
    found = resolve_registry(written)
    assert found is not None and found.id == registry


def test_a_web_address_means_the_registry_its_host_is_named_after() -> None:
    for r in REGISTRIES:
        for name in (r.id, *r.aliases):
            label = "".join(ch for ch in name.casefold() if ch.isalnum())
            if not label.isascii():
                continue
            found = resolve_registry(f"https://registry.{label}.org/some/page")
            assert found is not None and found.id == r.id, name
    # the host's name decides, not its path, subdomain or top-level domain
    for unknown in (
        "https://registry.example.org/verra",
        "https://verra.example.org/",
        "https://example.com/gold-standard",
        "https://org/",
        "illustrative-forestry-carbon-sink",
    ):
        assert resolve_registry(unknown) is None, unknown


def test_canonical_text_compares_numbers_as_numbers_and_letters_in_any_case() -> None:
    assert canonical_text("GS1-01-ke-GS011603-16-2025-030256") == canonical_text(
        "GS1-1-KE-GS11603-16-2025-30256"
    )
    assert canonical_text("CDC_1_1_1_321_14_1_2009") == "CDC-1-1-1-321-14-1-2009"
    assert canonical_text("ACR-US-869-2022-2145") != canonical_text("ACR-US-869-2022-2146")


# ------------------------------------------------------------------------- every real serial reads


@pytest.mark.parametrize(
    ("file", "column", "registry"),
    [
        ("verra-transactions.csv", "Serial Number", "verra"),
        ("gold-standard-retirements.csv", "Serial Number", "gold-standard"),
        ("gold-standard-issuances.csv", "Serial Number", "gold-standard"),
        ("acr-retirements.csv", "Credit Serial Numbers", "acr"),
        ("acr-cancellations.csv", "Credit Serial Numbers", "acr"),
        ("car-retirements.csv", "Offset Credit Serial Numbers", "car"),
        ("art-retirements.csv", "Credit Serial Numbers", "art"),
    ],
)
def test_every_serial_of_the_records_reads_and_counts_its_quantity(
    file: str, column: str, registry: str
) -> None:
    quantity = {
        "verra-transactions.csv": "Quantity Issued",
        "gold-standard-retirements.csv": "Quantity",
        "gold-standard-issuances.csv": "Quantity",
        "car-retirements.csv": "Quantity of Offset Credits",
    }.get(file, "Quantity of Credits")
    for row in rows(file):
        b = credit_block(registry, file, serial=row[column])
        assert b.registry_id == registry
        assert b.size == int(row[quantity].replace(",", "")), row[column]


def test_cercarbonos_serial_is_the_issuance_its_from_and_to_the_units() -> None:
    for row in rows("cercarbono-retirements.csv"):
        b = credit_block(
            "Cercarbono", "x", issuance=row["serial"], start=int(row["from"]), end=int(row["to"])
        )
        assert b.size == int(row["quantity"]) and b.canonical_issuance == "CDC-1-1-1-321-14-1-2009"


# ------------------------------------------------------------------------- one identity per credit


def _variants(registry: str, serial: str) -> list[tuple[str, str]]:
    """Other spellings of the same block: the registry's other names, the serial in lower case, and
    with zeros put before each number."""
    found = resolve_registry(registry)
    assert found is not None
    fields = serial.split("-")
    padded = range(3) if found.id == "verra" else range(len(fields))  # (Verra's dates are DDMMYYYY)
    zeros = "-".join(("00" + f) if f.isdigit() and i in padded else f for i, f in enumerate(fields))
    zeros = zeros.replace(" to ", " to 000")
    return [(name, s) for name in (found.id, *found.aliases) for s in (serial, serial.lower(), zeros)]


@pytest.mark.parametrize(
    ("registry", "file", "column"),
    [
        ("verra", "verra-transactions.csv", "Serial Number"),
        ("gold-standard", "gold-standard-retirements.csv", "Serial Number"),
        ("acr", "acr-retirements.csv", "Credit Serial Numbers"),
        ("car", "car-retirements.csv", "Offset Credit Serial Numbers"),
        ("art", "art-retirements.csv", "Credit Serial Numbers"),
    ],
)
def test_every_spelling_of_a_real_block_has_the_one_canonical_key(
    registry: str, file: str, column: str
) -> None:
    serial = rows(file)[0][column]
    canonical = credit_block(registry, "x", serial=serial)
    for name, spelled in _variants(registry, serial):
        other = credit_block(name, "y", serial=spelled)
        assert (other.key, other.first, other.last) == (canonical.key, canonical.first, canonical.last), (
            spelled
        )
        assert other.overlaps(canonical.key, canonical.first, canonical.last)
    # the issuance form names the same units too (Verra's serials only)
    if registry not in ("verra",):
        issuance = (
            serial.rsplit("-", 2)[0]
            if registry == "gold-standard"
            else serial.split(" to ")[0].rsplit("-", 1)[0]
        )
        same = credit_block(registry, "z", issuance=issuance, start=canonical.first, end=canonical.last)
        assert same.key == canonical.key


def test_verra_units_are_numbered_registry_wide_and_old_statements_keep_their_key() -> None:
    serial = rows("verra-transactions.csv")[0]["Serial Number"]
    b = credit_block("verra", "x", serial=serial)
    assert b.key == issuance_key("verra", "VCU")
    fields = serial.split("-")
    # the same unit numbers written under another batch number are the same units
    other_batch = credit_block("VCS", "y", serial="-".join(["1", *fields[1:]]))
    assert other_batch.key == b.key and other_batch.first == b.first
    # the key a statement anchored before the table was recorded under: the serial without its units
    assert b.legacy_key == issuance_key("verra", "-".join([fields[0], *fields[3:]]))
    assert b.keys == (b.key, b.legacy_key)


def test_a_registry_not_in_the_table_keeps_the_key_of_its_spelling_and_says_so() -> None:
    b = credit_block("https://registry.example.org/x", "w", issuance="A-1", start=1, end=2)
    assert b.registry_id is None and b.key == b.legacy_key == issuance_key(
        "https://registry.example.org/x", "A-1"
    )
    assert "(a registry not in the table)" in b.describe()


def _statement(**retirement: Any) -> dict[str, Any]:
    s: dict[str, Any] = copy.deepcopy(json.loads(S2023.read_text(encoding="utf-8")))
    s["neutrality_claim"]["retirements"][1].update(retirement)
    return s


def test_publishing_a_statement_naming_an_unknown_registry_is_refused_before_the_chain(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(_statement(registry="https://registry.example.org/forestry")), encoding="utf-8"
    )
    with pytest.raises(InputError) as exc:
        prepare(path, kind=Kind.STATEMENT, year=None)
    text = str(exc.value)
    assert "neutrality_claim.retirements[1].registry" in text and "is not one this tool knows" in text
    assert "verra, gold-standard, acr, car, art, cercarbono, ccer" in text and "docs/credits.md" in text
    assert exc.value.exit_code == 2
    # still read (statements already on-chain): the schema accepts it
    assert isinstance(
        parse_statement(_statement(registry="https://registry.example.org/forestry")), CarbonVerificationV2
    )


def test_two_spellings_of_the_same_units_in_one_statement_are_a_credit_counted_twice() -> None:
    s = _statement()
    s["neutrality_claim"]["retirements"][1]["serial_blocks"].append(
        {"issuance": "fcs-example-001-2022-a", "start": "0300001", "end": "300001"}
    )
    with pytest.raises(InputError, match="counted twice"):
        parse_statement(s)


# ------------------------------------------------------------------------- the registries' exports


@pytest.mark.parametrize(
    ("file", "form"),
    [
        ("verra-transactions.csv", "Verra transactions"),
        ("gold-standard-retirements.csv", "Gold Standard retirements"),
        ("gold-standard-issuances.csv", "Gold Standard issuances"),
        ("acr-retirements.csv", "ACR retirements"),
        ("acr-cancellations.csv", "ACR cancellations"),
        ("car-retirements.csv", "CAR retirements"),
        ("art-retirements.csv", "ART retirements"),
        ("cercarbono-retirements.csv", "Cercarbono retirements"),
    ],
)
def test_each_export_is_recognised_by_its_header(file: str, form: str) -> None:
    (f,) = records(file)
    assert f.format == form and len(f.records) == len(rows(file))


def test_a_header_no_format_knows_is_one_line_naming_the_file() -> None:
    with pytest.raises(InputError) as exc:
        records("isometric-retirements.csv")
    text = str(exc.value)
    assert text.startswith("isometric-retirements.csv: field 'header': its header (retirement_id, retired_at")
    assert "no registry export this tool knows" in text and "\n" not in text and exc.value.exit_code == 2


def _retiring(
    registry: str, blocks: list[dict[str, str]], quantity: int, vintage: int, on: str, project: str = "ACR869"
) -> CarbonVerificationV2:
    s = _statement()
    s["organisation"] = {"name": "MidFirst Bank", "legal_name": "MidFirst Bank", "country": "US"}
    s.update(reporting_year=2025, period={"start": "2025-01-01", "end": "2025-12-31"}, issued="2026-04-30")
    r = s["neutrality_claim"]["retirements"][0]
    r.update(registry=registry, project_id=project, serial_blocks=blocks, quantity_tco2e=str(quantity))
    r.update(vintage=vintage, retired_on=on, beneficiary="MidFirst Bank")
    s["neutrality_claim"]["retirements"] = [r]
    total = str(quantity)
    s["emissions_tco2e"] = {
        k: {"scope1": "0", "scope2": total, "scope3": "0"} for k in ("reported", "verified")
    }
    s["neutrality_claim"]["residual_emissions_tco2e"] = total
    out = parse_statement(s)
    assert isinstance(out, CarbonVerificationV2)
    return out


def test_a_retirement_the_records_confirm_over_three_rows_passes() -> None:
    s = _retiring("acr", [{"serial": "ACR-US-869-2022-2145-1052027 to 1056426"}], 4400, 2022, "2026-04-09")
    ((name, status, detail),) = record_checks(s, ["MidFirst Bank"], records("acr-retirements.csv"), False)
    assert (name, status) == ("credit records: retirements[0]", "pass"), detail
    assert '4400 unit(s) of 1 block(s) retired for "MidFirst Bank" on 2026-04-09' in detail
    sha = records("acr-retirements.csv")[0].sha256
    assert f"acr-retirements.csv (ACR retirements, sha256 {sha}, newest 2026-04-13)" in detail


def test_units_retired_for_someone_else_fail_and_name_the_registrys_text() -> None:
    s = _retiring("acr", [{"serial": "ACR-FR-1129-2025-2917-30932 to 35143"}], 4212, 2025, "2026-04-13")
    ((_, status, detail),) = record_checks(s, ["MidFirst Bank"], records("acr-retirements.csv"), False)
    assert status == "fail" and 'were retired for "AWS", not this organisation' in detail


def test_units_not_in_the_records_are_info_and_fail_when_required() -> None:
    s = _retiring("acr", [{"serial": "ACR-US-869-2022-2145-1056427 to 1056500"}], 74, 2022, "2026-04-09")
    ((_, status, detail),) = record_checks(s, ["MidFirst Bank"], records("acr-retirements.csv"), False)
    assert status == "info" and detail.startswith("not in the records given: acr ACR-US-869")
    ((_, status, detail),) = record_checks(s, ["MidFirst Bank"], records("acr-retirements.csv"), True)
    assert status == "fail" and "(--require-registry)" in detail


def test_cancelled_or_merely_issued_units_are_not_retirements() -> None:
    row = rows("acr-cancellations.csv")[0]
    first, last = (int(x) for x in row["Credit Serial Numbers"].rsplit("-", 1)[1].split(" to "))
    serial = row["Credit Serial Numbers"]
    s = _retiring("acr", [{"serial": serial}], last - first + 1, 2025, "2026-01-22")
    ((_, status, detail),) = record_checks(s, ["MidFirst Bank"], records("acr-cancellations.csv"), False)
    assert status == "fail" and "cancelled, not retired" in detail
    issued = rows("verra-transactions.csv")
    row = next(r for r in issued if not r["Retirement/Cancellation Date"])
    size = int(row["Quantity Issued"].replace(",", ""))
    s = _retiring("verra", [{"serial": row["Serial Number"]}], size, 2024, "2026-04-09", project=row["ID"])
    ((_, status, detail),) = record_checks(s, ["MidFirst Bank"], records("verra-transactions.csv"), False)
    assert status == "fail" and "issued, not retired" in detail


def test_a_quantity_or_date_the_records_do_not_give_fails() -> None:
    s = _retiring("acr", [{"serial": "ACR-US-869-2022-2145-1052027 to 1052226"}], 200, 2022, "2026-04-09")
    late = s.model_copy(update={"issued": "2026-04-01"})  # stated before the registry retired them
    ((_, status, detail),) = record_checks(late, ["MidFirst Bank"], records("acr-retirements.csv"), False)
    assert status == "fail" and "retired 2026-04-09, outside 2022-01-01..2026-04-01" in detail


def test_a_pinned_export_is_a_sha256_named_once() -> None:
    sha = read_records("g", (DATA / "gold-standard-retirements.csv").read_bytes()).sha256
    s = _statement()
    s["registry_records_sha256"] = [sha]
    assert parse_statement(s).registry_records_sha256 == [sha]  # type: ignore[union-attr]
    for bad, message in (
        ([sha.upper()], "64 lowercase hex"),
        ([sha, sha], "duplicate entry"),
        ([], "at least 1"),
    ):
        s["registry_records_sha256"] = bad
        with pytest.raises(InputError, match=message) as exc:
            parse_statement(s, path="s.json")
        assert "registry_records_sha256" in str(exc.value)
