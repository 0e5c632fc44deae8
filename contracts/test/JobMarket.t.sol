// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DePinFixture} from "./utils/DePinFixture.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";

contract JobMarket_Init is DePinFixture {
    event JobCreated(
        bytes32 indexed jobId, address indexed client, bytes32 indexed modelId, IJobMarket.JobRequest request
    );
    event ResultSubmitted(
        bytes32 indexed jobId,
        uint8 indexed replica,
        bytes32 resultRoot,
        bytes32 outputHash,
        uint32 tokenCount,
        IJobMarket.StageRecord[] stages
    );
    event StagePaid(
        bytes32 indexed jobId,
        address indexed node,
        address indexed operator,
        uint8 replica,
        uint8 stage,
        uint256 amount
    );
    event JobFinalized(bytes32 indexed jobId, uint8 paidMask, uint256 toOperators, uint256 toTreasury);
    event JobRefunded(bytes32 indexed jobId, address indexed client, uint256 amount, IJobMarket.RefundReason reason);
    event JobFrozen(bytes32 indexed jobId, uint16 freezeCount);
    event JobUnfrozen(bytes32 indexed jobId, uint16 freezeCount);
    event ReplicaProvenWrong(bytes32 indexed jobId, uint8 replica);
    event ReplicaCompensated(bytes32 indexed jobId, uint8 replica, uint256 amount);
    event CreditClaimed(address indexed recipient, uint256 amount);

    uint32 internal constant TOKENS = 200;
    uint256 internal constant NET = FEE - FEE * PROTOCOL_FEE_BPS / 10_000;

    NodeKey[] internal pipeA;
    NodeKey[] internal pipeB;

    function setUp() public virtual override {
        super.setUp();
        NodeKey[] memory a = _eligibleNodes("a", 3);
        NodeKey[] memory b = _eligibleNodes("b", 3);
        for (uint256 i; i < 3; ++i) {
            pipeA.push(a[i]);
            pipeB.push(b[i]);
        }
        assertEq(address(market.token()), address(token));
        assertEq(address(market.modelRegistry()), address(registry));
        assertEq(address(market.stakeManager()), address(stakes));
        assertEq(market.treasury(), treasury);
        assertEq(market.protocolFeeBps(), PROTOCOL_FEE_BPS);
        assertEq(market.challengeWindow(), CHALLENGE_WINDOW);
        assertEq(market.maxJobDuration(), MAX_JOB_DURATION);
        assertEq(market.disputeGame(), address(game));
    }

    function _a() internal view returns (NodeKey[] memory k_) {
        k_ = pipeA;
    }

    function _b() internal view returns (NodeKey[] memory k_) {
        k_ = pipeB;
    }

    function _results2(bytes32 _jobId, bytes32 _tagA, bytes32 _tagB, uint32 _tokensA, uint32 _tokensB)
        internal
        view
        returns (IJobMarket.ReplicaResult[] memory res_)
    {
        res_ = new IJobMarket.ReplicaResult[](2);
        res_[0] = _replica(_jobId, 0, _a(), _tagA, _tokensA);
        res_[1] = _replica(_jobId, 1, _b(), _tagB, _tokensB);
    }

    function _single(IJobMarket.ReplicaResult memory _r)
        internal
        pure
        returns (IJobMarket.ReplicaResult[] memory res_)
    {
        res_ = new IJobMarket.ReplicaResult[](1);
        res_[0] = _r;
    }

    /// @dev Creates a 2-replica job and submits agreeing (or not) results; returns the records to re-supply.
    function _submittedJob2(bytes32 _tagB, uint32 _tokensB)
        internal
        returns (bytes32 jobId_, IJobMarket.StageRecord[][] memory records_)
    {
        jobId_ = _createJob(client, _request(2));
        IJobMarket.ReplicaResult[] memory res = _results2(jobId_, "same", _tagB, TOKENS, _tokensB);
        market.submitResult(jobId_, res);
        records_ = new IJobMarket.StageRecord[][](2);
        records_[0] = _records(res[0], _a());
        records_[1] = _records(res[1], _b());
    }

    function _submittedJob1() internal returns (bytes32 jobId_, IJobMarket.StageRecord[][] memory records_) {
        jobId_ = _createJob(client, _request(1));
        IJobMarket.ReplicaResult memory res = _replica(jobId_, 0, _a(), "same", TOKENS);
        market.submitResult(jobId_, _single(res));
        records_ = new IJobMarket.StageRecord[][](1);
        records_[0] = _records(res, _a());
    }

    function _job(bytes32 _jobId) internal view returns (IJobMarket.JobInfo memory job_) {
        job_ = market.getJob(_jobId);
    }
}

contract JobMarket_Constructor_Test is JobMarket_Init {
    function test_constructor_zeroAddresses_reverts() public {
        vm.expectRevert(IJobMarket.JobMarket_ZeroAddress.selector);
        new JobMarket(IERC20(address(0)), registry, stakes, treasury, 0, 1);
        vm.expectRevert(IJobMarket.JobMarket_ZeroAddress.selector);
        new JobMarket(token, IModelRegistry(address(0)), stakes, treasury, 0, 1);
        vm.expectRevert(IJobMarket.JobMarket_ZeroAddress.selector);
        new JobMarket(token, registry, IStakeManager(address(0)), treasury, 0, 1);
        vm.expectRevert(IJobMarket.JobMarket_ZeroAddress.selector);
        new JobMarket(token, registry, stakes, address(0), 0, 1);
    }

    function test_constructor_protocolFeeAbove100Percent_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ProtocolFeeTooHigh.selector, 10_001, 10_000));
        new JobMarket(token, registry, stakes, treasury, 10_001, 1);
        assertEq(new JobMarket(token, registry, stakes, treasury, 10_000, 1).protocolFeeBps(), 10_000);
    }

    function test_constructor_maxJobDurationAtLimit_succeeds() public {
        uint64 limit = UNBONDING_DELAY - CHALLENGE_WINDOW - MAX_DISPUTE_DURATION - 1;
        assertEq(new JobMarket(token, registry, stakes, treasury, 0, limit).maxJobDuration(), limit);
    }

    function test_constructor_maxJobDurationBeyondLimit_reverts() public {
        uint256 limit = UNBONDING_DELAY - CHALLENGE_WINDOW - MAX_DISPUTE_DURATION - 1;
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_InvalidMaxJobDuration.selector, uint64(limit + 1), limit)
        );
        new JobMarket(token, registry, stakes, treasury, 0, uint64(limit + 1));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidMaxJobDuration.selector, 0, limit));
        new JobMarket(token, registry, stakes, treasury, 0, 0);
    }
}

