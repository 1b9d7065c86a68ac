"""scripts/bootstrap_consortium.py against a real anvil node: deploy + admit, then a re-run that skips.

The script runs as a subprocess (as an operator would run it); what it claims is checked on-chain
through the library, not through its own output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.chain.keystore import create_keystore
from attest.core.contracts import Role
from attest.devtools.node import dev_private_keys

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bootstrap_consortium.py"
PASSWORD = "bootstrap password 9"


def bootstrap(config: Path, *extra: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    if password is not None:
        env["ATTEST_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(config), *extra],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.anvil
def test_bootstrap_deploys_admits_and_is_idempotent(anvil: Any, tmp_path: Path) -> None:
    dev_key = dev_private_keys(1)[0]
    keys = tmp_path / "keys"
    keys.mkdir()
    c1 = create_keystore(keys / "c1.json", PASSWORD, private_key=dev_key)
    c2 = create_keystore(keys / "c2.json", PASSWORD)
    c3 = create_keystore(keys / "c3.json", PASSWORD)
    absent = Account.create().address  # a committee member whose key is held elsewhere
    chain = Chain.connect(anvil.rpc_url)
    for address in (c2, c3):
        chain.fund(address, 10**20, funder_key=dev_key)
    bank, verifier, late = (Account.create().address for _ in range(3))
    orgs: list[dict[str, Any]] = [
        {"name": "WeBank", "country": "CN", "kind": "bank", "roles": ["publisher"], "accounts": [bank]},
        {
            "name": "Example Verifier",
            "kind": "verification body",
            "roles": ["verifier"],
            "accounts": [verifier],
            "accreditation_body": "CNAS",
            "accreditation_number": "V-1",
            "documents_sha256": "ab" * 32,
        },
    ]
    config: dict[str, Any] = {
        "rpc_url": anvil.rpc_url,
        "network": "anvil",
        "manifest": "deployments/anvil.json",
        "committee": {
            "keystores": ["keys/c1.json", "keys/c2.json", "keys/c3.json"],
            "members": [absent],
            "threshold": 2,
        },
        "organisations": orgs,
    }
    path = tmp_path / "consortium.json"
    path.write_text(json.dumps(config), encoding="utf-8")

    first = ok(bootstrap(path, "--json"))
    assert first["deployed"] is True
    assert [(a["name"], a["org_id"]) for a in first["admitted"]] == [("WeBank", 1), ("Example Verifier", 2)]
    assert first["skipped"] == []

    dep = Deployment.open(tmp_path / "deployments" / "anvil.json")
    gov = dep.governance.functions
    assert {a.lower() for a in gov.committeeMembers().call()} == {a.lower() for a in (c1, c2, c3, absent)}
    assert gov.threshold().call() == 2
    webank, vb = dep.organisations()
    assert (webank.info.name, webank.roles, webank.accounts) == ("WeBank", Role.PUBLISHER, (bank,))
    assert (vb.roles, vb.accounts, vb.info.accreditation_number) == (Role.VERIFIER, (verifier,), "V-1")
    assert vb.info.documents_digest == "ab" * 32
    proposals_after_first = gov.proposalCount().call()
    assert proposals_after_first == 2

    # Re-run with one more member: the two admitted are skipped, only the new one is sent.
    orgs.append({"name": "Late Bank", "roles": ["publisher", "verifier"], "accounts": [late]})
    path.write_text(json.dumps(config), encoding="utf-8")
    manifest_before = (tmp_path / "deployments" / "anvil.json").read_bytes()
    second = ok(bootstrap(path, "--json"))
    assert second["deployed"] is False
    assert second["admitted"] == [{"name": "Late Bank", "org_id": 3}]
    assert second["skipped"] == [{"name": "WeBank", "org_id": 1}, {"name": "Example Verifier", "org_id": 2}]
    assert (tmp_path / "deployments" / "anvil.json").read_bytes() == manifest_before
    assert dep.organisation(3).roles == Role.PUBLISHER | Role.VERIFIER

    # A third run changes nothing on-chain.
    third = bootstrap(path)
    assert third.returncode == 0, third.stderr
    assert "skipped Late Bank: already organisation #3" in third.stdout
    assert gov.proposalCount().call() == proposals_after_first + 1

    # Wrong password: bad input, exit 2, one line, nothing sent.
    orgs.append({"name": "Never", "roles": ["publisher"]})
    path.write_text(json.dumps(config), encoding="utf-8")
    one_line(bootstrap(path, password="wrong"), 2, "wrong password for this keystore")
    assert gov.proposalCount().call() == proposals_after_first + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.update(extra=1), "extra"),
        (lambda c: c["committee"].update(threshold=4), "committee.threshold"),
        (lambda c: c["organisations"][0].update(roles=["auditor"]), "organisations[0].roles"),
        (lambda c: c["organisations"][0].update(accounts=["0x12"]), "organisations[0].accounts"),
        (lambda c: c["organisations"].append(dict(c["organisations"][0])), "organisations[1].name"),
        (  # the same name once normalised (case, fullwidth, spaces): the contract would refuse it
            lambda c: c["organisations"].append({"name": " \uff41 ", "roles": ["publisher"]}),
            "organisations[1].name",
        ),
        (lambda c: c["organisations"][0].update(documents_sha256="xyz"), "organisations[0].documents_sha256"),
        (lambda c: c.pop("rpc_url"), "rpc_url"),
    ],
)
def test_bad_config_is_exit_2_naming_the_field(tmp_path: Path, change: Any, field: str) -> None:
    create_keystore(tmp_path / "c1.json", PASSWORD)
    config: dict[str, Any] = {
        "rpc_url": "http://127.0.0.1:1",
        "manifest": "m.json",
        "committee": {"keystores": ["c1.json"], "threshold": 1},
        "organisations": [{"name": "A", "roles": ["publisher"], "accounts": []}],
    }
    change(config)
    path = tmp_path / "consortium.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    one_line(bootstrap(path), 2, "consortium.json", f"field '{field}'")
    assert not (tmp_path / "m.json").exists()
