// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Lint choices for this file: the verifier input is forwarded from calldata unchanged, which needs its calldata
// offset (assembly) and a raw STATICCALL; token positions are compared as the spec states them (`>=`).
/* solhint-disable no-inline-assembly, gas-strict-inequalities */

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IStepVerifier} from "../verifier/IStepVerifier.sol";
import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IStepProver} from "./interfaces/IStepProver.sol";
import {Claim, Phase, Position, Side, StepClaims} from "./lib/Types.sol";
import {LibPosition} from "./lib/LibPosition.sol";
import {LibTrace} from "./lib/LibTrace.sol";
import "./lib/Errors.sol" as E;

/// @title StepProver
/// @notice Checks the evidence of a dispute's one step and reports to its game (see {IStepProver}): the fast
///         narrowing (openings in both traces) and the recomputation by the model's IStepVerifier, with every
///         verifier input tied to the agreed leaves, the job's prompt or its sampling parameters.
/// @dev Created by the DisputeGame in its constructor, which then accepts {IDisputeGame.fixStep} and
///      {IDisputeGame.decideStep} from this contract only. Holds no state and no tokens; the game re-checks the
///      dispute's phase, clock and claims when it is called. The verifier is called with STATICCALL.
contract StepProver is IStepProver {
    using LibPosition for Position;

    uint256 private constant _Q16_ONE = 1 << 16;
    uint256 private constant _MAX_TEMPERATURE_MILLI = 2000;

    IDisputeGame private immutable GAME;
    IJobMarket private immutable JOB_MARKET;
    IModelRegistry private immutable MODEL_REGISTRY;

    /// @param _game The game that created this prover.
    /// @param _jobMarket The game's JobMarket (job records and the model registry).
    constructor(IDisputeGame _game, IJobMarket _jobMarket) {
        GAME = _game;
        JOB_MARKET = _jobMarket;
        MODEL_REGISTRY = _jobMarket.modelRegistry();
    }

    // ------------------------------------------------------------------ narrowing

    /// @inheritdoc IStepProver
    function narrow(uint256 _disputeId, Narrowing calldata _narrowing) external {
        IDisputeGame.StepContext memory context = _context(_disputeId, Phase.Bisect);
        _checkStages(Side.Defender, context.defenderStagesHash, _narrowing.defenderStages);
        _checkStages(Side.Challenger, context.challengerStagesHash, _narrowing.challengerStages);
        StepClaims memory claims = _narrow(_narrowing, context.layerCount);
        GAME.fixStep(_disputeId, _narrowing.position, _narrowing.slot, claims);
    }

    // ------------------------------------------------------------------ the step

    /// @inheritdoc IStepProver
    function stepLayer(uint256 _disputeId, StepClaims calldata _claims, IStepVerifier.LayerStep calldata _step)
        external
    {
        IDisputeGame.StepContext memory context = _stepContext(_disputeId, _claims);
        uint16 slot = context.slot;
        // INVARIANT: a block step is decided by a block recomputation ...
        if (slot == 0 || slot > context.layerCount) revert E.DisputeGame_WrongStepKind(slot);
        // INVARIANT: ... of the fixed step, from the agreed key/value root ...
        if (_step.position != context.position || _step.slot != slot) {
            revert E.DisputeGame_StepPositionMismatch(_step.position, _step.slot);
        }
        if (_step.kvRootPrev != _claims.carryIn) {
            revert E.DisputeGame_KvRootMismatch(_claims.carryIn, _step.kvRootPrev);
        }
        uint256 stepOffset;
        assembly ("memory-safe") {
            stepOffset := _step
        }
        (bytes32 leaf, bytes32 hiddenInHash) =
            _verify(context.jobId, IStepVerifier.verifyLayerStep.selector, stepOffset);
        // INVARIANT: ... and from the agreed hidden vector.
        if (hiddenInHash != _claims.hiddenIn) revert E.DisputeGame_HiddenMismatch(_claims.hiddenIn, hiddenInHash);
        GAME.decideStep(_disputeId, _claims, Claim.wrap(leaf));
    }

    /// @inheritdoc IStepProver
    function stepEmbedding(
        uint256 _disputeId,
        StepClaims calldata _claims,
        JobInputs calldata _job,
        IStepVerifier.EmbeddingStep calldata _step
    ) external {
        IDisputeGame.StepContext memory context = _stepContext(_disputeId, _claims);
        // INVARIANT: an embedding step is decided by an embedding (or the stop rule).
        if (context.slot != 0) revert E.DisputeGame_WrongStepKind(context.slot);
        uint32 t = context.position;
        bool absent = Claim.unwrap(_claims.defenderLeaf) == bytes32(0);
        if (t == 0 || absent) _checkJob(context.jobId, _job);
        uint256 token;
        if (t == 0) {
            token = _job.prompt[0];
        } else {
            token = uint256(_claims.carryIn);
            // INVARIANT: token ids are 32-bit.
            if (token > type(uint32).max) revert E.DisputeGame_TokenOutOfRange(token);
        }
        if (absent && _generationStopped(t, token, _job)) {
            // The defender's trace ends where generation had to stop: no leaf is the right leaf.
            GAME.decideStep(_disputeId, _claims, Claim.wrap(bytes32(0)));
            return;
        }
        // INVARIANT: the verifier embeds the agreed token at the fixed position.
        if (_step.position != t) revert E.DisputeGame_StepPositionMismatch(_step.position, 0);
        if (_step.token != token) revert E.DisputeGame_EmbeddedTokenMismatch(token, _step.token);
        uint256 stepOffset;
        assembly ("memory-safe") {
            stepOffset := _step
        }
        (bytes32 leaf,) = _verify(context.jobId, IStepVerifier.verifyEmbeddingStep.selector, stepOffset);
        GAME.decideStep(_disputeId, _claims, Claim.wrap(leaf));
    }

    /// @inheritdoc IStepProver
    function stepHead(
        uint256 _disputeId,
        StepClaims calldata _claims,
        JobInputs calldata _job,
        IStepVerifier.HeadStep calldata _step
    ) external {
        IDisputeGame.StepContext memory context = _stepContext(_disputeId, _claims);
        uint16 slot = context.slot;
        // INVARIANT: a head step is decided by the head (or the prompt).
        if (slot != context.layerCount + 1) revert E.DisputeGame_WrongStepKind(slot);
        _checkJob(context.jobId, _job);
        uint32 t = context.position;
        if (uint256(t) + 1 < _job.prompt.length) {
            // A prompt position: the head leaf carries the prompt's next token; no logits are computed.
            Claim forced = LibTrace.leaf(LibPosition.wrap(t, slot), 0, bytes32(uint256(_job.prompt[t + 1])));
            GAME.decideStep(_disputeId, _claims, forced);
            return;
        }
        // INVARIANT: the verifier samples at the fixed position with the job's parameters ...
        if (_step.position != t) revert E.DisputeGame_StepPositionMismatch(_step.position, slot);
        (uint16 temperature, uint16 topP, bytes32 seed) = _sampling(_job.request);
        if (_step.temperature != temperature || _step.topP != topP || _step.seed != seed) {
            revert E.DisputeGame_SamplingMismatch(_step.temperature, _step.topP, _step.seed);
        }
        uint256 stepOffset;
        assembly ("memory-safe") {
            stepOffset := _step
        }
        (bytes32 leaf, bytes32 hiddenInHash) = _verify(context.jobId, IStepVerifier.verifyHeadStep.selector, stepOffset);
        // INVARIANT: ... from the agreed hidden vector.
        if (hiddenInHash != _claims.hiddenIn) revert E.DisputeGame_HiddenMismatch(_claims.hiddenIn, hiddenInHash);
        GAME.decideStep(_disputeId, _claims, Claim.wrap(leaf));
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStepProver
    function game() external view returns (IDisputeGame game_) {
        game_ = GAME;
    }

    /// @inheritdoc IStepProver
    function samplingOf(IJobMarket.JobRequest calldata _request)
        external
        pure
        returns (uint16 temperature_, uint16 topP_, bytes32 seed_)
    {
        (temperature_, topP_, seed_) = _sampling(_request);
    }

    /// @inheritdoc IStepProver
    function promptHashOf(uint32[] calldata _prompt) external pure returns (bytes32 promptHash_) {
        promptHash_ = LibTrace.promptHash(_prompt);
    }

    // ------------------------------------------------------------------ internals: checks

    /// @dev The dispute as the game sees it; reverts early (the game checks again) unless it is in `_phase`.
    function _context(uint256 _disputeId, Phase _phase)
        internal
        view
        returns (IDisputeGame.StepContext memory context_)
    {
        context_ = GAME.stepContext(_disputeId);
        // INVARIANT: evidence is checked only for a dispute in the matching phase.
        if (context_.phase == Phase.None) revert E.DisputeGame_UnknownDispute(_disputeId);
        if (context_.phase != _phase) revert E.DisputeGame_WrongPhase(_disputeId, context_.phase);
    }

    /// @dev The context of a dispute whose step is fixed, after checking the re-supplied claims.
    function _stepContext(uint256 _disputeId, StepClaims calldata _claims)
        internal
        view
        returns (IDisputeGame.StepContext memory context_)
    {
        context_ = _context(_disputeId, Phase.Step);
        // INVARIANT: the step is judged on the claims fixed by narrowing or bisection.
        if (keccak256(abi.encode(_claims)) != context_.stepHash) revert E.DisputeGame_StepClaimsMismatch(_disputeId);
    }

    /// @dev Reverts unless `_stages` hash to the side's commitment.
    function _checkStages(Side _side, bytes32 _expected, IJobMarket.StageRecord[] calldata _stages) internal pure {
        bytes32 actual = keccak256(abi.encode(_stages));
        // INVARIANT: leaves are proven against the roots the side committed to at opening, nothing else.
        if (actual != _expected) revert E.DisputeGame_StagesMismatch(_side, _expected, actual);
    }

    /// @dev Reverts unless `_job` is the job's request (against its id) and its prompt (against the prompt hash).
    function _checkJob(bytes32 _jobId, JobInputs calldata _job) internal view {
        address client = JOB_MARKET.getJob(_jobId).client;
        // INVARIANT: the sampling parameters and the prompt hash are the client's.
        if (keccak256(abi.encode(client, _job.request)) != _jobId) revert E.DisputeGame_JobRequestMismatch(_jobId);
        bytes32 given = LibTrace.promptHash(_job.prompt);
        // INVARIANT: the prompt is the one committed in the job (and holds at least BOS).
        if (given != _job.request.promptHash || _job.prompt.length == 0) {
            revert E.DisputeGame_PromptMismatch(_job.request.promptHash, given);
        }
    }

    // ------------------------------------------------------------------ internals: narrowing

    /// @dev Verifies a narrowing in both traces; returns the step's claims.
    function _narrow(Narrowing calldata _n, uint16 _layers) internal pure returns (StepClaims memory claims_) {
        uint32 t = _n.position;
        uint16 s = _n.slot;
        // INVARIANT: slots run from 0 (embedding) to L + 1 (head).
        if (s > _layers + 1) revert E.DisputeGame_InvalidSlot(s, _layers + 1);
        Position p = LibPosition.wrap(t, s);
        claims_.defenderLeaf = _openLeaf(Side.Defender, _n.defenderStages, p, _layers, _n.defender.claim);
        claims_.challengerLeaf = _openLeaf(Side.Challenger, _n.challengerStages, p, _layers, _n.challenger.claim);
        // INVARIANT: the step is one where the sides disagree.
        if (Claim.unwrap(claims_.defenderLeaf) == Claim.unwrap(claims_.challengerLeaf)) {
            revert E.DisputeGame_ClaimsAgree(t, s);
        }
        if (s != 0) claims_.hiddenIn = _agreedField(_n, LibPosition.wrap(t, s - 1), _layers, true);
        if (t != 0 && s <= _layers) {
            claims_.carryIn = _agreedField(_n, LibPosition.wrap(t - 1, s == 0 ? _layers + 1 : s), _layers, false);
        }
    }

    /// @dev Opens an input leaf in both traces and returns the field the step reads (`a` for the hidden vector,
    ///      `b` for the key/value root or token), which both must hold.
    function _agreedField(Narrowing calldata _n, Position _p, uint16 _layers, bool _hidden)
        internal
        pure
        returns (bytes32 field_)
    {
        LeafOpening calldata mine = _hidden ? _n.defender.hiddenIn : _n.defender.carryIn;
        LeafOpening calldata theirs = _hidden ? _n.challenger.hiddenIn : _n.challenger.carryIn;
        _openLeaf(Side.Defender, _n.defenderStages, _p, _layers, mine);
        _openLeaf(Side.Challenger, _n.challengerStages, _p, _layers, theirs);
        field_ = _hidden ? mine.a : mine.b;
        // INVARIANT: the step's inputs are agreed, so the verifier's recomputation judges both claims.
        if (field_ != (_hidden ? theirs.a : theirs.b)) revert E.DisputeGame_InputsDisagree(_p.position(), _p.slot());
    }

    /// @dev Verifies one opening in the trace of the side's stage owning the slot; returns the leaf.
    function _openLeaf(
        Side _side,
        IJobMarket.StageRecord[] calldata _stages,
        Position _p,
        uint16 _layers,
        LeafOpening calldata _o
    ) internal pure returns (Claim leaf_) {
        LibTrace.StageRef memory stage = LibTrace.stageOf(_stages, _p.slot(), _layers);
        bool ok;
        (ok, leaf_) = LibTrace.verifyLeaf(stage, _p, _o.a, _o.b, _o.proof);
        // INVARIANT: every leaf the game uses is in the side's committed trace.
        if (!ok) revert E.DisputeGame_InvalidProof(_side, _p.position(), _p.slot());
    }

    // ------------------------------------------------------------------ internals: the verifier

    /// @dev Calls `_selector(weightsRoot, step)` on the model's step verifier and returns the first two words it
    ///      returns (the embedding step returns one; the second is then zero). The step is the last parameter of the
    ///      step functions, so its ABI encoding runs from `_stepOffset` to the end of this call's calldata; its
    ///      inner offsets are relative to its own start, so it is forwarded unchanged after (weightsRoot, 0x40):
    ///      the verifier decodes exactly the bytes this contract checked (position, slot, kvRootPrev, token,
    ///      sampling), and no large struct is re-encoded.
    function _verify(bytes32 _jobId, bytes4 _selector, uint256 _stepOffset)
        internal
        view
        returns (bytes32 leaf_, bytes32 hiddenInHash_)
    {
        IModelRegistry.Model memory model = MODEL_REGISTRY.getModel(JOB_MARKET.getJob(_jobId).modelId);
        bytes32 weightsRoot = model.weightsRoot;
        address verifier = model.verifier;
        uint256 size;
        assembly ("memory-safe") {
            let len := sub(calldatasize(), _stepOffset)
            let ptr := mload(0x40)
            mstore(ptr, _selector)
            mstore(add(ptr, 4), weightsRoot)
            mstore(add(ptr, 36), 0x40)
            calldatacopy(add(ptr, 68), _stepOffset, len)
            if iszero(staticcall(gas(), verifier, ptr, add(68, len), 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            size := returndatasize()
            let n := size
            if gt(n, 0x40) { n := 0x40 }
            mstore(0x00, 0)
            mstore(0x20, 0)
            returndatacopy(0x00, 0, n)
            leaf_ := mload(0x00)
            hiddenInHash_ := mload(0x20)
        }
        uint256 expected = _selector == IStepVerifier.verifyEmbeddingStep.selector ? 0x20 : 0x40;
        // INVARIANT: a step is decided only on what the verifier actually returned.
        if (size < expected) revert E.DisputeGame_VerifierReturnTooShort(verifier, size);
    }

    // ------------------------------------------------------------------ internals: pure helpers

    /// @dev Whether generation had stopped before position `_t` (so no leaf may exist there): the token of
    ///      position t − 1 was sampled (t >= P) and is BOS or EOS, or maxTokens tokens were sampled (t >= P − 1 +
    ///      maxTokens). `_token` is the agreed head token of position t − 1.
    function _generationStopped(uint32 _t, uint256 _token, JobInputs calldata _job) internal pure returns (bool) {
        if (_t == 0) return false;
        uint256 promptLength = _job.prompt.length;
        if (_t >= promptLength && (_token == LibTrace.BOS || _token == LibTrace.EOS)) return true;
        return uint256(_t) + 1 >= promptLength + _job.request.maxTokens;
    }

    /// @dev See {samplingOf}.
    function _sampling(IJobMarket.JobRequest calldata _request)
        internal
        pure
        returns (uint16 temperature_, uint16 topP_, bytes32 seed_)
    {
        uint256 temperature = _ceilMilli(_request.temperature);
        if (temperature > _MAX_TEMPERATURE_MILLI) temperature = _MAX_TEMPERATURE_MILLI;
        // Safe casts: temperature <= 2000; topP <= 65536 (JobMarket) gives at most 1000.
        // forge-lint: disable-next-line(unsafe-typecast)
        temperature_ = uint16(temperature);
        // forge-lint: disable-next-line(unsafe-typecast)
        topP_ = uint16(_ceilMilli(_request.topP));
        seed_ = bytes32(uint256(_request.seed));
    }

    /// @dev ⌈q · 1000 / 2^16⌉ for a Q16.16 value.
    function _ceilMilli(uint32 _q16) internal pure returns (uint256 milli_) {
        milli_ = (uint256(_q16) * 1000 + _Q16_ONE - 1) / _Q16_ONE;
    }
}
