// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {LibBlobs} from "../../src/verifier/lib/LibBlobs.sol";
import {LibMerkle} from "../../src/verifier/lib/LibMerkle.sol";
import {
    LayerStepVerifier_BadClassifierRoot,
    LayerStepVerifier_BadConfig,
    LayerStepVerifier_BadLength,
    LayerStepVerifier_BadPosition,
    LayerStepVerifier_BadProof,
    LayerStepVerifier_BadSampling,
    LayerStepVerifier_BadSlot,
    LayerStepVerifier_BadThreshold,
    LayerStepVerifier_KvRootMismatch,
    LayerStepVerifier_ProofTooShort
} from "../../src/verifier/lib/VerifierErrors.sol";
import {StepVectorsBase} from "./StepVectorsBase.sol";

// Assembly only shortens memory arrays in place to build truncated inputs.
/* solhint-disable no-inline-assembly */

/// @notice Deploys the verifier and checks it against one vector of each kind.
contract LayerStepVerifier_Init is StepVectorsBase {
    // Small vectors (a tiny synthetic model: head size 6, grouped-query attention, unshared classifier) and
    // reference-model vectors; their names are fixed by position, slot and sampling parameters.
    string internal constant SMALL_LAYER = "synthetic-gqa-hs6-unshared-layer-t005-s2.json";
    string internal constant SMALL_FIRST_LAYER = "synthetic-gqa-hs6-unshared-layer-t000-s1.json";
    string internal constant SMALL_HEAD_TOP_P = "synthetic-gqa-hs6-unshared-head-t003-T1500-P500.json";
    string internal constant SMALL_HEAD_GREEDY = "synthetic-gqa-hs6-unshared-head-t000-T0-P1000.json";
    string internal constant SMALL_EMBEDDING = "synthetic-gqa-hs6-unshared-embedding-t000-tok1.json";
    string internal constant REFERENCE_LAYER = "stories260K-layer-t064-s3.json";
    string internal constant REFERENCE_HEAD = "stories260K-head-t064-T800-P900.json";
    string internal constant REFERENCE_EMBEDDING = "stories260K-embedding-t000-tok1.json";

    function test_setUp_verifierReproducesOneVectorOfEachKind_succeeds() public view {
        assertGt(address(verifier).code.length, 0);
        string memory json = _read(SMALL_LAYER);
        (bytes32 leaf,) = verifier.verifyLayerStep(_root(json), _layerStep(json));
        assertEq(leaf, _expectedLeaf(json));
        json = _read(SMALL_EMBEDDING);
        assertEq(verifier.verifyEmbeddingStep(_root(json), _embeddingStep(json)), _expectedLeaf(json));
        json = _read(SMALL_HEAD_TOP_P);
        (leaf,) = verifier.verifyHeadStep(_root(json), _headStep(json));
        assertEq(leaf, _expectedLeaf(json));
    }

    function test_leafHash_vectorFields_matchesAgreedLeaves_succeeds() public view {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        assertEq(
            verifier.leafHash(
                step.position, step.slot - 1, keccak256(step.hidden), vm.parseJsonBytes32(json, ".previousLeafB")
            ),
            vm.parseJsonBytes32(json, ".previousLeaf")
        );
        assertEq(
            verifier.leafHash(step.position - 1, step.slot, vm.parseJsonBytes32(json, ".kvLeafA"), step.kvRootPrev),
            vm.parseJsonBytes32(json, ".kvLeaf")
        );
        assertEq(
            verifier.leafHash(7, 9, keccak256("a"), keccak256("b")),
            keccak256(abi.encodePacked(uint32(7), uint16(9), keccak256("a"), keccak256("b")))
        );
    }

    function _root(string memory _json) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(_json, ".weightsRoot");
    }

    function _expectedLeaf(string memory _json) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(_json, ".expectedLeaf");
    }

    function _expectedHiddenInHash(string memory _json) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(_json, ".expectedHiddenInHash");
    }

    /// @dev Flips bit `_bit` (mod the length in bits) of `_data` in place.
    function _flip(bytes memory _data, uint256 _bit) internal pure {
        uint256 i = (_bit / 8) % _data.length;
        _data[i] = _data[i] ^ bytes1(uint8(1) << uint8(_bit % 8));
    }

    function _flip(bytes32 _word, uint256 _bit) internal pure returns (bytes32) {
        return _word ^ bytes32(uint256(1) << (_bit % 256));
    }

    function _flip(bytes32[] memory _proof, uint256 _bit) internal pure {
        uint256 i = (_bit / 256) % _proof.length;
        _proof[i] = _flip(_proof[i], _bit);
    }
}

