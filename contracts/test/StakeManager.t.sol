// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DePinFixture} from "./utils/DePinFixture.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";

contract StakeManager_Init is DePinFixture {
    event NodeRegistered(
        address indexed node, address indexed operator, string endpoint, IStakeManager.HardwareProfile hardware
    );
    event NodeUpdated(address indexed node, string endpoint, IStakeManager.HardwareProfile hardware);
    event Staked(address indexed node, address indexed operator, uint256 amount, uint256 activeStake);
    event UnbondRequested(
        address indexed node, uint256 amount, uint64 startedAt, uint64 releaseAt, uint256 activeStake
    );
    event Withdrawn(address indexed node, address indexed operator, uint256 amount);
    event Slashed(
        address indexed node,
        address indexed rewardRecipient,
        uint64 infractionTime,
        uint256 fromActive,
        uint256 fromUnbonding,
        uint256 reward,
        uint256 burned
    );
    event NodeFrozen(address indexed node, uint32 freezeCount);
    event NodeUnfrozen(address indexed node, uint32 freezeCount);
    event DisputeGameSet(address indexed disputeGame);

    NodeKey internal alice;
    address internal burn;

    function setUp() public virtual override {
        super.setUp();
        alice = _registerNode("alice");
        burn = stakes.BURN_ADDRESS();
        assertEq(address(stakes.token()), address(token));
        assertEq(stakes.minStake(), MIN_STAKE);
        assertEq(stakes.unbondingDelay(), UNBONDING_DELAY);
        assertEq(stakes.challengeWindow(), CHALLENGE_WINDOW);
        assertEq(stakes.maxDisputeDuration(), MAX_DISPUTE_DURATION);
        assertEq(stakes.slashRewardBps(), SLASH_REWARD_BPS);
        assertEq(stakes.disputeGameSetter(), deployer);
        assertEq(stakes.disputeGame(), address(game));
        assertGt(stakes.unbondingDelay(), uint256(stakes.challengeWindow()) + stakes.maxDisputeDuration());
    }

    function _unbond(NodeKey memory _k, uint256 _amount) internal returns (uint64 releaseAt_) {
        vm.prank(_k.operator);
        releaseAt_ = stakes.requestUnbond(_k.node, _amount);
    }

    function _withdraw(NodeKey memory _k) internal returns (uint256 amount_) {
        vm.prank(_k.operator);
        amount_ = stakes.withdraw(_k.node);
    }

    function _deployStakes(uint256 _min, uint64 _delay, uint64 _window, uint64 _dispute, uint16 _bps)
        internal
        returns (StakeManager sm_)
    {
        sm_ = new StakeManager(token, _min, _delay, _window, _dispute, _bps);
    }
}

contract StakeManager_Constructor_Test is StakeManager_Init {
    function test_constructor_zeroToken_reverts() public {
        vm.expectRevert(IStakeManager.StakeManager_ZeroAddress.selector);
        new StakeManager(IERC20(address(0)), MIN_STAKE, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
    }

    function test_constructor_invalidMinimumStake_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_InvalidMinimumStake.selector, 0));
        _deployStakes(0, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
        uint256 tooBig = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_InvalidMinimumStake.selector, tooBig));
        _deployStakes(tooBig, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
    }

    function test_constructor_zeroChallengeWindow_reverts() public {
        vm.expectRevert(IStakeManager.StakeManager_ZeroChallengeWindow.selector);
        _deployStakes(MIN_STAKE, UNBONDING_DELAY, 0, MAX_DISPUTE_DURATION, 0);
    }

    function test_constructor_unbondingEqualToWindowPlusDispute_reverts() public {
        uint64 sum = CHALLENGE_WINDOW + MAX_DISPUTE_DURATION;
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_UnbondingTooShort.selector, sum, sum));
        _deployStakes(MIN_STAKE, sum, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
    }

    function test_constructor_unbondingOneSecondLonger_succeeds() public {
        uint64 sum = CHALLENGE_WINDOW + MAX_DISPUTE_DURATION;
        StakeManager sm = _deployStakes(MIN_STAKE, sum + 1, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
        assertEq(sm.unbondingDelay(), sum + 1);
    }

    function test_constructor_unbondingBeyond32Bits_reverts() public {
        uint64 delay = uint64(type(uint32).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.StakeManager_UnbondingTooLong.selector, delay, type(uint32).max)
        );
        _deployStakes(MIN_STAKE, delay, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
        assertEq(
            _deployStakes(MIN_STAKE, type(uint32).max, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0).unbondingDelay(),
            type(uint32).max
        );
    }

    function testFuzz_constructor_unbondingTooShort_reverts(uint64 _window, uint64 _dispute, uint64 _delay) public {
        _window = uint64(bound(_window, 1, type(uint64).max));
        uint256 sum = uint256(_window) + _dispute;
        uint64 delay = uint64(bound(_delay, 0, sum > type(uint64).max ? type(uint64).max : sum));
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_UnbondingTooShort.selector, delay, sum));
        _deployStakes(MIN_STAKE, delay, _window, _dispute, 0);
    }

    function test_constructor_rewardShareAtLeastAll_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_RewardShareTooHigh.selector, 10_000, 9_999));
        _deployStakes(MIN_STAKE, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 10_000);
        StakeManager sm = _deployStakes(MIN_STAKE, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 9_999);
        assertEq(sm.slashRewardBps(), 9_999);
    }
}

