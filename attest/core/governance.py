"""Governance proposals in plain terms: typed encoders for every action, and the way back.

A proposal stores only an action number and ABI-encoded bytes. A committee member asked to vote on
proposal #7 must be able to read what #7 does before signing, so every encoder here has a decoder
that turns the stored bytes back into named arguments and one readable sentence. The command line,
the bootstrap script and the tests all build proposals through these functions, so the encoding of
each action lives in exactly one place (the layout documented in ConsortiumGovernance.Action). An
admission carries its name's normalised key (`attest.core.names.name_key`), computed only here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from attest.core.contracts import Action, ProposalState, Role
from attest.core.errors import InputError
from attest.core.names import name_key, normalise_name

if TYPE_CHECKING:
    from attest.core.membership_history import MembershipHistory
    from attest.core.records import OrganisationInfo

ORG_INFO_TYPE = "(string,string,string,string,string,string,bytes32)"
ORG_INFO_FIELDS = (
    "name",
    "country",
    "kind",
    "accreditation_body",
    "accreditation_number",
    "uri",
    "documents_digest",
)

# The ABI layout of each action's data, with the argument names used in decoded output.
LAYOUT: dict[Action, tuple[tuple[str, str], ...]] = {
    Action.ADD_COMMITTEE_MEMBER: (("member", "address"),),
    Action.REMOVE_COMMITTEE_MEMBER: (("member", "address"),),
    Action.CHANGE_THRESHOLD: (("threshold", "uint32"),),
    Action.ADMIT_ORGANISATION: (
        ("info", ORG_INFO_TYPE),
        ("roles", "uint8"),
        ("accounts", "address[]"),
        ("name_key", "bytes32"),
    ),
    Action.REMOVE_ORGANISATION: (("org_id", "uint32"),),
    Action.GRANT_ROLES: (("org_id", "uint32"), ("roles", "uint8")),
    Action.REVOKE_ROLES: (("org_id", "uint32"), ("roles", "uint8")),
    Action.ADD_ACCOUNT: (("org_id", "uint32"), ("account", "address")),
    Action.REMOVE_ACCOUNT: (("account", "address"),),
    Action.FREEZE_ACCOUNT: (("account", "address"),),
    Action.UNFREEZE_ACCOUNT: (("account", "address"),),
    Action.REVOKE_ATTESTATION: (("registry", "address"), ("uid", "bytes32"), ("reason", "string")),
    Action.CANCEL_PROPOSAL: (("proposal_id", "uint256"),),
}

# Command-line names of the actions (kebab case, short where the contract name is long).
ACTION_NAMES: dict[Action, str] = {
    Action.ADD_COMMITTEE_MEMBER: "add-committee-member",
    Action.REMOVE_COMMITTEE_MEMBER: "remove-committee-member",
    Action.CHANGE_THRESHOLD: "change-threshold",
    Action.ADMIT_ORGANISATION: "admit",
    Action.REMOVE_ORGANISATION: "remove-organisation",
    Action.GRANT_ROLES: "grant-roles",
    Action.REVOKE_ROLES: "revoke-roles",
    Action.ADD_ACCOUNT: "add-account",
    Action.REMOVE_ACCOUNT: "remove-account",
    Action.FREEZE_ACCOUNT: "freeze",
    Action.UNFREEZE_ACCOUNT: "unfreeze",
    Action.REVOKE_ATTESTATION: "revoke-attestation",
    Action.CANCEL_PROPOSAL: "cancel",
}

# ConsortiumGovernance.MAX_PROPOSAL_LIFETIME: the contract refuses a later expiry (ExpiryTooFar).
MAX_PROPOSAL_LIFETIME = 30 * 24 * 3600

# A proposal's status as the CLI shows it: the contract's ProposalState in lower case. "ready" is an open
# proposal that holds enough votes to execute, so it still counts as open (see `status_matches`); "void"
# is one made before the committee or its threshold last changed, whose votes no longer count.
Status = Literal["open", "ready", "expired", "executed", "cancelled", "void"]
STATUS_NAMES: dict[ProposalState, Status] = {
    ProposalState.OPEN: "open",
    ProposalState.READY: "ready",
    ProposalState.EXPIRED: "expired",
    ProposalState.EXECUTED: "executed",
    ProposalState.CANCELLED: "cancelled",
    ProposalState.VOID: "void",
}


def status_matches(status: Status, wanted: Status) -> bool:
    """Whether a proposal of `status` is listed under `wanted`: "open" takes in "ready" (both take votes)."""
    return status == wanted or (wanted == "open" and status == "ready")


@dataclass(frozen=True)
class Call:
    """One governance action with its encoded data: what `Committee.propose` sends."""

    action: Action
    data: bytes

    @property
    def args(self) -> dict[str, Any]:
        return decode(self.action, self.data)

    def describe(self, org_names: Mapping[int, str] | None = None) -> str:
        return describe(self.action, self.data, org_names)


# ------------------------------------------------------------------------------------------ encoders


def _encode(action: Action, *values: Any) -> Call:
    from eth_abi import encode

    return Call(action, encode([t for _, t in LAYOUT[action]], list(values)))


def _address(value: str, what: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not isinstance(value, str) or not is_address(value):
        raise InputError(f"{value!r} is not an account address (0x + 40 hex digits)", field=what)
    return str(to_checksum_address(value))


def _uint32(value: int, what: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < 2**32:
        raise InputError(f"{value!r} is not an integer between {minimum} and {2**32 - 1}", field=what)
    return value


def check_lifetime(seconds: int, what: str = "lifetime") -> int:
    """A proposal lifetime the contract accepts: 1 second to 30 days (MAX_PROPOSAL_LIFETIME)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_PROPOSAL_LIFETIME:
        raise InputError(
            f"{seconds!r} s is not a proposal lifetime: between 1 and {MAX_PROPOSAL_LIFETIME} s (30 days)",
            field=what,
        )
    return seconds


