"""The credits behind a neutrality claim, verified on the real contracts (embedded chain): every claim
on-chain, a block claimed twice anywhere in the consortium caught by `verify`, revoked claims freed,
restatements not counted twice, each retirement rule its own line; bulk verification agrees.

The story: WeBank's 2022 and 2023 figures, each covered by the (illustrative) verification body's
carbon-verification/2 statement. Attacks, each on a fresh snapshot: a second verifier claims, for
Rival Bank, a Verra block overlapping WeBank's 2022 one; WeBank's 2023 statement reuses part of its
2022 block; a statement anchored without its credit blocks.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, VERIFIER_NAME, Consortium, build_consortium
from eth_abi import encode
from eth_account import Account

from attest.app.bulk import verify_many
from attest.app.publishing import publish
from attest.app.verify import verify_pair, verify_target
from attest.chain.anchoring import revoke
from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.core.contracts import Action, Kind, Role
from attest.core.credits import CreditPolicy
from attest.core.errors import TransactionReverted
from attest.core.records import OrganisationInfo
from attest.core.report_html import ReportContext, render_html
from attest.core.verification import Check, Report

S2022 = EXAMPLES / "illustrative-carbon-verification-2022-v2.json"
S2023 = EXAMPLES / "illustrative-carbon-verification-2023.json"
F2022 = EXAMPLES / "webank-2022-figures.json"
F2023 = EXAMPLES / "illustrative-webank-2023-figures.json"
SECOND = "Second Verification Body (illustrative)"
RIVAL_LEGAL = "Rival Bank Co., Ltd. (illustrative)"
VERRA_2022 = "0001-{:06}-{:06}-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"


@dataclass
class World:
    c: Consortium
    d: Path
    second: Any
    second_id: int
    f2022: Path
    s2022: Path
    f2023: Path
    s2023: Path
    uids: dict[str, str]


def load(path: Path) -> Any:
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))


def write(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def _world(tmp_path_factory: pytest.TempPathFactory) -> World:
    c = build_consortium(Chain.embedded())
    second = Account.create()
    c.chain.fund(second.address)
    info = OrganisationInfo(SECOND, "CN", "verification body", "CNAS", "V-2")
    second_id = Committee(c.dep).admit(c.committee[:2], info, Role.VERIFIER, [second.address])
    d = tmp_path_factory.mktemp("credits")
    paths = {}
    for src in (F2022, S2022, F2023, S2023):
        paths[src] = d / src.name
        shutil.copyfile(src, paths[src])
    uids = {}
    uids["f2022"] = publish(c.dep, c.bank, paths[F2022], kind=Kind.FIGURES).published.attestation.uid
    uids["s2022"] = publish(
        c.dep, c.verifier, paths[S2022], kind=Kind.STATEMENT, ref=uids["f2022"]
    ).published.attestation.uid
    uids["f2023"] = publish(c.dep, c.bank, paths[F2023], kind=Kind.FIGURES).published.attestation.uid
    uids["s2023"] = publish(
        c.dep, c.verifier, paths[S2023], kind=Kind.STATEMENT, ref=uids["f2023"]
    ).published.attestation.uid
    return World(c, d, second, second_id, paths[F2022], paths[S2022], paths[F2023], paths[S2023], uids)


@pytest.fixture
def world(_world: World) -> Iterator[World]:
    tester = _world.c.chain.tester
    snapshot = tester.take_snapshot()
    try:
        yield _world
    finally:
        tester.revert_to_snapshot(snapshot)


def check(report: Report, name: str) -> Check:
    (found,) = [c for c in report.checks if c.name == name]
    return found


def failed(report: Report) -> set[str]:
    return {c.name for c in report.checks if c.status == "fail"}


def rival_claims_overlap(w: World, tmp: Path, first: int = 4001, last: int = 4500) -> tuple[Path, str]:
    """Rival Bank's 2022 figures, covered by the second verifier's statement retiring Verra units
    first..last of the issuance WeBank's 2022 statement retires 1..5000 of."""
    figures = load(F2022)
    figures["organisation"] = {"name": "Rival Bank", "legal_name": RIVAL_LEGAL, "country": "CN"}
    fpath = write(tmp / "rival-2022-figures.json", figures)
    fuid = publish(w.c.dep, w.c.rival, fpath, kind=Kind.FIGURES).published.attestation.uid
    s = load(S2022)
    s["verifier"]["name"] = SECOND
    s["organisation"] = figures["organisation"]
    verra, forestry = s["neutrality_claim"]["retirements"]
    verra["serial_blocks"] = [{"serial": VERRA_2022.format(first, last)}]
    verra["quantity_tco2e"] = str(last - first + 1)
    forestry["serial_blocks"] = [{"issuance": "FCS-EXAMPLE-01-2021-B", "start": "1", "end": "6400"}]
    forestry["quantity_tco2e"] = "6400"
    for r in (verra, forestry):
        r["beneficiary"] = RIVAL_LEGAL
    spath = write(tmp / "rival-2022-statement.json", s)
    suid = publish(w.c.dep, w.second, spath, kind=Kind.STATEMENT, ref=fuid).published.attestation.uid
    return spath, suid


