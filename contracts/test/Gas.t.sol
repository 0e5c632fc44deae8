// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {DePinFixture} from "./utils/DePinFixture.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";

/// @notice One product call per test, everything else prepared in setUp. Under `--isolate` every top-level call is
///         its own transaction and `vm.lastCallGas().gasTotalUsed` is that transaction's full gas (intrinsic
///         21 000 + calldata + execution - refunds), the figure an anvil receipt shows; each test logs it and checks
///         the goals (without `--isolate` the figure is execution only, so the checks still hold).
///         contracts/GAS.md: `forge test --isolate --match-contract Gas_Test -vv`.
contract Gas_Test is DePinFixture {
    NodeKey internal staker;
    NodeKey[] internal pipeA;
    NodeKey[] internal pipeB;
    bytes32 internal openJob;
    bytes32 internal submittedJob;
    // Nested struct arrays cannot live in storage (legacy codegen), so the calls are kept ABI-encoded, as the code
    // of two otherwise empty accounts: reading them back costs a few thousand gas, not a storage slot per word.
    address internal constant SUBMIT_CALL = address(uint160(uint256(keccak256("gas.submitResult"))));
    address internal constant FINALIZE_CALL = address(uint160(uint256(keccak256("gas.finalize"))));

    function setUp() public override {
        super.setUp();
        staker = _registerNode("staker");
        _stake(staker, MIN_STAKE);
        // Balances that stay non-zero and an unlimited allowance, as for a live operator and client (emptying a
        // balance would earn a storage refund that flatters the figures).
        _mint(staker.operator, 10 * MIN_STAKE);
        vm.prank(staker.operator);
        token.approve(address(stakes), type(uint256).max);

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
        vm.etch(SUBMIT_CALL, abi.encodeCall(market.submitResult, (openJob, open)));

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
        vm.etch(FINALIZE_CALL, abi.encodeCall(market.finalize, (submittedJob, recs)));

        _mint(client, 10 * FEE);
        vm.prank(client);
        token.approve(address(market), type(uint256).max);
    }

    function test_gas_registerModel() public {
        IModelRegistry.ModelDims memory dims = _dims();
        registry.registerModel(keccak256("gas-model"), WEIGHTS_ROOT, dims, address(verifier), "ipfs://stories260K");
        _report("ModelRegistry.registerModel");
    }

    function test_gas_registerNode() public {
        (address node, uint256 key) = makeAddrAndKey("gas-node-key");
        address operator = makeAddr("gas-node-operator");
        bytes memory sig = _signDigest(key, stakes.nodeKeyDigest(operator));
        IStakeManager.HardwareProfile memory hw = _hardware();
        vm.prank(operator);
        stakes.registerNode(node, "https://gas-node.example:7443", hw, sig);
        _report("StakeManager.registerNode (separate node key)");
    }

    function test_gas_stake() public {
        vm.prank(staker.operator);
        stakes.stake(staker.node, MIN_STAKE);
        _report("StakeManager.stake (top-up)");
    }

    function test_gas_requestUnbond() public {
        vm.prank(staker.operator);
        stakes.requestUnbond(staker.node, MIN_STAKE / 2);
        _report("StakeManager.requestUnbond");
    }

    function test_gas_withdraw() public {
        vm.prank(staker.operator);
        stakes.requestUnbond(staker.node, MIN_STAKE / 2);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.prank(staker.operator);
        stakes.withdraw(staker.node);
        _report("StakeManager.withdraw (1 entry)");
    }

    function test_gas_slash() public {
        vm.prank(staker.operator);
        stakes.requestUnbond(staker.node, MIN_STAKE / 2);
        game.slash(staker.node, MIN_STAKE, uint64(block.timestamp), address(game));
        _report("StakeManager.slash (active + 1 entry, via game)");
    }

    function test_gas_createJob() public {
        IJobMarket.JobRequest memory req = _request(2);
        req.salt = bytes32(uint256(2));
        vm.prank(client);
        market.createJob(req);
        uint256 used = _report("JobMarket.createJob");
        assertLe(used, 150_000);
    }

    function test_gas_createJobFor() public {
        (address voucherClient, uint256 key) = makeAddrAndKey("gas-voucher-client");
        _mint(voucherClient, 10 * FEE);
        vm.prank(voucherClient);
        token.approve(address(market), type(uint256).max);
        IJobMarket.JobRequest memory req = _request(2);
        req.salt = bytes32(uint256(3));
        bytes memory sig = _signDigest(key, market.jobVoucherDigest(req));
        market.createJobFor(voucherClient, req, sig);
        uint256 used = _report("JobMarket.createJobFor (client's voucher)");
        assertLe(used, 160_000);
    }

    function test_gas_submitResult_2x3() public {
        _call(SUBMIT_CALL.code);
        uint256 used = _report("JobMarket.submitResult (2 replicas x 3 stages)");
        assertLe(used, 400_000);
    }

    function test_gas_finalize_2x3() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        _call(FINALIZE_CALL.code);
        _report("JobMarket.finalize (2 x 3, 7 credits)");
    }

    function test_gas_claimCredit() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        _call(FINALIZE_CALL.code);
        market.claimCredit(pipeA[0].operator);
        _report("JobMarket.claimCredit");
    }

    function _report(string memory _what) internal returns (uint256 used_) {
        Vm.Gas memory gas = vm.lastCallGas();
        used_ = gas.gasTotalUsed;
        emit log_named_uint(_what, used_);
    }

    function _call(bytes memory _data) internal {
        // The prepared calldata is sent as is.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = address(market).call(_data);
        assertTrue(ok);
    }
}
