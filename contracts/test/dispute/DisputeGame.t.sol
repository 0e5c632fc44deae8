// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DePinToken} from "../../src/DePinToken.sol";
import {JobMarket} from "../../src/JobMarket.sol";
import {DisputeGame} from "../../src/DisputeGame.sol";
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {IDisputeGame} from "../../src/dispute/interfaces/IDisputeGame.sol";
import {Phase, Side} from "../../src/dispute/lib/Types.sol";
import "../../src/dispute/lib/Errors.sol" as E;
import {DisputeGameFixture} from "./utils/DisputeGameFixture.sol";
import {TraceLib} from "./utils/TraceLib.sol";

contract DisputeGame_Init is DisputeGameFixture {
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

    function setUp() public virtual override {
        super.setUp();
        assertEq(stakes.disputeGame(), address(dg));
        assertEq(address(dg.jobMarket()), address(market));
        assertEq(address(dg.stakeManager()), address(stakes));
        assertEq(address(dg.modelRegistry()), address(registry));
        assertEq(address(dg.token()), address(token));
        assertEq(dg.challengerBond(), BOND);
        assertEq(dg.slashAmount(), SLASH);
        assertEq(dg.clockDuration(), CLOCK);
        assertEq(dg.clockExtension(), EXTENSION);
        assertEq(dg.maxDuration(), 2 * uint256(CLOCK) + 2 * dg.MAX_ROUNDS() * uint256(EXTENSION));
        assertLe(dg.maxDuration(), stakes.maxDisputeDuration());
        assertEq(address(prover.game()), address(dg));
        assertEq(dg.disputeCount(), 0);
    }

    /// @dev A job with an honest replica 0 and a replica 1 whose block slot 3 is wrong at position 5.
    function _conflict() internal returns (Job memory job_, TraceLib.Trace memory good_, TraceLib.Trace memory bad_) {
        uint32[] memory prompt = _prompt();
        IJobMarket.JobRequest memory req = _jobRequest(2, prompt, bytes32(0));
        TraceLib.Params memory p = _paramsFor(req, prompt, 6);
        good_ = _honest(p, _spansA());
        bad_ = _faulty(p, _spansB(), TraceLib.FaultKind.Hidden, 5, 3);
        job_ = _job(good_, bad_, 2, prompt);
        job_.params = p;
    }
}

contract DisputeGame_Constructor_Test is DisputeGame_Init {
    function test_constructor_zeroMarket_reverts() public {
        vm.expectRevert(E.DisputeGame_ZeroAddress.selector);
        new DisputeGame(JobMarket(address(0)), BOND, SLASH, CLOCK, EXTENSION);
    }

    function test_constructor_zeroBondOrSlash_reverts() public {
        vm.expectRevert(E.DisputeGame_ZeroAmount.selector);
        new DisputeGame(market, 0, SLASH, CLOCK, EXTENSION);
        vm.expectRevert(E.DisputeGame_ZeroAmount.selector);
        new DisputeGame(market, BOND, 0, CLOCK, EXTENSION);
    }

    function test_constructor_badExtension_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidClock.selector, CLOCK, uint64(0)));
        new DisputeGame(market, BOND, SLASH, CLOCK, 0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidClock.selector, uint64(10), uint64(11)));
        new DisputeGame(market, BOND, SLASH, 10, 11);
    }

    function test_constructor_tooLongForStakeManager_reverts() public {
        // 2 x 3 days + 66 x 1 hour > 7 days.
        uint256 longest = 2 * uint256(3 days) + 2 * 33 * uint256(1 hours);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_DurationTooLong.selector, longest, MAX_DISPUTE_DURATION));
        new DisputeGame(market, BOND, SLASH, 3 days, 1 hours);
    }

    function testFuzz_constructor_boundedDuration_succeeds(uint64 _clock, uint64 _extension) public {
        _extension = uint64(bound(_extension, 1, 2 hours));
        uint256 budget = MAX_DISPUTE_DURATION - 2 * 33 * uint256(_extension);
        _clock = uint64(bound(_clock, _extension, budget / 2));
        DisputeGame other = new DisputeGame(market, BOND, SLASH, _clock, _extension);
        assertLe(other.maxDuration(), MAX_DISPUTE_DURATION);
    }

    function test_constructor_tokenMismatch_reverts() public {
        DePinToken otherToken = new DePinToken("Other", "OTH");
        JobMarket otherMarket =
            new JobMarket(otherToken, registry, stakes, treasury, PROTOCOL_FEE_BPS, MAX_JOB_DURATION);
        vm.expectRevert(
            abi.encodeWithSelector(E.DisputeGame_TokenMismatch.selector, address(token), address(otherToken))
        );
        new DisputeGame(otherMarket, BOND, SLASH, CLOCK, EXTENSION);
    }
}

