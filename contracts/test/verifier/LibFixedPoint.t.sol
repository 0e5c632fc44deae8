// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibFixedPoint} from "../../src/verifier/lib/LibFixedPoint.sol";
import {StepVectorsBase} from "./StepVectorsBase.sol";

/// @notice Exposes the scalar primitives; the exp tables come in calldata like a config blob's.
contract LibFixedPointHarness {
    function isqrt(uint256 _n) external pure returns (uint256) {
        return LibFixedPoint.isqrt(_n);
    }

    /// @dev `_config` is a config blob: EXP2_HI at byte 44, EXP2_LO at byte 1068.
    function expQ30(int256 _d, bytes calldata _config) external pure returns (int256) {
        uint256 hi;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            hi := add(_config.offset, 44)
        }
        return LibFixedPoint.expQ30(_d, hi, hi + 1024);
    }
}

/// @notice The primitives of SPEC.md §2 and §4 against values the C# engine computes (FixedPoint.Isqrt, ExpQ30 on
///         stories260K's committed tables).
contract LibFixedPoint_Test is StepVectorsBase {
    LibFixedPointHarness internal harness;
    bytes internal config;

    function setUp() public override {
        super.setUp();
        harness = new LibFixedPointHarness();
        config = vm.parseJsonBytes(_read(_labelled("layerT1")), ".config");
    }

    function test_isqrt_engineValues_succeeds() public view {
        uint256[11] memory n = [uint256(0), 1, 2, 3, 4, 15, 16, 17, 42_950, type(uint64).max, (1 << 62) + 42_950];
        uint256[11] memory r = [uint256(0), 1, 1, 1, 2, 3, 4, 4, 207, 4_294_967_295, 2_147_483_648];
        for (uint256 i; i < n.length; ++i) {
            assertEq(harness.isqrt(n[i]), r[i]);
        }
    }

    function testFuzz_isqrt_isFloorOfSquareRoot_succeeds(uint256 _n) public view {
        _n = bound(_n, 0, type(uint128).max);
        uint256 r = harness.isqrt(_n);
        assertLe(r * r, _n);
        assertGt((r + 1) * (r + 1), _n);
    }

    function test_expQ30_engineValues_succeeds() public view {
        int256[10] memory d =
            [int256(0), -1, -32_768, -65_536, -655_360, -4_194_303, -4_194_304, -1_234_567, -1_407_911, 5];
        int256[10] memory e =
            [int256(1_073_741_824), 1_073_730_468, 651_258_928, 395_009_473, 48_748, 0, 0, 7, 1, 1_073_741_824];
        for (uint256 i; i < d.length; ++i) {
            assertEq(harness.expQ30(d[i], config), e[i]);
        }
    }

    function testFuzz_expQ30_monotoneAndBounded_succeeds(uint256 _v) public view {
        int256 v = int256(bound(_v, 0, 1 << 23));
        int256 e = harness.expQ30(-v, config);
        assertLe(e, 1 << 30);
        assertGe(e, 0);
        assertLe(harness.expQ30(-v - 1, config), e);
    }
}
