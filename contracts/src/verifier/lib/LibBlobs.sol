// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LayerStepVerifier_BadConfig, LayerStepVerifier_BadLength} from "./VerifierErrors.sol";

// Blobs are read in place from calldata with inline assembly; bounds read as the engine states them.
/* solhint-disable no-inline-assembly, gas-strict-inequalities */

/// @title LibBlobs
/// @notice Reads the committed parts of a model file in place, from calldata (SPEC.md §8, all big-endian):
///
///         | blob   | layout                                                                              |
///         |--------|-------------------------------------------------------------------------------------|
///         | config | i32 dim, hidden, layers, heads, kvHeads, vocab, seqLen; u32 flags; i64 EPS;         |
///         |        | i32 ISQRT; i32[256] EXP2_HI; i32[256] EXP2_LO (2092 bytes)                          |
///         | layer  | i32[dim] rms_att ‖ Wq ‖ Wk ‖ Wv ‖ Wo ‖ i32[dim] rms_ffn ‖ W1 ‖ W2 ‖ W3,             |
///         |        | each matrix i8[rows·cols] row-major ‖ i64[rows] multipliers                         |
///         | final  | i32[dim] rms_final ‖ bytes32 classifier root                                        |
///         | row    | i8[dim] ‖ i64 multiplier (embedding and classifier rows)                            |
///         | rotary | i32[hs/2] COS[t] ‖ i32[hs/2] SIN[t]                                                 |
library LibBlobs {
    /// @notice Input names for {LayerStepVerifier_BadLength}.
    uint8 internal constant INPUT_CONFIG = 0;
    uint8 internal constant INPUT_LAYER = 1;
    uint8 internal constant INPUT_ROTARY_ROW = 2;
    uint8 internal constant INPUT_HIDDEN = 3;
    uint8 internal constant INPUT_KV = 4;
    uint8 internal constant INPUT_EMBEDDING_ROW = 5;
    uint8 internal constant INPUT_FINAL = 6;
    uint8 internal constant INPUT_CLASSIFIER = 7;

    /// @notice Length of the config blob: 8 words of 4 bytes, EPS (8), ISQRT (4), two tables of 256 × 4.
    uint256 internal constant CONFIG_LENGTH = 2092;

    /// @notice The engine's dimension limits (ModelConfig.Validate); they keep every intermediate in its width.
    uint256 internal constant MAX_DIM = 16_384;
    uint256 internal constant MAX_HIDDEN = 65_536;
    uint256 internal constant MAX_LAYERS = 1024;
    uint256 internal constant MAX_VOCAB = 1 << 20;
    uint256 internal constant MAX_SEQ_LEN = 32_768;

    /// @notice The model's dimensions and constants, with calldata offsets of the exp tables.
    struct Config {
        uint256 dim;
        uint256 hidden;
        uint256 layers;
        uint256 heads;
        uint256 kvHeads;
        uint256 vocab;
        uint256 seqLen;
        bool shared;
        uint256 eps; // RMSNorm epsilon, Q32
        uint256 invSqrt; // round(2^16 / sqrt(hs))
        uint256 headSize;
        uint256 kvDim;
        uint256 group; // query heads per key/value head
        uint256 expHi; // calldata offset of EXP2_HI
        uint256 expLo; // calldata offset of EXP2_LO
    }

    /// @notice Calldata offsets of the parts of a layer blob.
    struct Layer {
        uint256 rmsAtt;
        uint256 wq;
        uint256 wk;
        uint256 wv;
        uint256 wo;
        uint256 rmsFfn;
        uint256 w1;
        uint256 w2;
        uint256 w3;
    }

    /// @notice Parses and checks a config blob.
    function readConfig(bytes calldata _config) internal pure returns (Config memory c_) {
        // INVARIANT: the blob is exactly the config of SPEC.md §8.
        if (_config.length != CONFIG_LENGTH) {
            revert LayerStepVerifier_BadLength(INPUT_CONFIG, _config.length, CONFIG_LENGTH);
        }
        uint256 flags;
        uint256 eps;
        uint256 invSqrt;
        assembly ("memory-safe") {
            let o := _config.offset
            mstore(c_, shr(224, calldataload(o)))
            mstore(add(c_, 0x20), shr(224, calldataload(add(o, 4))))
            mstore(add(c_, 0x40), shr(224, calldataload(add(o, 8))))
            mstore(add(c_, 0x60), shr(224, calldataload(add(o, 12))))
            mstore(add(c_, 0x80), shr(224, calldataload(add(o, 16))))
            mstore(add(c_, 0xa0), shr(224, calldataload(add(o, 20))))
            mstore(add(c_, 0xc0), shr(224, calldataload(add(o, 24))))
            flags := shr(224, calldataload(add(o, 28)))
            eps := shr(192, calldataload(add(o, 32)))
            invSqrt := shr(224, calldataload(add(o, 40)))
            mstore(add(c_, 0x1a0), add(o, 44))
            mstore(add(c_, 0x1c0), add(o, 1068))
        }
        // Values read unsigned: a negative i32 or i64 becomes ≥ 2^31 or ≥ 2^63 and fails the bounds below.
        // INVARIANT: the shape is one the engine loads (ModelConfig.Validate), the flags are known, and the
        // constants are positive, so that no division below is by zero.
        if (
            c_.dim == 0 || c_.dim > MAX_DIM || c_.hidden == 0 || c_.hidden > MAX_HIDDEN || c_.layers == 0
                || c_.layers > MAX_LAYERS || c_.heads == 0 || c_.dim % c_.heads != 0 || c_.kvHeads == 0
                || c_.heads % c_.kvHeads != 0 || (c_.dim / c_.heads) % 2 != 0 || c_.vocab < 3 || c_.vocab > MAX_VOCAB
                || c_.seqLen == 0 || c_.seqLen > MAX_SEQ_LEN || flags > 1 || eps == 0 || eps >= 1 << 63 || invSqrt == 0
                || invSqrt >= 1 << 31
        ) revert LayerStepVerifier_BadConfig();
        c_.shared = flags == 1;
        c_.eps = eps;
        c_.invSqrt = invSqrt;
        c_.headSize = c_.dim / c_.heads;
        c_.kvDim = c_.headSize * c_.kvHeads;
        c_.group = c_.heads / c_.kvHeads;
    }

    /// @notice Byte length of a layer blob of this shape.
    function layerLength(Config memory _c) internal pure returns (uint256 length_) {
        uint256 d = _c.dim;
        // Two gain vectors i32[dim] (rms_att, rms_ffn) = 8·dim; each matrix rows·cols + 8·rows.
        length_ = 8 * d + 2 * (d * d + 8 * d) + 2 * (_c.kvDim * d + 8 * _c.kvDim) + 2 * (_c.hidden * d + 8 * _c.hidden)
            + (d * _c.hidden + 8 * d);
    }

    /// @notice Checks a layer blob's length and returns the offsets of its parts.
    function readLayer(Config memory _c, bytes calldata _layer) internal pure returns (Layer memory l_) {
        uint256 expected = layerLength(_c);
        // INVARIANT: the blob holds exactly the tensors of this shape.
        if (_layer.length != expected) revert LayerStepVerifier_BadLength(INPUT_LAYER, _layer.length, expected);
        uint256 d = _c.dim;
        uint256 o;
        assembly ("memory-safe") {
            o := _layer.offset
        }
        l_.rmsAtt = o;
        l_.wq = o + 4 * d;
        l_.wk = l_.wq + d * d + 8 * d;
        l_.wv = l_.wk + _c.kvDim * d + 8 * _c.kvDim;
        l_.wo = l_.wv + _c.kvDim * d + 8 * _c.kvDim;
        l_.rmsFfn = l_.wo + d * d + 8 * d;
        l_.w1 = l_.rmsFfn + 4 * d;
        l_.w2 = l_.w1 + _c.hidden * d + 8 * _c.hidden;
        l_.w3 = l_.w2 + d * _c.hidden + 8 * d;
    }

    /// @notice Reads `_count` big-endian int32 from calldata into a new memory array.
    function readInt32s(uint256 _offset, uint256 _count) internal pure returns (int256[] memory values_) {
        values_ = new int256[](_count);
        assembly ("memory-safe") {
            let out := add(values_, 0x20)
            for { let i := 0 } lt(i, _count) { i := add(i, 1) } {
                mstore(add(out, shl(5, i)), signextend(3, shr(224, calldataload(add(_offset, shl(2, i))))))
            }
        }
    }

    /// @notice keccak256 of a vector packed as big-endian int32 (SPEC.md §9), using free memory as scratch.
    function hashInt32s(int256[] memory _values) internal pure returns (bytes32 hash_) {
        assembly ("memory-safe") {
            let n := mload(_values)
            let p := mload(0x40)
            let src := add(_values, 0x20)
            // Each store writes 32 bytes; the next one overwrites all but the first 4.
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(p, shl(2, i)), shl(224, mload(add(src, shl(5, i)))))
            }
            hash_ := keccak256(p, shl(2, n))
        }
    }

    /// @notice Packs a vector as big-endian int32 into a new bytes array.
    function packInt32s(int256[] memory _values) internal pure returns (bytes memory packed_) {
        uint256 n = _values.length;
        packed_ = new bytes(4 * n);
        assembly ("memory-safe") {
            let p := add(packed_, 0x20)
            let src := add(_values, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let to := add(p, shl(2, i))
                // Keep the bytes after these four: they belong to the next entry or the next allocation.
                mstore(to, or(shl(224, mload(add(src, shl(5, i)))), shr(32, shl(32, mload(to)))))
            }
        }
    }
}