/// @notice verifyLayerStep: every input is proven or returned; one flipped bit anywhere is caught.
contract LayerStepVerifier_VerifyLayerStep_Test is LayerStepVerifier_Init {
    /// @notice Number of flippable inputs of a layer step (see {_flipLayerInput}).
    uint256 internal constant LAYER_INPUTS = 13;

    /// @dev Flips one bit of input `_field`; returns false when the input is empty.
    function _flipLayerInput(IStepVerifier.LayerStep memory _s, uint256 _field, uint256 _bit)
        internal
        pure
        returns (bool)
    {
        if (_field == 0) _flip(_s.config, _bit);
        else if (_field == 1) _flip(_s.configProof, _bit);
        else if (_field == 2) _flip(_s.layer, _bit);
        else if (_field == 3) _flip(_s.layerProof, _bit);
        else if (_field == 4) _s.ropeRoot = _flip(_s.ropeRoot, _bit);
        else if (_field == 5) _flip(_s.ropeRootProof, _bit);
        else if (_field == 6) _flip(_s.rotaryRow, _bit);
        else if (_field == 7) _flip(_s.rotaryProof, _bit);
        else if (_field == 8) _flip(_s.hidden, _bit);
        else if (_field == 9 && _s.kv.length != 0) _flip(_s.kv, _bit);
        else if (_field == 10) _s.kvRootPrev = _flip(_s.kvRootPrev, _bit);
        else if (_field == 11) _s.position ^= uint32(1) << uint32(_bit % 32);
        else if (_field == 12) _s.slot ^= uint16(1) << uint16(_bit % 16);
        else return false;
        return true;
    }

    /// @dev A flipped input must make the step revert or change what the game compares: the leaf or the input hash.
    function _assertLayerRejects(string memory _file, uint256 _field, uint256 _bit) internal view {
        string memory json = _read(_file);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        if (!_flipLayerInput(step, _field, _bit)) return;
        try verifier.verifyLayerStep(_root(json), step) returns (bytes32 leaf, bytes32 hiddenInHash) {
            assertTrue(leaf != _expectedLeaf(json) || hiddenInHash != _expectedHiddenInHash(json), "flip accepted");
        } catch {
            return; // a revert is a rejection
        }
    }

    function testFuzz_verifyLayerStep_flippedInputBit_rejects(uint256 _field, uint256 _bit) public view {
        _assertLayerRejects(SMALL_LAYER, bound(_field, 0, LAYER_INPUTS - 1), _bit);
    }

    /// forge-config: default.fuzz.runs = 24
    function testFuzz_verifyLayerStep_flippedReferenceInputBit_rejects(uint256 _field, uint256 _bit) public view {
        _assertLayerRejects(REFERENCE_LAYER, bound(_field, 0, LAYER_INPUTS - 1), _bit);
    }

    function test_verifyLayerStep_everyInputFlipped_rejects() public view {
        for (uint256 field; field < LAYER_INPUTS; ++field) {
            _assertLayerRejects(SMALL_LAYER, field, 7);
            _assertLayerRejects(REFERENCE_LAYER, field, 12_345);
        }
    }

    function test_verifyLayerStep_flippedWeightByte_reverts() public {
        string memory json = _read(REFERENCE_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        // A Wq weight (after rms_att: 4 · 64 bytes) and, separately, a W2 multiplier near the end.
        _flip(step.layer, 8 * (4 * 64 + 100));
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadProof.selector, LibMerkle.TREE_WEIGHTS, 3 + 2));
        verifier.verifyLayerStep(_root(json), step);
        step = _layerStep(json);
        _flip(step.layer, 8 * (step.layer.length - 11_100));
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadProof.selector, LibMerkle.TREE_WEIGHTS, 3 + 2));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_flippedKvEntry_reverts() public {
        string memory json = _read(REFERENCE_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        _flip(step.kv, 8 * 256 * 40 + 3);
        vm.expectPartialRevert(LayerStepVerifier_KvRootMismatch.selector);
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_flippedRotaryRow_reverts() public {
        string memory json = _read(REFERENCE_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        _flip(step.rotaryRow, 77);
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadProof.selector, LibMerkle.TREE_ROTARY, 64));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_flippedProofNode_reverts() public {
        string memory json = _read(REFERENCE_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        step.layerProof[1] = _flip(step.layerProof[1], 200);
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadProof.selector, LibMerkle.TREE_WEIGHTS, 3 + 2));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_flippedHidden_changesInputHashAndLeaf_succeeds() public view {
        string memory json = _read(REFERENCE_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        _flip(step.hidden, 8 * 4 * 10 + 30);
        (bytes32 leaf, bytes32 hiddenInHash) = verifier.verifyLayerStep(_root(json), step);
        assertNotEq(hiddenInHash, _expectedHiddenInHash(json));
        assertNotEq(leaf, _expectedLeaf(json));
    }

    function test_verifyLayerStep_flippedClaimedLeaf_mismatches_succeeds() public view {
        string memory json = _read(REFERENCE_LAYER);
        (bytes32 leaf,) = verifier.verifyLayerStep(_root(json), _layerStep(json));
        for (uint256 bit; bit < 256; bit += 17) {
            assertNotEq(leaf, _flip(_expectedLeaf(json), bit));
        }
    }

    function test_verifyLayerStep_slotZero_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        step.slot = 0;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadSlot.selector, 0, 2));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_headSlot_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        step.slot = 3;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadSlot.selector, 3, 2));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_positionPastContext_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        step.position = 12;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadPosition.selector, 12, 12));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_missingKvEntry_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        // kvDim 6: an entry is 48 bytes; drop the last one.
        bytes memory kv = step.kv;
        assembly ("memory-safe") {
            mstore(kv, sub(mload(kv), 48))
        }
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadLength.selector, LibBlobs.INPUT_KV, 4 * 48, 5 * 48));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_shortHidden_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        step.hidden = new bytes(44);
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadLength.selector, LibBlobs.INPUT_HIDDEN, 44, 48));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_truncatedLayerBlob_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        bytes memory layer = step.layer;
        uint256 length = layer.length;
        assembly ("memory-safe") {
            mstore(layer, sub(length, 1))
        }
        vm.expectRevert(
            abi.encodeWithSelector(LayerStepVerifier_BadLength.selector, LibBlobs.INPUT_LAYER, length - 1, length)
        );
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_shortProof_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        bytes32[] memory proof = step.rotaryProof;
        // Index 5 needs at least 3 levels; keep 2.
        assembly ("memory-safe") {
            mstore(proof, 2)
        }
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_ProofTooShort.selector, LibMerkle.TREE_ROTARY, 5, 2));
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_zeroHeadConfig_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        // heads is the fourth i32 of the config blob.
        step.config[15] = 0x00;
        vm.expectRevert(LayerStepVerifier_BadConfig.selector);
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_wrongKvRootPrev_reverts() public {
        string memory json = _read(SMALL_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        bytes32 agreed = step.kvRootPrev;
        step.kvRootPrev = keccak256("not the agreed root");
        vm.expectRevert(
            abi.encodeWithSelector(LayerStepVerifier_KvRootMismatch.selector, agreed, keccak256("not the agreed root"))
        );
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_nonzeroRootAtPositionZero_reverts() public {
        string memory json = _read(SMALL_FIRST_LAYER);
        IStepVerifier.LayerStep memory step = _layerStep(json);
        assertEq(step.kv.length, 0);
        step.kvRootPrev = bytes32(uint256(1));
        vm.expectRevert(
            abi.encodeWithSelector(LayerStepVerifier_KvRootMismatch.selector, bytes32(0), bytes32(uint256(1)))
        );
        verifier.verifyLayerStep(_root(json), step);
    }

    function test_verifyLayerStep_otherWeightsRoot_reverts() public {
        string memory json = _read(SMALL_LAYER);
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadProof.selector, LibMerkle.TREE_WEIGHTS, 0));
        verifier.verifyLayerStep(keccak256("another model"), _layerStep(json));
    }
}

