"""Exact gas per call on the embedded chain (py-evm), printed as a table. Not a timed test."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import build_consortium

from attest.chain.anchoring import revoke
from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.core import governance
from attest.core.contracts import Action, Kind, Role
from attest.core.records import OrganisationInfo


def digest(i: int) -> str:
    return hashlib.sha256(f"doc-{i}".encode()).hexdigest()


def main() -> None:
    c = build_consortium(Chain.embedded())
    dep = c.dep
    rows: list[tuple[str, int]] = []
    figures = dep.attest(c.bank, digest(1), Kind.FIGURES, 2022)
    rows.append(("attest figures (empty URI)", figures.gas_used or 0))
    uri = "https://example.org/esg/2022/figures.json"
    rows.append(
        (
            f"attest figures ({len(uri)}-char URI)",
            dep.attest(c.bank, digest(2), Kind.FIGURES, 2022, uri=uri).gas_used or 0,
        )
    )
    rows.append(("attest file (report PDF)", dep.attest(c.bank, digest(3), Kind.FILE, 2022).gas_used or 0))
    rows.append(("attest batch root", dep.attest(c.bank, digest(4), Kind.BATCH, 2022).gas_used or 0))
    st = dep.attest(c.verifier, digest(5), Kind.STATEMENT, 2022, ref=figures.attestation.uid)
    rows.append(("attest statement (covers figures)", st.gas_used or 0))
    rows.extend(credit_rows(c, figures.attestation.uid))
    restated = dep.attest(c.bank, digest(6), Kind.FIGURES, 2022, ref=figures.attestation.uid)
    rows.append(("restate figures (supersede)", restated.gas_used or 0))
    rows.append(("revoke", revoke(dep, c.bank, restated.attestation.uid, "typo in S.customers").gas_used))
    data = governance.admit_organisation(OrganisationInfo("Org", "CN", "bank"), int(Role.PUBLISHER), []).data
    expires = dep.chain.timestamp("latest") + 3600
    sent = dep.transact(
        c.committee[0], dep.governance.functions.propose(int(Action.ADMIT_ORGANISATION), data, expires)
    )
    proposal = int(dep.governance.call("proposalCount"))
    rows.append(("propose (admit organisation, incl. own vote)", sent.gas_used))
    committee = Committee(dep)
    rows.append(("vote", committee.vote(c.committee[1], proposal).gas_used))
    rows.append(("execute (admit organisation)", committee.execute(c.committee[0], proposal).gas_used))
    rows.extend(governance_rows(c, dep.uid_of(c.bank_id, digest(3))))
    width = max(len(r[0]) for r in rows)
    print(f"{'call':<{width}}  {'gas used':>9}")
    print(f"{'-' * width}  {'-' * 9}")
    for name, gas in rows:
        print(f"{name:<{width}}  {gas:>9,}")


def credit_rows(c: Any, figures_uid: str) -> list[tuple[str, int]]:
    """A statement backing a neutrality claim with 1, 10 and 100 credit blocks of one issuance."""
    from attest.core.serials import issuance_key

    key = bytes.fromhex(issuance_key("verra", "0001-VCS-VCU-003-VER-US-0003-01012022-31122022-1")[2:])
    fns = c.dep.registry.functions
    rows: list[tuple[str, int]] = []
    for n in (1, 10, 100):
        blocks = [(key, 1000 * i + 1, 1000 * i + 500) for i in range(n)]
        fn = fns.attestStatementWithCredits(
            bytes.fromhex(digest(100 + n)), 2022, bytes.fromhex(figures_uid[2:]), "", 500 * n, blocks
        )
        rows.append(
            (
                f"attest statement with credits ({n} block{'s' * (n > 1)})",
                c.dep.transact(c.verifier, fn).gas_used,
            )
        )
    return rows


def governance_rows(c: Any, file_uid: str) -> list[tuple[str, int]]:
    """Propose (incl. the proposer's vote) and execute of every governance action, 2-of-3 committee."""
    from eth_account import Account

    from attest.chain import proposals
    from attest.core.governance import ACTION_NAMES

    dep = c.dep
    committee = Committee(dep)
    outsider, new_key = Account.create().address, Account.create().address
    calls = [
        governance.add_committee_member(outsider),
        governance.remove_committee_member(outsider),
        governance.change_threshold(2),
        governance.admit_organisation(OrganisationInfo("Gas Bank", "CN", "bank"), ["publisher"], [new_key]),
        governance.grant_roles(c.rival_id, ["verifier"]),
        governance.revoke_roles(c.rival_id, ["verifier"]),
        governance.add_account(c.bank_id, Account.create().address),
        governance.remove_account(new_key),
        governance.freeze_account(c.bank.address),
        governance.unfreeze_account(c.bank.address),
        governance.remove_organisation(c.rival_id),
        governance.revoke_attestation(dep.registry.address, file_uid, "committee decision"),
    ]
    rows: list[tuple[str, int]] = []
    for call in calls:
        expires = dep.chain.timestamp("latest") + 3600
        sent = dep.transact(
            c.committee[0], dep.governance.functions.propose(int(call.action), call.data, expires)
        )
        proposal_id = proposals.proposal_id_of(sent.receipt, dep)
        committee.vote(c.committee[1], proposal_id)
        name = ACTION_NAMES[call.action]
        rows.append((f"governance {name}: propose", sent.gas_used))
        rows.append((f"governance {name}: execute", committee.execute(c.committee[2], proposal_id).gas_used))
    withdrawn = governance.change_threshold(2)
    proposal_id = committee.propose(c.committee[0], withdrawn.action, withdrawn.data)
    rows.append(("governance cancel by its proposer", committee.cancel(c.committee[0], proposal_id).gas_used))
    return rows


if __name__ == "__main__":
    main()
