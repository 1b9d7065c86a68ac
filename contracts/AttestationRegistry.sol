// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICommitteeRevocation} from "./ICommitteeRevocation.sol";
import {IMembership} from "./IMembership.sol";
import {Roles} from "./Roles.sol";

/// @title AttestationRegistry
/// @notice Anchors sha256 digests of ESG documents for admitted organisations. Only the digest and
/// one packed slot of facts are stored; the reference and URI live in the `Attested` event.
/// @dev An attestation is identified by `uid = keccak256(abi.encode(orgId, digest))`, so each
/// organisation has its own record of a digest: a member that anchors another's digest first can
/// neither block it nor pass as its author. Every attestation of a digest is found through the
/// indexed `digest` topic of `Attested`. The committee revokes through {ICommitteeRevocation}, and only the
/// `membership` contract given at construction may call it.
/// A figures attestation carries at most one selective-disclosure root, bound to it here for good
/// (see {disclosureOf}): every reader of a disclosed figure checks it against the same tree.
/// A statement backing a carbon-neutrality claim records the credit blocks it retires
/// ({attestStatementWithCredits}), so a block claimed by two statements is visible to everyone.
contract AttestationRegistry is EIP712, Nonces, ICommitteeRevocation {
    /// @notice What was anchored. `Statement` needs the VERIFIER role; the others need PUBLISHER.
    /// `Disclosure` is the salted private-data root over one figures attestation's metrics (appended
    /// last so that the earlier kinds keep their numbers).
    enum Kind {
        None,
        Figures,
        Statement,
        File,
        Batch,
        Disclosure
    }

    /// @notice The stored facts of an attestation.
    /// @dev Exactly one storage slot: 160 + 32 + 32 + 16 + 8 + 8 bits. `attester` is zero for an id
    /// never attested. `blockNumber` is the block it landed in, from which a verifier replays who was
    /// authorised at that moment.
    struct Attestation {
        address attester;
        uint32 orgId;
        uint32 blockNumber;
        uint16 year;
        Kind kind;
        bool revoked;
    }

    /// @notice One block of retired carbon credits: units `first` to `last` (inclusive) of one issuance.
    /// @dev `issuance` is computed off-chain from the carbon registry's identifier and the issuance's own
    /// identifier (`keccak256(abi.encode(registry, issuance))`, both strings): serial numbers are only ever
    /// compared within one issuance of one registry, never across them.
    struct CreditBlock {
        bytes32 issuance;
        uint256 first;
        uint256 last;
    }

    /// @dev The EIP-712 type of the message {attestBySig} accepts.
    bytes32 private constant _ATTEST_TYPEHASH = keccak256(
        "Attest(bytes32 digest,uint8 kind,uint16 year,bytes32 ref,string uri,address attester,uint256 nonce,uint256 deadline)"
    );

    /// @notice Lowest reporting year accepted.
    uint16 public constant MIN_YEAR = 1990;
    /// @notice Highest reporting year accepted.
    uint16 public constant MAX_YEAR = 2100;

    /// @notice The consortium governance that says who may attest, and the only caller of
    /// {revokeByCommittee}.
    IMembership public immutable membership;

    /// @dev Every attestation by id.
    mapping(bytes32 uid => Attestation) private _attestations;
    /// @dev The restatement that replaced an attestation, zero while it is current.
    mapping(bytes32 uid => bytes32 replacement) private _supersededBy;
    /// @dev The one disclosure root bound to a figures attestation, zero while it has none. Never
    /// cleared: revoking the root does not free the slot (see {_bindDisclosure}).
    mapping(bytes32 figuresUid => bytes32 disclosureUid) private _disclosureOf;
    /// @dev The attestation a restatement replaces (the reverse of `_supersededBy`), so that revoking
    /// the restatement can make the attestation it replaced current again.
    mapping(bytes32 replacement => bytes32 uid) private _replaces;
    /// @dev The statement recorded as claiming a credit block, by `keccak256(abi.encode(issuance, first,
    /// last))`: the first live claim, so that an exact duplicate for another organisation or year is refused.
    mapping(bytes32 blockKey => bytes32 statementUid) private _creditClaimedBy;
    /// @dev The figures attestation a statement that claims credits covers: whose year the credits are for.
    mapping(bytes32 statementUid => bytes32 figuresUid) private _creditsFor;

    /// @notice A digest was anchored.
    /// @param uid The new attestation's id, `keccak256(abi.encode(orgId, digest))`.
    /// @param digest The anchored sha256; indexed so that every organisation's attestation of a document
    /// is found by one log query.
    /// @param orgId The organisation the attestation is for.
    /// @param attester The account that signed it (the caller, or the signer for {attestBySig}).
    /// @param kind What the document is.
    /// @param year The reporting year the document is about.
    /// @param ref The covered figures (statements), the disclosed figures (disclosure roots), the replaced
    /// attestation (restatements), or zero.
    /// @param uri Where the document can be obtained; empty for confidential documents.
    event Attested(
        bytes32 indexed uid,
        bytes32 indexed digest,
        uint32 indexed orgId,
        address attester,
        Kind kind,
        uint16 year,
        bytes32 ref,
        string uri
    );

    /// @notice An attestation was revoked.
    /// @param uid The revoked attestation.
    /// @param orgId The organisation that revoked its own attestation, or 0 when the committee revoked it
    /// by vote.
    /// @param by The revoking account, or the governance contract for a committee revocation.
    /// @param reason Why, as given by the revoker.
    event Revoked(bytes32 indexed uid, uint32 indexed orgId, address indexed by, string reason);

    /// @notice A restatement replaced an attestation: when it was anchored, or when the restatement in
    /// between was revoked after being restated itself. A revoked restatement's original is current again.
    /// @param uid The replaced attestation.
    /// @param replacement The restatement that replaces it.
    event Superseded(bytes32 indexed uid, bytes32 indexed replacement);

    /// @notice A verification statement covers a figures attestation.
    /// @param figuresUid The figures attestation covered.
    /// @param statementUid The verification statement's attestation.
    /// @param verifierOrgId The verification body's organisation.
    event Covered(bytes32 indexed figuresUid, bytes32 indexed statementUid, uint32 indexed verifierOrgId);

    /// @notice A disclosure root was bound to the figures attestation it discloses, as the only one it
    /// will ever have.
    /// @param figuresUid The figures attestation.
    /// @param disclosureUid The disclosure root's attestation.
    event DisclosureBound(bytes32 indexed figuresUid, bytes32 indexed disclosureUid);

    /// @notice A verification statement retires a block of carbon credits for a neutrality claim; every
    /// claim on an issuance is found by one log query on its topic.
    /// @param issuance The issuance the units belong to (see {CreditBlock}).
    /// @param statementUid The statement claiming them.
    /// @param first The first unit of the block.
    /// @param last The last unit of the block (inclusive).
    event CreditClaimed(bytes32 indexed issuance, bytes32 indexed statementUid, uint256 first, uint256 last);

    /// @notice A verification statement backs a carbon-neutrality claim with the credits it retires
    /// (one {CreditClaimed} per block, in the same transaction).
    /// @param statementUid The statement.
    /// @param figuresUid The figures attestation it covers.
    /// @param beneficiaryOrgId The organisation whose figures they are: the one the credits are retired for.
    /// @param year The figures' reporting year: the year the credits offset.
    /// @param residualTonnes The residual emissions the credits offset, in whole tonnes of CO2e rounded up.
    /// @param retiredTonnes The units the blocks cover together (one tonne each).
    event NeutralityClaimed(
        bytes32 indexed statementUid,
        bytes32 indexed figuresUid,
        uint32 indexed beneficiaryOrgId,
        uint16 year,
        uint256 residualTonnes,
        uint256 retiredTonnes
    );

    /// @notice The digest is zero, which no sha256 of a document is.
    error ZeroDigest();

    /// @notice The kind is `None`, which marks an absent record and cannot be anchored.
    /// @param kind The kind given.
    error InvalidKind(Kind kind);

    /// @notice The reporting year lies outside [{MIN_YEAR}, {MAX_YEAR}].
    /// @param year The year given.
    error YearOutOfRange(uint16 year);

    /// @notice The account signs for no organisation, or for one that was removed or holds no role.
    /// @param account The account refused.
    error NotMember(address account);

    /// @notice The account is frozen by the committee (suspected compromise).
    /// @param account The account refused.
    error AccountIsFrozen(address account);

    /// @notice The account's organisation lacks the role this kind of attestation needs.
    /// @param account The account refused.
    /// @param orgId Its organisation.
    /// @param role The role bit needed (see {Roles}).
    error MissingRole(address account, uint32 orgId, uint8 role);

    /// @notice The organisation already anchored this digest.
    /// @param uid The existing attestation.
    error AlreadyAttested(bytes32 uid);

    /// @notice No attestation has this id.
    /// @param uid The id given.
    error UnknownAttestation(bytes32 uid);

    /// @notice The attestation was revoked, so it can be neither referenced nor revoked again.
    /// @param uid The revoked attestation.
    error AttestationIsRevoked(bytes32 uid);

    /// @notice A verification statement must name the figures attestation it covers in `ref`.
    error StatementNeedsFigures();

    /// @notice A statement's `ref` is an attestation of another kind than figures.
    /// @param uid The attestation referenced.
    error NotFigures(bytes32 uid);

    /// @notice A verification body tried to cover its own organisation's figures.
    /// @param uid The figures attestation referenced.
    error SelfVerification(bytes32 uid);

    /// @notice The attestation belongs to another organisation than the caller's.
    /// @param uid The attestation referenced or revoked.
    /// @param orgId The caller's organisation.
    error NotYourAttestation(bytes32 uid, uint32 orgId);

    /// @notice A restatement must be of the same kind as the attestation it replaces.
    /// @param uid The attestation referenced.
    /// @param expected Its kind, which the restatement must have.
    error KindMismatch(bytes32 uid, Kind expected);

    /// @notice The attestation was already replaced by a restatement; restate the latest one instead.
    /// @param uid The attestation referenced.
    /// @param replacement The restatement that already replaced it.
    error AlreadySuperseded(bytes32 uid, bytes32 replacement);

    /// @notice A revocation needs a reason for the public record.
    error EmptyReason();

    /// @notice A disclosure root must name, in `ref`, the figures attestation it discloses.
    error DisclosureNeedsFigures();

    /// @notice The figures attestation already has its disclosure root; a second one (other values for
    /// the same figures) is refused.
    /// @param figuresUid The figures attestation referenced.
    /// @param existing The disclosure root's attestation already bound to it.
    error DisclosureAlreadyBound(bytes32 figuresUid, bytes32 existing);

    /// @notice The off-line signature's deadline has passed.
    /// @param deadline The deadline the signature carries (unix time).
    error SignatureExpired(uint256 deadline);

    /// @notice The signature is not `signer`'s over this `Attest` message, or its nonce was used.
    /// @param signer The account the relayer claimed signed it.
    error InvalidSignature(address signer);

    /// @notice A statement backing a neutrality claim must retire at least one block of credits.
    error NoCreditBlocks();

    /// @notice A credit block names no issuance, or ends before it starts.
    /// @param index The block's position in the list given.
    error InvalidCreditBlock(uint256 index);

    /// @notice Exactly this block is already claimed by a live statement for another organisation or year.
    /// @param issuance The block's issuance.
    /// @param first Its first unit.
    /// @param last Its last unit.
    /// @param statementUid The live statement that claims it.
    error CreditAlreadyClaimed(bytes32 issuance, uint256 first, uint256 last, bytes32 statementUid);

    /// @notice Deploy a registry that trusts `membership_` to say who may attest.
    /// @param membership_ The governance contract consulted on every attestation and revocation.
    constructor(IMembership membership_) EIP712("esg-attest AttestationRegistry", "1") {
        membership = membership_;
    }

    /// @notice Anchor `digest` for the caller's organisation.
    /// @dev The caller must be an unfrozen account of an active organisation holding PUBLISHER (VERIFIER
    /// for a statement). Emits {Attested}, and {Covered}, {Superseded} or {DisclosureBound} when `ref` is set.
    /// @param digest sha256 of the document (canonical form for structured documents).
    /// @param kind What the document is.
    /// @param year Reporting year the document is about.
    /// @param ref For a statement: the figures attestation it covers. For a disclosure root: the
    /// caller's own current figures attestation it discloses. Otherwise: zero, or the caller's own
    /// attestation of the same kind that this restatement supersedes.
    /// @param uri Where the document can be obtained (may be empty; documents may be confidential).
    /// @return uid The attestation's id.
    function attest(bytes32 digest, Kind kind, uint16 year, bytes32 ref, string calldata uri)
        external
        returns (bytes32 uid)
    {
        return _attest(msg.sender, digest, kind, year, ref, uri);
    }

    /// @notice Anchor an attestation signed off-line (EIP-712) by an authorised account; anyone may relay it.
    /// @dev The signer's nonce is consumed, so a signature lands at most once; the EIP-712 domain binds
    /// it to this chain id and this contract.
    /// @param digest sha256 of the document, as for {attest}.
    /// @param kind What the document is.
    /// @param year Reporting year the document is about.
    /// @param ref As for {attest}.
    /// @param uri As for {attest}.
    /// @param attester The signing account, whose organisation the attestation is for.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The attester's signature over the typed `Attest` message (EOA or ERC-1271).
    /// @return uid The attestation's id.
    function attestBySig(
        bytes32 digest,
        Kind kind,
        uint16 year,
        bytes32 ref,
        string calldata uri,
        address attester,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 uid) {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        bytes32 structHash = keccak256(
            abi.encode(
                _ATTEST_TYPEHASH, digest, kind, year, ref, keccak256(bytes(uri)), attester, _useNonce(attester), deadline
            )
        );
        if (!SignatureChecker.isValidSignatureNow(attester, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature(attester);
        }
        return _attest(attester, digest, kind, year, ref, uri);
    }

    /// @notice Anchor a verification statement that backs a carbon-neutrality claim, with the credit blocks
    /// it retires, so that anyone can find every claim on an issuance.
    /// @dev As {attest} for a statement, then one {CreditClaimed} per block and one {NeutralityClaimed}:
    /// constant gas per block. An exact duplicate of a block a live statement claims for another
    /// organisation or year is refused ({CreditAlreadyClaimed}); overlapping blocks are not (a verifier
    /// compares ranges off-chain from the events). The same organisation and year may be claimed again
    /// (a statement covering restated figures, a second statement on the same figures).
    /// @param digest sha256 of the statement (canonical form).
    /// @param year Reporting year the statement is about.
    /// @param ref The figures attestation it covers.
    /// @param uri Where the statement can be obtained (may be empty).
    /// @param residualTonnes The residual emissions offset, whole tonnes of CO2e rounded up.
    /// @param blocks The credit blocks retired (at least one).
    /// @return uid The statement's attestation id.
    function attestStatementWithCredits(
        bytes32 digest,
        uint16 year,
        bytes32 ref,
        string calldata uri,
        uint256 residualTonnes,
        CreditBlock[] calldata blocks
    ) external returns (bytes32 uid) {
        if (blocks.length == 0) revert NoCreditBlocks();
        uid = _attest(msg.sender, digest, Kind.Statement, year, ref, uri);
        _claimCredits(uid, ref, residualTonnes, blocks);
    }

    /// @notice Revoke one of the caller's organisation's attestations.
    /// @dev Any unfrozen account that still signs for the organisation may revoke, whichever role made the
    /// attestation, even once the organisation holds no role or was removed: withdrawing a claim only
    /// takes trust away, and the committee stops an account by freezing or removing it. The record stays,
    /// marked revoked. Emits {Revoked} with the caller's `orgId`.
    /// @param uid The attestation to revoke.
    /// @param reason Why, for the public record (required).
    function revoke(bytes32 uid, string calldata reason) external {
        (uint32 orgId,) = _requireAccount(msg.sender);
        Attestation storage a = _requireLive(uid);
        if (a.orgId != orgId) revert NotYourAttestation(uid, orgId);
        _revoke(a, uid, orgId, reason);
    }

    /// @inheritdoc ICommitteeRevocation
    /// @dev Emits {Revoked} with `orgId` 0 and `by` the governance contract.
    function revokeByCommittee(bytes32 uid, string calldata reason) external {
        if (msg.sender != address(membership)) revert NotCommittee(msg.sender);
        _revoke(_requireLive(uid), uid, 0, reason);
    }

    /// @notice The id an organisation's attestation of `digest` has (whether or not it exists).
    /// @param orgId The organisation.
    /// @param digest The document's sha256.
    /// @return The attestation id, `keccak256(abi.encode(orgId, digest))`.
    function uidOf(uint32 orgId, bytes32 digest) public pure returns (bytes32) {
        return keccak256(abi.encode(orgId, digest));
    }

    /// @notice The stored record of an attestation.
    /// @param uid The attestation id.
    /// @return The record; all zero (`attester` zero) when no attestation has this id.
    function getAttestation(bytes32 uid) external view returns (Attestation memory) {
        return _attestations[uid];
    }

    /// @notice An organisation's attestation of `digest`, in one lookup.
    /// @param orgId The organisation.
    /// @param digest The document's sha256.
    /// @return uid The attestation id ({uidOf}).
    /// @return attestation The record, all zero when the organisation never anchored `digest`.
    function attestationOf(uint32 orgId, bytes32 digest)
        external
        view
        returns (bytes32 uid, Attestation memory attestation)
    {
        uid = uidOf(orgId, digest);
        attestation = _attestations[uid];
    }

    /// @notice The restatement that replaced an attestation.
    /// @param uid The attestation id.
    /// @return The replacing attestation's id, or zero while `uid` is current (or unknown).
    function supersededBy(bytes32 uid) external view returns (bytes32) {
        return _supersededBy[uid];
    }

    /// @notice The disclosure root bound to a figures attestation: the only one a verifier accepts.
    /// @param figuresUid The figures attestation id.
    /// @return The disclosure root's attestation id, or zero while none is bound (or `figuresUid` is
    /// unknown). It stays bound when revoked.
    function disclosureOf(bytes32 figuresUid) external view returns (bytes32) {
        return _disclosureOf[figuresUid];
    }

    /// @notice The EIP-712 domain separator signatures for {attestBySig} must use.
    /// @return The separator for this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Checks and stores one attestation for `attester`'s organisation; the shared body of
    /// {attest} and {attestBySig}.
    /// @param attester The authorised account the attestation is made by.
    /// @param digest sha256 of the document.
    /// @param kind What the document is.
    /// @param year Reporting year.
    /// @param ref Covered figures, replaced attestation, or zero.
    /// @param uri Where the document can be obtained.
    /// @return uid The new attestation's id.
    function _attest(address attester, bytes32 digest, Kind kind, uint16 year, bytes32 ref, string calldata uri)
        private
        returns (bytes32 uid)
    {
        if (digest == bytes32(0)) revert ZeroDigest();
        if (kind == Kind.None) revert InvalidKind(kind);
        if (year < MIN_YEAR || year > MAX_YEAR) revert YearOutOfRange(year);
        (uint32 orgId, uint8 roles) = _requireActiveAccount(attester);
        uint8 role = kind == Kind.Statement ? Roles.VERIFIER : Roles.PUBLISHER;
        if (roles & role == 0) revert MissingRole(attester, orgId, role);

        uid = uidOf(orgId, digest);
        if (_attestations[uid].attester != address(0)) revert AlreadyAttested(uid);
        if (kind == Kind.Disclosure) {
            _bindDisclosure(uid, orgId, ref);
        } else if (ref != bytes32(0)) {
            _link(uid, orgId, kind, ref);
        } else if (kind == Kind.Statement) {
            revert StatementNeedsFigures();
        }
        // SafeCast: 2^32 blocks is over a century at one block per second, but past it the registry must
        // refuse rather than record a wrapped block number that verification would trust.
        _attestations[uid] = Attestation(attester, orgId, SafeCast.toUint32(block.number), year, kind, false);
        emit Attested(uid, digest, orgId, attester, kind, year, ref, uri);
    }

    /// @dev A statement covers someone else's live figures; any other reference is a restatement
    /// of the organisation's own live, not yet superseded attestation of the same kind.
    /// @param uid The new attestation.
    /// @param orgId Its organisation.
    /// @param kind Its kind.
    /// @param ref The attestation it covers or replaces.
    function _link(bytes32 uid, uint32 orgId, Kind kind, bytes32 ref) private {
        Attestation storage target = _requireLive(ref);
        if (kind == Kind.Statement) {
            if (target.kind != Kind.Figures) revert NotFigures(ref);
            if (target.orgId == orgId) revert SelfVerification(ref);
            emit Covered(ref, uid, orgId);
        } else {
            if (target.orgId != orgId) revert NotYourAttestation(ref, orgId);
            if (target.kind != kind) revert KindMismatch(ref, target.kind);
            bytes32 replacement = _supersededBy[ref];
            if (replacement != bytes32(0)) revert AlreadySuperseded(ref, replacement);
            _supersededBy[ref] = uid;
            _replaces[uid] = ref;
            emit Superseded(ref, uid);
        }
    }

    // ---- disclosure roots: one per figures attestation ----

    /// @dev Binds the disclosure root `uid` to `figuresUid`, the organisation's own figures, which must
    /// be live and current (restated figures get a root of their own). At most once per figures: a
    /// second root would let a publisher show one reader other values than another. A revoked root
    /// keeps the slot, else revoke-and-rebind would do the same one reader at a time; to disclose
    /// other values the organisation restates the figures, which is on the record.
    /// @param uid The new disclosure root's attestation.
    /// @param orgId Its organisation.
    /// @param figuresUid The figures attestation it discloses (the `ref` given).
    function _bindDisclosure(bytes32 uid, uint32 orgId, bytes32 figuresUid) private {
        if (figuresUid == bytes32(0)) revert DisclosureNeedsFigures();
        Attestation storage figures = _requireLive(figuresUid);
        if (figures.kind != Kind.Figures) revert NotFigures(figuresUid);
        if (figures.orgId != orgId) revert NotYourAttestation(figuresUid, orgId);
        bytes32 replacement = _supersededBy[figuresUid];
        if (replacement != bytes32(0)) revert AlreadySuperseded(figuresUid, replacement);
        bytes32 existing = _disclosureOf[figuresUid];
        if (existing != bytes32(0)) revert DisclosureAlreadyBound(figuresUid, existing);
        _disclosureOf[figuresUid] = uid;
        emit DisclosureBound(figuresUid, uid);
    }

    // ---- end of disclosure roots ----

    // ---- credit claims ----

    /// @dev Records the credit blocks statement `uid` retires for the figures `figuresUid` (checked live
    /// figures of another organisation by {_link}). A block's key holds the first live statement that
    /// claimed it; a revoked holder gives way to the new claim.
    /// @param uid The statement's attestation.
    /// @param figuresUid The figures it covers.
    /// @param residualTonnes The residual emissions offset, whole tonnes rounded up.
    /// @param blocks The credit blocks retired.
    function _claimCredits(bytes32 uid, bytes32 figuresUid, uint256 residualTonnes, CreditBlock[] calldata blocks)
        private
    {
        Attestation storage figures = _attestations[figuresUid];
        uint32 orgId = figures.orgId;
        uint16 year = figures.year;
        _creditsFor[uid] = figuresUid;
        uint256 retired;
        for (uint256 i; i < blocks.length; ++i) {
            CreditBlock calldata b = blocks[i];
            if (b.issuance == bytes32(0) || b.last < b.first) revert InvalidCreditBlock(i);
            retired += b.last - b.first + 1;
            bytes32 key = keccak256(abi.encode(b.issuance, b.first, b.last));
            bytes32 holder = _creditClaimedBy[key];
            if (holder == bytes32(0) || _attestations[holder].revoked) {
                _creditClaimedBy[key] = uid;
            } else if (!_sameBeneficiary(holder, orgId, year)) {
                revert CreditAlreadyClaimed(b.issuance, b.first, b.last, holder);
            }
            emit CreditClaimed(b.issuance, uid, b.first, b.last);
        }
        emit NeutralityClaimed(uid, figuresUid, orgId, year, residualTonnes, retired);
    }

    /// @dev Whether the credits statement `holder` claims are for organisation `orgId` and year `year`:
    /// the same claim made again, which is no double count.
    /// @param holder A statement that claims credits.
    /// @param orgId The organisation of the figures covered by the new claim.
    /// @param year Their reporting year.
    /// @return Whether the figures `holder` covers are that organisation's for that year.
    function _sameBeneficiary(bytes32 holder, uint32 orgId, uint16 year) private view returns (bool) {
        Attestation storage figures = _attestations[_creditsFor[holder]];
        return figures.orgId == orgId && figures.year == year;
    }

    // ---- end of credit claims ----

    /// @dev Marks `a` revoked and logs why; the callers have checked who may revoke it. A revoked
    /// restatement replaces nothing: the attestation it replaced is current again (and may be restated
    /// again), or, when the restatement was itself restated, is superseded by that newer restatement,
    /// so every superseded attestation points at a live one.
    /// @param a The live attestation's storage record.
    /// @param uid Its id.
    /// @param orgId The revoking organisation, 0 for the committee.
    /// @param reason Why (must not be empty).
    function _revoke(Attestation storage a, bytes32 uid, uint32 orgId, string calldata reason) private {
        if (bytes(reason).length == 0) revert EmptyReason();
        a.revoked = true;
        emit Revoked(uid, orgId, msg.sender, reason);
        // While a restatement is live, the attestation it replaces is superseded by it (and by nothing else).
        bytes32 original = _replaces[uid];
        if (original != bytes32(0)) {
            bytes32 next = _supersededBy[uid];
            _supersededBy[original] = next;
            if (next != bytes32(0)) {
                _replaces[next] = original;
                emit Superseded(original, next);
            }
        }
    }

    /// @dev Reverts unless `uid` exists and is not revoked (superseded attestations are still live).
    /// @param uid The attestation id.
    /// @return a Its storage record.
    function _requireLive(bytes32 uid) private view returns (Attestation storage a) {
        a = _attestations[uid];
        if (a.attester == address(0)) revert UnknownAttestation(uid);
        if (a.revoked) revert AttestationIsRevoked(uid);
    }

    /// @dev Reverts unless `account` is an unfrozen account of an active organisation holding a role.
    /// @param account The account to check.
    /// @return orgId Its organisation.
    /// @return roles The organisation's role bitmask (never 0).
    function _requireActiveAccount(address account) private view returns (uint32 orgId, uint8 roles) {
        bool frozen;
        (orgId, roles, frozen) = membership.accountStatus(account);
        if (orgId == 0 || roles == 0) revert NotMember(account);
        if (frozen) revert AccountIsFrozen(account);
    }

    /// @dev Reverts unless `account` is an unfrozen account that signs for an organisation, whatever the
    /// organisation's roles or standing: what revoking its attestations needs. Kept apart from
    /// {_requireActiveAccount} so that anchoring, the hot path, pays for no extra call.
    /// @param account The account to check.
    /// @return orgId Its organisation.
    /// @return roles The organisation's role bitmask (0 once all were revoked or it was removed).
    function _requireAccount(address account) private view returns (uint32 orgId, uint8 roles) {
        bool frozen;
        (orgId, roles, frozen) = membership.accountStatus(account);
        if (orgId == 0) revert NotMember(account);
        if (frozen) revert AccountIsFrozen(account);
    }
}