contract JobMarket_CreateJob_Test is JobMarket_Init {
    function test_createJob_valid_succeeds() public {
        IJobMarket.JobRequest memory req = _request(2);
        bytes32 expectedId = keccak256(abi.encode(client, req));
        _mint(client, FEE);
        vm.startPrank(client);
        token.approve(address(market), FEE);
        vm.expectEmit(address(market));
        emit JobCreated(expectedId, client, MODEL_ID, req);
        bytes32 jobId = market.createJob(req);
        vm.stopPrank();

        assertEq(jobId, expectedId);
        assertEq(market.computeJobId(client, req), expectedId);
        IJobMarket.JobInfo memory job = _job(jobId);
        assertEq(job.client, client);
        assertEq(job.fee, FEE);
        assertEq(job.modelId, MODEL_ID);
        assertEq(job.createdAt, block.timestamp);
        assertEq(job.deadline, req.deadline);
        assertEq(job.submittedAt, 0);
        assertEq(job.maxTokens, req.maxTokens);
        assertEq(job.layerCount, LAYERS);
        assertEq(job.replicas, 2);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Open));
        assertEq(token.balanceOf(address(market)), FEE);
        assertEq(token.balanceOf(client), 0);
        assertEq(market.challengeDeadline(jobId), 0);
    }

    function testFuzz_createJob_feeAndDeadline_succeeds(uint96 _fee, uint64 _ahead, uint8 _replicas) public {
        IJobMarket.JobRequest memory req = _request(uint8(bound(_replicas, 1, 2)));
        req.fee = uint96(bound(_fee, 1, type(uint96).max));
        req.deadline = uint64(block.timestamp + bound(_ahead, 1, MAX_JOB_DURATION));
        bytes32 jobId = _createJob(client, req);
        assertEq(_job(jobId).fee, req.fee);
        assertEq(_job(jobId).deadline, req.deadline);
        assertEq(token.balanceOf(address(market)), req.fee);
    }

    function test_createJob_invalidReplicas_reverts() public {
        IJobMarket.JobRequest memory req = _request(0);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidReplicas.selector, 0));
        market.createJob(req);
        req.replicas = 3;
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidReplicas.selector, 3));
        market.createJob(req);
    }

    function test_createJob_zeroFee_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.fee = 0;
        vm.expectRevert(IJobMarket.JobMarket_ZeroFee.selector);
        market.createJob(req);
    }

    function test_createJob_zeroMaxTokens_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.maxTokens = 0;
        vm.expectRevert(IJobMarket.JobMarket_ZeroMaxTokens.selector);
        market.createJob(req);
    }

    function test_createJob_invalidTopP_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.topP = 0;
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidTopP.selector, 0));
        market.createJob(req);
        req.topP = (1 << 16) + 1;
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidTopP.selector, (1 << 16) + 1));
        market.createJob(req);
    }

    function test_createJob_deadlineNow_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.deadline = uint64(block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobMarket_InvalidDeadline.selector,
                req.deadline,
                block.timestamp + 1,
                block.timestamp + MAX_JOB_DURATION
            )
        );
        market.createJob(req);
    }

    function test_createJob_deadlineBoundaries_succeeds() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.deadline = uint64(block.timestamp + 1);
        _createJob(client, req);
        req.deadline = uint64(block.timestamp + MAX_JOB_DURATION);
        _createJob(client, req);
    }

    function test_createJob_deadlineBeyondMaxDuration_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.deadline = uint64(block.timestamp + MAX_JOB_DURATION + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobMarket_InvalidDeadline.selector,
                req.deadline,
                block.timestamp + 1,
                block.timestamp + MAX_JOB_DURATION
            )
        );
        market.createJob(req);
    }

    function test_createJob_unknownModel_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.modelId = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ModelNotRegistered.selector, req.modelId));
        market.createJob(req);
    }

    function test_createJob_sameRequestTwice_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        bytes32 jobId = _createJob(client, req);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_JobExists.selector, jobId));
        vm.prank(client);
        market.createJob(req);
        // Another client with the same request gets another id.
        assertTrue(_createJob(makeAddr("other-client"), req) != jobId);
    }

    function test_createJob_withoutAllowance_reverts() public {
        _mint(client, FEE);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(market), 0, FEE)
        );
        vm.prank(client);
        market.createJob(_request(1));
    }
}

