// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Placeholder verifier contract for model registration in tests (the registry only needs code there).
contract MockStepVerifier {
    function name() external pure returns (string memory name_) {
        name_ = "mock";
    }
}
