// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibFixedPoint} from "./LibFixedPoint.sol";
import {LayerStepVerifier_BadSampling, LayerStepVerifier_BadThreshold} from "./VerifierErrors.sol";

// Assembly only for unchecked element access in the O(vocab) loops; comparisons follow the spec's text.
/* solhint-disable no-inline-assembly, gas-strict-inequalities */

/// @title LibSampling
/// @notice Logits → token (SPEC.md §10), with the top-p threshold taken as a hint and checked in O(vocab) instead of
///         sorting on-chain.
library LibSampling {
    /// @notice The largest temperature, in thousandths.
    uint256 internal constant MAX_TEMPERATURE = 2000;

    /// @notice Sampling inputs: the job's parameters, the position whose head samples, the τ hint and the exp tables.
    struct Params {
        uint256 temperature; // thousandths; 0 = greedy
        uint256 topP; // thousandths, 1..1000
        bytes32 seed;
        uint256 position;
        uint256 threshold; // τ hint
        uint256 expHi; // calldata offsets of the exp tables
        uint256 expLo;
    }

    /// @notice The sampled token.
    function sample(int256[] memory _logits, Params memory _p) internal pure returns (uint256 token_) {
        // INVARIANT: the parameters are within the spec's ranges.
        if (_p.temperature > MAX_TEMPERATURE || _p.topP == 0 || _p.topP > 1000) {
            revert LayerStepVerifier_BadSampling(_p.temperature, _p.topP);
        }
        bool topP = _p.temperature != 0 && _p.topP < 1000;
        // INVARIANT: without top-p the hint is 0; with it τ is an exp value, at most 2^30.
        if (topP ? _p.threshold > 1 << 30 : _p.threshold != 0) revert LayerStepVerifier_BadThreshold(_p.threshold);
        if (_p.temperature == 0) return argmax(_logits);

        (int256[] memory e, int256 mass) = weights(_logits, _p);
        int256 tau = int256(_p.threshold);
        int256 kept = topP ? _keptMass(e, mass, tau, _p) : mass;
        // kept ≥ 2^30 > 0: the largest logit has d = 0 and exp_q30(0) = 2^30 without a table lookup, and every
        // weight of the committed tables is non-negative. So r < kept < 2^51 fits int256.
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 r = int256(uint256(keccak256(abi.encode(_p.seed, _p.position))) % uint256(kept));
        uint256 n = e.length;
        int256 acc;
        // Cannot overflow: the running sum stays below kept.
        unchecked {
            for (uint256 i; i < n; ++i) {
                int256 w = _at(e, i);
                if (w < tau) continue;
                acc += w;
                if (acc > r) return i;
            }
        }
        // Unreachable: the walk ends at kept > r.
        assert(false);
    }

    /// @notice e_i = exp_q30(rshr(max(logit_i − max, −2^26) · floor(1000 · 2^16 / T), 16)) and their sum.
    function weights(int256[] memory _logits, Params memory _p)
        internal
        pure
        returns (int256[] memory e_, int256 mass_)
    {
        uint256 n = _logits.length;
        int256 mx = _logits[argmax(_logits)];
        int256 invT = int256((1000 << 16) / _p.temperature);
        e_ = new int256[](n);
        // Cannot overflow: logits are int32 so d ∈ [−2^26, 0] and invT ≤ 1000 · 2^16 < 2^26; each e ≤ 2^30 and there
        // are at most 2^20 of them.
        unchecked {
            for (uint256 i; i < n; ++i) {
                int256 a;
                assembly ("memory-safe") {
                    let d := sub(mload(add(add(_logits, 0x20), shl(5, i))), mx)
                    if slt(add(d, 0x4000000), 0) { d := sub(0, 0x4000000) }
                    a := sar(16, add(mul(d, invT), 0x8000))
                }
                int256 w = LibFixedPoint.expQ30(a, _p.expHi, _p.expLo);
                assembly ("memory-safe") {
                    mstore(add(add(e_, 0x20), shl(5, i)), w)
                }
                mass_ += w;
            }
        }
    }

    /// @dev Checks the τ hint in O(vocab) and returns the kept mass Σ_{e ≥ τ} e.
    function _keptMass(int256[] memory _e, int256 _mass, int256 _tau, Params memory _p)
        private
        pure
        returns (int256 kept_)
    {
        uint256 n = _e.length;
        int256 above;
        // Cannot overflow: sums of at most 2^20 values ≤ 2^30, scaled by at most 1000.
        unchecked {
            for (uint256 i; i < n; ++i) {
                int256 w = _at(_e, i);
                if (w < _tau) continue;
                kept_ += w;
                if (w != _tau) above += w;
            }
            int256 target = int256(_p.topP) * _mass;
            // INVARIANT: τ is the largest weight v with 1000 · Σ_{e ≥ v} e ≥ P · mass, which holds exactly when
            // 1000 · Σ_{e > τ} e < P · mass ≤ 1000 · Σ_{e ≥ τ} e.
            if (!(1000 * above < target && target <= 1000 * kept_)) {
                revert LayerStepVerifier_BadThreshold(_p.threshold);
            }
        }
    }

    /// @dev `_values[_i]` without the bounds check (callers iterate below the length).
    function _at(int256[] memory _values, uint256 _i) private pure returns (int256 v_) {
        assembly ("memory-safe") {
            v_ := mload(add(add(_values, 0x20), shl(5, _i)))
        }
    }

    /// @notice The index of the largest logit, ties to the lowest.
    function argmax(int256[] memory _logits) internal pure returns (uint256 best_) {
        uint256 n = _logits.length;
        int256 top = _logits[0];
        for (uint256 i = 1; i < n; ++i) {
            if (_logits[i] > top) {
                top = _logits[i];
                best_ = i;
            }
        }
    }
}