contract StakeManager_SetDisputeGame_Test is StakeManager_Init {
    StakeManager internal fresh;

    function setUp() public override {
        super.setUp();
        vm.prank(deployer);
        fresh = _deployStakes(MIN_STAKE, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, 0);
        assertEq(fresh.disputeGame(), address(0));
    }

    function test_setDisputeGame_byDeployer_succeeds() public {
        vm.expectEmit(address(fresh));
        emit DisputeGameSet(address(game));
        vm.prank(deployer);
        fresh.setDisputeGame(address(game));
        assertEq(fresh.disputeGame(), address(game));
    }

    function testFuzz_setDisputeGame_byOther_reverts(address _caller) public {
        vm.assume(_caller != deployer);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGameSetter.selector, _caller));
        vm.prank(_caller);
        fresh.setDisputeGame(address(game));
    }

    function test_setDisputeGame_notAContract_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotAContract.selector, deployer));
        vm.prank(deployer);
        fresh.setDisputeGame(deployer);
    }

    function test_setDisputeGame_twice_reverts() public {
        vm.startPrank(deployer);
        fresh.setDisputeGame(address(game));
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_DisputeGameAlreadySet.selector, game));
        fresh.setDisputeGame(address(verifier));
        vm.stopPrank();
        assertEq(fresh.disputeGame(), address(game));
    }

    function test_slash_beforeGameSet_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, address(0)));
        vm.prank(address(0));
        fresh.freezeNode(alice.node);
    }
}

