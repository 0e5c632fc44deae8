// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../../../src/dispute/interfaces/IDisputeGame.sol";
import {Phase} from "../../../src/dispute/lib/Types.sol";
import {DisputeGameFixture} from "../utils/DisputeGameFixture.sol";
import {DisputeGameHandler} from "./DisputeGameHandler.sol";

/// @notice Invariants of the dispute game under random play (see DisputeGameHandler): it stays solvent, and no
///         dispute can stay undecidable longer than maxDisputeDuration.
contract DisputeGame_Invariant_Test is DisputeGameFixture {
    DisputeGameHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new DisputeGameHandler(token, stakes, market, dg, _keys(pipeA), _keys(pipeB));
        // A few disputes in flight before the fuzzer starts.
        handler.openDispute(0);
        handler.openDispute(1 << 8 | 7 << 16 | 2 << 24 | 1 << 64);
        handler.openDispute(2 | 5 << 16 | 4 << 24 | 2 << 64);
        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = DisputeGameHandler.openDispute.selector;
        selectors[1] = DisputeGameHandler.move.selector;
        selectors[2] = DisputeGameHandler.warp.selector;
        selectors[3] = DisputeGameHandler.resolve.selector;
        selectors[4] = DisputeGameHandler.claim.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev The game holds exactly the bonds of unresolved disputes plus unclaimed credits (slash rewards arrive
    ///      and are credited in the same call).
    function invariant_solvency() public view {
        uint256 held;
        uint256 n = handler.disputeCount();
        for (uint256 i; i < n; ++i) {
            if (dg.getDispute(handler.disputeIds(i)).phase != Phase.Resolved) held += BOND;
        }
        uint256 accounts = handler.accountCount();
        for (uint256 i; i < accounts; ++i) {
            held += dg.creditOf(handler.accountAt(i));
        }
        assertEq(token.balanceOf(address(dg)), held);
        assertGe(handler.ghostBondsIn() + token.balanceOf(address(0xdEaD)), handler.ghostClaimed());
    }

    /// @dev The side on turn always has to move by openedAt + maxDuration (<= maxDisputeDuration): after that,
    ///      every dispute is decided or can be resolved by timeout.
    function invariant_boundedDuration() public view {
        uint256 limit = dg.maxDuration();
        assertLe(limit, MAX_DISPUTE_DURATION);
        uint256 n = handler.disputeCount();
        for (uint256 i; i < n; ++i) {
            IDisputeGame.DisputeInfo memory info = dg.getDispute(handler.disputeIds(i));
            if (info.phase == Phase.Decided || info.phase == Phase.Resolved) continue;
            assertLe(info.deadline, info.openedAt + limit);
            if (block.timestamp > info.openedAt + limit) assertGt(block.timestamp, info.deadline);
        }
    }

    /// @dev A resolved dispute leaves no freeze behind: the job and every node are unfrozen once all are settled.
    function invariant_freezesMatchOpenDisputes() public view {
        uint256 n = handler.disputeCount();
        uint256 open;
        for (uint256 i; i < n; ++i) {
            if (dg.getDispute(handler.disputeIds(i)).phase != Phase.Resolved) ++open;
        }
        if (open == 0) {
            for (uint256 i; i < pipeA.length; ++i) {
                assertEq(stakes.freezeCountOf(pipeA[i].node), 0);
            }
            for (uint256 i; i < pipeB.length; ++i) {
                assertEq(stakes.freezeCountOf(pipeB[i].node), 0);
            }
        }
    }

    function afterInvariant() external view {
        // The fuzzer must have exercised the game, not only warped.
        assertGt(handler.calls("open"), 0);
    }
}
