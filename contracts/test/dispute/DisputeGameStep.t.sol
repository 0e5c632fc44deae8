// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {IDisputeGame} from "../../src/dispute/interfaces/IDisputeGame.sol";
import {IStepProver} from "../../src/dispute/interfaces/IStepProver.sol";
import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {Claim, Outcome, Phase, Reason, Side, StepClaims} from "../../src/dispute/lib/Types.sol";
import "../../src/dispute/lib/Errors.sol" as E;
import {DisputeGameFixture} from "./utils/DisputeGameFixture.sol";
import {TraceLib} from "./utils/TraceLib.sol";

/// @notice A verifier that returns nothing (as an account without code would).
contract SilentVerifier {
    fallback() external {}
}

/// @notice Fast narrowing and the one-step decision of every step kind.
contract DisputeGame_Step_Init is DisputeGameFixture {
    using TraceLib for TraceLib.Trace;

    event StepFixed(
        uint256 indexed disputeId,
        uint32 position,
        uint16 slot,
        bytes32 hiddenIn,
        bytes32 carryIn,
        Claim defenderLeaf,
        Claim challengerLeaf,
        bool narrowed
    );
    event StepVerified(uint256 indexed disputeId, uint32 position, uint16 slot, Claim correctLeaf);
    event DisputeDecided(uint256 indexed disputeId, Outcome outcome, Reason reason);

    /// @dev A conflict where replica 1 (defender, pipeline B) has `_fault` and replica 0 (challenger) `_chFault`.
    struct Case {
        Job job;
        TraceLib.Trace def;
        TraceLib.Trace ch;
        uint256 id;
    }

    function _case(TraceLib.FaultKind _kind, uint32 _t, uint16 _s, TraceLib.FaultKind _chKind)
        internal
        returns (Case memory c_)
    {
        uint32[] memory prompt = _prompt();
        IJobMarket.JobRequest memory req = _jobRequest(2, prompt, bytes32(0));
        TraceLib.Params memory p = _paramsFor(req, prompt, 6);
        c_.ch = _faulty(p, _spansA(), _chKind, _t, _s);
        c_.def = _faulty(p, _spansB(), _kind, _t, _s);
        c_.job = _job(c_.ch, c_.def, 2, prompt);
        c_.job.params = p;
        c_.id = _open(c_.job.id, 1, 0, c_.job.records1, c_.job.records0);
    }

    function _case(TraceLib.FaultKind _kind, uint32 _t, uint16 _s) internal returns (Case memory c_) {
        c_ = _case(_kind, _t, _s, TraceLib.FaultKind.None);
    }

    function _narrowCase(Case memory _c, uint256 _t, uint256 _s) internal {
        _narrow(_c.id, _c.def, _c.job.records1, _c.ch, _c.job.records0, _t, _s);
    }

    function _narrowing(Case memory _c, uint256 _t, uint256 _s)
        internal
        pure
        returns (IStepProver.Narrowing memory n_)
    {
        n_ = TraceLib.narrowing(_c.def, _c.job.records1, _c.ch, _c.job.records0, _t, _s);
    }

    function _claims(Case memory _c, uint256 _t, uint256 _s) internal pure returns (StepClaims memory c_) {
        c_ = TraceLib.claims(_c.def, _c.ch, _t, _s);
    }

    function _inputs(Case memory _c) internal pure returns (IStepProver.JobInputs memory inputs_) {
        inputs_ = IStepProver.JobInputs(_c.job.request, _c.job.prompt);
    }

    function _assertDecided(uint256 _id, Outcome _outcome) internal view {
        IDisputeGame.DisputeInfo memory info = _info(_id);
        assertEq(uint8(info.phase), uint8(Phase.Decided));
        assertEq(uint8(info.outcome), uint8(_outcome));
        assertEq(uint8(info.reason), uint8(Reason.Step));
        assertEq(info.deadline, 0);
    }
}

