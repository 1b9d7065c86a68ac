"""The committed contract artifacts, and decoding of the custom errors they revert with.

Publishing and verifying read these files; they never compile. `attest.chain.compiler` writes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "artifacts"
GOVERNANCE = "ConsortiumGovernance"
REGISTRY = "AttestationRegistry"


class Kind(IntEnum):
    """AttestationRegistry.Kind: what an anchored digest is."""

    FIGURES = 1
    STATEMENT = 2
    FILE = 3
    BATCH = 4
    DISCLOSURE = 5  # a figures attestation's salted private-data root, bound to it on-chain

    @property
    def label(self) -> str:
        return self.name.lower()


class Role(IntEnum):
    """Roles.sol bits."""

    PUBLISHER = 1
    VERIFIER = 2


class Action(IntEnum):
    """ConsortiumGovernance.Action."""

    ADD_COMMITTEE_MEMBER = 0
    REMOVE_COMMITTEE_MEMBER = 1
    CHANGE_THRESHOLD = 2
    ADMIT_ORGANISATION = 3
    REMOVE_ORGANISATION = 4
    GRANT_ROLES = 5
    REVOKE_ROLES = 6
    ADD_ACCOUNT = 7
    REMOVE_ACCOUNT = 8
    FREEZE_ACCOUNT = 9
    UNFREEZE_ACCOUNT = 10
    REVOKE_ATTESTATION = 11
    CANCEL_PROPOSAL = 12


class ProposalState(IntEnum):
    """ConsortiumGovernance.ProposalState: what `state(proposalId)` returns (defined in the contract)."""

    OPEN = 0
    READY = 1
    EXPIRED = 2
    EXECUTED = 3
    CANCELLED = 4
    VOID = 5  # the committee or threshold changed since it was made


# solc's Panic(uint256) codes that our contracts can raise (checked arithmetic, enums, memory).
PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "value out of range for an enum",
    0x22: "corrupt storage byte array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
}


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    immutable_references: dict[str, list[dict[str, int]]]
    compiler: dict[str, Any]
    sha256: str
    storage_layout: dict[str, Any]  # the compiler's `storageLayout`: read by attest.core.storage
    immutable_names: dict[str, str]  # AST id of each immutable reference -> `Contract.variable`


@cache
def load_artifact(name: str) -> Artifact:
    """Load `<name>.json` from the package's committed artifacts."""
    data = (ARTIFACTS_DIR / f"{name}.json").read_bytes()
    raw = json.loads(data)
    return Artifact(
        name=name,
        abi=raw["abi"],
        bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"],
        immutable_references=raw["immutableReferences"],
        compiler=raw["compiler"],
        sha256=hashlib.sha256(data).hexdigest(),
        storage_layout=raw["storageLayout"],
        immutable_names=raw["immutableNames"],
    )


@cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    from eth_utils import keccak

    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for name in (GOVERNANCE, REGISTRY):
        for item in load_artifact(name).abi:
            if item["type"] != "error":
                continue
            types = [_abi_type(i) for i in item["inputs"]]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            table[selector] = (item["name"], types, [i["name"] for i in item["inputs"]])
    return table


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])


def decode_error(data: bytes) -> tuple[str, str]:
    """Decode revert data into (error name, text), e.g. ("MissingRole", "MissingRole(account=0x…, …)")."""
    from eth_abi import decode

    if len(data) < 4:
        return ("Reverted", "reverted without a reason")
    selector, payload = data[:4], data[4:]
    if selector == bytes.fromhex("08c379a0"):
        (reason,) = decode(["string"], payload)
        return ("Error", str(reason))
    if selector == bytes.fromhex("4e487b71") and len(payload) == 32:
        code = int.from_bytes(payload, "big")
        return ("Panic", f"Panic(0x{code:02x}: {PANIC_CODES.get(code, 'compiler-inserted check failed')})")
    known = _error_table().get(selector)
    if known is None:
        return ("Unknown", f"reverted with unknown error 0x{data.hex()}")
    name, types, names = known
    try:
        values = decode(types, payload)
    except Exception:  # noqa: BLE001 - malformed payload: still name the error
        return (name, name)
    args = ", ".join(f"{n}={_show(v)}" for n, v in zip(names, values, strict=True))
    return (name, f"{name}({args})")


def _show(value: Any) -> str:
    from eth_utils import is_hex_address, to_checksum_address

    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and is_hex_address(value):
        return str(to_checksum_address(value))
    return str(value)


@dataclass(frozen=True)
class Topics:
    """topic0 of each registry event (keccak of its signature, from the committed ABI)."""

    attested: bytes
    revoked: bytes
    superseded: bytes
    covered: bytes
    credit_claimed: bytes
    neutrality_claimed: bytes


@cache
def topics() -> Topics:
    from eth_utils import event_abi_to_log_topic

    by_name = {
        item["name"]: bytes(event_abi_to_log_topic(item))  # type: ignore[arg-type]
        for item in load_artifact(REGISTRY).abi
        if item["type"] == "event"
    }
    return Topics(
        by_name["Attested"],
        by_name["Revoked"],
        by_name["Superseded"],
        by_name["Covered"],
        by_name["CreditClaimed"],
        by_name["NeutralityClaimed"],
    )