contract StakeManager_RegisterNode_Test is StakeManager_Init {
    function test_registerNode_withNodeKeySignature_succeeds() public {
        (address node, uint256 key) = makeAddrAndKey("bob-key");
        address operator = makeAddr("bob-operator");
        bytes memory sig = _signDigest(key, stakes.nodeKeyDigest(operator));
        vm.expectEmit(address(stakes));
        emit NodeRegistered(node, operator, "https://bob:7443", _hardware());
        vm.prank(operator);
        stakes.registerNode(node, "https://bob:7443", _hardware(), sig);

        IStakeManager.NodeInfo memory info = stakes.getNode(node);
        assertEq(info.operator, operator);
        assertEq(info.registeredAt, block.timestamp);
        assertEq(info.endpoint, "https://bob:7443");
        assertEq(abi.encode(info.hardware), abi.encode(_hardware()));
        assertEq(info.activeStake, 0);
        assertFalse(info.eligible);
        assertEq(stakes.operatorOf(node), operator);
    }

    function test_registerNode_operatorIsNode_succeeds() public {
        address self = makeAddr("self");
        vm.prank(self);
        stakes.registerNode(self, "https://self:7443", _hardware(), "");
        assertEq(stakes.operatorOf(self), self);
    }

    function test_registerNode_zeroNode_reverts() public {
        vm.expectRevert(IStakeManager.StakeManager_ZeroAddress.selector);
        stakes.registerNode(address(0), "https://x", _hardware(), "");
    }

    function test_registerNode_twice_reverts() public {
        bytes memory sig = _signDigest(alice.key, stakes.nodeKeyDigest(alice.operator));
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeManager.StakeManager_NodeAlreadyRegistered.selector, alice.node, alice.operator
            )
        );
        vm.prank(alice.operator);
        stakes.registerNode(alice.node, "https://again", _hardware(), sig);
    }

    function test_registerNode_emptyEndpoint_reverts() public {
        address self = makeAddr("self");
        vm.expectRevert(IStakeManager.StakeManager_EmptyEndpoint.selector);
        vm.prank(self);
        stakes.registerNode(self, "", _hardware(), "");
    }

    function test_registerNode_keyAuthorizedAnotherOperator_reverts() public {
        (address node, uint256 key) = makeAddrAndKey("carol-key");
        address operator = makeAddr("carol-operator");
        address thief = makeAddr("thief");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, stakes.nodeKeyDigest(operator));
        bytes memory sig = abi.encodePacked(r, s, v);
        // The signature authorizes `operator`; against the digest for `thief` it recovers some other address.
        address recovered = ecrecover(stakes.nodeKeyDigest(thief), v, r, s);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.StakeManager_InvalidNodeSignature.selector, node, recovered)
        );
        vm.prank(thief);
        stakes.registerNode(node, "https://stolen", _hardware(), sig);
    }

    function test_registerNode_signatureByOtherKey_reverts() public {
        (address node,) = makeAddrAndKey("dave-key");
        (address other, uint256 otherKey) = makeAddrAndKey("mallory-key");
        address operator = makeAddr("dave-operator");
        bytes memory sig = _signDigest(otherKey, stakes.nodeKeyDigest(operator));
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_InvalidNodeSignature.selector, node, other));
        vm.prank(operator);
        stakes.registerNode(node, "https://dave", _hardware(), sig);
    }

    function test_registerNode_malformedSignature_reverts() public {
        (address node,) = makeAddrAndKey("erin-key");
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.StakeManager_InvalidNodeSignature.selector, node, address(0))
        );
        stakes.registerNode(node, "https://erin", _hardware(), hex"1234");
    }
}

contract StakeManager_UpdateNode_Test is StakeManager_Init {
    function test_updateNode_byOperator_succeeds() public {
        IStakeManager.HardwareProfile memory hw = _hardware();
        hw.memoryMiB = 81_920;
        vm.expectEmit(address(stakes));
        emit NodeUpdated(alice.node, "https://new:7443", hw);
        vm.prank(alice.operator);
        stakes.updateNode(alice.node, "https://new:7443", hw);
        IStakeManager.NodeInfo memory info = stakes.getNode(alice.node);
        assertEq(info.endpoint, "https://new:7443");
        assertEq(info.hardware.memoryMiB, 81_920);
    }

    function test_updateNode_byOther_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, alice.node, alice.node));
        vm.prank(alice.node);
        stakes.updateNode(alice.node, "https://x", _hardware());
    }

    function test_updateNode_unregistered_reverts() public {
        address nobody = makeAddr("nobody");
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NodeNotRegistered.selector, nobody));
        stakes.updateNode(nobody, "https://x", _hardware());
    }

    function test_updateNode_emptyEndpoint_reverts() public {
        vm.expectRevert(IStakeManager.StakeManager_EmptyEndpoint.selector);
        vm.prank(alice.operator);
        stakes.updateNode(alice.node, "", _hardware());
    }
}