contract DisputeGame_Narrow_Test is DisputeGame_Step_Init {
    using TraceLib for TraceLib.Trace;

    function test_narrow_layerStep_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        StepClaims memory claims = _claims(c, 5, 3);
        assertEq(claims.hiddenIn, c.ch.fieldA(5, 2));
        assertEq(claims.carryIn, c.ch.fieldB(4, 3));
        uint256 deadline = _deadline(c.id);
        vm.expectEmit(address(dg));
        emit StepFixed(c.id, 5, 3, claims.hiddenIn, claims.carryIn, claims.defenderLeaf, claims.challengerLeaf, true);
        _narrowCase(c, 5, 3);
        IDisputeGame.DisputeInfo memory info = _info(c.id);
        assertEq(uint8(info.phase), uint8(Phase.Step));
        assertEq(info.hi, 5);
        assertEq(info.stepSlot, 3);
        assertEq(info.stepHash, keccak256(abi.encode(claims)));
        // Still the challenger's turn, on the same clock.
        assertEq(uint8(info.onTurn), uint8(Side.Challenger));
        assertEq(info.deadline, deadline);
    }

    function test_narrow_everyStepKind_succeeds() public {
        uint16[4] memory slots = [uint16(0), 1, LAYERS, LAYERS + 1];
        uint32[4] memory positions = [uint32(0), 0, 7, 8];
        for (uint256 i; i < 4; ++i) {
            TraceLib.FaultKind kind = slots[i] == LAYERS + 1 ? TraceLib.FaultKind.Token : TraceLib.FaultKind.Hidden;
            Case memory c = _case(kind, positions[i], slots[i]);
            _narrowCase(c, positions[i], slots[i]);
            assertEq(_info(c.id).stepHash, keccak256(abi.encode(_claims(c, positions[i], slots[i]))));
        }
    }

    function test_narrow_claimsAgree_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ClaimsAgree.selector, uint32(4), uint16(3)));
        prover.narrow(c.id, _narrowing(c, 4, 3));
    }

    function test_narrow_hiddenInputDisagrees_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        // (5, 4) differs, but so does its input (5, 3): not a one-step disagreement.
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InputsDisagree.selector, uint32(5), uint16(3)));
        prover.narrow(c.id, _narrowing(c, 5, 4));
    }

    function test_narrow_kvInputDisagrees_reverts() public {
        // A wrong key/value root at (3, 2) leaves the hidden chain intact: (4, 2) differs through its kvRootPrev.
        Case memory c = _case(TraceLib.FaultKind.KvRoot, 3, 2);
        assertEq(c.def.fieldA(4, 1), c.ch.fieldA(4, 1));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InputsDisagree.selector, uint32(3), uint16(2)));
        prover.narrow(c.id, _narrowing(c, 4, 2));
        _narrowCase(c, 3, 2);
    }

    function test_narrow_invalidProof_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        IStepProver.Narrowing memory n = _narrowing(c, 5, 3);
        n.defender.claim.proof[0] ^= bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidProof.selector, Side.Defender, 5, 3));
        prover.narrow(c.id, n);
        n = _narrowing(c, 5, 3);
        n.challenger.hiddenIn.a ^= bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidProof.selector, Side.Challenger, 5, 2));
        prover.narrow(c.id, n);
        n = _narrowing(c, 5, 3);
        n.challenger.carryIn.proof = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidProof.selector, Side.Challenger, 4, 3));
        prover.narrow(c.id, n);
    }

    function test_narrow_invalidSlot_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        IStepProver.Narrowing memory n = _narrowing(c, 5, 3);
        n.slot = LAYERS + 2;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidSlot.selector, LAYERS + 2, LAYERS + 1));
        prover.narrow(c.id, n);
    }

    function test_narrow_stagesMismatch_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        IStepProver.Narrowing memory n = _narrowing(c, 5, 3);
        n.defenderStages = c.job.records0;
        vm.expectRevert(
            abi.encodeWithSelector(
                E.DisputeGame_StagesMismatch.selector,
                Side.Defender,
                keccak256(abi.encode(c.job.records1)),
                keccak256(abi.encode(c.job.records0))
            )
        );
        prover.narrow(c.id, n);
    }

    function test_narrow_wrongPhaseOrUnknown_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _narrowCase(c, 5, 3);
        IStepProver.Narrowing memory n = _narrowing(c, 5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_WrongPhase.selector, c.id, Phase.Step));
        prover.narrow(c.id, n);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_UnknownDispute.selector, 99));
        prover.narrow(99, n);
    }

    function test_narrow_clockBoundary_succeedsThenReverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        uint256 deadline = _deadline(c.id);
        IStepProver.Narrowing memory n = _narrowing(c, 5, 3);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ClockExpired.selector, c.id, Side.Challenger, deadline));
        prover.narrow(c.id, n);
        vm.warp(deadline);
        prover.narrow(c.id, n);
    }

    function test_narrow_duringDefenderTurn_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _challengerMove(c.id, c.ch, c.job.records0, 8);
        assertEq(uint8(_info(c.id).onTurn), uint8(Side.Defender));
        skip(1 hours);
        _narrowCase(c, 5, 3);
        IDisputeGame.DisputeInfo memory info = _info(c.id);
        assertEq(uint8(info.onTurn), uint8(Side.Challenger));
        assertEq(info.defenderUsed, 1 hours);
        assertEq(info.deadline, block.timestamp + CLOCK);
    }

    function test_fixStepAndDecideStep_notProver_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        StepClaims memory claims = _claims(c, 5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotStepProver.selector, address(this)));
        dg.fixStep(c.id, 5, 3, claims);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_NotStepProver.selector, address(this)));
        dg.decideStep(c.id, claims, claims.challengerLeaf);
    }
}

