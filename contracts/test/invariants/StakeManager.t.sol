// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DePinFixture} from "../utils/DePinFixture.sol";
import {IStakeManager} from "../../src/interfaces/IStakeManager.sol";
import {StakeManagerHandler} from "./handlers/StakeManagerHandler.sol";

contract StakeManager_Invariant_Test is DePinFixture {
    StakeManagerHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[] memory nodes = new address[](3);
        address[] memory operators = new address[](3);
        for (uint256 i; i < 3; ++i) {
            NodeKey memory k = _registerNode(string.concat("inv", vm.toString(i)));
            nodes[i] = k.node;
            operators[i] = k.operator;
        }
        handler = new StakeManagerHandler(token, stakes, game, deployer, nodes, operators);
        for (uint256 i; i < 3; ++i) {
            handler.stake(i, 10 * MIN_STAKE);
        }
        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = StakeManagerHandler.stake.selector;
        selectors[1] = StakeManagerHandler.requestUnbond.selector;
        selectors[2] = StakeManagerHandler.withdraw.selector;
        selectors[3] = StakeManagerHandler.slash.selector;
        selectors[4] = StakeManagerHandler.freeze.selector;
        selectors[5] = StakeManagerHandler.unfreeze.selector;
        selectors[6] = StakeManagerHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Tokens held by the StakeManager are exactly active plus unbonding stake, nothing else.
    function invariant_balanceEqualsActivePlusUnbonding() public view {
        uint256 sum;
        uint256 n = handler.nodeCount();
        for (uint256 i; i < n; ++i) {
            address node = handler.nodeAt(i);
            sum += stakes.activeStake(node) + stakes.unbondingStake(node);
        }
        assertEq(token.balanceOf(address(stakes)), sum);
    }

    /// @dev Each node's unbonding total is the sum of its entries; entries are sorted and within the cap.
    function invariant_unbondingEqualsEntries() public view {
        uint256 n = handler.nodeCount();
        for (uint256 i; i < n; ++i) {
            address node = handler.nodeAt(i);
            IStakeManager.Unbonding[] memory entries = stakes.getUnbondings(node);
            assertLe(entries.length, stakes.MAX_UNBONDINGS());
            uint256 sum;
            for (uint256 j; j < entries.length; ++j) {
                sum += entries[j].amount;
                assertGt(entries[j].amount, 0);
                if (j != 0) assertGt(entries[j].startedAt, entries[j - 1].startedAt);
            }
            assertEq(stakes.unbondingStake(node), sum);
            assertEq(stakes.unbondingStake(node), handler.shadowUnbonding(node));
            assertEq(stakes.activeStake(node), handler.shadowActiveOf(node));
        }
    }

    /// @dev No withdraw ever paid an entry before its release time, or while the node was frozen.
    function invariant_noWithdrawalBeforeRelease() public view {
        assertFalse(handler.ghostEarlyWithdrawal());
        assertFalse(handler.ghostFrozenWithdrawal());
    }

    /// @dev No slash took more than the node had (nor other than what the infraction-time rule allows).
    function invariant_slashNeverExceedsHoldings() public view {
        assertFalse(handler.ghostOverSlash());
        assertFalse(handler.ghostShadowMismatch());
    }

    /// @dev Every token staked is still held, was withdrawn by its operator, or was slashed.
    function invariant_conservation() public view {
        assertEq(
            handler.ghostStakedIn(),
            token.balanceOf(address(stakes)) + handler.ghostWithdrawn() + handler.ghostSlashed()
        );
    }
}