contract StakeManager_Stake_Test is StakeManager_Init {
    function testFuzz_stake_byOperator_succeeds(uint256 _first, uint256 _second) public {
        _first = bound(_first, 1, type(uint96).max / 2);
        _second = bound(_second, 1, type(uint96).max / 2);
        _mint(alice.operator, _first + _second);
        vm.startPrank(alice.operator);
        token.approve(address(stakes), _first + _second);
        vm.expectEmit(address(stakes));
        emit Staked(alice.node, alice.operator, _first, _first);
        stakes.stake(alice.node, _first);
        stakes.stake(alice.node, _second);
        vm.stopPrank();
        assertEq(stakes.activeStake(alice.node), _first + _second);
        assertEq(token.balanceOf(address(stakes)), _first + _second);
        assertEq(token.balanceOf(alice.operator), 0);
    }

    function test_stake_eligibilityAtMinimum_succeeds() public {
        _stake(alice, MIN_STAKE - 1);
        assertFalse(stakes.isEligible(alice.node));
        (address operator, bool eligible) = stakes.eligibility(alice.node);
        assertEq(operator, alice.operator);
        assertFalse(eligible);
        _stake(alice, 1);
        assertTrue(stakes.isEligible(alice.node));
        (, eligible) = stakes.eligibility(alice.node);
        assertTrue(eligible);
    }

    function test_stake_zero_reverts() public {
        vm.expectRevert(IStakeManager.StakeManager_ZeroAmount.selector);
        vm.prank(alice.operator);
        stakes.stake(alice.node, 0);
    }

    function testFuzz_stake_byOther_reverts(address _caller) public {
        vm.assume(_caller != alice.operator);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, alice.node, _caller));
        vm.prank(_caller);
        stakes.stake(alice.node, 1);
    }

    function test_stake_unregistered_reverts() public {
        address nobody = makeAddr("nobody");
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NodeNotRegistered.selector, nobody));
        stakes.stake(nobody, 1);
    }

    function test_stake_beyond96Bits_reverts() public {
        _stake(alice, 10);
        uint256 amount = uint256(type(uint96).max) - 9;
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeManager.StakeManager_AmountTooLarge.selector, amount, uint256(type(uint96).max) - 10
            )
        );
        vm.prank(alice.operator);
        stakes.stake(alice.node, amount);
    }

    function test_stake_withoutAllowance_reverts() public {
        _mint(alice.operator, 5);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(stakes), 0, 5));
        vm.prank(alice.operator);
        stakes.stake(alice.node, 5);
    }
}

contract StakeManager_RequestUnbond_Test is StakeManager_Init {
    function setUp() public override {
        super.setUp();
        _stake(alice, 10 * MIN_STAKE);
    }

    function testFuzz_requestUnbond_partOfActive_succeeds(uint256 _amount) public {
        _amount = bound(_amount, 1, 10 * MIN_STAKE);
        uint64 release = uint64(block.timestamp) + UNBONDING_DELAY;
        vm.expectEmit(address(stakes));
        emit UnbondRequested(alice.node, _amount, uint64(block.timestamp), release, 10 * MIN_STAKE - _amount);
        assertEq(_unbond(alice, _amount), release);
        assertEq(stakes.activeStake(alice.node), 10 * MIN_STAKE - _amount);
        assertEq(stakes.unbondingStake(alice.node), _amount);
        IStakeManager.Unbonding[] memory entries = stakes.getUnbondings(alice.node);
        assertEq(entries.length, 1);
        assertEq(entries[0].amount, _amount);
        assertEq(entries[0].startedAt, block.timestamp);
        assertEq(entries[0].releaseAt, release);
        assertEq(token.balanceOf(address(stakes)), 10 * MIN_STAKE);
    }

    function test_requestUnbond_sameSecond_mergesEntries_succeeds() public {
        _unbond(alice, 1);
        _unbond(alice, 2);
        IStakeManager.Unbonding[] memory entries = stakes.getUnbondings(alice.node);
        assertEq(entries.length, 1);
        assertEq(entries[0].amount, 3);
        vm.warp(block.timestamp + 1);
        _unbond(alice, 4);
        assertEq(stakes.getUnbondings(alice.node).length, 2);
        assertEq(stakes.getNode(alice.node).pendingUnbondings, 2);
    }

    function test_requestUnbond_belowMinimumLeavesNodeIneligible_succeeds() public {
        _unbond(alice, 9 * MIN_STAKE + 1);
        assertFalse(stakes.isEligible(alice.node));
    }

    function test_requestUnbond_zero_reverts() public {
        vm.expectRevert(IStakeManager.StakeManager_ZeroAmount.selector);
        _unbond(alice, 0);
    }

    function testFuzz_requestUnbond_moreThanActive_reverts(uint256 _amount) public {
        _amount = bound(_amount, 10 * MIN_STAKE + 1, type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.StakeManager_InsufficientActiveStake.selector, 10 * MIN_STAKE, _amount)
        );
        _unbond(alice, _amount);
    }

    function test_requestUnbond_byOther_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, alice.node, deployer));
        vm.prank(deployer);
        stakes.requestUnbond(alice.node, 1);
    }

    function test_requestUnbond_unbondingBeyond96Bits_reverts() public {
        uint256 big = uint256(type(uint96).max) - 10 * MIN_STAKE;
        _stake(alice, big);
        _unbond(alice, type(uint96).max);
        _stake(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_AmountTooLarge.selector, 1, 0));
        _unbond(alice, 1);
    }

    function test_requestUnbond_tooManyEntries_reverts() public {
        uint256 max = stakes.MAX_UNBONDINGS();
        for (uint256 i; i < max; ++i) {
            _unbond(alice, 1);
            vm.warp(block.timestamp + 1);
        }
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_TooManyUnbondings.selector, alice.node, max));
        _unbond(alice, 1);
        // Withdrawing the oldest entry frees a place.
        vm.warp(T0 + UNBONDING_DELAY);
        _withdraw(alice);
        _unbond(alice, 1);
        assertEq(stakes.getUnbondings(alice.node).length, max);
    }
}