contract JobMarket_SubmitResult_Test is JobMarket_Init {
    bytes32 internal jobId;

    function setUp() public override {
        super.setUp();
        jobId = _createJob(client, _request(2));
    }

    function test_submitResult_twoReplicasThreeStages_succeeds() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        IJobMarket.StageRecord[] memory recA = _records(res[0], _a());
        IJobMarket.StageRecord[] memory recB = _records(res[1], _b());
        vm.expectEmit(address(market));
        emit ResultSubmitted(jobId, 0, res[0].resultRoot, res[0].outputHash, TOKENS, recA);
        vm.expectEmit(address(market));
        emit ResultSubmitted(jobId, 1, res[1].resultRoot, res[1].outputHash, TOKENS, recB);
        vm.prank(makeAddr("anyone")); // permissionless: the signatures make it valid
        market.submitResult(jobId, res);

        IJobMarket.JobInfo memory job = _job(jobId);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Submitted));
        assertEq(job.submittedAt, block.timestamp);
        assertEq(market.challengeDeadline(jobId), block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.ReplicaInfo memory r0 = market.getReplica(jobId, 0);
        assertEq(r0.resultRoot, res[0].resultRoot);
        assertEq(r0.outputHash, res[0].outputHash);
        assertEq(r0.tokenCount, TOKENS);
        assertEq(r0.stagesHash, market.hashStages(recA));
        assertEq(r0.stagesHash, keccak256(abi.encode(recA)));
        assertFalse(r0.provenWrong);
        assertEq(market.getReplica(jobId, 1).stagesHash, market.hashStages(recB));
        assertEq(market.getReplica(jobId, 2).stagesHash, bytes32(0));
    }

    function test_submitResult_singleStage_succeeds() public {
        bytes32 one = _createJob(client, _withSalt(_request(1), 7));
        NodeKey[] memory solo = new NodeKey[](1);
        solo[0] = pipeA[0];
        IJobMarket.ReplicaResult memory res = _replica(one, 0, solo, "solo", 1);
        market.submitResult(one, _single(res));
        assertEq(res.stages[0].lastLayer, LAYERS - 1);
        assertEq(uint8(_job(one).status), uint8(IJobMarket.JobStatus.Submitted));
    }

    function test_submitResult_unknownJob_reverts() public {
        bytes32 unknown = keccak256("unknown");
        IJobMarket.ReplicaResult[] memory res = _results2(unknown, "x", "x", 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotOpen.selector, unknown, IJobMarket.JobStatus.None)
        );
        market.submitResult(unknown, res);
    }

    function test_submitResult_twice_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        market.submitResult(jobId, res);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotOpen.selector, jobId, IJobMarket.JobStatus.Submitted)
        );
        market.submitResult(jobId, res);
    }

    function test_submitResult_atDeadline_succeeds() public {
        vm.warp(_job(jobId).deadline);
        market.submitResult(jobId, _results2(jobId, "same", "same", TOKENS, TOKENS));
    }

    function test_submitResult_oneSecondAfterDeadline_reverts() public {
        uint64 deadline = _job(jobId).deadline;
        vm.warp(uint256(deadline) + 1);
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_DeadlinePassed.selector, jobId, deadline));
        market.submitResult(jobId, res);
    }

    function test_submitResult_wrongReplicaCount_reverts() public {
        IJobMarket.ReplicaResult memory r0 = _replica(jobId, 0, _a(), "same", TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ReplicaCountMismatch.selector, jobId, 1, 2));
        market.submitResult(jobId, _single(r0));
    }

    function test_submitResult_noStages_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        res[1].stages = new IJobMarket.SignedStage[](0);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidStageCount.selector, 1, 0));
        market.submitResult(jobId, res);
    }

    function test_submitResult_tooManyStages_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        uint256 tooMany = market.MAX_STAGES() + 1;
        res[0].stages = new IJobMarket.SignedStage[](tooMany);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidStageCount.selector, 0, tooMany));
        market.submitResult(jobId, res);
    }

    function test_submitResult_tokenCountOutOfRange_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", 0, TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_TokenCountOutOfRange.selector, 0, 0, 256));
        market.submitResult(jobId, res);
        res = _results2(jobId, "same", "same", TOKENS, 257);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_TokenCountOutOfRange.selector, 1, 257, 256));
        market.submitResult(jobId, res);
    }

    function test_submitResult_firstStageNotAtLayerZero_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        _resign(res[0], 0, 0, 1, 1); // [1,1] instead of [0,1]
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayerGap.selector, 0, 0, 0, 1, 1));
        market.submitResult(jobId, res);
    }

    function test_submitResult_gapBetweenStages_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        _resign(res[1], 1, 1, 3, 3); // [3,3] after [0,1]
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayerGap.selector, 1, 1, 2, 3, 3));
        market.submitResult(jobId, res);
    }

    function test_submitResult_overlappingStages_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        _resign(res[0], 0, 1, 1, 3); // [1,3] after [0,1]
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayerGap.selector, 0, 1, 2, 1, 3));
        market.submitResult(jobId, res);
    }

    function test_submitResult_emptySpan_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        _resign(res[0], 0, 1, 2, 1); // last < first
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayerGap.selector, 0, 1, 2, 2, 1));
        market.submitResult(jobId, res);
    }

    function test_submitResult_lastLayerMissing_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        _resign(res[0], 0, 2, 4, 3); // ends at 3, model has layers 0..4
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayerGap.selector, 0, 2, 4, 4, 3));
        market.submitResult(jobId, res);
        res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        IJobMarket.SignedStage[] memory two = new IJobMarket.SignedStage[](2);
        two[0] = res[1].stages[0];
        two[1] = res[1].stages[1];
        res[1].stages = two; // covers 0..3 only
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayersNotCovered.selector, 1, 3, LAYERS));
        market.submitResult(jobId, res);
    }

    function test_submitResult_beyondLastLayer_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        _resign(res[0], 0, 2, 4, 5);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayersNotCovered.selector, 0, 5, LAYERS));
        market.submitResult(jobId, res);
    }

    function test_submitResult_inputRootNotPreviousOutput_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        bytes32 expected = res[1].stages[0].outputRoot;
        res[1].stages[1].inputRoot = keccak256("forged input");
        res[1].stages[1].signature = _signStage(pipeB[1].key, jobId, 1, 1, res[1].stages[1]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobMarket_InputRootMismatch.selector, 1, 1, expected, keccak256("forged input")
            )
        );
        market.submitResult(jobId, res);
    }

    function test_submitResult_malformedSignature_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        res[0].stages[2].signature = hex"deadbeef";
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidSignature.selector, 0, 2));
        market.submitResult(jobId, res);
    }

    function test_submitResult_malleatedSignature_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pipeA[0].key, _digest(0, 0, res[0].stages[0]));
        // (r, n - s, v') is the other valid ECDSA signature of the same digest: it must not be accepted.
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        res[0].stages[0].signature = abi.encodePacked(r, bytes32(n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidSignature.selector, 0, 0));
        market.submitResult(jobId, res);
    }

    function test_submitResult_tamperedReceipt_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pipeA[2].key, _digest(0, 2, res[0].stages[2]));
        res[0].stages[2].traceRoot = keccak256("tampered"); // signature no longer matches: recovers a stranger
        address stranger = ecrecover(_digest(0, 2, res[0].stages[2]), v, r, s);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NodeNotEligible.selector, 0, 2, stranger));
        market.submitResult(jobId, res);
    }

    function test_submitResult_receiptReplayedInOtherReplica_reverts() public {
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "other", TOKENS, TOKENS);
        // Replica 1's first stage is replica 0's signed receipt: the digest includes the replica index.
        res[1].stages[0] = res[0].stages[0];
        res[1].stages[1].inputRoot = res[0].stages[0].outputRoot;
        res[1].stages[1].signature = _signStage(pipeB[1].key, jobId, 1, 1, res[1].stages[1]);
        vm.expectPartialRevert(IJobMarket.JobMarket_NodeNotEligible.selector);
        market.submitResult(jobId, res);
    }

    function test_submitResult_receiptFromOtherJob_reverts() public {
        bytes32 other = _createJob(client, _withSalt(_request(2), 9));
        IJobMarket.ReplicaResult[] memory res = _results2(other, "same", "same", TOKENS, TOKENS);
        vm.expectPartialRevert(IJobMarket.JobMarket_NodeNotEligible.selector);
        market.submitResult(jobId, res);
    }

    function test_submitResult_nodeBelowMinimumStake_reverts() public {
        vm.prank(pipeB[2].operator);
        stakes.requestUnbond(pipeB[2].node, 1);
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NodeNotEligible.selector, 1, 2, pipeB[2].node));
        market.submitResult(jobId, res);
    }

    function test_submitResult_replicasShareOperator_reverts() public {
        // A second node key of pipeA[1]'s operator serves replica 1.
        (address node, uint256 key) = makeAddrAndKey("a1-second-key");
        bytes memory sig = _signDigest(key, stakes.nodeKeyDigest(pipeA[1].operator));
        vm.prank(pipeA[1].operator);
        stakes.registerNode(node, "https://a1b:7443", _hardware(), sig);
        NodeKey memory second = NodeKey({node: node, key: key, operator: pipeA[1].operator});
        _stake(second, MIN_STAKE);
        pipeB[2] = second;
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ReplicasShareOperator.selector, pipeA[1].operator));
        market.submitResult(jobId, res);
    }

    function test_submitResult_afterExpiryRefund_reverts() public {
        vm.warp(uint256(_job(jobId).deadline) + 1);
        market.refundExpired(jobId);
        IJobMarket.ReplicaResult[] memory res = _results2(jobId, "same", "same", TOKENS, TOKENS);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotOpen.selector, jobId, IJobMarket.JobStatus.Refunded)
        );
        market.submitResult(jobId, res);
    }

    /// @dev Sets a stage's span and re-signs it with the node of that replica's pipeline.
    function _resign(IJobMarket.ReplicaResult memory _res, uint8 _r, uint8 _s, uint16 _first, uint16 _last)
        internal
        view
    {
        _res.stages[_s].firstLayer = _first;
        _res.stages[_s].lastLayer = _last;
        uint256 key = _r == 0 ? pipeA[_s].key : pipeB[_s].key;
        _res.stages[_s].signature = _signStage(key, jobId, _r, _s, _res.stages[_s]);
    }

    function _digest(uint8 _r, uint8 _s, IJobMarket.SignedStage memory _st) internal view returns (bytes32 digest_) {
        digest_ = market.stageReceiptDigest(
            IJobMarket.StageReceipt({
                jobId: jobId,
                replica: _r,
                stage: _s,
                firstLayer: _st.firstLayer,
                lastLayer: _st.lastLayer,
                inputRoot: _st.inputRoot,
                traceRoot: _st.traceRoot,
                outputRoot: _st.outputRoot
            })
        );
    }

    function _withSalt(IJobMarket.JobRequest memory _req, uint256 _salt)
        internal
        pure
        returns (IJobMarket.JobRequest memory req_)
    {
        req_ = _req;
        req_.salt = bytes32(_salt);
    }
}