def role_mask(roles: Sequence[str] | int) -> int:
    """A role bit mask from role names ("publisher", "verifier") or a mask; never 0 or unknown bits."""
    if isinstance(roles, int):
        mask = roles
    else:
        mask = 0
        for name in roles:
            try:
                mask |= int(Role[name.upper()])
            except KeyError:
                choices = ", ".join(r.name.lower() for r in Role)
                raise InputError(f"unknown role {name!r} (one of: {choices})", field="roles") from None
    if mask <= 0 or mask & ~sum(int(r) for r in Role):
        raise InputError(f"{mask} is not a role mask of PUBLISHER (1) and/or VERIFIER (2)", field="roles")
    return mask


def role_names(mask: int) -> list[str]:
    return [r.name.lower() for r in Role if mask & r]


def add_committee_member(member: str) -> Call:
    return _encode(Action.ADD_COMMITTEE_MEMBER, _address(member, "member"))


def remove_committee_member(member: str) -> Call:
    return _encode(Action.REMOVE_COMMITTEE_MEMBER, _address(member, "member"))


def change_threshold(threshold: int) -> Call:
    return _encode(Action.CHANGE_THRESHOLD, _uint32(threshold, "threshold", minimum=1))


def admit_organisation(info: OrganisationInfo, roles: Sequence[str] | int, accounts: Sequence[str]) -> Call:
    """The admission, with the name key the contract keeps unique (the one place it is computed)."""
    if not normalise_name(info.name):
        raise InputError(
            "an organisation needs a name (not only spaces or invisible characters)", field="name"
        )
    digest = info.documents_digest.removeprefix("0x")
    if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise InputError("not a sha256 (64 hex digits)", field="documents_digest")
    checked = [_address(a, "accounts") for a in accounts]
    if len({a.lower() for a in checked}) != len(checked):
        raise InputError("an account is listed twice", field="accounts")
    return _encode(Action.ADMIT_ORGANISATION, info.as_tuple(), role_mask(roles), checked, name_key(info.name))


