// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A Merkle opening does not lead to the expected root. `tree` names the tree (see {LibMerkle}), `index`
///         the opened leaf.
error LayerStepVerifier_BadProof(uint8 tree, uint256 index);

/// @notice A Merkle proof is too short to address `index` (its bits above the proof depth would be ignored).
error LayerStepVerifier_ProofTooShort(uint8 tree, uint256 index, uint256 depth);

/// @notice An input has the wrong byte length. `input` names it (see {LibBlobs}).
error LayerStepVerifier_BadLength(uint8 input, uint256 length, uint256 expected);

/// @notice The config blob describes no model the engine accepts (SPEC.md §8 and the engine's dimension limits).
error LayerStepVerifier_BadConfig();

/// @notice The slot is not a transformer block of this model (blocks are slots 1..layers).
error LayerStepVerifier_BadSlot(uint256 slot, uint256 layers);

/// @notice The position is outside the model's context.
error LayerStepVerifier_BadPosition(uint256 position, uint256 seqLen);

/// @notice The supplied key/value entries do not chain to the agreed running root kvRoot(t−1).
error LayerStepVerifier_KvRootMismatch(bytes32 computed, bytes32 expected);

/// @notice The classifier rows do not hash to the classifier root committed in the final blob.
error LayerStepVerifier_BadClassifierRoot(bytes32 computed, bytes32 committed);

/// @notice Sampling parameters outside SPEC.md §10 (temperature 0..2000, top-p 1..1000, in thousandths).
error LayerStepVerifier_BadSampling(uint256 temperature, uint256 topP);

/// @notice The top-p threshold hint is not the τ of SPEC.md §10 (it must be 0 when sampling is greedy or top-p is
///         1000).
error LayerStepVerifier_BadThreshold(uint256 threshold);