contract StakeManager_Withdraw_Test is StakeManager_Init {
    uint64 internal release;

    function setUp() public override {
        super.setUp();
        _stake(alice, 10 * MIN_STAKE);
        release = _unbond(alice, 4 * MIN_STAKE);
    }

    function test_withdraw_oneSecondBeforeRelease_reverts() public {
        vm.warp(release - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeManager.StakeManager_NothingToWithdraw.selector, alice.node, release)
        );
        _withdraw(alice);
        assertEq(stakes.withdrawable(alice.node), 0);
    }

    function test_withdraw_atRelease_succeeds() public {
        vm.warp(release);
        assertEq(stakes.withdrawable(alice.node), 4 * MIN_STAKE);
        vm.expectEmit(address(stakes));
        emit Withdrawn(alice.node, alice.operator, 4 * MIN_STAKE);
        assertEq(_withdraw(alice), 4 * MIN_STAKE);
        assertEq(token.balanceOf(alice.operator), 4 * MIN_STAKE);
        assertEq(token.balanceOf(address(stakes)), 6 * MIN_STAKE);
        assertEq(stakes.unbondingStake(alice.node), 0);
        assertEq(stakes.getUnbondings(alice.node).length, 0);
    }

    function testFuzz_withdraw_releasesOnlyMatureEntries_succeeds(uint64 _gap, uint64 _wait) public {
        _gap = uint64(bound(_gap, 1, UNBONDING_DELAY));
        vm.warp(block.timestamp + _gap);
        uint64 secondRelease = _unbond(alice, MIN_STAKE);
        _wait = uint64(bound(_wait, release, uint256(secondRelease) + 1 days));
        vm.warp(_wait);
        uint256 expected = 4 * MIN_STAKE + (_wait >= secondRelease ? MIN_STAKE : 0);
        assertEq(_withdraw(alice), expected);
        assertEq(stakes.unbondingStake(alice.node), 5 * MIN_STAKE - expected);
    }

    function test_withdraw_nothingPending_reverts() public {
        vm.warp(release);
        _withdraw(alice);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NothingToWithdraw.selector, alice.node, 0));
        _withdraw(alice);
    }

    function test_withdraw_whileFrozen_reverts() public {
        game.freezeNode(alice.node);
        vm.warp(release + 365 days);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NodeFrozen.selector, alice.node, 1));
        _withdraw(alice);
        game.unfreezeNode(alice.node);
        assertEq(_withdraw(alice), 4 * MIN_STAKE);
    }

    function testFuzz_withdraw_byOther_reverts(address _caller) public {
        vm.assume(_caller != alice.operator);
        vm.warp(release);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotOperator.selector, alice.node, _caller));
        vm.prank(_caller);
        stakes.withdraw(alice.node);
    }
}

