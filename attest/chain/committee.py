"""The consortium committee's writes to the governance contract: proposals, votes, execution.

The governance write path, apart from `attest.chain.deployment.Deployment` (which deploys and
reads): a member proposes an action (the proposer's vote counts), others vote, one executes once the
threshold is reached, and a proposer may withdraw a live proposal. `Committee.enact` does all three
for scripts that hold enough committee keys; admitting an organisation is one proposal enacted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attest.core.contracts import Action

if TYPE_CHECKING:
    from attest.chain.connection import SentTransaction
    from attest.chain.deployment import Deployment
    from attest.chain.signer import Signer
    from attest.core.records import OrganisationInfo

DEFAULT_PROPOSAL_LIFETIME = 7 * 24 * 3600


class Committee:
    """The committee's writes to one deployment's governance contract."""

    def __init__(self, deployment: Deployment) -> None:
        self.dep = deployment

    def propose(
        self, member: Signer, action: Action, data: bytes, *, lifetime: int = DEFAULT_PROPOSAL_LIFETIME
    ) -> int:
        """Propose a governance action (the proposer's vote counts); return the proposal id.

        `lifetime` (seconds from the latest block) is checked first: at most 30 days, as the contract
        demands; the transaction lands in a later block, so the contract's own bound is met too.
        """
        from web3.logs import DISCARD

        from attest.core.governance import check_lifetime

        expires = self.dep.chain.timestamp("latest") + check_lifetime(lifetime)
        sent = self.dep.transact(member, self.dep.governance.functions.propose(int(action), data, expires))
        (event,) = self.dep.governance.events.ProposalCreated().process_receipt(sent.receipt, errors=DISCARD)
        return int(event["args"]["proposalId"])

    def vote(self, member: Signer, proposal_id: int) -> SentTransaction:
        """Vote for a proposal (one vote per committee member)."""
        return self.dep.transact(member, self.dep.governance.functions.vote(proposal_id))

    def execute(self, member: Signer, proposal_id: int) -> SentTransaction:
        """Execute a proposal once it holds enough votes of current committee members."""
        return self.dep.transact(member, self.dep.governance.functions.execute(proposal_id))

    def cancel(self, member: Signer, proposal_id: int) -> SentTransaction:
        """Withdraw a live proposal `member` made (others need a committee vote: CANCEL_PROPOSAL)."""
        return self.dep.transact(member, self.dep.governance.functions.cancel(proposal_id))

    def enact(self, members: Sequence[Signer], action: Action, data: bytes) -> SentTransaction:
        """Propose, collect the votes of `members`, execute: for scripts that hold enough committee keys."""
        proposal_id = self.propose(members[0], action, data)
        for member in members[1:]:
            self.vote(member, proposal_id)
        return self.execute(members[0], proposal_id)

    def admit(
        self, members: Sequence[Signer], info: OrganisationInfo, roles: int, accounts: Sequence[str]
    ) -> int:
        """Admit an organisation by committee vote; return its id."""
        from attest.core.governance import admit_organisation

        sent = self.enact(members, Action.ADMIT_ORGANISATION, admit_organisation(info, roles, accounts).data)
        from web3.logs import DISCARD

        (event,) = self.dep.governance.events.OrganisationAdmitted().process_receipt(
            sent.receipt, errors=DISCARD
        )
        return int(event["args"]["orgId"])
