// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Roles
/// @notice Role bits an admitted organisation can hold. A bitmask, so one organisation may hold several.
library Roles {
    /// @notice May anchor ESG figures, reports and batch roots.
    uint8 internal constant PUBLISHER = 1;
    /// @notice May anchor carbon verification statements covering another organisation's figures.
    uint8 internal constant VERIFIER = 2;
    /// @notice Every defined role bit; anything else is invalid.
    uint8 internal constant ALL = PUBLISHER | VERIFIER;
}
