"""Who was authorised for what, at any point of the chain's history — replayed from governance events.

Governance storage only holds the present. Because every change is an event, replaying the events up
to a position answers "was account A authorised for role R when it attested?", which is what an
auditor needs: an attestation made while authorised stays valid after a later removal, and one made by
an account that was not authorised at that moment is flagged even if it is authorised today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Position = tuple[int, int]  # (block number, log index)


@dataclass(frozen=True)
class GovernanceEvent:
    block_number: int
    log_index: int
    name: str
    args: dict[str, Any]

    @property
    def position(self) -> Position:
        return (self.block_number, self.log_index)


@dataclass(frozen=True)
class Standing:
    """An account's standing at one position in history."""

    account: str
    org_id: int
    org_name: str
    org_active: bool
    roles: int
    frozen: bool
    removed_from: int = 0  # the organisation the account was last removed from, if it now has none

    def holds(self, role: int) -> bool:
        return self.org_id != 0 and self.org_active and not self.frozen and bool(self.roles & role)

    def describe(self, role_name: str, role: int) -> str:
        if self.org_id == 0 and self.removed_from:
            return f"account {self.account} had been removed from organisation #{self.removed_from}"
        if self.org_id == 0:
            return f"account {self.account} belonged to no admitted organisation"
        if not self.org_active:
            return f"organisation #{self.org_id} {self.org_name} had been removed"
        if self.frozen:
            return f"account {self.account} was frozen"
        if not self.roles & role:
            return f"organisation #{self.org_id} {self.org_name} did not hold the {role_name} role"
        return f"organisation #{self.org_id} {self.org_name} held the {role_name} role"


@dataclass
class _Org:
    name: str
    roles: int
    active: bool = True


@dataclass
class MembershipHistory:
    """The governance log, ordered; query it at any position."""

    events: list[GovernanceEvent] = field(default_factory=list)

    @classmethod
    def from_events(cls, events: Iterable[GovernanceEvent]) -> MembershipHistory:
        return cls(sorted(events, key=lambda e: e.position))

    def standing(self, account: str, at: Position) -> Standing:
        """The account's standing just before position `at` (events at `at` and later are ignored)."""
        orgs: dict[int, _Org] = {}
        account_org = removed_from = 0
        frozen = False
        key = account.lower()
        for event in self.events:
            if event.position >= at:
                break
            a = event.args
            if event.name == "OrganisationAdmitted":
                orgs[a["orgId"]] = _Org(name=a["info"]["name"], roles=a["roles"])
            elif event.name == "OrganisationRemoved":
                orgs[a["orgId"]].active = False
            elif event.name in ("RolesGranted", "RolesRevoked"):
                orgs[a["orgId"]].roles = a["roles"]
            elif event.name == "AccountAdded" and a["account"].lower() == key:
                account_org, frozen, removed_from = a["orgId"], False, 0
            elif event.name == "AccountRemoved" and a["account"].lower() == key:
                account_org, frozen, removed_from = 0, False, a["orgId"]
            elif event.name == "AccountFrozen" and a["account"].lower() == key:
                frozen = True
            elif event.name == "AccountUnfrozen" and a["account"].lower() == key:
                frozen = False
        org = orgs.get(account_org)
        if org is None:
            return Standing(account, 0, "", False, 0, False, removed_from)
        return Standing(account, account_org, org.name, org.active, org.roles, frozen)

    def organisation_names(self) -> dict[int, str]:
        return {
            e.args["orgId"]: e.args["info"]["name"] for e in self.events if e.name == "OrganisationAdmitted"
        }
