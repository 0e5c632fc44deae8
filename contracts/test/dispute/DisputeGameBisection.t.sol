// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {IDisputeGame} from "../../src/dispute/interfaces/IDisputeGame.sol";
import {Claim, Outcome, Phase, Reason, Side} from "../../src/dispute/lib/Types.sol";
import "../../src/dispute/lib/Errors.sol" as E;
import {DisputeGameFixture} from "./utils/DisputeGameFixture.sol";
import {TraceLib} from "./utils/TraceLib.sol";
import {AlphabetVerifier} from "./mocks/AlphabetVerifier.sol";

/// @notice Interactive bisection: honest and dishonest sides play every round, the game finds the step, the
///         verifier decides it.
contract DisputeGame_Bisection_Init is DisputeGameFixture {
    using TraceLib for TraceLib.Trace;

    event PositionRevealed(uint256 indexed disputeId, uint8 round, uint32 position, bytes32[] fields);
    event PartRevealed(
        uint256 indexed disputeId, uint8 round, uint32 position, uint8 stage, bool absent, bytes32[] fields
    );
    event RoundCompleted(
        uint256 indexed disputeId, uint8 round, uint32 position, uint16 firstDifferentSlot, Claim defenderLeaf
    );
    event DisputeDecided(uint256 indexed disputeId, Outcome outcome, Reason reason);

    /// @dev A dispute with its two traces and stage records.
    struct Game {
        Job job;
        TraceLib.Trace def;
        TraceLib.Trace ch;
        IJobMarket.StageRecord[] defRecords;
        IJobMarket.StageRecord[] chRecords;
        uint256 id;
    }

    /// @dev Replica 0 (pipeline A) runs `_fault0`, replica 1 (pipeline B) `_fault1`; the dispute is against replica
    ///      `_defender`, naming the other.
    function _replicaGame(TraceLib.Fault memory _fault0, TraceLib.Fault memory _fault1, uint8 _defender, uint32 _g)
        internal
        returns (Game memory g_)
    {
        uint32[] memory prompt = _prompt();
        IJobMarket.JobRequest memory req = _jobRequest(2, prompt, bytes32(0));
        TraceLib.Params memory p = _paramsFor(req, prompt, _g);
        TraceLib.Trace memory t0 = TraceLib.build(p, _fault0, _spansA());
        TraceLib.Trace memory t1 = TraceLib.build(p, _fault1, _spansB());
        g_.job = _job(t0, t1, 2, prompt);
        g_.job.params = p;
        if (_defender == 0) {
            (g_.def, g_.defRecords, g_.ch, g_.chRecords) = (t0, g_.job.records0, t1, g_.job.records1);
        } else {
            (g_.def, g_.defRecords, g_.ch, g_.chRecords) = (t1, g_.job.records1, t0, g_.job.records0);
        }
        g_.id = _open(g_.job.id, _defender, 1 - _defender, g_.defRecords, g_.chRecords);
    }

    /// @dev A single-replica job (pipeline A, `_defTrace`) disputed with the challenger's own one-stage trace.
    function _ownGame(TraceLib.Trace memory _defTrace, TraceLib.Trace memory _own, TraceLib.Params memory _p)
        internal
        returns (Game memory g_)
    {
        g_.job = _job(_defTrace, _defTrace, 1, _p.prompt);
        g_.job.params = _p;
        g_.def = _defTrace;
        g_.defRecords = g_.job.records0;
        g_.ch = _own;
        g_.chRecords = TraceLib.ownRecords(_own);
        g_.id = _open(g_.job.id, 0, OWN, g_.defRecords, g_.chRecords);
    }

    function _fault(TraceLib.FaultKind _kind, uint32 _t, uint16 _s) internal pure returns (TraceLib.Fault memory f_) {
        f_ = TraceLib.Fault(_kind, _t, _s);
    }

    function _none() internal pure returns (TraceLib.Fault memory f_) {
        f_ = TraceLib.Fault(TraceLib.FaultKind.None, 0, 0);
    }

    /// @dev The last position where the traces differ (a challenger who can see only its own trace picks it from
    ///      the outputs; here both are known).
    function _lastDifference(Game memory _g) internal pure returns (uint256 t_) {
        t_ = _g.ch.positions - 1;
        while (keccak256(abi.encode(_g.def.fields(t_))) == keccak256(abi.encode(_g.ch.fields(t_)))) --t_;
    }

    function _play(Game memory _g, uint256 _first) internal returns (uint256 rounds_) {
        rounds_ = _bisect(_g.id, _g.def, _g.defRecords, _g.ch, _g.chRecords, _first);
    }

    function _decide(Game memory _g) internal {
        _step(_g.id, _g.def, _g.ch, _g.job.params, _g.job.request);
    }

    function _assertStep(Game memory _g, uint32 _t, uint16 _s) internal view {
        IDisputeGame.DisputeInfo memory info = _info(_g.id);
        assertEq(uint8(info.phase), uint8(Phase.Step));
        assertEq(info.hi, _t);
        assertEq(info.stepSlot, _s);
        assertEq(info.stepHash, keccak256(abi.encode(TraceLib.claims(_g.def, _g.ch, _t, _s))));
    }

    function _assertOutcome(Game memory _g, Outcome _outcome, Reason _reason) internal view {
        IDisputeGame.DisputeInfo memory info = _info(_g.id);
        assertEq(uint8(info.phase), uint8(Phase.Decided));
        assertEq(uint8(info.outcome), uint8(_outcome));
        assertEq(uint8(info.reason), uint8(_reason));
    }
}

