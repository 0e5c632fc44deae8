// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelRegistry
/// @notice Write-once registry of model commitments: what a job runs, how many layers a pipeline must cover, and
///         which step verifier the dispute game calls for it.
interface IModelRegistry {
    /// @notice The shape of a Llama-style model, as the step verifier needs it.
    /// @dev Packed into one storage slot (176 bits).
    struct ModelDims {
        uint16 layerCount; // transformer layers L; stages cover layers 0..L-1
        uint16 headCount; // attention (query) heads
        uint16 kvHeadCount; // key/value heads (grouped-query attention); divides headCount
        uint32 dim; // model (residual) width; divisible by headCount
        uint32 hiddenDim; // feed-forward width
        uint32 vocabSize; // tokens in the vocabulary
        uint32 maxSeqLen; // longest context (token positions) the model supports
    }

    /// @notice A registered model. Never changes once written.
    struct Model {
        bytes32 weightsRoot; // Merkle root of the quantized weights and lookup tables (the model commitment)
        address verifier; // LayerStepVerifier used by the dispute game for this model
        ModelDims dims;
        address registrant; // account that registered the entry
        uint64 registeredAt; // block timestamp of registration
        string metadataURI; // off-chain description (name, tokenizer, quantization), informational only
    }

    /// @notice Emitted once per model, when it is registered.
    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed registrant,
        address indexed verifier,
        bytes32 weightsRoot,
        ModelDims dims,
        string metadataURI
    );

    /// @notice The model id is zero, which is reserved for "no model".
    error ModelRegistry_ZeroModelId();
    /// @notice The model id is already taken; entries are immutable.
    error ModelRegistry_AlreadyRegistered(bytes32 modelId, address registrant);
    /// @notice The weights root is zero.
    error ModelRegistry_ZeroWeightsRoot(bytes32 modelId);
    /// @notice The verifier address holds no code.
    error ModelRegistry_VerifierNotContract(address verifier);
    /// @notice A dimension is zero, or heads do not divide the width, or kv heads do not divide the heads.
    error ModelRegistry_InvalidDimensions(ModelDims dims);
    /// @notice No model is registered under this id.
    error ModelRegistry_UnknownModel(bytes32 modelId);

    /// @notice Registers a model commitment under `_modelId`. Anyone may register; the first entry for an id
    ///         is final. Clients must check the weights root and verifier before sending jobs to a model.
    /// @dev Emits {ModelRegistered}. Reverts with {ModelRegistry_ZeroModelId}, {ModelRegistry_AlreadyRegistered},
    ///      {ModelRegistry_ZeroWeightsRoot}, {ModelRegistry_VerifierNotContract} or {ModelRegistry_InvalidDimensions}.
    /// @param _modelId Identifier chosen by the registrant (e.g. keccak256 of the model file name and version).
    /// @param _weightsRoot Merkle root of the quantized weights.
    /// @param _dims Model shape.
    /// @param _verifier Step verifier contract for this model.
    /// @param _metadataURI Informational URI.
    function registerModel(
        bytes32 _modelId,
        bytes32 _weightsRoot,
        ModelDims calldata _dims,
        address _verifier,
        string calldata _metadataURI
    ) external;

    /// @notice Returns the full entry of a registered model.
    /// @dev Reverts with {ModelRegistry_UnknownModel} when nothing is registered under `_modelId`.
    /// @param _modelId Model id.
    /// @return model_ The entry.
    function getModel(bytes32 _modelId) external view returns (Model memory model_);

    /// @notice Returns the layer count of a model, or zero when it is not registered (one storage read).
    /// @param _modelId Model id.
    /// @return layerCount_ Number of transformer layers, zero for an unknown model.
    function layerCountOf(bytes32 _modelId) external view returns (uint16 layerCount_);

    /// @notice Whether a model is registered under `_modelId`.
    /// @param _modelId Model id.
    /// @return registered_ True when registered.
    function isRegistered(bytes32 _modelId) external view returns (bool registered_);
}
