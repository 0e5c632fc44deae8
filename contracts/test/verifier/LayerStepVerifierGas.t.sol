// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console} from "forge-std/console.sol";
import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {StepVectorsBase} from "./StepVectorsBase.sol";

/// @notice Gas of one-step verification on the reference model (stories260K), for contracts/GAS-VERIFIER.md.
/// @dev Execution gas is measured around a call with pre-encoded calldata (so ABI encoding in the test is not
///      counted); the transaction's intrinsic cost is computed from that calldata: 21000 + 4 per zero byte + 16 per
///      other byte, or the EIP-7623 floor 21000 + 10 · (zero + 4 · other) when that is higher. Each test asserts the
///      whole transaction fits the EIP-7825 cap of 2^24 gas, and a layer step the issue's goal of 15M.
contract LayerStepVerifier_Gas_Test is StepVectorsBase {
    uint256 internal constant TX_GAS_CAP = 1 << 24;
    uint256 internal constant LAYER_STEP_GOAL = 15_000_000;

    struct Measurement {
        uint256 execution;
        uint256 calldataBytes;
        uint256 standard; // 21000 + calldata + execution
        uint256 floor; // EIP-7623
        uint256 total; // max(standard, floor)
    }

    function test_gas_layerStepPosition0_withinGoal_succeeds() public {
        _layer("layerT0");
    }

    function test_gas_layerStepPosition1_withinGoal_succeeds() public {
        _layer("layerT1");
    }

    function test_gas_layerStepPosition64_withinGoal_succeeds() public {
        _layer("layerT64");
    }

    function test_gas_layerStepPosition256_withinGoal_succeeds() public {
        _layer("layerT256");
    }

    function test_gas_layerStepPosition511_withinGoal_succeeds() public {
        _layer("layerT511");
    }

    function test_gas_layerStepPosition511LastBlock_withinGoal_succeeds() public {
        _layer("layerT511Last");
    }

    function test_gas_embeddingStep_withinCap_succeeds() public {
        string memory json = _read(_labelled("embedding"));
        bytes memory data = abi.encodeCall(
            IStepVerifier.verifyEmbeddingStep, (vm.parseJsonBytes32(json, ".weightsRoot"), _embeddingStep(json))
        );
        Measurement memory m = _measure("embedding", data, vm.parseJsonBytes32(json, ".expectedLeaf"));
        assertLe(m.total, TX_GAS_CAP);
    }

    function test_gas_headStepGreedy_withinCap_succeeds() public {
        _head("headGreedy");
    }

    function test_gas_headStepSampled_withinCap_succeeds() public {
        _head("headSampled");
    }

    function test_gas_headStepTopP_withinCap_succeeds() public {
        _head("headTopP");
    }

    function _layer(string memory _label) internal {
        string memory json = _read(_labelled(_label));
        bytes memory data = abi.encodeCall(
            IStepVerifier.verifyLayerStep, (vm.parseJsonBytes32(json, ".weightsRoot"), _layerStep(json))
        );
        Measurement memory m = _measure(_label, data, vm.parseJsonBytes32(json, ".expectedLeaf"));
        assertLe(m.total, LAYER_STEP_GOAL);
        assertLe(m.total, TX_GAS_CAP);
    }

    function _head(string memory _label) internal {
        string memory json = _read(_labelled(_label));
        bytes memory data =
            abi.encodeCall(IStepVerifier.verifyHeadStep, (vm.parseJsonBytes32(json, ".weightsRoot"), _headStep(json)));
        Measurement memory m = _measure(_label, data, vm.parseJsonBytes32(json, ".expectedLeaf"));
        assertLe(m.total, TX_GAS_CAP);
    }

    /// @dev Calls the verifier with `_data`, checks the returned leaf, and logs one line of the gas report.
    function _measure(string memory _label, bytes memory _data, bytes32 _leaf)
        internal
        returns (Measurement memory m_)
    {
        address target = address(verifier);
        uint256 before = gasleft();
        (bool ok, bytes memory result) = target.staticcall(_data);
        m_.execution = before - gasleft();
        assertTrue(ok, "verifier reverted");
        assertEq(abi.decode(result, (bytes32)), _leaf);

        uint256 zeros;
        uint256 n = _data.length;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let p := add(_data, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } { zeros := add(zeros, iszero(byte(0, mload(add(p, i))))) }
        }
        uint256 tokens = zeros + 4 * (n - zeros);
        m_.calldataBytes = n;
        m_.standard = 21_000 + 4 * tokens + m_.execution;
        m_.floor = 21_000 + 10 * tokens;
        m_.total = m_.standard > m_.floor ? m_.standard : m_.floor;
        console.log(
            string.concat(
                "gas ",
                _label,
                ": execution ",
                vm.toString(m_.execution),
                ", calldata bytes ",
                vm.toString(n),
                ", standard tx ",
                vm.toString(m_.standard),
                ", EIP-7623 floor ",
                vm.toString(m_.floor),
                ", tx total ",
                vm.toString(m_.total)
            )
        );
    }
}
