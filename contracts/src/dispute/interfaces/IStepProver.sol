// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {IStepVerifier} from "../../verifier/IStepVerifier.sol";
import {IDisputeGame} from "./IDisputeGame.sol";
import {StepClaims} from "../lib/Types.sol";

/// @title IStepProver
/// @notice The evidence side of the dispute game: proves a one-step disagreement from both traces ({narrow}, the
///         fast path) and decides a fixed step with the model's IStepVerifier ({stepLayer}, {stepEmbedding},
///         {stepHead}). Stateless; it reports to its game ({IDisputeGame.fixStep}, {IDisputeGame.decideStep}),
///         which keeps the dispute's state, clocks and money and emits the events.
/// @dev The verifier recomputes a leaf from inputs it cannot tie to the traces itself (IStepVerifier NatSpec): the
///      input hidden vector (returned as hiddenInHash_, the `a` of agreed leaf (t, s − 1)), kvRootPrev (the `b` of
///      agreed leaf (t − 1, s), zero at t = 0), the embedded token (the `b` of agreed head leaf (t − 1, L + 1), the
///      prompt's first token at t = 0) and the job's sampling parameters. This contract ties each to the step's
///      claims, which the game fixed from leaves proven in both traces.
interface IStepProver {
    /// @notice A leaf's fields and its Merkle opening in the trace of the stage that owns its slot.
    struct LeafOpening {
        bytes32 a;
        bytes32 b;
        bytes32[] proof;
    }

    /// @notice One side's openings for {narrow}.
    struct SideOpenings {
        LeafOpening claim; // (t, s): the leaves that differ
        LeafOpening hiddenIn; // (t, s − 1), for s >= 1: its `a` is the step's input hidden vector
        LeafOpening carryIn; // for t >= 1: (t − 1, s) for s in 1..L (its `b` is kvRootPrev), (t − 1, L + 1) for s = 0
    }

    /// @notice The fast path: the divergent step and every opening it needs, from both traces.
    struct Narrowing {
        uint32 position;
        uint16 slot;
        IJobMarket.StageRecord[] defenderStages;
        IJobMarket.StageRecord[] challengerStages;
        SideOpenings defender;
        SideOpenings challenger;
    }

    /// @notice The job's request and prompt, for steps that depend on them (checked against the job id).
    struct JobInputs {
        IJobMarket.JobRequest request;
        uint32[] prompt; // token ids, leading BOS included; keccak256 of them packed as uint32 is the prompt hash
    }

    /// @notice Fast narrowing: proves in both traces that leaf (t, s) differs while the step's inputs agree (the
    ///         `a` of (t, s − 1) and the `b` of (t − 1, s), or of (t − 1, L + 1) for the embedding), and has the
    ///         game fix that step. Anyone may call it while the dispute is being narrowed, also in the middle of a
    ///         bisection; the challenger's clock then runs until the step is decided. Unused openings (no hidden
    ///         input for s = 0, no carried input at t = 0 or for the head) are ignored.
    /// @dev The game emits {IDisputeGame.StepFixed}. Reverts with {DisputeGame_UnknownDispute},
    ///      {DisputeGame_WrongPhase}, {DisputeGame_ClockExpired}, {DisputeGame_StagesMismatch},
    ///      {DisputeGame_InvalidSlot}, {DisputeGame_InvalidProof}, {DisputeGame_ClaimsAgree} or
    ///      {DisputeGame_InputsDisagree}.
    /// @param _disputeId Dispute id.
    /// @param _narrowing The step, both sides' stages and openings.
    function narrow(uint256 _disputeId, Narrowing calldata _narrowing) external;

    /// @notice Decides a fixed transformer-block step (slot 1..L) with the model's verifier, whose inputs must be
    ///         the agreed ones: the hidden vector hashing to `hiddenIn` and kvRootPrev = `carryIn`.
    /// @dev The game emits {IDisputeGame.StepVerified} and {IDisputeGame.DisputeDecided}. Reverts with
    ///      {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase}, {DisputeGame_ClockExpired},
    ///      {DisputeGame_StepClaimsMismatch}, {DisputeGame_WrongStepKind}, {DisputeGame_StepPositionMismatch},
    ///      {DisputeGame_KvRootMismatch}, {DisputeGame_HiddenMismatch}, {DisputeGame_VerifierReturnTooShort}, or
    ///      whatever the verifier reverts with.
    /// @param _disputeId Dispute id.
    /// @param _claims The fixed step's claims.
    /// @param _step The verifier's input (the last parameter: forwarded to the verifier as it was encoded).
    function stepLayer(uint256 _disputeId, StepClaims calldata _claims, IStepVerifier.LayerStep calldata _step) external;

