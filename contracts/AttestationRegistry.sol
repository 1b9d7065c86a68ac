// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IMembership} from "./IMembership.sol";
import {Roles} from "./Roles.sol";

/// @title AttestationRegistry
/// @notice Anchors sha256 digests of ESG documents for admitted organisations. Only the digest and
/// one packed slot of facts are stored; the reference and URI live in the `Attested` event.
/// @dev An attestation is identified by `uid = keccak256(abi.encode(orgId, digest))`, so each
/// organisation has its own record of a digest: a member that anchors another's digest first can
/// neither block it nor pass as its author. Every attestation of a digest is found through the
/// indexed `digest` topic of `Attested`.
contract AttestationRegistry is EIP712, Nonces {
    /// @notice What was anchored. `Statement` needs the VERIFIER role; the others need PUBLISHER.
    enum Kind {
        None,
        Figures,
        Statement,
        File,
        Batch
    }

    /// @dev Exactly one storage slot: 160 + 32 + 32 + 16 + 8 + 8 bits.
    struct Attestation {
        address attester;
        uint32 orgId;
        uint32 blockNumber;
        uint16 year;
        Kind kind;
        bool revoked;
    }

    bytes32 private constant _ATTEST_TYPEHASH = keccak256(
        "Attest(bytes32 digest,uint8 kind,uint16 year,bytes32 ref,string uri,address attester,uint256 nonce,uint256 deadline)"
    );

    /// @notice Lowest and highest reporting year accepted.
    uint16 public constant MIN_YEAR = 1990;
    uint16 public constant MAX_YEAR = 2100;

    /// @notice The consortium governance that says who may attest.
    IMembership public immutable membership;

    mapping(bytes32 uid => Attestation) private _attestations;
    mapping(bytes32 uid => bytes32 replacement) private _supersededBy;

    /// @notice A digest was anchored. `ref` is the covered figures (statements) or the replaced
    /// attestation (restatements), zero when none.
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
    /// @notice An attestation was revoked; `orgId` is 0 when the committee revoked it by vote.
    event Revoked(bytes32 indexed uid, uint32 indexed orgId, address indexed by, string reason);
    /// @notice A restatement replaced an attestation.
    event Superseded(bytes32 indexed uid, bytes32 indexed replacement);
    /// @notice A verification statement covers a figures attestation.
    event Covered(bytes32 indexed figuresUid, bytes32 indexed statementUid, uint32 indexed verifierOrgId);

    error ZeroDigest();
    error InvalidKind(Kind kind);
    error YearOutOfRange(uint16 year);
    error NotMember(address account);
    error AccountIsFrozen(address account);
    error MissingRole(address account, uint32 orgId, uint8 role);
    error AlreadyAttested(bytes32 uid);
    error UnknownAttestation(bytes32 uid);
    error AttestationIsRevoked(bytes32 uid);
    error StatementNeedsFigures();
    error NotFigures(bytes32 uid);
    error SelfVerification(bytes32 uid);
    error NotYourAttestation(bytes32 uid, uint32 orgId);
    error KindMismatch(bytes32 uid, Kind expected);
    error AlreadySuperseded(bytes32 uid, bytes32 replacement);
    error EmptyReason();
    error NotCommittee(address account);
    error SignatureExpired(uint256 deadline);
    error InvalidSignature(address signer);

    /// @param membership_ The governance contract consulted on every attestation and revocation.
    constructor(IMembership membership_) EIP712("esg-attest AttestationRegistry", "1") {
        membership = membership_;
    }

    /// @notice Anchor `digest` for the caller's organisation.
    /// @param digest sha256 of the document (canonical form for structured documents).
    /// @param kind What the document is.
    /// @param year Reporting year the document is about.
    /// @param ref For a statement: the figures attestation it covers. Otherwise: zero, or the
    /// caller's own attestation of the same kind that this restatement supersedes.
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
    /// @param attester The signing account, whose organisation the attestation is for.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The attester's signature over the typed `Attest` message.
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

    /// @notice Revoke one of the caller's organisation's attestations.
    /// @param uid The attestation to revoke.
    /// @param reason Why, for the public record (required).
    function revoke(bytes32 uid, string calldata reason) external {
        (uint32 orgId,,) = _requireActiveAccount(msg.sender);
        Attestation storage a = _requireLive(uid);
        if (a.orgId != orgId) revert NotYourAttestation(uid, orgId);
        _revoke(a, uid, orgId, reason);
    }

    /// @notice Revoke any attestation after a committee vote; callable only by the governance contract.
    /// @param uid The attestation to revoke.
    /// @param reason Why, for the public record (required).
    function revokeByCommittee(bytes32 uid, string calldata reason) external {
        if (msg.sender != address(membership)) revert NotCommittee(msg.sender);
        _revoke(_requireLive(uid), uid, 0, reason);
    }

    /// @notice The id an organisation's attestation of `digest` has (whether or not it exists).
    function uidOf(uint32 orgId, bytes32 digest) public pure returns (bytes32) {
        return keccak256(abi.encode(orgId, digest));
    }

    /// @notice The stored record of an attestation; `attester` is zero when none exists.
    function getAttestation(bytes32 uid) external view returns (Attestation memory) {
        return _attestations[uid];
    }

    /// @notice An organisation's attestation of `digest`, in one lookup.
    function attestationOf(uint32 orgId, bytes32 digest)
        external
        view
        returns (bytes32 uid, Attestation memory attestation)
    {
        uid = uidOf(orgId, digest);
        attestation = _attestations[uid];
    }

    /// @notice The restatement that replaced `uid`, or zero.
    function supersededBy(bytes32 uid) external view returns (bytes32) {
        return _supersededBy[uid];
    }

    /// @notice The EIP-712 domain separator signatures for {attestBySig} must use.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _attest(address attester, bytes32 digest, Kind kind, uint16 year, bytes32 ref, string calldata uri)
        private
        returns (bytes32 uid)
    {
        if (digest == bytes32(0)) revert ZeroDigest();
        if (kind == Kind.None) revert InvalidKind(kind);
        if (year < MIN_YEAR || year > MAX_YEAR) revert YearOutOfRange(year);
        (uint32 orgId, uint8 roles,) = _requireActiveAccount(attester);
        uint8 role = kind == Kind.Statement ? Roles.VERIFIER : Roles.PUBLISHER;
        if (roles & role == 0) revert MissingRole(attester, orgId, role);

        uid = uidOf(orgId, digest);
        if (_attestations[uid].attester != address(0)) revert AlreadyAttested(uid);
        if (ref != bytes32(0)) {
            _link(uid, orgId, kind, ref);
        } else if (kind == Kind.Statement) {
            revert StatementNeedsFigures();
        }
        _attestations[uid] = Attestation(attester, orgId, uint32(block.number), year, kind, false);
        emit Attested(uid, digest, orgId, attester, kind, year, ref, uri);
    }

    /// @dev A statement covers someone else's live figures; any other reference is a restatement
    /// of the organisation's own live, not yet superseded attestation of the same kind.
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
            emit Superseded(ref, uid);
        }
    }

    function _revoke(Attestation storage a, bytes32 uid, uint32 orgId, string calldata reason) private {
        if (bytes(reason).length == 0) revert EmptyReason();
        a.revoked = true;
        emit Revoked(uid, orgId, msg.sender, reason);
    }

    function _requireLive(bytes32 uid) private view returns (Attestation storage a) {
        a = _attestations[uid];
        if (a.attester == address(0)) revert UnknownAttestation(uid);
        if (a.revoked) revert AttestationIsRevoked(uid);
    }

    function _requireActiveAccount(address account) private view returns (uint32 orgId, uint8 roles, bool frozen) {
        (orgId, roles, frozen) = membership.accountStatus(account);
        if (orgId == 0 || roles == 0) revert NotMember(account);
        if (frozen) revert AccountIsFrozen(account);
    }
}
