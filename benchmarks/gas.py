"""Exact gas per call on the embedded chain (py-evm), printed as a table. Not a timed test."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from eth_abi import encode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import build_consortium

from attest.chain import Chain
from attest.client import ORG_INFO_TYPE
from attest.contracts import Action, Kind, Role


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
    restated = dep.attest(c.bank, digest(6), Kind.FIGURES, 2022, ref=figures.attestation.uid)
    rows.append(("restate figures (supersede)", restated.gas_used or 0))
    rows.append(("revoke", dep.revoke(c.bank, restated.attestation.uid, "typo in S.customers").gas_used))
    data = encode(
        [ORG_INFO_TYPE, "uint8", "address[]"],
        [("Org", "CN", "bank", "", "", "", b"\0" * 32), int(Role.PUBLISHER), []],
    )
    expires = int(dep.chain.block("latest")["timestamp"]) + 3600
    sent = dep._transact(
        c.committee[0], dep.governance.functions.propose(int(Action.ADMIT_ORGANISATION), data, expires)
    )
    proposal = int(dep.governance.functions.proposalCount().call())
    rows.append(("propose (admit organisation, incl. own vote)", sent.gas_used))
    rows.append(("vote", dep.vote(c.committee[1], proposal).gas_used))
    rows.append(("execute (admit organisation)", dep.execute(c.committee[0], proposal).gas_used))
    width = max(len(r[0]) for r in rows)
    print(f"{'call':<{width}}  {'gas used':>9}")
    print(f"{'-' * width}  {'-' * 9}")
    for name, gas in rows:
        print(f"{name:<{width}}  {gas:>9,}")


if __name__ == "__main__":
    main()