    /// @notice Decides a fixed embedding step (slot 0). The token is the agreed head token of position t − 1
    ///         (`carryIn`), or the prompt's first token at t = 0. When the defender proved the position absent, its
    ///         absence is right if generation had stopped: the previous token was sampled (t >= P) and is BOS or
    ///         EOS, or t >= P − 1 + maxTokens.
    /// @dev The game emits {IDisputeGame.StepVerified} and {IDisputeGame.DisputeDecided}. Reverts with
    ///      {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase}, {DisputeGame_ClockExpired},
    ///      {DisputeGame_StepClaimsMismatch}, {DisputeGame_WrongStepKind}, {DisputeGame_JobRequestMismatch},
    ///      {DisputeGame_PromptMismatch}, {DisputeGame_TokenOutOfRange}, {DisputeGame_StepPositionMismatch},
    ///      {DisputeGame_EmbeddedTokenMismatch}, {DisputeGame_VerifierReturnTooShort}, or whatever the verifier
    ///      reverts with.
    /// @param _disputeId Dispute id.
    /// @param _claims The fixed step's claims.
    /// @param _job The job's request and prompt (needed at t = 0 and when the defender's leaf is absent; else
    ///        ignored).
    /// @param _step The verifier's input (ignored when an absence is decided by the stop rule).
    function stepEmbedding(
        uint256 _disputeId,
        StepClaims calldata _claims,
        JobInputs calldata _job,
        IStepVerifier.EmbeddingStep calldata _step
    ) external;

    /// @notice Decides a fixed head step (slot L + 1). At prompt positions (t < P − 1) the leaf must carry the
    ///         prompt's token t + 1 and the verifier is not called; from t = P − 1 on the verifier samples with the
    ///         job's parameters ({samplingOf}) from the hidden vector hashing to `hiddenIn`.
    /// @dev The game emits {IDisputeGame.StepVerified} and {IDisputeGame.DisputeDecided}. Reverts with
    ///      {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase}, {DisputeGame_ClockExpired},
    ///      {DisputeGame_StepClaimsMismatch}, {DisputeGame_WrongStepKind}, {DisputeGame_JobRequestMismatch},
    ///      {DisputeGame_PromptMismatch}, {DisputeGame_StepPositionMismatch}, {DisputeGame_SamplingMismatch},
    ///      {DisputeGame_HiddenMismatch}, {DisputeGame_VerifierReturnTooShort}, or whatever the verifier reverts
    ///      with.
    /// @param _disputeId Dispute id.
    /// @param _claims The fixed step's claims.
    /// @param _job The job's request and prompt.
    /// @param _step The verifier's input (ignored at prompt positions).
    function stepHead(
        uint256 _disputeId,
        StepClaims calldata _claims,
        JobInputs calldata _job,
        IStepVerifier.HeadStep calldata _step
    ) external;

    /// @notice The game this prover reports to.
    /// @return game_ Address.
    function game() external view returns (IDisputeGame game_);

    /// @notice The engine's sampling parameters for a job: temperature and top-p in thousandths, rounded up from
    ///         Q16.16 (temperature capped at 2000, the engine's maximum), and the 64-bit seed big-endian in the low
    ///         bytes of a 32-byte seed (SamplingParams.SeedFrom in the engine).
    /// @param _request The job request.
    /// @return temperature_ Thousandths, 0 = greedy.
    /// @return topP_ Thousandths, 1..1000.
    /// @return seed_ The 32-byte seed.
    function samplingOf(IJobMarket.JobRequest calldata _request)
        external
        pure
        returns (uint16 temperature_, uint16 topP_, bytes32 seed_);

    /// @notice The prompt hash a JobRequest must carry: keccak256 of the token ids as packed big-endian uint32.
    /// @param _prompt Token ids (leading BOS included).
    /// @return promptHash_ Hash.
    function promptHashOf(uint32[] calldata _prompt) external pure returns (bytes32 promptHash_);
}
