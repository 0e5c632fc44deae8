// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DePinFixture} from "./utils/DePinFixture.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";

/// @notice One product call per test, everything else prepared in setUp, so that `forge snapshot --isolate`
///         and `forge test --gas-report --isolate` give the cost of exactly that transaction.
contract Gas_Test is DePinFixture {
    NodeKey internal staker;
    NodeKey[] internal pipeA;
    NodeKey[] internal pipeB;
    bytes32 internal openJob;
    bytes32 internal submittedJob;
    IJobMarket.JobRequest internal nextRequest;
    // Nested struct arrays cannot live in storage (legacy codegen), so the calls are kept ABI-encoded.
    bytes internal submitCall;
    bytes internal finalizeCall;

    function setUp() public override {
        super.setUp();
        staker = _registerNode("staker");
        _stake(staker, MIN_STAKE);
        _mint(staker.operator, MIN_STAKE);
        vm.prank(staker.operator);
        token.approve(address(stakes), MIN_STAKE);

        NodeKey[] memory a = _eligibleNodes("a", 3);
        NodeKey[] memory b = _eligibleNodes("b", 3);
        for (uint256 i; i < 3; ++i) {
            pipeA.push(a[i]);
            pipeB.push(b[i]);
        }

        // A job already escrowed so the market's balance is warm, as on a live network.
        openJob = _createJob(client, _request(2));
        IJobMarket.ReplicaResult[] memory open = new IJobMarket.ReplicaResult[](2);
        open[0] = _replica(openJob, 0, a, "same", 200);
        open[1] = _replica(openJob, 1, b, "same", 200);
        submitCall = abi.encodeCall(market.submitResult, (openJob, open));

        IJobMarket.JobRequest memory req = _request(2);
        req.salt = bytes32(uint256(1));
        submittedJob = _createJob(client, req);
        IJobMarket.ReplicaResult[] memory sub = new IJobMarket.ReplicaResult[](2);
        sub[0] = _replica(submittedJob, 0, a, "same", 200);
        sub[1] = _replica(submittedJob, 1, b, "same", 200);
        market.submitResult(submittedJob, sub);
        IJobMarket.StageRecord[][] memory recs = new IJobMarket.StageRecord[][](2);
        recs[0] = _records(sub[0], a);
        recs[1] = _records(sub[1], b);
        finalizeCall = abi.encodeCall(market.finalize, (submittedJob, recs));

        nextRequest = _request(2);
        nextRequest.salt = bytes32(uint256(2));
        _mint(client, FEE);
        vm.prank(client);
        token.approve(address(market), FEE);
    }

    function test_gas_stake() public {
        vm.prank(staker.operator);
        stakes.stake(staker.node, MIN_STAKE);
    }

    function test_gas_requestUnbond() public {
        vm.prank(staker.operator);
        stakes.requestUnbond(staker.node, MIN_STAKE / 2);
    }

    function test_gas_withdraw() public {
        vm.prank(staker.operator);
        stakes.requestUnbond(staker.node, MIN_STAKE / 2);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.prank(staker.operator);
        stakes.withdraw(staker.node);
    }

    function test_gas_createJob() public {
        vm.prank(client);
        market.createJob(nextRequest);
    }

    function test_gas_submitResult_2x3() public {
        _call(submitCall);
    }

    function test_gas_finalize_2x3() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        _call(finalizeCall);
    }

    function test_gas_slash() public {
        game.slash(staker.node, MIN_STAKE / 2, uint64(block.timestamp), address(game));
    }

    function test_gas_claimCredit() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        _call(finalizeCall);
        market.claimCredit(pipeA[0].operator);
    }

    function _call(bytes memory _data) internal {
        // The prepared calldata is sent as is.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = address(market).call(_data);
        assertTrue(ok);
    }
}
