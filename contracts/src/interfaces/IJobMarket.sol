// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Amounts, times and counters in events are data, not lookup keys: topics are kept for job, node and account ids.
/* solhint-disable gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IModelRegistry} from "./IModelRegistry.sol";
import {IStakeManager} from "./IStakeManager.sol";

/// @title IJobMarket
/// @notice Escrow for inference jobs: clients pay in, signed pipeline results come back, and after the challenge
///         window the fee is split among stage operators by layers x tokens, less a protocol fee.
/// @dev Stage receipts are EIP-712 typed data in the domain {name: "DePinLedger", version: "1", chainId,
///      verifyingContract: this JobMarket}, of type
///      `StageReceipt(bytes32 jobId,uint8 replica,uint8 stage,uint16 firstLayer,uint16 lastLayer,bytes32 inputRoot,bytes32 traceRoot,bytes32 outputRoot)`,
///      signed by the node key (the node id in StakeManager). A client's job voucher ({createJobFor}) is typed data in
///      the same domain, of type
///      `JobVoucher(bytes32 modelId,bytes32 promptHash,uint32 maxTokens,uint32 temperature,uint32 topP,uint64 seed,uint8 replicas,uint96 fee,uint64 deadline,bytes32 salt)`.
interface IJobMarket {
    /// @notice Life cycle of a job: Open (escrowed, awaiting a result) -> Submitted (in the challenge window) ->
    ///         Finalized (operators paid) or Refunded (client repaid). Open -> Refunded after the deadline.
    enum JobStatus {
        None,
        Open,
        Submitted,
        Finalized,
        Refunded
    }

    /// @notice Why a client was refunded.
    enum RefundReason {
        Expired, // no result by the deadline
        AllReplicasWrong, // the dispute game proved every replica wrong
        Dispute // the dispute game proved the served result wrong ({refundClient})
    }

    /// @notice What a client asks for. The job id is keccak256(abi.encode(client, request)), so it commits to
    ///         every field; the dispute game can re-supply the request and check it with {computeJobId}.
    struct JobRequest {
        bytes32 modelId; // ModelRegistry id
        bytes32 promptHash; // hash of the prompt tokens (the prompt itself travels off-chain)
        uint32 maxTokens; // most tokens to generate (also bounds the token count of a result)
        uint32 temperature; // sampling temperature, unsigned Q16.16 (65536 = 1.0; 0 = greedy)
        uint32 topP; // nucleus sampling mass, Q16.16 in (0, 65536]
        uint64 seed; // PRNG seed of the sampler
        uint8 replicas; // 1, or 2 for a verified job run on two disjoint pipelines
        uint96 fee; // escrowed payment in TOKEN
        uint64 deadline; // last second at which a result may be submitted
        bytes32 salt; // client-chosen, makes the id unique
    }

    /// @notice The EIP-712 struct a node signs for its pipeline stage (see the contract NatSpec for the domain).
    struct StageReceipt {
        bytes32 jobId;
        uint8 replica; // 0 or 1
        uint8 stage; // position of the stage in its pipeline, from 0
        uint16 firstLayer; // first transformer layer the stage ran
        uint16 lastLayer; // last transformer layer the stage ran (inclusive)
        bytes32 inputRoot; // commitment to the stage's inputs (the previous stage's outputRoot)
        bytes32 traceRoot; // Merkle root of the stage's trace leaves
        bytes32 outputRoot; // commitment to the stage's outputs
    }

    /// @notice One signed stage as submitted; the node is recovered from the signature.
    struct SignedStage {
        uint16 firstLayer;
        uint16 lastLayer;
        bytes32 inputRoot;
        bytes32 traceRoot;
        bytes32 outputRoot;
        bytes signature; // 65 bytes (r, s, v) over the StageReceipt digest
    }

    /// @notice One replica's result as submitted.
    struct ReplicaResult {
        bytes32 resultRoot; // Merkle root over the replica's whole trace and output tokens (submitter's claim)
        bytes32 outputHash; // hash of the generated tokens (submitter's claim)
        uint32 tokenCount; // generated tokens, 1..maxTokens (submitter's claim)
        SignedStage[] stages;
    }

    /// @notice A verified stage, as stored (hashed) and re-supplied to {finalize} and the dispute game.
    ///         stagesHash of a replica = keccak256(abi.encode(StageRecord[])).
    struct StageRecord {
        address node; // signer of the receipt (StakeManager node id)
        uint16 firstLayer;
        uint16 lastLayer;
        bytes32 inputRoot;
        bytes32 traceRoot;
        bytes32 outputRoot;
    }

    /// @notice A job, as returned by {getJob}.
    struct JobInfo {
        address client;
        uint96 fee;
        bytes32 modelId;
        uint48 createdAt; // infraction time to pass to StakeManager.slash for work on this job
        uint48 deadline;
        uint48 submittedAt; // zero until a result is accepted
        uint32 maxTokens;
        uint16 layerCount;
        uint8 replicas;
        uint16 freezeCount; // open disputes on the job; finalize waits for zero
        uint8 wrongMask; // bit r set: replica r proven wrong
        JobStatus status;
    }

    /// @notice One replica's stored result, as returned by {getReplica}.
    struct ReplicaInfo {
        bytes32 resultRoot;
        bytes32 outputHash;
        bytes32 stagesHash; // keccak256(abi.encode(StageRecord[]))
        uint32 tokenCount;
        bool provenWrong;
    }

    /// @notice A client escrowed `request.fee` for a job.
    event JobCreated(bytes32 indexed jobId, address indexed client, bytes32 indexed modelId, JobRequest request);
    /// @notice `relayer` created job `jobId` for `client` with the client's signed voucher (the client paid).
    event JobVoucherRedeemed(bytes32 indexed jobId, address indexed client, address indexed relayer);
    /// @notice A replica's result was accepted; `stages` are the verified receipts (re-supply them later).
    event ResultSubmitted(
        bytes32 indexed jobId,
        uint8 indexed replica,
        bytes32 resultRoot,
        bytes32 outputHash,
        uint32 tokenCount,
        StageRecord[] stages
    );
    /// @notice A stage operator was credited `amount` for its share of a job.
    event StagePaid(
        bytes32 indexed jobId,
        address indexed node,
        address indexed operator,
        uint8 replica,
        uint8 stage,
        uint256 amount
    );
    /// @notice A job was settled by paying the replicas in `paidMask`; `toTreasury` is the protocol fee plus dust.
    event JobFinalized(bytes32 indexed jobId, uint8 paidMask, uint256 toOperators, uint256 toTreasury);
    /// @notice A job's fee was credited back to its client.
    event JobRefunded(bytes32 indexed jobId, address indexed client, uint256 amount, RefundReason reason);
    /// @notice The dispute game opened a dispute on the job; `freezeCount` are open.
    event JobFrozen(bytes32 indexed jobId, uint16 freezeCount);
    /// @notice The dispute game closed a dispute on the job; `freezeCount` remain open.
    event JobUnfrozen(bytes32 indexed jobId, uint16 freezeCount);
    /// @notice The dispute game proved a replica's result wrong; it will not be paid.
    event ReplicaProvenWrong(bytes32 indexed jobId, uint8 replica);
    /// @notice The dispute game paid the honest replica of a refunded job `amount` from a slash (see {payFromSlash}).
    event ReplicaCompensated(bytes32 indexed jobId, uint8 replica, uint256 amount);
    /// @notice `amount` of credit was paid out to `recipient`.
    event CreditClaimed(address indexed recipient, uint256 amount);

    /// @notice A constructor argument is the zero address.
    error JobMarket_ZeroAddress();
    /// @notice The protocol fee exceeds 100 %.
    error JobMarket_ProtocolFeeTooHigh(uint16 protocolFeeBps, uint16 maxBps);
    /// @notice The longest job plus challenge window plus longest dispute must stay below the unbonding delay.
    error JobMarket_InvalidMaxJobDuration(uint64 maxJobDuration, uint256 limit);
    /// @notice The model is not registered.
    error JobMarket_ModelNotRegistered(bytes32 modelId);
    /// @notice Redundancy must be 1 or 2.
    error JobMarket_InvalidReplicas(uint8 replicas);
    /// @notice The fee is zero.
    error JobMarket_ZeroFee();
    /// @notice maxTokens is zero.
    error JobMarket_ZeroMaxTokens();
    /// @notice topP must be in (0, 65536].
    error JobMarket_InvalidTopP(uint32 topP);
    /// @notice The deadline must be in (now, now + MAX_JOB_DURATION].
    error JobMarket_InvalidDeadline(uint64 deadline, uint256 earliest, uint256 latest);
    /// @notice The same client already created a job with the same request (change the salt).
    error JobMarket_JobExists(bytes32 jobId);
    /// @notice The voucher signature is malformed, malleable, or not the client's over this request.
    error JobMarket_InvalidVoucher(address client);
    /// @notice The job is not open for results.
    error JobMarket_JobNotOpen(bytes32 jobId, JobStatus status);
    /// @notice The job's deadline has passed.
    error JobMarket_DeadlinePassed(bytes32 jobId, uint64 deadline);
    /// @notice The job's deadline has not passed yet.
    error JobMarket_DeadlineNotPassed(bytes32 jobId, uint64 deadline);
    /// @notice The number of replica results differs from the job's redundancy.
    error JobMarket_ReplicaCountMismatch(bytes32 jobId, uint256 given, uint8 expected);
    /// @notice A replica has no stage or more than MAX_STAGES.
    error JobMarket_InvalidStageCount(uint8 replica, uint256 count);
    /// @notice A replica's token count is zero or above maxTokens.
    error JobMarket_TokenCountOutOfRange(uint8 replica, uint32 tokenCount, uint32 maxTokens);
    /// @notice A stage does not start right after the previous one, or ends before it starts.
    error JobMarket_LayerGap(uint8 replica, uint8 stage, uint256 expectedFirst, uint16 firstLayer, uint16 lastLayer);
    /// @notice The last stage does not end at the model's last layer.
    error JobMarket_LayersNotCovered(uint8 replica, uint16 lastLayer, uint16 layerCount);
    /// @notice A stage's input root differs from the previous stage's output root.
    error JobMarket_InputRootMismatch(uint8 replica, uint8 stage, bytes32 expected, bytes32 inputRoot);
    /// @notice A stage signature is malformed.
    error JobMarket_InvalidSignature(uint8 replica, uint8 stage);
    /// @notice A stage's signer is not an eligible node.
    error JobMarket_NodeNotEligible(uint8 replica, uint8 stage, address node);
    /// @notice Two replicas of a verified job share an operator.
    error JobMarket_ReplicasShareOperator(address operator);
    /// @notice The job has no result in its challenge window.
    error JobMarket_JobNotSubmitted(bytes32 jobId, JobStatus status);
    /// @notice The challenge window is still open.
    error JobMarket_ChallengeWindowOpen(bytes32 jobId, uint256 endsAt);
    /// @notice The challenge window has closed.
    error JobMarket_ChallengeWindowClosed(bytes32 jobId, uint256 endedAt);
    /// @notice The job is frozen by open disputes.
    error JobMarket_JobFrozen(bytes32 jobId, uint16 freezeCount);
    /// @notice The job has no open dispute to close.
    error JobMarket_JobNotFrozen(bytes32 jobId);
    /// @notice The re-supplied stages do not hash to what was stored for the replica.
    error JobMarket_StagesMismatch(bytes32 jobId, uint8 replica);
    /// @notice One list of stages per replica must be supplied.
    error JobMarket_StageListCountMismatch(bytes32 jobId, uint256 given, uint8 expected);
    /// @notice The replica index is not below the job's redundancy.
    error JobMarket_InvalidReplica(bytes32 jobId, uint8 replica);
    /// @notice The replica was already proven wrong.
    error JobMarket_ReplicaAlreadyWrong(bytes32 jobId, uint8 replica);
    /// @notice The job was not refunded (only a refunded job's honest replica is paid from a slash).
    error JobMarket_JobNotRefunded(bytes32 jobId, JobStatus status);
    /// @notice The job's honest replica was already paid from a slash.
    error JobMarket_AlreadyCompensated(bytes32 jobId);
    /// @notice The layer is not below the job's layer count.
    error JobMarket_LayerOutOfRange(uint16 layer, uint16 layerCount);
    /// @notice Only the dispute game may call this.
    error JobMarket_NotDisputeGame(address caller);
    /// @notice The recipient has no credit.
    error JobMarket_NoCredit(address recipient);

    /// @notice Escrows `_request.fee` from the caller (needs an allowance) and opens a job.
    /// @dev Emits {JobCreated}. Reverts with {JobMarket_InvalidReplicas}, {JobMarket_ZeroFee},
    ///      {JobMarket_ZeroMaxTokens}, {JobMarket_InvalidTopP}, {JobMarket_InvalidDeadline},
    ///      {JobMarket_ModelNotRegistered} or {JobMarket_JobExists}.
    /// @param _request The job.
    /// @return jobId_ keccak256(abi.encode(msg.sender, _request)).
    function createJob(JobRequest calldata _request) external returns (bytes32 jobId_);

    /// @notice Creates a job for `_client`, who signed the request as an EIP-712 `JobVoucher` (every JobRequest field,
    ///         same domain as stage receipts); anyone (e.g. the gateway) may send it. The fee is pulled from the
    ///         client (its allowance to this contract) and the job is the client's, exactly as if the client had
    ///         called {createJob}: same job id, so a voucher is redeemed at most once and not after the client
    ///         created the same job itself.
    /// @dev Emits {JobVoucherRedeemed} and {JobCreated}. Reverts as {createJob} does, and with
    ///      {JobMarket_InvalidVoucher}.
    /// @param _client The paying client, signer of the voucher.
    /// @param _request The job.
    /// @param _signature 65 bytes (r, s, v) over {jobVoucherDigest}(_request), low s.
    /// @return jobId_ keccak256(abi.encode(_client, _request)).
    function createJobFor(address _client, JobRequest calldata _request, bytes calldata _signature)
        external
        returns (bytes32 jobId_);

    /// @notice Submits the results of every replica at once, each with the EIP-712 receipts of its stages. Anyone
    ///         may submit: the node signatures make it valid. Stages must cover layers 0..layerCount-1
    ///         contiguously, chain inputRoot to the previous outputRoot, be signed by eligible nodes, and (for two
    ///         replicas) no operator may serve both replicas. Starts the challenge window.
    /// @dev Emits {ResultSubmitted} per replica. Reverts with {JobMarket_JobNotOpen}, {JobMarket_DeadlinePassed},
    ///      {JobMarket_ReplicaCountMismatch}, {JobMarket_InvalidStageCount}, {JobMarket_TokenCountOutOfRange},
    ///      {JobMarket_LayerGap}, {JobMarket_LayersNotCovered}, {JobMarket_InputRootMismatch},
    ///      {JobMarket_InvalidSignature}, {JobMarket_NodeNotEligible} or {JobMarket_ReplicasShareOperator}.
    /// @param _jobId Job id.
    /// @param _results One result per replica, in replica order.
    function submitResult(bytes32 _jobId, ReplicaResult[] calldata _results) external;

    /// @notice Settles a job after its challenge window with no open dispute (optimistically: what was not proven
    ///         wrong in the window stands). Replicas not proven wrong are paid pro rata to work, layers x tokens;
    ///         all stages of a job process the same tokens, so a stage gets (fee - protocol fee) x its layers /
    ///         (layerCount x paid replicas). The treasury gets the protocol fee and rounding dust. When every
    ///         replica was proven wrong the client is refunded instead. Two replicas that disagree and were not
    ///         disputed are both paid: disputing is the job of the parties that gain from it (the client is refunded
    ///         when the served result is proven wrong, the honest replica gets the other's share, the challenger a
    ///         slash reward). Payments are credits, claimed with {claimCredit}. Anyone may call.
    /// @dev Emits {StagePaid} per stage and {JobFinalized}, or {JobRefunded}. Reverts with
    ///      {JobMarket_JobNotSubmitted}, {JobMarket_ChallengeWindowOpen}, {JobMarket_JobFrozen},
    ///      {JobMarket_StageListCountMismatch} or {JobMarket_StagesMismatch}.
    /// @param _jobId Job id.
    /// @param _stages The StageRecords of each replica as emitted in {ResultSubmitted} (those of a replica proven
    ///        wrong may be empty).
    function finalize(bytes32 _jobId, StageRecord[][] calldata _stages) external;

    /// @notice Credits the fee back to the client of a job that got no result by its deadline. Anyone may call.
    /// @dev Emits {JobRefunded}. Reverts with {JobMarket_JobNotOpen} or {JobMarket_DeadlineNotPassed}.
    /// @param _jobId Job id.
    function refundExpired(bytes32 _jobId) external;

    /// @notice Pays `_recipient` all of its credit (pull payment). Anyone may trigger it; only the recipient
    ///         receives.
    /// @dev Emits {CreditClaimed}. Reverts with {JobMarket_NoCredit}.
    /// @param _recipient Account to pay.
    /// @return amount_ Tokens paid.
    function claimCredit(address _recipient) external returns (uint256 amount_);

    /// @notice Dispute game hook: a dispute on the job opened (within its challenge window); finalize waits.
    /// @dev Emits {JobFrozen}. Reverts with {JobMarket_NotDisputeGame}, {JobMarket_JobNotSubmitted} or
    ///      {JobMarket_ChallengeWindowClosed}.
    /// @param _jobId Job id.
    function freezeJob(bytes32 _jobId) external;

    /// @notice Dispute game hook: a dispute on the job closed.
    /// @dev Emits {JobUnfrozen}. Reverts with {JobMarket_NotDisputeGame} or {JobMarket_JobNotFrozen}.
    /// @param _jobId Job id.
    function unfreezeJob(bytes32 _jobId) external;

    /// @notice Dispute game hook: replica `_replica` was proven wrong; it will not be paid. After the job is
    ///         settled this only records the verdict.
    /// @dev Emits {ReplicaProvenWrong}. Reverts with {JobMarket_NotDisputeGame}, {JobMarket_JobNotSubmitted}
    ///      (no result yet), {JobMarket_InvalidReplica} or {JobMarket_ReplicaAlreadyWrong}.
    /// @param _jobId Job id.
    /// @param _replica Replica index.
    function markReplicaWrong(bytes32 _jobId, uint8 _replica) external;

    /// @notice Dispute game hook: the served result was proven wrong; credit the whole fee back to the client
    ///         now, whatever else is open on the job. Nobody is paid.
    /// @dev Emits {JobRefunded}. Reverts with {JobMarket_NotDisputeGame} or {JobMarket_JobNotSubmitted}.
    /// @param _jobId Job id.
    function refundClient(bytes32 _jobId) external;

    /// @notice Dispute game hook: settle the job paying only replica `_replica` (as {finalize} would with every
    ///         other replica proven wrong). Needs the challenge window closed and no open dispute (unfreeze first).
    /// @dev Emits {StagePaid} per stage and {JobFinalized}. Reverts with {JobMarket_NotDisputeGame},
    ///      {JobMarket_JobNotSubmitted}, {JobMarket_ChallengeWindowOpen}, {JobMarket_JobFrozen},
    ///      {JobMarket_InvalidReplica}, {JobMarket_ReplicaAlreadyWrong} or {JobMarket_StagesMismatch}.
    /// @param _jobId Job id.
    /// @param _replica The honest replica.
    /// @param _stages Its StageRecords.
    function payHonestReplica(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages) external;

    /// @notice Dispute game hook: the job was refunded because replica 0 was proven wrong, and the other replica,
    ///         `_replica`, stood in the dispute and was not proven wrong: pay its stages from the slash reward. Each
    ///         stage gets what {finalize} pays a sole honest replica (net fee x layers / layerCount), in stage
    ///         order, until `_budget` runs out. The tokens paid are pulled from the caller (it approves `_budget`).
    ///         Once per job.
    /// @dev Emits {StagePaid} per stage and {ReplicaCompensated}. Reverts with {JobMarket_NotDisputeGame},
    ///      {JobMarket_JobNotRefunded}, {JobMarket_AlreadyCompensated}, {JobMarket_InvalidReplica},
    ///      {JobMarket_ReplicaAlreadyWrong} or {JobMarket_StagesMismatch}.
    /// @param _jobId Job id.
    /// @param _replica The honest replica.
    /// @param _stages Its StageRecords.
    /// @param _budget Most tokens to pay in all.
    /// @return paid_ Tokens paid (and pulled from the caller).
    function payFromSlash(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages, uint256 _budget)
        external
        returns (uint256 paid_);

    /// @notice The payment token.
    /// @return token_ ERC-20 address.
    function token() external view returns (IERC20 token_);

    /// @notice The model registry.
    /// @return registry_ Address.
    function modelRegistry() external view returns (IModelRegistry registry_);

    /// @notice The stake manager (node eligibility, operators, dispute game address).
    /// @return stakeManager_ Address.
    function stakeManager() external view returns (IStakeManager stakeManager_);

    /// @notice Receiver of the protocol fee.
    /// @return treasury_ Address.
    function treasury() external view returns (address treasury_);

    /// @notice Protocol fee in basis points of a job's fee.
    /// @return protocolFeeBps_ Basis points.
    function protocolFeeBps() external view returns (uint16 protocolFeeBps_);

    /// @notice Seconds after submission during which disputes can open (StakeManager.CHALLENGE_WINDOW).
    /// @return challengeWindow_ Seconds.
    function challengeWindow() external view returns (uint64 challengeWindow_);

    /// @notice Longest allowed time between job creation and its deadline.
    /// @return maxJobDuration_ Seconds.
    function maxJobDuration() external view returns (uint64 maxJobDuration_);

    /// @notice The dispute game (read from the stake manager), zero before it is set.
    /// @return disputeGame_ Address.
    function disputeGame() external view returns (address disputeGame_);

    /// @notice A job (all zero when unknown).
    /// @param _jobId Job id.
    /// @return job_ Job record.
    function getJob(bytes32 _jobId) external view returns (JobInfo memory job_);

    /// @notice A replica's stored result (all zero before submission).
    /// @param _jobId Job id.
    /// @param _replica Replica index.
    /// @return replica_ Stored result.
    function getReplica(bytes32 _jobId, uint8 _replica) external view returns (ReplicaInfo memory replica_);

    /// @notice First second at which the job can be finalized (and disputes no longer open); zero before
    ///         submission.
    /// @param _jobId Job id.
    /// @return endsAt_ submittedAt + CHALLENGE_WINDOW.
    function challengeDeadline(bytes32 _jobId) external view returns (uint256 endsAt_);

    /// @notice Unclaimed credit of an account.
    /// @param _account Account.
    /// @return amount_ Tokens.
    function creditOf(address _account) external view returns (uint256 amount_);

    /// @notice The id a job request from `_client` gets.
    /// @param _client Client address.
    /// @param _request Job request.
    /// @return jobId_ keccak256(abi.encode(_client, _request)).
    function computeJobId(address _client, JobRequest calldata _request) external pure returns (bytes32 jobId_);

    /// @notice EIP-712 digest a client signs for a job voucher ({createJobFor}).
    /// @param _request Job request.
    /// @return digest_ Typed-data hash.
    function jobVoucherDigest(JobRequest calldata _request) external view returns (bytes32 digest_);

    /// @notice EIP-712 digest a node signs for a stage receipt.
    /// @param _receipt Receipt.
    /// @return digest_ Typed-data hash.
    function stageReceiptDigest(StageReceipt calldata _receipt) external view returns (bytes32 digest_);

    /// @notice The commitment stored per replica for a list of stages.
    /// @param _stages Stage records.
    /// @return stagesHash_ keccak256(abi.encode(_stages)).
    function hashStages(StageRecord[] calldata _stages) external pure returns (bytes32 stagesHash_);

    /// @notice Finds the stage of a replica that ran `_layer`, after checking `_stages` against the stored hash.
    ///         This is how the dispute game attributes a divergent leaf at (position, layer) to a node.
    /// @dev Reverts with {JobMarket_InvalidReplica}, {JobMarket_StagesMismatch} or {JobMarket_LayerOutOfRange}.
    /// @param _jobId Job id.
    /// @param _replica Replica index.
    /// @param _stages The replica's StageRecords.
    /// @param _layer Transformer layer, below the model's layer count.
    /// @return index_ Stage index (the receipt's `stage`).
    /// @return stage_ The stage: node, span and roots.
    function stageForLayer(bytes32 _jobId, uint8 _replica, StageRecord[] calldata _stages, uint16 _layer)
        external
        view
        returns (uint8 index_, StageRecord memory stage_);
}
