// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {DePinFixture} from "../../utils/DePinFixture.sol";
import {DePinToken} from "../../../src/DePinToken.sol";
import {ModelRegistry} from "../../../src/ModelRegistry.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {JobMarket} from "../../../src/JobMarket.sol";
import {DisputeGame} from "../../../src/DisputeGame.sol";
import {StepProver} from "../../../src/dispute/StepProver.sol";
import {IJobMarket} from "../../../src/interfaces/IJobMarket.sol";
import {IDisputeGame} from "../../../src/dispute/interfaces/IDisputeGame.sol";
import {IStepProver} from "../../../src/dispute/interfaces/IStepProver.sol";
import {Phase, Side, StepClaims} from "../../../src/dispute/lib/Types.sol";
import {AlphabetVerifier} from "../mocks/AlphabetVerifier.sol";
import {TraceLib} from "./TraceLib.sol";

/// @notice The whole system with the real DisputeGame (set once in the StakeManager) and the AlphabetVerifier as
///         the model's step verifier, plus helpers that build traces, submit them as signed replicas, open
///         disputes and play every move of either side honestly according to a given trace.
abstract contract DisputeGameFixture is DePinFixture {
    using TraceLib for TraceLib.Trace;

    uint256 internal constant BOND = 100e18;
    uint256 internal constant SLASH = 400e18;
    uint64 internal constant CLOCK = 2 days;
    uint64 internal constant EXTENSION = 1 hours;
    uint256 internal constant VOCAB = 512;
    uint256 internal constant NO_STOP = type(uint256).max;
    bytes32 internal constant ALPHABET_ROOT = keccak256("alphabet weights");
    uint32 internal constant MAX_TOKENS = 64;
    uint8 internal constant OWN = type(uint8).max;

    DisputeGame internal dg;
    StepProver internal prover;
    AlphabetVerifier internal alphabet;

    /// @dev Model, token limit and EOS position of the jobs `_jobRequest` and `_paramsFor` describe.
    bytes32 internal jobModel = MODEL_ID;
    uint32 internal jobMaxTokens = MAX_TOKENS;
    uint256 internal stopAt = NO_STOP;
    uint256 internal jobNonce;

    address internal challenger = makeAddr("challenger");
    address internal anyone = makeAddr("anyone");

    /// @dev Replica 0 runs on a two-stage pipeline (layers 0-1, 2-4), replica 1 on three stages (0, 1-2, 3-4).
    NodeKey[] internal pipeA;
    NodeKey[] internal pipeB;

    /// @dev A job with two replicas in its challenge window.
    struct Job {
        bytes32 id;
        IJobMarket.JobRequest request;
        uint32[] prompt;
        TraceLib.Params params;
        IJobMarket.StageRecord[] records0;
        IJobMarket.StageRecord[] records1;
    }

    function setUp() public virtual override {
        vm.warp(T0);
        vm.startPrank(deployer);
        token = _newToken();
        registry = new ModelRegistry();
        stakes = new StakeManager(
            token, MIN_STAKE, UNBONDING_DELAY, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, SLASH_REWARD_BPS
        );
        market = new JobMarket(token, registry, stakes, treasury, PROTOCOL_FEE_BPS, MAX_JOB_DURATION);
        dg = new DisputeGame(market, BOND, SLASH, CLOCK, EXTENSION);
        stakes.setDisputeGame(address(dg));
        vm.stopPrank();
        prover = StepProver(address(dg.stepProver()));
        alphabet = new AlphabetVerifier(LAYERS, VOCAB, NO_STOP, ALPHABET_ROOT);
        registry.registerModel(MODEL_ID, ALPHABET_ROOT, _dims(), address(alphabet), "ipfs://alphabet");
        NodeKey[] memory a = _eligibleNodes("a", 2);
        NodeKey[] memory b = _eligibleNodes("b", 3);
        for (uint256 i; i < 2; ++i) {
            pipeA.push(a[i]);
        }
        for (uint256 i; i < 3; ++i) {
            pipeB.push(b[i]);
        }
        _mint(challenger, 100 * BOND);
        vm.prank(challenger);
        token.approve(address(dg), type(uint256).max);
    }

    /// @dev The system's token (deployed by the deployer, who mints); tests may substitute a hostile one.
    function _newToken() internal virtual returns (DePinToken token_) {
        token_ = new DePinToken("DePin Token", "DPIN");
    }

    // ------------------------------------------------------------------ traces

    function _prompt() internal pure returns (uint32[] memory prompt_) {
        prompt_ = new uint32[](4);
        (prompt_[0], prompt_[1], prompt_[2], prompt_[3]) = (1, 403, 407, 288);
    }

    function _spansA() internal pure returns (uint16[] memory spans_) {
        spans_ = new uint16[](2);
        (spans_[0], spans_[1]) = (2, 3);
    }

    function _spansB() internal pure returns (uint16[] memory spans_) {
        spans_ = new uint16[](3);
        (spans_[0], spans_[1], spans_[2]) = (1, 2, 2);
    }

    function _spansOwn() internal pure returns (uint16[] memory spans_) {
        spans_ = new uint16[](1);
        spans_[0] = LAYERS;
    }

    function _jobRequest(uint8 _replicas, uint32[] memory _prompt_, bytes32 _salt)
        internal
        view
        returns (IJobMarket.JobRequest memory req_)
    {
        req_ = IJobMarket.JobRequest({
            modelId: jobModel,
            promptHash: prover.promptHashOf(_prompt_),
            maxTokens: jobMaxTokens,
            temperature: 45_875, // 0.7
            topP: 58_982, // 0.9
            seed: 42,
            replicas: _replicas,
            fee: FEE,
            deadline: uint64(block.timestamp + 1 hours),
            salt: _salt
        });
    }

    function _paramsFor(IJobMarket.JobRequest memory _req, uint32[] memory _prompt_, uint32 _generated)
        internal
        view
        returns (TraceLib.Params memory p_)
    {
        (uint16 temperature, uint16 topP, bytes32 seed) = prover.samplingOf(_req);
        p_ = TraceLib.Params({
            layers: LAYERS,
            prompt: _prompt_,
            generated: _generated,
            seed: seed,
            temperature: temperature,
            topP: topP,
            vocab: VOCAB,
            stopPosition: stopAt
        });
    }

    function _honest(TraceLib.Params memory _p, uint16[] memory _spans)
        internal
        pure
        returns (TraceLib.Trace memory tr_)
    {
        tr_ = TraceLib.build(_p, TraceLib.Fault(TraceLib.FaultKind.None, 0, 0), _spans);
    }

    function _faulty(TraceLib.Params memory _p, uint16[] memory _spans, TraceLib.FaultKind _kind, uint32 _t, uint16 _s)
        internal
        pure
        returns (TraceLib.Trace memory tr_)
    {
        tr_ = TraceLib.build(_p, TraceLib.Fault(_kind, _t, _s), _spans);
    }

    // ------------------------------------------------------------------ jobs

    function _nodes(NodeKey[] storage _pipe) internal view returns (address[] memory nodes_) {
        nodes_ = new address[](_pipe.length);
        for (uint256 i; i < nodes_.length; ++i) {
            nodes_[i] = _pipe[i].node;
        }
    }

    function _keys(NodeKey[] storage _pipe) internal view returns (NodeKey[] memory keys_) {
        keys_ = new NodeKey[](_pipe.length);
        for (uint256 i; i < keys_.length; ++i) {
            keys_[i] = _pipe[i];
        }
    }

    /// @dev A signed replica result whose stages carry the given records' roots.
    function _signed(bytes32 _jobId, uint8 _r, NodeKey[] memory _keys_, IJobMarket.StageRecord[] memory _records)
        internal
        view
        returns (IJobMarket.ReplicaResult memory res_)
    {
        res_.resultRoot = keccak256(abi.encode("result", _r));
        res_.outputHash = keccak256(abi.encode("output", _r));
        res_.tokenCount = 1;
        res_.stages = new IJobMarket.SignedStage[](_records.length);
        for (uint256 k; k < _records.length; ++k) {
            IJobMarket.SignedStage memory st = res_.stages[k];
            st.firstLayer = _records[k].firstLayer;
            st.lastLayer = _records[k].lastLayer;
            st.inputRoot = _records[k].inputRoot;
            st.traceRoot = _records[k].traceRoot;
            st.outputRoot = _records[k].outputRoot;
            st.signature = _signStage(_keys_[k].key, _jobId, _r, uint8(k), st);
        }
    }

    /// @dev Creates a job and submits replica 0 (pipeline A, trace `_t0`) and, when given, replica 1 (pipeline B).
    function _job(TraceLib.Trace memory _t0, TraceLib.Trace memory _t1, uint8 _replicas, uint32[] memory _prompt_)
        internal
        returns (Job memory job_)
    {
        job_.prompt = _prompt_;
        job_.request = _jobRequest(_replicas, _prompt_, bytes32(++jobNonce));
        job_.id = _createJob(client, job_.request);
        job_.records0 = _t0.records(_nodes(pipeA));
        IJobMarket.ReplicaResult[] memory results = new IJobMarket.ReplicaResult[](_replicas);
        results[0] = _signed(job_.id, 0, _keys(pipeA), job_.records0);
        if (_replicas == 2) {
            job_.records1 = _t1.records(_nodes(pipeB));
            results[1] = _signed(job_.id, 1, _keys(pipeB), job_.records1);
        }
        market.submitResult(job_.id, results);
    }

    function _open(
        bytes32 _jobId,
        uint8 _def,
        uint8 _other,
        IJobMarket.StageRecord[] memory _defRecords,
        IJobMarket.StageRecord[] memory _chRecords
    ) internal returns (uint256 id_) {
        vm.prank(challenger);
        id_ = dg.open(IDisputeGame.OpenParams(_jobId, _def, _other, _defRecords, _chRecords));
    }

    // ------------------------------------------------------------------ playing

    function _info(uint256 _id) internal view returns (IDisputeGame.DisputeInfo memory info_) {
        info_ = dg.getDispute(_id);
    }

    /// @dev The position the bisection asks the challenger for next (the first round's is the challenger's pick).
    function _nextPosition(IDisputeGame.DisputeInfo memory _info_) internal pure returns (uint256 t_) {
        int256 lo = _info_.loSet ? int256(uint256(_info_.lo)) : -1;
        t_ = uint256(lo + (int256(uint256(_info_.hi)) - lo) / 2);
    }

    /// @dev Honest challenger move: reveals the position the game asks for (or `_first` in the first round).
    function _challengerMove(
        uint256 _id,
        TraceLib.Trace memory _ch,
        IJobMarket.StageRecord[] memory _chRecords,
        uint256 _first
    ) internal {
        IDisputeGame.DisputeInfo memory info = _info(_id);
        uint256 t = info.hiSet ? _nextPosition(info) : _first;
        vm.prank(anyone);
        dg.revealPosition(_id, _ch.positionReveal(t, _chRecords));
    }

    /// @dev Defender move: every stage reveals its part of the round's position (or its absence).
    function _defenderMove(
        uint256 _id,
        TraceLib.Trace memory _def,
        IJobMarket.StageRecord[] memory _defRecords,
        TraceLib.Trace memory _ch
    ) internal {
        uint256 t = _info(_id).roundPosition;
        vm.prank(anyone);
        dg.revealParts(_id, _defRecords, _def.parts(t), _ch.fields(t));
    }

    /// @dev Plays the bisection to its end (both sides honest to their traces) and fixes the step.
    function _bisect(
        uint256 _id,
        TraceLib.Trace memory _def,
        IJobMarket.StageRecord[] memory _defRecords,
        TraceLib.Trace memory _ch,
        IJobMarket.StageRecord[] memory _chRecords,
        uint256 _first
    ) internal returns (uint256 rounds_) {
        while (_info(_id).phase == Phase.Bisect) {
            if (_info(_id).onTurn == Side.Challenger) {
                _challengerMove(_id, _ch, _chRecords, _first);
                ++rounds_;
            } else {
                _defenderMove(_id, _def, _defRecords, _ch);
            }
        }
        if (_info(_id).phase == Phase.Bisected) _finish(_id, _ch);
    }

    function _finish(uint256 _id, TraceLib.Trace memory _ch) internal {
        IDisputeGame.DisputeInfo memory info = _info(_id);
        bytes32[] memory lo = info.loSet ? _ch.fields(info.lo) : new bytes32[](0);
        vm.prank(anyone);
        dg.finishBisection(_id, lo, _ch.fields(info.hi));
    }

    /// @dev Decides the fixed step with the verifier, whatever its kind (inputs from the challenger's trace, which
    ///      agrees with the defender's on them).
    function _step(
        uint256 _id,
        TraceLib.Trace memory _def,
        TraceLib.Trace memory _ch,
        TraceLib.Params memory _p,
        IJobMarket.JobRequest memory _req
    ) internal {
        IDisputeGame.DisputeInfo memory info = _info(_id);
        uint256 t = info.hi;
        uint256 s = info.stepSlot;
        StepClaims memory c = TraceLib.claims(_def, _ch, t, s);
        IStepProver.JobInputs memory inputs = IStepProver.JobInputs(_req, _p.prompt);
        vm.startPrank(anyone);
        if (s == 0) {
            uint256 tokenIn = t == 0 ? _p.prompt[0] : uint256(c.carryIn);
            prover.stepEmbedding(_id, c, inputs, TraceLib.embeddingStep(t, tokenIn));
        } else if (s <= LAYERS) {
            prover.stepLayer(_id, c, _ch.layerStep(t, s));
        } else {
            prover.stepHead(_id, c, inputs, _ch.headStep(_p, t));
        }
        vm.stopPrank();
    }

    function _narrow(
        uint256 _id,
        TraceLib.Trace memory _def,
        IJobMarket.StageRecord[] memory _defRecords,
        TraceLib.Trace memory _ch,
        IJobMarket.StageRecord[] memory _chRecords,
        uint256 _t,
        uint256 _s
    ) internal {
        vm.prank(anyone);
        prover.narrow(_id, TraceLib.narrowing(_def, _defRecords, _ch, _chRecords, _t, _s));
    }

    function _resolve(
        uint256 _id,
        IJobMarket.StageRecord[] memory _defRecords,
        IJobMarket.StageRecord[] memory _chRecords
    ) internal {
        vm.prank(anyone);
        dg.resolve(_id, _defRecords, _chRecords);
    }

    /// @dev The last second the side on turn may move.
    function _deadline(uint256 _id) internal view returns (uint256 deadline_) {
        deadline_ = _info(_id).deadline;
    }
}
// forge-lint: disable-end(unsafe-typecast)
