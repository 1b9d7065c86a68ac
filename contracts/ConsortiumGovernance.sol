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
///
/// Votes are counted against the committee that saw the proposal made, never a later one. The
/// committee has an epoch, bumped by every change of its members or threshold; a proposal records
/// the epoch it was made in and is {ProposalState-Void} from the moment the epoch moves on. So a
/// proposal that one member made while three votes were needed cannot become executable because the
/// threshold later fell to one, and a vote cast by a member who was removed (say for a stolen key)
/// does not count again if that member is re-added: its proposal died with the removal. The price
/// is that every committee change withdraws all open proposals, which must be made again.
/// A proposal lives at most {MAX_PROPOSAL_LIFETIME}; its proposer may {cancel} it, and the
/// committee may cancel any open proposal by voting a {Action-CancelProposal}.
///
/// Organisation names are unique by a normalised form that the client computes (Unicode NFKC,
/// case folding, whitespace collapsed: `attest.core.names`) and passes as `nameKey`, the keccak256
/// of the normalised name's UTF-8 bytes. The contract cannot check that normalisation: it only
/// refuses a key it has seen ({DuplicateName}). Clients must not trust stored keys, and compare
/// the display names (`OrganisationInfo.name`) normalised themselves. A removed organisation keeps
/// its name reserved, so that documents naming it cannot later be claimed by a newcomer.
contract ConsortiumGovernance is IMembership {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice What a proposal does once executed. Its `data` is the ABI encoding documented per action.
    /// @dev Append new actions at the end only: stored proposals and clients refer to them by number.
    enum Action {
        AddCommitteeMember, //     (address member)
        RemoveCommitteeMember, //  (address member)
        ChangeThreshold, //        (uint32 threshold)
        AdmitOrganisation, //      (OrganisationInfo info, uint8 roles, address[] accounts, bytes32 nameKey)
        RemoveOrganisation, //     (uint32 orgId)
        GrantRoles, //             (uint32 orgId, uint8 roles)
        RevokeRoles, //            (uint32 orgId, uint8 roles)
        AddAccount, //             (uint32 orgId, address account)
        RemoveAccount, //          (address account)
        FreezeAccount, //          (address account)
        UnfreezeAccount, //        (address account)
        RevokeAttestation, //      (address registry, bytes32 uid, string reason)
        CancelProposal //          (uint256 proposalId)
    }

    /// @notice Where a proposal stands, as {state} reports it at the block it is evaluated in.
    /// @dev `Open` and `Ready` both accept votes; they differ only in whether {execute}'s vote check
    /// passes now, and the action itself may still revert when executed. Every other state is final:
    /// a committee change makes an open or ready proposal `Void` (see the contract's notes), never
    /// `Open` again. Appended states keep the numbers of the older ones.
    enum ProposalState {
        Open, //      live (below), fewer than `threshold` votes
        Ready, //     live: not executed, not cancelled, made in the current epoch, not expired; ≥ `threshold` votes
        Expired, //   not executed, not cancelled, current epoch, and `expiresAt <= block.timestamp`
        Executed, //  executed (whatever its expiry or the epoch since)
        Cancelled, // withdrawn by its proposer or by the committee, before it was executed
        Void //       not executed, not cancelled, and the committee or threshold changed since it was made
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
    /// @dev `action` through `proposer` share one slot (1 + 1 + 1 + 5 + 4 + 20 bytes). `expiresAt`
    /// fits 40 bits because {propose} bounds it by the block time plus {MAX_PROPOSAL_LIFETIME}.
    /// `epoch` is the committee epoch the proposal was made in: it is void once the epoch moved on.
    struct Proposal {
        Action action;
        bool executed;
        bool cancelled;
        uint40 expiresAt;
        uint32 epoch;
        address proposer;
        bytes data;
    }

    /// @notice The longest a proposal may stay open: {propose} refuses an expiry later than the
    /// proposing block's time plus this (30 days), naming that latest expiry in {ExpiryTooFar}.
    /// @dev Not public, nor is the committee epoch (each proposal's is in {proposal}; {state} says
    /// `Void`): an 18th external function would make the function dispatch, and so every
    /// registry `accountStatus` call of an attestation, cost 88 gas more.
    uint64 internal constant MAX_PROPOSAL_LIFETIME = 30 days;

    /// @dev The committee members, in insertion order (removal swaps the last member in).
    EnumerableSet.AddressSet private _committee;
    /// @dev Votes of current committee members needed to execute; 1 ≤ threshold ≤ committee size.
    uint32 private _threshold;
    /// @dev Bumped by every change of the committee's members or threshold; proposals of an older
    /// epoch are void. 32 bits: four billion committee changes.
    uint32 private _epoch;

    /// @dev Organisations ever admitted; ids run from 1 to this number and are never reused.
    uint32 private _organisationCount;
    mapping(uint32 orgId => Organisation) private _organisations;
    mapping(uint32 orgId => EnumerableSet.AddressSet) private _organisationAccounts;
    mapping(address account => Account) private _accounts;
    /// @dev The organisation holding each normalised name key (see the contract's notes); never
    /// cleared, so a removed organisation keeps its name.
    mapping(bytes32 nameKey => uint32 orgId) private _organisationByNameKey;

    /// @dev Proposals ever made; ids run from 1 to this number.
    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    /// @dev Who voted for what; a vote stays recorded when its member leaves, but its proposal is
    /// then void (the removal moved the epoch on), so the vote never counts again.
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

    /// @notice A proposal was withdrawn before it was executed: it can be neither voted nor executed.
    /// @param proposalId The proposal.
    /// @param by Its proposer (by {cancel}), or this contract when the committee voted a
    /// {Action-CancelProposal}.
    event ProposalCancelled(uint256 indexed proposalId, address indexed by);

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

    /// @notice An account left the committee; every open proposal is void (a new committee epoch).
    /// @param member The removed member.
    event CommitteeMemberRemoved(address indexed member);

    /// @notice The number of votes needed to execute a proposal was set (to a new or the same value);
    /// every open proposal is void (a new committee epoch).
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

    /// @notice The proposal was cancelled, so it can be neither voted, executed nor cancelled again.
    /// @param proposalId The proposal.
    error ProposalAlreadyCancelled(uint256 proposalId);

    /// @notice The committee's members or threshold changed since the proposal was made, so its votes
    /// no longer speak for the committee: it can be neither voted nor executed (propose it again).
    /// @param proposalId The proposal.
    /// @param epoch The committee epoch it was made in.
    /// @param currentEpoch The committee epoch now.
    error ProposalVoid(uint256 proposalId, uint32 epoch, uint32 currentEpoch);

    /// @notice Only a proposal's proposer may cancel it alone; others need a committee vote
    /// ({Action-CancelProposal}).
    /// @param proposalId The proposal.
    /// @param proposer Its proposer.
    error NotProposer(uint256 proposalId, address proposer);

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

    /// @notice A proposal's expiry may lie at most {MAX_PROPOSAL_LIFETIME} (30 days) after the block
    /// it is proposed in.
    /// @param expiresAt The expiry given.
    /// @param latestExpiry The latest expiry accepted in this block: its time plus 30 days.
    error ExpiryTooFar(uint64 expiresAt, uint64 latestExpiry);

    /// @notice The action number is not one of {Action}.
    /// @dev {propose} refuses such a number, so no stored proposal holds one; {execute}'s dispatch
    /// reverts with it too rather than treat an unknown number as some action.
    /// @param action The number given.
    error UnknownAction(uint8 action);

    /// @notice The zero address cannot be a committee member or a signing account.
    error ZeroAddress();

    /// @notice An organisation needs a name.
    error EmptyName();

    /// @notice An admission needs the normalised name key (keccak256 of the normalised name); zero
    /// is what an encoder that forgot it would send.
    error MissingNameKey();

    /// @notice An organisation (active or removed) already holds this normalised name.
    /// @param nameKey The normalised name key.
    /// @param orgId The organisation holding it.
    error DuplicateName(bytes32 nameKey, uint32 orgId);

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

    /// @notice Propose an action; the proposer's vote is counted at once. The proposal belongs to
    /// the current committee epoch and is void once the committee or threshold changes.
    /// @dev `action` is taken as a number so that an unknown one is refused with {UnknownAction}
    /// (an enum parameter would be refused by the ABI decoder without a reason). Nothing is stored
    /// for a refused proposal. `data` is not decoded until {execute}.
    /// @param action What to do: an {Action} number.
    /// @param data The ABI-encoded arguments of the action (see {Action}).
    /// @param expiresAt Unix time from which the proposal can no longer be voted or executed: after
    /// this block's time, and at most {MAX_PROPOSAL_LIFETIME} after it.
    /// @return proposalId The new proposal's id (counting from 1).
    function propose(uint8 action, bytes calldata data, uint64 expiresAt)
        external
        onlyCommittee
        returns (uint256 proposalId)
    {
        if (action > uint8(type(Action).max)) revert UnknownAction(action);
        if (expiresAt <= block.timestamp) revert ExpiryNotInFuture(expiresAt);
        uint256 latest = block.timestamp + MAX_PROPOSAL_LIFETIME;
        if (latest > type(uint40).max) latest = type(uint40).max; // the year 36812: keeps the cast exact
        if (expiresAt > latest) revert ExpiryTooFar(expiresAt, uint64(latest));
        proposalId = ++_proposalCount;
        _proposals[proposalId] =
            Proposal(Action(action), false, false, uint40(expiresAt), _epoch, msg.sender, data);
        emit ProposalCreated(proposalId, msg.sender, Action(action), expiresAt, data);
        _vote(proposalId);
    }

    /// @notice Vote for a proposal that is still live ({ProposalState-Open} or {ProposalState-Ready}).
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

    /// @notice Withdraw a live proposal you made ({ProposalState-Open} or {ProposalState-Ready}): it
    /// becomes {ProposalState-Cancelled} and can no longer be voted or executed.
    /// @dev Only the proposer alone: letting any one member cancel any proposal would let a single
    /// (perhaps stolen) committee key veto everything, its own removal included. The committee
    /// cancels another member's proposal by voting a {Action-CancelProposal}.
    /// @param proposalId The proposal to withdraw.
    function cancel(uint256 proposalId) external onlyCommittee {
        Proposal storage p = _requireOpen(proposalId);
        if (p.proposer != msg.sender) revert NotProposer(proposalId, p.proposer);
        _cancel(proposalId, p, msg.sender);
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

    /// @notice The organisation holding a normalised name key, active or removed.
    /// @dev Only as good as the keys admissions were given: the contract cannot check normalisation.
    /// @param nameKey keccak256 of the UTF-8 bytes of the normalised name.
    /// @return The organisation id, or 0 if no organisation holds the key.
    function organisationByNameKey(bytes32 nameKey) external view returns (uint32) {
        return _organisationByNameKey[nameKey];
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
    /// @dev Checked in the same order as {execute}: executed, cancelled, void (epoch), expired, then
    /// votes against the threshold, so `Ready` means {execute} would pass its own checks in this
    /// block (the action it runs may still revert), and each other state names the error it meets.
    /// @param proposalId The proposal (reverts with {UnknownProposal} if none has this id).
    /// @return The proposal's state.
    function state(uint256 proposalId) external view returns (ProposalState) {
        Proposal storage p = _proposal(proposalId);
        if (p.executed) return ProposalState.Executed;
        if (p.cancelled) return ProposalState.Cancelled;
        if (p.epoch != _epoch) return ProposalState.Void;
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
    /// @dev Counted at execution. While a proposal is live (its epoch is the current one) every voter
    /// is still on the committee, so this is the number of its votes; for a void proposal it is only
    /// informative.
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

    /// @dev The stored proposal, if it is live: not executed, not cancelled, of the current epoch,
    /// not expired (the order of {state}).
    /// @param proposalId The proposal id.
    /// @return p Its storage record.
    function _requireOpen(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposal(proposalId);
        if (p.executed) revert ProposalAlreadyExecuted(proposalId);
        if (p.cancelled) revert ProposalAlreadyCancelled(proposalId);
        if (p.epoch != _epoch) revert ProposalVoid(proposalId, p.epoch, _epoch);
        if (_isExpired(p)) revert ProposalExpired(proposalId, p.expiresAt);
    }

    /// @dev Marks a live proposal cancelled.
    /// @param proposalId The proposal id.
    /// @param p Its storage record (checked live by the caller).
    /// @param by Who cancels: its proposer, or this contract for a committee vote.
    function _cancel(uint256 proposalId, Proposal storage p, address by) private {
        p.cancelled = true;
        emit ProposalCancelled(proposalId, by);
    }

    /// @dev Starts a new committee epoch: every proposal made before is void from here on. Called by
    /// each executed committee or threshold change (the constructor's committee is epoch 0).
    function _newEpoch() private {
        ++_epoch;
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
            _newEpoch();
        } else if (action == Action.RemoveCommitteeMember) {
            address member = abi.decode(data, (address));
            if (!_committee.remove(member)) revert NotCommitteeMember(member);
            if (_committee.length() < _threshold) revert ThresholdOutOfRange(_threshold, _committee.length());
            _newEpoch();
            emit CommitteeMemberRemoved(member);
        } else if (action == Action.ChangeThreshold) {
            _setThreshold(abi.decode(data, (uint32)));
            _newEpoch();
        } else if (action == Action.AdmitOrganisation) {
            (OrganisationInfo memory info, uint8 roles, address[] memory accounts, bytes32 nameKey) =
                abi.decode(data, (OrganisationInfo, uint8, address[], bytes32));
            _admit(info, roles, accounts, nameKey);
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
        } else if (action == Action.CancelProposal) {
            uint256 target = abi.decode(data, (uint256));
            _cancel(target, _requireOpen(target), address(this));
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

    /// @dev Admits an organisation under the next id, with its accounts, and reserves its name key.
    /// @param info Its descriptive facts (a name is required).
    /// @param roles Its role bitmask.
    /// @param accounts Its signing accounts (each must sign for no organisation yet).
    /// @param nameKey keccak256 of its normalised name, held by no organisation yet.
    function _admit(OrganisationInfo memory info, uint8 roles, address[] memory accounts, bytes32 nameKey)
        private
    {
        if (bytes(info.name).length == 0) revert EmptyName();
        if (nameKey == bytes32(0)) revert MissingNameKey();
        uint32 holder = _organisationByNameKey[nameKey];
        if (holder != 0) revert DuplicateName(nameKey, holder);
        _requireRoles(roles);
        uint32 orgId = ++_organisationCount;
        _organisationByNameKey[nameKey] = orgId;
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