def with_2022_block(statement: Any, first: int, last: int) -> Any:
    """`statement` (a 2023 one) with one more retirement: Verra units first..last of the 2022 issuance."""
    extra = copy.deepcopy(statement["neutrality_claim"]["retirements"][0])
    extra.update(vintage=2022, quantity_tco2e=str(last - first + 1))
    extra["serial_blocks"] = [{"serial": VERRA_2022.format(first, last)}]
    statement["neutrality_claim"]["retirements"].append(extra)
    return statement


def reuse_2022_in_2023(w: World, tmp: Path) -> Path:
    """WeBank's 2023 statement, re-issued to retire Verra units 4901..5100 of the 2022 issuance too:
    units 4901..5000 were retired for 2022 already."""
    return write(tmp / "webank-2023-reusing.json", with_2022_block(load(S2023), 4901, 5100))


# ---------------------------------------------------------------------------------- clean


def test_the_clean_examples_verify_with_every_credit_line(world: World) -> None:
    for figures, statement in ((world.f2022, world.s2022), (world.f2023, world.s2023)):
        fig, st = verify_pair(world.c.dep, str(figures), str(statement))
        assert fig.verified and st.verified, [c for c in st.checks if c.status != "pass"]
        names = [c.name for c in st.checks]
        assert names[names.index("cross-check: carbon neutrality") + 1 : -1] == [
            "retirement: beneficiary", "retirement: date", "retirement: vintage", "retirement: quantity",
            "credit records: retirements[0]", "credit records: retirements[1]",
            "credits: recorded", "credits",
        ]  # fmt: skip
        # no registry records given: each retirement's line says it was not checked (·), never missing
        assert all(c.status == "pass" for c in st.checks if not c.name.startswith("credit records"))
        assert {c.status for c in st.checks if c.name.startswith("credit records")} == {"info"}
        assert (
            "not checked: no registry records were given"
            in check(st, "credit records: retirements[0]").detail
        )
        assert check(st, "credits").detail.startswith("no serial block is claimed by another live statement")
        assert "CreditClaimed logs up to block" in check(st, "credits").detail
        assert "深圳前海微众银行股份有限公司" in check(st, "retirement: beneficiary").detail
        # the figures say the same of the statement covering them
        assert check(fig, "credits").status == "pass" and world.uids["s2022"][:10] in (
            check(verify_target(world.c.dep, str(world.f2022)), "credits").detail
        )


def test_the_html_report_of_verify_statement_has_the_credit_lines(world: World) -> None:
    reports = list(verify_pair(world.c.dep, str(world.f2022), str(world.s2022)))
    ctx = ReportContext(
        chain_id=1, network="embedded", registry="0x" + "11" * 20, governance="0x" + "22" * 20,
        manifest_path="m.json", manifest_sha256="00" * 32, head_block=1, head_block_hash="0x" + "00" * 32,
        confirmations_required=1, generated_at=0, tool_version="test", command="attest verify",
    )  # fmt: skip
    page = render_html(reports, ctx)
    for name in ("credits: recorded", "retirement: beneficiary", "retirement: quantity"):
        assert name in page
    assert "no serial block is claimed by another live statement" in page


# ---------------------------------------------------------------------------------- attacks