contract DisputeGame_Step_Test is DisputeGame_Step_Init {
    using TraceLib for TraceLib.Trace;

    function test_stepLayer_defenderWrong_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _narrowCase(c, 5, 3);
        vm.expectEmit(address(dg));
        emit StepVerified(c.id, 5, 3, Claim.wrap(c.ch.leafAt(5, 3)));
        vm.expectEmit(address(dg));
        emit DisputeDecided(c.id, Outcome.ChallengerWon, Reason.Step);
        prover.stepLayer(c.id, _claims(c, 5, 3), c.ch.layerStep(5, 3));
        _assertDecided(c.id, Outcome.ChallengerWon);
    }

    function test_stepLayer_challengerWrong_succeeds() public {
        // The disputed replica is right; the named replica computed (5, 3) wrong.
        Case memory c = _case(TraceLib.FaultKind.None, 5, 3, TraceLib.FaultKind.KvRoot);
        _narrowCase(c, 5, 3);
        // The inputs are agreed, so the defender's trace provides them as well as the challenger's.
        prover.stepLayer(c.id, _claims(c, 5, 3), c.def.layerStep(5, 3));
        _assertDecided(c.id, Outcome.DefenderWon);
    }

    function test_stepLayer_bothWrong_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3, TraceLib.FaultKind.KvRoot);
        _narrowCase(c, 5, 3);
        prover.stepLayer(c.id, _claims(c, 5, 3), c.ch.layerStep(5, 3));
        _assertDecided(c.id, Outcome.BothWrong);
    }

    function test_stepLayer_atPositionZero_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 0, 1);
        _narrowCase(c, 0, 1);
        StepClaims memory claims = _claims(c, 0, 1);
        assertEq(claims.carryIn, bytes32(0));
        prover.stepLayer(c.id, claims, c.ch.layerStep(0, 1));
        _assertDecided(c.id, Outcome.ChallengerWon);
    }

    function test_stepEmbedding_atPositionZero_usesPrompt_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 0, 0);
        _narrowCase(c, 0, 0);
        StepClaims memory claims = _claims(c, 0, 0);
        IStepVerifier.EmbeddingStep memory step = TraceLib.embeddingStep(0, 7);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_EmbeddedTokenMismatch.selector, 1, 7));
        prover.stepEmbedding(c.id, claims, _inputs(c), step);
        prover.stepEmbedding(c.id, claims, _inputs(c), TraceLib.embeddingStep(0, c.job.prompt[0]));
        _assertDecided(c.id, Outcome.ChallengerWon);
    }

    function test_stepEmbedding_tokenFromAgreedHead_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 6, 0);
        _narrowCase(c, 6, 0);
        StepClaims memory claims = _claims(c, 6, 0);
        assertEq(claims.carryIn, c.ch.fieldB(5, LAYERS + 1));
        // The job inputs are not needed after position 0.
        IStepProver.JobInputs memory none;
        prover.stepEmbedding(c.id, claims, none, TraceLib.embeddingStep(6, uint256(claims.carryIn)));
        _assertDecided(c.id, Outcome.ChallengerWon);
    }

    function test_stepEmbedding_agreedTokenTooWide_reverts() public {
        // Both traces agree on a head leaf at position 2 whose token field does not fit 32 bits: its embedding
        // cannot be recomputed (both are wrong earlier, at that head).
        uint256 slots = uint256(LAYERS) + 2;
        bytes32[] memory a = new bytes32[](4 * slots);
        bytes32[] memory b = new bytes32[](4 * slots);
        bytes32[] memory b2 = new bytes32[](4 * slots);
        for (uint256 i; i < a.length; ++i) {
            (a[i], b[i], b2[i]) =
            (keccak256(abi.encode("a", i)), keccak256(abi.encode("b", i)), keccak256(abi.encode("b", i)));
        }
        b[2 * slots + LAYERS + 1] = bytes32(uint256(1) << 40);
        b2[2 * slots + LAYERS + 1] = bytes32(uint256(1) << 40);
        b2[3 * slots] = bytes32(uint256(7)); // the sides' embeddings at position 3 differ
        TraceLib.Trace memory ch = TraceLib.fromFields(LAYERS, 4, a, b, _spansA());
        TraceLib.Trace memory def = TraceLib.fromFields(LAYERS, 4, a, b2, _spansB());
        Job memory job = _job(ch, def, 2, _prompt());
        uint256 id = _open(job.id, 1, 0, job.records1, job.records0);
        _narrow(id, def, job.records1, ch, job.records0, 3, 0);
        StepClaims memory claims = TraceLib.claims(def, ch, 3, 0);
        IStepProver.JobInputs memory none;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_TokenOutOfRange.selector, uint256(1) << 40));
        prover.stepEmbedding(id, claims, none, TraceLib.embeddingStep(3, 0));
    }

    function test_stepHead_sampledPosition_succeeds() public {
        Case memory c = _case(TraceLib.FaultKind.Token, 5, LAYERS + 1);
        _narrowCase(c, 5, LAYERS + 1);
        prover.stepHead(c.id, _claims(c, 5, LAYERS + 1), _inputs(c), c.ch.headStep(c.job.params, 5));
        _assertDecided(c.id, Outcome.ChallengerWon);
    }

    function test_stepHead_promptPosition_checksPrompt_succeeds() public {
        // At t = 1 < P − 1 the head leaf must carry prompt token 2; no verifier input is read.
        Case memory c = _case(TraceLib.FaultKind.Token, 1, LAYERS + 1);
        _narrowCase(c, 1, LAYERS + 1);
        IStepVerifier.HeadStep memory garbage;
        garbage.temperature = 9999;
        vm.expectEmit(address(dg));
        emit StepVerified(c.id, 1, LAYERS + 1, Claim.wrap(TraceLib.leaf(1, LAYERS + 1, 0, bytes32(uint256(407)))));
        prover.stepHead(c.id, _claims(c, 1, LAYERS + 1), _inputs(c), garbage);
        _assertDecided(c.id, Outcome.ChallengerWon);
    }

    function test_stepLayer_claimsMismatch_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _narrowCase(c, 5, 3);
        StepClaims memory claims = _claims(c, 5, 3);
        claims.defenderLeaf = claims.challengerLeaf;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_StepClaimsMismatch.selector, c.id));
        prover.stepLayer(c.id, claims, c.ch.layerStep(5, 3));
    }

    function test_stepHead_wrongKind_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _narrowCase(c, 5, 3);
        StepClaims memory claims = _claims(c, 5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_WrongStepKind.selector, 3));
        prover.stepHead(c.id, claims, _inputs(c), c.ch.headStep(c.job.params, 5));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_WrongStepKind.selector, 3));
        prover.stepEmbedding(c.id, claims, _inputs(c), TraceLib.embeddingStep(5, 1));
    }

    function test_stepLayer_inputsNotAgreed_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _narrowCase(c, 5, 3);
        StepClaims memory claims = _claims(c, 5, 3);
        IStepVerifier.LayerStep memory step = c.ch.layerStep(5, 3);
        step.slot = 4;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_StepPositionMismatch.selector, 5, 4));
        prover.stepLayer(c.id, claims, step);
        step = c.ch.layerStep(5, 3);
        step.kvRootPrev = bytes32(uint256(1));
        vm.expectRevert(
            abi.encodeWithSelector(E.DisputeGame_KvRootMismatch.selector, claims.carryIn, bytes32(uint256(1)))
        );
        prover.stepLayer(c.id, claims, step);
        step = c.ch.layerStep(5, 3);
        step.hidden = abi.encode(uint256(7));
        vm.expectRevert(
            abi.encodeWithSelector(E.DisputeGame_HiddenMismatch.selector, claims.hiddenIn, keccak256(step.hidden))
        );
        prover.stepLayer(c.id, claims, step);
    }

    function test_stepHead_jobInputs_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Token, 5, LAYERS + 1);
        _narrowCase(c, 5, LAYERS + 1);
        StepClaims memory claims = _claims(c, 5, LAYERS + 1);
        IStepVerifier.HeadStep memory step = c.ch.headStep(c.job.params, 5);
        IStepProver.JobInputs memory inputs = _inputs(c);
        inputs.request.seed = 43;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_JobRequestMismatch.selector, c.job.id));
        prover.stepHead(c.id, claims, inputs, step);
        inputs.request.seed = 42; // (memory is shared with the case: restore)
        inputs.prompt[1] = 9;
        vm.expectRevert(
            abi.encodeWithSelector(
                E.DisputeGame_PromptMismatch.selector, c.job.request.promptHash, prover.promptHashOf(inputs.prompt)
            )
        );
        prover.stepHead(c.id, claims, inputs, step);
        inputs.prompt[1] = 403;
        step.seed = bytes32(uint256(43));
        vm.expectRevert(
            abi.encodeWithSelector(
                E.DisputeGame_SamplingMismatch.selector, step.temperature, step.topP, bytes32(uint256(43))
            )
        );
        prover.stepHead(c.id, claims, _inputs(c), step);
        step = c.ch.headStep(c.job.params, 5);
        step.position = 4;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_StepPositionMismatch.selector, 4, LAYERS + 1));
        prover.stepHead(c.id, claims, _inputs(c), step);
    }

    function test_stepLayer_beforeNarrowOrAfterClock_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        StepClaims memory claims = _claims(c, 5, 3);
        IStepVerifier.LayerStep memory step = c.ch.layerStep(5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_WrongPhase.selector, c.id, Phase.Bisect));
        prover.stepLayer(c.id, claims, step);
        _narrowCase(c, 5, 3);
        uint256 deadline = _deadline(c.id);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ClockExpired.selector, c.id, Side.Challenger, deadline));
        prover.stepLayer(c.id, claims, step);
        vm.warp(deadline);
        prover.stepLayer(c.id, claims, step);
    }

    function test_stepLayer_verifierReturnsNothing_reverts() public {
        bytes32 silentModel = keccak256("silent");
        SilentVerifier silent = new SilentVerifier();
        registry.registerModel(silentModel, ALPHABET_ROOT, _dims(), address(silent), "ipfs://silent");
        uint32[] memory prompt = _prompt();
        IJobMarket.JobRequest memory req = _jobRequest(2, prompt, bytes32(0));
        TraceLib.Params memory p = _paramsFor(req, prompt, 6);
        TraceLib.Trace memory good = _honest(p, _spansA());
        TraceLib.Trace memory bad = _faulty(p, _spansB(), TraceLib.FaultKind.Hidden, 5, 3);
        req.modelId = silentModel;
        bytes32 jobId = _createJob(client, req);
        IJobMarket.ReplicaResult[] memory results = new IJobMarket.ReplicaResult[](2);
        IJobMarket.StageRecord[] memory r0 = good.records(_nodes(pipeA));
        IJobMarket.StageRecord[] memory r1 = bad.records(_nodes(pipeB));
        results[0] = _signed(jobId, 0, _keys(pipeA), r0);
        results[1] = _signed(jobId, 1, _keys(pipeB), r1);
        market.submitResult(jobId, results);
        uint256 id = _open(jobId, 1, 0, r1, r0);
        _narrow(id, bad, r1, good, r0, 5, 3);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_VerifierReturnTooShort.selector, address(silent), 0));
        prover.stepLayer(id, TraceLib.claims(bad, good, 5, 3), good.layerStep(5, 3));
    }

    function test_stepLayer_verifierReverts_reverts() public {
        Case memory c = _case(TraceLib.FaultKind.Hidden, 5, 3);
        _narrowCase(c, 5, 3);
        // Every check of the prover passes; the verifier's own revert reaches the caller unchanged.
        vm.mockCallRevert(address(alphabet), abi.encodePacked(IStepVerifier.verifyLayerStep.selector), "boom");
        vm.expectRevert(bytes("boom"));
        prover.stepLayer(c.id, _claims(c, 5, 3), c.ch.layerStep(5, 3));
    }

    function test_samplingOf_roundsUpAndCaps_succeeds() public view {
        IJobMarket.JobRequest memory req = _jobRequest(1, _prompt(), bytes32(0));
        (uint16 temperature, uint16 topP, bytes32 seed) = prover.samplingOf(req);
        assertEq(temperature, 700); // 45875 / 65.536 = 699.99 -> 700
        assertEq(topP, 900); // 58982 / 65.536 = 899.99 -> 900
        assertEq(seed, bytes32(uint256(42)));
        req.temperature = 0;
        req.topP = 1;
        (temperature, topP,) = prover.samplingOf(req);
        assertEq(temperature, 0);
        assertEq(topP, 1);
        req.temperature = type(uint32).max;
        req.topP = 65_536;
        (temperature, topP,) = prover.samplingOf(req);
        assertEq(temperature, 2000);
        assertEq(topP, 1000);
    }

    function test_promptHashOf_packsUint32BigEndian_succeeds() public view {
        uint32[] memory prompt = _prompt();
        assertEq(prover.promptHashOf(prompt), keccak256(abi.encodePacked(prompt[0], prompt[1], prompt[2], prompt[3])));
        assertEq(prover.promptHashOf(new uint32[](0)), keccak256(""));
    }
}
// forge-lint: disable-end(unsafe-typecast)
