// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Write-once registry of model commitments (weights root, shape, step verifier, metadata URI).
/// @dev There is no owner and no update path: an entry, once written, is what every job and dispute on that
///      model refers to forever. Registration is permissionless, so a model id can be squatted; clients select a
///      model by checking its weights root and verifier, never by id alone.
contract ModelRegistry is IModelRegistry {
    mapping(bytes32 modelId => Model model) private _models;

    /// @inheritdoc IModelRegistry
    function registerModel(
        bytes32 _modelId,
        bytes32 _weightsRoot,
        ModelDims calldata _dims,
        address _verifier,
        string calldata _metadataURI
    ) external {
        // INVARIANT: id zero means "no model" to callers.
        if (_modelId == bytes32(0)) revert ModelRegistry_ZeroModelId();
        // INVARIANT: entries are immutable; the first registration wins.
        address registrant = _models[_modelId].registrant;
        if (registrant != address(0)) revert ModelRegistry_AlreadyRegistered(_modelId, registrant);
        // INVARIANT: a model without a weights commitment cannot be verified.
        if (_weightsRoot == bytes32(0)) revert ModelRegistry_ZeroWeightsRoot(_modelId);
        // INVARIANT: the dispute game must be able to call the verifier.
        if (_verifier.code.length == 0) revert ModelRegistry_VerifierNotContract(_verifier);
        // INVARIANT: every dimension is positive; heads split the width and kv heads split the heads evenly.
        if (
            _dims.layerCount == 0 || _dims.headCount == 0 || _dims.kvHeadCount == 0 || _dims.dim == 0
                || _dims.hiddenDim == 0 || _dims.vocabSize == 0 || _dims.maxSeqLen == 0
                || _dims.dim % _dims.headCount != 0 || _dims.headCount % _dims.kvHeadCount != 0
        ) revert ModelRegistry_InvalidDimensions(_dims);

        _register(_modelId, _weightsRoot, _dims, _verifier, _metadataURI);
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 _modelId) external view returns (Model memory model_) {
        model_ = _models[_modelId];
        if (model_.registrant == address(0)) revert ModelRegistry_UnknownModel(_modelId);
    }

    /// @inheritdoc IModelRegistry
    function layerCountOf(bytes32 _modelId) external view returns (uint16 layerCount_) {
        layerCount_ = _models[_modelId].dims.layerCount;
    }

    /// @inheritdoc IModelRegistry
    function isRegistered(bytes32 _modelId) external view returns (bool registered_) {
        registered_ = _models[_modelId].registrant != address(0);
    }

    /// @dev Writes the entry and emits {ModelRegistered}. Callers have validated every field.
    function _register(
        bytes32 _modelId,
        bytes32 _weightsRoot,
        ModelDims calldata _dims,
        address _verifier,
        string calldata _metadataURI
    ) internal virtual {
        Model storage model = _models[_modelId];
        model.weightsRoot = _weightsRoot;
        model.verifier = _verifier;
        model.dims = _dims;
        model.registrant = msg.sender;
        model.registeredAt = uint64(block.timestamp);
        model.metadataURI = _metadataURI;
        emit ModelRegistered(_modelId, msg.sender, _verifier, _weightsRoot, _dims, _metadataURI);
    }
}
