// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DePinFixture} from "./utils/DePinFixture.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";

/// @notice createJobFor: a relayer (the gateway) creates a job that the client signed as an EIP-712 JobVoucher.
contract JobMarket_Voucher_Test is DePinFixture {
    event JobCreated(
        bytes32 indexed jobId, address indexed client, bytes32 indexed modelId, IJobMarket.JobRequest request
    );
    event JobVoucherRedeemed(bytes32 indexed jobId, address indexed client, address indexed relayer);

    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal payer;
    uint256 internal payerKey;
    address internal relayer = makeAddr("relayer");

    function setUp() public override {
        super.setUp();
        (payer, payerKey) = makeAddrAndKey("voucher-client");
        _mint(payer, 10 * FEE);
        vm.prank(payer);
        token.approve(address(market), type(uint256).max);
    }

    function _sign(uint256 _key, IJobMarket.JobRequest memory _req) internal view returns (bytes memory sig_) {
        sig_ = _signDigest(_key, market.jobVoucherDigest(_req));
    }

    function _redeem(IJobMarket.JobRequest memory _req, bytes memory _sig) internal returns (bytes32 jobId_) {
        vm.prank(relayer);
        jobId_ = market.createJobFor(payer, _req, _sig);
    }

    function test_createJobFor_valid_chargesClient_succeeds() public {
        IJobMarket.JobRequest memory req = _request(2);
        bytes32 expectedId = keccak256(abi.encode(payer, req));
        vm.expectEmit(address(market));
        emit JobVoucherRedeemed(expectedId, payer, relayer);
        vm.expectEmit(address(market));
        emit JobCreated(expectedId, payer, MODEL_ID, req);
        bytes32 jobId = _redeem(req, _sign(payerKey, req));

        assertEq(jobId, expectedId);
        assertEq(jobId, market.computeJobId(payer, req));
        IJobMarket.JobInfo memory job = market.getJob(jobId);
        assertEq(job.client, payer);
        assertEq(job.fee, FEE);
        assertEq(uint8(job.status), uint8(IJobMarket.JobStatus.Open));
        assertEq(token.balanceOf(payer), 9 * FEE);
        assertEq(token.balanceOf(relayer), 0);
        assertEq(token.balanceOf(address(market)), FEE);
    }

    function testFuzz_createJobFor_anyValidRequest_succeeds(uint96 _fee, uint64 _ahead, bytes32 _salt, uint64 _seed)
        public
    {
        IJobMarket.JobRequest memory req = _request(1);
        req.fee = uint96(bound(_fee, 1, 10 * FEE));
        req.deadline = uint64(block.timestamp + bound(_ahead, 1, MAX_JOB_DURATION));
        req.salt = _salt;
        req.seed = _seed;
        bytes32 jobId = _redeem(req, _sign(payerKey, req));
        assertEq(market.getJob(jobId).client, payer);
        assertEq(token.balanceOf(payer), 10 * FEE - req.fee);
    }

    function testFuzz_createJobFor_wrongSigner_reverts(uint256 _key) public {
        uint256 key = bound(_key, 1, SECP256K1_N - 1);
        vm.assume(key != payerKey);
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(key, req);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidVoucher.selector, payer));
        _redeem(req, sig);
    }

    function testFuzz_createJobFor_tamperedRequest_reverts(uint96 _fee, bytes32 _promptHash) public {
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(payerKey, req);
        req.fee = uint96(bound(_fee, 1, 10 * FEE));
        req.promptHash = _promptHash;
        vm.assume(req.fee != FEE || req.promptHash != keccak256("Once upon a time"));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidVoucher.selector, payer));
        _redeem(req, sig);
    }

    function test_createJobFor_malleatedSignature_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(payerKey, market.jobVoucherDigest(req));
        // (r, n - s, v') also verifies for the same digest; only the low-s form is accepted.
        bytes memory high = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidVoucher.selector, payer));
        _redeem(req, high);
    }

    function test_createJobFor_malformedSignature_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidVoucher.selector, payer));
        _redeem(req, hex"deadbeef");
    }

    function test_createJobFor_otherChain_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(payerKey, req);
        vm.chainId(block.chainid + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_InvalidVoucher.selector, payer));
        _redeem(req, sig);
    }

    function test_createJobFor_replayed_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(payerKey, req);
        bytes32 jobId = _redeem(req, sig);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_JobExists.selector, jobId));
        _redeem(req, sig);
        // Still the first job only: the client paid once.
        assertEq(token.balanceOf(payer), 9 * FEE);
    }

    function test_createJobFor_afterClientCreatedTheSameJob_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(payerKey, req);
        vm.prank(payer);
        bytes32 jobId = market.createJob(req);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarket_JobExists.selector, jobId));
        _redeem(req, sig);
    }

    function test_createJobFor_expired_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(payerKey, req);
        vm.warp(req.deadline);
        // The request is checked like createJob's (the arguments are tested there).
        vm.expectPartialRevert(IJobMarket.JobMarket_InvalidDeadline.selector);
        _redeem(req, sig);
    }

    function test_createJobFor_insufficientAllowance_reverts() public {
        vm.prank(payer);
        token.approve(address(market), FEE - 1);
        IJobMarket.JobRequest memory req = _request(1);
        bytes memory sig = _sign(payerKey, req);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(market), FEE - 1, FEE)
        );
        _redeem(req, sig);
    }

    function test_createJobFor_invalidRequest_reverts() public {
        IJobMarket.JobRequest memory req = _request(1);
        req.fee = 0;
        bytes memory sig = _sign(payerKey, req);
        vm.expectRevert(IJobMarket.JobMarket_ZeroFee.selector);
        _redeem(req, sig);
    }
}
