// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {Test} from "forge-std/Test.sol";
import {DePinToken} from "../../src/DePinToken.sol";
import {ModelRegistry} from "../../src/ModelRegistry.sol";
import {StakeManager} from "../../src/StakeManager.sol";
import {JobMarket} from "../../src/JobMarket.sol";
import {IModelRegistry} from "../../src/interfaces/IModelRegistry.sol";
import {IStakeManager} from "../../src/interfaces/IStakeManager.sol";
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {MockDisputeGame} from "../mocks/MockDisputeGame.sol";
import {MockStepVerifier} from "../mocks/MockStepVerifier.sol";

/// @notice Deploys the whole system the way the deploy script does and offers helpers to register nodes, create
///         jobs and build signed pipeline results.
abstract contract DePinFixture is Test {
    uint256 internal constant MIN_STAKE = 1_000e18;
    uint64 internal constant UNBONDING_DELAY = 14 days;
    uint64 internal constant CHALLENGE_WINDOW = 1 days;
    uint64 internal constant MAX_DISPUTE_DURATION = 7 days;
    uint16 internal constant SLASH_REWARD_BPS = 5_000;
    uint16 internal constant PROTOCOL_FEE_BPS = 500;
    uint64 internal constant MAX_JOB_DURATION = 2 days;
    uint96 internal constant FEE = 100e18;
    uint16 internal constant LAYERS = 5; // stories260K
    bytes32 internal constant MODEL_ID = keccak256("stories260K/int8/v1");
    bytes32 internal constant WEIGHTS_ROOT = keccak256("weights");
    uint64 internal constant T0 = 1_750_000_000;

    DePinToken internal token;
    ModelRegistry internal registry;
    StakeManager internal stakes;
    JobMarket internal market;
    MockDisputeGame internal game;
    MockStepVerifier internal verifier;

    address internal deployer = makeAddr("deployer");
    address internal treasury = makeAddr("treasury");
    address internal client = makeAddr("client");

    /// @dev A node key and its operator.
    struct NodeKey {
        address node;
        uint256 key;
        address operator;
    }

    function setUp() public virtual {
        vm.warp(T0);
        vm.startPrank(deployer);
        token = new DePinToken("DePin Token", "DPIN");
        registry = new ModelRegistry();
        stakes = new StakeManager(
            token, MIN_STAKE, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, SLASH_REWARD_BPS
        );
        market = new JobMarket(token, registry, stakes, treasury, PROTOCOL_FEE_BPS, MAX_JOB_DURATION);
        game = new MockDisputeGame(stakes, market);
        stakes.setDisputeGame(address(game));
        verifier = new MockStepVerifier();
        vm.stopPrank();
        registry.registerModel(MODEL_ID, WEIGHTS_ROOT, _dims(), address(verifier), "ipfs://stories260K");
    }

    function _dims() internal pure returns (IModelRegistry.ModelDims memory dims_) {
        dims_ = IModelRegistry.ModelDims({
            layerCount: LAYERS, headCount: 8, kvHeadCount: 4, dim: 64, hiddenDim: 172, vocabSize: 512, maxSeqLen: 512
        });
    }

    function _hardware() internal pure returns (IStakeManager.HardwareProfile memory hw_) {
        hw_ = IStakeManager.HardwareProfile({
            memoryMiB: 24_576, computeGops: 330_000, bandwidthMBps: 1_008_000, regionCode: 150
        });
    }

    function _mint(address _to, uint256 _amount) internal {
        vm.prank(deployer);
        token.mint(_to, _amount);
    }

    /// @dev Registers a node whose key differs from its operator, without stake.
    function _registerNode(string memory _name) internal returns (NodeKey memory k_) {
        (k_.node, k_.key) = makeAddrAndKey(string.concat(_name, "-key"));
        k_.operator = makeAddr(string.concat(_name, "-operator"));
        bytes memory sig = _signDigest(k_.key, stakes.nodeKeyDigest(k_.operator));
        vm.prank(k_.operator);
        stakes.registerNode(k_.node, string.concat("https://", _name, ".example:7443"), _hardware(), sig);
    }

    /// @dev Mints `_amount` to the operator and stakes it on the node.
    function _stake(NodeKey memory _k, uint256 _amount) internal {
        _mint(_k.operator, _amount);
        vm.startPrank(_k.operator);
        token.approve(address(stakes), _amount);
        stakes.stake(_k.node, _amount);
        vm.stopPrank();
    }

    /// @dev Registers and stakes MIN_STAKE.
    function _eligibleNode(string memory _name) internal returns (NodeKey memory k_) {
        k_ = _registerNode(_name);
        _stake(k_, MIN_STAKE);
    }

    function _signDigest(uint256 _key, bytes32 _digest) internal pure returns (bytes memory sig_) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_key, _digest);
        sig_ = abi.encodePacked(r, s, v);
    }

    function _request(uint8 _replicas) internal view returns (IJobMarket.JobRequest memory req_) {
        req_ = IJobMarket.JobRequest({
            modelId: MODEL_ID,
            promptHash: keccak256("Once upon a time"),
            maxTokens: 256,
            temperature: 0,
            topP: 1 << 16,
            seed: 42,
            replicas: _replicas,
            fee: FEE,
            deadline: uint64(block.timestamp + 1 hours),
            salt: bytes32(0)
        });
    }

    /// @dev Mints the fee to `_client`, approves and creates the job.
    function _createJob(address _client, IJobMarket.JobRequest memory _req) internal returns (bytes32 jobId_) {
        _mint(_client, _req.fee);
        vm.startPrank(_client);
        token.approve(address(market), _req.fee);
        jobId_ = market.createJob(_req);
        vm.stopPrank();
    }

    /// @dev Stage spans for `_count` stages over LAYERS layers (earlier stages take the extra layers).
    function _span(uint256 _count, uint256 _s) internal pure returns (uint16 first_, uint16 last_) {
        uint256 base = LAYERS / _count;
        uint256 extra = LAYERS % _count;
        uint256 first = _s * base + (_s < extra ? _s : extra);
        uint256 len = base + (_s < extra ? 1 : 0);
        first_ = uint16(first);
        last_ = uint16(first + len - 1);
    }

    /// @dev A correctly signed replica result; roots derive from `_tag` so two tags give disagreeing results.
    function _replica(bytes32 _jobId, uint8 _r, NodeKey[] memory _nodes, bytes32 _tag, uint32 _tokens)
        internal
        view
        returns (IJobMarket.ReplicaResult memory res_)
    {
        uint256 n = _nodes.length;
        res_.resultRoot = keccak256(abi.encode("result", _tag));
        res_.outputHash = keccak256(abi.encode("output", _tag));
        res_.tokenCount = _tokens;
        res_.stages = new IJobMarket.SignedStage[](n);
        bytes32 input = keccak256(abi.encode("prompt", _jobId));
        for (uint256 s; s < n; ++s) {
            (uint16 first, uint16 last) = _span(n, s);
            IJobMarket.SignedStage memory st = res_.stages[s];
            st.firstLayer = first;
            st.lastLayer = last;
            st.inputRoot = input;
            st.traceRoot = keccak256(abi.encode("trace", _tag, s));
            st.outputRoot = keccak256(abi.encode("out", _tag, s));
            st.signature = _signStage(_nodes[s].key, _jobId, _r, uint8(s), st);
            input = st.outputRoot;
        }
    }

    function _signStage(uint256 _key, bytes32 _jobId, uint8 _r, uint8 _s, IJobMarket.SignedStage memory _st)
        internal
        view
        returns (bytes memory sig_)
    {
        bytes32 digest = market.stageReceiptDigest(
            IJobMarket.StageReceipt({
                jobId: _jobId,
                replica: _r,
                stage: _s,
                firstLayer: _st.firstLayer,
                lastLayer: _st.lastLayer,
                inputRoot: _st.inputRoot,
                traceRoot: _st.traceRoot,
                outputRoot: _st.outputRoot
            })
        );
        sig_ = _signDigest(_key, digest);
    }

    /// @dev The StageRecords a submitted replica is stored as.
    function _records(IJobMarket.ReplicaResult memory _res, NodeKey[] memory _nodes)
        internal
        pure
        returns (IJobMarket.StageRecord[] memory records_)
    {
        uint256 n = _res.stages.length;
        records_ = new IJobMarket.StageRecord[](n);
        for (uint256 s; s < n; ++s) {
            IJobMarket.SignedStage memory st = _res.stages[s];
            records_[s] = IJobMarket.StageRecord({
                node: _nodes[s].node,
                firstLayer: st.firstLayer,
                lastLayer: st.lastLayer,
                inputRoot: st.inputRoot,
                traceRoot: st.traceRoot,
                outputRoot: st.outputRoot
            });
        }
    }

    function _eligibleNodes(string memory _prefix, uint256 _count) internal returns (NodeKey[] memory nodes_) {
        nodes_ = new NodeKey[](_count);
        for (uint256 i; i < _count; ++i) {
            nodes_[i] = _eligibleNode(string.concat(_prefix, vm.toString(i)));
        }
    }
}
