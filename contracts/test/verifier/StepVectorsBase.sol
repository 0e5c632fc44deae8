// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {LibBlobs} from "../../src/verifier/lib/LibBlobs.sol";
import {LayerStepVerifierHarness} from "./LayerStepVerifierHarness.sol";

/// @notice Reads the conformance vectors the C# engine writes (DePinLedger.Inference.Conformance.StepVectors) from
///         contracts/test/vectors/generated/: index.json lists the files; each file is one step with its inputs, its
///         openings and the engine's outputs (`expected*`).
abstract contract StepVectorsBase is Test {
    string internal constant VECTORS = "contracts/test/vectors/generated/";

    LayerStepVerifierHarness internal verifier;

    /// @notice A layer step's expected outputs.
    struct LayerExpectation {
        bytes32 weightsRoot;
        bytes hidden;
        bytes key;
        bytes value;
        bytes32 kvRoot;
        bytes32 hiddenInHash;
        bytes32 leaf;
    }

    /// @notice A head step's expected outputs.
    struct HeadExpectation {
        bytes32 weightsRoot;
        uint256 token;
        bytes32 hiddenInHash;
        bytes32 leaf;
    }

    function setUp() public virtual {
        verifier = new LayerStepVerifierHarness();
    }

    /// @dev The index; fails with instructions when the vectors were not generated.
    function _index() internal view returns (string memory json_) {
        string memory path = string.concat(VECTORS, "index.json");
        assertTrue(
            vm.exists(path),
            "step vectors missing: generate contracts/test/vectors/generated with "
            "DePinLedger.Inference.Conformance.StepVectors.WriteAll (tests/run.sh does this before forge test)"
        );
        json_ = vm.readFile(path);
    }

    function _files() internal view returns (string[] memory files_) {
        files_ = vm.parseJsonStringArray(_index(), ".files");
    }

    /// @dev The file of a labelled vector (the gas report's steps).
    function _labelled(string memory _label) internal view returns (string memory file_) {
        file_ = vm.parseJsonString(_index(), string.concat(".labels.", _label));
    }

    function _read(string memory _file) internal view returns (string memory json_) {
        json_ = vm.readFile(string.concat(VECTORS, _file));
    }

    function _layerStep(string memory _json) internal pure returns (IStepVerifier.LayerStep memory s_) {
        s_.position = uint32(vm.parseJsonUint(_json, ".position"));
        s_.slot = uint16(vm.parseJsonUint(_json, ".slot"));
        s_.config = vm.parseJsonBytes(_json, ".config");
        s_.configProof = vm.parseJsonBytes32Array(_json, ".configProof");
        s_.layer = vm.parseJsonBytes(_json, ".layer");
        s_.layerProof = vm.parseJsonBytes32Array(_json, ".layerProof");
        s_.ropeRoot = vm.parseJsonBytes32(_json, ".ropeRoot");
        s_.ropeRootProof = vm.parseJsonBytes32Array(_json, ".ropeRootProof");
        s_.rotaryRow = vm.parseJsonBytes(_json, ".rotaryRow");
        s_.rotaryProof = vm.parseJsonBytes32Array(_json, ".rotaryProof");
        s_.hidden = vm.parseJsonBytes(_json, ".hidden");
        s_.kv = vm.parseJsonBytes(_json, ".kv");
        s_.kvRootPrev = vm.parseJsonBytes32(_json, ".kvRootPrev");
    }

    function _layerExpectation(string memory _json) internal pure returns (LayerExpectation memory e_) {
        e_.weightsRoot = vm.parseJsonBytes32(_json, ".weightsRoot");
        e_.hidden = vm.parseJsonBytes(_json, ".expectedHidden");
        e_.key = vm.parseJsonBytes(_json, ".expectedKey");
        e_.value = vm.parseJsonBytes(_json, ".expectedValue");
        e_.kvRoot = vm.parseJsonBytes32(_json, ".expectedKvRoot");
        e_.hiddenInHash = vm.parseJsonBytes32(_json, ".expectedHiddenInHash");
        e_.leaf = vm.parseJsonBytes32(_json, ".expectedLeaf");
    }

    function _embeddingStep(string memory _json) internal pure returns (IStepVerifier.EmbeddingStep memory s_) {
        s_.position = uint32(vm.parseJsonUint(_json, ".position"));
        s_.token = uint32(vm.parseJsonUint(_json, ".token"));
        s_.row = vm.parseJsonBytes(_json, ".row");
        s_.rowProof = vm.parseJsonBytes32Array(_json, ".rowProof");
        s_.embeddingRoot = vm.parseJsonBytes32(_json, ".embeddingRoot");
        s_.embeddingRootProof = vm.parseJsonBytes32Array(_json, ".embeddingRootProof");
    }

    function _headStep(string memory _json) internal pure returns (IStepVerifier.HeadStep memory s_) {
        s_.position = uint32(vm.parseJsonUint(_json, ".position"));
        s_.config = vm.parseJsonBytes(_json, ".config");
        s_.configProof = vm.parseJsonBytes32Array(_json, ".configProof");
        s_.finalBlob = vm.parseJsonBytes(_json, ".final");
        s_.finalProof = vm.parseJsonBytes32Array(_json, ".finalProof");
        s_.hidden = vm.parseJsonBytes(_json, ".hidden");
        s_.classifier = vm.parseJsonBytes(_json, ".classifier");
        s_.temperature = uint16(vm.parseJsonUint(_json, ".temperature"));
        s_.topP = uint16(vm.parseJsonUint(_json, ".topP"));
        s_.seed = vm.parseJsonBytes32(_json, ".seed");
        s_.threshold = vm.parseJsonUint(_json, ".threshold");
    }

    function _headExpectation(string memory _json) internal pure returns (HeadExpectation memory e_) {
        e_.weightsRoot = vm.parseJsonBytes32(_json, ".weightsRoot");
        e_.token = vm.parseJsonUint(_json, ".expectedToken");
        e_.hiddenInHash = vm.parseJsonBytes32(_json, ".expectedHiddenInHash");
        e_.leaf = vm.parseJsonBytes32(_json, ".expectedLeaf");
    }

    /// @dev Packs int32 values big-endian, as the vectors hold them.
    function _pack(int256[] memory _values) internal pure returns (bytes memory packed_) {
        packed_ = LibBlobs.packInt32s(_values);
    }

    /// @dev True when `_s` starts with `_prefix` and contains `_infix` after it.
    function _named(string memory _s, string memory _prefix, string memory _infix) internal pure returns (bool) {
        bytes memory s = bytes(_s);
        bytes memory p = bytes(_prefix);
        bytes memory m = bytes(_infix);
        if (s.length < p.length + m.length) return false;
        for (uint256 i; i < p.length; ++i) {
            if (s[i] != p[i]) return false;
        }
        for (uint256 i = p.length; i + m.length <= s.length; ++i) {
            bool found = true;
            for (uint256 j; j < m.length; ++j) {
                if (s[i + j] != m[j]) {
                    found = false;
                    break;
                }
            }
            if (found) return true;
        }
        return false;
    }
}