contract DisputeGame_Bisection_Test is DisputeGame_Bisection_Init {
    using TraceLib for TraceLib.Trace;

    function test_finishBisection_dishonestDefender_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        // Positions 0..8; the challenger starts at the last one: 8, then 3, 5, 4.
        uint256 rounds = _play(g, 8);
        assertEq(rounds, 4);
        _assertStep(g, 5, 3);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }

    function test_finishBisection_keyValueRootOnly_succeeds() public {
        // Only the running key/value root of block slot 2 is wrong from (3, 2) on: every later position differs in
        // that one field, and the step at (3, 2) has kvRootPrev from the agreed position 2.
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.KvRoot, 3, 2), 1, 6);
        _play(g, 8);
        _assertStep(g, 3, 2);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }

    function test_finishBisection_headAtFirstSampledPosition_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Token, 3, LAYERS + 1), 1, 6);
        _play(g, 7);
        _assertStep(g, 3, LAYERS + 1);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }

    function test_finishBisection_wrongPromptToken_succeeds() public {
        // A head leaf at a prompt position carrying another token than the prompt's.
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Token, 0, LAYERS + 1), 1, 3);
        _play(g, 5);
        _assertStep(g, 0, LAYERS + 1);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }

    function test_finishBisection_honestDefender_succeeds() public {
        // The dispute is against the honest replica 0, naming replica 1, which is the wrong one.
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 2, 5), 0, 6);
        // The fault changes nothing after it (the head at prompt position 2 carries the prompt's token, and block
        // 4's key/value root does not depend on its own output): the challenger starts where the traces differ.
        assertEq(_lastDifference(g), 2);
        _play(g, 2);
        _assertStep(g, 2, 5);
        _decide(g);
        _assertOutcome(g, Outcome.DefenderWon, Reason.Step);
    }

    function test_finishBisection_bothWrong_succeeds() public {
        Game memory g =
            _replicaGame(_fault(TraceLib.FaultKind.KvRoot, 4, 1), _fault(TraceLib.FaultKind.Hidden, 4, 1), 1, 6);
        _play(g, 8);
        _assertStep(g, 4, 1);
        _decide(g);
        _assertOutcome(g, Outcome.BothWrong, Reason.Step);
    }

    function test_finishBisection_ownCommitment_succeeds() public {
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(1, prompt, bytes32(0)), prompt, 9);
        TraceLib.Trace memory bad = _faulty(p, _spansA(), TraceLib.FaultKind.Hidden, 9, 2);
        Game memory g = _ownGame(bad, _honest(p, _spansOwn()), p);
        uint256 rounds = _play(g, 11);
        assertLe(rounds, 1 + 4); // the first round, then ceil(log2(12)) halvings at most
        _assertStep(g, 9, 2);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }

    function test_finishBisection_stepAtPositionZero_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 0, 0), 1, 2);
        _play(g, 0);
        _assertStep(g, 0, 0);
        assertFalse(_info(g.id).loSet);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }

    function test_revealParts_noDisagreementAtFirstPick_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _challengerMove(g.id, g.ch, g.chRecords, 4);
        vm.expectEmit(address(dg));
        emit RoundCompleted(g.id, 1, 4, dg.NO_SLOT(), Claim.wrap(0));
        vm.expectEmit(address(dg));
        emit DisputeDecided(g.id, Outcome.DefenderWon, Reason.NoDisagreement);
        _defenderMove(g.id, g.def, g.defRecords, g.ch);
        _assertOutcome(g, Outcome.DefenderWon, Reason.NoDisagreement);
    }

    function test_revealParts_separateTransactions_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        IDisputeGame.PartReveal[] memory one = new IDisputeGame.PartReveal[](1);
        bytes32[] memory fields = g.ch.fields(8);
        one[0] = g.def.part(8, 2);
        vm.expectEmit(address(dg));
        emit PartRevealed(g.id, 1, 8, 2, false, one[0].fields);
        dg.revealParts(g.id, g.defRecords, one, fields);
        assertEq(_info(g.id).partsMask, 4);
        assertEq(uint8(_info(g.id).onTurn), uint8(Side.Defender));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_PartAlreadyRevealed.selector, 2));
        dg.revealParts(g.id, g.defRecords, one, fields);
        IDisputeGame.PartReveal[] memory two = new IDisputeGame.PartReveal[](2);
        (two[0], two[1]) = (g.def.part(8, 1), g.def.part(8, 0));
        dg.revealParts(g.id, g.defRecords, two, fields);
        IDisputeGame.DisputeInfo memory info = _info(g.id);
        assertEq(uint8(info.onTurn), uint8(Side.Challenger));
        assertTrue(info.hiSet);
        assertEq(info.hi, 8);
    }

    function test_revealPosition_eventAndTurn_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        vm.expectEmit(address(dg));
        emit PositionRevealed(g.id, 1, 8, g.ch.fields(8));
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        IDisputeGame.DisputeInfo memory info = _info(g.id);
        assertEq(info.round, 1);
        assertEq(info.roundPosition, 8);
        assertEq(uint8(info.onTurn), uint8(Side.Defender));
        assertEq(info.deadline, block.timestamp + CLOCK);
    }

    function test_revealPosition_wrongPositionOrTurn_reverts() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        IDisputeGame.PositionReveal memory tooFar = g.ch.positionReveal(8, g.chRecords);
        tooFar.position = 512;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_PositionOutOfRange.selector, uint32(512), uint32(512)));
        dg.revealPosition(g.id, tooFar);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotYourTurn.selector, g.id, Side.Challenger));
        dg.revealParts(g.id, g.defRecords, g.def.parts(8), g.ch.fields(8));
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotYourTurn.selector, g.id, Side.Defender));
        dg.revealPosition(g.id, g.ch.positionReveal(8, g.chRecords));
        _defenderMove(g.id, g.def, g.defRecords, g.ch);
        // The bisection now asks for position 3.
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_UnexpectedPosition.selector, uint32(3), uint32(4)));
        dg.revealPosition(g.id, g.ch.positionReveal(4, g.chRecords));
    }

    function test_revealPosition_badReveal_reverts() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        IDisputeGame.PositionReveal memory r = g.ch.positionReveal(8, g.chRecords);
        r.fields[5] ^= bytes32(uint256(1)); // b of slot 2
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidProof.selector, Side.Challenger, 8, 2));
        dg.revealPosition(g.id, r);
        r = g.ch.positionReveal(8, g.chRecords);
        r.proofs = new bytes32[][](LAYERS + 1);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_LengthMismatch.selector, LAYERS + 2, LAYERS + 1));
        dg.revealPosition(g.id, r);
        r = g.ch.positionReveal(8, g.defRecords); // the defender's stages, not the challenger's
        vm.expectRevert(
            abi.encodeWithSelector(
                E.DisputeGame_StagesMismatch.selector,
                Side.Challenger,
                keccak256(abi.encode(g.chRecords)),
                keccak256(abi.encode(g.defRecords))
            )
        );
        dg.revealPosition(g.id, r);
    }

    function test_revealParts_badReveal_reverts() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        IDisputeGame.PartReveal[] memory parts = g.def.parts(8);
        bytes32[] memory fields = g.ch.fields(8);
        bytes32[] memory wrongFields = g.ch.fields(7);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_FieldsMismatch.selector, uint32(8)));
        dg.revealParts(g.id, g.defRecords, parts, wrongFields);
        parts[1].fields[0] ^= bytes32(uint256(1)); // a of slot 2 (stage 1 owns slots 2, 3)
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidProof.selector, Side.Defender, 8, 2));
        dg.revealParts(g.id, g.defRecords, parts, fields);
        parts = g.def.parts(8);
        parts[0].stage = 3;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_StageOutOfRange.selector, 3, 3));
        dg.revealParts(g.id, g.defRecords, parts, fields);
        parts = g.def.parts(8);
        parts[2].proofs = new bytes32[][](1);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_LengthMismatch.selector, 3, 1));
        dg.revealParts(g.id, g.defRecords, parts, fields);
        // Claiming a present position absent fails: the leaf there is not zero padding.
        parts = g.def.parts(8);
        parts[0] = g.def.absentPart(8, 0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidProof.selector, Side.Defender, 8, 0));
        dg.revealParts(g.id, g.defRecords, parts, fields);
    }

    function test_finishBisection_badFields_reverts() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_WrongPhase.selector, g.id, Phase.Bisect));
        dg.finishBisection(g.id, g.ch.fields(4), g.ch.fields(5));
        // Play until the bisection is over, without finishing it.
        while (_info(g.id).phase == Phase.Bisect) {
            if (_info(g.id).onTurn == Side.Challenger) _challengerMove(g.id, g.ch, g.chRecords, 8);
            else _defenderMove(g.id, g.def, g.defRecords, g.ch);
        }
        assertEq(uint8(_info(g.id).phase), uint8(Phase.Bisected));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_FieldsMismatch.selector, uint32(5)));
        dg.finishBisection(g.id, g.ch.fields(4), g.ch.fields(6));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_FieldsMismatch.selector, uint32(4)));
        dg.finishBisection(g.id, g.ch.fields(3), g.ch.fields(5));
        dg.finishBisection(g.id, g.ch.fields(4), g.ch.fields(5));
        _assertStep(g, 5, 3);
    }

    function testFuzz_finishBisection_anyFault_succeeds(uint256 _t, uint256 _s, uint256 _kind) public {
        uint32 t = uint32(bound(_t, 0, 8));
        uint16 s = uint16(bound(_s, 0, LAYERS + 1));
        TraceLib.FaultKind kind = s == LAYERS + 1
            ? TraceLib.FaultKind.Token
            : (s == 0 || _kind % 2 == 0 ? TraceLib.FaultKind.Hidden : TraceLib.FaultKind.KvRoot);
        Game memory g = _replicaGame(_none(), _fault(kind, t, s), 1, 6);
        uint256 rounds = _play(g, _lastDifference(g));
        assertLe(rounds, 1 + 4);
        _assertStep(g, t, s);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }
}

