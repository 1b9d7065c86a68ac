// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IMembership
/// @notice What the registry asks the consortium before every attestation or revocation.
/// @dev Kept to one call that costs two storage reads, so anchoring stays cheap.
interface IMembership {
    /// @notice Current standing of a signing account.
    /// @param account The signing account.
    /// @return orgId The organisation the account signs for (0 if none).
    /// @return roles The organisation's role bitmask (0 if the organisation was removed).
    /// @return frozen Whether the account is frozen (suspected compromise).
    function accountStatus(address account) external view returns (uint32 orgId, uint8 roles, bool frozen);
}
