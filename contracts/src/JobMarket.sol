// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Lint choices for this file: deadlines, windows and release times are protocol rules in seconds (a validator can
// skew a timestamp by seconds, far below any window here); boundaries are written as the rules state them
// (`>=`, `<=`) rather than rewritten for a few gas.
// forge-lint: disable-start(block-timestamp)
/* solhint-disable gas-strict-inequalities */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title JobMarket
/// @notice Job escrow, on-chain verification of EIP-712 stage receipts, challenge window, and settlement by pull
///         payments. Stage receipts are signed in the domain {name: "DePinLedger", version: "1", chainId,
///         verifyingContract: this contract}; see {IJobMarket} for the struct.
/// @dev Rules this contract keeps:
///      - Its token balance equals the fees of jobs still Open or Submitted plus the unclaimed credits; a fee
///        leaves escrow only as credits to stage operators and the treasury (finalize) or to the client (refund).
///      - There is no owner. The only privileged caller is the dispute game, read from the StakeManager where the
///        deployer set it once; the game can freeze a job, mark replicas wrong, refund the client or pay the
///        honest replica, never send escrow anywhere else.
///      - Per replica only the result root, output hash, token count and keccak256(abi.encode(StageRecord[])) are
///        stored; finalize and the dispute game re-supply the StageRecords (emitted in {ResultSubmitted}) and
///        the contract checks them against the hash. This keeps submitResult for 2 replicas x 3 stages far below
///        400k gas.
///
///      Storage layout of a job (`_jobs[jobId]`):
///      | slot | bits    | field       |
///      |------|---------|-------------|
///      | 0    | 0-159   | client      |
///      | 0    | 160-255 | fee         |
///      | 1    | 0-255   | modelId     |
///      | 2    | 0-47    | createdAt   |
///      | 2    | 48-95   | deadline    |
///      | 2    | 96-143  | submittedAt |
///      | 2    | 144-175 | maxTokens   |
///      | 2    | 176-191 | layerCount  |
///      | 2    | 192-199 | replicas    |
///      | 2    | 200-207 | status      |
///      | 2    | 208-223 | freezeCount |
///      | 2    | 224-231 | wrongMask   |
contract JobMarket is IJobMarket, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Most replicas (redundant pipelines) per job.
    uint8 public constant MAX_REPLICAS = 2;
    /// @notice Most pipeline stages per replica.
    uint256 public constant MAX_STAGES = 32;
    /// @notice topP of 1.0 in Q16.16.
    uint32 public constant Q16_ONE = 1 << 16;
    /// @notice EIP-712 type hash of {StageReceipt}.
    // The type string is folded into a constant at compile time; its length costs nothing at run time.
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant STAGE_RECEIPT_TYPEHASH = keccak256(
        "StageReceipt(bytes32 jobId,uint8 replica,uint8 stage,uint16 firstLayer,uint16 lastLayer,bytes32 inputRoot,bytes32 traceRoot,bytes32 outputRoot)"
    );
    /// @notice EIP-712 type hash of a client's job voucher (every {JobRequest} field, in order).
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant JOB_VOUCHER_TYPEHASH = keccak256(
        "JobVoucher(bytes32 modelId,bytes32 promptHash,uint32 maxTokens,uint32 temperature,uint32 topP,uint64 seed,uint8 replicas,uint96 fee,uint64 deadline,bytes32 salt)"
    );

    uint16 private constant _BPS = 10_000;

    IERC20 private immutable TOKEN;
    IModelRegistry private immutable MODEL_REGISTRY;
    IStakeManager private immutable STAKE_MANAGER;
    address private immutable TREASURY;
    uint16 private immutable PROTOCOL_FEE_BPS;
    uint64 private immutable CHALLENGE_WINDOW;
    uint64 private immutable MAX_JOB_DURATION;

    struct Job {
        address client;
        uint96 fee;
        bytes32 modelId;
        uint48 createdAt;
        uint48 deadline;
        uint48 submittedAt;
        uint32 maxTokens;
        uint16 layerCount;
        uint8 replicas;
        uint16 freezeCount;
        uint8 wrongMask;
        JobStatus status;
    }

    struct Replica {
        bytes32 resultRoot;
        bytes32 outputHash;
        bytes32 stagesHash;
        uint32 tokenCount;
    }

    mapping(bytes32 jobId => Job job) private _jobs;
    /// @dev Jobs whose honest replica was paid from a slash ({payFromSlash}); a rare path, so kept out of Job.
    mapping(bytes32 jobId => bool paid) private _paidFromSlash;
    mapping(bytes32 jobId => Replica[MAX_REPLICAS] results) private _replicas;
    mapping(address account => uint256 amount) private _credits;

    /// @param _token Payment token (any ERC-20 without transfer fees).
    /// @param _registry Model registry.
    /// @param _stakeManager Stake manager (eligibility, operators, challenge window, dispute game).
    /// @param _treasury Receiver of the protocol fee.
    /// @param _protocolFeeBps Protocol fee in basis points (<= 10 000).
    /// @param _maxJobDuration Longest deadline - creation, in seconds; with the challenge window and the longest
    ///        dispute it must stay below the unbonding delay, so stake that starts unbonding after a job was
    ///        created is still slashable when any dispute about that job ends.
    constructor(
        IERC20 _token,
        IModelRegistry _registry,
        IStakeManager _stakeManager,
        address _treasury,
        uint16 _protocolFeeBps,
        uint64 _maxJobDuration
    ) EIP712("DePinLedger", "1") {
        // INVARIANT: every dependency exists.
        if (
            address(_token) == address(0) || address(_registry) == address(0) || address(_stakeManager) == address(0)
                || _treasury == address(0)
        ) revert JobMarket_ZeroAddress();
        // INVARIANT: the protocol fee is a part of the job fee.
        if (_protocolFeeBps > _BPS) revert JobMarket_ProtocolFeeTooHigh(_protocolFeeBps, _BPS);
        uint64 window = _stakeManager.challengeWindow();
        // INVARIANT: maxJobDuration + challengeWindow + maxDispute < unbondingDelay (StakeManager guarantees the
        // right side exceeds the two latter), and deadlines fit 48 bits for millennia (cap at 2^32 s).
        uint256 limit = uint256(_stakeManager.unbondingDelay()) - window - _stakeManager.maxDisputeDuration() - 1;
        if (limit > type(uint32).max) limit = type(uint32).max;
        if (_maxJobDuration == 0 || _maxJobDuration > limit) {
            revert JobMarket_InvalidMaxJobDuration(_maxJobDuration, limit);
        }

        TOKEN = _token;
        MODEL_REGISTRY = _registry;
        STAKE_MANAGER = _stakeManager;
        TREASURY = _treasury;
        PROTOCOL_FEE_BPS = _protocolFeeBps;
        CHALLENGE_WINDOW = window;
        MAX_JOB_DURATION = _maxJobDuration;
    }

    // ------------------------------------------------------------------ clients

    /// @inheritdoc IJobMarket
    function createJob(JobRequest calldata _request) external nonReentrant returns (bytes32 jobId_) {
        uint16 layerCount = _checkRequest(_request);
        jobId_ = _computeJobId(msg.sender, _request);
        // INVARIANT: a job id is used once.
        if (_jobs[jobId_].status != JobStatus.None) revert JobMarket_JobExists(jobId_);
        _createJob(jobId_, msg.sender, _request, layerCount);
    }

    /// @inheritdoc IJobMarket
    function createJobFor(address _client, JobRequest calldata _request, bytes calldata _signature)
        external
        nonReentrant
        returns (bytes32 jobId_)
    {
        uint16 layerCount = _checkRequest(_request);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(_jobVoucherDigest(_request), _signature);
        // INVARIANT: only the client's own (non-malleable) signature over this exact request, this market and this
        // chain spends the client's allowance. A recovered signer is never the zero address.
        if (err != ECDSA.RecoverError.NoError || signer != _client) revert JobMarket_InvalidVoucher(_client);
        jobId_ = _computeJobId(_client, _request);
        // INVARIANT: a voucher is redeemed once: its job id is the id of (client, request), used once, whoever
        // creates it (the client itself through {createJob} included); the deadline bounds how late it can be.
        if (_jobs[jobId_].status != JobStatus.None) revert JobMarket_JobExists(jobId_);
        emit JobVoucherRedeemed(jobId_, _client, msg.sender);
        _createJob(jobId_, _client, _request, layerCount);
    }

    /// @inheritdoc IJobMarket
    function refundExpired(bytes32 _jobId) external {
        Job storage job = _jobs[_jobId];
        // INVARIANT: only a job still waiting for its result can expire.
        if (job.status != JobStatus.Open) revert JobMarket_JobNotOpen(_jobId, job.status);
        // INVARIANT: results are accepted up to and including the deadline second.
        if (block.timestamp <= job.deadline) revert JobMarket_DeadlineNotPassed(_jobId, job.deadline);
        _refund(_jobId, job, RefundReason.Expired);
    }

    /// @inheritdoc IJobMarket
    function claimCredit(address _recipient) external nonReentrant returns (uint256 amount_) {
        amount_ = _credits[_recipient];
        // INVARIANT: no empty transfers.
        if (amount_ == 0) revert JobMarket_NoCredit(_recipient);
        _credits[_recipient] = 0;
        emit CreditClaimed(_recipient, amount_);
        TOKEN.safeTransfer(_recipient, amount_);
    }

    // ------------------------------------------------------------------ results

    /// @inheritdoc IJobMarket
    function submitResult(bytes32 _jobId, ReplicaResult[] calldata _results) external {
        Job storage job = _jobs[_jobId];
        // INVARIANT: a job takes exactly one set of results, while open.
        if (job.status != JobStatus.Open) revert JobMarket_JobNotOpen(_jobId, job.status);
        // INVARIANT: results arrive by the deadline (inclusive); afterwards the client can take the fee back.
        if (block.timestamp > job.deadline) revert JobMarket_DeadlinePassed(_jobId, job.deadline);
        // INVARIANT: every replica the client paid for is present.
        if (_results.length != job.replicas) {
            revert JobMarket_ReplicaCountMismatch(_jobId, _results.length, job.replicas);
        }
        _submitResult(_jobId, job, _results);
    }

    /// @inheritdoc IJobMarket
    function finalize(bytes32 _jobId, StageRecord[][] calldata _stages) external {
        Job storage job = _jobs[_jobId];
        _checkSettleable(_jobId, job);
        // INVARIANT: one list of stages per replica.
        if (_stages.length != job.replicas) {
            revert JobMarket_StageListCountMismatch(_jobId, _stages.length, job.replicas);
        }
        _finalize(_jobId, job, _stages);
    }

    // ------------------------------------------------------------------ dispute game hooks

    /// @inheritdoc IJobMarket
    function freezeJob(bytes32 _jobId) external {
        _checkDisputeGame();
        Job storage job = _jobs[_jobId];
        // INVARIANT: only a submitted, unsettled result can be disputed.
        if (job.status != JobStatus.Submitted) revert JobMarket_JobNotSubmitted(_jobId, job.status);
        // INVARIANT: disputes open strictly inside the challenge window, so they never race finalize.
        uint256 endsAt = uint256(job.submittedAt) + CHALLENGE_WINDOW;
        if (block.timestamp >= endsAt) revert JobMarket_ChallengeWindowClosed(_jobId, endsAt);
        uint16 count = job.freezeCount + 1;
        job.freezeCount = count;
        emit JobFrozen(_jobId, count);
    }

    /// @inheritdoc IJobMarket
    function unfreezeJob(bytes32 _jobId) external {
        _checkDisputeGame();
        Job storage job = _jobs[_jobId];
        // INVARIANT: every unfreeze matches an earlier freeze.
        if (job.freezeCount == 0) revert JobMarket_JobNotFrozen(_jobId);
        uint16 count;
        // unchecked: freezeCount >= 1 was checked just above.
        unchecked {
            count = job.freezeCount - 1;
        }
        job.freezeCount = count;
        emit JobUnfrozen(_jobId, count);
    }

    /// @inheritdoc IJobMarket
    function markReplicaWrong(bytes32 _jobId, uint8 _replica) external {
        _checkDisputeGame();
        Job storage job = _jobs[_jobId];
        // INVARIANT: only a submitted result can be proven wrong.
        if (job.status == JobStatus.None || job.status == JobStatus.Open) {
            revert JobMarket_JobNotSubmitted(_jobId, job.status);
        }
        _checkReplica(_jobId, job, _replica);
        job.wrongMask |= _bit(_replica);
        emit ReplicaProvenWrong(_jobId, _replica);
    }

    /// @inheritdoc IJobMarket
    function refundClient(bytes32 _jobId) external {
        _checkDisputeGame();
        Job storage job = _jobs[_jobId];
        // INVARIANT: only an unsettled result is refunded; escrow is paid out once.
        if (job.status != JobStatus.Submitted) revert JobMarket_JobNotSubmitted(_jobId, job.status);
        _refund(_jobId, job, RefundReason.Dispute);
    }

    /// @inheritdoc IJobMarket
    function payHonestReplica(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages) external {
        _checkDisputeGame();
        Job storage job = _jobs[_jobId];
        _checkSettleable(_jobId, job);
        _checkReplica(_jobId, job, _replica);
        _payHonestReplica(_jobId, job, _replica, _stages);
    }

    /// @inheritdoc IJobMarket
    function payFromSlash(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages, uint256 _budget)
        external
        nonReentrant
        returns (uint256 paid_)
    {
        _checkDisputeGame();
        Job storage job = _jobs[_jobId];
        // INVARIANT: the fee went back to the client, so this pay can only come from outside the escrow.
        if (job.status != JobStatus.Refunded) revert JobMarket_JobNotRefunded(_jobId, job.status);
        // INVARIANT: a job's honest replica is paid once.
        if (_paidFromSlash[_jobId]) revert JobMarket_AlreadyCompensated(_jobId);
        _checkReplica(_jobId, job, _replica);
        _paidFromSlash[_jobId] = true;
        (uint256 net, uint256 denominator) = _shareBase(job, 1);
        paid_ = _payReplica(_jobId, _replica, _stages, net, denominator, _budget);
        emit ReplicaCompensated(_jobId, _replica, paid_);
        // Interaction last: the credits above are backed by the tokens pulled here.
        if (paid_ != 0) TOKEN.safeTransferFrom(msg.sender, address(this), paid_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IJobMarket
    function token() external view returns (IERC20 token_) {
        token_ = TOKEN;
    }

    /// @inheritdoc IJobMarket
    function modelRegistry() external view returns (IModelRegistry registry_) {
        registry_ = MODEL_REGISTRY;
    }

    /// @inheritdoc IJobMarket
    function stakeManager() external view returns (IStakeManager stakeManager_) {
        stakeManager_ = STAKE_MANAGER;
    }

    /// @inheritdoc IJobMarket
    function treasury() external view returns (address treasury_) {
        treasury_ = TREASURY;
    }

    /// @inheritdoc IJobMarket
    function protocolFeeBps() external view returns (uint16 protocolFeeBps_) {
        protocolFeeBps_ = PROTOCOL_FEE_BPS;
    }

    /// @inheritdoc IJobMarket
    function challengeWindow() external view returns (uint64 challengeWindow_) {
        challengeWindow_ = CHALLENGE_WINDOW;
    }

    /// @inheritdoc IJobMarket
    function maxJobDuration() external view returns (uint64 maxJobDuration_) {
        maxJobDuration_ = MAX_JOB_DURATION;
    }

    /// @inheritdoc IJobMarket
    function disputeGame() external view returns (address disputeGame_) {
        disputeGame_ = STAKE_MANAGER.disputeGame();
    }

    /// @inheritdoc IJobMarket
    function getJob(bytes32 _jobId) external view returns (JobInfo memory job_) {
        Job storage job = _jobs[_jobId];
        job_ = JobInfo({
            client: job.client,
            fee: job.fee,
            modelId: job.modelId,
            createdAt: job.createdAt,
            deadline: job.deadline,
            submittedAt: job.submittedAt,
            maxTokens: job.maxTokens,
            layerCount: job.layerCount,
            replicas: job.replicas,
            freezeCount: job.freezeCount,
            wrongMask: job.wrongMask,
            status: job.status
        });
    }

    /// @inheritdoc IJobMarket
    function getReplica(bytes32 _jobId, uint8 _replica) external view returns (ReplicaInfo memory replica_) {
        if (_replica >= MAX_REPLICAS) return replica_;
        Replica storage replica = _replicas[_jobId][_replica];
        replica_ = ReplicaInfo({
            resultRoot: replica.resultRoot,
            outputHash: replica.outputHash,
            stagesHash: replica.stagesHash,
            tokenCount: replica.tokenCount,
            provenWrong: _jobs[_jobId].wrongMask & _bit(_replica) != 0
        });
    }

    /// @inheritdoc IJobMarket
    function challengeDeadline(bytes32 _jobId) external view returns (uint256 endsAt_) {
        uint48 submittedAt = _jobs[_jobId].submittedAt;
        if (submittedAt != 0) endsAt_ = uint256(submittedAt) + CHALLENGE_WINDOW;
    }

    /// @inheritdoc IJobMarket
    function creditOf(address _account) external view returns (uint256 amount_) {
        amount_ = _credits[_account];
    }

    /// @inheritdoc IJobMarket
    function computeJobId(address _client, JobRequest calldata _request) external pure returns (bytes32 jobId_) {
        jobId_ = _computeJobId(_client, _request);
    }

    /// @inheritdoc IJobMarket
    function jobVoucherDigest(JobRequest calldata _request) external view returns (bytes32 digest_) {
        digest_ = _jobVoucherDigest(_request);
    }

    /// @inheritdoc IJobMarket
    function stageReceiptDigest(StageReceipt calldata _receipt) external view returns (bytes32 digest_) {
        digest_ = _hashTypedDataV4(keccak256(abi.encode(STAGE_RECEIPT_TYPEHASH, _receipt)));
    }

    /// @inheritdoc IJobMarket
    function hashStages(StageRecord[] calldata _stages) external pure returns (bytes32 stagesHash_) {
        stagesHash_ = keccak256(abi.encode(_stages));
    }

    /// @inheritdoc IJobMarket
    function stageForLayer(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages, uint16 _layer)
        external
        view
        returns (uint8 index_, StageRecord memory stage_)
    {
        Job storage job = _jobs[_jobId];
        // INVARIANT: the replica has a stored result.
        if (_replica >= job.replicas || job.submittedAt == 0) revert JobMarket_InvalidReplica(_jobId, _replica);
        _checkStages(_jobId, _replica, _stages);
        // INVARIANT: layers run from 0 to layerCount - 1.
        if (_layer >= job.layerCount) revert JobMarket_LayerOutOfRange(_layer, job.layerCount);
        // Stages were checked contiguous from 0 to layerCount - 1 at submission, so one of them covers _layer.
        uint256 n = _stages.length;
        for (uint256 s; s < n; ++s) {
            if (_layer <= _stages[s].lastLayer) {
                // Safe cast: n <= MAX_STAGES (32).
                // forge-lint: disable-next-line(unsafe-typecast)
                index_ = uint8(s);
                stage_ = _stages[s];
                break;
            }
        }
    }

    // ------------------------------------------------------------------ internals: checks

    /// @dev Reverts unless the request is well formed, its deadline in range and its model registered. Returns the
    ///      model's layer count (what stages must cover).
    function _checkRequest(JobRequest calldata _request) internal view returns (uint16 layerCount_) {
        // INVARIANT: a job runs on one pipeline or two.
        if (_request.replicas == 0 || _request.replicas > MAX_REPLICAS) {
            revert JobMarket_InvalidReplicas(_request.replicas);
        }
        // INVARIANT: there is something to pay the operators with.
        if (_request.fee == 0) revert JobMarket_ZeroFee();
        // INVARIANT: a result generates at least one token.
        if (_request.maxTokens == 0) revert JobMarket_ZeroMaxTokens();
        // INVARIANT: nucleus mass is a probability above zero.
        if (_request.topP == 0 || _request.topP > Q16_ONE) revert JobMarket_InvalidTopP(_request.topP);
        // INVARIANT: the deadline is in the future and within MAX_JOB_DURATION (which keeps slashing sound).
        uint256 latest = block.timestamp + MAX_JOB_DURATION;
        if (_request.deadline <= block.timestamp || _request.deadline > latest) {
            revert JobMarket_InvalidDeadline(_request.deadline, block.timestamp + 1, latest);
        }
        // INVARIANT: the model exists; its layer count is what stages must cover.
        layerCount_ = MODEL_REGISTRY.layerCountOf(_request.modelId);
        if (layerCount_ == 0) revert JobMarket_ModelNotRegistered(_request.modelId);
    }

    /// @dev Reverts unless the caller is the dispute game registered in the StakeManager (never true while unset).
    function _checkDisputeGame() internal view {
        address game = STAKE_MANAGER.disputeGame();
        // INVARIANT: only the dispute game can freeze, mark, refund early or pay one replica.
        if (msg.sender != game || game == address(0)) revert JobMarket_NotDisputeGame(msg.sender);
    }

    /// @dev Reverts unless the job can be settled now: submitted, window closed, no open dispute.
    function _checkSettleable(bytes32 _jobId, Job storage _job) internal view {
        // INVARIANT: only a submitted, unsettled result is paid out, and only once.
        if (_job.status != JobStatus.Submitted) revert JobMarket_JobNotSubmitted(_jobId, _job.status);
        // INVARIANT: nothing is paid before the challenge window has closed.
        uint256 endsAt = uint256(_job.submittedAt) + CHALLENGE_WINDOW;
        if (block.timestamp < endsAt) revert JobMarket_ChallengeWindowOpen(_jobId, endsAt);
        // INVARIANT: nothing is paid while a dispute is open.
        if (_job.freezeCount != 0) revert JobMarket_JobFrozen(_jobId, _job.freezeCount);
    }

    /// @dev Reverts unless `_replica` exists and is not yet proven wrong.
    function _checkReplica(bytes32 _jobId, Job storage _job, uint8 _replica) internal view {
        // INVARIANT: the replica exists.
        if (_replica >= _job.replicas) revert JobMarket_InvalidReplica(_jobId, _replica);
        // INVARIANT: a verdict against a replica is recorded once, and a wrong replica is never paid.
        if (_job.wrongMask & _bit(_replica) != 0) revert JobMarket_ReplicaAlreadyWrong(_jobId, _replica);
    }

    /// @dev Reverts unless `_stages` hash to the stored commitment of the replica.
    function _checkStages(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages) internal view {
        // INVARIANT: re-supplied stages are exactly the verified receipts.
        if (keccak256(abi.encode(_stages)) != _replicas[_jobId][_replica].stagesHash) {
            revert JobMarket_StagesMismatch(_jobId, _replica);
        }
    }

    /// @dev The bit of replica `_replica` in wrongMask and paidMask (replica < MAX_REPLICAS <= 8).
    function _bit(uint256 _replica) internal pure returns (uint8 bit_) {
        bit_ = _replica == 0 ? 1 : 2;
    }

    /// @dev EIP-712 digest of a job voucher. Every JobRequest field is a static type, so abi.encode of the struct is
    ///      exactly the EIP-712 encodeData of its members.
    function _jobVoucherDigest(JobRequest calldata _request) internal view returns (bytes32 digest_) {
        digest_ = _hashTypedDataV4(keccak256(abi.encode(JOB_VOUCHER_TYPEHASH, _request)));
    }

    /// @dev keccak256(abi.encode(client, request)).
    function _computeJobId(address _client, JobRequest calldata _request) internal pure returns (bytes32 jobId_) {
        jobId_ = keccak256(abi.encode(_client, _request));
    }

    // ------------------------------------------------------------------ internals: effects

    /// @dev Writes the job, emits, then pulls the fee from the client (checks-effects-interactions).
    function _createJob(bytes32 _jobId, address _client, JobRequest calldata _request, uint16 _layerCount)
        internal
        virtual
    {
        Job storage job = _jobs[_jobId];
        job.client = _client;
        job.fee = _request.fee;
        job.modelId = _request.modelId;
        job.createdAt = uint48(block.timestamp);
        // Safe cast: the deadline is at most now + 2^32 s, far below 2^48.
        // forge-lint: disable-next-line(unsafe-typecast)
        job.deadline = uint48(_request.deadline);
        job.maxTokens = _request.maxTokens;
        job.layerCount = _layerCount;
        job.replicas = _request.replicas;
        job.status = JobStatus.Open;
        emit JobCreated(_jobId, _client, _request.modelId, _request);
        TOKEN.safeTransferFrom(_client, address(this), _request.fee);
    }

    /// @dev Verifies and stores every replica, checks operator disjointness, starts the challenge window.
    function _submitResult(bytes32 _jobId, Job storage _job, ReplicaResult[] calldata _results) internal virtual {
        uint16 layerCount = _job.layerCount;
        uint32 maxTokens = _job.maxTokens;
        uint256 replicas = _results.length;
        address[] memory firstOperators;
        for (uint256 r; r < replicas; ++r) {
            // Safe cast: replicas <= MAX_REPLICAS (2).
            // forge-lint: disable-next-line(unsafe-typecast)
            address[] memory operators = _acceptReplica(_jobId, uint8(r), _results[r], layerCount, maxTokens);
            if (r == 0) {
                firstOperators = operators;
            } else {
                _checkDisjoint(firstOperators, operators);
            }
        }
        _job.submittedAt = uint48(block.timestamp);
        _job.status = JobStatus.Submitted;
    }

    /// @dev Checks one replica (token count, then every stage), stores its commitment and emits
    ///      {ResultSubmitted}. Returns the operators of its stages.
    function _acceptReplica(
        bytes32 _jobId,
        uint8 _replica,
        ReplicaResult calldata _result,
        uint16 _layerCount,
        uint32 _maxTokens
    ) internal returns (address[] memory operators_) {
        // INVARIANT: a result has between 1 and maxTokens tokens.
        if (_result.tokenCount == 0 || _result.tokenCount > _maxTokens) {
            revert JobMarket_TokenCountOutOfRange(_replica, _result.tokenCount, _maxTokens);
        }
        StageRecord[] memory records;
        (records, operators_) = _verifyStages(_jobId, _replica, _result.stages, _layerCount);
        Replica storage replica = _replicas[_jobId][_replica];
        replica.resultRoot = _result.resultRoot;
        replica.outputHash = _result.outputHash;
        replica.stagesHash = keccak256(abi.encode(records));
        replica.tokenCount = _result.tokenCount;
        emit ResultSubmitted(_jobId, _replica, _result.resultRoot, _result.outputHash, _result.tokenCount, records);
    }

    /// @dev Checks coverage, chaining, signatures and eligibility of a replica's stages. Returns the verified
    ///      records and the operator of each stage.
    function _verifyStages(bytes32 _jobId, uint8 _replica, SignedStage[] calldata _stages, uint16 _layerCount)
        internal
        view
        returns (StageRecord[] memory records_, address[] memory operators_)
    {
        uint256 n = _stages.length;
        // INVARIANT: a pipeline has at least one and at most MAX_STAGES stages.
        if (n == 0 || n > MAX_STAGES) revert JobMarket_InvalidStageCount(_replica, n);
        records_ = new StageRecord[](n);
        operators_ = new address[](n);
        uint256 expectedFirst;
        for (uint256 s; s < n; ++s) {
            SignedStage calldata stage = _stages[s];
            // Safe cast: s < n <= MAX_STAGES (32).
            // forge-lint: disable-next-line(unsafe-typecast)
            uint8 index = uint8(s);
            // INVARIANT: stages cover the layers contiguously, each span non-empty, starting at layer 0.
            if (stage.firstLayer != expectedFirst || stage.lastLayer < stage.firstLayer) {
                revert JobMarket_LayerGap(_replica, index, expectedFirst, stage.firstLayer, stage.lastLayer);
            }
            // INVARIANT: each stage consumes exactly what the previous one produced.
            if (s != 0 && stage.inputRoot != records_[s - 1].outputRoot) {
                revert JobMarket_InputRootMismatch(_replica, index, records_[s - 1].outputRoot, stage.inputRoot);
            }
            address node;
            (node, operators_[s]) = _verifyStage(_jobId, _replica, index, stage);
            records_[s] = StageRecord({
                node: node,
                firstLayer: stage.firstLayer,
                lastLayer: stage.lastLayer,
                inputRoot: stage.inputRoot,
                traceRoot: stage.traceRoot,
                outputRoot: stage.outputRoot
            });
            expectedFirst = uint256(stage.lastLayer) + 1;
        }
        // INVARIANT: the last stage ends at the model's last layer.
        if (expectedFirst != _layerCount) {
            revert JobMarket_LayersNotCovered(_replica, records_[n - 1].lastLayer, _layerCount);
        }
    }

    /// @dev Recovers the signer of one stage receipt and checks it is an eligible node. Returns node and operator.
    function _verifyStage(bytes32 _jobId, uint8 _replica, uint8 _stage, SignedStage calldata _signed)
        internal
        view
        returns (address node_, address operator_)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                STAGE_RECEIPT_TYPEHASH,
                _jobId,
                _replica,
                _stage,
                _signed.firstLayer,
                _signed.lastLayer,
                _signed.inputRoot,
                _signed.traceRoot,
                _signed.outputRoot
            )
        );
        ECDSA.RecoverError err;
        (node_, err,) = ECDSA.tryRecoverCalldata(_hashTypedDataV4(structHash), _signed.signature);
        // INVARIANT: every stage is signed (non-malleable signature).
        if (err != ECDSA.RecoverError.NoError) revert JobMarket_InvalidSignature(_replica, _stage);
        bool eligible;
        (operator_, eligible) = STAKE_MANAGER.eligibility(node_);
        // INVARIANT: only staked nodes (at least MIN_STAKE, hence slashable) can be paid for work.
        if (!eligible) revert JobMarket_NodeNotEligible(_replica, _stage, node_);
    }

    /// @dev Reverts when an operator appears in both lists (two replicas must be independent).
    function _checkDisjoint(address[] memory _first, address[] memory _second) internal pure {
        uint256 a = _first.length;
        uint256 b = _second.length;
        for (uint256 i; i < b; ++i) {
            for (uint256 j; j < a; ++j) {
                // INVARIANT: no operator serves both replicas of a verified job.
                if (_second[i] == _first[j]) revert JobMarket_ReplicasShareOperator(_second[i]);
            }
        }
    }

    /// @dev Settles after the window: refund when every replica was proven wrong, else pay the others.
    function _finalize(bytes32 _jobId, Job storage _job, StageRecord[][] calldata _stages) internal virtual {
        uint8 replicas = _job.replicas;
        uint8 paidMask = (replicas == 2 ? 3 : 1) & ~_job.wrongMask;
        if (paidMask == 0) {
            _refund(_jobId, _job, RefundReason.AllReplicasWrong);
            return;
        }
        _job.status = JobStatus.Finalized;
        uint256 paidReplicas = paidMask == 3 ? 2 : 1;
        (uint256 net, uint256 denominator) = _shareBase(_job, paidReplicas);
        uint256 toOperators;
        for (uint256 r; r < replicas; ++r) {
            if (paidMask & _bit(r) != 0) {
                // Safe cast: r < replicas <= MAX_REPLICAS (2).
                // forge-lint: disable-next-line(unsafe-typecast)
                toOperators += _payReplica(_jobId, uint8(r), _stages[r], net, denominator, type(uint256).max);
            }
        }
        _finishPayment(_jobId, _job, paidMask, toOperators);
    }

    /// @dev Settles paying only `_replica`.
    function _payHonestReplica(bytes32 _jobId, Job storage _job, uint8 _replica, StageRecord[] calldata _stages)
        internal
        virtual
    {
        _job.status = JobStatus.Finalized;
        (uint256 net, uint256 denominator) = _shareBase(_job, 1);
        uint256 toOperators = _payReplica(_jobId, _replica, _stages, net, denominator, type(uint256).max);
        _finishPayment(_jobId, _job, _bit(_replica), toOperators);
    }

    /// @dev Fee after the protocol cut, and the total pay weight of the paid replicas.
    ///      A stage's work is layers x tokens. Every stage of every replica of a job processes the same token
    ///      positions, so the token factor is common to all stages and cancels out of the shares; using it would
    ///      only let the (unsigned) tokenCount claims of a submitter shift pay between replicas. The weight of a
    ///      stage is therefore its layer count, and the total weight is layerCount x paid replicas.
    function _shareBase(Job storage _job, uint256 _paidReplicas)
        internal
        view
        returns (uint256 net_, uint256 denominator_)
    {
        uint256 fee = _job.fee;
        net_ = fee - fee * PROTOCOL_FEE_BPS / _BPS;
        denominator_ = uint256(_job.layerCount) * _paidReplicas;
    }

    /// @dev Credits each stage operator of a replica net x layers / denominator, in stage order, until `_budget` is
    ///      spent. Returns the sum.
    function _payReplica(
        bytes32 _jobId,
        uint8 _replica,
        StageRecord[] calldata _stages,
        uint256 _net,
        uint256 _denominator,
        uint256 _budget
    ) internal returns (uint256 paid_) {
        _checkStages(_jobId, _replica, _stages);
        uint256 n = _stages.length;
        for (uint256 s; s < n; ++s) {
            StageRecord calldata stage = _stages[s];
            // Cannot overflow: net < 2^96 and layers <= 2^16. The shares sum to at most net because the layers of
            // the paid replicas sum to the denominator (the stages were checked to cover every layer once).
            uint256 share = _net * (uint256(stage.lastLayer) - stage.firstLayer + 1) / _denominator;
            // paid_ <= _budget holds after every stage, so the subtraction cannot underflow.
            if (share > _budget - paid_) share = _budget - paid_;
            address operator = STAKE_MANAGER.operatorOf(stage.node);
            _credits[operator] += share;
            paid_ += share;
            // Safe cast: n <= MAX_STAGES (32).
            // forge-lint: disable-next-line(unsafe-typecast)
            emit StagePaid(_jobId, stage.node, operator, _replica, uint8(s), share);
        }
    }

    /// @dev Credits the treasury with what the operators did not get (protocol fee and rounding dust).
    function _finishPayment(bytes32 _jobId, Job storage _job, uint8 _paidMask, uint256 _toOperators) internal {
        uint256 toTreasury = _job.fee - _toOperators;
        _credits[TREASURY] += toTreasury;
        emit JobFinalized(_jobId, _paidMask, _toOperators, toTreasury);
    }

    /// @dev Closes the job and credits the whole fee to the client.
    function _refund(bytes32 _jobId, Job storage _job, RefundReason _reason) internal virtual {
        _job.status = JobStatus.Refunded;
        address client = _job.client;
        uint256 fee = _job.fee;
        _credits[client] += fee;
        emit JobRefunded(_jobId, client, fee, _reason);
    }
}
// forge-lint: disable-end(block-timestamp)
