// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IStepVerifier
/// @notice Recomputes one leaf of an inference trace on-chain from its agreed inputs (SPEC.md §9), so that a dispute
///         game can compare it with the leaves the parties claimed at their first disagreement.
/// @dev A leaf is keccak256(u32 position ‖ u16 slot ‖ bytes32 a ‖ bytes32 b) (70 bytes):
///
///      | slot      | step                       | a              | b                  |
///      |-----------|----------------------------|----------------|--------------------|
///      | 0         | embedding of the token     | keccak(hidden) | uint256(token)     |
///      | 1..L      | transformer block slot − 1 | keccak(hidden) | kvRoot_slot(t)     |
///      | L + 1     | head: norm, logits, sample | 0              | uint256(sampled)   |
///
///      Weights arrive in calldata with Merkle openings against the model's registered weights root, whose leaves
///      are [keccak(config), ropeRoot, embeddingRoot, keccak(layer 0) … keccak(layer L−1), keccak(final)]. The
///      verifier proves everything it reads except the step's agreed trace inputs, which the CALLER must tie to the
///      agreed leaves: the input hidden vector (returned as `hiddenInHash_`, the `a` of agreed leaf (t, slot − 1)),
///      the previous running key/value root (`kvRootPrev`, the `b` of agreed leaf (t − 1, slot), zero at t = 0),
///      the embedded token, and the job's sampling parameters. Every function reverts on a malformed input.
///
///      Every position has all L + 2 leaves (leaf (t, slot) is trace index t · (L + 2) + slot). At a prompt position
///      t < P − 1 the head leaf holds the prompt's token t + 1 and nothing is computed: the game checks such a leaf
///      against the prompt (see {leafHash}) and calls {verifyHeadStep} only from t = P − 1 on.
interface IStepVerifier {
    /// @notice A transformer block at position t (slot l ∈ 1..L runs block l − 1).
    struct LayerStep {
        uint32 position; // t
        uint16 slot; // l
        bytes config; // config blob, weights leaf 0
        bytes32[] configProof;
        bytes layer; // layer blob of block l − 1, weights leaf 3 + l − 1
        bytes32[] layerProof;
        bytes32 ropeRoot; // weights leaf 1
        bytes32[] ropeRootProof;
        bytes rotaryRow; // COS[t] ‖ SIN[t], leaf t of the rotary tree
        bytes32[] rotaryProof;
        bytes hidden; // input hidden vector, dim big-endian int32
        bytes kv; // K[s] ‖ V[s] for s = 0..t−1, kvDim big-endian int32 each
        bytes32 kvRootPrev; // agreed kvRoot_l(t − 1); zero at t = 0
    }

    /// @notice The embedding of a token at position t (slot 0).
    struct EmbeddingStep {
        uint32 position;
        uint32 token;
        bytes row; // embedding row: i8[dim] ‖ i64 multiplier, leaf `token` of the embedding tree
        bytes32[] rowProof;
        bytes32 embeddingRoot; // weights leaf 2
        bytes32[] embeddingRootProof;
    }

    /// @notice The head at position t (slot L + 1): final norm, classifier, sampling of the token for t + 1.
    // A calldata struct: storage packing does not apply, so fields follow the step's order.
    // solhint-disable-next-line gas-struct-packing
    struct HeadStep {
        uint32 position;
        bytes config; // config blob, weights leaf 0
        bytes32[] configProof;
        bytes finalBlob; // rms_final ‖ classifier root, weights leaf 3 + L
        bytes32[] finalProof;
        bytes hidden; // output of the last block at t, dim big-endian int32
        bytes classifier; // every classifier row (i8[dim] ‖ i64), in id order; must hash to the classifier root
        uint16 temperature; // thousandths, 0 = greedy
        uint16 topP; // thousandths, 1..1000
        bytes32 seed;
        uint256 threshold; // top-p hint τ (SPEC.md §10), checked in O(vocab); 0 when greedy or top-p = 1000
    }

    /// @notice The leaf hash of SPEC.md §9 from its fields, for checking agreed leaves' preimages.
    /// @param _position The position t.
    /// @param _slot The slot (0 embedding, 1..L blocks, L + 1 head).
    /// @param _a keccak256 of the hidden vector (0 for the head).
    /// @param _b The token or the running key/value root.
    /// @return leaf_ keccak256(u32 position ‖ u16 slot ‖ a ‖ b).
    function leafHash(uint32 _position, uint16 _slot, bytes32 _a, bytes32 _b) external pure returns (bytes32 leaf_);

    /// @notice Recomputes the leaf of a transformer block step.
    /// @dev Reverts unless every opening verifies and the entries in `_step.kv` chain to `_step.kvRootPrev`.
    /// @param _weightsRoot The model's registered weights root.
    /// @param _step The step's inputs.
    /// @return leaf_ The leaf (t, slot, keccak(hidden out), kvRoot(t)).
    /// @return hiddenInHash_ keccak256 of `_step.hidden`, to be matched with the `a` of agreed leaf (t, slot − 1).
    function verifyLayerStep(bytes32 _weightsRoot, LayerStep calldata _step)
        external
        view
        returns (bytes32 leaf_, bytes32 hiddenInHash_);

    /// @notice Recomputes the leaf of an embedding step.
    /// @dev Reverts unless the row opens leaf `_step.token` of the embedding tree under the weights root.
    /// @param _weightsRoot The model's registered weights root.
    /// @param _step The step's inputs.
    /// @return leaf_ The leaf (t, 0, keccak(hidden), token).
    function verifyEmbeddingStep(bytes32 _weightsRoot, EmbeddingStep calldata _step)
        external
        view
        returns (bytes32 leaf_);

    /// @notice Recomputes the leaf of a head step: the sampled token.
    /// @dev Reverts unless the openings and the classifier root verify, the sampling parameters are in range and
    ///      the threshold hint is the spec's τ.
    /// @param _weightsRoot The model's registered weights root.
    /// @param _step The step's inputs.
    /// @return leaf_ The leaf (t, L + 1, 0, token).
    /// @return hiddenInHash_ keccak256 of `_step.hidden`, to be matched with the `a` of agreed leaf (t, L).
    function verifyHeadStep(bytes32 _weightsRoot, HeadStep calldata _step)
        external
        view
        returns (bytes32 leaf_, bytes32 hiddenInHash_);
}