def test_another_bank_claiming_an_overlapping_verra_block_fails_both_claims(
    world: World, tmp_path: Path
) -> None:
    spath, suid = rival_claims_overlap(world, tmp_path)
    rival = verify_target(world.c.dep, str(spath))
    assert not rival.verified and failed(rival) == {"credits"}
    detail = check(rival, "credits").detail
    assert detail.startswith("claimed twice: verra " + VERRA_2022.format(4001, 4500))
    assert "overlaps units 1–5000 of the same issuance claimed by statement " + world.uids["s2022"] in detail
    assert f"verifier {VERIFIER_NAME} (org #{world.c.verifier_id})" in detail
    assert f"for WeBank (org #{world.c.bank_id}), 2022" in detail and "earlier" in detail
    # WeBank's own statement, and its figures, now show the conflict too (the later claim is named)
    webank = verify_target(world.c.dep, str(world.s2022))
    assert failed(webank) == {"credits"}
    assert (
        suid in check(webank, "credits").detail
        and f"{SECOND} (org #{world.second_id})" in check(webank, "credits").detail
    )
    assert (
        "for Rival Bank (org #" in check(webank, "credits").detail
        and "later" in check(webank, "credits").detail
    )
    figures = verify_target(world.c.dep, str(world.f2022))
    assert failed(figures) == {"credits"} and suid in check(figures, "credits").detail


def test_the_same_bank_reusing_2022_credits_in_2023_fails(world: World, tmp_path: Path) -> None:
    c = world.c
    revoke(c.dep, c.verifier, world.uids["s2023"], "re-issued")
    reusing = reuse_2022_in_2023(world, tmp_path)
    publish(c.dep, c.verifier, reusing, kind=Kind.STATEMENT, ref=world.uids["f2023"])
    report = verify_target(c.dep, str(reusing))
    assert failed(report) == {"credits"}
    detail = check(report, "credits").detail
    assert "verra " + VERRA_2022.format(4901, 5100) + " overlaps units 1–5000" in detail
    assert world.uids["s2022"] in detail and f"for WeBank (org #{c.bank_id}), 2022" in detail


def test_a_revoked_statements_credits_are_free_again(world: World, tmp_path: Path) -> None:
    c = world.c
    _, suid = rival_claims_overlap(world, tmp_path)
    assert failed(verify_target(c.dep, str(world.s2022))) == {"credits"}
    revoke(c.dep, world.second, suid, "credits belong to another bank's claim")
    assert verify_target(c.dep, str(world.s2022)).verified
    # and the other way round: WeBank's 2022 statement withdrawn by the committee frees its block
    data = encode(
        ["address", "bytes32", "string"],
        [c.dep.registry.address, bytes.fromhex(world.uids["s2022"][2:]), "withdrawn"],
    )
    Committee(c.dep).enact(c.committee[:2], Action.REVOKE_ATTESTATION, data)
    revoke(c.dep, c.verifier, world.uids["s2023"], "re-issued")
    reusing = reuse_2022_in_2023(world, tmp_path)
    publish(c.dep, c.verifier, reusing, kind=Kind.STATEMENT, ref=world.uids["f2023"])
    report = verify_target(c.dep, str(reusing))
    assert report.verified and check(report, "credits").status == "pass"


def test_a_restatement_making_the_same_claim_does_not_collide(world: World, tmp_path: Path) -> None:
    c = world.c
    restated = load(F2022)
    restated["metrics"][0]["value"] = str(int(restated["metrics"][0]["value"]) + 1)
    rpath = write(tmp_path / "webank-2022-restated.json", restated)
    new = publish(c.dep, c.bank, rpath, kind=Kind.FIGURES, ref=world.uids["f2022"]).published.attestation.uid
    s = load(S2022)
    s["issued"] = "2023-04-30"
    spath = write(tmp_path / "statement-on-restated.json", s)
    # the same blocks, exactly: the registry accepts them for the same organisation and year
    suid = publish(c.dep, c.verifier, spath, kind=Kind.STATEMENT, ref=new).published.attestation.uid
    fig, st = verify_pair(c.dep, str(rpath), str(spath))
    assert fig.verified and st.verified, [x for x in st.checks if x.status != "pass"]
    assert (
        f"also claimed by {world.uids['s2022']} for the same organisation and year"
        in check(st, "credits").detail
    )
    assert suid != world.uids["s2022"]


