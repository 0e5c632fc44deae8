// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStepVerifier} from "./IStepVerifier.sol";
import {LibAttention} from "./lib/LibAttention.sol";
import {LibBlobs} from "./lib/LibBlobs.sol";
import {LibFixedPoint} from "./lib/LibFixedPoint.sol";
import {LibMerkle} from "./lib/LibMerkle.sol";
import {LibSampling} from "./lib/LibSampling.sol";
import {
    LayerStepVerifier_BadClassifierRoot,
    LayerStepVerifier_BadLength,
    LayerStepVerifier_BadPosition,
    LayerStepVerifier_BadSlot,
    LayerStepVerifier_KvRootMismatch
} from "./lib/VerifierErrors.sol";

// Calldata offsets, memory regions and leaf hashing use inline assembly; bounds read as the spec states them.
/* solhint-disable no-inline-assembly, gas-strict-inequalities */

/// @title LayerStepVerifier
/// @notice The one-step verifier of the dispute game: recomputes one trace leaf with exactly the integer arithmetic
///         of the engine's specification (src/DePinLedger.Inference/SPEC.md) and returns it.
/// @dev Stateless and pure. Weights and activations are read in place from calldata where the arithmetic allows;
///      the layer blob, the key/value entries and each classifier row are copied to memory only to be hashed (and the
///      entries to be read by attention). See {LibFixedPoint} and {LibAttention} for the SIMD-within-a-register
///      kernels and the bounds that make 256-bit arithmetic exact.
contract LayerStepVerifier is IStepVerifier {
    /// @notice Index of the config blob in the weights tree.
    uint256 internal constant CONFIG_LEAF = 0;
    /// @notice Index of the rotary root in the weights tree.
    uint256 internal constant ROPE_LEAF = 1;
    /// @notice Index of the embedding root in the weights tree.
    uint256 internal constant EMBEDDING_LEAF = 2;
    /// @notice Index of block 0's layer blob in the weights tree; the final blob follows the last block.
    uint256 internal constant FIRST_LAYER_LEAF = 3;

    /// @notice Everything a layer step computes.
    struct LayerStepResult {
        bytes32 leaf;
        bytes32 hiddenInHash;
        bytes32 kvRoot; // kvRoot_l(t) = keccak256(kvRootPrev ‖ K[t] ‖ V[t])
        int256[] hidden; // output hidden vector
        int256[] key; // K[t], rotated
        int256[] value; // V[t]
    }

    /// @notice Everything a head step computes.
    struct HeadStepResult {
        bytes32 leaf;
        bytes32 hiddenInHash;
        uint256 token;
        int256[] logits;
    }

    /// @dev The opened inputs of a layer step.
    struct LayerContext {
        LibBlobs.Config config;
        LibBlobs.Layer layer;
        uint256 position;
        uint256 rotaryRow; // calldata offset of COS[t] ‖ SIN[t]
        uint256 entries; // memory pointer to entry 0 (K ‖ V per position, big-endian int32)
        uint256 entrySize; // 8 · kvDim
    }

    /// @inheritdoc IStepVerifier
    function leafHash(uint32 _position, uint16 _slot, bytes32 _a, bytes32 _b) external pure returns (bytes32 leaf_) {
        leaf_ = _leaf(_position, _slot, _a, _b);
    }

    /// @inheritdoc IStepVerifier
    function verifyLayerStep(bytes32 _weightsRoot, LayerStep calldata _step)
        external
        pure
        returns (bytes32 leaf_, bytes32 hiddenInHash_)
    {
        LayerStepResult memory result = _layerStep(_weightsRoot, _step);
        (leaf_, hiddenInHash_) = (result.leaf, result.hiddenInHash);
    }

    /// @inheritdoc IStepVerifier
    function verifyEmbeddingStep(bytes32 _weightsRoot, EmbeddingStep calldata _step)
        external
        pure
        returns (bytes32 leaf_)
    {
        (leaf_,) = _embeddingStep(_weightsRoot, _step);
    }

    /// @inheritdoc IStepVerifier
    function verifyHeadStep(bytes32 _weightsRoot, HeadStep calldata _step)
        external
        pure
        returns (bytes32 leaf_, bytes32 hiddenInHash_)
    {
        HeadStepResult memory result = _headStep(_weightsRoot, _step);
        (leaf_, hiddenInHash_) = (result.leaf, result.hiddenInHash);
    }

    /// @dev Opens the inputs of a layer step, recomputes the block (SPEC.md §7.3) and its leaf.
    function _layerStep(bytes32 _weightsRoot, LayerStep calldata _step)
        internal
        pure
        returns (LayerStepResult memory result_)
    {
        LayerContext memory ctx = _openLayer(_weightsRoot, _step);
        uint256 dim = ctx.config.dim;
        bytes calldata hidden = _step.hidden;
        // INVARIANT: the input is one hidden vector.
        if (hidden.length != 4 * dim) {
            revert LayerStepVerifier_BadLength(LibBlobs.INPUT_HIDDEN, hidden.length, 4 * dim);
        }
        result_.hiddenInHash = LibMerkle.hashCalldata(hidden);
        _openEntries(ctx, _step.kv, _step.kvRootPrev);

        int256[] memory x = LibBlobs.readInt32s(_calldataOffset(hidden), dim);
        (int256[] memory q, int256[] memory k, int256[] memory v) = _projections(ctx, x);
        result_.kvRoot = _appendEntry(ctx, k, v, _step.kvRootPrev);
        int256[] memory attention = LibAttention.attend(
            q,
            LibAttention.Params({
                heads: ctx.config.heads,
                headSize: ctx.config.headSize,
                group: ctx.config.group,
                kvDim: ctx.config.kvDim,
                positions: ctx.position + 1,
                entries: ctx.entries,
                invSqrt: ctx.config.invSqrt,
                expHi: ctx.config.expHi,
                expLo: ctx.config.expLo
            })
        );
        _outputAndFeedForward(ctx, x, attention);

        result_.hidden = x;
        result_.key = k;
        result_.value = v;
        result_.leaf = _leaf(ctx.position, _step.slot, LibBlobs.hashInt32s(x), result_.kvRoot);
    }

    /// @dev Checks the config, slot, position, layer blob and rotary row of a layer step against the weights root.
    function _openLayer(bytes32 _weightsRoot, LayerStep calldata _step)
        internal
        pure
        returns (LayerContext memory ctx_)
    {
        ctx_.config = _openConfig(_weightsRoot, _step.config, _step.configProof);
        LibBlobs.Config memory c = ctx_.config;
        // INVARIANT: layer slots are 1..L (slot 0 is the embedding, L + 1 the head).
        if (_step.slot == 0 || _step.slot > c.layers) revert LayerStepVerifier_BadSlot(_step.slot, c.layers);
        // INVARIANT: the position has a rotary row and a place in the cache.
        if (_step.position >= c.seqLen) revert LayerStepVerifier_BadPosition(_step.position, c.seqLen);
        ctx_.position = _step.position;
        ctx_.layer = LibBlobs.readLayer(c, _step.layer);
        LibMerkle.verify(
            LibMerkle.TREE_WEIGHTS,
            _weightsRoot,
            LibMerkle.hashCalldata(_step.layer),
            FIRST_LAYER_LEAF + _step.slot - 1,
            _step.layerProof
        );
        LibMerkle.verify(LibMerkle.TREE_WEIGHTS, _weightsRoot, _step.ropeRoot, ROPE_LEAF, _step.ropeRootProof);
        bytes calldata row = _step.rotaryRow;
        // INVARIANT: the rotary row holds hs / 2 cosines and hs / 2 sines.
        if (row.length != 4 * c.headSize) {
            revert LayerStepVerifier_BadLength(LibBlobs.INPUT_ROTARY_ROW, row.length, 4 * c.headSize);
        }
        LibMerkle.verify(
            LibMerkle.TREE_ROTARY, _step.ropeRoot, LibMerkle.hashCalldata(row), _step.position, _step.rotaryProof
        );
        ctx_.rotaryRow = _calldataOffset(row);
        ctx_.entrySize = 8 * c.kvDim;
    }

    /// @dev Copies the earlier key/value entries to memory (room for this position's entry after them) and checks
    ///      that they chain to the agreed root: kvRoot(s) = keccak256(kvRoot(s − 1) ‖ K[s] ‖ V[s]), kvRoot(−1) = 0.
    function _openEntries(LayerContext memory _ctx, bytes calldata _kv, bytes32 _kvRootPrev) internal pure {
        uint256 size = _ctx.entrySize;
        uint256 t = _ctx.position;
        // INVARIANT: exactly the entries of positions 0..t−1.
        if (_kv.length != t * size) revert LayerStepVerifier_BadLength(LibBlobs.INPUT_KV, _kv.length, t * size);
        uint256 entries;
        assembly ("memory-safe") {
            // One word before entry 0 for the chain's first root, one after the last entry for stores that spill.
            let region := mload(0x40)
            entries := add(region, 0x20)
            mstore(0x40, add(entries, add(mul(add(t, 1), size), 0x20)))
            calldatacopy(entries, _kv.offset, _kv.length)
        }
        _ctx.entries = entries;
        bytes32 root = _chain(entries, 0, t, size, bytes32(0));
        // INVARIANT: the entries are the ones the agreed leaf (t − 1, slot) committed to (none at t = 0).
        if (root != _kvRootPrev) revert LayerStepVerifier_KvRootMismatch(root, _kvRootPrev);
    }

    /// @dev Advances a running root over entries `_from.._to − 1`. The word before each entry is the end of the
    ///      previous one (or spare): it is swapped for the root while hashing and restored.
    function _chain(uint256 _entries, uint256 _from, uint256 _to, uint256 _size, bytes32 _root)
        internal
        pure
        returns (bytes32 root_)
    {
        assembly ("memory-safe") {
            root_ := _root
            let length := add(_size, 0x20)
            for { let p := sub(add(_entries, mul(_from, _size)), 0x20) } lt(_from, _to) {
                _from := add(_from, 1)
                p := add(p, _size)
            } {
                let saved := mload(p)
                mstore(p, root_)
                root_ := keccak256(p, length)
                mstore(p, saved)
            }
        }
    }

    /// @dev Steps 1–2 of SPEC.md §7.3: xb = rmsnorm(x), q/k/v = W·xb (one quantization), q and k rotated.
    function _projections(LayerContext memory _ctx, int256[] memory _x)
        internal
        pure
        returns (int256[] memory q_, int256[] memory k_, int256[] memory v_)
    {
        LibBlobs.Config memory c = _ctx.config;
        LibBlobs.Layer memory weights = _ctx.layer;
        uint256 d = c.dim;
        uint256 kvDim = c.kvDim;
        LibFixedPoint.Quantized memory xq = LibFixedPoint.quantize(LibFixedPoint.rmsNorm(_x, weights.rmsAtt, c.eps));
        q_ = new int256[](d);
        k_ = new int256[](kvDim);
        v_ = new int256[](kvDim);
        LibFixedPoint.matVec(xq, LibFixedPoint.layerMatrix(weights.wq, d, d), q_);
        LibFixedPoint.matVec(xq, LibFixedPoint.layerMatrix(weights.wk, kvDim, d), k_);
        LibFixedPoint.matVec(xq, LibFixedPoint.layerMatrix(weights.wv, kvDim, d), v_);
        LibFixedPoint.rotate(q_, c.headSize, _ctx.rotaryRow);
        LibFixedPoint.rotate(k_, c.headSize, _ctx.rotaryRow);
    }

    /// @dev Writes K[t] ‖ V[t] after the earlier entries and returns kvRoot(t).
    function _appendEntry(LayerContext memory _ctx, int256[] memory _k, int256[] memory _v, bytes32 _kvRootPrev)
        internal
        pure
        returns (bytes32 kvRoot_)
    {
        uint256 t = _ctx.position;
        uint256 to = _ctx.entries + t * _ctx.entrySize;
        assembly ("memory-safe") {
            let n := mload(_k)
            let ks := add(_k, 0x20)
            let vs := add(_v, 0x20)
            let vTo := add(to, shl(2, n))
            // Stores in increasing order: each overwrites all but the first 4 bytes of the previous one's spill.
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(to, shl(2, i)), shl(224, mload(add(ks, shl(5, i)))))
            }
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(vTo, shl(2, i)), shl(224, mload(add(vs, shl(5, i)))))
            }
        }
        kvRoot_ = _chain(_ctx.entries, t, t + 1, _ctx.entrySize, _kvRootPrev);
    }

    /// @dev Steps 4–5 of SPEC.md §7.3 on `_x` in place: x += Wo·attention, then x += W2·gate(W1·xb, W3·xb).
    function _outputAndFeedForward(LayerContext memory _ctx, int256[] memory _x, int256[] memory _attention)
        internal
        pure
    {
        LibBlobs.Config memory c = _ctx.config;
        LibBlobs.Layer memory weights = _ctx.layer;
        uint256 d = c.dim;
        uint256 h = c.hidden;
        int256[] memory delta = new int256[](d);
        LibFixedPoint.matVec(LibFixedPoint.quantize(_attention), LibFixedPoint.layerMatrix(weights.wo, d, d), delta);
        LibFixedPoint.addSaturated(_x, delta);

        LibFixedPoint.Quantized memory xq = LibFixedPoint.quantize(LibFixedPoint.rmsNorm(_x, weights.rmsFfn, c.eps));
        int256[] memory h1 = new int256[](h);
        int256[] memory h3 = new int256[](h);
        LibFixedPoint.matVec(xq, LibFixedPoint.layerMatrix(weights.w1, h, d), h1);
        LibFixedPoint.matVec(xq, LibFixedPoint.layerMatrix(weights.w3, h, d), h3);
        LibFixedPoint.gate(h1, h3, c.expHi, c.expLo);
        LibFixedPoint.matVec(LibFixedPoint.quantize(h1), LibFixedPoint.layerMatrix(weights.w2, d, h), delta);
        LibFixedPoint.addSaturated(_x, delta);
    }

    /// @dev The embedding step (SPEC.md §7.1): h_i = sat32(rshr(q_i · M · 32767, 32)).
    function _embeddingStep(bytes32 _weightsRoot, EmbeddingStep calldata _step)
        internal
        pure
        returns (bytes32 leaf_, int256[] memory hidden_)
    {
        bytes calldata row = _step.row;
        // INVARIANT: a row is at least one weight and its multiplier.
        if (row.length <= 8) revert LayerStepVerifier_BadLength(LibBlobs.INPUT_EMBEDDING_ROW, row.length, 9);
        LibMerkle.verify(
            LibMerkle.TREE_WEIGHTS, _weightsRoot, _step.embeddingRoot, EMBEDDING_LEAF, _step.embeddingRootProof
        );
        // The index check inside verify ties the token to a committed row: padding leaves are zero, which no row
        // hashes to.
        LibMerkle.verify(
            LibMerkle.TREE_EMBEDDING, _step.embeddingRoot, LibMerkle.hashCalldata(row), _step.token, _step.rowProof
        );
        uint256 dim = row.length - 8;
        hidden_ = new int256[](dim);
        uint256 offset = _calldataOffset(row);
        assembly ("memory-safe") {
            let m := signextend(7, shr(192, calldataload(add(offset, dim))))
            // |q · M · 32767| < 2^7 · 2^63 · 2^15.
            let scale := mul(m, 32767)
            let out := add(hidden_, 0x20)
            for { let i := 0 } lt(i, dim) { i := add(i, 1) } {
                let q := signextend(0, shr(248, calldataload(add(offset, i))))
                let v := sar(32, add(mul(q, scale), 0x80000000))
                if sgt(v, 0x7fffffff) { v := 0x7fffffff }
                if slt(add(v, 0x7fffffff), 0) { v := sub(0, 0x7fffffff) }
                mstore(add(out, shl(5, i)), v)
            }
        }
        leaf_ = _leaf(_step.position, 0, LibBlobs.hashInt32s(hidden_), bytes32(uint256(_step.token)));
    }

    /// @dev The head step (SPEC.md §7.4, §10): logits = Wcls · rmsnorm(x, rms_final), then the sampled token.
    function _headStep(bytes32 _weightsRoot, HeadStep calldata _step)
        internal
        pure
        returns (HeadStepResult memory result_)
    {
        LibBlobs.Config memory c = _openConfig(_weightsRoot, _step.config, _step.configProof);
        // INVARIANT: the position has a place in the context.
        if (_step.position >= c.seqLen) revert LayerStepVerifier_BadPosition(_step.position, c.seqLen);
        uint256 rmsFinal = _openFinal(_weightsRoot, c, _step.finalBlob, _step.finalProof, _step.classifier);
        bytes calldata hidden = _step.hidden;
        // INVARIANT: the input is one hidden vector.
        if (hidden.length != 4 * c.dim) {
            revert LayerStepVerifier_BadLength(LibBlobs.INPUT_HIDDEN, hidden.length, 4 * c.dim);
        }
        result_.hiddenInHash = LibMerkle.hashCalldata(hidden);
        result_.logits = _logits(c, LibBlobs.readInt32s(_calldataOffset(hidden), c.dim), rmsFinal, _step.classifier);
        result_.token = LibSampling.sample(
            result_.logits,
            LibSampling.Params({
                temperature: _step.temperature,
                topP: _step.topP,
                seed: _step.seed,
                position: _step.position,
                threshold: _step.threshold,
                expHi: c.expHi,
                expLo: c.expLo
            })
        );
        result_.leaf = _leaf(_step.position, c.layers + 1, bytes32(0), bytes32(result_.token));
    }

    /// @dev Proves the final blob (weights leaf 3 + L) and that the classifier rows hash to its classifier root;
    ///      returns the calldata offset of rms_final.
    function _openFinal(
        bytes32 _weightsRoot,
        LibBlobs.Config memory _c,
        bytes calldata _final,
        bytes32[] calldata _proof,
        bytes calldata _classifier
    ) internal pure returns (uint256 rmsFinal_) {
        uint256 dim = _c.dim;
        // INVARIANT: the final blob is rms_final and the classifier root.
        if (_final.length != 4 * dim + 32) {
            revert LayerStepVerifier_BadLength(LibBlobs.INPUT_FINAL, _final.length, 4 * dim + 32);
        }
        LibMerkle.verify(
            LibMerkle.TREE_WEIGHTS, _weightsRoot, LibMerkle.hashCalldata(_final), FIRST_LAYER_LEAF + _c.layers, _proof
        );
        uint256 rowLength = dim + 8;
        // INVARIANT: every classifier row, in id order.
        if (_classifier.length != _c.vocab * rowLength) {
            revert LayerStepVerifier_BadLength(LibBlobs.INPUT_CLASSIFIER, _classifier.length, _c.vocab * rowLength);
        }
        bytes32 committed = bytes32(_final[4 * dim:]);
        bytes32 root = _rowsRoot(_calldataOffset(_classifier), _c.vocab, rowLength);
        // INVARIANT: the rows are the committed classifier (the embedding rows when shared).
        if (root != committed) revert LayerStepVerifier_BadClassifierRoot(root, committed);
        rmsFinal_ = _calldataOffset(_final);
    }

    /// @dev logits = Wcls · rmsnorm(x, rms_final); classifier rows are i8[dim] ‖ i64, back to back.
    function _logits(LibBlobs.Config memory _c, int256[] memory _x, uint256 _rmsFinal, bytes calldata _classifier)
        internal
        pure
        returns (int256[] memory logits_)
    {
        LibFixedPoint.Quantized memory xq = LibFixedPoint.quantize(LibFixedPoint.rmsNorm(_x, _rmsFinal, _c.eps));
        logits_ = new int256[](_c.vocab);
        uint256 rows = _calldataOffset(_classifier);
        uint256 rowLength = _c.dim + 8;
        LibFixedPoint.matVec(
            xq,
            LibFixedPoint.Matrix({
                weights: rows,
                rowStride: rowLength,
                multipliers: rows + _c.dim,
                multiplierStride: rowLength,
                rows: _c.vocab
            }),
            logits_
        );
    }

    /// @dev Parses the config blob and proves it is weights leaf 0.
    function _openConfig(bytes32 _weightsRoot, bytes calldata _config, bytes32[] calldata _proof)
        internal
        pure
        returns (LibBlobs.Config memory c_)
    {
        c_ = LibBlobs.readConfig(_config);
        LibMerkle.verify(LibMerkle.TREE_WEIGHTS, _weightsRoot, LibMerkle.hashCalldata(_config), CONFIG_LEAF, _proof);
    }

    /// @dev Merkle root over keccak256 of each of `_rows` rows of `_rowLength` bytes at calldata `_start`.
    function _rowsRoot(uint256 _start, uint256 _rows, uint256 _rowLength) internal pure returns (bytes32 root_) {
        uint256 leaves;
        assembly ("memory-safe") {
            let width := 1
            for {} lt(width, _rows) {} { width := shl(1, width) }
            leaves := mload(0x40)
            mstore(0x40, add(leaves, shl(5, width)))
            let scratch := mload(0x40)
            for { let r := 0 } lt(r, _rows) { r := add(r, 1) } {
                calldatacopy(scratch, add(_start, mul(r, _rowLength)), _rowLength)
                mstore(add(leaves, shl(5, r)), keccak256(scratch, _rowLength))
            }
        }
        root_ = LibMerkle.rootInPlace(leaves, _rows);
    }

    /// @dev A trace leaf: keccak256(u32 position ‖ u16 slot ‖ a ‖ b) (SPEC.md §9).
    function _leaf(uint256 _position, uint256 _slot, bytes32 _a, bytes32 _b) internal pure returns (bytes32 leaf_) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, or(shl(224, _position), shl(208, _slot)))
            mstore(add(p, 6), _a)
            mstore(add(p, 38), _b)
            leaf_ := keccak256(p, 70)
        }
    }

    /// @dev The calldata offset of a bytes slice.
    function _calldataOffset(bytes calldata _data) internal pure returns (uint256 offset_) {
        assembly ("memory-safe") {
            offset_ := _data.offset
        }
    }
}
