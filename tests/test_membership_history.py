"""Replaying governance events answers "was this account authorised at that point?"."""

from __future__ import annotations

from attest.core.contracts import Role
from attest.core.membership_history import GovernanceEvent, MembershipHistory

A = "0x" + "aa" * 20


def ev(block: int, name: str, **args: object) -> GovernanceEvent:
    return GovernanceEvent(block, 0, name, dict(args))


HISTORY = MembershipHistory.from_events(
    [
        ev(7, "AccountFrozen", account=A),
        ev(2, "OrganisationAdmitted", orgId=1, roles=Role.PUBLISHER, info={"name": "WeBank"}),
        ev(3, "AccountAdded", orgId=1, account=A),
        ev(5, "RolesGranted", orgId=1, granted=Role.VERIFIER, roles=Role.PUBLISHER | Role.VERIFIER),
        ev(6, "RolesRevoked", orgId=1, revoked=Role.PUBLISHER, roles=Role.VERIFIER),
        ev(8, "AccountUnfrozen", account=A),
        ev(9, "OrganisationRemoved", orgId=1),
    ]
)


def holds(block: int, role: Role) -> bool:
    return HISTORY.standing(A, (block, 0)).holds(role)


def test_not_authorised_before_the_account_was_added() -> None:
    assert not holds(3, Role.PUBLISHER)  # the event at block 3 itself is not yet in force
    assert holds(4, Role.PUBLISHER)


def test_roles_follow_grants_and_revocations() -> None:
    assert not holds(5, Role.VERIFIER)
    assert holds(6, Role.VERIFIER) and holds(6, Role.PUBLISHER)
    assert not holds(7, Role.PUBLISHER) and holds(7, Role.VERIFIER)


def test_frozen_interval_and_removal() -> None:
    assert not holds(8, Role.VERIFIER)
    assert holds(9, Role.VERIFIER)
    assert not holds(10, Role.VERIFIER)
    assert "removed" in HISTORY.standing(A, (10, 0)).describe("VERIFIER", Role.VERIFIER)


def test_unknown_account_belongs_to_no_organisation() -> None:
    s = HISTORY.standing("0x" + "bb" * 20, (100, 0))
    assert s.org_id == 0 and not s.holds(Role.PUBLISHER)
    assert HISTORY.organisation_names() == {1: "WeBank"}


def test_account_matching_is_case_insensitive() -> None:
    assert HISTORY.standing(A.upper().replace("0X", "0x"), (4, 0)).holds(Role.PUBLISHER)


def test_a_removed_account_is_described_as_removed_not_unknown() -> None:
    history = MembershipHistory.from_events(
        [
            ev(2, "OrganisationAdmitted", orgId=1, roles=Role.PUBLISHER, info={"name": "WeBank"}),
            ev(3, "AccountAdded", orgId=1, account=A),
            ev(5, "AccountRemoved", orgId=1, account=A),
        ]
    )
    assert "removed from organisation #1" in history.standing(A, (6, 0)).describe("PUBLISHER", Role.PUBLISHER)