def remove_organisation(org_id: int) -> Call:
    return _encode(Action.REMOVE_ORGANISATION, _uint32(org_id, "org_id", minimum=1))


def grant_roles(org_id: int, roles: Sequence[str] | int) -> Call:
    return _encode(Action.GRANT_ROLES, _uint32(org_id, "org_id", minimum=1), role_mask(roles))


def revoke_roles(org_id: int, roles: Sequence[str] | int) -> Call:
    return _encode(Action.REVOKE_ROLES, _uint32(org_id, "org_id", minimum=1), role_mask(roles))


def add_account(org_id: int, account: str) -> Call:
    return _encode(Action.ADD_ACCOUNT, _uint32(org_id, "org_id", minimum=1), _address(account, "account"))


def remove_account(account: str) -> Call:
    return _encode(Action.REMOVE_ACCOUNT, _address(account, "account"))


def freeze_account(account: str) -> Call:
    return _encode(Action.FREEZE_ACCOUNT, _address(account, "account"))


def unfreeze_account(account: str) -> Call:
    return _encode(Action.UNFREEZE_ACCOUNT, _address(account, "account"))


def cancel_proposal(proposal_id: int) -> Call:
    """A committee vote to withdraw another proposal (its proposer can `cancel` it alone)."""
    if isinstance(proposal_id, bool) or not isinstance(proposal_id, int) or not 1 <= proposal_id < 2**256:
        raise InputError(f"{proposal_id!r} is not a proposal id (1 or more)", field="proposal_id")
    return _encode(Action.CANCEL_PROPOSAL, proposal_id)


def revoke_attestation(registry: str, uid: str, reason: str) -> Call:
    raw = uid.removeprefix("0x")
    if len(raw) != 64 or any(c not in "0123456789abcdefABCDEF" for c in raw):
        raise InputError(f"{uid!r} is not an attestation uid (0x + 64 hex digits)", field="uid")
    if not reason.strip():
        raise InputError("a revocation needs a reason", field="reason")
    return _encode(Action.REVOKE_ATTESTATION, _address(registry, "registry"), bytes.fromhex(raw), reason)


# ------------------------------------------------------------------------------------------ decoders


def decode(action: Action, data: bytes) -> dict[str, Any]:
    """A stored proposal's data as named, JSON-ready arguments (addresses checksummed, bytes as 0x hex)."""
    from eth_abi import decode as abi_decode
    from eth_utils import to_checksum_address

    layout = LAYOUT[Action(action)]
    try:
        values = abi_decode([t for _, t in layout], data)
    except Exception:  # noqa: BLE001 - malformed data is shown, never fatal: the proposal exists on-chain
        return {"undecodable": "0x" + data.hex()}
    out: dict[str, Any] = {}
    for (name, typ), value in zip(layout, values, strict=True):
        if typ == ORG_INFO_TYPE:
            info = dict(zip(ORG_INFO_FIELDS, value, strict=True))
            info["documents_digest"] = info["documents_digest"].hex()
            out[name] = info
        elif typ == "address":
            out[name] = str(to_checksum_address(value))
        elif typ == "address[]":
            out[name] = [str(to_checksum_address(v)) for v in value]
        elif typ == "bytes32":
            out[name] = "0x" + value.hex()
        elif name == "roles":
            out[name] = role_names(int(value))
        else:
            out[name] = value
    return out