def test_an_exact_duplicate_for_another_year_is_refused_and_nothing_anchored(
    world: World, tmp_path: Path
) -> None:
    c = world.c
    revoke(c.dep, c.verifier, world.uids["s2023"], "re-issued")
    path = write(tmp_path / "webank-2023-duplicate.json", with_2022_block(load(S2023), 1, 5000))
    before = c.chain.head()
    with pytest.raises(TransactionReverted) as exc:
        publish(c.dep, c.verifier, path, kind=Kind.STATEMENT, ref=world.uids["f2023"])
    assert (
        exc.value.error_name == "CreditAlreadyClaimed" and world.uids["s2022"][2:] in str(exc.value).lower()
    )
    assert c.chain.head() == before


def test_a_statement_anchored_without_its_credit_blocks_fails_recorded(world: World, tmp_path: Path) -> None:
    """Anchored with the plain `attest` (or a relayed signature): the chain has no claims for it, so
    no one else's check could ever see its credits."""
    from attest.core.documents import hash_document

    c = world.c
    s = load(S2022)
    s["issued"] = "2023-05-02"
    path = write(tmp_path / "hidden-claims.json", s)
    c.dep.attest(c.verifier, hash_document(path).digest, Kind.STATEMENT, 2022, ref=world.uids["f2022"])
    report = verify_target(c.dep, str(path))
    assert failed(report) == {"credits: recorded"}
    assert (
        "none of the 2 serial block(s) it retires is recorded on-chain"
        in check(report, "credits: recorded").detail
    )
    # its blocks are still compared with every recorded claim: WeBank's own 2022 claim is the same one
    assert check(report, "credits").status == "pass"


def test_a_statement_without_its_document_is_judged_by_its_recorded_claims(
    world: World, tmp_path: Path
) -> None:
    _, suid = rival_claims_overlap(world, tmp_path)
    from attest.core.documents import hash_document

    bare = verify_target(world.c.dep, hash_document(world.s2022).digest)
    assert failed(bare) == {"credits"} and suid in check(bare, "credits").detail
    assert "issuance 0x" in check(bare, "credits").detail  # named by its key: the document is not at hand


def test_retirement_rules_fail_verify_by_their_own_line(world: World, tmp_path: Path) -> None:
    c = world.c
    s = load(S2022)
    s["issued"] = "2023-05-03"
    s["neutrality_claim"]["retirements"][1]["retired_on"] = "2024-02-01"
    s["neutrality_claim"]["retirements"][1]["beneficiary"] = "WeBank Holdings"
    path = write(tmp_path / "late.json", s)
    publish(c.dep, c.verifier, path, kind=Kind.STATEMENT, ref=world.uids["f2022"])
    _, st = verify_pair(c.dep, str(world.f2022), str(path))
    assert failed(st) == {"retirement: date", "retirement: beneficiary"}
    assert "after 2023-12-31" in check(st, "retirement: date").detail
    # the vintage policy is the caller's: the forestry credits are of 2021
    strict = verify_target(c.dep, str(world.s2022), credit_policy=CreditPolicy(max_vintage_age=0))
    assert (
        failed(strict) == {"retirement: vintage"}
        and "from 2022 to 2022" in check(strict, "retirement: vintage").detail
    )


# ---------------------------------------------------------------------------------- bulk


def test_bulk_verification_gives_the_same_credit_lines(world: World, tmp_path: Path) -> None:
    from attest.core.documents import hash_document

    spath, _ = rival_claims_overlap(world, tmp_path)
    targets = [
        str(world.s2022),
        str(world.f2022),
        str(spath),
        str(world.s2023),
        hash_document(world.s2022).digest,
    ]
    one = [verify_target(world.c.dep, t).to_json() for t in targets]
    bulk = [r.to_json() for r in verify_many(world.c.dep, targets)]
    assert bulk == one
    assert [r["verified"] for r in bulk] == [False, False, False, True, False]
    policy = CreditPolicy(max_vintage_age=0)
    one = [verify_target(world.c.dep, t, credit_policy=policy).to_json() for t in targets]
    assert [r.to_json() for r in verify_many(world.c.dep, targets, credit_policy=policy)] == one
