// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DePinFixture} from "../utils/DePinFixture.sol";
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {JobMarketHandler} from "./handlers/JobMarketHandler.sol";

contract JobMarket_Invariant_Test is DePinFixture {
    JobMarketHandler internal handler;

    function setUp() public override {
        super.setUp();
        NodeKey[] memory one = _eligibleNodes("inv-a", 3);
        NodeKey[] memory two = _eligibleNodes("inv-b", 3);
        handler = new JobMarketHandler(token, stakes, market, game, one, two);
        // A few jobs in flight before the fuzzer starts.
        handler.createJob(0, FEE, true, 1 hours);
        handler.createJob(1, FEE, false, 1 hours);
        handler.createJob(2, FEE, true, 1 hours);
        handler.submitResult(0, true, 100);
        handler.submitResult(1, false, 100);
        bytes4[] memory selectors = new bytes4[](11);
        selectors[0] = JobMarketHandler.createJob.selector;
        selectors[1] = JobMarketHandler.submitResult.selector;
        selectors[2] = JobMarketHandler.finalize.selector;
        selectors[3] = JobMarketHandler.refundExpired.selector;
        selectors[4] = JobMarketHandler.claimCredit.selector;
        selectors[5] = JobMarketHandler.warp.selector;
        selectors[6] = JobMarketHandler.openDispute.selector;
        selectors[7] = JobMarketHandler.resolveDispute.selector;
        selectors[8] = JobMarketHandler.payHonestReplica.selector;
        selectors[9] = JobMarketHandler.createJobFor.selector;
        selectors[10] = JobMarketHandler.payFromSlash.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Escrow held = fees of jobs not yet settled (Open or Submitted) + credits not yet claimed.
    function invariant_balanceEqualsUnsettledFeesPlusCredits() public view {
        uint256 expected;
        uint256 jobs = handler.jobCount();
        for (uint256 i; i < jobs; ++i) {
            IJobMarket.JobInfo memory job = market.getJob(handler.jobAt(i));
            if (job.status == IJobMarket.JobStatus.Open || job.status == IJobMarket.JobStatus.Submitted) {
                expected += job.fee;
            }
        }
        uint256 accounts = handler.accountCount();
        for (uint256 i; i < accounts; ++i) {
            expected += market.creditOf(handler.accountAt(i));
        }
        assertEq(token.balanceOf(address(market)), expected);
    }

    /// @dev Every fee paid in is still in the market or was claimed by its rightful recipient.
    function invariant_conservation() public view {
        assertEq(handler.ghostDeposited(), token.balanceOf(address(market)) + handler.ghostClaimed());
    }

    /// @dev Nothing is paid out before the challenge window closes (or the deadline passes, for refunds), nor while
    ///      a dispute is open, nor to a replica proven wrong; every settlement credits exactly the job's fee.
    function invariant_noPaymentBeforeItIsDue() public view {
        assertFalse(handler.ghostPaidEarly());
        assertFalse(handler.ghostPaidWhileFrozen());
        assertFalse(handler.ghostPaidWrongReplica());
        assertFalse(handler.ghostCreditMismatch());
    }
}
