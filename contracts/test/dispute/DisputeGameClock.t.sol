// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IDisputeGame} from "../../src/dispute/interfaces/IDisputeGame.sol";
import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {Outcome, Phase, Reason, Side, StepClaims} from "../../src/dispute/lib/Types.sol";
import "../../src/dispute/lib/Errors.sol" as E;
import {DisputeGame_Bisection_Init} from "./DisputeGameBisection.t.sol";
import {TraceLib} from "./utils/TraceLib.sol";

/// @notice Chess clocks: each side's deadline to the second, timeouts claimable from the next second, extensions,
///         and the bound on a dispute's length.
contract DisputeGame_Clock_Test is DisputeGame_Bisection_Init {
    using TraceLib for TraceLib.Trace;

    function _defaultGame() internal returns (Game memory g_) {
        g_ = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
    }

    function test_revealPosition_challengerClockBoundary_succeeds() public {
        Game memory g = _defaultGame();
        uint256 deadline = _info(g.id).deadline;
        assertEq(deadline, block.timestamp + CLOCK);
        vm.warp(deadline);
        uint256 snapshot = vm.snapshotState();
        // At the deadline the challenger may still move, and nobody can claim a timeout.
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotResolvable.selector, g.id, Phase.Bisect));
        dg.resolve(g.id, g.defRecords, g.chRecords);
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        vm.revertToState(snapshot);
        // One second later it may not, and the defender wins.
        vm.warp(deadline + 1);
        IDisputeGame.PositionReveal memory r = g.ch.positionReveal(8, g.chRecords);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ClockExpired.selector, g.id, Side.Challenger, deadline));
        dg.revealPosition(g.id, r);
        _resolve(g.id, g.defRecords, g.chRecords);
        _assertResolved(g, Outcome.DefenderWon, Reason.ChallengerTimedOut);
        // No proof, no slash: the bond is burned and both replicas stand.
        assertEq(dg.creditOf(dg.BURN_ADDRESS()), BOND);
        assertEq(market.getJob(g.job.id).wrongMask, 0);
        assertEq(stakes.activeStake(pipeB[1].node), MIN_STAKE);
    }

    function test_revealParts_defenderClockBoundary_succeeds() public {
        Game memory g = _defaultGame();
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        skip(1 hours);
        // Stage 0 reveals; stages 1 and 2 never do.
        IDisputeGame.PartReveal[] memory one = new IDisputeGame.PartReveal[](1);
        one[0] = g.def.part(8, 0);
        dg.revealParts(g.id, g.defRecords, one, g.ch.fields(8));
        uint256 deadline = _info(g.id).deadline;
        assertEq(deadline, block.timestamp - 1 hours + CLOCK);
        vm.warp(deadline);
        uint256 snapshot = vm.snapshotState();
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotResolvable.selector, g.id, Phase.Bisect));
        dg.resolve(g.id, g.defRecords, g.chRecords);
        one[0] = g.def.part(8, 1);
        dg.revealParts(g.id, g.defRecords, one, g.ch.fields(8));
        vm.revertToState(snapshot);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ClockExpired.selector, g.id, Side.Defender, deadline));
        dg.revealParts(g.id, g.defRecords, one, g.ch.fields(8));
        _resolve(g.id, g.defRecords, g.chRecords);
        _assertResolved(g, Outcome.ChallengerWon, Reason.DefenderTimedOut);
        // The stages that did not reveal are slashed; the one that did is not.
        assertEq(stakes.activeStake(pipeB[0].node), MIN_STAKE);
        assertEq(stakes.activeStake(pipeB[1].node), MIN_STAKE - SLASH);
        assertEq(stakes.activeStake(pipeB[2].node), MIN_STAKE - SLASH);
        uint256 reward = 2 * SLASH * SLASH_REWARD_BPS / 10_000;
        assertEq(dg.creditOf(challenger), BOND + reward);
        assertEq(market.getJob(g.job.id).wrongMask, 2);
    }

    function test_stepLayer_stepClockBoundary_succeeds() public {
        Game memory g = _defaultGame();
        skip(5 hours);
        _narrow(g.id, g.def, g.defRecords, g.ch, g.chRecords, 5, 3);
        uint256 deadline = _info(g.id).deadline;
        assertEq(deadline, block.timestamp - 5 hours + CLOCK); // one turn, one clock
        vm.warp(deadline);
        uint256 snapshot = vm.snapshotState();
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
        vm.revertToState(snapshot);
        vm.warp(deadline + 1);
        StepClaims memory claims = TraceLib.claims(g.def, g.ch, 5, 3);
        IStepVerifier.LayerStep memory step = g.ch.layerStep(5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ClockExpired.selector, g.id, Side.Challenger, deadline));
        prover.stepLayer(g.id, claims, step);
        _resolve(g.id, g.defRecords, g.chRecords);
        _assertResolved(g, Outcome.DefenderWon, Reason.ChallengerTimedOut);
    }

    function test_revealParts_extensionNearExpiry_succeeds() public {
        Game memory g = _defaultGame();
        // The challenger moves with 10 minutes left; the defender answers in a minute.
        skip(CLOCK - 10 minutes);
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        skip(1 minutes);
        _defenderMove(g.id, g.def, g.defRecords, g.ch);
        // The challenger's turn starts with less than the extension left, so it gets exactly the extension.
        IDisputeGame.DisputeInfo memory info = _info(g.id);
        assertEq(info.challengerUsed, CLOCK - EXTENSION);
        assertEq(info.deadline, block.timestamp + EXTENSION);
        vm.warp(info.deadline + 1);
        _resolve(g.id, g.defRecords, g.chRecords);
        _assertResolved(g, Outcome.DefenderWon, Reason.ChallengerTimedOut);
    }

    function test_revealParts_noExtensionWithTimeLeft_succeeds() public {
        Game memory g = _defaultGame();
        skip(1 days);
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        skip(2 hours);
        _defenderMove(g.id, g.def, g.defRecords, g.ch);
        IDisputeGame.DisputeInfo memory info = _info(g.id);
        assertEq(info.challengerUsed, 1 days);
        assertEq(info.defenderUsed, 2 hours);
        assertEq(info.deadline, block.timestamp + CLOCK - 1 days);
    }

    /// @dev Both sides always move at their last second, over the longest bisection a 64-position trace allows.
    function test_resolve_slowestGameWithinMaxDuration_succeeds() public {
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(2, prompt, bytes32(0)), prompt, 61);
        TraceLib.Trace memory good = _honest(p, _spansA());
        TraceLib.Trace memory bad = _faulty(p, _spansB(), TraceLib.FaultKind.Hidden, 62, 4);
        Game memory g;
        g.job = _job(good, bad, 2, prompt);
        g.job.params = p;
        (g.def, g.defRecords, g.ch, g.chRecords) = (bad, g.job.records1, good, g.job.records0);
        g.id = _open(g.job.id, 1, 0, g.defRecords, g.chRecords);
        uint256 openedAt = block.timestamp;
        uint256 rounds;
        while (_info(g.id).phase == Phase.Bisect) {
            vm.warp(_info(g.id).deadline);
            if (_info(g.id).onTurn == Side.Challenger) {
                _challengerMove(g.id, g.ch, g.chRecords, 63);
                ++rounds;
            } else {
                _defenderMove(g.id, g.def, g.defRecords, g.ch);
            }
        }
        assertEq(rounds, 7); // 63, then 6 halvings of (−1, 63]
        vm.warp(_info(g.id).deadline);
        _finish(g.id, g.ch);
        vm.warp(_info(g.id).deadline);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
        assertLe(block.timestamp - openedAt, dg.maxDuration());
        assertLe(block.timestamp - openedAt, MAX_DISPUTE_DURATION);
    }

    function _assertResolved(Game memory _g, Outcome _outcome, Reason _reason) internal view {
        IDisputeGame.DisputeInfo memory info = _info(_g.id);
        assertEq(uint8(info.phase), uint8(Phase.Resolved));
        assertEq(uint8(info.outcome), uint8(_outcome));
        assertEq(uint8(info.reason), uint8(_reason));
        assertEq(market.getJob(_g.job.id).freezeCount, 0);
        for (uint256 i; i < pipeB.length; ++i) {
            assertEq(stakes.freezeCountOf(pipeB[i].node), 0);
        }
        for (uint256 i; i < pipeA.length; ++i) {
            assertEq(stakes.freezeCountOf(pipeA[i].node), 0);
        }
    }
}
// forge-lint: disable-end(unsafe-typecast)
