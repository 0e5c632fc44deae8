// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {LayerStepVerifier} from "../../src/verifier/LayerStepVerifier.sol";
import {StepVectorsBase} from "./StepVectorsBase.sol";

/// @notice The verifier reproduces every conformance vector of the C# engine: every output of every step, not only
///         its leaf, and the external entry points agree with the full computation.
contract LayerStepVerifier_Vectors_Test is StepVectorsBase {
    enum Kind {
        Layer,
        Embedding,
        Head
    }

    /// @notice Checks one layer vector; external so that each vector runs in its own memory.
    function checkLayer(string calldata _file) external view {
        string memory json = _read(_file);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        LayerExpectation memory e = _layerExpectation(json);
        LayerStepVerifier.LayerStepResult memory r = verifier.layerStepFull(e.weightsRoot, step);
        assertEq(_pack(r.key), e.key, string.concat(_file, ": key"));
        assertEq(_pack(r.value), e.value, string.concat(_file, ": value"));
        assertEq(r.kvRoot, e.kvRoot, string.concat(_file, ": kvRoot"));
        assertEq(_pack(r.hidden), e.hidden, string.concat(_file, ": hidden"));
        assertEq(r.hiddenInHash, e.hiddenInHash, string.concat(_file, ": hiddenInHash"));
        assertEq(r.leaf, e.leaf, string.concat(_file, ": leaf"));
        (bytes32 leaf, bytes32 hiddenInHash) = verifier.verifyLayerStep(e.weightsRoot, step);
        assertEq(leaf, e.leaf, string.concat(_file, ": verifyLayerStep leaf"));
        assertEq(hiddenInHash, e.hiddenInHash, string.concat(_file, ": verifyLayerStep hiddenInHash"));
    }

    /// @notice Checks one embedding vector.
    function checkEmbedding(string calldata _file) external view {
        string memory json = _read(_file);
        IStepVerifier.EmbeddingStep memory step = _embeddingStep(json);
        bytes32 root = vm.parseJsonBytes32(json, ".weightsRoot");
        bytes32 expectedLeaf = vm.parseJsonBytes32(json, ".expectedLeaf");
        (bytes32 leaf, int256[] memory hidden) = verifier.embeddingStepFull(root, step);
        assertEq(_pack(hidden), vm.parseJsonBytes(json, ".expectedHidden"), string.concat(_file, ": hidden"));
        assertEq(leaf, expectedLeaf, string.concat(_file, ": leaf"));
        assertEq(verifier.verifyEmbeddingStep(root, step), expectedLeaf, string.concat(_file, ": verifyEmbeddingStep"));
    }

    /// @notice Checks one head vector.
    function checkHead(string calldata _file) external view {
        string memory json = _read(_file);
        IStepVerifier.HeadStep memory step = _headStep(json);
        HeadExpectation memory e = _headExpectation(json);
        LayerStepVerifier.HeadStepResult memory r = verifier.headStepFull(e.weightsRoot, step);
        assertEq(r.token, e.token, string.concat(_file, ": token"));
        assertEq(r.hiddenInHash, e.hiddenInHash, string.concat(_file, ": hiddenInHash"));
        assertEq(r.leaf, e.leaf, string.concat(_file, ": leaf"));
        (bytes32 leaf, bytes32 hiddenInHash) = verifier.verifyHeadStep(e.weightsRoot, step);
        assertEq(leaf, e.leaf, string.concat(_file, ": verifyHeadStep leaf"));
        assertEq(hiddenInHash, e.hiddenInHash, string.concat(_file, ": verifyHeadStep hiddenInHash"));
    }

    function test_vectors_indexListsAtLeast200_succeeds() public view {
        string memory index = _index();
        string[] memory files = vm.parseJsonStringArray(index, ".files");
        assertEq(files.length, vm.parseJsonUint(index, ".count"));
        assertGe(files.length, 200);
    }

    function test_verifyLayerStep_referencePositions0To199_succeeds() public view {
        uint256 checked =
            _checkAll("stories260K", "-layer-t0", Kind.Layer) + _checkAll("stories260K", "-layer-t1", Kind.Layer);
        assertGe(checked, 25);
    }

    function test_verifyLayerStep_referencePositions200To511_succeeds() public view {
        uint256 checked = _checkAll("stories260K", "-layer-t2", Kind.Layer)
            + _checkAll("stories260K", "-layer-t3", Kind.Layer) + _checkAll("stories260K", "-layer-t4", Kind.Layer)
            + _checkAll("stories260K", "-layer-t5", Kind.Layer);
        assertGe(checked, 25);
    }

    function test_verifyEmbeddingStep_referenceVectors_succeeds() public view {
        assertGe(_checkAll("stories260K", "-embedding-", Kind.Embedding), 10);
    }

    function test_verifyHeadStep_referenceVectors_succeeds() public view {
        assertGe(_checkAll("stories260K", "-head-", Kind.Head), 20);
    }

    function test_verifyLayerStep_syntheticVectors_succeeds() public view {
        assertGe(_checkAll("synthetic", "-layer-", Kind.Layer), 100);
    }

    function test_verifyEmbeddingStep_syntheticVectors_succeeds() public view {
        assertGe(_checkAll("synthetic", "-embedding-", Kind.Embedding), 50);
    }

    function test_verifyHeadStep_syntheticVectors_succeeds() public view {
        assertGe(_checkAll("synthetic", "-head-", Kind.Head), 50);
    }

    /// @dev Checks every vector whose file name starts with `_prefix` and contains `_infix` after it.
    function _checkAll(string memory _prefix, string memory _infix, Kind _kind)
        internal
        view
        returns (uint256 checked_)
    {
        string[] memory files = _files();
        for (uint256 i; i < files.length; ++i) {
            if (!_named(files[i], _prefix, _infix)) continue;
            if (_kind == Kind.Layer) this.checkLayer(files[i]);
            else if (_kind == Kind.Head) this.checkHead(files[i]);
            else this.checkEmbedding(files[i]);
            ++checked_;
        }
    }
}
