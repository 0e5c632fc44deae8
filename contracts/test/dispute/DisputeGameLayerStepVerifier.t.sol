// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {Vm} from "forge-std/Vm.sol";
import {console} from "forge-std/console.sol";
import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {LayerStepVerifier} from "../../src/verifier/LayerStepVerifier.sol";
import {Outcome, Phase, Reason, StepClaims} from "../../src/dispute/lib/Types.sol";
import {DisputeGameFixture} from "./utils/DisputeGameFixture.sol";
import {TraceLib} from "./utils/TraceLib.sol";

/// @notice End to end with the real LayerStepVerifier: a fast-path dispute whose step is a conformance vector of
///         the C# engine on stories260K (contracts/test/vectors/generated, written by tests/run.sh). The two
///         replicas' traces hold the vector's real leaves around the step ((t, s − 1), (t − 1, s) and the honest
///         (t, s)); other leaves are filler both replicas share. Replica 1 claims a different key/value root at
///         (t, s) and is proven wrong. Under `--isolate` the logged figures are whole transactions (the direct
///         verifier call excepted: a view call is not isolated); contracts/GAS.md:
///         `forge test --isolate --match-contract DisputeGame_LayerStepVerifier_Test -vv`.
contract DisputeGame_LayerStepVerifier_Test is DisputeGameFixture {
    using TraceLib for TraceLib.Trace;

    string internal constant VECTORS = "contracts/test/vectors/generated/";

    LayerStepVerifier internal real;

    /// @dev The vector's step and the leaves around it.
    struct Vector {
        bytes32 weightsRoot;
        IStepVerifier.LayerStep step;
        bytes32 previousLeaf; // (t, s − 1)
        bytes32 previousLeafB;
        bytes32 kvLeaf; // (t − 1, s), zero at t = 0
        bytes32 kvLeafA;
        bytes32 expectedHiddenInHash;
        bytes32 expectedLeaf;
        bytes32 expectedHidden; // keccak of the output hidden vector
        bytes32 expectedKvRoot;
    }

    function setUp() public override {
        super.setUp();
        real = new LayerStepVerifier();
    }

    function _read(string memory _label) internal view returns (Vector memory v_) {
        string memory index = string.concat(VECTORS, "index.json");
        assertTrue(
            vm.exists(index),
            "step vectors missing: tests/run.sh writes contracts/test/vectors/generated (depin conformance vectors)"
        );
        string memory file = vm.parseJsonString(vm.readFile(index), string.concat(".labels.", _label));
        string memory json = vm.readFile(string.concat(VECTORS, file));
        v_.weightsRoot = vm.parseJsonBytes32(json, ".weightsRoot");
        v_.step.position = uint32(vm.parseJsonUint(json, ".position"));
        v_.step.slot = uint16(vm.parseJsonUint(json, ".slot"));
        v_.step.config = vm.parseJsonBytes(json, ".config");
        v_.step.configProof = vm.parseJsonBytes32Array(json, ".configProof");
        v_.step.layer = vm.parseJsonBytes(json, ".layer");
        v_.step.layerProof = vm.parseJsonBytes32Array(json, ".layerProof");
        v_.step.ropeRoot = vm.parseJsonBytes32(json, ".ropeRoot");
        v_.step.ropeRootProof = vm.parseJsonBytes32Array(json, ".ropeRootProof");
        v_.step.rotaryRow = vm.parseJsonBytes(json, ".rotaryRow");
        v_.step.rotaryProof = vm.parseJsonBytes32Array(json, ".rotaryProof");
        v_.step.hidden = vm.parseJsonBytes(json, ".hidden");
        v_.step.kv = vm.parseJsonBytes(json, ".kv");
        v_.step.kvRootPrev = vm.parseJsonBytes32(json, ".kvRootPrev");
        v_.previousLeaf = vm.parseJsonBytes32(json, ".previousLeaf");
        v_.previousLeafB = vm.parseJsonBytes32(json, ".previousLeafB");
        v_.kvLeaf = vm.parseJsonBytes32(json, ".kvLeaf");
        v_.kvLeafA = vm.parseJsonBytes32(json, ".kvLeafA");
        v_.expectedHiddenInHash = vm.parseJsonBytes32(json, ".expectedHiddenInHash");
        v_.expectedLeaf = vm.parseJsonBytes32(json, ".expectedLeaf");
        v_.expectedHidden = keccak256(vm.parseJsonBytes(json, ".expectedHidden"));
        v_.expectedKvRoot = vm.parseJsonBytes32(json, ".expectedKvRoot");
    }

    /// @dev A trace of positions 0..t with the vector's leaves; `_wrong` flips the claimed key/value root at (t, s).
    function _trace(Vector memory _v, bool _wrong, uint16[] memory _spans)
        internal
        pure
        returns (TraceLib.Trace memory tr_)
    {
        uint256 t = _v.step.position;
        uint256 s = _v.step.slot;
        uint256 slots = uint256(LAYERS) + 2;
        uint256 n = (t + 1) * slots;
        bytes32[] memory a = new bytes32[](n);
        bytes32[] memory b = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            (a[i], b[i]) = (keccak256(abi.encode("filler-a", i)), keccak256(abi.encode("filler-b", i)));
        }
        (a[t * slots + s - 1], b[t * slots + s - 1]) = (_v.expectedHiddenInHash, _v.previousLeafB);
        if (t != 0) (a[(t - 1) * slots + s], b[(t - 1) * slots + s]) = (_v.kvLeafA, _v.step.kvRootPrev);
        (a[t * slots + s], b[t * slots + s]) =
        (_v.expectedHidden, _wrong ? _v.expectedKvRoot ^ bytes32(uint256(1)) : _v.expectedKvRoot);
        tr_ = TraceLib.fromFields(LAYERS, uint32(t + 1), a, b, _spans);
    }

    function _gas(string memory _what) internal view returns (uint256 gas_) {
        Vm.Gas memory g = vm.lastCallGas();
        gas_ = g.gasTotalUsed;
        console.log(_what, gas_);
    }

    function _play(string memory _label) internal returns (uint256 total_, uint256 stepGas_) {
        Vector memory v = _read(_label);
        uint256 t = v.step.position;
        uint256 s = v.step.slot;
        jobModel = keccak256(abi.encode("stories260K", v.weightsRoot));
        registry.registerModel(jobModel, v.weightsRoot, _dims(), address(real), "ipfs://stories260K");
        TraceLib.Trace memory good = _trace(v, false, _spansA());
        TraceLib.Trace memory bad = _trace(v, true, _spansB());
        // The vector's agreed and honest leaves are the engine's own.
        assertEq(good.leafAt(t, s - 1), v.previousLeaf);
        if (t != 0) assertEq(good.leafAt(t - 1, s), v.kvLeaf);
        assertEq(good.leafAt(t, s), v.expectedLeaf);

        _mint(challenger, 10 * BOND);
        Job memory job = _job(good, bad, 2, _prompt());
        uint256 id = _open(job.id, 1, 0, job.records1, job.records0);
        total_ = _gas("open");
        _narrow(id, bad, job.records1, good, job.records0, t, s);
        total_ += _gas("narrow");
        StepClaims memory claims = TraceLib.claims(bad, good, t, s);
        // The verifier alone, called directly (a view call: execution gas only, also under --isolate). Without
        // --isolate every figure is execution only, and stepLayer minus this is the game's share of the step.
        real.verifyLayerStep(v.weightsRoot, v.step);
        _gas("verifyLayerStep alone (execution)");
        vm.prank(anyone);
        prover.stepLayer(id, claims, v.step);
        stepGas_ = _gas("stepLayer (LayerStepVerifier)");
        total_ += stepGas_;
        assertEq(uint8(_info(id).outcome), uint8(Outcome.ChallengerWon));
        assertEq(uint8(_info(id).reason), uint8(Reason.Step));
        _resolve(id, job.records1, job.records0);
        total_ += _gas("resolve");
        vm.prank(anyone);
        dg.claimCredit(challenger);
        total_ += _gas("claimCredit");
        console.log("total", total_);
        assertEq(uint8(_info(id).phase), uint8(Phase.Resolved));
        assertEq(market.getJob(job.id).wrongMask, 2);
    }

    function test_stepLayer_realVerifierAtPosition1_succeeds() public {
        _play("layerT1");
    }

    function test_stepLayer_realVerifierAtPosition511_succeeds() public {
        (uint256 total,) = _play("layerT511");
        // The issue's goal for a whole fast-path dispute (every transaction together).
        assertLe(total, 20_000_000);
    }

    function test_stepLayer_realVerifierAtPosition511LastLayer_succeeds() public {
        (uint256 total,) = _play("layerT511Last");
        assertLe(total, 20_000_000);
    }
}
// forge-lint: disable-end(unsafe-typecast)
