// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Handlers steer time on purpose; timestamps here are the test's clock, not a validator's.
// forge-lint: disable-start(block-timestamp)
// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {DePinFixture} from "../../utils/DePinFixture.sol";
import {DePinToken} from "../../../src/DePinToken.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {JobMarket} from "../../../src/JobMarket.sol";
import {IJobMarket} from "../../../src/interfaces/IJobMarket.sol";
import {MockDisputeGame} from "../../mocks/MockDisputeGame.sol";

/// @notice Honest clients, honest pipelines (two disjoint ones), keepers calling finalize/refund/claim at random
///         times, and an honest dispute game using every JobMarket hook only when its rules allow. Records in
///         ghost flags any payment that happened before the challenge window closed or while a dispute was open,
///         and any pay to a replica proven wrong.
contract JobMarketHandler is DePinFixture {
    NodeKey[] internal pipeOne;
    NodeKey[] internal pipeTwo;
    address[] internal clients;
    address internal voucherClient;
    uint256 internal voucherKey;
    address[] internal accounts;
    bytes32[] internal jobs;
    mapping(bytes32 jobId => bytes records) internal encodedRecords;

    uint256 public ghostDeposited;
    uint256 public ghostClaimed;
    bool public ghostPaidEarly;
    bool public ghostPaidWhileFrozen;
    bool public ghostPaidWrongReplica;
    bool public ghostCreditMismatch;
    mapping(bytes32 action => uint256 count) public calls;

    constructor(
        DePinToken _token,
        StakeManager _stakes,
        JobMarket _market,
        MockDisputeGame _game,
        NodeKey[] memory _one,
        NodeKey[] memory _two
    ) {
        token = _token;
        stakes = _stakes;
        market = _market;
        game = _game;
        for (uint256 i; i < _one.length; ++i) {
            pipeOne.push(_one[i]);
            pipeTwo.push(_two[i]);
            accounts.push(_one[i].operator);
            accounts.push(_two[i].operator);
        }
        for (uint256 i; i < 3; ++i) {
            address c = makeAddr(string.concat("inv-client", vm.toString(i)));
            clients.push(c);
            accounts.push(c);
        }
        (voucherClient, voucherKey) = makeAddrAndKey("inv-voucher-client");
        accounts.push(voucherClient);
        accounts.push(treasury);
    }

    function jobCount() external view returns (uint256 count_) {
        count_ = jobs.length;
    }

    function jobAt(uint256 _i) external view returns (bytes32 jobId_) {
        jobId_ = jobs[_i];
    }

    function accountCount() external view returns (uint256 count_) {
        count_ = accounts.length;
    }

    function accountAt(uint256 _i) external view returns (address account_) {
        account_ = accounts[_i];
    }

    // ------------------------------------------------------------------ clients and pipelines

    function createJob(uint256 _client, uint96 _fee, bool _verified, uint256 _ahead) external {
        IJobMarket.JobRequest memory req = _request(_verified ? 2 : 1);
        req.fee = uint96(bound(_fee, 1, 1_000_000e18));
        req.deadline = uint64(block.timestamp + bound(_ahead, 1, market.maxJobDuration()));
        req.salt = bytes32(jobs.length);
        bytes32 jobId = _createJob(clients[_client % clients.length], req);
        jobs.push(jobId);
        ghostDeposited += req.fee;
        ++calls["createJob"];
    }

    /// @dev A client that signs a voucher; the handler redeems it (as the gateway does) and the client pays.
    function createJobFor(uint96 _fee, bool _verified, uint256 _ahead) external {
        IJobMarket.JobRequest memory req = _request(_verified ? 2 : 1);
        req.fee = uint96(bound(_fee, 1, 1_000_000e18));
        req.deadline = uint64(block.timestamp + bound(_ahead, 1, market.maxJobDuration()));
        req.salt = bytes32(jobs.length);
        _mint(voucherClient, req.fee);
        vm.prank(voucherClient);
        token.approve(address(market), req.fee);
        bytes32 jobId = market.createJobFor(voucherClient, req, _signDigest(voucherKey, market.jobVoucherDigest(req)));
        jobs.push(jobId);
        ghostDeposited += req.fee;
        ++calls["createJobFor"];
    }

    function submitResult(uint256 _job, bool _agree, uint32 _tokens) external {
        (bytes32 jobId, bool found) = _pickJob(_job, IJobMarket.JobStatus.Open);
        if (!found) return;
        IJobMarket.JobInfo memory job = market.getJob(jobId);
        if (block.timestamp > job.deadline) return; // honest pipelines do not submit late
        uint32 tokens = uint32(bound(_tokens, 1, job.maxTokens));
        IJobMarket.ReplicaResult[] memory res = new IJobMarket.ReplicaResult[](job.replicas);
        IJobMarket.StageRecord[][] memory recs = new IJobMarket.StageRecord[][](job.replicas);
        NodeKey[] memory one = pipeOne;
        NodeKey[] memory two = pipeTwo;
        res[0] = _replica(jobId, 0, one, "honest", tokens);
        recs[0] = _records(res[0], one);
        if (job.replicas == 2) {
            res[1] = _replica(jobId, 1, two, _agree ? bytes32("honest") : bytes32("faulty"), tokens);
            recs[1] = _records(res[1], two);
        }
        market.submitResult(jobId, res);
        encodedRecords[jobId] = abi.encode(recs);
        ++calls["submitResult"];
    }

    // ------------------------------------------------------------------ keepers

    function finalize(uint256 _job, uint256 _wait) external {
        vm.warp(block.timestamp + bound(_wait, 0, market.challengeWindow())); // keepers come by now and then
        (bytes32 jobId, bool found) = _pickJob(_job, IJobMarket.JobStatus.Submitted);
        if (!found) return;
        IJobMarket.JobInfo memory before = market.getJob(jobId);
        uint256[] memory creditsBefore = _credits();
        try market.finalize(jobId, _recs(jobId)) {
            _checkSettlement(jobId, before, creditsBefore);
            ++calls["finalize"];
        } catch {
            ++calls["finalize-reverted"];
        }
    }

    function refundExpired(uint256 _job) external {
        (bytes32 jobId, bool found) = _pickJob(_job, IJobMarket.JobStatus.Open);
        if (!found) return;
        IJobMarket.JobInfo memory job = market.getJob(jobId);
        uint256 creditBefore = market.creditOf(job.client);
        try market.refundExpired(jobId) {
            if (block.timestamp <= job.deadline) ghostPaidEarly = true;
            if (market.creditOf(job.client) != creditBefore + job.fee) ghostCreditMismatch = true;
            ++calls["refundExpired"];
        } catch {
            ++calls["refundExpired-reverted"];
        }
    }

    function claimCredit(uint256 _account) external {
        // The first account from the seed on that has credit (recipients claim what they are owed).
        uint256 n = accounts.length;
        address account;
        uint256 credit;
        for (uint256 k; k < n && credit == 0; ++k) {
            account = accounts[(_account % n + k) % n];
            credit = market.creditOf(account);
        }
        if (credit == 0) return;
        uint256 balanceBefore = token.balanceOf(account);
        market.claimCredit(account);
        if (token.balanceOf(account) != balanceBefore + credit) ghostCreditMismatch = true;
        ghostClaimed += credit;
        ++calls["claimCredit"];
    }

    function warp(uint256 _seconds) external {
        vm.warp(block.timestamp + bound(_seconds, 1, 2 days));
        ++calls["warp"];
    }

    // ------------------------------------------------------------------ honest dispute game

    function openDispute(uint256 _job) external {
        (bytes32 jobId, bool found) = _pickJob(_job, IJobMarket.JobStatus.Submitted);
        if (!found || block.timestamp >= market.challengeDeadline(jobId)) return;
        game.freezeJob(jobId);
        ++calls["openDispute"];
    }

    function resolveDispute(uint256 _job, uint8 _verdict) external {
        (bytes32 jobId, bool found) = _pickFrozen(_job);
        if (!found) return;
        IJobMarket.JobInfo memory job = market.getJob(jobId);
        uint8 verdict = _verdict % 4;
        if (job.status == IJobMarket.JobStatus.Submitted) {
            // 0: nothing proven; 1: replica 0 wrong; 2: replica 1 wrong; 3: served result wrong, refund now.
            if (verdict == 1 && job.wrongMask & 1 == 0) game.markReplicaWrong(jobId, 0);
            if (verdict == 2 && job.replicas == 2 && job.wrongMask & 2 == 0) game.markReplicaWrong(jobId, 1);
            if (verdict == 3) game.refundClient(jobId);
        }
        game.unfreezeJob(jobId);
        ++calls["resolveDispute"];
    }

    function payHonestReplica(uint256 _job, uint8 _replica, uint256 _wait) external {
        vm.warp(block.timestamp + bound(_wait, 0, market.challengeWindow()));
        (bytes32 jobId, bool found) = _pickJob(_job, IJobMarket.JobStatus.Submitted);
        if (!found) return;
        IJobMarket.JobInfo memory before = market.getJob(jobId);
        uint8 replica = uint8(_replica % before.replicas);
        if (before.wrongMask & (replica == 0 ? 1 : 2) != 0) return;
        uint256[] memory creditsBefore = _credits();
        try game.payHonestReplica(jobId, replica, _recs(jobId)[replica]) {
            before.wrongMask |= replica == 0 ? 2 : 1; // everything but `replica` goes unpaid
            _checkSettlement(jobId, before, creditsBefore);
            ++calls["payHonestReplica"];
        } catch {
            ++calls["payHonestReplica-reverted"];
        }
    }

    /// @dev The game pays a refunded job's replica 1 from a slash reward it holds (minted here: tokens entering the
    ///      market from outside, like fees).
    function payFromSlash(uint256 _job, uint256 _budget) external {
        (bytes32 jobId, bool found) = _pickJob(_job, IJobMarket.JobStatus.Refunded);
        if (!found) return;
        IJobMarket.JobInfo memory before = market.getJob(jobId);
        if (before.replicas != 2 || before.wrongMask & 2 != 0 || encodedRecords[jobId].length == 0) return;
        uint256 budget = bound(_budget, 0, 2 * uint256(before.fee));
        _mint(address(game), budget);
        uint256[] memory creditsBefore = _credits();
        try game.payFromSlash(jobId, 1, _recs(jobId)[1], budget) returns (uint256 paid) {
            uint256 added;
            for (uint256 i; i < accounts.length; ++i) {
                uint256 delta = market.creditOf(accounts[i]) - creditsBefore[i];
                added += delta;
                // Only replica 1's operators (pipeTwo: odd account slots) may be paid.
                if (delta != 0 && !(i < 2 * pipeOne.length && i % 2 == 1)) ghostPaidWrongReplica = true;
            }
            uint256 net = before.fee - before.fee * market.protocolFeeBps() / 10_000;
            if (added != paid || paid > budget || paid > net) ghostCreditMismatch = true;
            ghostDeposited += paid;
            ++calls["payFromSlash"];
        } catch {
            ++calls["payFromSlash-reverted"];
        }
        // What the market did not take stays with the game, outside the market's books.
    }

    // ------------------------------------------------------------------ helpers

    function _recs(bytes32 _jobId) internal view returns (IJobMarket.StageRecord[][] memory recs_) {
        recs_ = abi.decode(encodedRecords[_jobId], (IJobMarket.StageRecord[][]));
    }

    function _pickJob(uint256 _seed, IJobMarket.JobStatus _status) internal view returns (bytes32 jobId_, bool found_) {
        uint256 n = jobs.length;
        for (uint256 k; k < n; ++k) {
            jobId_ = jobs[(_seed % n + k) % n];
            if (market.getJob(jobId_).status == _status) return (jobId_, true);
        }
    }

    function _pickFrozen(uint256 _seed) internal view returns (bytes32 jobId_, bool found_) {
        uint256 n = jobs.length;
        for (uint256 k; k < n; ++k) {
            jobId_ = jobs[(_seed % n + k) % n];
            if (market.getJob(jobId_).freezeCount != 0) return (jobId_, true);
        }
    }

    function _credits() internal view returns (uint256[] memory credits_) {
        credits_ = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            credits_[i] = market.creditOf(accounts[i]);
        }
    }

    /// @dev After a settlement: never early, never while frozen, never to a wrong replica; credits sum to the fee.
    function _checkSettlement(bytes32 _jobId, IJobMarket.JobInfo memory _before, uint256[] memory _creditsBefore)
        internal
    {
        if (block.timestamp < uint256(_before.submittedAt) + market.challengeWindow()) ghostPaidEarly = true;
        if (_before.freezeCount != 0) ghostPaidWhileFrozen = true;
        uint256 added;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 delta = market.creditOf(accounts[i]) - _creditsBefore[i];
            added += delta;
            bool inOne = i < 2 * pipeOne.length && i % 2 == 0;
            bool inTwo = i < 2 * pipeOne.length && i % 2 == 1;
            if (delta != 0 && inOne && _before.wrongMask & 1 != 0) ghostPaidWrongReplica = true;
            if (delta != 0 && inTwo && _before.wrongMask & 2 != 0) ghostPaidWrongReplica = true;
        }
        if (added != _before.fee) ghostCreditMismatch = true;
        _jobId; // settled job id kept for debugging traces
    }
}