contract JobMarket_Finalize_Test is JobMarket_Init {
    function test_finalize_oneSecondBeforeWindowEnds_reverts() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        uint256 endsAt = block.timestamp + CHALLENGE_WINDOW;
        vm.warp(endsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ChallengeWindowOpen.selector, jobId, endsAt));
        market.finalize(jobId, recs);
    }

    function test_finalize_agreeingReplicas_paysByLayers_succeeds() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        // Spans [0,1], [2,3], [4,4] in each replica: weights 2, 2, 1 out of 10 layer-units overall.
        uint256 twoLayers = NET * 2 / 10;
        uint256 oneLayer = NET / 10;
        vm.expectEmit(address(market));
        emit StagePaid(jobId, pipeA[0].node, pipeA[0].operator, 0, 0, twoLayers);
        vm.expectEmit(address(market));
        emit StagePaid(jobId, pipeA[1].node, pipeA[1].operator, 0, 1, twoLayers);
        vm.expectEmit(address(market));
        emit StagePaid(jobId, pipeA[2].node, pipeA[2].operator, 0, 2, oneLayer);
        market.finalize(jobId, recs);

        for (uint256 i; i < 3; ++i) {
            uint256 expected = i == 2 ? oneLayer : twoLayers;
            assertEq(market.creditOf(pipeA[i].operator), expected);
            assertEq(market.creditOf(pipeB[i].operator), expected);
        }
        assertEq(market.creditOf(treasury), FEE - 2 * (2 * twoLayers + oneLayer));
        assertEq(market.creditOf(treasury), FEE * PROTOCOL_FEE_BPS / 10_000);
        assertEq(uint8(_job(jobId).status), uint8(IJobMarket.JobStatus.Finalized));
        assertEq(token.balanceOf(address(market)), FEE); // all of it now credits
    }

    function test_finalize_singleReplica_succeeds() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob1();
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectEmit(address(market));
        emit JobFinalized(jobId, 1, NET, FEE - NET);
        market.finalize(jobId, recs);
        assertEq(market.creditOf(pipeA[0].operator), NET * 2 / 5);
        assertEq(market.creditOf(pipeA[2].operator), NET / 5);
    }

    function testFuzz_finalize_creditsSumToFee_succeeds(uint96 _fee, uint32 _tokens, uint16 _bps) public {
        // Fresh market with a fuzzed protocol fee and fee; the claimed token count must not matter.
        JobMarket m = new JobMarket(token, registry, stakes, treasury, uint16(bound(_bps, 0, 10_000)), 1 days);
        IJobMarket.JobRequest memory req = _request(1);
        req.fee = uint96(bound(_fee, 1, type(uint96).max));
        req.maxTokens = type(uint32).max;
        _mint(client, req.fee);
        vm.startPrank(client);
        token.approve(address(m), req.fee);
        bytes32 jobId = m.createJob(req);
        vm.stopPrank();
        IJobMarket.ReplicaResult memory res = _replicaFor(m, jobId, uint32(bound(_tokens, 1, type(uint32).max)));
        m.submitResult(jobId, _single(res));
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.StageRecord[][] memory recs = new IJobMarket.StageRecord[][](1);
        recs[0] = _records(res, _a());
        m.finalize(jobId, recs);
        uint256 sum = m.creditOf(treasury);
        for (uint256 i; i < 3; ++i) {
            sum += m.creditOf(pipeA[i].operator);
        }
        assertEq(sum, req.fee);
        assertLe(m.creditOf(treasury) - uint256(req.fee) * m.protocolFeeBps() / 10_000, 3); // dust < one unit per stage
    }

    function test_finalize_disagreeingReplicasUndisputed_paysBoth_succeeds() public {
        // Optimistic: a discrepancy nobody disputed within the window does not block payment.
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("different", TOKENS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectEmit(address(market));
        emit JobFinalized(jobId, 3, 2 * (2 * (NET * 2 / 10) + NET / 10), FEE - 2 * (2 * (NET * 2 / 10) + NET / 10));
        market.finalize(jobId, recs);
        assertEq(market.creditOf(client), 0);
        assertEq(market.creditOf(pipeB[0].operator), NET * 2 / 10);
    }

    function test_finalize_claimedTokenCountsDiffer_payByLayers_succeeds() public {
        // Token counts are unsigned claims: whoever submits cannot shift pay between replicas with them.
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", 1);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        market.finalize(jobId, recs);
        for (uint256 i; i < 3; ++i) {
            assertEq(market.creditOf(pipeA[i].operator), market.creditOf(pipeB[i].operator));
        }
    }

    function test_finalize_oneReplicaProvenWrong_paysOther_succeeds() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("different", TOKENS);
        game.freezeJob(jobId);
        game.markReplicaWrong(jobId, 1);
        game.unfreezeJob(jobId);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        recs[1] = new IJobMarket.StageRecord[](0); // a wrong replica's stages are not needed
        vm.expectEmit(address(market));
        emit JobFinalized(jobId, 1, NET, FEE - NET);
        market.finalize(jobId, recs);
        assertEq(market.creditOf(pipeA[0].operator), NET * 2 / 5);
        assertEq(market.creditOf(pipeB[0].operator), 0);
    }

    function test_finalize_allReplicasWrong_refundsClient_succeeds() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        game.markReplicaWrong(jobId, 0);
        game.markReplicaWrong(jobId, 1);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectEmit(address(market));
        emit JobRefunded(jobId, client, FEE, IJobMarket.RefundReason.AllReplicasWrong);
        market.finalize(jobId, recs);
    }

    function test_finalize_frozen_reverts() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        game.freezeJob(jobId);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + MAX_DISPUTE_DURATION);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_JobFrozen.selector, jobId, 1));
        market.finalize(jobId, recs);
    }

    function test_finalize_notSubmitted_reverts() public {
        bytes32 jobId = _createJob(client, _request(1));
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotSubmitted.selector, jobId, IJobMarket.JobStatus.Open)
        );
        market.finalize(jobId, new IJobMarket.StageRecord[][](1));
    }

    function test_finalize_twice_reverts() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        market.finalize(jobId, recs);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotSubmitted.selector, jobId, IJobMarket.JobStatus.Finalized)
        );
        market.finalize(jobId, recs);
    }

    function test_finalize_wrongNumberOfStageLists_reverts() public {
        (bytes32 jobId,) = _submittedJob2("same", TOKENS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_StageListCountMismatch.selector, jobId, 1, 2));
        market.finalize(jobId, new IJobMarket.StageRecord[][](1));
    }

    function test_finalize_tamperedStages_reverts() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        recs[1][0].node = pipeA[0].node; // redirect pay
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_StagesMismatch.selector, jobId, 1));
        market.finalize(jobId, recs);
        recs[1][0].node = pipeB[0].node;
        recs[0][0].lastLayer = 3; // claim more layers
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_StagesMismatch.selector, jobId, 0));
        market.finalize(jobId, recs);
    }

    function _replicaFor(JobMarket _m, bytes32 _jobId, uint32 _tokens)
        internal
        returns (IJobMarket.ReplicaResult memory res_)
    {
        JobMarket saved = market;
        market = _m; // _replica signs against `market`'s domain
        res_ = _replica(_jobId, 0, _a(), "fuzz", _tokens);
        market = saved;
    }
}