contract DisputeGame_Open_Test is DisputeGame_Init {
    function test_open_conflictingReplica_succeeds() public {
        (Job memory job,,) = _conflict();
        uint256 balance = token.balanceOf(challenger);
        vm.expectEmit(address(dg));
        emit DisputeOpened(
            1,
            job.id,
            challenger,
            1,
            0,
            keccak256(abi.encode(job.records1)),
            keccak256(abi.encode(job.records0)),
            new IJobMarket.StageRecord[](0),
            BOND
        );
        uint256 id = _open(job.id, 1, 0, job.records1, job.records0);
        assertEq(id, 1);
        assertEq(dg.disputeCount(), 1);
        assertEq(dg.openDisputeOf(job.id, 1), 1);
        assertEq(token.balanceOf(challenger), balance - BOND);
        assertEq(token.balanceOf(address(dg)), BOND);
        IDisputeGame.DisputeInfo memory info = _info(id);
        assertEq(info.jobId, job.id);
        assertEq(info.challenger, challenger);
        assertEq(info.openedAt, block.timestamp);
        assertEq(info.layerCount, LAYERS);
        assertEq(uint8(info.phase), uint8(Phase.Bisect));
        assertEq(uint8(info.onTurn), uint8(Side.Challenger));
        assertEq(info.deadline, block.timestamp + CLOCK);
        assertEq(info.defenderStageCount, 3);
        // The job and every node of both replicas are frozen.
        assertEq(market.getJob(job.id).freezeCount, 1);
        for (uint256 i; i < 2; ++i) {
            assertEq(stakes.freezeCountOf(pipeA[i].node), 1);
        }
        for (uint256 i; i < 3; ++i) {
            assertEq(stakes.freezeCountOf(pipeB[i].node), 1);
        }
    }

    function test_open_ownCommitment_succeeds() public {
        uint32[] memory prompt = _prompt();
        IJobMarket.JobRequest memory req = _jobRequest(1, prompt, bytes32(0));
        TraceLib.Params memory p = _paramsFor(req, prompt, 4);
        TraceLib.Trace memory bad = _faulty(p, _spansA(), TraceLib.FaultKind.Token, 3, LAYERS + 1);
        Job memory job = _job(bad, bad, 1, prompt);
        TraceLib.Trace memory mine = _honest(p, _spansOwn());
        IJobMarket.StageRecord[] memory own = TraceLib.ownRecords(mine);
        vm.expectEmit(address(dg));
        emit DisputeOpened(
            1, job.id, challenger, 0, OWN, keccak256(abi.encode(job.records0)), keccak256(abi.encode(own)), own, BOND
        );
        uint256 id = _open(job.id, 0, OWN, job.records0, own);
        assertEq(_info(id).conflictingReplica, OWN);
        // Only the disputed replica's nodes are frozen.
        assertEq(stakes.freezeCountOf(pipeA[0].node), 1);
        assertEq(stakes.freezeCountOf(pipeB[0].node), 0);
    }

    function test_open_doubleOpen_reverts() public {
        (Job memory job,,) = _conflict();
        _open(job.id, 1, 0, job.records1, job.records0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_DisputeAlreadyOpen.selector, job.id, uint8(1), 1));
        _open(job.id, 1, 0, job.records1, job.records0);
        // The other replica can still be disputed (a different dispute).
        uint256 second = _open(job.id, 0, 1, job.records0, job.records1);
        assertEq(second, 2);
    }

    function test_open_windowBoundary_succeedsThenReverts() public {
        (Job memory job,,) = _conflict();
        uint256 endsAt = market.challengeDeadline(job.id);
        vm.warp(endsAt - 1);
        _open(job.id, 1, 0, job.records1, job.records0);
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ChallengeWindowClosed.selector, job.id, endsAt));
        _open(job.id, 0, 1, job.records0, job.records1);
    }

    function test_open_notSubmitted_reverts() public {
        bytes32 jobId = _createJob(client, _jobRequest(2, _prompt(), bytes32("open")));
        vm.expectRevert(
            abi.encodeWithSelector(E.DisputeGame_JobNotDisputable.selector, jobId, IJobMarket.JobStatus.Open)
        );
        _open(jobId, 0, 1, new IJobMarket.StageRecord[](0), new IJobMarket.StageRecord[](0));
    }

    function test_open_invalidReplicas_reverts() public {
        (Job memory job,,) = _conflict();
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidReplica.selector, job.id, uint8(2)));
        _open(job.id, 2, 0, job.records1, job.records0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidConflictingReplica.selector, job.id, uint8(1)));
        _open(job.id, 1, 1, job.records1, job.records1);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidConflictingReplica.selector, job.id, uint8(2)));
        _open(job.id, 1, 2, job.records1, job.records0);
    }

    function test_open_stagesMismatch_reverts() public {
        (Job memory job,,) = _conflict();
        bytes32 stored = keccak256(abi.encode(job.records1));
        bytes32 given = keccak256(abi.encode(job.records0));
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_StagesMismatch.selector, Side.Defender, stored, given));
        _open(job.id, 1, 0, job.records0, job.records0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_StagesMismatch.selector, Side.Challenger, given, stored));
        _open(job.id, 1, 0, job.records1, job.records1);
    }

    function test_open_invalidOwnLayout_reverts() public {
        (Job memory job,,) = _conflict();
        IJobMarket.StageRecord[] memory own = new IJobMarket.StageRecord[](2);
        own[0].lastLayer = 1;
        own[1].firstLayer = 3; // gap: layer 2
        own[1].lastLayer = LAYERS - 1;
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidLayout.selector, 1, 2, uint16(3), LAYERS - 1));
        _open(job.id, 1, OWN, job.records1, own);
        own[1].firstLayer = 2;
        own[1].lastLayer = LAYERS - 2; // short of the last layer
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidLayout.selector, 2, LAYERS, uint16(2), LAYERS - 2));
        _open(job.id, 1, OWN, job.records1, own);
        own[1].lastLayer = LAYERS - 1;
        own[0].node = challenger; // an own commitment names no node
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidLayout.selector, 0, 0, uint16(0), uint16(1)));
        _open(job.id, 1, OWN, job.records1, own);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_InvalidStageCount.selector, 0));
        _open(job.id, 1, OWN, job.records1, new IJobMarket.StageRecord[](0));
    }

    function test_open_withoutAllowance_reverts() public {
        (Job memory job,,) = _conflict();
        vm.prank(challenger);
        token.approve(address(dg), BOND - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(dg), BOND - 1, BOND)
        );
        _open(job.id, 1, 0, job.records1, job.records0);
    }

    function test_open_replicaAlreadyWrong_reverts() public {
        (Job memory job, TraceLib.Trace memory good, TraceLib.Trace memory bad) = _conflict();
        uint256 id = _open(job.id, 1, 0, job.records1, job.records0);
        _narrow(id, bad, job.records1, good, job.records0, 5, 3);
        _step(id, bad, good, job.params, job.request);
        _resolve(id, job.records1, job.records0);
        assertEq(dg.openDisputeOf(job.id, 1), 0);
        vm.expectRevert(abi.encodeWithSelector(E.DisputeGame_ReplicaAlreadyWrong.selector, job.id, uint8(1)));
        _open(job.id, 1, 0, job.records1, job.records0);
    }
}
// forge-lint: disable-end(unsafe-typecast)
