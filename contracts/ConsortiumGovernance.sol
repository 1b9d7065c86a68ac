// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ICommitteeRevocation} from "./ICommitteeRevocation.sol";
import {IMembership} from "./IMembership.sol";
import {Roles} from "./Roles.sol";

/// @title ConsortiumGovernance
/// @notice An M-of-N committee admits member organisations, grants their roles, adds, removes and
/// freezes their signing accounts. Every change is an event, so whether an account was authorised
/// for a role at any past block can be answered by replaying the log.
/// @dev Modelled on FISCO BCOS committee governance: nothing changes without a proposal that reaches
/// the threshold of distinct committee votes before its expiry. A proposal stores an {Action} number
/// and the action's ABI-encoded arguments; {execute} decodes and applies them.
contract ConsortiumGovernance is IMembership {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice What a proposal does once executed. Its `data` is the ABI encoding documented per action.
    /// @dev Append new actions at the end only: stored proposals and clients refer to them by number.
    enum Action {
        AddCommitteeMember, //     (address member)
        RemoveCommitteeMember, //  (address member)
        ChangeThreshold, //        (uint32 threshold)
        AdmitOrganisation, //      (OrganisationInfo info, uint8 roles, address[] accounts)
        RemoveOrganisation, //     (uint32 orgId)
        GrantRoles, //             (uint32 orgId, uint8 roles)
        RevokeRoles, //            (uint32 orgId, uint8 roles)
        AddAccount, //             (uint32 orgId, address account)
        RemoveAccount, //          (address account)
        FreezeAccount, //          (address account)
        UnfreezeAccount, //        (address account)
        RevokeAttestation //       (address registry, bytes32 uid, string reason)
    }

    /// @notice Where a proposal stands, as {state} reports it at the block it is evaluated in.
    /// @dev `Open` and `Ready` both accept votes; they differ only in whether {execute}'s vote check
    /// passes now. `Ready` is not final: removing a voter from the committee or raising the threshold
    /// turns it back to `Open`, and the action itself may still revert when executed. `Expired` and
    /// `Executed` are final.
    enum ProposalState {
        Open, //     not executed, not expired, fewer than `threshold` votes of current committee members
        Ready, //    not executed, not expired, at least `threshold` votes of current committee members
        Expired, //  not executed, and `expiresAt <= block.timestamp`
        Executed //  executed (whatever its expiry)
    }

    /// @notice Descriptive facts about an organisation, fixed at admission.
    struct OrganisationInfo {
        string name;
        string country;
        string kind;
        string accreditationBody;
        string accreditationNumber;
        string uri;
        bytes32 documentsDigest;
    }

    /// @notice An admitted organisation.
    /// @dev `roles` and `active` share the first slot: the registry reads only that slot.
    struct Organisation {
        uint8 roles;
        bool active;
        OrganisationInfo info;
    }

    /// @notice A signing account's organisation and whether it is frozen.
    /// @dev One slot per account.
    struct Account {
        uint32 orgId;
        bool frozen;
    }

    /// @notice A proposal as stored.
    /// @dev `action`, `executed`, `expiresAt` and `proposer` share one slot.
    struct Proposal {
        Action action;
        bool executed;
        uint64 expiresAt;
        address proposer;
        bytes data;
    }

    /// @dev The committee members, in insertion order (removal swaps the last member in).
    EnumerableSet.AddressSet private _committee;
    /// @dev Votes of current committee members needed to execute; 1 ≤ threshold ≤ committee size.
    uint32 private _threshold;

    /// @dev Organisations ever admitted; ids run from 1 to this number and are never reused.
    uint32 private _organisationCount;
    mapping(uint32 orgId => Organisation) private _organisations;
    mapping(uint32 orgId => EnumerableSet.AddressSet) private _organisationAccounts;
    mapping(address account => Account) private _accounts;

    /// @dev Proposals ever made; ids run from 1 to this number.
    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    /// @dev Who voted for what; a vote stays recorded when its member leaves, but no longer counts.
    mapping(uint256 proposalId => mapping(address member => bool)) private _voted;

    /// @notice A committee member proposed an action.
    /// @param proposalId The new proposal's id.
    /// @param proposer The committee member who proposed it (and whose vote is counted at once).
    /// @param action What the proposal does once executed.
    /// @param expiresAt Unix time from which it can no longer be voted or executed.
    /// @param data The action's ABI-encoded arguments.
    event ProposalCreated(
        uint256 indexed proposalId, address indexed proposer, Action action, uint64 expiresAt, bytes data
    );

    /// @notice A committee member voted for a proposal.
    /// @param proposalId The proposal.
    /// @param member The voting member.
    event VoteCast(uint256 indexed proposalId, address indexed member);

    /// @notice A proposal was executed; the events of its action follow in the same transaction.
    /// @param proposalId The proposal.
    /// @param executor The committee member who executed it.
    /// @param action What it did.
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor, Action action);

    /// @notice An account joined the committee.
    /// @param member The new member.
    event CommitteeMemberAdded(address indexed member);

    /// @notice An account left the committee; its votes on pending proposals stop counting.
    /// @param member The removed member.
    event CommitteeMemberRemoved(address indexed member);

    /// @notice The number of votes needed to execute a proposal changed.
    /// @param previousThreshold The old threshold (0 at construction).
    /// @param newThreshold The new threshold.
    event ThresholdChanged(uint32 previousThreshold, uint32 newThreshold);

    /// @notice An organisation was admitted; its accounts follow as {AccountAdded} events.
    /// @param orgId The new organisation's id.
    /// @param roles Its role bitmask (see {Roles}).
    /// @param info Its descriptive facts.
    event OrganisationAdmitted(uint32 indexed orgId, uint8 roles, OrganisationInfo info);

    /// @notice An organisation was removed: its accounts can no longer attest or revoke.
    /// @param orgId The organisation.
    event OrganisationRemoved(uint32 indexed orgId);

    /// @notice An organisation was granted roles.
    /// @param orgId The organisation.
    /// @param granted The role bits granted.
    /// @param roles Its role bitmask afterwards.
    event RolesGranted(uint32 indexed orgId, uint8 granted, uint8 roles);

    /// @notice An organisation lost roles.
    /// @param orgId The organisation.
    /// @param revoked The role bits revoked.
    /// @param roles Its role bitmask afterwards (may be 0: then it can no longer attest).
    event RolesRevoked(uint32 indexed orgId, uint8 revoked, uint8 roles);

    /// @notice A signing account was attached to an organisation.
    /// @param orgId The organisation.
    /// @param account The account.
    event AccountAdded(uint32 indexed orgId, address indexed account);

    /// @notice A signing account was detached from its organisation (e.g. key rotation).
    /// @param orgId The organisation it signed for.
    /// @param account The account.
    event AccountRemoved(uint32 indexed orgId, address indexed account);

    /// @notice A signing account was frozen (suspected compromise): it can no longer attest or revoke.
    /// @param account The account.
    event AccountFrozen(address indexed account);

    /// @notice A frozen signing account was unfrozen.
    /// @param account The account.
    event AccountUnfrozen(address indexed account);

    /// @notice The caller is not on the committee, or the member to remove is not.
    /// @param account The account refused or not found.
    error NotCommitteeMember(address account);

    /// @notice The account is already on the committee.
    /// @param account The account.
    error AlreadyCommitteeMember(address account);

    /// @notice A threshold must be at least 1 and at most the committee size.
    /// @param threshold The threshold that would be in force.
    /// @param committeeSize The committee size that would be in force.
    error ThresholdOutOfRange(uint256 threshold, uint256 committeeSize);

    /// @notice No proposal has this id.
    /// @param proposalId The id given.
    error UnknownProposal(uint256 proposalId);

    /// @notice The proposal expired, so it can be neither voted nor executed.
    /// @param proposalId The proposal.
    /// @param expiresAt Its expiry (unix time).
    error ProposalExpired(uint256 proposalId, uint64 expiresAt);

    /// @notice The proposal was already executed.
    /// @param proposalId The proposal.
    error ProposalAlreadyExecuted(uint256 proposalId);

    /// @notice The member already voted for this proposal.
    /// @param proposalId The proposal.
    /// @param member The member.
    error AlreadyVoted(uint256 proposalId, address member);

    /// @notice The proposal holds fewer votes of current committee members than the threshold.
    /// @param proposalId The proposal.
    /// @param votes Its votes of current committee members.
    /// @param threshold The votes needed.
    error NotEnoughVotes(uint256 proposalId, uint256 votes, uint256 threshold);

    /// @notice A proposal's expiry must lie after the block it is proposed in.
    /// @param expiresAt The expiry given.
    error ExpiryNotInFuture(uint64 expiresAt);

    /// @notice The action number is not one of {Action}.
    /// @dev {propose} refuses such a number, so no stored proposal holds one; {execute}'s dispatch
    /// reverts with it too rather than treat an unknown number as some action.
    /// @param action The number given.
    error UnknownAction(uint8 action);

    /// @notice The zero address cannot be a committee member or a signing account.
    error ZeroAddress();

    /// @notice An organisation needs a name.
    error EmptyName();

    /// @notice A role bitmask must be non-zero and hold only bits of {Roles-ALL}.
    /// @param roles The bitmask given.
    error InvalidRoles(uint8 roles);

    /// @notice No active organisation has this id.
    /// @param orgId The id given.
    error UnknownOrganisation(uint32 orgId);

    /// @notice The account already signs for an organisation (each account signs for at most one).
    /// @param account The account.
    /// @param orgId The organisation it signs for.
    error AccountAlreadyAssigned(address account, uint32 orgId);

    /// @notice The account signs for no organisation.
    /// @param account The account.
    error UnknownAccount(address account);

    /// @notice The account is already frozen.
    /// @param account The account.
    error AccountAlreadyFrozen(address account);

    /// @notice The account is not frozen.
    /// @param account The account.
    error AccountNotFrozen(address account);

    /// @dev Reverts with {NotCommitteeMember} unless the caller sits on the committee.
    modifier onlyCommittee() {
        if (!_committee.contains(msg.sender)) revert NotCommitteeMember(msg.sender);
        _;
    }

    /// @notice Deploy with an initial committee and threshold.
    /// @param committee The initial committee members (distinct, non-zero).
    /// @param threshold_ Votes needed to execute a proposal: 1 ≤ threshold ≤ committee size.
    constructor(address[] memory committee, uint32 threshold_) {
        for (uint256 i = 0; i < committee.length; ++i) {
            _addCommitteeMember(committee[i]);
        }
        _setThreshold(threshold_);
    }

    // ------------------------------------------------------------------ proposals

    /// @notice Propose an action; the proposer's vote is counted at once.
    /// @dev `action` is taken as a number so that an unknown one is refused with {UnknownAction}
    /// (an enum parameter would be refused by the ABI decoder without a reason). Nothing is stored
    /// for a refused proposal. `data` is not decoded until {execute}.
    /// @param action What to do: an {Action} number.
    /// @param data The ABI-encoded arguments of the action (see {Action}).
    /// @param expiresAt Unix time from which the proposal can no longer be voted or executed.
    /// @return proposalId The new proposal's id (counting from 1).
    function propose(uint8 action, bytes calldata data, uint64 expiresAt)
        external
        onlyCommittee
        returns (uint256 proposalId)
    {
        if (action > uint8(type(Action).max)) revert UnknownAction(action);
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt);
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal(Action(action), false, expiresAt, msg.sender, data);
        emit ProposalCreated(proposalId, msg.sender, Action(action), expiresAt, data);
        _vote(proposalId);
    }

    /// @notice Vote for a proposal that is still open ({ProposalState-Open} or {ProposalState-Ready}).
    /// One vote per committee member.
    /// @param proposalId The proposal to support.
    function vote(uint256 proposalId) external onlyCommittee {
        _requireOpen(proposalId);
        _vote(proposalId);
    }

    /// @notice Execute a proposal that holds at least `threshold` votes of current committee members
    /// (its {state} is {ProposalState-Ready}).
    /// @dev Marked executed before the action runs; if the action reverts, so does everything, and
    /// the proposal stays ready.
    /// @param proposalId The proposal to execute.
    function execute(uint256 proposalId) external onlyCommittee {
        Proposal storage p = _requireOpen(proposalId);
        uint256 votes = voteCount(proposalId);
        if (votes < _threshold) revert NotEnoughVotes(proposalId, votes, _threshold);
        p.executed = true;
        emit ProposalExecuted(proposalId, msg.sender, p.action);
        _apply(p.action, p.data);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMembership
    function accountStatus(address account) external view returns (uint32 orgId, uint8 roles, bool frozen) {
        Account memory a = _accounts[account];
        if (a.orgId == 0) return (0, 0, false);
        Organisation storage o = _organisations[a.orgId];
        return (a.orgId, o.active ? o.roles : 0, a.frozen);
    }

    /// @notice Whether `account` sits on the committee.
    /// @param account The account.
    /// @return True if it is a committee member.
    function isCommittee(address account) external view returns (bool) {
        return _committee.contains(account);
    }

    /// @notice The current committee members.
    /// @return The members, in no guaranteed order.
    function committeeMembers() external view returns (address[] memory) {
        return _committee.values();
    }

    /// @notice Votes needed to execute a proposal.
    /// @return The threshold.
    function threshold() external view returns (uint32) {
        return _threshold;
    }

    /// @notice Number of organisations ever admitted; ids run from 1 to this number.
    /// @return The count, removed organisations included.
    function organisationCount() external view returns (uint32) {
        return _organisationCount;
    }

    /// @notice An organisation's roles, standing and admission facts.
    /// @param orgId The organisation (reverts with {UnknownOrganisation} if never admitted).
    /// @return The organisation; `active` is false once removed.
    function organisation(uint32 orgId) external view returns (Organisation memory) {
        if (orgId == 0 || orgId > _organisationCount) revert UnknownOrganisation(orgId);
        return _organisations[orgId];
    }

    /// @notice The signing accounts currently attached to an organisation.
    /// @param orgId The organisation.
    /// @return The accounts (empty for an unknown organisation), in no guaranteed order.
    function organisationAccounts(uint32 orgId) external view returns (address[] memory) {
        return _organisationAccounts[orgId].values();
    }

    /// @notice Number of proposals ever made; ids run from 1 to this number.
    /// @return The count.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @notice A proposal as stored.
    /// @param proposalId The proposal (reverts with {UnknownProposal} if none has this id).
    /// @return The stored proposal.
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposal(proposalId);
    }

    /// @notice Where a proposal stands at the block this is evaluated in (see {ProposalState}).
    /// @dev Checked in the same order as {execute}: executed first, then expiry, then votes of current
    /// committee members against the current threshold, so `Ready` means {execute} would pass its own
    /// checks in this block (the action it runs may still revert).
    /// @param proposalId The proposal (reverts with {UnknownProposal} if none has this id).
    /// @return The proposal's state.
    function state(uint256 proposalId) external view returns (ProposalState) {
        Proposal storage p = _proposal(proposalId);
        if (p.executed) return ProposalState.Executed;
        if (_isExpired(p)) return ProposalState.Expired;
        return voteCount(proposalId) < _threshold ? ProposalState.Open : ProposalState.Ready;
    }

    /// @notice Whether `member` voted for a proposal.
    /// @param proposalId The proposal.
    /// @param member The account.
    /// @return True if it voted (even if it has since left the committee).
    function hasVoted(uint256 proposalId, address member) external view returns (bool) {
        return _voted[proposalId][member];
    }

    /// @notice Votes for a proposal cast by members who are still on the committee.
    /// @dev Counted at execution, so a removed member's vote no longer counts.
    /// @param proposalId The proposal.
    /// @return votes The number of current committee members who voted for it.
    function voteCount(uint256 proposalId) public view returns (uint256 votes) {
        uint256 size = _committee.length();
        for (uint256 i = 0; i < size; ++i) {
            if (_voted[proposalId][_committee.at(i)]) ++votes;
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev The stored proposal; reverts with {UnknownProposal} if none has this id.
    /// @param proposalId The proposal id.
    /// @return p Its storage record.
    function _proposal(uint256 proposalId) private view returns (Proposal storage p) {
        if (proposalId == 0 || proposalId > _proposalCount) revert UnknownProposal(proposalId);
        p = _proposals[proposalId];
    }

    /// @dev Whether a proposal's expiry has come: the one place the expiry is compared with time.
    /// @param p The proposal.
    /// @return True from the first block whose timestamp is at or after `expiresAt`.
    function _isExpired(Proposal storage p) private view returns (bool) {
        return p.expiresAt <= block.timestamp;
    }

    /// @dev The stored proposal, if it can still be voted or executed (not executed, not expired).
    /// @param proposalId The proposal id.
    /// @return p Its storage record.
    function _requireOpen(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposal(proposalId);
        if (p.executed) revert ProposalAlreadyExecuted(proposalId);
        if (_isExpired(p)) revert ProposalExpired(proposalId, p.expiresAt);
    }

    /// @dev Records the caller's vote; reverts with {AlreadyVoted} on a second one.
    /// @param proposalId The proposal.
    function _vote(uint256 proposalId) private {
        if (_voted[proposalId][msg.sender]) revert AlreadyVoted(proposalId, msg.sender);
        _voted[proposalId][msg.sender] = true;
        emit VoteCast(proposalId, msg.sender);
    }

    /// @dev Decodes `data` as the arguments of `action` (layout in {Action}) and applies it. Reverts
    /// with {UnknownAction} for a number outside {Action} rather than treating it as any action.
    /// @param action The action.
    /// @param data Its ABI-encoded arguments.
    function _apply(Action action, bytes memory data) private {
        if (action == Action.AddCommitteeMember) {
            _addCommitteeMember(abi.decode(data, (address)));
        } else if (action == Action.RemoveCommitteeMember) {
            address member = abi.decode(data, (address));
            if (!_committee.remove(member)) revert NotCommitteeMember(member);
            if (_committee.length() < _threshold) revert ThresholdOutOfRange(_threshold, _committee.length());
            emit CommitteeMemberRemoved(member);
        } else if (action == Action.ChangeThreshold) {
            _setThreshold(abi.decode(data, (uint32)));
        } else if (action == Action.AdmitOrganisation) {
            (OrganisationInfo memory info, uint8 roles, address[] memory accounts) =
                abi.decode(data, (OrganisationInfo, uint8, address[]));
            _admit(info, roles, accounts);
        } else if (action == Action.RemoveOrganisation) {
            uint32 orgId = abi.decode(data, (uint32));
            _requireActive(orgId).active = false;
            emit OrganisationRemoved(orgId);
        } else if (action == Action.GrantRoles) {
            (uint32 orgId, uint8 roles) = abi.decode(data, (uint32, uint8));
            _requireRoles(roles);
            Organisation storage o = _requireActive(orgId);
            o.roles |= roles;
            emit RolesGranted(orgId, roles, o.roles);
        } else if (action == Action.RevokeRoles) {
            (uint32 orgId, uint8 roles) = abi.decode(data, (uint32, uint8));
            _requireRoles(roles);
            Organisation storage o = _requireActive(orgId);
            o.roles &= ~roles;
            emit RolesRevoked(orgId, roles, o.roles);
        } else if (action == Action.AddAccount) {
            (uint32 orgId, address account) = abi.decode(data, (uint32, address));
            _requireActive(orgId);
            _addAccount(orgId, account);
        } else if (action == Action.RemoveAccount) {
            address account = abi.decode(data, (address));
            uint32 orgId = _requireAccount(account).orgId;
            delete _accounts[account];
            if (!_organisationAccounts[orgId].remove(account)) revert UnknownAccount(account);
            emit AccountRemoved(orgId, account);
        } else if (action == Action.FreezeAccount) {
            address account = abi.decode(data, (address));
            Account storage a = _requireAccount(account);
            if (a.frozen) revert AccountAlreadyFrozen(account);
            a.frozen = true;
            emit AccountFrozen(account);
        } else if (action == Action.UnfreezeAccount) {
            address account = abi.decode(data, (address));
            Account storage a = _requireAccount(account);
            if (!a.frozen) revert AccountNotFrozen(account);
            a.frozen = false;
            emit AccountUnfrozen(account);
        } else if (action == Action.RevokeAttestation) {
            (address registry, bytes32 uid, string memory reason) = abi.decode(data, (address, bytes32, string));
            ICommitteeRevocation(registry).revokeByCommittee(uid, reason);
        } else {
            revert UnknownAction(uint8(action));
        }
    }

    /// @dev Adds a committee member; reverts for the zero address or an existing member.
    /// @param member The account to add.
    function _addCommitteeMember(address member) private {
        if (member == address(0)) revert ZeroAddress();
        if (!_committee.add(member)) revert AlreadyCommitteeMember(member);
        emit CommitteeMemberAdded(member);
    }

    /// @dev Sets the threshold; reverts unless 1 ≤ `newThreshold` ≤ committee size.
    /// @param newThreshold The new threshold.
    function _setThreshold(uint32 newThreshold) private {
        if (newThreshold == 0 || newThreshold > _committee.length()) {
            revert ThresholdOutOfRange(newThreshold, _committee.length());
        }
        emit ThresholdChanged(_threshold, newThreshold);
        _threshold = newThreshold;
    }

    /// @dev Admits an organisation under the next id, with its accounts.
    /// @param info Its descriptive facts (a name is required).
    /// @param roles Its role bitmask.
    /// @param accounts Its signing accounts (each must sign for no organisation yet).
    function _admit(OrganisationInfo memory info, uint8 roles, address[] memory accounts) private {
        if (bytes(info.name).length == 0) revert EmptyName();
        _requireRoles(roles);
        uint32 orgId = ++_organisationCount;
        Organisation storage o = _organisations[orgId];
        o.roles = roles;
        o.active = true;
        o.info = info;
        emit OrganisationAdmitted(orgId, roles, info);
        for (uint256 i = 0; i < accounts.length; ++i) {
            _addAccount(orgId, accounts[i]);
        }
    }

    /// @dev Attaches `account` to `orgId`; an account signs for at most one organisation.
    /// @param orgId The organisation.
    /// @param account The account (non-zero, not yet assigned).
    function _addAccount(uint32 orgId, address account) private {
        if (account == address(0)) revert ZeroAddress();
        uint32 current = _accounts[account].orgId;
        if (current != 0) revert AccountAlreadyAssigned(account, current);
        _accounts[account] = Account(orgId, false);
        if (!_organisationAccounts[orgId].add(account)) revert AccountAlreadyAssigned(account, orgId);
        emit AccountAdded(orgId, account);
    }

    /// @dev Reverts unless `roles` is a non-zero bitmask of defined role bits.
    /// @param roles The bitmask.
    function _requireRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) revert InvalidRoles(roles);
    }

    /// @dev The organisation, if it is active (admitted and not removed).
    /// @param orgId The organisation id.
    /// @return o Its storage record.
    function _requireActive(uint32 orgId) private view returns (Organisation storage o) {
        o = _organisations[orgId];
        if (!o.active) revert UnknownOrganisation(orgId);
    }

    /// @dev The account's record, if it signs for an organisation.
    /// @param account The account.
    /// @return a Its storage record.
    function _requireAccount(address account) private view returns (Account storage a) {
        a = _accounts[account];
        if (a.orgId == 0) revert UnknownAccount(account);
    }
}