contract JobMarket_RefundExpired_Test is JobMarket_Init {
    bytes32 internal jobId;
    uint64 internal deadline;

    function setUp() public override {
        super.setUp();
        jobId = _createJob(client, _request(1));
        deadline = _job(jobId).deadline;
    }

    function test_refundExpired_atDeadline_reverts() public {
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_DeadlineNotPassed.selector, jobId, deadline));
        market.refundExpired(jobId);
    }

    function test_refundExpired_oneSecondAfterDeadline_succeeds() public {
        vm.warp(uint256(deadline) + 1);
        vm.expectEmit(address(market));
        emit JobRefunded(jobId, client, FEE, IJobMarket.RefundReason.Expired);
        vm.prank(makeAddr("anyone"));
        market.refundExpired(jobId);
        assertEq(market.creditOf(client), FEE);
        assertEq(uint8(_job(jobId).status), uint8(IJobMarket.JobStatus.Refunded));
        market.claimCredit(client);
        assertEq(token.balanceOf(client), FEE);
    }

    function test_refundExpired_submittedJob_reverts() public {
        market.submitResult(jobId, _single(_replica(jobId, 0, _a(), "same", TOKENS)));
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotOpen.selector, jobId, IJobMarket.JobStatus.Submitted)
        );
        market.refundExpired(jobId);
    }

    function test_refundExpired_unknownJob_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotOpen.selector, bytes32(0), IJobMarket.JobStatus.None)
        );
        market.refundExpired(bytes32(0));
    }
}