contract StakeManager_Slash_Test is StakeManager_Init {
    address internal winner = makeAddr("winner");

    function setUp() public override {
        super.setUp();
        _stake(alice, 10 * MIN_STAKE);
    }

    function testFuzz_slash_byOther_reverts(address _caller) public {
        vm.assume(_caller != address(game));
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, _caller));
        vm.prank(_caller);
        stakes.slash(alice.node, 1, uint64(block.timestamp), _caller);
    }

    function test_slash_unregistered_reverts() public {
        address nobody = makeAddr("nobody");
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NodeNotRegistered.selector, nobody));
        game.slash(nobody, 1, uint64(block.timestamp), winner);
    }

    function test_slash_infractionInFuture_reverts() public {
        uint64 future = uint64(block.timestamp) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeManager.StakeManager_InfractionInFuture.selector, future, uint64(block.timestamp)
            )
        );
        game.slash(alice.node, 1, future, winner);
    }

    function test_slash_activeOnly_paysRewardAndBurns_succeeds() public {
        uint256 amount = 2 * MIN_STAKE;
        uint256 reward = amount * SLASH_REWARD_BPS / 10_000;
        vm.expectEmit(address(stakes));
        emit Slashed(alice.node, winner, uint64(block.timestamp), amount, 0, reward, amount - reward);
        assertEq(game.slash(alice.node, amount, uint64(block.timestamp), winner), amount);
        assertEq(stakes.activeStake(alice.node), 8 * MIN_STAKE);
        assertEq(token.balanceOf(winner), reward);
        assertEq(token.balanceOf(burn), amount - reward);
        assertEq(token.balanceOf(address(stakes)), 8 * MIN_STAKE);
    }

    function test_slash_zeroRecipient_burnsAll_succeeds() public {
        game.slash(alice.node, MIN_STAKE, uint64(block.timestamp), address(0));
        assertEq(token.balanceOf(burn), MIN_STAKE);
    }

    function test_slash_reachesUnbondingStartedAfterInfraction_succeeds() public {
        uint64 infraction = uint64(block.timestamp);
        vm.warp(block.timestamp + 1 hours);
        _unbond(alice, 10 * MIN_STAKE); // everything leaves active stake after the infraction
        assertEq(stakes.slashableStake(alice.node, infraction), 10 * MIN_STAKE);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + MAX_DISPUTE_DURATION);
        assertEq(game.slash(alice.node, 3 * MIN_STAKE, infraction, winner), 3 * MIN_STAKE);
        assertEq(stakes.unbondingStake(alice.node), 7 * MIN_STAKE);
        assertEq(stakes.getUnbondings(alice.node)[0].amount, 7 * MIN_STAKE);
    }

    function test_slash_entryStartedAtInfractionSecond_succeeds() public {
        uint64 infraction = uint64(block.timestamp);
        _unbond(alice, 10 * MIN_STAKE);
        assertEq(game.slash(alice.node, type(uint256).max, infraction, winner), 10 * MIN_STAKE);
        assertEq(stakes.unbondingStake(alice.node), 0);
        assertEq(stakes.getUnbondings(alice.node).length, 0);
    }

    function test_slash_entryStartedOneSecondBeforeInfraction_isSpared_succeeds() public {
        _unbond(alice, 10 * MIN_STAKE);
        uint64 infraction = uint64(block.timestamp) + 1;
        vm.warp(infraction);
        assertEq(stakes.slashableStake(alice.node, infraction), 0);
        assertEq(game.slash(alice.node, type(uint256).max, infraction, winner), 0);
        assertEq(stakes.unbondingStake(alice.node), 10 * MIN_STAKE);
        assertEq(token.balanceOf(winner), 0);
        assertEq(token.balanceOf(burn), 0);
    }

    function test_slash_newestEntriesFirst_andPopsEmptied_succeeds() public {
        _unbond(alice, MIN_STAKE); // t0: before the infraction
        vm.warp(block.timestamp + 10);
        uint64 infraction = uint64(block.timestamp);
        _unbond(alice, 2 * MIN_STAKE); // t0+10
        vm.warp(block.timestamp + 10);
        _unbond(alice, 3 * MIN_STAKE); // t0+20
        // active 4, slashable unbonding 5: take 4 + 3 (newest) + 1 of the middle entry.
        assertEq(stakes.slashableStake(alice.node, infraction), 9 * MIN_STAKE);
        assertEq(game.slash(alice.node, 8 * MIN_STAKE, infraction, winner), 8 * MIN_STAKE);
        IStakeManager.Unbonding[] memory entries = stakes.getUnbondings(alice.node);
        assertEq(entries.length, 2);
        assertEq(entries[0].amount, MIN_STAKE);
        assertEq(entries[1].amount, MIN_STAKE);
        assertEq(stakes.activeStake(alice.node), 0);
        assertEq(stakes.unbondingStake(alice.node), 2 * MIN_STAKE);
    }

    function test_slash_matureButNotWithdrawn_succeeds() public {
        uint64 infraction = uint64(block.timestamp);
        uint64 release = _unbond(alice, 10 * MIN_STAKE);
        vm.warp(release + 1);
        assertEq(stakes.withdrawable(alice.node), 10 * MIN_STAKE);
        assertEq(game.slash(alice.node, type(uint256).max, infraction, winner), 10 * MIN_STAKE);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NothingToWithdraw.selector, alice.node, 0));
        _withdraw(alice);
    }

    function testFuzz_slash_neverExceedsSlashable_succeeds(
        uint256 _unbondA,
        uint256 _unbondB,
        uint64 _infractionOffset,
        uint256 _amount
    ) public {
        _unbondA = bound(_unbondA, 1, 5 * MIN_STAKE);
        _unbondB = bound(_unbondB, 1, 5 * MIN_STAKE);
        _unbond(alice, _unbondA);
        vm.warp(block.timestamp + 100);
        _unbond(alice, _unbondB);
        vm.warp(block.timestamp + 100);
        uint64 infraction = uint64(bound(_infractionOffset, T0 - 1, block.timestamp));
        uint256 had = stakes.activeStake(alice.node) + stakes.unbondingStake(alice.node);
        uint256 slashable = stakes.slashableStake(alice.node, infraction);
        uint256 balanceBefore = token.balanceOf(address(stakes));
        uint256 slashed = game.slash(alice.node, _amount, infraction, winner);
        assertEq(slashed, _amount < slashable ? _amount : slashable);
        assertLe(slashed, had);
        assertEq(stakes.activeStake(alice.node) + stakes.unbondingStake(alice.node), had - slashed);
        assertEq(token.balanceOf(address(stakes)), balanceBefore - slashed);
        assertEq(token.balanceOf(winner) + token.balanceOf(burn), slashed);
    }
}

