// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LayerStepVerifier} from "../../src/verifier/LayerStepVerifier.sol";

/// @notice Exposes everything a step computes (outputs, not only the leaf), for conformance diagnostics.
contract LayerStepVerifierHarness is LayerStepVerifier {
    function layerStepFull(bytes32 _weightsRoot, LayerStep calldata _step)
        external
        pure
        returns (LayerStepResult memory result_)
    {
        result_ = _layerStep(_weightsRoot, _step);
    }

    function embeddingStepFull(bytes32 _weightsRoot, EmbeddingStep calldata _step)
        external
        pure
        returns (bytes32 leaf_, int256[] memory hidden_)
    {
        (leaf_, hidden_) = _embeddingStep(_weightsRoot, _step);
    }

    function headStepFull(bytes32 _weightsRoot, HeadStep calldata _step)
        external
        pure
        returns (HeadStepResult memory result_)
    {
        result_ = _headStep(_weightsRoot, _step);
    }
}