contract JobMarket_ClaimCredit_Test is JobMarket_Init {
    function test_claimCredit_afterFinalize_succeeds() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        market.finalize(jobId, recs);
        address op = pipeA[0].operator;
        uint256 credit = market.creditOf(op);
        vm.expectEmit(address(market));
        emit CreditClaimed(op, credit);
        vm.prank(makeAddr("keeper")); // anyone can trigger; only the recipient receives
        assertEq(market.claimCredit(op), credit);
        assertEq(token.balanceOf(op), credit);
        assertEq(market.creditOf(op), 0);
        assertEq(token.balanceOf(makeAddr("keeper")), 0);
    }

    function test_claimCredit_none_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NoCredit.selector, client));
        market.claimCredit(client);
    }
}

contract JobMarket_DisputeHooks_Test is JobMarket_Init {
    bytes32 internal jobId;
    bytes internal encodedRecs;

    function setUp() public override {
        super.setUp();
        IJobMarket.StageRecord[][] memory recs;
        (jobId, recs) = _submittedJob2("different", TOKENS);
        encodedRecs = abi.encode(recs);
    }

    function _recs() internal view returns (IJobMarket.StageRecord[][] memory recs_) {
        recs_ = abi.decode(encodedRecs, (IJobMarket.StageRecord[][]));
    }

    function testFuzz_hooks_byOther_reverts(address _caller) public {
        vm.assume(_caller != address(game));
        IJobMarket.StageRecord[] memory stages = _recs()[0];
        vm.startPrank(_caller);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, _caller));
        market.freezeJob(jobId);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, _caller));
        market.unfreezeJob(jobId);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, _caller));
        market.markReplicaWrong(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, _caller));
        market.refundClient(jobId);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, _caller));
        market.payHonestReplica(jobId, 0, stages);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_NotDisputeGame.selector, _caller));
        market.payFromSlash(jobId, 1, stages, 0);
        vm.stopPrank();
    }

    function test_freezeJob_insideWindow_succeeds() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW - 1);
        vm.expectEmit(address(market));
        emit JobFrozen(jobId, 1);
        game.freezeJob(jobId);
        game.freezeJob(jobId);
        assertEq(_job(jobId).freezeCount, 2);
        vm.expectEmit(address(market));
        emit JobUnfrozen(jobId, 1);
        game.unfreezeJob(jobId);
        assertEq(_job(jobId).freezeCount, 1);
    }

    function test_freezeJob_atWindowEnd_reverts() public {
        uint256 endsAt = block.timestamp + CHALLENGE_WINDOW;
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ChallengeWindowClosed.selector, jobId, endsAt));
        game.freezeJob(jobId);
    }

    function test_freezeJob_notSubmitted_reverts() public {
        bytes32 open = _createJob(client, _request(1));
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotSubmitted.selector, open, IJobMarket.JobStatus.Open)
        );
        game.freezeJob(open);
    }

    function test_unfreezeJob_notFrozen_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_JobNotFrozen.selector, jobId));
        game.unfreezeJob(jobId);
    }

    function test_markReplicaWrong_succeeds() public {
        vm.expectEmit(address(market));
        emit ReplicaProvenWrong(jobId, 1);
        game.markReplicaWrong(jobId, 1);
        assertEq(_job(jobId).wrongMask, 2);
        assertTrue(market.getReplica(jobId, 1).provenWrong);
        assertFalse(market.getReplica(jobId, 0).provenWrong);
    }

    function test_markReplicaWrong_twice_reverts() public {
        game.markReplicaWrong(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ReplicaAlreadyWrong.selector, jobId, 0));
        game.markReplicaWrong(jobId, 0);
    }

    function test_markReplicaWrong_invalidReplica_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidReplica.selector, jobId, 2));
        game.markReplicaWrong(jobId, 2);
    }

    function test_markReplicaWrong_openJob_reverts() public {
        bytes32 open = _createJob(client, _request(1));
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotSubmitted.selector, open, IJobMarket.JobStatus.Open)
        );
        game.markReplicaWrong(open, 0);
    }

    function test_markReplicaWrong_afterSettlement_recordsOnly_succeeds() public {
        game.refundClient(jobId);
        game.markReplicaWrong(jobId, 0);
        assertEq(uint8(_job(jobId).status), uint8(IJobMarket.JobStatus.Refunded));
        assertEq(market.creditOf(client), FEE);
    }

    function test_refundClient_whileFrozenInsideWindow_succeeds() public {
        game.freezeJob(jobId);
        vm.expectEmit(address(market));
        emit JobRefunded(jobId, client, FEE, IJobMarket.RefundReason.Dispute);
        game.refundClient(jobId);
        assertEq(market.creditOf(client), FEE);
        assertEq(uint8(_job(jobId).status), uint8(IJobMarket.JobStatus.Refunded));
        game.unfreezeJob(jobId); // a dispute can still close after settlement
    }

    function test_refundClient_notSubmitted_reverts() public {
        game.refundClient(jobId);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotSubmitted.selector, jobId, IJobMarket.JobStatus.Refunded)
        );
        game.refundClient(jobId);
    }

    function test_payHonestReplica_afterWindow_succeeds() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectEmit(address(market));
        emit JobFinalized(jobId, 2, NET, FEE - NET);
        game.payHonestReplica(jobId, 1, _recs()[1]);
        assertEq(market.creditOf(pipeB[0].operator), NET * 2 / 5);
        assertEq(market.creditOf(pipeA[0].operator), 0);
        assertEq(uint8(_job(jobId).status), uint8(IJobMarket.JobStatus.Finalized));
    }

    function test_payHonestReplica_insideWindow_reverts() public {
        uint256 endsAt = block.timestamp + CHALLENGE_WINDOW;
        vm.warp(endsAt - 1);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ChallengeWindowOpen.selector, jobId, endsAt));
        game.payHonestReplica(jobId, 1, stages);
    }

    function test_payHonestReplica_frozen_reverts() public {
        game.freezeJob(jobId);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_JobFrozen.selector, jobId, 1));
        game.payHonestReplica(jobId, 1, stages);
    }

    function test_payHonestReplica_replicaProvenWrong_reverts() public {
        game.markReplicaWrong(jobId, 1);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ReplicaAlreadyWrong.selector, jobId, 1));
        game.payHonestReplica(jobId, 1, stages);
    }

    function test_payHonestReplica_invalidReplica_reverts() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidReplica.selector, jobId, 2));
        game.payHonestReplica(jobId, 2, stages);
    }

    function test_payHonestReplica_stagesOfOtherReplica_reverts() public {
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.StageRecord[] memory stages = _recs()[0];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_StagesMismatch.selector, jobId, 1));
        game.payHonestReplica(jobId, 1, stages);
    }

    function test_payHonestReplica_notSubmitted_reverts() public {
        game.refundClient(jobId);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotSubmitted.selector, jobId, IJobMarket.JobStatus.Refunded)
        );
        game.payHonestReplica(jobId, 1, stages);
    }

    /// @dev The state after replica 0 was proven wrong and the client refunded; the game holds `_budget` of slash.
    function _refundedWithSlash(uint256 _budget) internal {
        game.markReplicaWrong(jobId, 0);
        game.refundClient(jobId);
        _mint(address(game), _budget);
    }

    function test_payFromSlash_refundedJob_paysReplicaOneAsSoleHonest_succeeds() public {
        _refundedWithSlash(10 * FEE);
        // Spans [0,1], [2,3], [4,4] of 5 layers, the only replica paid: 2/5, 2/5, 1/5 of the net fee.
        vm.expectEmit(address(market));
        emit StagePaid(jobId, pipeB[0].node, pipeB[0].operator, 1, 0, NET * 2 / 5);
        vm.expectEmit(address(market));
        emit StagePaid(jobId, pipeB[1].node, pipeB[1].operator, 1, 1, NET * 2 / 5);
        vm.expectEmit(address(market));
        emit StagePaid(jobId, pipeB[2].node, pipeB[2].operator, 1, 2, NET / 5);
        uint256 expected = 2 * (NET * 2 / 5) + NET / 5;
        vm.expectEmit(address(market));
        emit ReplicaCompensated(jobId, 1, expected);
        uint256 paid = game.payFromSlash(jobId, 1, _recs()[1], 10 * FEE);
        assertEq(paid, expected);
        assertEq(market.creditOf(client), FEE); // the refund stands
        assertEq(market.creditOf(pipeB[2].operator), NET / 5);
        for (uint256 i; i < pipeA.length; ++i) {
            assertEq(market.creditOf(pipeA[i].operator), 0);
        }
        assertEq(token.balanceOf(address(market)), FEE + expected); // every credit is backed
        assertEq(token.balanceOf(address(game)), 10 * FEE - expected);
        assertEq(token.allowance(address(game), address(market)), 0);
        assertEq(uint8(_job(jobId).status), uint8(IJobMarket.JobStatus.Refunded));
    }

    function testFuzz_payFromSlash_budgetCapsInStageOrder_succeeds(uint256 _budget) public {
        uint256 budget = bound(_budget, 0, NET);
        _refundedWithSlash(budget);
        uint256 paid = game.payFromSlash(jobId, 1, _recs()[1], budget);
        uint256[3] memory full = [NET * 2 / 5, NET * 2 / 5, NET / 5];
        uint256 left = budget;
        uint256 sum;
        for (uint256 i; i < 3; ++i) {
            uint256 share = full[i] < left ? full[i] : left;
            assertEq(market.creditOf(pipeB[i].operator), share);
            left -= share;
            sum += share;
        }
        assertEq(paid, sum);
        assertEq(token.balanceOf(address(market)), FEE + paid);
    }

    function test_payFromSlash_twice_reverts() public {
        _refundedWithSlash(2 * FEE);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        game.payFromSlash(jobId, 1, stages, FEE);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_AlreadyCompensated.selector, jobId));
        game.payFromSlash(jobId, 1, stages, FEE);
    }

    function test_payFromSlash_notRefunded_reverts() public {
        _mint(address(game), FEE);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarket_JobNotRefunded.selector, jobId, IJobMarket.JobStatus.Submitted)
        );
        game.payFromSlash(jobId, 1, stages, FEE);
    }

    function test_payFromSlash_replicaProvenWrong_reverts() public {
        game.markReplicaWrong(jobId, 1);
        _refundedWithSlash(FEE);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_ReplicaAlreadyWrong.selector, jobId, 1));
        game.payFromSlash(jobId, 1, stages, FEE);
    }

    function test_payFromSlash_stagesOfOtherReplica_reverts() public {
        _refundedWithSlash(FEE);
        IJobMarket.StageRecord[] memory stages = _recs()[0];
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_StagesMismatch.selector, jobId, 1));
        game.payFromSlash(jobId, 1, stages, FEE);
    }

    function test_payFromSlash_budgetNotApproved_reverts() public {
        _refundedWithSlash(FEE);
        IJobMarket.StageRecord[] memory stages = _recs()[1];
        // The market pulls what it credits: without an allowance nothing is credited.
        uint256 owed = 2 * (NET * 2 / 5) + NET / 5;
        vm.prank(address(game));
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(market), 0, owed)
        );
        market.payFromSlash(jobId, 1, stages, FEE);
        assertEq(market.creditOf(pipeB[0].operator), 0);
    }
}