/// @notice A defender whose trace ends earlier than the challenger's proves the missing positions absent; the
///         stop rule decides whether it was right to stop.
contract DisputeGame_Absence_Test is DisputeGame_Bisection_Init {
    using TraceLib for TraceLib.Trace;

    function test_stepEmbedding_absentAfterMaxTokens_succeeds() public {
        jobMaxTokens = 3;
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(1, prompt, bytes32(0)), prompt, 3);
        TraceLib.Trace memory right = _honest(p, _spansA()); // positions 0..5
        p.generated = 5;
        TraceLib.Trace memory tooLong = _honest(p, _spansOwn()); // positions 0..7: two beyond maxTokens
        p.generated = 3;
        Game memory g = _ownGame(right, tooLong, p);
        _play(g, 7);
        _assertStep(g, 6, 0);
        assertEq(Claim.unwrap(TraceLib.claims(g.def, g.ch, 6, 0).defenderLeaf), bytes32(0));
        _decide(g);
        _assertOutcome(g, Outcome.DefenderWon, Reason.Step);
    }

    function test_stepEmbedding_absentAfterEos_succeeds() public {
        // A model whose head samples EOS at position 4: generation stops there.
        AlphabetVerifier eos = new AlphabetVerifier(LAYERS, VOCAB, 4, ALPHABET_ROOT);
        jobModel = keccak256("alphabet-eos");
        registry.registerModel(jobModel, ALPHABET_ROOT, _dims(), address(eos), "ipfs://alphabet-eos");
        stopAt = 4;
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(1, prompt, bytes32(0)), prompt, 2);
        TraceLib.Trace memory right = _honest(p, _spansA()); // positions 0..4; the head at 4 is EOS
        assertEq(right.fieldB(4, LAYERS + 1), bytes32(uint256(2)));
        p.generated = 6;
        TraceLib.Trace memory past = _honest(p, _spansOwn()); // continues after EOS
        p.generated = 2;
        Game memory g = _ownGame(right, past, p);
        _play(g, 8);
        _assertStep(g, 5, 0);
        _decide(g);
        _assertOutcome(g, Outcome.DefenderWon, Reason.Step);
    }

    function test_stepEmbedding_absentTruncated_succeeds() public {
        uint32[] memory prompt = _prompt();
        TraceLib.Params memory p = _paramsFor(_jobRequest(1, prompt, bytes32(0)), prompt, 9);
        TraceLib.Trace memory full = _honest(p, _spansOwn()); // positions 0..11
        TraceLib.Trace memory cut = full.truncate(6, _spansA()); // stops at 5 without a stop token
        // Position 11 lies beyond the defender's padded trees (stage widths 3 and 4: 18 and 24 leaves, trees of 32):
        // the absence is shown by an opening of the stage's first leaf.
        assertGe(11 * 3, cut.stages[0].levels[0].length);
        Game memory g = _ownGame(cut, full, p);
        _play(g, 11);
        _assertStep(g, 6, 0);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
    }
}
// forge-lint: disable-end(unsafe-typecast)
