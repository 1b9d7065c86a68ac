"""Credits are what the registries say they are, through the real CLI on a real anvil, on real serials
(tests/data/registries, see its SOURCE.md).

The story, in order on one chain: three members named as the registries' records name a beneficiary —
Shopify Inc. (a Verra block), Hilti Corporation (a Gold Standard block), MidFirst Bank (an ACR block
over three rows of the records) — each publish their 2025 figures, and the verification body a
statement retiring those units for them: each verifies with `--registry-records` and `--require-registry`.
Then the same units, spelled otherwise (the registry's other names, leading zeros, lower case), are
claimed for Rival Bank: the exact blocks are refused on-chain (their canonical key is the one the
registry contract refuses duplicates by), and overlapping ones, which the contract lets through, fail
`credits` in `verify`. WeBank's statement claiming Shopify's Verra units fails `credit records`: the
registry retired them for someone else. Units the records given do not hold are `·`, failing with
`--require-registry`; an export whose header the tool does not know is one line, exit 2.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, VERIFIER_NAME, Consortium, consortium_on_anvil, manifest_of, mine
from eth_abi import encode
from eth_account import Account
from lying_proxy import run_attest, show

from attest.app.publishing import publish
from attest.chain.committee import Committee
from attest.core.contracts import Action, Kind, Role
from attest.core.errors import TransactionReverted
from attest.core.records import OrganisationInfo
from attest.devtools.node import dev_private_keys

pytestmark = pytest.mark.anvil
DATA = Path(__file__).resolve().parent / "data" / "registries"
F2023 = EXAMPLES / "illustrative-webank-2023-figures.json"
S2023 = EXAMPLES / "illustrative-carbon-verification-2023.json"
VERRA = DATA / "verra-transactions.csv"
GS = DATA / "gold-standard-retirements.csv"
ACR = DATA / "acr-retirements.csv"

SHOPIFY_VERRA = "19334-940082955-940097954-VCS-VCU-576-VER-US-14-4268-01062024-31122024-1"
HILTI_GS = "GS1-1-KE-GS11603-16-2025-30256-110-5463"
MIDFIRST_ACR = "ACR-US-869-2022-2145-1052027 to 1056426"  # three rows of the ACR records
LINDBLAD_VERRA = "19381-941412555-941441125-VCS-VCU-1310-VER-CN-13-3005-01012022-31102022-0"


def retirement(registry: str, project: str, serial: str, units: int, vintage: int, on: str, who: str) -> Any:
    return {
        "registry": registry,
        "project_id": project,
        "serial_blocks": [{"serial": serial}],
        "quantity_tco2e": str(units),
        "vintage": vintage,
        "retired_on": on,
        "beneficiary": who,
        "reason": f"retired on behalf of {who} (test on the registry's real records)",
    }


def documents(d: Path, tag: str, org: dict[str, str], r: Any) -> tuple[Path, Path]:
    """2025 figures of `org`, and a statement whose one retirement is `r` and whose verified emissions
    are exactly the units it retires."""
    f = copy.deepcopy(json.loads(F2023.read_text(encoding="utf-8")))
    f.update(organisation=org, reporting_year=2025, period={"start": "2025-01-01", "end": "2025-12-31"})
    s = copy.deepcopy(json.loads(S2023.read_text(encoding="utf-8")))
    s.update(organisation=org, reporting_year=2025, period={"start": "2025-01-01", "end": "2025-12-31"})
    s.update(issued="2026-04-30")
    total = r["quantity_tco2e"]
    s["emissions_tco2e"] = {
        k: {"scope1": "0", "scope2": total, "scope3": "0"} for k in ("reported", "verified")
    }
    s["neutrality_claim"].update(residual_emissions_tco2e=total, retirements=[r])
    fp, sp = d / f"{tag}-figures.json", d / f"{tag}-statement.json"
    fp.write_text(json.dumps(f, ensure_ascii=False, indent=2), encoding="utf-8")
    sp.write_text(json.dumps(s, ensure_ascii=False, indent=2), encoding="utf-8")
    return fp, sp


@dataclass
class World:
    c: Consortium
    root: Path
    manifest: Path
    rpc: str
    members: dict[str, Any]
    paths: dict[str, tuple[Path, Path]]
    figures: dict[str, str]


MEMBERS = {
    "shopify": ({"name": "Shopify Inc.", "country": "CA"}, retirement(
        "verra", "4268", SHOPIFY_VERRA, 15000, 2024, "2026-03-31", "Shopify Inc.")),
    "hilti": ({"name": "Hilti Corporation", "country": "LI"}, retirement(
        "gold-standard", "GS11603", HILTI_GS, 5354, 2025, "2026-04-10", "Hilti Corporation")),
    "midfirst": ({"name": "MidFirst Bank", "country": "US"}, retirement(
        "acr", "ACR869", MIDFIRST_ACR, 4400, 2022, "2026-04-09", "MidFirst Bank")),
}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("records")
    with consortium_on_anvil(root) as (node, c):
        members, paths, figures = {}, {}, {}
        for tag, (org, r) in MEMBERS.items():
            account = Account.create()
            c.chain.fund(account.address, funder_key=dev_private_keys(2)[1])
            info = OrganisationInfo(org["name"], org["country"], "company")
            Committee(c.dep).admit(c.committee[:2], info, Role.PUBLISHER, [account.address])
            members[tag] = account
            paths[tag] = documents(root, tag, org, r)
            fuid = publish(c.dep, account, paths[tag][0], kind=Kind.FIGURES).published.attestation.uid
            figures[tag] = fuid
            publish(c.dep, c.verifier, paths[tag][1], kind=Kind.STATEMENT, ref=fuid)
        figures["rival"] = publish(
            c.dep, c.rival, documents(root, "rival", {"name": "Rival Bank", "country": "CN"},
                                      MEMBERS["midfirst"][1])[0], kind=Kind.FIGURES,
        ).published.attestation.uid  # fmt: skip
        mine(c, 2)
        yield World(c, root, manifest_of(c, root), node.rpc_url, members, paths, figures)


def verify(w: World, target: Path, *extra: str) -> Any:
    return run_attest("verify", "-d", str(w.manifest), "--rpc-url", w.rpc, str(target), *extra)


def line(out: str, name: str) -> str:
    (found,) = [" ".join(x.split()) for x in out.splitlines() if x.strip()[2:].startswith(name + " ")]
    return found


def records(*files: Path) -> list[str]:
    return [a for f in files for a in ("--registry-records", str(f))]


def test_real_verra_gold_standard_and_acr_retirements_verify_against_the_records(world: World) -> None:
    for tag, registry_file in (("shopify", VERRA), ("hilti", GS), ("midfirst", ACR)):
        statement = world.paths[tag][1]
        done = verify(world, statement, *records(VERRA, GS, ACR), "--require-registry")
        assert done.returncode == 0, show(done)
        got = line(done.stdout, "credit records: retirements[0]")
        assert got.startswith("✓"), got
        name = MEMBERS[tag][0]["name"]
        assert f'retired for "{name}"' in got and registry_file.name in got and "sha256 " in got
        assert "newest 2026-04-1" in got
        assert line(done.stdout, "credits").startswith("✓")
    # Verra's line says it cannot tell a retirement from a cancellation
    done = verify(world, world.paths["shopify"][1], *records(VERRA))
    assert "retired or cancelled" in line(done.stdout, "credit records: retirements[0]")
    # without records the line is still there, saying it was not checked
    done = verify(world, world.paths["hilti"][1])
    got = line(done.stdout, "credit records: retirements[0]")
    assert done.returncode == 0 and got.startswith("·") and "not checked:" in got


def test_units_the_records_do_not_hold_are_info_and_fail_when_required(world: World) -> None:
    statement = world.paths["hilti"][1]  # Gold Standard units, checked against Verra's records only
    done = verify(world, statement, *records(VERRA))
    assert done.returncode == 0, show(done)
    got = line(done.stdout, "credit records: retirements[0]")
    assert got.startswith("·") and "not in the records given: gold-standard GS1-1-KE-GS11603" in got
    done = verify(world, statement, *records(VERRA), "--require-registry")
    assert done.returncode == 1, show(done)
    assert line(done.stdout, "credit records: retirements[0]").startswith("✗")


def test_an_export_the_tool_does_not_know_is_one_line_exit_2(world: World) -> None:
    done = verify(world, world.paths["hilti"][1], *records(DATA / "isometric-retirements.csv"))
    assert done.returncode == 2, show(done)
    (msg,) = done.stderr.strip().splitlines()
    assert msg.startswith("error: ") and "isometric-retirements.csv: field 'header'" in msg
    assert "no registry export this tool knows" in msg and done.stdout == ""


@pytest.mark.parametrize(
    ("tag", "registry", "spelled"),
    [
        ("shopify", "VCS", "019334-0940082955-0940097954-vcs-vcu-576-ver-us-14-4268-01062024-31122024-1"),
        ("hilti", "Gold Standard", "gs1-01-ke-gs011603-16-2025-030256-0110-05463"),
        ("midfirst", "American Carbon Registry", "acr-us-0869-2022-02145-01052027 TO 01056426"),
    ],
)
def test_another_spelling_of_the_same_units_is_refused_on_chain(
    world: World, tag: str, registry: str, spelled: str
) -> None:
    r = dict(
        MEMBERS[tag][1], registry=registry, serial_blocks=[{"serial": spelled}], beneficiary="Rival Bank"
    )
    _, statement = documents(world.root, f"rival-{tag}", {"name": "Rival Bank", "country": "CN"}, r)
    before = world.c.chain.head()
    with pytest.raises(TransactionReverted) as exc:
        publish(world.c.dep, world.c.verifier, statement, kind=Kind.STATEMENT, ref=world.figures["rival"])
    assert exc.value.error_name == "CreditAlreadyClaimed"
    assert world.c.chain.head() == before


# Shopify's Verra units, under another batch number, in lower case
_VERRA_OTHERWISE = "-".join(["7", "940090000", "940090099", *SHOPIFY_VERRA.lower().split("-")[3:]])


@pytest.mark.parametrize(
    ("tag", "registry", "spelled", "units", "theirs"),
    [
        ("shopify", "Verra", _VERRA_OTHERWISE, 100, "units 940082955–940097954"),
        ("hilti", "goldstandard", "gs1-1-ke-gs011603-16-2025-030256-200-0299", 100, "units 110–5463"),
        ("midfirst", "American Carbon Registry", "acr-us-0869-2022-02145-01052100 to 01052199", 100,
         "units 1052027–1056426"),
    ],
)  # fmt: skip
def test_overlapping_units_spelled_otherwise_fail_credits_in_verify(
    world: World, tag: str, registry: str, spelled: str, units: int, theirs: str
) -> None:
    """The contract refuses exact duplicates only; an overlap in another spelling is caught by verify."""
    r = dict(
        MEMBERS[tag][1], registry=registry, serial_blocks=[{"serial": spelled}], quantity_tco2e=str(units)
    )
    r["beneficiary"] = "Rival Bank"
    _, statement = documents(world.root, f"rival-overlap-{tag}", {"name": "Rival Bank", "country": "CN"}, r)
    publish(world.c.dep, world.c.verifier, statement, kind=Kind.STATEMENT, ref=world.figures["rival"])
    mine(world.c, 2)
    done = verify(world, statement)
    assert done.returncode == 1, show(done)
    got = line(done.stdout, "credits")
    assert got.startswith(f"✗ credits claimed twice: {registry} {spelled}") and theirs in got, got
    # and the member's own statement now names the later claim
    done = verify(world, world.paths[tag][1])
    assert done.returncode == 1 and "later" in line(done.stdout, "credits")


def test_units_the_registry_retired_for_someone_else_fail_for_webank(world: World) -> None:
    r = retirement("VCS", "3005", LINDBLAD_VERRA, 28571, 2022, "2026-04-06", "WeBank")
    r["serial_blocks"] = [{"serial": LINDBLAD_VERRA.lower()}]
    org = {"name": "WeBank", "legal_name": "WeBank", "country": "CN"}
    figures, statement = documents(world.root, "webank", org, r)
    fuid = publish(world.c.dep, world.c.bank, figures, kind=Kind.FIGURES).published.attestation.uid
    publish(world.c.dep, world.c.verifier, statement, kind=Kind.STATEMENT, ref=fuid)
    mine(world.c, 2)
    done = verify(world, statement, *records(VERRA))
    assert done.returncode == 1, show(done)
    got = line(done.stdout, "credit records: retirements[0]")
    assert got.startswith("✗") and 'retired for "Lindblad Expeditions Family of Companies", not this' in got
    assert "verra-transactions.csv line " in got
    # every other line holds: the registry's records are what fails it
    failed = [x for x in done.stdout.splitlines() if x.strip().startswith("✗")]
    assert len(failed) == 1, done.stdout
    # verify-many takes the records too (and prints the failure)
    many = run_attest(
        "verify-many", "-d", str(world.manifest), "--rpc-url", world.rpc, str(statement), *records(VERRA)
    )
    assert many.returncode == 1 and "credit records: retirements[0]" in many.stdout + many.stderr, show(many)
    assert "Lindblad Expeditions" in many.stdout + many.stderr


def test_history_neutrality_counts_each_registrys_units_and_what_the_records_confirm(world: World) -> None:
    base = ("history", "--neutrality", "-d", str(world.manifest), "--rpc-url", world.rpc)
    done = run_attest(*base, "--org", "MidFirst Bank", "--json", *records(ACR))
    assert done.returncode == 0, show(done)
    (year,) = json.loads(done.stdout)["years"]
    assert year["year"] == 2025 and year["verified_emissions_tonnes"] == 4400
    assert year["credits_by_registry"] == [
        {"registry": "acr", "blocks": 1, "units": 4400, "confirmed_by_records": 4400}
    ]
    # without records, an ACR issuance key is not named (the chain holds keys, not registries)
    done = run_attest(*base, "--org", "MidFirst Bank")
    assert "credits   an issuance the records given do not name: 1 block(s), 4400 unit(s)" in done.stdout
    # Verra's key is the registry's own: named from the chain; Shopify's records confirm its units
    done = run_attest(*base, "--org", "Shopify Inc.", *records(VERRA))
    assert "credits   verra: 1 block(s), 15000 unit(s), 15000 confirmed by the records" in done.stdout, show(
        done
    )


def test_a_statement_pinning_the_export_it_relied_on_names_it_and_a_file_that_differs(world: World) -> None:
    import hashlib
    import shutil

    export = world.root / GS.name
    shutil.copyfile(GS, export)
    sha = hashlib.sha256(GS.read_bytes()).hexdigest()
    # a plain file needs the PUBLISHER role: the committee grants it to the verification body
    roles = encode(["uint32", "uint8"], [world.c.verifier_id, Role.PUBLISHER | Role.VERIFIER])
    Committee(world.c.dep).enact(world.c.committee[:2], Action.GRANT_ROLES, roles)
    publish(world.c.dep, world.c.verifier, export, kind=Kind.FILE, year=2025)
    s = json.loads(world.paths["hilti"][1].read_text(encoding="utf-8"))
    s["registry_records_sha256"] = [sha]
    statement = world.root / "hilti-pinned-statement.json"
    statement.write_text(json.dumps(s, ensure_ascii=False, indent=2), encoding="utf-8")
    publish(world.c.dep, world.c.verifier, statement, kind=Kind.STATEMENT, ref=world.figures["hilti"])
    mine(world.c, 2)
    done = verify(world, statement, *records(GS), "--json")
    # (Hilti's units were claimed again for Rival Bank above: `credits` fails; the records still hold)
    checks = {c["name"]: c for c in json.loads(done.stdout)[0]["checks"]}
    pinned = checks["credit records: pinned"]
    assert pinned["status"] == "info" and f"export sha256 {sha} at hand: {GS}" in pinned["detail"]
    assert f"anchored by {VERIFIER_NAME} (org #{world.c.verifier_id})" in pinned["detail"]
    assert "differs" not in pinned["detail"]
    assert checks["credit records: retirements[0]"]["status"] == "pass"
    # another export given beside it, or instead of it: said
    done = verify(world, statement, *records(VERRA), "--json")
    pinned = {c["name"]: c for c in json.loads(done.stdout)[0]["checks"]}["credit records: pinned"]
    assert "not among the files given" in pinned["detail"]
    assert f"differs from every pinned export: {VERRA}" in pinned["detail"]


def test_publishing_a_statement_naming_a_registry_not_in_the_table_is_one_line_exit_2(world: World) -> None:

    from attest.chain.keystore import create_keystore

    r = dict(MEMBERS["hilti"][1], registry="https://registry.example.org/forestry-carbon-sink")
    r["serial_blocks"] = [{"issuance": "FCS-1-2025", "start": "1", "end": "5354"}]
    _, statement = documents(
        world.root, "unknown-registry", {"name": "Hilti Corporation", "country": "LI"}, r
    )
    key = world.root / "verifier-key.json"
    if not key.exists():
        create_keystore(key, "records test password", private_key=world.c.verifier.key.hex())
    before = world.c.chain.head()
    done = run_attest(
        "publish", "statement", statement,
        "--covers", world.paths["hilti"][0].with_name("hilti-figures.receipt.json"),
        "--keystore", key, "-d", world.manifest, "--rpc-url", world.rpc,
        timeout=120, env={"ATTEST_PASSWORD": "records test password"},
    )  # fmt: skip
    assert done.returncode == 2, show(done)
    (msg,) = done.stderr.strip().splitlines()
    assert "field 'neutrality_claim.retirements[0].registry'" in msg and "is not one this tool knows" in msg
    assert "verra, gold-standard, acr, car, art, cercarbono, ccer" in msg and "docs/credits.md" in msg
    assert world.c.chain.head() == before
    assert not statement.with_name("unknown-registry-statement.receipt.json").exists()
