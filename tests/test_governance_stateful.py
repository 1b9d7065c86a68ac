"""Governance as a state machine (Hypothesis): random proposals, votes, executions and attestations.

A Python model of the contracts' rules predicts, for every step, either the new state or the exact
custom error the chain must revert with. After every step the invariants are checked against the real
contracts on the embedded chain:
- the committee and threshold match the model, and committee size ≥ threshold ≥ 1; every proposal
  records the committee epoch the model is in when it is made;
- every proposal's on-chain `state` (open / ready / expired / executed / cancelled / void) is the
  model's: a proposal is void once a committee or threshold change moved the epoch past the one it
  was made in, so votes never outlive the committee that cast them;
- organisation names are unique by their normalised form (admitting "ORG 7" after "Org 7" reverts
  DuplicateName, whether the first was removed or not);
- every account's standing replayed from the event log (`MembershipHistory.standing` at the latest
  position) and its on-chain `accountStatus` match the model;
- every attestation that ever landed was made by an account the event log says was authorised for its
  kind at that moment (attempts by unauthorised or frozen accounts must revert, and do).
Each example starts from the same deployment, restored from an eth-tester snapshot, with the chain's
clock moved ahead of the wall clock so that block times follow only the example's own steps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_account import Account
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from attest.chain.committee import Committee
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core import governance
from attest.core.contracts import Action, Kind, ProposalState, Role
from attest.core.errors import TransactionReverted
from attest.core.governance import Call
from attest.core.names import normalise_name
from attest.core.records import OrganisationInfo

N_CANDIDATES = 5  # committee candidates; the first 3 form the initial committee
N_SIGNERS = 4  # signing accounts; at the start 0 and 2 (frozen) are the bank's, 1 the verifier's, 3 no one's
ORG_IDS = st.integers(min_value=1, max_value=5)
ROLES = st.sampled_from([1, 2, 3])


@dataclass
class World:
    chain: Chain
    dep: Deployment
    candidates: list[Any]
    signers: list[Any]

    @property
    def committee(self) -> Committee:
        """The committee's writes to this deployment's governance."""
        return Committee(self.dep)


@cache
def world() -> World:
    """One deployment for the module: committee of 3 (threshold 2), a bank (one key frozen), a verifier."""
    chain = Chain.embedded()
    candidates = [Account.create() for _ in range(N_CANDIDATES)]
    signers = [Account.create() for _ in range(N_SIGNERS)]
    for a in (*candidates, *signers):
        chain.fund(a.address)
    dep = Deployment.deploy(
        chain, candidates[0], committee=[a.address for a in candidates[:3]], threshold=2, network="embedded"
    )
    committee = Committee(dep)
    committee.admit(
        candidates[:2], OrganisationInfo("Bank"), Role.PUBLISHER, [signers[0].address, signers[2].address]
    )
    committee.admit(candidates[:2], OrganisationInfo("Verifier"), Role.VERIFIER, [signers[1].address])
    freeze = governance.freeze_account(signers[2].address)
    committee.enact(candidates[:2], freeze.action, freeze.data)
    return World(chain, dep, candidates, signers)


@dataclass
class Proposal:
    call: Call
    proposer: str
    votes: set[str]
    expires_at: int
    epoch: int
    executed: bool = False
    cancelled: bool = False


@dataclass
class Model:
    committee: set[str]
    threshold: int
    orgs: dict[int, list[Any]]  # org id -> [roles, active]
    accounts: dict[str, list[Any]]  # address -> [org id, frozen]
    epoch: int
    names: set[str]  # normalised names of every organisation ever admitted
    base: int  # proposals made before the example; the example's are base + 1, base + 2, …
    proposals: dict[int, Proposal] = field(default_factory=dict)  # by index: id - base

    def copy(self) -> Model:
        return Model(
            set(self.committee),
            self.threshold,
            {k: list(v) for k, v in self.orgs.items()},
            {k: list(v) for k, v in self.accounts.items()},
            self.epoch,
            set(self.names),
            self.base,
            self.proposals,
        )

    def open_error(self, pid: int, now: int, executing: int | None = None) -> str | None:
        """Why proposal `pid` cannot be voted, executed or cancelled now (`_requireOpen`'s order)."""
        p = self.proposals.get(pid - self.base)
        if p is None:
            return "ProposalAlreadyExecuted" if 1 <= pid <= self.base else "UnknownProposal"
        if p.executed or pid == executing:  # `execute` marks its proposal executed before the action
            return "ProposalAlreadyExecuted"
        if p.cancelled:
            return "ProposalAlreadyCancelled"
        if p.epoch != self.epoch:
            return "ProposalVoid"
        if p.expires_at <= now:
            return "ProposalExpired"
        return None

    def apply(self, call: Call, now: int, executing: int) -> str | None:
        """Apply an executed action; return the error the contract reverts with instead, if any."""
        a = call.args
        act = call.action
        if act is Action.ADD_COMMITTEE_MEMBER:
            if a["member"] in self.committee:
                return "AlreadyCommitteeMember"
            self.committee.add(a["member"])
            self.epoch += 1
        elif act is Action.REMOVE_COMMITTEE_MEMBER:
            if a["member"] not in self.committee:
                return "NotCommitteeMember"
            if len(self.committee) - 1 < self.threshold:
                return "ThresholdOutOfRange"
            self.committee.remove(a["member"])
            self.epoch += 1
        elif act is Action.CHANGE_THRESHOLD:
            if not 1 <= a["threshold"] <= len(self.committee):
                return "ThresholdOutOfRange"
            self.threshold = a["threshold"]
            self.epoch += 1
        elif act is Action.CANCEL_PROPOSAL:
            error = self.open_error(a["proposal_id"], now, executing)
            if error is not None:
                return error
            # `proposals` is shared with the model this trial copies: safe, as nothing fails after this
            self.proposals[a["proposal_id"] - self.base].cancelled = True
        elif act is Action.ADMIT_ORGANISATION:
            name = normalise_name(a["info"]["name"])
            if name in self.names:
                return "DuplicateName"
            if any(acct in self.accounts for acct in a["accounts"]):
                return "AccountAlreadyAssigned"
            org_id = len(self.orgs) + 1
            self.orgs[org_id] = [governance.role_mask(a["roles"]), True]
            self.names.add(name)
            for acct in a["accounts"]:
                self.accounts[acct] = [org_id, False]
        elif act in (Action.REMOVE_ORGANISATION, Action.GRANT_ROLES, Action.REVOKE_ROLES, Action.ADD_ACCOUNT):
            org = self.orgs.get(a["org_id"])
            if org is None or not org[1]:
                return "UnknownOrganisation"
            if act is Action.REMOVE_ORGANISATION:
                org[1] = False
            elif act is Action.GRANT_ROLES:
                org[0] |= governance.role_mask(a["roles"])
            elif act is Action.REVOKE_ROLES:
                org[0] &= ~governance.role_mask(a["roles"])
            else:
                if a["account"] in self.accounts:
                    return "AccountAlreadyAssigned"
                self.accounts[a["account"]] = [a["org_id"], False]
        else:
            acct = self.accounts.get(a["account"])
            if acct is None:
                return "UnknownAccount"
            if act is Action.REMOVE_ACCOUNT:
                del self.accounts[a["account"]]
            elif act is Action.FREEZE_ACCOUNT:
                if acct[1]:
                    return "AccountAlreadyFrozen"
                acct[1] = True
            else:
                if not acct[1]:
                    return "AccountNotFrozen"
                acct[1] = False
        return None

    def attest_error(self, account: str, kind: Kind) -> str | None:
        """The registry's verdict on an attestation by `account` (no reference, fresh digest)."""
        org_id, frozen = self.accounts.get(account, [0, False])
        roles = self.orgs[org_id][0] if org_id and self.orgs[org_id][1] else 0
        if roles == 0:
            return "NotMember"
        if frozen:
            return "AccountIsFrozen"
        role = Role.VERIFIER if kind is Kind.STATEMENT else Role.PUBLISHER
        if not roles & role:
            return "MissingRole"
        return "StatementNeedsFigures" if kind is Kind.STATEMENT else None


def calls(w: World) -> st.SearchStrategy[Call]:
    cands = st.sampled_from([a.address for a in w.candidates])
    signer = st.sampled_from([a.address for a in w.signers])
    signers = st.lists(signer, max_size=2, unique=True)
    names = st.builds(
        lambda n, form: form.format(n), st.integers(0, 4), st.sampled_from(["Org {}", "ORG {}", " org  {} "])
    )
    return st.one_of(
        cands.map(governance.add_committee_member),
        cands.map(governance.remove_committee_member),
        st.integers(min_value=1, max_value=N_CANDIDATES).map(governance.change_threshold),
        st.builds(
            lambda name, roles, accts: governance.admit_organisation(OrganisationInfo(name), roles, accts),
            names,
            ROLES,
            signers,
        ),
        ORG_IDS.map(governance.remove_organisation),
        st.builds(governance.grant_roles, ORG_IDS, ROLES),
        st.builds(governance.revoke_roles, ORG_IDS, ROLES),
        st.builds(governance.add_account, ORG_IDS, signer),
        signer.map(governance.remove_account),
        signer.map(governance.freeze_account),
        signer.map(governance.unfreeze_account),
        # ids of proposals an example makes (the world made 3); some unknown, some itself
        st.integers(min_value=1, max_value=30).map(governance.cancel_proposal),
    )


W = world()
CANDIDATE = st.sampled_from(W.candidates)
SIGNER = st.sampled_from(W.signers)


class GovernanceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.w = W
        self.tester = W.chain.tester
        self.snapshot = self.tester.take_snapshot()
        # eth-tester stamps a block max(wall clock, parent + 1). Jump well ahead of the wall clock, so
        # that every block of the example is parent + 1 and the model's times never depend on how long
        # ago the world was built (at import, maybe minutes before a busy suite gets here).
        pending = int(W.chain.w3.eth.get_block("pending")["timestamp"])
        self.tester.time_travel(pending + 30 * 24 * 3600)
        c, s = W.candidates, W.signers
        self.base_proposals = int(W.dep.governance.functions.proposalCount().call())
        self.model = Model(
            committee={a.address for a in c[:3]},
            threshold=2,
            orgs={1: [int(Role.PUBLISHER), True], 2: [int(Role.VERIFIER), True]},
            accounts={s[0].address: [1, False], s[1].address: [2, False], s[2].address: [1, True]},
            epoch=0,  # the deployment's committee: the world changed members and threshold by no vote
            names={"bank", "verifier"},
            base=self.base_proposals,
        )
        self.digests = 0
        self.landed = 0

    def teardown(self) -> None:
        self.tester.revert_to_snapshot(self.snapshot)

    # -- helpers

    def now(self) -> int:
        return self.w.chain.timestamp("latest")

    def expect(self, error: str | None, send: Any, what: str) -> Any:
        event(f"{what}: {error or 'ok'}")  # --hypothesis-show-statistics shows what the runs covered
        if error is None:
            return send()
        try:
            send()
        except TransactionReverted as exc:
            assert exc.error_name == error, f"expected {error}, got {exc}"
            return None
        raise AssertionError(f"expected a revert with {error}, but the transaction succeeded")

    def open_error(self, pid: int) -> str | None:
        return self.model.open_error(pid, self.now())

    def pid(self, index: int) -> int:
        """A proposal id near the ones this example made (sometimes an unknown one)."""
        return self.base_proposals + 1 + index % (len(self.model.proposals) + 1)

    # -- rules

    @rule(proposer=CANDIDATE, call=calls(W), lifetime=st.sampled_from([1000, 100_000]))
    def propose(self, proposer: Any, call: Call, lifetime: int) -> None:
        error = None if proposer.address in self.model.committee else "NotCommitteeMember"
        pid = self.expect(
            error,
            lambda: self.w.committee.propose(proposer, call.action, call.data, lifetime=lifetime),
            "propose",
        )
        if pid is not None:
            stored = self.w.dep.governance.functions.proposal(pid).call()
            expires = int(stored[3])
            assert int(stored[4]) == self.model.epoch  # the committee epoch it was made in
            assert pid == self.base_proposals + len(self.model.proposals) + 1
            self.model.proposals[pid - self.base_proposals] = Proposal(
                call, proposer.address, {proposer.address}, expires, self.model.epoch
            )

    @rule(voter=CANDIDATE, index=st.integers(0, 20))
    def vote(self, voter: Any, index: int) -> None:
        pid = self.pid(index)
        error = "NotCommitteeMember" if voter.address not in self.model.committee else self.open_error(pid)
        p = self.model.proposals.get(pid - self.base_proposals)
        if error is None and p is not None and voter.address in p.votes:
            error = "AlreadyVoted"
        if self.expect(error, lambda: self.w.committee.vote(voter, pid), "vote") is not None:
            assert p is not None
            p.votes.add(voter.address)

    @rule(executor=CANDIDATE, index=st.integers(0, 20))
    def execute(self, executor: Any, index: int) -> None:
        pid = self.pid(index)
        error = "NotCommitteeMember" if executor.address not in self.model.committee else self.open_error(pid)
        p = self.model.proposals.get(pid - self.base_proposals)
        trial = None
        if error is None:
            assert p is not None
            if len(p.votes & self.model.committee) < self.model.threshold:
                error = "NotEnoughVotes"
            else:
                trial = self.model.copy()
                error = trial.apply(p.call, self.now(), executing=pid)
        if self.expect(error, lambda: self.w.committee.execute(executor, pid), "execute") is not None:
            assert p is not None and trial is not None
            p.executed = True
            self.model = trial

    @rule(executor=CANDIDATE, call=calls(W))
    def enact(self, executor: Any, call: Call) -> None:
        """Propose, vote with enough members and execute in one step, so admissions happen often."""
        members = sorted(self.model.committee)
        w = {a.address: a for a in self.w.candidates}
        pid = self.w.committee.propose(w[members[0]], call.action, call.data)
        expires = int(self.w.dep.governance.functions.proposal(pid).call()[3])
        proposal = Proposal(call, members[0], {members[0]}, expires, self.model.epoch)
        self.model.proposals[pid - self.base_proposals] = proposal
        for m in members[1 : self.model.threshold]:
            self.w.committee.vote(w[m], pid)
            proposal.votes.add(m)
        self.execute(w[members[0]], pid - self.base_proposals - 1)

    @rule(canceller=CANDIDATE, index=st.integers(0, 20))
    def cancel(self, canceller: Any, index: int) -> None:
        """Only the proposer, still on the committee, of a live proposal."""
        pid = self.pid(index)
        error = (
            "NotCommitteeMember" if canceller.address not in self.model.committee else self.open_error(pid)
        )
        p = self.model.proposals.get(pid - self.base_proposals)
        if error is None and p is not None and p.proposer != canceller.address:
            error = "NotProposer"
        if self.expect(error, lambda: self.w.committee.cancel(canceller, pid), "cancel") is not None:
            assert p is not None
            p.cancelled = True

    @rule(seconds=st.sampled_from([600, 5000]))
    def advance_time(self, seconds: int) -> None:
        self.tester.time_travel(self.now() + seconds)

    @rule(signer=SIGNER, kind=st.sampled_from([Kind.FIGURES, Kind.FILE, Kind.STATEMENT]))
    def attest(self, signer: Any, kind: Kind) -> None:
        self.digests += 1
        digest = hashlib.sha256(f"{self.snapshot}-{self.digests}".encode()).hexdigest()
        error = self.model.attest_error(signer.address, kind)
        if (
            self.expect(error, lambda: self.w.dep.attest(signer, digest, kind, 2022), f"attest {kind.label}")
            is not None
        ):
            self.landed += 1

    # -- invariants

    @invariant()
    def committee_and_threshold(self) -> None:
        gov = self.w.dep.governance.functions
        committee = set(gov.committeeMembers().call())
        threshold = int(gov.threshold().call())
        assert committee == self.model.committee and threshold == self.model.threshold
        assert len(committee) >= threshold >= 1

    @invariant()
    def proposal_states_agree_with_model(self) -> None:
        """`state(id)` is what the model says `execute` would meet, in `_requireOpen`'s order."""
        gov = self.w.dep.governance.functions
        latest = self.w.chain.block("latest")
        for index, p in self.model.proposals.items():
            if p.executed:
                expected = ProposalState.EXECUTED
            elif p.cancelled:
                expected = ProposalState.CANCELLED
            elif p.epoch != self.model.epoch:
                expected = ProposalState.VOID
            elif p.expires_at <= int(latest["timestamp"], 16):
                expected = ProposalState.EXPIRED
            elif len(p.votes & self.model.committee) >= self.model.threshold:
                expected = ProposalState.READY
            else:
                expected = ProposalState.OPEN
            pid = self.base_proposals + index
            assert (
                ProposalState(gov.state(pid).call(block_identifier=int(latest["number"], 16))) is expected
            ), pid

    @invariant()
    def history_agrees_with_model(self) -> None:
        """Standings replayed from the log, and every attestation that landed, checked in one log read."""
        history = self.w.dep.membership_history()
        latest = (self.w.chain.head() + 1, 0)
        for signer in self.w.signers:
            standing = history.standing(signer.address, latest)
            org_id, frozen = self.model.accounts.get(signer.address, [0, False])
            expected_roles, active = self.model.orgs[org_id] if org_id else (0, False)
            assert (standing.org_id, standing.frozen) == (org_id, frozen), signer.address
            assert (standing.roles, standing.org_active) == (expected_roles, active), signer.address
            on_chain = self.w.dep.governance.functions.accountStatus(signer.address).call()
            assert tuple(on_chain) == (org_id, expected_roles if active else 0, frozen)

        dep = self.w.dep
        logs = dep.registry.events.Attested().get_logs(from_block=dep.manifest.registry.block_number)
        for log in logs:
            record = dep.registry.functions.getAttestation(log["args"]["uid"]).call()
            attester, kind = record[0], Kind(int(record[4]))
            role = Role.VERIFIER if kind is Kind.STATEMENT else Role.PUBLISHER
            standing = history.standing(attester, (int(log["blockNumber"]), int(log["logIndex"])))
            assert standing.holds(role), f"{attester} attested while {standing.describe(role.name, role)}"
        assert len(logs) == self.landed


GovernanceMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)
TestGovernanceStateful = GovernanceMachine.TestCase
