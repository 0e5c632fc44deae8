// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Amounts, positions and slots in events are data, not lookup keys: topics are kept for dispute, job and accounts.
/* solhint-disable gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {IModelRegistry} from "../../interfaces/IModelRegistry.sol";
import {IStakeManager} from "../../interfaces/IStakeManager.sol";
import {IStepProver} from "./IStepProver.sol";
import {Claim, Outcome, Phase, Reason, Side, StepClaims} from "../lib/Types.sol";

/// @title IDisputeGame
/// @notice Fraud proofs for inference results: a challenger disputes a submitted replica within the challenge
///         window, the parties narrow their disagreement down to one step of the trace, and the model's step
///         verifier recomputes that step on-chain. The node whose signed stage trace holds the wrong leaf is slashed.
/// @dev Sides: the defender is the disputed replica, whose leaves are proven against the trace roots its stage nodes
///      signed; the challenger is either the job's other replica (likewise signed) or a commitment of the
///      challenger's own (a list of stage spans with trace roots). Every move is a Merkle opening against those
///      roots, so its content is forced by the commitments and anyone may make it; the challenger account only
///      posts the bond and collects the outcome.
///
///      Narrowing: fast (IStepProver.narrow, one transaction, when both traces are at hand) or interactive, by
///      bisection over token positions ({revealPosition} by the challenger side, {revealParts} by the defender's
///      stages), ended by {finishBisection}. Either way the game reaches one step (position t, slot s) whose inputs
///      both traces share and whose leaves differ; the StepProver's stepLayer, stepEmbedding or stepHead recompute
///      it with the model's verifier and report the leaf ({decideStep}). {resolve} settles a decided dispute, or one
///      whose party on turn ran out of time. Bonds and slash rewards are credits, withdrawn with {claimCredit}.
interface IDisputeGame {
    /// @notice What {open} needs.
    struct OpenParams {
        bytes32 jobId;
        uint8 defenderReplica; // the disputed replica
        uint8 conflictingReplica; // the job's other replica, or OWN_COMMITMENT
        IJobMarket.StageRecord[] defenderStages; // the disputed replica's records (ResultSubmitted)
        // The other replica's records, or the challenger's own layout: stages covering layers 0..L−1 in order, node
        // zero, traceRoot the Merkle root of that stage's leaves (inputRoot and outputRoot are not used).
        IJobMarket.StageRecord[] challengerStages;
    }

    /// @notice A challenger move of the bisection: every leaf of one position.
    struct PositionReveal {
        uint32 position;
        IJobMarket.StageRecord[] stages; // the challenger's stages
        bytes32[] fields; // a, b of slot 0, a, b of slot 1, …, a, b of slot L + 1
        bytes32[][] proofs; // one per slot, against the stage owning the slot
    }

    /// @notice A defender move of the bisection: one stage's leaves at the round's position, or proof that the
    ///         stage's trace has no such position.
    /// @dev Present: `fields` = a, b per slot of the stage (2·n words), `proofs` one per slot. Absent: `proofs` holds
    ///      one opening. If the index j = position·n of the stage's first slot is below 2^depth, it opens a zero
    ///      (padding) leaf at j and `fields` is empty; otherwise it opens the stage's first leaf (position 0) at
    ///      index 0 and `fields` = its a, b, showing that the tree (of 2^depth leaves) cannot hold index j.
    struct PartReveal {
        uint8 stage;
        bool absent;
        bytes32[] fields;
        bytes32[][] proofs;
    }

    /// @notice What the StepProver reads about a dispute.
    struct StepContext {
        bytes32 jobId;
        Phase phase;
        uint16 layerCount;
        uint32 position; // the fixed step's position (phase Step)
        uint16 slot; // the fixed step's slot (phase Step)
        bytes32 stepHash; // keccak256(abi.encode(StepClaims)) (phase Step)
        bytes32 defenderStagesHash;
        bytes32 challengerStagesHash;
    }

    /// @notice A dispute, as returned by {getDispute}.
    struct DisputeInfo {
        bytes32 jobId;
        address challenger;
        uint64 openedAt;
        uint16 layerCount;
        uint8 defenderReplica;
        uint8 conflictingReplica; // OWN_COMMITMENT for the challenger's own trace
        Phase phase;
        Outcome outcome;
        Reason reason;
        Side onTurn; // meaningful while deadline != 0
        uint256 deadline; // last second the side on turn may move; zero once decided
        uint64 defenderUsed; // seconds of the defender's clock spent on finished turns
        uint64 challengerUsed;
        uint8 round; // positions revealed by the challenger so far
        bool loSet; // a position both sides agree on is known
        uint32 lo; // the last known agreed position (when loSet)
        bool hiSet; // a position where the sides differ is known
        uint32 hi; // the first known differing position (when hiSet); the step's position
        uint32 roundPosition; // the position of the round in progress
        uint32 partsMask; // defender stages that revealed in the round in progress
        uint8 defenderStageCount;
        uint16 stepSlot; // the step's slot (once hiSet)
        bytes32 stepHash; // keccak256(abi.encode(StepClaims)) once the step is fixed
        bytes32 defenderStagesHash;
        bytes32 challengerStagesHash;
    }

    /// @notice A dispute opened: `challenger` bonded `bond` against replica `defenderReplica` of job `jobId`.
    ///         `ownStages` is the challenger's own layout (empty when it named the other replica, whose stages are
    ///         in that replica's ResultSubmitted event).
    event DisputeOpened(
        uint256 indexed disputeId,
        bytes32 indexed jobId,
        address indexed challenger,
        uint8 defenderReplica,
        uint8 conflictingReplica,
        bytes32 defenderStagesHash,
        bytes32 challengerStagesHash,
        IJobMarket.StageRecord[] ownStages,
        uint256 bond
    );
    /// @notice The challenger side revealed every leaf's fields at `position` (round `round`); the openings are in
    ///         the transaction's calldata.
    event PositionRevealed(uint256 indexed disputeId, uint8 round, uint32 position, bytes32[] fields);
    /// @notice A defender stage revealed its leaves' fields at `position` (or proved them absent).
    event PartRevealed(
        uint256 indexed disputeId, uint8 round, uint32 position, uint8 stage, bool absent, bytes32[] fields
    );
    /// @notice Every defender stage revealed `position`; the sides first differ at `firstDifferentSlot` (NO_SLOT
    ///         when they agree), where the defender's leaf is `defenderLeaf`.
    event RoundCompleted(
        uint256 indexed disputeId, uint8 round, uint32 position, uint16 firstDifferentSlot, Claim defenderLeaf
    );
    /// @notice The step (position, slot) was fixed, by fast narrowing (`narrowed`, the openings are in the
    ///         StepProver.narrow calldata) or by {finishBisection}; the step must be recomputed from `hiddenIn` and
    ///         `carryIn`.
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
    /// @notice The step was recomputed: `correctLeaf` is the leaf (zero: no leaf should exist there).
    event StepVerified(uint256 indexed disputeId, uint32 position, uint16 slot, Claim correctLeaf);
    /// @notice The dispute's outcome is known.
    event DisputeDecided(uint256 indexed disputeId, Outcome outcome, Reason reason);
    /// @notice `node` of `side` was slashed `slashed` tokens.
    event NodePenalized(uint256 indexed disputeId, address indexed node, Side side, uint256 slashed);
    /// @notice `recipient` was credited `amount` (a bond or a slash reward; BURN_ADDRESS for forfeited bonds).
    event Credited(uint256 indexed disputeId, address indexed recipient, uint256 amount);
    /// @notice The dispute was settled; `winner` received the bond and rewards (zero: nobody, they were burned).
    event DisputeResolved(uint256 indexed disputeId, Outcome outcome, Reason reason, address winner);
    /// @notice `amount` of credit was paid out to `recipient`.
    event CreditClaimed(address indexed recipient, uint256 amount);

    /// @notice Opens a dispute against a submitted replica, strictly inside its challenge window, and takes the
    ///         challenger bond from the caller (needs an allowance). Freezes the job, the disputed replica's nodes
    ///         and (when named) the other replica's nodes; one open dispute per (job, replica).
    /// @dev Emits {DisputeOpened}. Reverts with {DisputeGame_JobNotDisputable}, {DisputeGame_ChallengeWindowClosed},
    ///      {DisputeGame_InvalidReplica}, {DisputeGame_ReplicaAlreadyWrong}, {DisputeGame_InvalidConflictingReplica},
    ///      {DisputeGame_DisputeAlreadyOpen}, {DisputeGame_StagesMismatch}, {DisputeGame_InvalidStageCount} or
    ///      {DisputeGame_InvalidLayout}. The challenger's clock starts.
    /// @param _params The job, the replicas and their stages.
    /// @return disputeId_ The new dispute's id (from 1).
    function open(OpenParams calldata _params) external returns (uint256 disputeId_);

    /// @notice Challenger move of the bisection: reveals every leaf of a position of the challenger's trace. The
    ///         first round's position is the challenger's choice (a position where it says the traces differ,
    ///         below the model's context length); later rounds reveal the midpoint between the last agreed and the
    ///         first differing position. Hands the turn to the defender.
    /// @dev Emits {PositionRevealed}. Reverts with {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase},
    ///      {DisputeGame_ClockExpired}, {DisputeGame_NotYourTurn}, {DisputeGame_StagesMismatch},
    ///      {DisputeGame_PositionOutOfRange}, {DisputeGame_UnexpectedPosition}, {DisputeGame_LengthMismatch} or
    ///      {DisputeGame_InvalidProof}.
    /// @param _disputeId Dispute id.
    /// @param _reveal The position, the challenger's stages, fields and openings.
    function revealPosition(uint256 _disputeId, PositionReveal calldata _reveal) external;

    /// @notice Defender move of the bisection: reveals the leaves of one or more defender stages at the round's
    ///         position and compares them with the challenger's. When every stage has revealed, the round closes:
    ///         the position becomes the last agreed or the first differing one, and the turn returns to the
    ///         challenger. A stage that does not reveal before the defender's clock runs out is slashed.
    /// @dev Emits {PartRevealed} per part and {RoundCompleted} when the round closes ({DisputeDecided} when the
    ///      first round shows no disagreement). Reverts with {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase},
    ///      {DisputeGame_ClockExpired}, {DisputeGame_NotYourTurn}, {DisputeGame_StagesMismatch},
    ///      {DisputeGame_FieldsMismatch}, {DisputeGame_StageOutOfRange}, {DisputeGame_PartAlreadyRevealed},
    ///      {DisputeGame_LengthMismatch} or {DisputeGame_InvalidProof}.
    /// @param _disputeId Dispute id.
    /// @param _stages The defender's stages.
    /// @param _parts One entry per revealed stage.
    /// @param _challengerFields The challenger's fields at the round's position (as in {PositionRevealed}).
    function revealParts(
        uint256 _disputeId,
        IJobMarket.StageRecord[] calldata _stages,
        PartReveal[] calldata _parts,
        bytes32[] calldata _challengerFields
    ) external;

    /// @notice Ends a finished bisection: from the challenger's fields at the last agreed position (empty when the
    ///         step is at position 0) and at the first differing position, fixes the step at the first differing
    ///         slot. Part of the challenger's turn; anyone may call it.
    /// @dev Emits {StepFixed}. Reverts with {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase},
    ///      {DisputeGame_ClockExpired}, {DisputeGame_FieldsMismatch} or {DisputeGame_LengthMismatch}.
    /// @param _disputeId Dispute id.
    /// @param _loFields Challenger fields at position t − 1 (empty when t = 0).
    /// @param _hiFields Challenger fields at position t.
    function finishBisection(uint256 _disputeId, bytes32[] calldata _loFields, bytes32[] calldata _hiFields) external;

    /// @notice StepProver hook: fixes the step (position, slot) with its claims, proven by fast narrowing. The
    ///         challenger's clock then runs until the step is decided.
    /// @dev Emits {StepFixed}. Reverts with {DisputeGame_NotStepProver}, {DisputeGame_UnknownDispute},
    ///      {DisputeGame_WrongPhase} or {DisputeGame_ClockExpired}.
    /// @param _disputeId Dispute id.
    /// @param _position The step's token position.
    /// @param _slot The step's slot.
    /// @param _claims The step's agreed inputs and the two differing leaves.
    function fixStep(uint256 _disputeId, uint32 _position, uint16 _slot, StepClaims calldata _claims) external;

    /// @notice StepProver hook: decides the fixed step with the leaf the verifier recomputed (zero: no leaf may
    ///         exist there). A side whose leaf differs from it is wrong.
    /// @dev Emits {StepVerified} and {DisputeDecided}. Reverts with {DisputeGame_NotStepProver},
    ///      {DisputeGame_UnknownDispute}, {DisputeGame_WrongPhase}, {DisputeGame_ClockExpired} or
    ///      {DisputeGame_StepClaimsMismatch}.
    /// @param _disputeId Dispute id.
    /// @param _claims The fixed step's claims.
    /// @param _correctLeaf The recomputed leaf.
    function decideStep(uint256 _disputeId, StepClaims calldata _claims, Claim _correctLeaf) external;

    /// @notice Settles a decided dispute, or first decides one whose party on turn ran out of time (the other side
    ///         wins). Slashes the wrong node(s) through the StakeManager (the node whose stage owns the step's slot;
    ///         on a defender timeout, the stages that did not reveal), credits the winner with the bond and the
    ///         slash reward, burns what has no winner, tells the JobMarket (replica proven wrong, client refunded
    ///         when the served replica 0 is wrong, the honest replica paid when the job can be settled now), and
    ///         unfreezes the job and the nodes. Anyone may call it.
    /// @dev Emits {DisputeDecided} (on a timeout), {NodePenalized}, {Credited} and {DisputeResolved}. Reverts with
    ///      {DisputeGame_UnknownDispute}, {DisputeGame_NotResolvable} or {DisputeGame_StagesMismatch}.
    /// @param _disputeId Dispute id.
    /// @param _defenderStages The disputed replica's stages.
    /// @param _challengerStages The other replica's stages (ignored for an own commitment).
    function resolve(
        uint256 _disputeId,
        IJobMarket.StageRecord[] calldata _defenderStages,
        IJobMarket.StageRecord[] calldata _challengerStages
    ) external;

    /// @notice Pays `_recipient` all of its credit (pull payment). Anyone may trigger it; only the recipient
    ///         receives.
    /// @dev Emits {CreditClaimed}. Reverts with {DisputeGame_NoCredit}.
    /// @param _recipient Account to pay.
    /// @return amount_ Tokens paid.
    function claimCredit(address _recipient) external returns (uint256 amount_);

    /// @notice A dispute (phase None when unknown).
    /// @param _disputeId Dispute id.
    /// @return info_ The dispute.
    function getDispute(uint256 _disputeId) external view returns (DisputeInfo memory info_);

    /// @notice The open dispute against a replica.
    /// @param _jobId Job id.
    /// @param _replica Replica index.
    /// @return disputeId_ Its id, zero when none is open.
    function openDisputeOf(bytes32 _jobId, uint8 _replica) external view returns (uint256 disputeId_);

    /// @notice Number of disputes ever opened (ids run from 1 to this).
    /// @return count_ Count.
    function disputeCount() external view returns (uint256 count_);

    /// @notice Unclaimed credit of an account.
    /// @param _account Account.
    /// @return amount_ Tokens.
    function creditOf(address _account) external view returns (uint256 amount_);

    /// @notice What the StepProver needs about a dispute.
    /// @param _disputeId Dispute id.
    /// @return context_ Job, phase, layer count, fixed step and stage commitments.
    function stepContext(uint256 _disputeId) external view returns (StepContext memory context_);

    /// @notice The StepProver this game deployed and trusts with {fixStep} and {decideStep}.
    /// @return prover_ Address.
    function stepProver() external view returns (IStepProver prover_);

    /// @notice The JobMarket whose jobs are disputed.
    /// @return jobMarket_ Address.
    function jobMarket() external view returns (IJobMarket jobMarket_);

    /// @notice The StakeManager that slashes and freezes nodes.
    /// @return stakeManager_ Address.
    function stakeManager() external view returns (IStakeManager stakeManager_);

    /// @notice The model registry (weights roots and step verifiers).
    /// @return modelRegistry_ Address.
    function modelRegistry() external view returns (IModelRegistry modelRegistry_);

    /// @notice The bond token (the system's token).
    /// @return token_ Address.
    function token() external view returns (IERC20 token_);

    /// @notice Tokens a challenger bonds to open a dispute.
    /// @return bond_ Amount.
    function challengerBond() external view returns (uint256 bond_);

    /// @notice Most stake slashed per wrong node (`type(uint256).max`: everything slashable).
    /// @return amount_ Amount.
    function slashAmount() external view returns (uint256 amount_);

    /// @notice Each side's chess-clock budget.
    /// @return duration_ Seconds.
    function clockDuration() external view returns (uint64 duration_);

    /// @notice A side whose turn starts with less than this left gets exactly this much.
    /// @return extension_ Seconds.
    function clockExtension() external view returns (uint64 extension_);

    /// @notice The longest a dispute can stay undecidable: 2·clockDuration + 2·MAX_ROUNDS·clockExtension, at most
    ///         the StakeManager's maxDisputeDuration. From openedAt + maxDuration on, {resolve} always succeeds.
    /// @return duration_ Seconds.
    function maxDuration() external view returns (uint256 duration_);
}
