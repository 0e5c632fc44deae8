// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {DePinFixture} from "./utils/DePinFixture.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {MockDisputeGame} from "./mocks/MockDisputeGame.sol";

/// @notice The deployer (token minter and one-time dispute-game setter) and the treasury are the only accounts
///         with any special standing. These tests have them try every state-changing entry point against other
///         people's stake and escrow, and check that nothing moves.
contract AdminKeys_Init is DePinFixture {
    NodeKey[] internal pipeA;
    NodeKey[] internal pipeB;
    bytes32 internal openJob;
    bytes32 internal submittedJob;
    bytes internal encodedRecords;
    MockDisputeGame internal rogueGame;

    function setUp() public virtual override {
        super.setUp();
        NodeKey[] memory a = _eligibleNodes("a", 3);
        NodeKey[] memory b = _eligibleNodes("b", 3);
        for (uint256 i; i < 3; ++i) {
            pipeA.push(a[i]);
            pipeB.push(b[i]);
        }
        _stake(a[0], 5 * MIN_STAKE);
        vm.prank(a[0].operator);
        stakes.requestUnbond(a[0].node, 2 * MIN_STAKE);

        openJob = _createJob(client, _request(2));
        IJobMarket.JobRequest memory req = _request(2);
        req.salt = bytes32(uint256(1));
        submittedJob = _createJob(client, req);
        IJobMarket.ReplicaResult[] memory res = new IJobMarket.ReplicaResult[](2);
        res[0] = _replica(submittedJob, 0, a, "same", 100);
        res[1] = _replica(submittedJob, 1, b, "same", 100);
        market.submitResult(submittedJob, res);
        IJobMarket.StageRecord[][] memory recs = new IJobMarket.StageRecord[][](2);
        recs[0] = _records(res[0], a);
        recs[1] = _records(res[1], b);
        encodedRecords = abi.encode(recs);

        // A contract the deployer controls, shaped like a dispute game, to try to install later.
        vm.prank(deployer);
        rogueGame = new MockDisputeGame(stakes, market);
    }

    /// @dev Everything an admin must not be able to change.
    function _fingerprint() internal view returns (bytes32 print_) {
        bytes memory state = abi.encode(
            token.balanceOf(address(stakes)),
            token.balanceOf(address(market)),
            market.getJob(openJob),
            market.getJob(submittedJob),
            market.creditOf(deployer),
            market.creditOf(treasury),
            stakes.disputeGame()
        );
        for (uint256 i; i < 3; ++i) {
            state = abi.encode(
                state, stakes.getNode(pipeA[i].node), stakes.getNode(pipeB[i].node), stakes.getUnbondings(pipeA[i].node)
            );
        }
        print_ = keccak256(state);
    }

    function _records() internal view returns (IJobMarket.StageRecord[][] memory recs_) {
        recs_ = abi.decode(encodedRecords, (IJobMarket.StageRecord[][]));
    }
}

