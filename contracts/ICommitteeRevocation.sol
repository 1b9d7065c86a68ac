// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ICommitteeRevocation
/// @notice What the consortium governance calls on a registry to revoke an attestation by committee vote.
/// @dev The governance contract's `RevokeAttestation` action decodes `(address registry, bytes32 uid,
/// string reason)` from the executed proposal and calls {revokeByCommittee} on `registry`. A registry
/// implementing this interface must accept the call only from the governance contract it trusts.
interface ICommitteeRevocation {
    /// @notice The caller is not the governance contract this registry trusts for committee votes.
    /// @param account The caller that was refused.
    error NotCommittee(address account);

    /// @notice Revoke any attestation, whoever made it, because the committee voted for it.
    /// @dev Reverts with {NotCommittee} unless called by the trusted governance contract. A revocation
    /// is final: the attestation stays on record, marked revoked, with `reason` in the log.
    /// @param uid The attestation to revoke (it must exist and not already be revoked).
    /// @param reason Why, for the public record (must not be empty).
    function revokeByCommittee(bytes32 uid, string calldata reason) external;
}
