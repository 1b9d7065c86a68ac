"""Governance proposals as stored on-chain: read, decoded and described for a committee member."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attest.core.contracts import Action, ProposalState
from attest.core.governance import ACTION_NAMES, STATUS_NAMES, Status, decode, describe

if TYPE_CHECKING:
    from attest.chain.deployment import Deployment


@dataclass(frozen=True)
class ProposalView:
    """A stored proposal, decoded, with its votes and whether it can still run.

    `epoch` is the committee epoch it was made in; once the committee's members or threshold change
    (the epoch moves on) its status is "void", whatever its votes.
    """

    proposal_id: int
    action: Action
    args: dict[str, Any]
    description: str
    proposer: str
    voters: tuple[str, ...]
    votes: int
    threshold: int
    expires_at: int
    status: Status
    epoch: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.proposal_id,
            "action": ACTION_NAMES[self.action],
            "args": self.args,
            "description": self.description,
            "proposer": self.proposer,
            "voters": list(self.voters),
            "votes": self.votes,
            "threshold": self.threshold,
            "expires_at": self.expires_at,
            "status": self.status,
            "epoch": self.epoch,
        }


def proposal(
    dep: Deployment, proposal_id: int, *, org_names: Mapping[int, str] | None = None
) -> ProposalView:
    """One proposal as stored, with its state, all read at one block.

    The status is the contract's own `state(proposalId)`, so "ready" means exactly what `execute`
    checks. UnknownProposal reverts become TransactionReverted (exit 3).
    """
    gov = dep.governance
    at = dep.chain.head()
    raw = gov.call("proposal", proposal_id, block=at)
    if org_names is None:
        org_names = dep.membership_history().organisation_names()
    action, _executed, _cancelled, expires_at, epoch, proposer, data = raw
    committee = gov.call("committeeMembers", block=at)
    voters = tuple(m for m in committee if gov.call("hasVoted", proposal_id, m, block=at))
    status = STATUS_NAMES[ProposalState(int(gov.call("state", proposal_id, block=at)))]
    act = Action(int(action))
    return ProposalView(
        proposal_id=proposal_id,
        action=act,
        args=decode(act, bytes(data)),
        description=describe(act, bytes(data), org_names),
        proposer=str(proposer),
        voters=voters,
        votes=len(voters),
        threshold=int(gov.call("threshold", block=at)),
        expires_at=int(expires_at),
        status=status,
        epoch=int(epoch),
    )


def proposals(dep: Deployment) -> list[ProposalView]:
    """Every proposal ever made, oldest first, with organisation names filled in from the log."""
    count = int(dep.governance.call("proposalCount"))
    names = dep.membership_history().organisation_names() if count else {}
    return [proposal(dep, i, org_names=names) for i in range(1, count + 1)]


def proposal_id_of(receipt: Any, dep: Deployment) -> int:
    """The id in a `propose` receipt's ProposalCreated event."""
    from web3.logs import DISCARD

    (event,) = dep.governance.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    return int(event["args"]["proposalId"])
