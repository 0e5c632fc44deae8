// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {Outcome, Phase, Reason, Side} from "../../src/dispute/lib/Types.sol";
import "../../src/dispute/lib/Errors.sol" as E;
import {DisputeGame_Bisection_Init} from "./DisputeGameBisection.t.sol";
import {TraceLib} from "./utils/TraceLib.sol";

/// @notice Settlement: who is slashed, who is credited what, what the JobMarket is told, and the pull payments.
contract DisputeGame_Resolve_Test is DisputeGame_Bisection_Init {
    using TraceLib for TraceLib.Trace;

    event NodePenalized(uint256 indexed disputeId, address indexed node, Side side, uint256 slashed);
    event Credited(uint256 indexed disputeId, address indexed recipient, uint256 amount);
    event DisputeResolved(uint256 indexed disputeId, Outcome outcome, Reason reason, address winner);
    event CreditClaimed(address indexed recipient, uint256 amount);
    event ReplicaProvenWrong(bytes32 indexed jobId, uint8 replica);
    event JobRefunded(bytes32 indexed jobId, address indexed client, uint256 amount, IJobMarket.RefundReason reason);

    uint256 internal constant REWARD = SLASH * SLASH_REWARD_BPS / 10_000;
    uint256 internal constant NET = FEE - FEE * PROTOCOL_FEE_BPS / 10_000;
    address internal constant DEAD = 0x000000000000000000000000000000000000dEaD;

    /// @dev Fast path to a decision: narrow at (t, s) and step.
    function _fast(Game memory _g, uint32 _t, uint16 _s) internal {
        _narrow(_g.id, _g.def, _g.defRecords, _g.ch, _g.chRecords, _t, _s);
        _decide(_g);
    }

    function _assertUnfrozen(Game memory _g) internal view {
        assertEq(market.getJob(_g.job.id).freezeCount, 0);
        for (uint256 i; i < pipeA.length; ++i) {
            assertEq(stakes.freezeCountOf(pipeA[i].node), 0);
        }
        for (uint256 i; i < pipeB.length; ++i) {
            assertEq(stakes.freezeCountOf(pipeB[i].node), 0);
        }
        assertEq(dg.openDisputeOf(_g.job.id, _info(_g.id).defenderReplica), 0);
    }

    function test_resolve_challengerWins_slashesAttributedNode_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _fast(g, 5, 3);
        // Slot 3 runs layer 2, which replica 1's pipeline (layers 0 | 1-2 | 3-4) gave to its second stage.
        vm.expectEmit(address(dg));
        emit Credited(g.id, challenger, BOND);
        vm.expectEmit(address(dg));
        emit NodePenalized(g.id, pipeB[1].node, Side.Defender, SLASH);
        vm.expectEmit(address(market));
        emit ReplicaProvenWrong(g.job.id, 1);
        vm.expectEmit(address(dg));
        emit Credited(g.id, challenger, REWARD);
        vm.expectEmit(address(dg));
        emit DisputeResolved(g.id, Outcome.ChallengerWon, Reason.Step, challenger);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(stakes.activeStake(pipeB[1].node), MIN_STAKE - SLASH);
        assertEq(stakes.activeStake(pipeB[0].node), MIN_STAKE);
        assertEq(stakes.activeStake(pipeB[2].node), MIN_STAKE);
        assertEq(dg.creditOf(challenger), BOND + REWARD);
        assertEq(token.balanceOf(address(dg)), BOND + REWARD);
        assertEq(token.balanceOf(DEAD), SLASH - REWARD);
        assertEq(uint8(_info(g.id).phase), uint8(Phase.Resolved));
        _assertUnfrozen(g);
        // The job is still in its window: finalize later pays replica 0 only.
        IJobMarket.JobInfo memory job = market.getJob(g.job.id);
        assertEq(job.wrongMask, 2);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Submitted));
        vm.warp(market.challengeDeadline(g.job.id));
        IJobMarket.StageRecord[][] memory stages = new IJobMarket.StageRecord[][](2);
        stages[0] = g.job.records0;
        market.finalize(g.job.id, stages);
        assertGt(market.creditOf(pipeA[0].operator), 0);
        assertEq(market.creditOf(pipeB[0].operator), 0);
    }

    /// @dev Replica 1's pipeline (layers 0 | 1-2 | 3-4) paid as the only honest replica: net x layers / LAYERS.
    function _expectReplicaOnePaid(bytes32 _jobId) internal returns (uint256 total_) {
        uint16[3] memory layers = [uint16(1), 2, 2];
        for (uint256 i; i < 3; ++i) {
            uint256 share = NET * layers[i] / LAYERS;
            vm.expectEmit(address(market));
            emit IJobMarket.StagePaid(_jobId, pipeB[i].node, pipeB[i].operator, 1, uint8(i), share);
            total_ += share;
        }
        vm.expectEmit(address(market));
        emit IJobMarket.ReplicaCompensated(_jobId, 1, total_);
    }

    function _assertReplicaOnePaid(uint256 _total) internal view {
        uint16[3] memory layers = [uint16(1), 2, 2];
        for (uint256 i; i < 3; ++i) {
            assertEq(market.creditOf(pipeB[i].operator), NET * layers[i] / LAYERS);
        }
        for (uint256 i; i < pipeA.length; ++i) {
            assertEq(market.creditOf(pipeA[i].operator), 0);
        }
        // The market holds the refund plus the pay it pulled from the slash; the game keeps bond and reward left.
        assertEq(token.balanceOf(address(market)), FEE + _total);
        assertEq(token.allowance(address(dg), address(market)), 0);
    }

    function test_resolve_servedReplicaWrong_refundsClientAndPaysHonestReplicaFromSlash_succeeds() public {
        Game memory g = _replicaGame(_fault(TraceLib.FaultKind.Hidden, 5, 3), _none(), 0, 6);
        _fast(g, 5, 3);
        vm.expectEmit(address(market));
        emit JobRefunded(g.job.id, client, FEE, IJobMarket.RefundReason.Dispute);
        uint256 paid = _expectReplicaOnePaid(g.job.id);
        vm.expectEmit(address(dg));
        emit Credited(g.id, challenger, REWARD - paid);
        _resolve(g.id, g.defRecords, g.chRecords);
        IJobMarket.JobInfo memory job = market.getJob(g.job.id);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Refunded));
        assertEq(job.wrongMask, 1);
        assertEq(market.creditOf(client), FEE);
        // Replica 0's pipeline: layers 0-1 | 2-4; slot 3 (layer 2) is its second stage.
        assertEq(stakes.activeStake(pipeA[1].node), MIN_STAKE - SLASH);
        assertEq(paid, NET);
        _assertReplicaOnePaid(paid);
        assertEq(dg.creditOf(challenger), BOND + REWARD - paid);
        assertEq(token.balanceOf(address(dg)), BOND + REWARD - paid);
        _assertUnfrozen(g);
    }

    function test_resolve_servedReplicaWrongAsChallenger_paysDefendingReplicaFromSlash_succeeds() public {
        // Against the honest replica 1, naming replica 0, which is wrong at (5, 3) (layer 2: its second stage).
        Game memory g = _replicaGame(_fault(TraceLib.FaultKind.Hidden, 5, 3), _none(), 1, 6);
        _fast(g, 5, 3);
        _assertOutcome(g, Outcome.DefenderWon, Reason.Step);
        // The falsely accused node: replica 1's stage for layer 2 (its second stage).
        address accused = pipeB[1].operator;
        uint256 paid = _expectReplicaOnePaid(g.job.id);
        vm.expectEmit(address(dg));
        emit DisputeResolved(g.id, Outcome.DefenderWon, Reason.Step, accused);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(stakes.activeStake(pipeA[1].node), MIN_STAKE - SLASH);
        assertEq(market.creditOf(client), FEE);
        _assertReplicaOnePaid(paid);
        assertEq(dg.creditOf(accused), BOND + REWARD - paid);
    }

    function test_resolve_servedReplicaTimedOut_paysHonestReplicaFromSlash_succeeds() public {
        Game memory g = _replicaGame(_fault(TraceLib.FaultKind.Hidden, 5, 3), _none(), 0, 6);
        _challengerMove(g.id, g.ch, g.chRecords, 5);
        vm.warp(_deadline(g.id) + 1);
        uint256 paid = _expectReplicaOnePaid(g.job.id);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(uint8(_info(g.id).outcome), uint8(Outcome.ChallengerWon));
        assertEq(uint8(_info(g.id).reason), uint8(Reason.DefenderTimedOut));
        assertEq(market.creditOf(client), FEE);
        _assertReplicaOnePaid(paid);
        assertEq(dg.creditOf(challenger), BOND + REWARD * pipeA.length - paid);
    }

    function test_resolve_servedReplicaWrong_otherDisputeOpen_noPayFromSlash_succeeds() public {
        Game memory g = _replicaGame(_fault(TraceLib.FaultKind.Hidden, 5, 3), _none(), 0, 6);
        // A second dispute against replica 1 could still prove it wrong: its pay is not taken from the slash.
        _open(g.job.id, 1, 0, g.chRecords, g.defRecords);
        _fast(g, 5, 3);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(market.creditOf(client), FEE);
        for (uint256 i; i < pipeB.length; ++i) {
            assertEq(market.creditOf(pipeB[i].operator), 0);
        }
        assertEq(dg.creditOf(challenger), BOND + REWARD);
        assertEq(token.balanceOf(address(market)), FEE);
    }

    function test_resolve_afterWindow_paysHonestReplica_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _narrow(g.id, g.def, g.defRecords, g.ch, g.chRecords, 5, 3);
        vm.warp(market.challengeDeadline(g.job.id) + 1 hours);
        _decide(g);
        _resolve(g.id, g.defRecords, g.chRecords);
        IJobMarket.JobInfo memory job = market.getJob(g.job.id);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Finalized));
        uint256 net = FEE - FEE * PROTOCOL_FEE_BPS / 10_000;
        assertEq(market.creditOf(pipeA[0].operator), net * 2 / LAYERS);
        assertEq(market.creditOf(pipeA[1].operator), net * 3 / LAYERS);
        for (uint256 i; i < pipeB.length; ++i) {
            assertEq(market.creditOf(pipeB[i].operator), 0);
        }
    }

    function test_resolve_honestDefenderWins_replicaChallengerSlashed_succeeds() public {
        // Against the honest replica 0, naming replica 1, which is wrong at (2, 5) (layer 4: its third stage).
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 2, 5), 0, 6);
        _fast(g, 2, 5);
        // The falsely accused node: replica 0's stage for layer 4 (its second stage).
        address accused = pipeA[1].operator;
        vm.expectEmit(address(dg));
        emit DisputeResolved(g.id, Outcome.DefenderWon, Reason.Step, accused);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(stakes.activeStake(pipeB[2].node), MIN_STAKE - SLASH);
        assertEq(stakes.activeStake(pipeA[1].node), MIN_STAKE);
        assertEq(dg.creditOf(accused), BOND + REWARD);
        assertEq(dg.creditOf(challenger), 0);
        assertEq(market.getJob(g.job.id).wrongMask, 2);
        _assertUnfrozen(g);
    }

    function test_resolve_ownCommitmentLoses_burnsBond_succeeds() public {
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(1, prompt, bytes32(0)), prompt, 6);
        TraceLib.Trace memory good = _honest(p, _spansA());
        TraceLib.Trace memory wrong = _faulty(p, _spansOwn(), TraceLib.FaultKind.Hidden, 4, 2);
        Game memory g = _ownGame(good, wrong, p);
        _fast(g, 4, 2);
        _assertOutcome(g, Outcome.DefenderWon, Reason.Step);
        vm.expectEmit(address(dg));
        emit DisputeResolved(g.id, Outcome.DefenderWon, Reason.Step, address(0));
        _resolve(g.id, g.defRecords, new IJobMarket.StageRecord[](0));
        assertEq(dg.creditOf(DEAD), BOND);
        assertEq(stakes.activeStake(pipeA[0].node), MIN_STAKE);
        assertEq(stakes.activeStake(pipeA[1].node), MIN_STAKE);
        assertEq(market.getJob(g.job.id).wrongMask, 0);
        _assertUnfrozen(g);
    }

    function test_resolve_ownCommitmentWins_succeeds() public {
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(1, prompt, bytes32(0)), prompt, 6);
        TraceLib.Trace memory bad = _faulty(p, _spansA(), TraceLib.FaultKind.Token, 6, LAYERS + 1);
        Game memory g = _ownGame(bad, _honest(p, _spansOwn()), p);
        _fast(g, 6, LAYERS + 1);
        _resolve(g.id, g.defRecords, new IJobMarket.StageRecord[](0));
        // The head belongs to the last stage; the only replica was served, so the client gets the fee back.
        assertEq(stakes.activeStake(pipeA[1].node), MIN_STAKE - SLASH);
        assertEq(dg.creditOf(challenger), BOND + REWARD);
        assertEq(market.creditOf(client), FEE);
    }

    function test_resolve_bothWrong_slashesBothAndBurns_succeeds() public {
        Game memory g =
            _replicaGame(_fault(TraceLib.FaultKind.KvRoot, 4, 1), _fault(TraceLib.FaultKind.Hidden, 4, 1), 1, 6);
        _fast(g, 4, 1);
        _assertOutcome(g, Outcome.BothWrong, Reason.Step);
        uint256 deadBefore = token.balanceOf(DEAD);
        _resolve(g.id, g.defRecords, g.chRecords);
        // Slot 1 (layer 0) is the first stage of either pipeline. No winner: rewards and the bond are burned.
        assertEq(stakes.activeStake(pipeB[0].node), MIN_STAKE - SLASH);
        assertEq(stakes.activeStake(pipeA[0].node), MIN_STAKE - SLASH);
        assertEq(token.balanceOf(DEAD) - deadBefore, 2 * SLASH);
        assertEq(dg.creditOf(DEAD), BOND);
        assertEq(dg.creditOf(challenger), 0);
        IJobMarket.JobInfo memory job = market.getJob(g.job.id);
        assertEq(job.wrongMask, 3);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Refunded));
        _assertUnfrozen(g);
    }

    function test_resolve_slashesUnbondingStakeStartedAfterJob_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        // The accused node's operator tries to leave after the job was created.
        vm.prank(pipeB[1].operator);
        stakes.requestUnbond(pipeB[1].node, MIN_STAKE);
        _fast(g, 5, 3);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(stakes.unbondingStake(pipeB[1].node), MIN_STAKE - SLASH);
        assertEq(dg.creditOf(challenger), BOND + REWARD);
    }

    function test_resolve_notDecidedOrTwice_reverts() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotResolvable.selector, g.id, Phase.Bisect));
        dg.resolve(g.id, g.defRecords, g.chRecords);
        _fast(g, 5, 3);
        _resolve(g.id, g.defRecords, g.chRecords);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotResolvable.selector, g.id, Phase.Resolved));
        dg.resolve(g.id, g.defRecords, g.chRecords);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_UnknownDispute.selector, 7));
        dg.resolve(7, g.defRecords, g.chRecords);
    }

    function test_resolve_stagesMismatch_reverts() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _fast(g, 5, 3);
        vm.expectRevert(
            abi.encodeWithSelector(
                E.DisputeGame_StagesMismatch.selector,
                Side.Challenger,
                keccak256(abi.encode(g.chRecords)),
                keccak256(abi.encode(g.defRecords))
            )
        );
        dg.resolve(g.id, g.defRecords, g.defRecords);
    }

    function test_resolve_reopenAfterResolution_succeeds() public {
        // A dispute the challenger lost does not protect the replica for the rest of the window.
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _challengerMove(g.id, g.ch, g.chRecords, 2); // a position where the traces agree
        _defenderMove(g.id, g.def, g.defRecords, g.ch);
        _resolve(g.id, g.defRecords, g.chRecords);
        assertEq(uint8(_info(g.id).reason), uint8(Reason.NoDisagreement));
        assertEq(dg.openDisputeOf(g.job.id, 1), 0);
        uint256 second = _open(g.job.id, 1, 0, g.defRecords, g.chRecords);
        assertEq(second, g.id + 1);
    }

    function test_claimCredit_pullsOnce_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _fast(g, 5, 3);
        _resolve(g.id, g.defRecords, g.chRecords);
        uint256 before = token.balanceOf(challenger);
        vm.expectEmit(address(dg));
        emit CreditClaimed(challenger, BOND + REWARD);
        vm.prank(anyone);
        assertEq(dg.claimCredit(challenger), BOND + REWARD);
        assertEq(token.balanceOf(challenger), before + BOND + REWARD);
        assertEq(token.balanceOf(address(dg)), 0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NoCredit.selector, challenger));
        dg.claimCredit(challenger);
    }
}
// forge-lint: disable-end(unsafe-typecast)
