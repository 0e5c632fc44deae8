// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {Phase, Side} from "./Types.sol";

// The dispute game's errors, grouped as in bedrock's src/dispute/lib/Errors.sol. Each carries the offending values.

// ---------------------------------------------------------------- deployment

/// @notice A constructor argument is the zero address.
error DisputeGame_ZeroAddress();
/// @notice The StakeManager and the JobMarket use different tokens.
error DisputeGame_TokenMismatch(address stakeToken, address marketToken);
/// @notice The challenger bond or the slash amount is zero.
error DisputeGame_ZeroAmount();
/// @notice The clock extension is zero or longer than the clock.
error DisputeGame_InvalidClock(uint64 clockDuration, uint64 clockExtension);
/// @notice The longest possible dispute exceeds the StakeManager's maxDisputeDuration.
error DisputeGame_DurationTooLong(uint256 maxDuration, uint64 maxDisputeDuration);

// ---------------------------------------------------------------- opening

/// @notice The job has no result in its challenge window.
error DisputeGame_JobNotDisputable(bytes32 jobId, IJobMarket.JobStatus status);
/// @notice The job's challenge window has closed.
error DisputeGame_ChallengeWindowClosed(bytes32 jobId, uint256 endedAt);
/// @notice The replica index is not below the job's redundancy.
error DisputeGame_InvalidReplica(bytes32 jobId, uint8 replica);
/// @notice The disputed replica was already proven wrong.
error DisputeGame_ReplicaAlreadyWrong(bytes32 jobId, uint8 replica);
/// @notice The conflicting replica must be the job's other replica (redundancy 2), or OWN_COMMITMENT.
error DisputeGame_InvalidConflictingReplica(bytes32 jobId, uint8 replica);
/// @notice A dispute against this replica is already open.
error DisputeGame_DisputeAlreadyOpen(bytes32 jobId, uint8 replica, uint256 disputeId);
/// @notice The re-supplied stages do not hash to the side's commitment.
error DisputeGame_StagesMismatch(Side side, bytes32 expected, bytes32 actual);
/// @notice An own commitment has no stage or more than MAX_STAGES.
error DisputeGame_InvalidStageCount(uint256 count);
/// @notice An own commitment's stages do not cover layers 0..L−1 contiguously, or name a node.
error DisputeGame_InvalidLayout(uint256 stage, uint256 expectedFirst, uint16 firstLayer, uint16 lastLayer);

// ---------------------------------------------------------------- moves

/// @notice No dispute has this id.
error DisputeGame_UnknownDispute(uint256 disputeId);
/// @notice Only the game's StepProver may fix or decide a step.
error DisputeGame_NotStepProver(address caller);
/// @notice The move is not allowed in the dispute's phase.
error DisputeGame_WrongPhase(uint256 disputeId, Phase phase);
/// @notice The move belongs to the other side's turn.
error DisputeGame_NotYourTurn(uint256 disputeId, Side onTurn);
/// @notice The clock of the side on turn ran out at `deadline`; only resolve is possible now.
error DisputeGame_ClockExpired(uint256 disputeId, Side side, uint256 deadline);
/// @notice The slot is above L + 1.
error DisputeGame_InvalidSlot(uint16 slot, uint16 maxSlot);
/// @notice The position is not below the model's context length.
error DisputeGame_PositionOutOfRange(uint32 position, uint32 maxSeqLen);
/// @notice The bisection asks for another position.
error DisputeGame_UnexpectedPosition(uint32 expected, uint32 position);
/// @notice A Merkle opening does not verify against the side's stage trace root.
error DisputeGame_InvalidProof(Side side, uint32 position, uint16 slot);
/// @notice Both sides hold the same leaf at the narrowed step: nothing to decide there.
error DisputeGame_ClaimsAgree(uint32 position, uint16 slot);
/// @notice The sides' inputs of the narrowed step differ, so it is not a one-step disagreement.
error DisputeGame_InputsDisagree(uint32 position, uint16 slot);
/// @notice A list has the wrong length.
error DisputeGame_LengthMismatch(uint256 expected, uint256 given);
/// @notice Re-supplied challenger fields do not hash to the stored position commitment.
error DisputeGame_FieldsMismatch(uint32 position);
/// @notice The defender stage index is not below the stage count.
error DisputeGame_StageOutOfRange(uint8 stage, uint256 count);
/// @notice The defender stage already revealed its part of this position.
error DisputeGame_PartAlreadyRevealed(uint8 stage);

// ---------------------------------------------------------------- the step

/// @notice The step claims do not hash to the fixed step.
error DisputeGame_StepClaimsMismatch(uint256 disputeId);
/// @notice The step function does not match the kind of the fixed step's slot.
error DisputeGame_WrongStepKind(uint16 slot);
/// @notice The verifier input's position or slot is not the fixed step's.
error DisputeGame_StepPositionMismatch(uint32 position, uint16 slot);
/// @notice The verifier input's running key/value root is not the agreed one.
error DisputeGame_KvRootMismatch(bytes32 expected, bytes32 given);
/// @notice The verifier's input hidden vector is not the agreed one.
error DisputeGame_HiddenMismatch(bytes32 expected, bytes32 given);
/// @notice The embedded token is not the agreed (or prompt) token.
error DisputeGame_EmbeddedTokenMismatch(uint256 expected, uint256 given);
/// @notice A token value does not fit 32 bits.
error DisputeGame_TokenOutOfRange(uint256 token);
/// @notice The head step's sampling parameters are not the job's.
error DisputeGame_SamplingMismatch(uint16 temperature, uint16 topP, bytes32 seed);
/// @notice The model's step verifier returned fewer bytes than its interface promises (e.g. it holds no code).
error DisputeGame_VerifierReturnTooShort(address verifier, uint256 size);
/// @notice The re-supplied job request does not hash to the job id.
error DisputeGame_JobRequestMismatch(bytes32 jobId);
/// @notice The prompt does not hash to the job's prompt hash, or is empty.
error DisputeGame_PromptMismatch(bytes32 promptHash, bytes32 given);

// ---------------------------------------------------------------- resolution and credits

/// @notice The dispute is undecided and no clock has run out.
error DisputeGame_NotResolvable(uint256 disputeId, Phase phase);
/// @notice The recipient has no credit.
error DisputeGame_NoCredit(address recipient);
