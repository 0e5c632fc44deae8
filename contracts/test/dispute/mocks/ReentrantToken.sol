// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DePinToken} from "../../../src/DePinToken.sol";

/// @notice A hostile token: once armed, the next transfer that matches (from, to) calls back into `target` with
///         `data` before moving the tokens, and records whether that reentrant call succeeded.
contract ReentrantToken is DePinToken {
    address public armedFrom;
    address public armedTo;
    address public target;
    bytes public data;
    uint256 public attempts;
    bool public lastSucceeded;
    bytes public lastResult;

    constructor() DePinToken("Hostile", "HST") {}

    /// @dev `address(0)` as from or to matches any account.
    function arm(address _from, address _to, address _target, bytes calldata _data) external {
        (armedFrom, armedTo, target, data) = (_from, _to, _target, _data);
    }

    function _update(address _from, address _to, uint256 _value) internal override {
        address callee = target;
        if (
            callee != address(0) && (armedFrom == address(0) || armedFrom == _from)
                && (armedTo == address(0) || armedTo == _to)
        ) {
            target = address(0); // once
            ++attempts;
            // The reentry attempt itself: an arbitrary call, recorded rather than bubbled.
            // solhint-disable-next-line avoid-low-level-calls
            (lastSucceeded, lastResult) = callee.call(data);
        }
        super._update(_from, _to, _value);
    }
}