contract AdminKeys_Powers_Test is AdminKeys_Init {
    function test_deployer_cannotMoveOperatorStake_reverts() public {
        bytes32 before = _fingerprint();
        address node = pipeA[0].node;
        vm.startPrank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, node, deployer));
        stakes.requestUnbond(node, MIN_STAKE);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, node, deployer));
        stakes.withdraw(node);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, deployer));
        stakes.slash(node, type(uint256).max, uint64(block.timestamp), deployer);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, deployer));
        stakes.freezeNode(node);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, node, deployer));
        stakes.updateNode(node, "https://attacker", _hardware());
        // The one-time setter cannot install a game of its own now that one is set.
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_DisputeGameAlreadySet.selector, game));
        stakes.setDisputeGame(address(rogueGame));
        vm.stopPrank();
        // A rogue contract is not the game either.
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, rogueGame));
        rogueGame.slash(node, type(uint256).max, uint64(block.timestamp), deployer);
        assertEq(_fingerprint(), before);
    }

    function test_deployerAndTreasury_cannotMoveEscrow_reverts() public {
        IJobMarket.StageRecord[][] memory recs = _records();
        address[2] memory admins = [deployer, treasury];
        for (uint256 i; i < 2; ++i) {
            address admin = admins[i];
            bytes32 before = _fingerprint();
            vm.startPrank(admin);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, admin));
            market.refundClient(submittedJob);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, admin));
            market.payHonestReplica(submittedJob, 0, recs[0]);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, admin));
            market.markReplicaWrong(submittedJob, 0);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, admin));
            market.freezeJob(submittedJob);
            vm.expectPartialRevert(IJobMarket.JobMarket_ChallengeWindowOpen.selector);
            market.finalize(submittedJob, recs);
            vm.expectPartialRevert(IJobMarket.JobMarket_DeadlineNotPassed.selector);
            market.refundExpired(openJob);
            vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NoCredit.selector, admin));
            market.claimCredit(admin);
            vm.stopPrank();
            assertEq(_fingerprint(), before);
        }
    }

    function test_contracts_haveNoOwnerPauseOrUpgrade_succeeds() public {
        string[6] memory signatures = [
            "owner()",
            "transferOwnership(address)",
            "renounceOwnership()",
            "pause()",
            "upgradeToAndCall(address,bytes)",
            "setTreasury(address)"
        ];
        address[3] memory targets = [address(stakes), address(market), address(registry)];
        for (uint256 t; t < 3; ++t) {
            for (uint256 i; i < signatures.length; ++i) {
                vm.prank(deployer);
                // Probing for functions that must not exist needs a raw call.
                // solhint-disable-next-line avoid-low-level-calls
                (bool ok,) = targets[t].call(abi.encodeWithSignature(signatures[i], deployer, ""));
                assertFalse(ok, signatures[i]);
            }
        }
    }

    /// @dev Random calls by the deployer or the treasury, with random arguments aimed at real nodes and jobs,
    ///      at random times, never change stake, escrow, jobs, or the dispute game.
    function testFuzz_anyCall_byAdminKey_movesNothing(uint8 _action, uint8 _who, uint256 _seed, uint256 _amount)
        public
    {
        address admin = _who % 2 == 0 ? deployer : treasury;
        address node = (_seed % 2 == 0 ? pipeA : pipeB)[_seed % 3].node;
        bytes32 jobId = _seed % 3 == 0 ? openJob : submittedJob;
        vm.warp(block.timestamp + (_seed % (UNBONDING_DELAY + 1)));
        IJobMarket.StageRecord[][] memory recs = _records();
        bytes[16] memory calls = [
            abi.encodeCall(stakes.stake, (node, _amount)),
            abi.encodeCall(stakes.requestUnbond, (node, _amount)),
            abi.encodeCall(stakes.withdraw, (node)),
            abi.encodeCall(stakes.slash, (node, _amount, uint64(block.timestamp), admin)),
            abi.encodeCall(stakes.freezeNode, (node)),
            abi.encodeCall(stakes.unfreezeNode, (node)),
            abi.encodeCall(stakes.setDisputeGame, (address(rogueGame))),
            abi.encodeCall(stakes.updateNode, (node, "https://attacker", _hardware())),
            abi.encodeCall(market.freezeJob, (jobId)),
            abi.encodeCall(market.unfreezeJob, (jobId)),
            abi.encodeCall(market.markReplicaWrong, (jobId, uint8(_amount % 2))),
            abi.encodeCall(market.refundClient, (jobId)),
            abi.encodeCall(market.payHonestReplica, (jobId, uint8(_amount % 2), recs[_amount % 2])),
            abi.encodeCall(market.refundExpired, (jobId)),
            abi.encodeCall(market.claimCredit, (admin)),
            abi.encodeCall(market.claimCredit, (client))
        ];
        uint256 which = _action % calls.length;
        address target = which < 8 ? address(stakes) : address(market);
        // Expected legitimate effects of the permissionless keepers are excluded from the fingerprint check:
        // refundExpired credits the client and claimCredit pays the rightful recipient.
        bool keeperCall = which == 13 || which == 15;
        bytes32 before = _fingerprint();
        uint256 adminBalance = token.balanceOf(admin);
        vm.prank(admin);
        // One dispatch over every entry point, chosen by the fuzzer.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = target.call(calls[which]);
        if (!keeperCall) {
            assertFalse(ok);
            assertEq(_fingerprint(), before);
        }
        assertEq(token.balanceOf(admin), adminBalance);
        assertEq(market.creditOf(admin), 0);
    }
}
