// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Clock} from "./Types.sol";

/// @title LibClock
/// @notice Packs and reads the {Clock} of one party (see its bit layout).
library LibClock {
    /// @notice Packs a clock.
    /// @param _used Seconds spent on finished turns.
    /// @param _startedAt Start of the current turn, zero when it is not the party's turn.
    /// @return clock_ The packed clock.
    function wrap(uint64 _used, uint64 _startedAt) internal pure returns (Clock clock_) {
        clock_ = Clock.wrap((uint128(_used) << 64) | _startedAt);
    }

    /// @notice Seconds spent on finished turns.
    /// @param _clock Clock.
    /// @return used_ Seconds.
    function used(Clock _clock) internal pure returns (uint64 used_) {
        used_ = uint64(Clock.unwrap(_clock) >> 64);
    }

    /// @notice Start of the current turn.
    /// @param _clock Clock.
    /// @return startedAt_ Timestamp, zero when it is not the party's turn.
    function startedAt(Clock _clock) internal pure returns (uint64 startedAt_) {
        // Safe cast: the mask keeps 64 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        startedAt_ = uint64(Clock.unwrap(_clock) & type(uint64).max);
    }

    /// @notice Last second at which the party may still move in its current turn.
    /// @param _clock Clock of the party on turn.
    /// @param _duration The clock's budget (CLOCK_DURATION); `used` never exceeds it.
    /// @return deadline_ startedAt + duration − used.
    function deadline(Clock _clock, uint64 _duration) internal pure returns (uint256 deadline_) {
        deadline_ = uint256(startedAt(_clock)) + _duration - used(_clock);
    }
}
