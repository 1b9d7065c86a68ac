// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IMembership} from "./IMembership.sol";
import {Roles} from "./Roles.sol";

/// @notice The registry entry point the committee uses to revoke an attestation by vote.
interface ICommitteeRevocable {
    function revokeByCommittee(bytes32 uid, string calldata reason) external;
}

/// @title ConsortiumGovernance
/// @notice An M-of-N committee admits member organisations, grants their roles, adds, removes and
/// freezes their signing accounts. Every change is an event, so whether an account was authorised
/// for a role at any past block can be answered by replaying the log.
/// @dev Modelled on FISCO BCOS committee governance: nothing changes without a proposal that reaches
/// the threshold of distinct committee votes before its expiry.
contract ConsortiumGovernance is IMembership {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice What a proposal does once executed. Its `data` is the ABI encoding documented per action.
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

    /// @dev `roles` and `active` share the first slot: the registry reads only that slot.
    struct Organisation {
        uint8 roles;
        bool active;
        OrganisationInfo info;
    }

    /// @dev One slot per account.
    struct Account {
        uint32 orgId;
        bool frozen;
    }

    struct Proposal {
        Action action;
        bool executed;
        uint64 expiresAt;
        address proposer;
        bytes data;
    }

    EnumerableSet.AddressSet private _committee;
    uint32 private _threshold;

    uint32 private _organisationCount;
    mapping(uint32 orgId => Organisation) private _organisations;
    mapping(uint32 orgId => EnumerableSet.AddressSet) private _organisationAccounts;
    mapping(address account => Account) private _accounts;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address member => bool)) private _voted;

    event ProposalCreated(
        uint256 indexed proposalId, address indexed proposer, Action action, uint64 expiresAt, bytes data
    );
    event VoteCast(uint256 indexed proposalId, address indexed member);
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor, Action action);
    event CommitteeMemberAdded(address indexed member);
    event CommitteeMemberRemoved(address indexed member);
    event ThresholdChanged(uint32 previousThreshold, uint32 newThreshold);
    event OrganisationAdmitted(uint32 indexed orgId, uint8 roles, OrganisationInfo info);
    event OrganisationRemoved(uint32 indexed orgId);
    event RolesGranted(uint32 indexed orgId, uint8 granted, uint8 roles);
    event RolesRevoked(uint32 indexed orgId, uint8 revoked, uint8 roles);
    event AccountAdded(uint32 indexed orgId, address indexed account);
    event AccountRemoved(uint32 indexed orgId, address indexed account);
    event AccountFrozen(address indexed account);
    event AccountUnfrozen(address indexed account);

    error NotCommitteeMember(address account);
    error AlreadyCommitteeMember(address account);
    error ThresholdOutOfRange(uint256 threshold, uint256 committeeSize);
    error UnknownProposal(uint256 proposalId);
    error ProposalExpired(uint256 proposalId, uint64 expiresAt);
    error ProposalAlreadyExecuted(uint256 proposalId);
    error AlreadyVoted(uint256 proposalId, address member);
    error NotEnoughVotes(uint256 proposalId, uint256 votes, uint256 threshold);
    error ExpiryNotInFuture(uint64 expiresAt);
    error ZeroAddress();
    error EmptyName();
    error InvalidRoles(uint8 roles);
    error UnknownOrganisation(uint32 orgId);
    error AccountAlreadyAssigned(address account, uint32 orgId);
    error UnknownAccount(address account);
    error AccountAlreadyFrozen(address account);
    error AccountNotFrozen(address account);

    modifier onlyCommittee() {
        if (!_committee.contains(msg.sender)) revert NotCommitteeMember(msg.sender);
        _;
    }

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
    /// @param action What to do.
    /// @param data The ABI-encoded arguments of the action (see {Action}).
    /// @param expiresAt Unix time after which the proposal can no longer be voted or executed.
    /// @return proposalId The new proposal's id (counting from 1).
    function propose(Action action, bytes calldata data, uint64 expiresAt)
        external
        onlyCommittee
        returns (uint256 proposalId)
    {
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt);
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal(action, false, expiresAt, msg.sender, data);
        emit ProposalCreated(proposalId, msg.sender, action, expiresAt, data);
        _vote(proposalId);
    }

    /// @notice Vote for an open proposal. One vote per committee member.
    /// @param proposalId The proposal to support.
    function vote(uint256 proposalId) external onlyCommittee {
        _requireOpen(proposalId);
        _vote(proposalId);
    }

    /// @notice Execute a proposal that holds at least `threshold` votes of current committee members.
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
    function isCommittee(address account) external view returns (bool) {
        return _committee.contains(account);
    }

    /// @notice The current committee members.
    function committeeMembers() external view returns (address[] memory) {
        return _committee.values();
    }

    /// @notice Votes needed to execute a proposal.
    function threshold() external view returns (uint32) {
        return _threshold;
    }

    /// @notice Number of organisations ever admitted; ids run from 1 to this number.
    function organisationCount() external view returns (uint32) {
        return _organisationCount;
    }

    /// @notice An organisation's roles, standing and admission facts.
    function organisation(uint32 orgId) external view returns (Organisation memory) {
        if (orgId == 0 || orgId > _organisationCount) revert UnknownOrganisation(orgId);
        return _organisations[orgId];
    }

    /// @notice The signing accounts currently attached to an organisation.
    function organisationAccounts(uint32 orgId) external view returns (address[] memory) {
        return _organisationAccounts[orgId].values();
    }

    /// @notice Number of proposals ever made; ids run from 1 to this number.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @notice A proposal as stored.
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        if (proposalId == 0 || proposalId > _proposalCount) revert UnknownProposal(proposalId);
        return _proposals[proposalId];
    }

    /// @notice Whether `member` voted for a proposal.
    function hasVoted(uint256 proposalId, address member) external view returns (bool) {
        return _voted[proposalId][member];
    }

    /// @notice Votes for a proposal cast by members who are still on the committee.
    /// @dev Counted at execution, so a removed member's vote no longer counts.
    function voteCount(uint256 proposalId) public view returns (uint256 votes) {
        uint256 size = _committee.length();
        for (uint256 i = 0; i < size; ++i) {
            if (_voted[proposalId][_committee.at(i)]) ++votes;
        }
    }

    // ------------------------------------------------------------------ internals

    function _requireOpen(uint256 proposalId) private view returns (Proposal storage p) {
        if (proposalId == 0 || proposalId > _proposalCount) revert UnknownProposal(proposalId);
        p = _proposals[proposalId];
        if (p.executed) revert ProposalAlreadyExecuted(proposalId);
        if (p.expiresAt <= block.timestamp) revert ProposalExpired(proposalId, p.expiresAt);
    }

    function _vote(uint256 proposalId) private {
        if (_voted[proposalId][msg.sender]) revert AlreadyVoted(proposalId, msg.sender);
        _voted[proposalId][msg.sender] = true;
        emit VoteCast(proposalId, msg.sender);
    }

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
        } else {
            (address registry, bytes32 uid, string memory reason) = abi.decode(data, (address, bytes32, string));
            ICommitteeRevocable(registry).revokeByCommittee(uid, reason);
        }
    }

    function _addCommitteeMember(address member) private {
        if (member == address(0)) revert ZeroAddress();
        if (!_committee.add(member)) revert AlreadyCommitteeMember(member);
        emit CommitteeMemberAdded(member);
    }

    function _setThreshold(uint32 newThreshold) private {
        if (newThreshold == 0 || newThreshold > _committee.length()) {
            revert ThresholdOutOfRange(newThreshold, _committee.length());
        }
        emit ThresholdChanged(_threshold, newThreshold);
        _threshold = newThreshold;
    }

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

    function _addAccount(uint32 orgId, address account) private {
        if (account == address(0)) revert ZeroAddress();
        uint32 current = _accounts[account].orgId;
        if (current != 0) revert AccountAlreadyAssigned(account, current);
        _accounts[account] = Account(orgId, false);
        if (!_organisationAccounts[orgId].add(account)) revert AccountAlreadyAssigned(account, orgId);
        emit AccountAdded(orgId, account);
    }

    function _requireRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) revert InvalidRoles(roles);
    }

    function _requireActive(uint32 orgId) private view returns (Organisation storage o) {
        o = _organisations[orgId];
        if (!o.active) revert UnknownOrganisation(orgId);
    }

    function _requireAccount(address account) private view returns (Account storage a) {
        a = _accounts[account];
        if (a.orgId == 0) revert UnknownAccount(account);
    }
}
