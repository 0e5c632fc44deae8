// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {MockStepVerifier} from "./mocks/MockStepVerifier.sol";

contract ModelRegistry_Init is Test {
    ModelRegistry internal registry;
    address internal verifier;
    address internal registrant = makeAddr("registrant");
    bytes32 internal constant MODEL_ID = keccak256("stories260K/int8/v1");
    bytes32 internal constant WEIGHTS_ROOT = keccak256("weights");

    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed registrant,
        address indexed verifier,
        bytes32 weightsRoot,
        IModelRegistry.ModelDims dims,
        string metadataURI
    );

    function setUp() public virtual {
        registry = new ModelRegistry();
        verifier = address(new MockStepVerifier());
        assertFalse(registry.isRegistered(MODEL_ID));
        assertEq(registry.layerCountOf(MODEL_ID), 0);
    }

    function _dims() internal pure returns (IModelRegistry.ModelDims memory dims_) {
        dims_ = IModelRegistry.ModelDims({
            layerCount: 5, headCount: 8, kvHeadCount: 4, dim: 64, hiddenDim: 172, vocabSize: 512, maxSeqLen: 512
        });
    }

    function _register(IModelRegistry.ModelDims memory _d) internal {
        vm.prank(registrant);
        registry.registerModel(MODEL_ID, WEIGHTS_ROOT, _d, verifier, "ipfs://stories260K");
    }
}

contract ModelRegistry_RegisterModel_Test is ModelRegistry_Init {
    function test_registerModel_valid_succeeds() public {
        vm.expectEmit(address(registry));
        emit ModelRegistered(MODEL_ID, registrant, verifier, WEIGHTS_ROOT, _dims(), "ipfs://stories260K");
        _register(_dims());

        IModelRegistry.Model memory m = registry.getModel(MODEL_ID);
        assertEq(m.weightsRoot, WEIGHTS_ROOT);
        assertEq(m.verifier, verifier);
        assertEq(m.registrant, registrant);
        assertEq(m.registeredAt, block.timestamp);
        assertEq(m.metadataURI, "ipfs://stories260K");
        assertEq(abi.encode(m.dims), abi.encode(_dims()));
        assertTrue(registry.isRegistered(MODEL_ID));
        assertEq(registry.layerCountOf(MODEL_ID), 5);
    }

    function testFuzz_registerModel_validDims_succeeds(
        uint16 _layers,
        uint16 _kvHeads,
        uint16 _groups,
        uint32 _headDim,
        uint32 _hidden,
        uint32 _vocab,
        uint32 _seq
    ) public {
        IModelRegistry.ModelDims memory d;
        d.layerCount = uint16(bound(_layers, 1, type(uint16).max));
        d.kvHeadCount = uint16(bound(_kvHeads, 1, 64));
        d.headCount = d.kvHeadCount * uint16(bound(_groups, 1, 16));
        d.dim = d.headCount * uint32(bound(_headDim, 1, 256));
        d.hiddenDim = uint32(bound(_hidden, 1, type(uint32).max));
        d.vocabSize = uint32(bound(_vocab, 1, type(uint32).max));
        d.maxSeqLen = uint32(bound(_seq, 1, type(uint32).max));
        _register(d);
        assertEq(registry.layerCountOf(MODEL_ID), d.layerCount);
    }

    function test_registerModel_zeroId_reverts() public {
        vm.expectRevert(IModelRegistry.ModelRegistry_ZeroModelId.selector);
        registry.registerModel(bytes32(0), WEIGHTS_ROOT, _dims(), verifier, "");
    }

    function test_registerModel_twice_reverts() public {
        _register(_dims());
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.ModelRegistry_AlreadyRegistered.selector, MODEL_ID, registrant)
        );
        registry.registerModel(MODEL_ID, keccak256("other"), _dims(), verifier, "");
        assertEq(registry.getModel(MODEL_ID).weightsRoot, WEIGHTS_ROOT);
    }

    function test_registerModel_zeroWeightsRoot_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_ZeroWeightsRoot.selector, MODEL_ID));
        registry.registerModel(MODEL_ID, bytes32(0), _dims(), verifier, "");
    }

    function test_registerModel_verifierWithoutCode_reverts() public {
        address eoa = makeAddr("eoa");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_VerifierNotContract.selector, eoa));
        registry.registerModel(MODEL_ID, WEIGHTS_ROOT, _dims(), eoa, "");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_VerifierNotContract.selector, address(0)));
        registry.registerModel(MODEL_ID, WEIGHTS_ROOT, _dims(), address(0), "");
    }

    function test_registerModel_zeroDimension_reverts() public {
        for (uint256 i; i < 7; ++i) {
            IModelRegistry.ModelDims memory d = _dims();
            if (i == 0) d.layerCount = 0;
            if (i == 1) d.headCount = 0;
            if (i == 2) d.kvHeadCount = 0;
            if (i == 3) d.dim = 0;
            if (i == 4) d.hiddenDim = 0;
            if (i == 5) d.vocabSize = 0;
            if (i == 6) d.maxSeqLen = 0;
            vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_InvalidDimensions.selector, d));
            registry.registerModel(MODEL_ID, WEIGHTS_ROOT, d, verifier, "");
        }
    }

    function test_registerModel_headsNotDividingDim_reverts() public {
        IModelRegistry.ModelDims memory d = _dims();
        d.dim = 65;
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_InvalidDimensions.selector, d));
        registry.registerModel(MODEL_ID, WEIGHTS_ROOT, d, verifier, "");
    }

    function test_registerModel_kvHeadsNotDividingHeads_reverts() public {
        IModelRegistry.ModelDims memory d = _dims();
        d.kvHeadCount = 3;
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_InvalidDimensions.selector, d));
        registry.registerModel(MODEL_ID, WEIGHTS_ROOT, d, verifier, "");
    }
}

contract ModelRegistry_GetModel_Test is ModelRegistry_Init {
    function test_getModel_unknown_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_UnknownModel.selector, MODEL_ID));
        registry.getModel(MODEL_ID);
    }

    function test_getModel_otherIdAfterRegistration_reverts() public {
        _register(_dims());
        bytes32 other = keccak256("other");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistry_UnknownModel.selector, other));
        registry.getModel(other);
        assertFalse(registry.isRegistered(other));
        assertEq(registry.layerCountOf(other), 0);
    }
}
