// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStepVerifier} from "../../../src/verifier/IStepVerifier.sol";

/// @notice A trivial IStepVerifier, like bedrock's AlphabetVM: every step is a hash of its inputs, so tests can build
///         honest and faulty traces cheaply (see TraceLib, which computes the same rules off-chain). A hidden vector
///         is the 32-byte word `h` (its bytes are abi.encode(h)); the leaf fields follow SPEC.md §9:
///         - embedding at t of token x: h = keccak(abi.encode("embed", x, t)), leaf (t, 0, keccak(abi.encode(h)), x);
///         - block slot s at t from input hash hin and kvRootPrev: h = keccak(abi.encode(hin, t, s)),
///           kv = keccak(abi.encode(kvRootPrev, hin)), leaf (t, s, keccak(abi.encode(h)), kv);
///         - head at t from input hash hin: token = keccak(abi.encode(hin, seed, temperature, topP, t)) mod VOCAB,
///           or EOS (2) at STOP_POSITION; leaf (t, L + 1, 0, token).
contract AlphabetVerifier is IStepVerifier {
    uint16 public immutable LAYERS;
    uint256 public immutable VOCAB;
    uint256 public immutable STOP_POSITION;
    bytes32 public immutable WEIGHTS_ROOT;

    error Alphabet_BadWeightsRoot(bytes32 root);
    error Alphabet_BadSlot(uint16 slot);
    error Alphabet_BadParams();

    constructor(uint16 _layers, uint256 _vocab, uint256 _stopPosition, bytes32 _weightsRoot) {
        LAYERS = _layers;
        VOCAB = _vocab;
        STOP_POSITION = _stopPosition;
        WEIGHTS_ROOT = _weightsRoot;
    }

    function leafHash(uint32 _position, uint16 _slot, bytes32 _a, bytes32 _b) external pure returns (bytes32 leaf_) {
        leaf_ = _leaf(_position, _slot, _a, _b);
    }

    function verifyLayerStep(bytes32 _weightsRoot, LayerStep calldata _step)
        external
        view
        returns (bytes32 leaf_, bytes32 hiddenInHash_)
    {
        _checkRoot(_weightsRoot);
        if (_step.slot == 0 || _step.slot > LAYERS) revert Alphabet_BadSlot(_step.slot);
        hiddenInHash_ = keccak256(_step.hidden);
        bytes32 h = keccak256(abi.encode(hiddenInHash_, _step.position, _step.slot));
        bytes32 kv = keccak256(abi.encode(_step.kvRootPrev, hiddenInHash_));
        leaf_ = _leaf(_step.position, _step.slot, keccak256(abi.encode(h)), kv);
    }

    function verifyEmbeddingStep(bytes32 _weightsRoot, EmbeddingStep calldata _step)
        external
        view
        returns (bytes32 leaf_)
    {
        _checkRoot(_weightsRoot);
        bytes32 h = keccak256(abi.encode("embed", _step.token, _step.position));
        leaf_ = _leaf(_step.position, 0, keccak256(abi.encode(h)), bytes32(uint256(_step.token)));
    }

    function verifyHeadStep(bytes32 _weightsRoot, HeadStep calldata _step)
        external
        view
        returns (bytes32 leaf_, bytes32 hiddenInHash_)
    {
        _checkRoot(_weightsRoot);
        if (_step.temperature > 2000 || _step.topP == 0 || _step.topP > 1000) revert Alphabet_BadParams();
        hiddenInHash_ = keccak256(_step.hidden);
        uint256 token = headToken(hiddenInHash_, _step.seed, _step.temperature, _step.topP, _step.position);
        leaf_ = _leaf(_step.position, LAYERS + 1, bytes32(0), bytes32(token));
    }

    function headToken(bytes32 _hiddenIn, bytes32 _seed, uint16 _temperature, uint16 _topP, uint32 _position)
        public
        view
        returns (uint256 token_)
    {
        if (_position == STOP_POSITION) return 2;
        token_ = uint256(keccak256(abi.encode(_hiddenIn, _seed, _temperature, _topP, _position))) % VOCAB;
    }

    function _checkRoot(bytes32 _root) internal view {
        if (_root != WEIGHTS_ROOT) revert Alphabet_BadWeightsRoot(_root);
    }

    function _leaf(uint32 _t, uint16 _slot, bytes32 _a, bytes32 _b) internal pure returns (bytes32 leaf_) {
        leaf_ = keccak256(abi.encodePacked(_t, _slot, _a, _b));
    }
}
