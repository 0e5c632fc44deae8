// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LayerStepVerifier_BadProof, LayerStepVerifier_ProofTooShort} from "./VerifierErrors.sol";

// Hashing in scratch memory and in place needs inline assembly.
/* solhint-disable no-inline-assembly */

/// @title LibMerkle
/// @notice The binary Merkle tree of SPEC.md §9: leaves padded with zero to a power of two, node =
///         keccak256(left ‖ right), proofs as siblings from the leaf level up.
library LibMerkle {
    /// @notice The weights tree (registered weights root).
    uint8 internal constant TREE_WEIGHTS = 0;
    /// @notice The rotary-row tree (weights leaf 1).
    uint8 internal constant TREE_ROTARY = 1;
    /// @notice The embedding-row tree (weights leaf 2).
    uint8 internal constant TREE_EMBEDDING = 2;

    /// @notice Reverts unless `_leaf` is leaf `_index` of the tree with root `_root`.
    /// @param _tree Which tree, for the error only.
    function verify(uint8 _tree, bytes32 _root, bytes32 _leaf, uint256 _index, bytes32[] calldata _proof)
        internal
        pure
    {
        // INVARIANT: every bit of the index is consumed by a level, so one proof cannot open two indices.
        if (_index >> _proof.length != 0) revert LayerStepVerifier_ProofTooShort(_tree, _index, _proof.length);
        // INVARIANT: the opening leads to the committed root.
        if (rootFromProof(_leaf, _index, _proof) != _root) revert LayerStepVerifier_BadProof(_tree, _index);
    }

    /// @notice The root that `_leaf` at `_index` with siblings `_proof` leads to.
    function rootFromProof(bytes32 _leaf, uint256 _index, bytes32[] calldata _proof)
        internal
        pure
        returns (bytes32 root_)
    {
        assembly ("memory-safe") {
            root_ := _leaf
            let index := _index
            let p := _proof.offset
            for { let end := add(p, shl(5, _proof.length)) } lt(p, end) { p := add(p, 32) } {
                // Scratch space 0x00..0x3f holds the pair; the left child goes first.
                let odd := and(index, 1)
                mstore(shl(5, odd), root_)
                mstore(shl(5, iszero(odd)), calldataload(p))
                root_ := keccak256(0, 64)
                index := shr(1, index)
            }
        }
    }

    /// @notice The root of the `_count` leaf hashes stored as consecutive words at memory `_leaves`, padded with
    ///         zero to a power of two. The words are overwritten; there must be room for the padding.
    function rootInPlace(uint256 _leaves, uint256 _count) internal pure returns (bytes32 root_) {
        assembly ("memory-safe") {
            let width := 1
            for {} lt(width, _count) {} { width := shl(1, width) }
            // Zero the padding leaves.
            calldatacopy(add(_leaves, shl(5, _count)), calldatasize(), shl(5, sub(width, _count)))
            for {} gt(width, 1) { width := shr(1, width) } {
                // Parent i overwrites word i, which was already consumed as a child of parent i / 2.
                for { let i := 0 } lt(i, shr(1, width)) { i := add(i, 1) } {
                    mstore(add(_leaves, shl(5, i)), keccak256(add(_leaves, shl(6, i)), 64))
                }
            }
            root_ := mload(_leaves)
            if iszero(_count) { root_ := 0 }
        }
    }

    /// @notice keccak256 of a calldata slice (copied to free memory, which is not reserved).
    function hashCalldata(bytes calldata _data) internal pure returns (bytes32 hash_) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, _data.offset, _data.length)
            hash_ := keccak256(p, _data.length)
        }
    }
}
