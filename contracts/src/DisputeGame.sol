// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Lint choices for this file: clocks and the challenge window are protocol rules in seconds (a validator can skew a
// timestamp by seconds, far below any clock here); boundaries are written as the rules state them.
// forge-lint: disable-start(block-timestamp)
/* solhint-disable gas-strict-inequalities */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IDisputeGame} from "./dispute/interfaces/IDisputeGame.sol";
import {IStepProver} from "./dispute/interfaces/IStepProver.sol";
import {StepProver} from "./dispute/StepProver.sol";
import {Claim, Clock, Outcome, Phase, Position, Reason, Side, StepClaims} from "./dispute/lib/Types.sol";
import {LibClock} from "./dispute/lib/LibClock.sol";
import {LibPosition} from "./dispute/lib/LibPosition.sol";
import {LibTrace} from "./dispute/lib/LibTrace.sol";
import "./dispute/lib/Errors.sol" as E;

/// @title DisputeGame
/// @notice Optimistic fraud proofs for inference jobs of the JobMarket (see {IDisputeGame} for the game, and
///         contracts/README.md for the flow and who pays what).
/// @dev Structure after Optimism bedrock's FaultDisputeGame, adapted to traces whose every leaf is signed:
///      - Moves are Merkle openings against the stage trace roots the nodes signed (or the challenger's own roots),
///        so a move's content is forced and the game needs no per-move bonds or claim tree: the bisection is a
///        chain of forced reveals (positions as value types, {Position}), narrowing [last agreed position, first
///        differing position] until they are adjacent.
///      - Chess clocks ({Clock}): each side has CLOCK_DURATION in total; a side whose turn starts with less than
///        CLOCK_EXTENSION left gets exactly CLOCK_EXTENSION. At most MAX_ROUNDS rounds, so every dispute is
///        decidable within maxDuration() <= the StakeManager's maxDisputeDuration (checked at deployment).
///      - Outcomes are stored first ({Phase.Decided}) and settled by {resolve}; bonds and rewards are credits
///        withdrawn with {claimCredit}.
///
///      Why bisect over positions and not over single leaves: a block step (t, s) reads the hidden vector of
///      (t, s − 1) and the running key/value root of (t − 1, s). A bisection over leaves only guarantees that the
///      leaf before the divergent one agrees, not (t − 1, s). A round here compares a whole position, so when the
///      bisection ends at adjacent positions t − 1 (all equal) and t, the first differing slot s of t has both of
///      its inputs agreed.
///
///      Storage layout of a dispute (`_disputes[id]`):
///      | slot | bits    | field                |
///      |------|---------|----------------------|
///      | 0    | 0-255   | jobId                |
///      | 1    | 0-159   | challenger           |
///      | 1    | 160-207 | openedAt             |
///      | 1    | 208-223 | layerCount           |
///      | 1    | 224-231 | defenderReplica      |
///      | 1    | 232-239 | conflictingReplica   |
///      | 1    | 240-247 | phase                |
///      | 1    | 248-255 | defenderStageCount   |
///      | 2    | 0-255   | defenderStagesHash   |
///      | 3    | 0-255   | challengerStagesHash |
///      | 4    | 0-255   | clocks[2]            |
///      | 5    | 0-191   | lo1, hi, hiSet, mid, partsMask, roundDiffSlot, stepSlot, round, outcome, reason |
///      | 6-11 | 0-255   | stepHash, loHash, hiHash, midHash, roundDiffLeaf, hiDefenderLeaf (one each)  |
///      A fast-path dispute writes slots 0-4 at opening and 5-6 when narrowed; the bisection uses 7-11.
contract DisputeGame is IDisputeGame, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using LibClock for Clock;
    using LibPosition for Position;

    /// @notice `conflictingReplica` of a dispute whose challenger committed its own trace.
    uint8 public constant OWN_COMMITMENT = type(uint8).max;
    /// @notice Most rounds of a bisection: one at the challenger's position, then at most 32 halvings of a range of
    ///         at most 2^32 − 1 positions.
    uint256 public constant MAX_ROUNDS = 33;
    /// @notice Most stages of an own commitment (as for a replica).
    uint256 public constant MAX_STAGES = 32;
    /// @notice Where forfeited bonds go (as credits; the token need not support burning).
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    /// @notice `firstDifferentSlot` of a round whose position agrees.
    uint16 public constant NO_SLOT = type(uint16).max;

    IJobMarket private immutable JOB_MARKET;
    IStakeManager private immutable STAKE_MANAGER;
    IModelRegistry private immutable MODEL_REGISTRY;
    IERC20 private immutable TOKEN;
    uint256 private immutable CHALLENGER_BOND;
    uint256 private immutable SLASH_AMOUNT;
    uint64 private immutable CLOCK_DURATION;
    uint64 private immutable CLOCK_EXTENSION;
    uint64 private immutable CHALLENGE_WINDOW;
    IStepProver private immutable STEP_PROVER;

    struct Dispute {
        bytes32 jobId;
        address challenger;
        uint48 openedAt;
        uint16 layerCount;
        uint8 defenderReplica;
        uint8 conflictingReplica;
        Phase phase;
        uint8 defenderStageCount;
        bytes32 defenderStagesHash;
        bytes32 challengerStagesHash;
        Clock[2] clocks; // by Side
        uint32 lo1; // last agreed position + 1; zero: none yet (the virtual position −1 agrees)
        uint32 hi; // first known differing position (when hiSet); the step's position
        bool hiSet;
        uint32 mid; // the position of the round in progress
        uint32 partsMask; // defender stages revealed in the round in progress
        uint16 roundDiffSlot;
        uint16 stepSlot;
        uint8 round;
        Outcome outcome;
        Reason reason;
        bytes32 stepHash;
        bytes32 loHash; // keccak of the challenger's fields at lo
        bytes32 hiHash; // keccak of the challenger's fields at hi
        bytes32 midHash; // keccak of the challenger's fields at mid
        Claim roundDiffLeaf;
        Claim hiDefenderLeaf;
    }

    uint256 private _disputeCount;
    mapping(uint256 disputeId => Dispute dispute) private _disputes;
    mapping(bytes32 jobId => mapping(uint8 replica => uint256 disputeId)) private _openDisputes;
    mapping(address account => uint256 amount) private _credits;

    /// @param _jobMarket The JobMarket (its StakeManager, registry and token are used).
    /// @param _challengerBond Tokens a challenger bonds per dispute.
    /// @param _slashAmount Most stake slashed per wrong node (`type(uint256).max`: all slashable stake).
    /// @param _clockDuration Each side's chess-clock budget, seconds.
    /// @param _clockExtension Minimum time a side gets at the start of a turn, seconds.
    constructor(
        IJobMarket _jobMarket,
        uint256 _challengerBond,
        uint256 _slashAmount,
        uint64 _clockDuration,
        uint64 _clockExtension
    ) {
        // INVARIANT: the game runs against a deployed market.
        if (address(_jobMarket) == address(0)) revert E.DisputeGame_ZeroAddress();
        IStakeManager stakes = _jobMarket.stakeManager();
        IERC20 marketToken = _jobMarket.token();
        // INVARIANT: bonds, fees and stake are one token, so the solvency of each contract is one balance.
        if (address(stakes.token()) != address(marketToken)) {
            revert E.DisputeGame_TokenMismatch(address(stakes.token()), address(marketToken));
        }
        // INVARIANT: opening costs something and losing costs stake.
        if (_challengerBond == 0 || _slashAmount == 0) revert E.DisputeGame_ZeroAmount();
        // INVARIANT: every turn gets a positive time, within the budget.
        if (_clockExtension == 0 || _clockExtension > _clockDuration) {
            revert E.DisputeGame_InvalidClock(_clockDuration, _clockExtension);
        }
        // INVARIANT: no dispute outlives maxDisputeDuration (the StakeManager's unbonding delay relies on it).
        uint256 longest = _maxDuration(_clockDuration, _clockExtension);
        uint64 limit = stakes.maxDisputeDuration();
        if (longest > limit) revert E.DisputeGame_DurationTooLong(longest, limit);

        JOB_MARKET = _jobMarket;
        STAKE_MANAGER = stakes;
        MODEL_REGISTRY = _jobMarket.modelRegistry();
        TOKEN = marketToken;
        CHALLENGER_BOND = _challengerBond;
        SLASH_AMOUNT = _slashAmount;
        CLOCK_DURATION = _clockDuration;
        CLOCK_EXTENSION = _clockExtension;
        CHALLENGE_WINDOW = _jobMarket.challengeWindow();
        // The prover is created here, so that the only account that can fix or decide steps is fixed forever.
        STEP_PROVER = new StepProver(this, _jobMarket);
    }

    // ------------------------------------------------------------------ opening

    /// @inheritdoc IDisputeGame
    function open(OpenParams calldata _params) external nonReentrant returns (uint256 disputeId_) {
        IJobMarket.JobInfo memory job = JOB_MARKET.getJob(_params.jobId);
        _checkOpen(_params, job);
        disputeId_ = _open(_params, job);
    }

    // ------------------------------------------------------------------ narrowing

    /// @inheritdoc IDisputeGame
    function revealPosition(uint256 _disputeId, PositionReveal calldata _reveal) external nonReentrant {
        Dispute storage d = _live(_disputeId, Phase.Bisect);
        _checkTurn(_disputeId, d, Side.Challenger);
        _checkStages(d, Side.Challenger, _reveal.stages);
        if (d.hiSet) {
            uint32 expected = _nextPosition(d);
            // INVARIANT: after the first round the bisection, not the challenger, picks the position.
            if (_reveal.position != expected) revert E.DisputeGame_UnexpectedPosition(expected, _reveal.position);
        } else {
            uint32 maxSeqLen = MODEL_REGISTRY.getModel(JOB_MARKET.getJob(d.jobId).modelId).dims.maxSeqLen;
            // INVARIANT: no trace holds a position at or beyond the context length.
            if (_reveal.position >= maxSeqLen) revert E.DisputeGame_PositionOutOfRange(_reveal.position, maxSeqLen);
        }
        _revealPosition(_disputeId, d, _reveal);
    }

    /// @inheritdoc IDisputeGame
    function revealParts(
        uint256 _disputeId,
        IJobMarket.StageRecord[] calldata _stages,
        PartReveal[] calldata _parts,
        bytes32[] calldata _challengerFields
    ) external nonReentrant {
        Dispute storage d = _live(_disputeId, Phase.Bisect);
        _checkTurn(_disputeId, d, Side.Defender);
        _checkStages(d, Side.Defender, _stages);
        // INVARIANT: parts are compared with exactly what the challenger revealed this round.
        if (LibTrace.hashWords(_challengerFields) != d.midHash) revert E.DisputeGame_FieldsMismatch(d.mid);
        _revealParts(_disputeId, d, _stages, _parts, _challengerFields);
    }

    /// @inheritdoc IDisputeGame
    function finishBisection(uint256 _disputeId, bytes32[] calldata _loFields, bytes32[] calldata _hiFields)
        external
        nonReentrant
    {
        Dispute storage d = _live(_disputeId, Phase.Bisected);
        // INVARIANT: the step's inputs come from the positions the bisection compared.
        if (LibTrace.hashWords(_hiFields) != d.hiHash) revert E.DisputeGame_FieldsMismatch(d.hi);
        if (d.lo1 == 0) {
            if (_loFields.length != 0) revert E.DisputeGame_LengthMismatch(0, _loFields.length);
        } else if (LibTrace.hashWords(_loFields) != d.loHash) {
            revert E.DisputeGame_FieldsMismatch(d.lo1 - 1);
        }
        _finishBisection(_disputeId, d, _loFields, _hiFields);
    }

    // ------------------------------------------------------------------ the step (StepProver hooks)

    /// @inheritdoc IDisputeGame
    function fixStep(uint256 _disputeId, uint32 _position, uint16 _slot, StepClaims calldata _claims)
        external
        nonReentrant
    {
        _checkProver();
        Dispute storage d = _live(_disputeId, Phase.Bisect);
        _fixStep(_disputeId, d, _position, _slot, _claims, true);
    }

    /// @inheritdoc IDisputeGame
    function decideStep(uint256 _disputeId, StepClaims calldata _claims, Claim _correctLeaf) external nonReentrant {
        _checkProver();
        Dispute storage d = _live(_disputeId, Phase.Step);
        // INVARIANT: the step is judged on the claims fixed by narrowing or bisection.
        if (keccak256(abi.encode(_claims)) != d.stepHash) revert E.DisputeGame_StepClaimsMismatch(_disputeId);
        _decideStep(_disputeId, d, _claims, _correctLeaf);
    }

    // ------------------------------------------------------------------ resolution and credits

    /// @inheritdoc IDisputeGame
    function resolve(
        uint256 _disputeId,
        IJobMarket.StageRecord[] calldata _defenderStages,
        IJobMarket.StageRecord[] calldata _challengerStages
    ) external nonReentrant {
        Dispute storage d = _dispute(_disputeId);
        if (d.phase != Phase.Decided) _decideByTimeout(_disputeId, d);
        _checkStages(d, Side.Defender, _defenderStages);
        if (d.conflictingReplica != OWN_COMMITMENT) _checkStages(d, Side.Challenger, _challengerStages);
        _resolve(_disputeId, d, _defenderStages, _challengerStages);
    }

    /// @inheritdoc IDisputeGame
    function claimCredit(address _recipient) external nonReentrant returns (uint256 amount_) {
        amount_ = _credits[_recipient];
        // INVARIANT: no empty transfers.
        if (amount_ == 0) revert E.DisputeGame_NoCredit(_recipient);
        _credits[_recipient] = 0;
        emit CreditClaimed(_recipient, amount_);
        TOKEN.safeTransfer(_recipient, amount_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IDisputeGame
    function getDispute(uint256 _disputeId) external view returns (DisputeInfo memory info_) {
        Dispute storage d = _disputes[_disputeId];
        info_.jobId = d.jobId;
        info_.challenger = d.challenger;
        info_.openedAt = d.openedAt;
        info_.layerCount = d.layerCount;
        info_.defenderReplica = d.defenderReplica;
        info_.conflictingReplica = d.conflictingReplica;
        info_.phase = d.phase;
        info_.outcome = d.outcome;
        info_.reason = d.reason;
        (info_.onTurn, info_.deadline) = _turn(d);
        info_.defenderUsed = d.clocks[uint8(Side.Defender)].used();
        info_.challengerUsed = d.clocks[uint8(Side.Challenger)].used();
        info_.round = d.round;
        info_.loSet = d.lo1 != 0;
        info_.lo = d.lo1 == 0 ? 0 : d.lo1 - 1;
        info_.hiSet = d.hiSet;
        info_.hi = d.hi;
        info_.roundPosition = d.mid;
        info_.partsMask = d.partsMask;
        info_.defenderStageCount = d.defenderStageCount;
        info_.stepSlot = d.stepSlot;
        info_.stepHash = d.stepHash;
        info_.defenderStagesHash = d.defenderStagesHash;
        info_.challengerStagesHash = d.challengerStagesHash;
    }

    /// @inheritdoc IDisputeGame
    function openDisputeOf(bytes32 _jobId, uint8 _replica) external view returns (uint256 disputeId_) {
        disputeId_ = _openDisputes[_jobId][_replica];
    }

    /// @inheritdoc IDisputeGame
    function disputeCount() external view returns (uint256 count_) {
        count_ = _disputeCount;
    }

    /// @inheritdoc IDisputeGame
    function creditOf(address _account) external view returns (uint256 amount_) {
        amount_ = _credits[_account];
    }

    /// @inheritdoc IDisputeGame
    function stepContext(uint256 _disputeId) external view returns (StepContext memory context_) {
        Dispute storage d = _disputes[_disputeId];
        context_ = StepContext({
            jobId: d.jobId,
            phase: d.phase,
            layerCount: d.layerCount,
            position: d.hi,
            slot: d.stepSlot,
            stepHash: d.stepHash,
            defenderStagesHash: d.defenderStagesHash,
            challengerStagesHash: d.challengerStagesHash
        });
    }

    /// @inheritdoc IDisputeGame
    function stepProver() external view returns (IStepProver prover_) {
        prover_ = STEP_PROVER;
    }

    /// @inheritdoc IDisputeGame
    function jobMarket() external view returns (IJobMarket jobMarket_) {
        jobMarket_ = JOB_MARKET;
    }

    /// @inheritdoc IDisputeGame
    function stakeManager() external view returns (IStakeManager stakeManager_) {
        stakeManager_ = STAKE_MANAGER;
    }

    /// @inheritdoc IDisputeGame
    function modelRegistry() external view returns (IModelRegistry modelRegistry_) {
        modelRegistry_ = MODEL_REGISTRY;
    }

    /// @inheritdoc IDisputeGame
    function token() external view returns (IERC20 token_) {
        token_ = TOKEN;
    }

    /// @inheritdoc IDisputeGame
    function challengerBond() external view returns (uint256 bond_) {
        bond_ = CHALLENGER_BOND;
    }

    /// @inheritdoc IDisputeGame
    function slashAmount() external view returns (uint256 amount_) {
        amount_ = SLASH_AMOUNT;
    }

    /// @inheritdoc IDisputeGame
    function clockDuration() external view returns (uint64 duration_) {
        duration_ = CLOCK_DURATION;
    }

    /// @inheritdoc IDisputeGame
    function clockExtension() external view returns (uint64 extension_) {
        extension_ = CLOCK_EXTENSION;
    }

    /// @inheritdoc IDisputeGame
    function maxDuration() external view returns (uint256 duration_) {
        duration_ = _maxDuration(CLOCK_DURATION, CLOCK_EXTENSION);
    }

    // ------------------------------------------------------------------ internals: checks

    /// @dev Reverts unless the dispute exists.
    function _dispute(uint256 _disputeId) internal view returns (Dispute storage d_) {
        d_ = _disputes[_disputeId];
        // INVARIANT: moves act on opened disputes only.
        if (d_.phase == Phase.None) revert E.DisputeGame_UnknownDispute(_disputeId);
    }

    /// @dev Reverts unless the dispute is in `_phase` and the side on turn still has time.
    function _live(uint256 _disputeId, Phase _phase) internal view returns (Dispute storage d_) {
        d_ = _dispute(_disputeId);
        // INVARIANT: each move belongs to one phase.
        if (d_.phase != _phase) revert E.DisputeGame_WrongPhase(_disputeId, d_.phase);
        (Side side, uint256 deadline) = _turn(d_);
        // INVARIANT: once the side on turn has run out of time, the dispute can only be resolved.
        if (block.timestamp > deadline) revert E.DisputeGame_ClockExpired(_disputeId, side, deadline);
    }

    /// @dev Reverts unless the caller is this game's StepProver.
    function _checkProver() internal view {
        // INVARIANT: steps are fixed and decided only on evidence the prover checked.
        if (msg.sender != address(STEP_PROVER)) revert E.DisputeGame_NotStepProver(msg.sender);
    }

    /// @dev Reverts unless it is `_side`'s turn.
    function _checkTurn(uint256 _disputeId, Dispute storage _d, Side _side) internal view {
        // INVARIANT: a side moves only on its own turn (its clock runs meanwhile).
        if (_d.clocks[uint8(_side)].startedAt() == 0) revert E.DisputeGame_NotYourTurn(_disputeId, _other(_side));
    }

    /// @dev Reverts unless `_stages` hash to the side's stored commitment.
    function _checkStages(Dispute storage _d, Side _side, IJobMarket.StageRecord[] calldata _stages) internal view {
        bytes32 expected = _side == Side.Defender ? _d.defenderStagesHash : _d.challengerStagesHash;
        bytes32 actual = keccak256(abi.encode(_stages));
        // INVARIANT: leaves are proven against the roots the side committed to at opening, nothing else.
        if (actual != expected) revert E.DisputeGame_StagesMismatch(_side, expected, actual);
    }

    /// @dev Checks an opening against the job and the replicas (see {open}).
    function _checkOpen(OpenParams calldata _params, IJobMarket.JobInfo memory _job) internal view {
        bytes32 jobId = _params.jobId;
        // INVARIANT: only a submitted, unsettled result is disputed ...
        if (_job.status != IJobMarket.JobStatus.Submitted) revert E.DisputeGame_JobNotDisputable(jobId, _job.status);
        // INVARIANT: ... strictly inside its challenge window (the JobMarket's freezeJob agrees).
        uint256 endsAt = uint256(_job.submittedAt) + CHALLENGE_WINDOW;
        if (block.timestamp >= endsAt) revert E.DisputeGame_ChallengeWindowClosed(jobId, endsAt);
        uint8 replica = _params.defenderReplica;
        // INVARIANT: the disputed replica exists and still stands.
        if (replica >= _job.replicas) revert E.DisputeGame_InvalidReplica(jobId, replica);
        if (_job.wrongMask & _bit(replica) != 0) revert E.DisputeGame_ReplicaAlreadyWrong(jobId, replica);
        uint8 other = _params.conflictingReplica;
        // INVARIANT: the challenger side is the job's other replica or the challenger's own trace.
        if (other != OWN_COMMITMENT && (_job.replicas != 2 || other > 1 || other == replica)) {
            revert E.DisputeGame_InvalidConflictingReplica(jobId, other);
        }
        uint256 existing = _openDisputes[jobId][replica];
        // INVARIANT: one open dispute per (job, replica).
        if (existing != 0) revert E.DisputeGame_DisputeAlreadyOpen(jobId, replica, existing);
        _checkReplicaStages(jobId, replica, Side.Defender, _params.defenderStages);
        if (other == OWN_COMMITMENT) {
            _checkLayout(_params.challengerStages, _job.layerCount);
        } else {
            _checkReplicaStages(jobId, other, Side.Challenger, _params.challengerStages);
        }
    }

    /// @dev Reverts unless `_stages` are the replica's verified receipts.
    function _checkReplicaStages(bytes32 _jobId, uint8 _replica, Side _side, IJobMarket.StageRecord[] calldata _stages)
        internal
        view
    {
        bytes32 expected = JOB_MARKET.getReplica(_jobId, _replica).stagesHash;
        bytes32 actual = keccak256(abi.encode(_stages));
        // INVARIANT: a replica's leaves are proven against the trace roots its nodes signed.
        if (actual != expected) revert E.DisputeGame_StagesMismatch(_side, expected, actual);
    }

    /// @dev Reverts unless an own commitment's stages cover layers 0..L−1 in order and name no node.
    function _checkLayout(IJobMarket.StageRecord[] calldata _stages, uint16 _layers) internal pure {
        uint256 n = _stages.length;
        // INVARIANT: a layout has between 1 and MAX_STAGES stages (the parts mask has 32 bits).
        if (n == 0 || n > MAX_STAGES) revert E.DisputeGame_InvalidStageCount(n);
        uint256 expectedFirst;
        for (uint256 k; k < n; ++k) {
            IJobMarket.StageRecord calldata stage = _stages[k];
            // INVARIANT: stages are contiguous from layer 0, non-empty, and nobody's signed receipt.
            if (
                stage.firstLayer != expectedFirst || stage.lastLayer < stage.firstLayer || stage.lastLayer >= _layers
                    || stage.node != address(0)
            ) revert E.DisputeGame_InvalidLayout(k, expectedFirst, stage.firstLayer, stage.lastLayer);
            expectedFirst = uint256(stage.lastLayer) + 1;
        }
        // INVARIANT: the last stage ends at the last layer.
        if (expectedFirst != _layers) {
            revert E.DisputeGame_InvalidLayout(n, _layers, _stages[n - 1].firstLayer, _stages[n - 1].lastLayer);
        }
    }

    // ------------------------------------------------------------------ internals: clocks

    /// @dev The side on turn and its deadline; deadline zero when no side is on turn (decided or resolved).
    function _turn(Dispute storage _d) internal view returns (Side side_, uint256 deadline_) {
        Clock challenger = _d.clocks[uint8(Side.Challenger)];
        if (challenger.startedAt() != 0) return (Side.Challenger, challenger.deadline(CLOCK_DURATION));
        Clock defender = _d.clocks[uint8(Side.Defender)];
        if (defender.startedAt() != 0) return (Side.Defender, defender.deadline(CLOCK_DURATION));
    }

    /// @dev Ends the turn of the side on turn (if it is not `_to`) and starts `_to`'s, granting the extension.
    function _passTurn(Dispute storage _d, Side _to) internal {
        uint64 now_ = uint64(block.timestamp);
        Side from = _other(_to);
        Clock fromClock = _d.clocks[uint8(from)];
        if (fromClock.startedAt() != 0) {
            // unchecked: the move was accepted by the deadline, so used + elapsed <= CLOCK_DURATION.
            unchecked {
                _d.clocks[uint8(from)] = LibClock.wrap(fromClock.used() + (now_ - fromClock.startedAt()), 0);
            }
        }
        Clock toClock = _d.clocks[uint8(_to)];
        if (toClock.startedAt() == 0) {
            uint64 used = toClock.used();
            // INVARIANT: a turn starts with at least CLOCK_EXTENSION on the clock (bounded: once per turn).
            // unchecked: used <= CLOCK_DURATION and CLOCK_EXTENSION <= CLOCK_DURATION (constructor).
            unchecked {
                if (CLOCK_DURATION - used < CLOCK_EXTENSION) used = CLOCK_DURATION - CLOCK_EXTENSION;
            }
            _d.clocks[uint8(_to)] = LibClock.wrap(used, now_);
        }
    }

    /// @dev Stops both clocks, charging the side on turn up to its deadline at most.
    function _stopClocks(Dispute storage _d) internal {
        for (uint8 s; s < 2; ++s) {
            Clock clock = _d.clocks[s];
            uint64 started = clock.startedAt();
            if (started == 0) continue;
            uint256 spent = block.timestamp - started;
            uint256 left = CLOCK_DURATION - clock.used();
            // Safe cast: min(spent, left) <= CLOCK_DURATION, a uint64.
            // forge-lint: disable-next-line(unsafe-typecast)
            _d.clocks[s] = LibClock.wrap(clock.used() + uint64(spent < left ? spent : left), 0);
        }
    }

    // ------------------------------------------------------------------ internals: effects

    /// @dev Stores the dispute, emits, then takes the bond and freezes the job and the nodes.
    function _open(OpenParams calldata _params, IJobMarket.JobInfo memory _job)
        internal
        virtual
        returns (uint256 disputeId_)
    {
        // unchecked: one id per opening; 2^256 openings cannot happen.
        unchecked {
            disputeId_ = ++_disputeCount;
        }
        Dispute storage d = _disputes[disputeId_];
        d.jobId = _params.jobId;
        d.challenger = msg.sender;
        d.openedAt = uint48(block.timestamp);
        d.layerCount = _job.layerCount;
        d.defenderReplica = _params.defenderReplica;
        d.conflictingReplica = _params.conflictingReplica;
        d.phase = Phase.Bisect;
        // Safe cast: a replica has at most 32 stages (JobMarket.MAX_STAGES).
        // forge-lint: disable-next-line(unsafe-typecast)
        d.defenderStageCount = uint8(_params.defenderStages.length);
        d.defenderStagesHash = keccak256(abi.encode(_params.defenderStages));
        d.challengerStagesHash = keccak256(abi.encode(_params.challengerStages));
        d.clocks[uint8(Side.Challenger)] = LibClock.wrap(0, uint64(block.timestamp));
        _openDisputes[_params.jobId][_params.defenderReplica] = disputeId_;
        bool own = _params.conflictingReplica == OWN_COMMITMENT;
        IJobMarket.StageRecord[] memory ownStages;
        if (own) ownStages = _params.challengerStages;
        emit DisputeOpened(
            disputeId_,
            _params.jobId,
            msg.sender,
            _params.defenderReplica,
            _params.conflictingReplica,
            d.defenderStagesHash,
            d.challengerStagesHash,
            ownStages,
            CHALLENGER_BOND
        );
        TOKEN.safeTransferFrom(msg.sender, address(this), CHALLENGER_BOND);
        JOB_MARKET.freezeJob(_params.jobId);
        _freezeNodes(_params.defenderStages, true);
        if (!own) _freezeNodes(_params.challengerStages, true);
    }

    /// @dev Fixes the step (t, s) with its claims; the challenger's clock runs until it is verified.
    function _fixStep(
        uint256 _disputeId,
        Dispute storage _d,
        uint32 _t,
        uint16 _s,
        StepClaims memory _claims,
        bool _narrowed
    ) internal {
        _d.hi = _t;
        _d.hiSet = true;
        _d.stepSlot = _s;
        _d.stepHash = keccak256(abi.encode(_claims));
        _d.phase = Phase.Step;
        _passTurn(_d, Side.Challenger);
        emit StepFixed(
            _disputeId,
            _t,
            _s,
            _claims.hiddenIn,
            _claims.carryIn,
            _claims.defenderLeaf,
            _claims.challengerLeaf,
            _narrowed
        );
    }

    /// @dev Verifies a challenger position and opens the defender's round.
    function _revealPosition(uint256 _disputeId, Dispute storage _d, PositionReveal calldata _r) internal virtual {
        uint16 layers = _d.layerCount;
        uint256 slots = uint256(layers) + 2;
        // INVARIANT: a position is revealed whole: a, b for each of its L + 2 slots.
        if (_r.fields.length != 2 * slots) revert E.DisputeGame_LengthMismatch(2 * slots, _r.fields.length);
        if (_r.proofs.length != slots) revert E.DisputeGame_LengthMismatch(slots, _r.proofs.length);
        for (uint256 s; s < slots; ++s) {
            // Safe cast: s <= L + 1 < 2^16 (layerCount is a uint16 and the model has fewer than 2^16 − 1 layers).
            // forge-lint: disable-next-line(unsafe-typecast)
            Position p = LibPosition.wrap(_r.position, uint16(s));
            LibTrace.StageRef memory stage = LibTrace.stageOf(_r.stages, p.slot(), layers);
            (bool ok,) = LibTrace.verifyLeaf(stage, p, _r.fields[2 * s], _r.fields[2 * s + 1], _r.proofs[s]);
            // INVARIANT: the challenger reveals its committed leaves.
            if (!ok) revert E.DisputeGame_InvalidProof(Side.Challenger, _r.position, p.slot());
        }
        uint8 round = _d.round + 1;
        _d.round = round;
        _d.mid = _r.position;
        _d.midHash = LibTrace.hashWords(_r.fields);
        _d.partsMask = 0;
        _d.roundDiffSlot = NO_SLOT;
        _d.roundDiffLeaf = Claim.wrap(0);
        _passTurn(_d, Side.Defender);
        emit PositionRevealed(_disputeId, round, _r.position, _r.fields);
    }

    /// @dev Verifies defender parts, tracks the round's first differing slot, and closes the round when complete.
    function _revealParts(
        uint256 _disputeId,
        Dispute storage _d,
        IJobMarket.StageRecord[] calldata _stages,
        PartReveal[] calldata _parts,
        bytes32[] calldata _challengerFields
    ) internal virtual {
        uint256 n = _parts.length;
        for (uint256 i; i < n; ++i) {
            _recordPart(_disputeId, _d, _stages, _parts[i], _challengerFields);
        }
        // Safe shift: at most 32 stages; 2^32 − 1 when all 32 are present.
        if (_d.partsMask == uint32((uint64(1) << _d.defenderStageCount) - 1)) _completeRound(_disputeId, _d);
    }

    /// @dev Marks one part revealed and keeps the round's first differing slot.
    function _recordPart(
        uint256 _disputeId,
        Dispute storage _d,
        IJobMarket.StageRecord[] calldata _stages,
        PartReveal calldata _part,
        bytes32[] calldata _challengerFields
    ) internal {
        uint8 stage = _part.stage;
        // INVARIANT: each defender stage reveals once per round.
        if (stage >= _stages.length) revert E.DisputeGame_StageOutOfRange(stage, _stages.length);
        uint32 bit = uint32(1) << stage;
        if (_d.partsMask & bit != 0) revert E.DisputeGame_PartAlreadyRevealed(stage);
        _d.partsMask |= bit;
        (uint16 slot, Claim leaf) = _revealPart(_d, _stages, _part, _challengerFields);
        if (slot < _d.roundDiffSlot) {
            _d.roundDiffSlot = slot;
            _d.roundDiffLeaf = leaf;
        }
        emit PartRevealed(_disputeId, _d.round, _d.mid, stage, _part.absent, _part.fields);
    }

    /// @dev Verifies one defender part against the challenger's fields; returns its first differing slot (NO_SLOT
    ///      when all agree) and the defender's leaf there (zero when absent).
    function _revealPart(
        Dispute storage _d,
        IJobMarket.StageRecord[] calldata _stages,
        PartReveal calldata _part,
        bytes32[] calldata _challengerFields
    ) internal view returns (uint16 slot_, Claim leaf_) {
        uint32 t = _d.mid;
        LibTrace.StageRef memory stage = LibTrace.stageAt(_stages, _part.stage, _d.layerCount);
        uint16 first = LibPosition.firstSlot(stage.firstLayer);
        if (!_part.absent) return _revealPresent(stage, t, first, _part, _challengerFields);
        _checkAbsent(stage, t, first, _part);
        // The challenger's leaves are real (non-zero), so the stage's first slot is where they differ.
        (slot_, leaf_) = (first, Claim.wrap(0));
    }

    /// @dev Verifies every leaf of a present part; returns its first slot that differs from the challenger's.
    function _revealPresent(
        LibTrace.StageRef memory _stage,
        uint32 _t,
        uint16 _first,
        PartReveal calldata _part,
        bytes32[] calldata _challengerFields
    ) internal pure returns (uint16 slot_, Claim leaf_) {
        uint256 width = _stage.width;
        // INVARIANT: a part reveals every slot of its stage.
        if (_part.fields.length != 2 * width) revert E.DisputeGame_LengthMismatch(2 * width, _part.fields.length);
        if (_part.proofs.length != width) revert E.DisputeGame_LengthMismatch(width, _part.proofs.length);
        slot_ = NO_SLOT;
        for (uint256 i; i < width; ++i) {
            // Safe cast: the stage's slots are at most L + 1 < 2^16.
            // forge-lint: disable-next-line(unsafe-typecast)
            uint16 s = uint16(_first + i);
            (bool differs, Claim leaf) = _revealSlot(_stage, LibPosition.wrap(_t, s), i, _part, _challengerFields);
            if (differs && slot_ == NO_SLOT) (slot_, leaf_) = (s, leaf);
        }
    }

    /// @dev Verifies the part's `_i`-th leaf (at `_p`) and compares its fields with the challenger's.
    function _revealSlot(
        LibTrace.StageRef memory _stage,
        Position _p,
        uint256 _i,
        PartReveal calldata _part,
        bytes32[] calldata _challengerFields
    ) internal pure returns (bool differs_, Claim leaf_) {
        bytes32 a = _part.fields[2 * _i];
        bytes32 b = _part.fields[2 * _i + 1];
        bool ok;
        (ok, leaf_) = LibTrace.verifyLeaf(_stage, _p, a, b, _part.proofs[_i]);
        // INVARIANT: the defender reveals its committed leaves.
        if (!ok) revert E.DisputeGame_InvalidProof(Side.Defender, _p.position(), _p.slot());
        uint256 s = _p.slot();
        differs_ = a != _challengerFields[2 * s] || b != _challengerFields[2 * s + 1];
    }

    /// @dev Reverts unless the part proves that the stage's trace has no leaf (t, first slot).
    function _checkAbsent(LibTrace.StageRef memory _stage, uint32 _t, uint16 _first, PartReveal calldata _part)
        internal
        pure
    {
        // INVARIANT: an absence is one opening.
        if (_part.proofs.length != 1) revert E.DisputeGame_LengthMismatch(1, _part.proofs.length);
        bytes32[] calldata proof = _part.proofs[0];
        uint256 index = uint256(_t) * _stage.width;
        bool ok;
        if (proof.length >= 256 || index >> proof.length == 0) {
            // Inside the padded tree: the leaf at the index is zero padding.
            if (_part.fields.length != 0) revert E.DisputeGame_LengthMismatch(0, _part.fields.length);
            ok = LibTrace.verify(_stage.root, bytes32(0), index, proof);
        } else {
            // Beyond it: a real opening of the stage's first leaf pins the depth, and 2^depth <= index.
            if (_part.fields.length != 2) revert E.DisputeGame_LengthMismatch(2, _part.fields.length);
            (ok,) = LibTrace.verifyLeaf(_stage, LibPosition.wrap(0, _first), _part.fields[0], _part.fields[1], proof);
        }
        // INVARIANT: the defender proves what it claims absent.
        if (!ok) revert E.DisputeGame_InvalidProof(Side.Defender, _t, _first);
    }

    /// @dev Closes a round: the position becomes the last agreed or the first differing one.
    function _completeRound(uint256 _disputeId, Dispute storage _d) internal {
        uint32 t = _d.mid;
        uint16 diffSlot = _d.roundDiffSlot;
        emit RoundCompleted(_disputeId, _d.round, t, diffSlot, _d.roundDiffLeaf);
        if (diffSlot == NO_SLOT) {
            if (!_d.hiSet) {
                // The challenger's own pick shows no disagreement: it has nothing to prove.
                _decide(_disputeId, _d, Outcome.DefenderWon, Reason.NoDisagreement);
                return;
            }
            _d.lo1 = t + 1;
            _d.loHash = _d.midHash;
        } else {
            _d.hi = t;
            _d.hiSet = true;
            _d.hiHash = _d.midHash;
            _d.stepSlot = diffSlot;
            _d.hiDefenderLeaf = _d.roundDiffLeaf;
        }
        // INVARIANT: lo < hi, so the bisection ends when they are adjacent (lo + 1 = hi, i.e. lo1 = hi).
        if (_d.lo1 == _d.hi) _d.phase = Phase.Bisected;
        _passTurn(_d, Side.Challenger);
    }

    /// @dev The next bisection position: the midpoint of the open range (lo, hi), lo = lo1 − 1.
    function _nextPosition(Dispute storage _d) internal view returns (uint32 mid_) {
        // lo + ⌊(hi − lo)/2⌋ with lo = lo1 − 1; hi − lo >= 2, so lo < mid_ < hi.
        mid_ = _d.lo1 + (_d.hi + 1 - _d.lo1) / 2 - 1;
    }

    /// @dev Derives the step's claims from the challenger's fields at the adjacent positions t − 1 and t.
    function _finishBisection(
        uint256 _disputeId,
        Dispute storage _d,
        bytes32[] calldata _loFields,
        bytes32[] calldata _hiFields
    ) internal virtual {
        uint16 layers = _d.layerCount;
        uint32 t = _d.hi;
        uint16 s = _d.stepSlot;
        // Below the first differing slot the sides agree, and all of position t − 1 agrees (SPEC.md §9 inputs).
        StepClaims memory claims;
        if (s != 0) claims.hiddenIn = _hiFields[2 * (uint256(s) - 1)];
        if (t != 0 && s <= layers) claims.carryIn = _loFields[2 * uint256(s == 0 ? layers + 1 : s) + 1];
        claims.defenderLeaf = _d.hiDefenderLeaf;
        claims.challengerLeaf =
            LibTrace.leaf(LibPosition.wrap(t, s), _hiFields[2 * uint256(s)], _hiFields[2 * uint256(s) + 1]);
        _fixStep(_disputeId, _d, t, s, claims, false);
    }

    /// @dev Judges both claims against the recomputed leaf.
    function _decideStep(uint256 _disputeId, Dispute storage _d, StepClaims calldata _claims, Claim _correct) internal {
        bool defenderWrong = Claim.unwrap(_claims.defenderLeaf) != Claim.unwrap(_correct);
        bool challengerWrong = Claim.unwrap(_claims.challengerLeaf) != Claim.unwrap(_correct);
        emit StepVerified(_disputeId, _d.hi, _d.stepSlot, _correct);
        // The claims differ (checked when the step was fixed), so at least one of them is wrong.
        Outcome outcome =
            defenderWrong ? (challengerWrong ? Outcome.BothWrong : Outcome.ChallengerWon) : Outcome.DefenderWon;
        _decide(_disputeId, _d, outcome, Reason.Step);
    }

    /// @dev Decides a dispute whose side on turn ran out of time; reverts when none did.
    function _decideByTimeout(uint256 _disputeId, Dispute storage _d) internal {
        Phase phase = _d.phase;
        (Side side, uint256 deadline) = _turn(_d);
        // INVARIANT: an undecided dispute ends early only by a timeout of the side on turn.
        if (phase == Phase.Resolved || deadline == 0 || block.timestamp <= deadline) {
            revert E.DisputeGame_NotResolvable(_disputeId, phase);
        }
        if (side == Side.Defender) _decide(_disputeId, _d, Outcome.ChallengerWon, Reason.DefenderTimedOut);
        else _decide(_disputeId, _d, Outcome.DefenderWon, Reason.ChallengerTimedOut);
    }

    /// @dev Records the outcome and stops the clocks.
    function _decide(uint256 _disputeId, Dispute storage _d, Outcome _outcome, Reason _reason) internal {
        _stopClocks(_d);
        _d.phase = Phase.Decided;
        _d.outcome = _outcome;
        _d.reason = _reason;
        emit DisputeDecided(_disputeId, _outcome, _reason);
    }

    /// @dev Who is wrong and who wins, from a decided dispute's outcome.
    struct Verdict {
        bool defenderWrong; // slash the defender's node(s); the disputed replica is proven wrong
        bool challengerWrong; // slash the challenger replica's node; that replica is proven wrong
        address winner; // receives the bond and the slash reward; zero: nobody (both burned)
    }

    /// @dev Settles a decided dispute (see {resolve}). Effects first (phase, open-dispute slot, bond credit); the
    ///      slash reward is credited after the StakeManager paid it, under the reentrancy guard.
    function _resolve(
        uint256 _disputeId,
        Dispute storage _d,
        IJobMarket.StageRecord[] calldata _defenderStages,
        IJobMarket.StageRecord[] calldata _challengerStages
    ) internal virtual {
        Verdict memory v = _verdict(_d, _defenderStages);
        _d.phase = Phase.Resolved;
        delete _openDisputes[_d.jobId][_d.defenderReplica];
        _credit(_disputeId, v.winner == address(0) ? BURN_ADDRESS : v.winner, CHALLENGER_BOND);

        IJobMarket.JobInfo memory job = JOB_MARKET.getJob(_d.jobId);
        uint256 reward = _slash(_disputeId, _d, v, job.createdAt, _defenderStages, _challengerStages);
        if (_settleJob(_d, job, v, _defenderStages, _challengerStages) && reward != 0) {
            reward -= _compensate(_d, _defenderStages, _challengerStages, reward);
        }
        if (reward != 0) _credit(_disputeId, v.winner, reward);
        _freezeNodes(_defenderStages, false);
        if (_d.conflictingReplica != OWN_COMMITMENT) _freezeNodes(_challengerStages, false);
        emit DisputeResolved(_disputeId, _d.outcome, _d.reason, v.winner);
    }

    /// @dev The verdict of a decided dispute.
    function _verdict(Dispute storage _d, IJobMarket.StageRecord[] calldata _defenderStages)
        internal
        view
        returns (Verdict memory v_)
    {
        Outcome outcome = _d.outcome;
        v_.defenderWrong = outcome == Outcome.ChallengerWon || outcome == Outcome.BothWrong;
        // A challenger replica is wrong only by the step; a timeout or a pick without disagreement is the
        // challenger account's failure, not its nodes'.
        v_.challengerWrong = _d.conflictingReplica != OWN_COMMITMENT && _d.reason == Reason.Step
            && (outcome == Outcome.DefenderWon || outcome == Outcome.BothWrong);
        if (outcome == Outcome.ChallengerWon) {
            v_.winner = _d.challenger;
        } else if (v_.challengerWrong && outcome == Outcome.DefenderWon) {
            // The falsely accused node's operator. (A losing own commitment forfeits its bond to the burn address:
            // were it paid to the defender's side, an operator could block disputes on its own replica for free.)
            v_.winner = STAKE_MANAGER.operatorOf(LibTrace.stageOf(_defenderStages, _d.stepSlot, _d.layerCount).node);
        }
    }

    /// @dev Slashes the wrong nodes; returns the reward the StakeManager paid this contract.
    function _slash(
        uint256 _disputeId,
        Dispute storage _d,
        Verdict memory _v,
        uint64 _infractionTime,
        IJobMarket.StageRecord[] calldata _defenderStages,
        IJobMarket.StageRecord[] calldata _challengerStages
    ) internal returns (uint256 reward_) {
        address recipient = _v.winner == address(0) ? address(0) : address(this);
        uint256 balanceBefore = TOKEN.balanceOf(address(this));
        if (_v.defenderWrong) {
            if (_d.reason == Reason.Step) {
                address node = LibTrace.stageOf(_defenderStages, _d.stepSlot, _d.layerCount).node;
                _slashNode(_disputeId, node, Side.Defender, _infractionTime, recipient);
            } else {
                // A defender timeout: the stages that did not reveal their part of the round.
                uint256 n = _defenderStages.length;
                for (uint256 k; k < n; ++k) {
                    if (_d.partsMask & (uint32(1) << k) == 0) {
                        _slashNode(_disputeId, _defenderStages[k].node, Side.Defender, _infractionTime, recipient);
                    }
                }
            }
        }
        if (_v.challengerWrong) {
            address node = LibTrace.stageOf(_challengerStages, _d.stepSlot, _d.layerCount).node;
            _slashNode(_disputeId, node, Side.Challenger, _infractionTime, recipient);
        }
        reward_ = TOKEN.balanceOf(address(this)) - balanceBefore;
    }

    /// @dev Slashes one node through the StakeManager.
    function _slashNode(uint256 _disputeId, address _node, Side _side, uint64 _infractionTime, address _recipient)
        internal
    {
        uint256 slashed = STAKE_MANAGER.slash(_node, SLASH_AMOUNT, _infractionTime, _recipient);
        emit NodePenalized(_disputeId, _node, _side, slashed);
    }

    /// @dev Tells the JobMarket: replicas proven wrong, refund when the served replica 0 is wrong, unfreeze, and
    ///      pay the honest replica when the job can be settled now. Returns whether replica 1, the other side of
    ///      this dispute and not proven wrong, is to be paid from the slash because the refund took its pay away
    ///      (only when no other dispute is open on the job: one against replica 1 could still prove it wrong).
    function _settleJob(
        Dispute storage _d,
        IJobMarket.JobInfo memory _job,
        Verdict memory _v,
        IJobMarket.StageRecord[] calldata _defenderStages,
        IJobMarket.StageRecord[] calldata _challengerStages
    ) internal returns (bool compensate_) {
        bytes32 jobId = _d.jobId;
        uint8 wrongMask = _job.wrongMask;
        if (_v.defenderWrong && wrongMask & _bit(_d.defenderReplica) == 0) {
            JOB_MARKET.markReplicaWrong(jobId, _d.defenderReplica);
            wrongMask |= _bit(_d.defenderReplica);
        }
        if (_v.challengerWrong && wrongMask & _bit(_d.conflictingReplica) == 0) {
            JOB_MARKET.markReplicaWrong(jobId, _d.conflictingReplica);
            wrongMask |= _bit(_d.conflictingReplica);
        }
        bool submitted = _job.status == IJobMarket.JobStatus.Submitted;
        // Replica 0 is the result served (streamed) to the client; proven wrong, the client pays nothing.
        if (submitted && wrongMask & 1 != 0) {
            JOB_MARKET.refundClient(jobId);
            submitted = false;
            compensate_ = _job.replicas == 2 && wrongMask == 1 && _job.freezeCount == 1
                && _d.conflictingReplica != OWN_COMMITMENT;
        }
        JOB_MARKET.unfreezeJob(jobId);
        // With the other replica proven wrong, the window over and no other dispute open, pay the honest one now
        // (finalize would do the same later).
        if (
            submitted && _job.replicas == 2 && wrongMask == 2 && _job.freezeCount == 1
                && block.timestamp >= uint256(_job.submittedAt) + CHALLENGE_WINDOW
        ) {
            if (_d.defenderReplica == 0) JOB_MARKET.payHonestReplica(jobId, 0, _defenderStages);
            else if (_d.conflictingReplica == 0) JOB_MARKET.payHonestReplica(jobId, 0, _challengerStages);
        }
    }

    /// @dev Pays replica 1's stage operators from `_reward` through the JobMarket (see {_settleJob}); returns what
    ///      it took. The JobMarket pulls exactly that, so the allowance is cleared when it took less.
    function _compensate(
        Dispute storage _d,
        IJobMarket.StageRecord[] calldata _defenderStages,
        IJobMarket.StageRecord[] calldata _challengerStages,
        uint256 _reward
    ) internal returns (uint256 paid_) {
        // Replica 0 is wrong, so replica 1 is whichever side of this dispute is not replica 0.
        IJobMarket.StageRecord[] calldata honest = _d.defenderReplica == 1 ? _defenderStages : _challengerStages;
        TOKEN.forceApprove(address(JOB_MARKET), _reward);
        paid_ = JOB_MARKET.payFromSlash(_d.jobId, 1, honest, _reward);
        if (paid_ != _reward) TOKEN.forceApprove(address(JOB_MARKET), 0);
    }

    /// @dev Freezes (or unfreezes) the node of every stage.
    function _freezeNodes(IJobMarket.StageRecord[] calldata _stages, bool _freeze) internal {
        uint256 n = _stages.length;
        for (uint256 k; k < n; ++k) {
            if (_freeze) STAKE_MANAGER.freezeNode(_stages[k].node);
            else STAKE_MANAGER.unfreezeNode(_stages[k].node);
        }
    }

    /// @dev Credits `_amount` to `_recipient` (claimed with {claimCredit}).
    function _credit(uint256 _disputeId, address _recipient, uint256 _amount) internal {
        _credits[_recipient] += _amount;
        emit Credited(_disputeId, _recipient, _amount);
    }

    // ------------------------------------------------------------------ internals: pure helpers

    /// @dev The longest a dispute stays undecidable: each side's budget plus at most one extension per turn after
    ///      its first (2·MAX_ROUNDS − 1 such turns at most).
    function _maxDuration(uint64 _clock, uint64 _extension) internal pure returns (uint256 duration_) {
        duration_ = 2 * uint256(_clock) + 2 * MAX_ROUNDS * uint256(_extension);
    }

    /// @dev The bit of a replica in the JobMarket's wrongMask.
    function _bit(uint8 _replica) internal pure returns (uint8 bit_) {
        bit_ = _replica == 0 ? 1 : 2;
    }

    /// @dev The other side.
    function _other(Side _side) internal pure returns (Side other_) {
        other_ = _side == Side.Defender ? Side.Challenger : Side.Defender;
    }
}
// forge-lint: disable-end(block-timestamp)
