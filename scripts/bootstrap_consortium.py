"""Bootstrap a consortium from one config file: deploy (or reuse a deployment), admit the first members.

Run by the consortium's founding committee, on any EVM chain reachable over JSON-RPC::

    python scripts/bootstrap_consortium.py consortium.json --password-file /run/secrets/committee

The config file (strict JSON; paths are relative to the config file)::

    {
      "rpc_url": "http://127.0.0.1:8545",            // required
      "network": "consortium",                        // name recorded in the manifest (default "local")
      "manifest": "deployments/consortium.json",      // written if absent, reused if present (required)
      "confirmations": 1,                             // optional, default 1
      "committee": {
        "keystores": ["keys/c1.json", "keys/c2.json"],// committee members whose keys are at hand: keystore
                                                      // files, or keys in an HSM ("pkcs11:token=…;object=…")
        "members": ["0x…"],                           // optional: further members (keys held elsewhere)
        "threshold": 2,                               // votes needed; ≤ the number of keystores given
        "deployer": "keys/c1.json"                    // optional, default the first keystore
      },
      "organisations": [
        {"name": "WeBank", "country": "CN", "kind": "bank",
         "roles": ["publisher"], "accounts": ["0x…"],
         "accreditation_body": "", "accreditation_number": "",   // optional, for verifiers
         "uri": "", "documents_sha256": "…64 hex…"}               // optional
      ]
    }

What it does:

1. validates the whole config (unknown fields, bad addresses, roles, digests, duplicate names are
   errors naming the field; exit 2) before any key is decrypted or the chain is contacted;
2. deploys governance (committee = the keystores' addresses, then `members`, with `threshold`) and the
   registry, and writes the manifest — unless the manifest already exists, in which case it is opened
   and checked against the chain (chain id, code at both addresses);
3. admits every organisation not yet admitted under that name: a proposal by one committee keystore,
   votes by as many more as the on-chain threshold needs, and execution.

Re-running is safe: organisations already admitted (by exact name) are reported as skipped and nothing
is sent for them, so after a crash simply run it again. All keystores share one password, from
``--password-file``, else ``$ATTEST_PASSWORD``, else a prompt; keys in an HSM are found through
``--pkcs11-module`` (else ``$ATTEST_PKCS11_MODULE``) and share one PIN per token, from ``--pin-file``,
else ``$ATTEST_PKCS11_PIN``, else a prompt. Exit codes are attest's: 0 done,
2 bad input, 3 chain or keystore error (reverts named, e.g. NotCommitteeMember), 4 internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attest.chain.committee import Committee
from attest.chain.deployment import Deployment
from attest.chain.keystore import keystore_address, load_keystore, password_source, read_password
from attest.chain.pkcs11 import open_signer, parse_uri, read_pin
from attest.chain.signer import Signer
from attest.cli.exits import exit_codes_epilog, one_line_errors
from attest.core import governance
from attest.core.errors import InputError
from attest.core.manifest import write_atomic
from attest.core.names import normalise_name
from attest.core.records import OrganisationInfo
from attest.core.strictjson import load_strict_file

TOP_FIELDS = {"rpc_url", "network", "manifest", "confirmations", "committee", "organisations"}
COMMITTEE_FIELDS = {"keystores", "members", "threshold", "deployer"}
ORG_FIELDS = {
    "name",
    "country",
    "kind",
    "roles",
    "accounts",
    "accreditation_body",
    "accreditation_number",
    "uri",
    "documents_sha256",
}


@dataclass(frozen=True)
class Member:
    """An organisation to admit: its facts, role mask and signing accounts (already checked)."""

    info: OrganisationInfo
    roles: int
    accounts: list[str]


Key = Path | str  # a keystore file, or a PKCS#11 URI ("pkcs11:…") naming a key in an HSM


@dataclass(frozen=True)
class Config:
    rpc_url: str
    network: str
    manifest: Path
    confirmations: int
    keystores: list[Key]
    extra_members: list[str]
    threshold: int
    deployer: Key
    organisations: list[Member]


def load_config(path: Path) -> Config:
    """Read and check the whole config; every problem is an InputError naming the file and field."""
    raw = load_strict_file(path)
    base = path.parent

    def fail(message: str, where: str) -> InputError:
        return InputError(message, path=path, field=where)

    def obj(value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise fail("must be an object", where)
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise fail(f"unknown field {unknown[0]!r}", f"{where}.{unknown[0]}" if where else unknown[0])
        return value

    def text(value: Any, where: str, *, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise fail("must be a non-empty string" if required else "must be a string", where)
        return value

    def strings(value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("must be a list of strings", where)
        return list(value)

    top = obj(raw, "", TOP_FIELDS)
    for required in ("rpc_url", "manifest", "committee"):
        if required not in top:
            raise fail("is required", required)
    committee = obj(top["committee"], "committee", COMMITTEE_FIELDS)

    def key(entry: str, where: str) -> Key:
        if not entry.lower().startswith("pkcs11:"):
            return base / entry
        try:
            parse_uri(entry)
        except InputError as exc:
            raise fail(exc.detail, where) from None
        return entry

    keystores = [
        key(k, f"committee.keystores[{i}]")
        for i, k in enumerate(strings(committee.get("keystores"), "committee.keystores"))
    ]
    if not keystores:
        raise fail("needs at least one committee keystore", "committee.keystores")
    extra = strings(committee.get("members", []), "committee.members")
    for i, member in enumerate(extra):
        try:
            governance.add_committee_member(member)
        except InputError as exc:
            raise fail(exc.detail, f"committee.members[{i}]") from None
    threshold = committee.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= len(keystores):
        raise fail(
            f"must be an integer from 1 to the number of keystores given ({len(keystores)})",
            "committee.threshold",
        )
    confirmations = top.get("confirmations", 1)
    if isinstance(confirmations, bool) or not isinstance(confirmations, int) or confirmations < 1:
        raise fail("must be an integer ≥ 1", "confirmations")
    deployer_name = text(committee.get("deployer"), "committee.deployer", required=False)
    deployer = key(deployer_name, "committee.deployer") if deployer_name else keystores[0]

    members: list[Member] = []
    orgs = top.get("organisations", [])
    if not isinstance(orgs, list):
        raise fail("must be a list", "organisations")
    names: set[str] = set()
    for i, entry in enumerate(orgs):
        where = f"organisations[{i}]"
        o = obj(entry, where, ORG_FIELDS)
        info = OrganisationInfo(
            name=text(o.get("name"), f"{where}.name"),
            country=text(o.get("country"), f"{where}.country", required=False),
            kind=text(o.get("kind"), f"{where}.kind", required=False),
            accreditation_body=text(
                o.get("accreditation_body"), f"{where}.accreditation_body", required=False
            ),
            accreditation_number=text(
                o.get("accreditation_number"), f"{where}.accreditation_number", required=False
            ),
            uri=text(o.get("uri"), f"{where}.uri", required=False),
            documents_digest=(
                text(o.get("documents_sha256"), f"{where}.documents_sha256", required=False) or "00" * 32
            )
            .removeprefix("0x")
            .lower(),
        )
        if normalise_name(info.name) in names:  # names are unique once normalised, as on-chain
            raise fail(f"{info.name!r} is listed twice", f"{where}.name")
        names.add(normalise_name(info.name))
        roles = strings(o.get("roles"), f"{where}.roles")
        accounts = strings(o.get("accounts", []), f"{where}.accounts")
        try:
            args = governance.admit_organisation(info, roles, accounts).args  # the CLI's own checks
        except InputError as exc:
            field = {"documents_digest": "documents_sha256", None: "roles"}.get(exc.field, exc.field)
            raise fail(exc.detail, f"{where}.{field}") from None
        members.append(Member(info, governance.role_mask(args["roles"]), list(args["accounts"])))
    return Config(
        rpc_url=text(top["rpc_url"], "rpc_url"),
        network=text(top.get("network", "local"), "network"),
        manifest=base / text(top["manifest"], "manifest"),
        confirmations=confirmations,
        keystores=keystores,
        extra_members=extra,
        threshold=threshold,
        deployer=deployer,
        organisations=members,
    )


class Keys:
    """Opens the committee's keys: keystores with the one password, HSM keys with one PIN per token."""

    def __init__(
        self,
        password: str | None,
        *,
        pkcs11_module: str | None,
        pin_file: str | None,
        password_from: str | None = None,
    ) -> None:
        self.password = password
        self.password_from = password_from  # where the password came from, for a wrong one's message
        self.module = pkcs11_module
        self.pin_file = pin_file
        self.pins: dict[str, str] = {}

    def open(self, key: Key) -> Signer:
        if isinstance(key, Path):
            assert self.password is not None
            return load_keystore(key, self.password, source=self.password_from)
        return open_signer(key, module=self.module, pin=self.pin)

    def pin(self, token: str) -> str:
        if token not in self.pins:
            self.pins[token] = read_pin(token, pin_file=self.pin_file, prompt=sys.stdin.isatty())
        return self.pins[token]