/// @notice verifyEmbeddingStep: the row is proven at the token's index; flips are caught.
contract LayerStepVerifier_VerifyEmbeddingStep_Test is LayerStepVerifier_Init {
    function _assertEmbeddingRejects(string memory _file, uint256 _field, uint256 _bit) internal view {
        string memory json = _read(_file);
        IStepVerifier.EmbeddingStep memory step = _embeddingStep(json);
        if (_field == 0) _flip(step.row, _bit);
        else if (_field == 1) _flip(step.rowProof, _bit);
        else if (_field == 2) step.embeddingRoot = _flip(step.embeddingRoot, _bit);
        else if (_field == 3) _flip(step.embeddingRootProof, _bit);
        else if (_field == 4) step.token ^= uint32(1) << uint32(_bit % 32);
        else step.position ^= uint32(1) << uint32(_bit % 32);
        try verifier.verifyEmbeddingStep(_root(json), step) returns (bytes32 leaf) {
            assertNotEq(leaf, _expectedLeaf(json), "flip accepted");
        } catch {
            return; // a revert is a rejection
        }
    }

    function testFuzz_verifyEmbeddingStep_flippedInputBit_rejects(uint256 _field, uint256 _bit) public view {
        _assertEmbeddingRejects(SMALL_EMBEDDING, bound(_field, 0, 5), _bit);
        _assertEmbeddingRejects(REFERENCE_EMBEDDING, bound(_field, 0, 5), _bit);
    }

    function test_verifyEmbeddingStep_tokenPastVocabulary_reverts() public {
        string memory json = _read(REFERENCE_EMBEDDING);
        IStepVerifier.EmbeddingStep memory step = _embeddingStep(json);
        // 512 rows: depth 9. Token 1 + 512 would alias row 1 if the index's high bits were ignored.
        step.token += 512;
        vm.expectRevert(
            abi.encodeWithSelector(LayerStepVerifier_ProofTooShort.selector, LibMerkle.TREE_EMBEDDING, 513, 9)
        );
        verifier.verifyEmbeddingStep(_root(json), step);
    }

    function test_verifyEmbeddingStep_emptyRow_reverts() public {
        string memory json = _read(REFERENCE_EMBEDDING);
        IStepVerifier.EmbeddingStep memory step = _embeddingStep(json);
        step.row = new bytes(8);
        vm.expectRevert(
            abi.encodeWithSelector(LayerStepVerifier_BadLength.selector, LibBlobs.INPUT_EMBEDDING_ROW, 8, 9)
        );
        verifier.verifyEmbeddingStep(_root(json), step);
    }
}