def describe(action: Action, data: bytes, org_names: Mapping[int, str] | None = None) -> str:
    """One sentence a committee member can read before voting."""
    args = decode(action, data)
    if "undecodable" in args:
        return f"{ACTION_NAMES[Action(action)]} with undecodable data {args['undecodable']}"
    names = org_names or {}

    def org(org_id: int) -> str:
        return f"organisation #{org_id} {names[org_id]}" if org_id in names else f"organisation #{org_id}"

    def roles() -> str:
        return " and ".join(r.upper() for r in args["roles"]) or "no role"

    a = Action(action)
    if a is Action.ADD_COMMITTEE_MEMBER:
        return f"add {args['member']} to the committee"
    if a is Action.REMOVE_COMMITTEE_MEMBER:
        return f"remove {args['member']} from the committee"
    if a is Action.CHANGE_THRESHOLD:
        return f"change the committee threshold to {args['threshold']}"
    if a is Action.ADMIT_ORGANISATION:
        info = args["info"]
        extra = ", ".join(
            f"{k.replace('_', ' ')} {info[k]}"
            for k in ("country", "kind", "accreditation_body", "accreditation_number", "uri")
            if info[k]
        )
        accounts = ", ".join(args["accounts"]) or "no account"
        sentence = f"admit {info['name']!r}{f' ({extra})' if extra else ''} as {roles()} with {accounts}"
        if args["name_key"] != "0x" + name_key(info["name"]).hex():  # the contract cannot check it
            sentence += f"; WARNING: its name key {args['name_key']} is not that of the name {info['name']!r}"
        return sentence
    if a is Action.REMOVE_ORGANISATION:
        return f"remove {org(args['org_id'])}"
    if a is Action.GRANT_ROLES:
        return f"grant {roles()} to {org(args['org_id'])}"
    if a is Action.REVOKE_ROLES:
        return f"revoke {roles()} from {org(args['org_id'])}"
    if a is Action.ADD_ACCOUNT:
        return f"add signing account {args['account']} to {org(args['org_id'])}"
    if a is Action.REMOVE_ACCOUNT:
        return f"remove signing account {args['account']}"
    if a is Action.FREEZE_ACCOUNT:
        return f"freeze account {args['account']}"
    if a is Action.UNFREEZE_ACCOUNT:
        return f"unfreeze account {args['account']}"
    if a is Action.CANCEL_PROPOSAL:
        return f"cancel proposal #{args['proposal_id']}"
    return f"revoke attestation {args['uid']} in registry {args['registry']}: {args['reason']!r}"


# ------------------------------------------------------------------------------------------ history


@dataclass(frozen=True)
class Change:
    """One governance event that touched an organisation, for `member show`."""

    block_number: int
    log_index: int
    event: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "block": self.block_number,
            "log_index": self.log_index,
            "event": self.event,
            "detail": self.detail,
        }


def organisation_history(history: MembershipHistory, org_id: int) -> list[Change]:
    """The organisation's changes in log order: admission, roles, accounts added/removed/frozen."""
    accounts: set[str] = set()
    out: list[Change] = []
    for e in history.events:
        a = e.args
        detail: str | None = None
        if e.name == "OrganisationAdmitted" and a["orgId"] == org_id:
            detail = f"admitted as {' and '.join(r.upper() for r in role_names(a['roles'])) or 'no role'}"
        elif e.name == "OrganisationRemoved" and a["orgId"] == org_id:
            detail = "removed"
        elif e.name == "RolesGranted" and a["orgId"] == org_id:
            now = "+".join(role_names(a["roles"]))
            detail = f"granted {'+'.join(role_names(a['granted']))}; roles now {now}"
        elif e.name == "RolesRevoked" and a["orgId"] == org_id:
            now = "+".join(role_names(a["roles"])) or "none"
            detail = f"revoked {'+'.join(role_names(a['revoked']))}; roles now {now}"
        elif e.name == "AccountAdded" and a["orgId"] == org_id:
            accounts.add(a["account"].lower())
            detail = f"account {a['account']} added"
        elif e.name == "AccountRemoved" and a["orgId"] == org_id:
            accounts.discard(a["account"].lower())
            detail = f"account {a['account']} removed"
        elif e.name in ("AccountFrozen", "AccountUnfrozen") and a["account"].lower() in accounts:
            detail = f"account {a['account']} {'frozen' if e.name == 'AccountFrozen' else 'unfrozen'}"
        if detail is not None:
            out.append(Change(e.block_number, e.log_index, e.name, detail))
    return out