def bootstrap(config: Config, keys: Keys) -> dict[str, Any]:
    """Deploy or open, then admit what is missing; return what was done (for --json and tests)."""
    from attest.chain.connection import Chain

    committee_keys = [keys.open(k) for k in config.keystores]  # wrong password or PIN: fail early
    report: dict[str, Any] = {
        "manifest": str(config.manifest),
        "deployed": False,
        "admitted": [],
        "skipped": [],
    }
    if config.manifest.exists():
        dep = Deployment.open(config.manifest, rpc_url=config.rpc_url, confirmations=config.confirmations)
    else:
        deployer = keys.open(config.deployer)
        chain = Chain.connect(config.rpc_url, confirmations=config.confirmations)
        committee = [k.address for k in committee_keys] + [
            m for m in config.extra_members if m.lower() not in {k.address.lower() for k in committee_keys}
        ]
        dep = Deployment.deploy(
            chain,
            deployer,
            committee=committee,
            threshold=config.threshold,
            network=config.network,
            rpc_url=config.rpc_url,
        )
        config.manifest.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(config.manifest, dep.manifest.dump())
        report["deployed"] = True
    report.update(chain_id=dep.manifest.chain_id, governance=dep.manifest.governance.address)

    gov = dep.governance.functions
    voters = [k for k in committee_keys if gov.isCommittee(k.address).call()]
    threshold = int(gov.threshold().call())
    existing = {normalise_name(o.info.name): o for o in dep.organisations()}
    for member in config.organisations:
        name = member.info.name
        held = existing.get(normalise_name(name))
        if held is not None and held.active:
            report["skipped"].append({"name": name, "org_id": held.org_id})
            continue
        if held is not None:  # the contract would refuse it (DuplicateName) after the votes
            raise InputError(
                f"{name!r} is the name of removed organisation #{held.org_id}, which keeps it",
                field="organisations.name",
            )
        if len(voters) < threshold:
            raise InputError(
                f"the threshold is {threshold} but only {len(voters)} of these keys are on the committee",
                field="committee.keystores",
            )
        org_id = Committee(dep).admit(voters[:threshold], member.info, member.roles, member.accounts)
        existing[normalise_name(name)] = dep.organisation(org_id)
        report["admitted"].append({"name": name, "org_id": org_id})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bootstrap_consortium.py",
        description="Deploy a consortium (or reuse its manifest); admit its first members by committee vote.",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", help="Consortium config (JSON; shape in this script's docstring).")
    parser.add_argument(
        "--password-file", default=None, help="Keystore password file (else $ATTEST_PASSWORD)."
    )
    parser.add_argument(
        "--pkcs11-module", default=None, help="The HSM's PKCS#11 library (else $ATTEST_PKCS11_MODULE)."
    )
    parser.add_argument(
        "--pin-file", default=None, help="The tokens' user PIN file (else $ATTEST_PKCS11_PIN)."
    )
    parser.add_argument("--json", action="store_true", help="Print what was done as JSON.")
    args = parser.parse_args(argv)
    with one_line_errors():
        config = load_config(Path(args.config))
        files = [k for k in [*config.keystores, config.deployer] if isinstance(k, Path)]
        for k in files:
            keystore_address(k)  # unreadable keystore: fail before asking for a password
        password = (
            read_password(password_file=args.password_file, prompt=sys.stdin.isatty()) if files else None
        )
        keys = Keys(
            password,
            pkcs11_module=args.pkcs11_module,
            pin_file=args.pin_file,
            password_from=password_source(args.password_file),
        )
        report = bootstrap(config, keys)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        verb = "deployed" if report["deployed"] else "using"
        print(f"{verb} {report['manifest']} (chain {report['chain_id']})")
        for row in report["admitted"]:
            print(f"admitted {row['name']} as organisation #{row['org_id']}")
        for row in report["skipped"]:
            print(f"skipped {row['name']}: already organisation #{row['org_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
