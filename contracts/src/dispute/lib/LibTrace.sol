// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Lint choice for this file: the leaf, Merkle and prompt hashes are written in assembly (scratch memory, no
// allocation per hash): they run once per revealed leaf, and a fraud proof opens dozens.
/* solhint-disable no-inline-assembly */

import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {Claim, Position} from "./Types.sol";
import {LibPosition} from "./LibPosition.sol";

/// @title LibTrace
/// @notice Trace leaves, Merkle openings against stage trace roots, and the prompt commitment (SPEC.md §9).
/// @dev Merkle trees pad their leaves with zero to a power of two and hash nodes as keccak256(left ‖ right). Leaf
///      preimages are 70 bytes, never 64, so a leaf cannot pass for an inner node, and a zero leaf (padding) cannot
///      pass for one either: an opening therefore pins the depth of the tree, and with the index bounded by that
///      depth, a root and an index have exactly one openable leaf.
library LibTrace {
    using LibPosition for Position;

    /// @notice The head token that ends generation when sampled (BOS; llama2.c stops on it).
    uint256 internal constant BOS = 1;
    /// @notice The end-of-sequence token.
    uint256 internal constant EOS = 2;

    /// @notice A stage of a pipeline, located by the layer it runs.
    struct StageRef {
        uint256 index; // position of the stage in its list
        uint256 width; // leaves per position
        bytes32 root; // its signed trace root
        address node; // signer of the stage receipt (zero for a challenger's own commitment)
        uint16 firstLayer;
    }

    /// @notice keccak256(u32 position ‖ u16 slot ‖ a ‖ b), the leaf of (position, slot).
    /// @param _p Position and slot.
    /// @param _a First field (keccak of the hidden vector; zero for the head).
    /// @param _b Second field (token, or the running key/value root).
    /// @return leaf_ The leaf hash.
    function leaf(Position _p, bytes32 _a, bytes32 _b) internal pure returns (Claim leaf_) {
        uint256 t = _p.position();
        uint256 s = _p.slot();
        bytes32 h;
        assembly ("memory-safe") {
            // Scratch space above the free memory pointer; nothing is allocated. The four stores overlap so that
            // each writes its field after the previous one: 4 + 2 + 32 + 32 = 70 bytes.
            let ptr := mload(0x40)
            mstore(ptr, shl(224, t))
            mstore(add(ptr, 4), shl(240, s))
            mstore(add(ptr, 6), _a)
            mstore(add(ptr, 38), _b)
            h := keccak256(ptr, 70)
        }
        leaf_ = Claim.wrap(h);
    }

    /// @notice Whether `_leaf` is the leaf at `_index` of the tree with root `_root`.
    /// @param _root Tree root.
    /// @param _leaf Leaf value (a leaf hash, or zero for padding).
    /// @param _index Leaf index; must be below 2^proof length.
    /// @param _proof Siblings from the leaf level up.
    /// @return ok_ True when the opening verifies.
    function verify(bytes32 _root, bytes32 _leaf, uint256 _index, bytes32[] calldata _proof)
        internal
        pure
        returns (bool ok_)
    {
        uint256 depth = _proof.length;
        // INVARIANT: the index addresses a leaf of a tree of this depth, so no other index shares the opening.
        if (depth < 256 && _index >> depth != 0) return false;
        bytes32 node = _leaf;
        assembly ("memory-safe") {
            let index := _index
            for { let i := 0 } lt(i, depth) { i := add(i, 1) } {
                let sibling := calldataload(add(_proof.offset, shl(5, i)))
                switch and(index, 1)
                case 0 {
                    mstore(0x00, node)
                    mstore(0x20, sibling)
                }
                default {
                    mstore(0x00, sibling)
                    mstore(0x20, node)
                }
                node := keccak256(0x00, 0x40)
                index := shr(1, index)
            }
        }
        ok_ = node == _root;
    }

    /// @notice The stage of `_stages` that owns `_slot`, with its leaf geometry. The stages must already be known
    ///         to cover layers 0..L−1 contiguously (a replica's verified receipts, or a checked own layout).
    /// @param _stages Stage list.
    /// @param _slot Slot, at most L + 1.
    /// @param _layers Layer count L.
    /// @return ref_ The stage.
    function stageOf(IJobMarket.StageRecord[] calldata _stages, uint16 _slot, uint16 _layers)
        internal
        pure
        returns (StageRef memory ref_)
    {
        uint16 layer = LibPosition.layerOf(_slot, _layers);
        uint256 n = _stages.length;
        uint256 k;
        // Stages cover 0..L−1 in order, so the first whose last layer reaches `layer` runs it.
        while (k + 1 < n && _stages[k].lastLayer < layer) ++k;
        ref_ = stageAt(_stages, k, _layers);
    }

    /// @notice Stage `_k` of `_stages` with its leaf geometry.
    /// @param _stages Stage list.
    /// @param _k Stage index, below the list length.
    /// @param _layers Layer count L.
    /// @return ref_ The stage.
    function stageAt(IJobMarket.StageRecord[] calldata _stages, uint256 _k, uint16 _layers)
        internal
        pure
        returns (StageRef memory ref_)
    {
        IJobMarket.StageRecord calldata stage = _stages[_k];
        ref_.index = _k;
        ref_.node = stage.node;
        ref_.root = stage.traceRoot;
        ref_.firstLayer = stage.firstLayer;
        ref_.width = LibPosition.stageWidth(stage.firstLayer, stage.lastLayer, _layers);
    }

    /// @notice Whether leaf (position, slot) with fields (a, b) is in the stage's signed trace.
    /// @param _stage The stage owning the slot.
    /// @param _p Position and slot.
    /// @param _a First field.
    /// @param _b Second field.
    /// @param _proof Siblings.
    /// @return ok_ True when the opening verifies.
    /// @return leaf_ The leaf hash.
    function verifyLeaf(StageRef memory _stage, Position _p, bytes32 _a, bytes32 _b, bytes32[] calldata _proof)
        internal
        pure
        returns (bool ok_, Claim leaf_)
    {
        leaf_ = leaf(_p, _a, _b);
        ok_ = verify(_stage.root, Claim.unwrap(leaf_), _p.stageIndex(_stage.firstLayer, _stage.width), _proof);
    }

    /// @notice The prompt commitment: keccak256 of the prompt's token ids as packed big-endian uint32 (the leading
    ///         BOS included), the same packing as the output hash.
    /// @param _prompt Token ids.
    /// @return hash_ The prompt hash a JobRequest carries.
    function promptHash(uint32[] calldata _prompt) internal pure returns (bytes32 hash_) {
        assembly ("memory-safe") {
            // Each store writes 32 bytes of which the first 4 are the token; the next store overwrites the rest.
            let ptr := mload(0x40)
            let n := _prompt.length
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(ptr, shl(2, i)), shl(224, calldataload(add(_prompt.offset, shl(5, i)))))
            }
            hash_ := keccak256(ptr, shl(2, n))
        }
    }

    /// @notice keccak256 of a list of 32-byte words (a revealed position's fields).
    /// @param _words Words.
    /// @return hash_ keccak256 of their concatenation.
    function hashWords(bytes32[] calldata _words) internal pure returns (bytes32 hash_) {
        hash_ = keccak256(abi.encodePacked(_words));
    }
}