contract JobMarket_StageForLayer_Test is JobMarket_Init {
    function test_stageForLayer_everyLayer_succeeds() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("different", TOKENS);
        uint8[5] memory expected = [0, 0, 1, 1, 2];
        for (uint8 r; r < 2; ++r) {
            for (uint16 layer; layer < LAYERS; ++layer) {
                (uint8 index, IJobMarket.StageRecord memory stage) = market.stageForLayer(jobId, r, recs[r], layer);
                assertEq(index, expected[layer]);
                assertEq(stage.node, (r == 0 ? pipeA : pipeB)[index].node);
                assertEq(stage.traceRoot, recs[r][index].traceRoot);
                assertLe(stage.firstLayer, layer);
                assertGe(stage.lastLayer, layer);
            }
        }
    }

    function test_stageForLayer_layerOutOfRange_reverts() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("same", TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_LayerOutOfRange.selector, LAYERS, LAYERS));
        market.stageForLayer(jobId, 0, recs[0], LAYERS);
    }

    function test_stageForLayer_wrongStages_reverts() public {
        (bytes32 jobId, IJobMarket.StageRecord[][] memory recs) = _submittedJob2("different", TOKENS);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_StagesMismatch.selector, jobId, 0));
        market.stageForLayer(jobId, 0, recs[1], 0);
    }

    function test_stageForLayer_noResult_reverts() public {
        bytes32 jobId = _createJob(client, _request(2));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidReplica.selector, jobId, 0));
        market.stageForLayer(jobId, 0, new IJobMarket.StageRecord[](0), 0);
        (bytes32 single, IJobMarket.StageRecord[][] memory recs) = _submittedJob1();
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidReplica.selector, single, 1));
        market.stageForLayer(single, 1, recs[0], 0);
    }
}