/// @notice verifyHeadStep: classifier, final blob, sampling parameters and the τ hint are all checked.
contract LayerStepVerifier_VerifyHeadStep_Test is LayerStepVerifier_Init {
    function _assertHeadRejects(string memory _file, uint256 _field, uint256 _bit) internal view {
        string memory json = _read(_file);
        IStepVerifier.HeadStep memory step = _headStep(json);
        if (_field == 0) _flip(step.config, _bit);
        else if (_field == 1) _flip(step.configProof, _bit);
        else if (_field == 2) _flip(step.finalBlob, _bit);
        else if (_field == 3) _flip(step.finalProof, _bit);
        else if (_field == 4) _flip(step.hidden, _bit);
        else if (_field == 5) _flip(step.classifier, _bit);
        else if (_field == 6) step.threshold ^= uint256(1) << (_bit % 256);
        else step.position ^= uint32(1) << uint32(_bit % 32);
        try verifier.verifyHeadStep(_root(json), step) returns (bytes32 leaf, bytes32 hiddenInHash) {
            assertTrue(leaf != _expectedLeaf(json) || hiddenInHash != _expectedHiddenInHash(json), "flip accepted");
        } catch {
            return; // a revert is a rejection
        }
    }

    function testFuzz_verifyHeadStep_flippedInputBit_rejects(uint256 _field, uint256 _bit) public view {
        _assertHeadRejects(SMALL_HEAD_TOP_P, bound(_field, 0, 7), _bit);
        _assertHeadRejects(SMALL_HEAD_GREEDY, bound(_field, 0, 7), _bit);
    }

    /// forge-config: default.fuzz.runs = 24
    function testFuzz_verifyHeadStep_flippedReferenceInputBit_rejects(uint256 _field, uint256 _bit) public view {
        _assertHeadRejects(REFERENCE_HEAD, bound(_field, 0, 7), _bit);
    }

    function test_verifyHeadStep_flippedClassifierByte_reverts() public {
        string memory json = _read(REFERENCE_HEAD);
        IStepVerifier.HeadStep memory step = _headStep(json);
        _flip(step.classifier, 8 * 72 * 300 + 5);
        vm.expectPartialRevert(LayerStepVerifier_BadClassifierRoot.selector);
        verifier.verifyHeadStep(_root(json), step);
    }

    function test_verifyHeadStep_thresholdOffByOne_reverts() public {
        string memory json = _read(REFERENCE_HEAD);
        IStepVerifier.HeadStep memory step = _headStep(json);
        uint256 tau = step.threshold;
        assertGt(tau, 0);
        step.threshold = tau + 1;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadThreshold.selector, tau + 1));
        verifier.verifyHeadStep(_root(json), step);
        step.threshold = tau - 1;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadThreshold.selector, tau - 1));
        verifier.verifyHeadStep(_root(json), step);
    }

    function test_verifyHeadStep_thresholdWhenGreedy_reverts() public {
        string memory json = _read(SMALL_HEAD_GREEDY);
        IStepVerifier.HeadStep memory step = _headStep(json);
        step.threshold = 1;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadThreshold.selector, 1));
        verifier.verifyHeadStep(_root(json), step);
    }

    function test_verifyHeadStep_samplingOutOfRange_reverts() public {
        string memory json = _read(SMALL_HEAD_GREEDY);
        IStepVerifier.HeadStep memory step = _headStep(json);
        step.temperature = 2001;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadSampling.selector, 2001, 1000));
        verifier.verifyHeadStep(_root(json), step);
        step.temperature = 0;
        step.topP = 0;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadSampling.selector, 0, 0));
        verifier.verifyHeadStep(_root(json), step);
        step.topP = 1001;
        vm.expectRevert(abi.encodeWithSelector(LayerStepVerifier_BadSampling.selector, 0, 1001));
        verifier.verifyHeadStep(_root(json), step);
    }

    function test_verifyHeadStep_missingClassifierRow_reverts() public {
        string memory json = _read(SMALL_HEAD_GREEDY);
        IStepVerifier.HeadStep memory step = _headStep(json);
        bytes memory classifier = step.classifier;
        uint256 length = classifier.length;
        // dim 12: a row is 20 bytes.
        assembly ("memory-safe") {
            mstore(classifier, sub(length, 20))
        }
        vm.expectRevert(
            abi.encodeWithSelector(LayerStepVerifier_BadLength.selector, LibBlobs.INPUT_CLASSIFIER, length - 20, length)
        );
        verifier.verifyHeadStep(_root(json), step);
    }
}