contract StakeManager_Freeze_Test is StakeManager_Init {
    function test_freezeNode_byGame_succeeds() public {
        vm.expectEmit(address(stakes));
        emit NodeFrozen(alice.node, 1);
        game.freezeNode(alice.node);
        game.freezeNode(alice.node);
        assertEq(stakes.freezeCountOf(alice.node), 2);
        vm.expectEmit(address(stakes));
        emit NodeUnfrozen(alice.node, 1);
        game.unfreezeNode(alice.node);
        assertEq(stakes.getNode(alice.node).freezeCount, 1);
    }

    function testFuzz_freezeNode_byOther_reverts(address _caller) public {
        vm.assume(_caller != address(game));
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, _caller));
        vm.prank(_caller);
        stakes.freezeNode(alice.node);
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NotDisputeGame.selector, _caller));
        vm.prank(_caller);
        stakes.unfreezeNode(alice.node);
    }

    function test_freezeNode_unregistered_reverts() public {
        address nobody = makeAddr("nobody");
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NodeNotRegistered.selector, nobody));
        game.freezeNode(nobody);
    }

    function test_unfreezeNode_notFrozen_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakeManager.StakeManager_NodeNotFrozen.selector, alice.node));
        game.unfreezeNode(alice.node);
    }
}

contract StakeManager_Views_Test is StakeManager_Init {
    function test_views_unknownNode_succeeds() public {
        address nobody = makeAddr("nobody");
        IStakeManager.NodeInfo memory info = stakes.getNode(nobody);
        assertEq(info.operator, address(0));
        assertFalse(info.eligible);
        assertFalse(stakes.isEligible(nobody));
        (address operator, bool eligible) = stakes.eligibility(nobody);
        assertEq(operator, address(0));
        assertFalse(eligible);
        assertEq(stakes.getUnbondings(nobody).length, 0);
        assertEq(stakes.withdrawable(nobody), 0);
        assertEq(stakes.slashableStake(nobody, 0), 0);
    }

    function test_nodeKeyDigest_matchesEip712_succeeds() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("DePinLedger"),
                keccak256("1"),
                block.chainid,
                address(stakes)
            )
        );
        bytes32 structHash = keccak256(abi.encode(keccak256("NodeKey(address operator)"), alice.operator));
        assertEq(stakes.nodeKeyDigest(alice.operator), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        assertEq(stakes.NODE_KEY_TYPEHASH(), keccak256("NodeKey(address operator)"));
    }
}