contract JobMarket_Eip712_Test is JobMarket_Init {
    /// @dev The digest the C# side must produce: domain {"DePinLedger", "1", chainId, JobMarket}, struct as below.
    function testFuzz_stageReceiptDigest_matchesSpec_succeeds(IJobMarket.StageReceipt memory _receipt) public view {
        bytes32 typeHash = keccak256(
            "StageReceipt(bytes32 jobId,uint8 replica,uint8 stage,uint16 firstLayer,uint16 lastLayer,bytes32 inputRoot,bytes32 traceRoot,bytes32 outputRoot)"
        );
        assertEq(market.STAGE_RECEIPT_TYPEHASH(), typeHash);
        bytes32 domain = _domainSeparator();
        bytes32 structHash = keccak256(
            abi.encode(
                typeHash,
                _receipt.jobId,
                _receipt.replica,
                _receipt.stage,
                _receipt.firstLayer,
                _receipt.lastLayer,
                _receipt.inputRoot,
                _receipt.traceRoot,
                _receipt.outputRoot
            )
        );
        assertEq(market.stageReceiptDigest(_receipt), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = market.eip712Domain();
        assertEq(name, "DePinLedger");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(market));
    }

    /// @dev The digest a client signs for createJobFor: every JobRequest field, in order, same domain.
    function testFuzz_jobVoucherDigest_matchesSpec_succeeds(IJobMarket.JobRequest memory _req) public view {
        bytes32 typeHash = keccak256(
            "JobVoucher(bytes32 modelId,bytes32 promptHash,uint32 maxTokens,uint32 temperature,uint32 topP,uint64 seed,uint8 replicas,uint96 fee,uint64 deadline,bytes32 salt)"
        );
        assertEq(market.JOB_VOUCHER_TYPEHASH(), typeHash);
        bytes32 structHash = keccak256(
            abi.encode(
                typeHash,
                _req.modelId,
                _req.promptHash,
                _req.maxTokens,
                _req.temperature,
                _req.topP,
                _req.seed,
                _req.replicas,
                _req.fee,
                _req.deadline,
                _req.salt
            )
        );
        assertEq(market.jobVoucherDigest(_req), keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash)));
    }

    function _domainSeparator() internal view returns (bytes32 domain_) {
        domain_ = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("DePinLedger"),
                keccak256("1"),
                block.chainid,
                address(market)
            )
        );
    }
}
