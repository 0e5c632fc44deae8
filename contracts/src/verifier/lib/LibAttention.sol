// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// The kernels are inline assembly by design (SIMD within a register over memory words).
/* solhint-disable no-inline-assembly */

/// @title LibAttention
/// @notice Causal attention of one position over a block's key/value entries (SPEC.md §7.3 step 3), bit-exact with
///         the C# engine.
/// @dev Entries are in memory as the verifier hashed them: entry s = K[s] ‖ V[s], each kvDim big-endian int32, at
///      `entries + s · 8 · kvDim`. A 32-byte word holds eight int32 lanes of one head; both inner loops are SIMD
///      within a register on such words:
///
///      - Lane values are made non-negative by flipping their sign bits (u = v + 2^31 ∈ [0, 2^32)). Masking every
///        other 32-bit lane gives four u in 64-bit lanes.
///      - Scores: q·K is one `mul` per four lanes against q in reversed 64-bit lanes; the top lane holds the
///        four-term sum (< 2^61 with the clamp), the cross terms below it are rounded away, and Σ q · 2^31 is
///        subtracted once per head. The clamp of K to ±(2^26 − 1) is the identity when every lane is within
///        [−2^25, 2^25): bits 25..31 of each lane agree, which `(k ^ (k << 1)) & 0xfc000000…` tests for all eight
///        lanes at once; otherwise the word takes the per-lane path.
///      - Values: Σ_s w_s · u_s accumulates lane-wise (w_s ≤ 2^16, u < 2^32, at most 2^15 positions: < 2^63 per
///        64-bit lane, no carry between lanes) and Σ_s w_s · 2^31 is subtracted at the end.
///
///      Lanes past the head's end (a head size that is not a multiple of 8) read neighbouring bytes: their q lanes
///      are zero, the clamp test ignores them, and their value lanes are never read back.
library LibAttention {
    /// @notice Shape of the step and where its inputs are.
    struct Params {
        uint256 heads;
        uint256 headSize;
        uint256 group; // query heads per key/value head
        uint256 kvDim;
        uint256 positions; // t + 1: entries 0..t, the last being this position's own key and value
        uint256 entries; // memory pointer to entry 0
        uint256 invSqrt; // ISQRT of the config blob
        uint256 expHi; // calldata offset of EXP2_HI
        uint256 expLo; // calldata offset of EXP2_LO
    }

    /// @notice The attention output (dim values, Q16) for the rotated queries `_q`.
    function attend(int256[] memory _q, Params memory _p) internal pure returns (int256[] memory out_) {
        out_ = new int256[](_q.length);
        uint256 hs = _p.headSize;
        uint256 words = (hs + 7) / 8;
        // Frame (one word each): 0 hs, 1 words, 2 bias, 3 invSqrt, 4 entry size, 5 positions, 6 q words, 7 clamped q,
        // 8 scores, 9 accumulators, 10 expHi, 11 expLo.
        uint256 frame;
        assembly ("memory-safe") {
            frame := mload(0x40)
            let qw := add(frame, 0x180)
            let qc := add(qw, mul(words, 0x60))
            let sc := add(qc, shl(5, hs))
            let acc := add(sc, shl(5, mload(add(_p, 0x80))))
            mstore(0x40, add(acc, shl(6, words)))
            mstore(frame, hs)
            mstore(add(frame, 0x20), words)
            mstore(add(frame, 0x60), mload(add(_p, 0xc0)))
            mstore(add(frame, 0x80), shl(3, mload(add(_p, 0x60))))
            mstore(add(frame, 0xa0), mload(add(_p, 0x80)))
            mstore(add(frame, 0xc0), qw)
            mstore(add(frame, 0xe0), qc)
            mstore(add(frame, 0x100), sc)
            mstore(add(frame, 0x120), acc)
            mstore(add(frame, 0x140), mload(add(_p, 0xe0)))
            mstore(add(frame, 0x160), mload(add(_p, 0x100)))
        }
        uint256 heads = _p.heads;
        for (uint256 h; h < heads; ++h) {
            // Query head h reads key/value head h / group.
            uint256 kvOffset = 4 * hs * (h / _p.group);
            _head(frame, _q, out_, h * hs, _p.entries + kvOffset, _p.entries + 4 * _p.kvDim + kvOffset);
        }
    }

    /// @dev One query head: scores, softmax weights, weighted sum of values into `_out[_first.._first + hs)`. One
    ///      assembly block, because Yul helper functions cannot be shared between blocks.
    // solhint-disable-next-line function-max-lines
    function _head(
        uint256 _frame,
        int256[] memory _q,
        int256[] memory _out,
        uint256 _first,
        uint256 _keys,
        uint256 _values
    ) private pure {
        assembly ("memory-safe") {
            function clampK(v) -> r {
                r := v
                if sgt(v, 0x3ffffff) { r := 0x3ffffff }
                if slt(add(v, 0x3ffffff), 0) { r := sub(0, 0x3ffffff) }
            }

            // exp_q30(−v) for v ≥ 0 (SPEC.md §4, as LibFixedPoint.expQ30), tables at calldata offsets hi and lo.
            function expNeg(v, hi, lo) -> r {
                switch v
                case 0 { r := 0x40000000 }
                default {
                    if lt(v, 0x400000) {
                        // v < 2^22 and LOG2E < 2^31; u ≥ 0.
                        let u := shr(30, add(mul(v, 1549082005), 0x20000000))
                        let z := shr(16, u)
                        if lt(z, 31) {
                            let f := and(u, 0xffff)
                            let a := signextend(3, shr(224, calldataload(add(hi, shl(2, shr(8, f))))))
                            let b := signextend(3, shr(224, calldataload(add(lo, shl(2, and(f, 0xff))))))
                            r := sar(30, add(mul(a, b), 0x20000000))
                            if z { r := sar(z, add(r, shl(sub(z, 1), 1))) }
                        }
                    }
                }
            }

            // Clamps this head's queries, lays them out in reversed 64-bit lanes (odd lanes, even lanes, clamp-test
            // mask per word) and returns 2^31 · Σ q.
            function prepare(frame, q) -> bias {
                let hs := mload(frame)
                let words := mload(add(frame, 0x20))
                let qw := mload(add(frame, 0xc0))
                let qc := mload(add(frame, 0xe0))
                calldatacopy(qw, calldatasize(), mul(words, 0x60))
                calldatacopy(mload(add(frame, 0x120)), calldatasize(), shl(6, words))
                let sum := 0
                for { let d := 0 } lt(d, hs) { d := add(d, 1) } {
                    let v := mload(add(q, shl(5, d)))
                    if sgt(v, 0x3ffffff) { v := 0x3ffffff }
                    if slt(add(v, 0x3ffffff), 0) { v := sub(0, 0x3ffffff) }
                    mstore(add(qc, shl(5, d)), v)
                    sum := add(sum, v)
                    let j := and(d, 7)
                    let slot := add(qw, mul(shr(3, d), 0x60))
                    // Lane j of a key word pairs with 64-bit lane j / 2 of the odd (j odd) or even (j even) q word.
                    let to := add(slot, shl(5, iszero(and(j, 1))))
                    mstore(to, add(mload(to), shl(shl(6, shr(1, j)), v)))
                    let mask := add(slot, 0x40)
                    mstore(mask, or(mload(mask), shl(shl(5, sub(7, j)), 0xfc000000)))
                }
                bias := shl(31, sum)
            }

            // Σ (clamp(k_j) + 2^31) · q_j over the lanes of key word `w` that belong to the head.
            function slowDot(frame, kw, w) -> acc {
                let n := sub(mload(frame), shl(3, w))
                if gt(n, 8) { n := 8 }
                let qc := add(mload(add(frame, 0xe0)), shl(8, w))
                for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                    let v := clampK(signextend(3, shr(sub(224, shl(5, j)), kw)))
                    acc := add(acc, mul(add(v, 0x80000000), mload(add(qc, shl(5, j)))))
                }
            }

            // q·K + 2^31 · Σ q over the words of one key, each by one of the two paths.
            function keyDot(frame, ent) -> dot {
                let words := mload(add(frame, 0x20))
                let qw := mload(add(frame, 0xc0))
                for { let w := 0 } lt(w, words) { w := add(w, 1) } {
                    let kw := mload(add(ent, shl(5, w)))
                    let slot := add(qw, mul(w, 0x60))
                    switch and(xor(kw, shl(1, kw)), mload(add(slot, 0x40)))
                    case 0 {
                        // u = k + 2^31 in each 32-bit lane; odd lanes, then even lanes, as four 64-bit lanes each.
                        let kx := xor(kw, mload(0))
                        let t :=
                            add(
                                mul(and(kx, mload(0x20)), mload(slot)),
                                mul(and(shr(32, kx), mload(0x20)), mload(add(slot, 0x20)))
                            )
                        // Top 64-bit lane: 8 terms u · q < 2^58, sum < 2^61; the cross terms below are under 2^190.
                        dot := add(dot, sar(192, add(t, shl(191, 1))))
                    }
                    default { dot := add(dot, slowDot(frame, kw, w)) }
                }
            }

            // Pass 1: score_s = rshr(rshr(q·K[s], 16) · ISQRT, 16) for every s, into the scores; returns the max.
            function scores(frame, ent) -> mx {
                let stride := mload(add(frame, 0x80))
                let end := add(ent, mul(mload(add(frame, 0xa0)), stride))
                let sc := mload(add(frame, 0x100))
                let bias := mload(add(frame, 0x40))
                let isq := mload(add(frame, 0x60))
                mx := shl(255, 1)
                for {} lt(ent, end) { ent := add(ent, stride) } {
                    // |q·K| ≤ hs · 2^52; ISQRT < 2^31.
                    let score := sar(16, add(mul(sar(16, add(sub(keyDot(frame, ent), bias), 0x8000)), isq), 0x8000))
                    mstore(sc, score)
                    sc := add(sc, 0x20)
                    if sgt(score, mx) { mx := score }
                }
            }

            // acc += ws · (V + 2^31), lane-wise, over the words of one value.
            function accumulate(frame, ent, ws) {
                let words := mload(add(frame, 0x20))
                let acc := mload(add(frame, 0x120))
                for { let w := 0 } lt(w, words) { w := add(w, 1) } {
                    let vx := xor(mload(add(ent, shl(5, w))), mload(0))
                    let low := mload(0x20)
                    let a := add(acc, shl(6, w))
                    mstore(a, add(mload(a), mul(ws, and(vx, low))))
                    let b := add(a, 0x20)
                    mstore(b, add(mload(b), mul(ws, and(shr(32, vx), low))))
                }
            }

            // Pass 2: w_s = rshr(exp(score_s − max), 14); accumulates w_s · (V[s] + 2^31); returns Σ w_s.
            function values(frame, ent, mx) -> total {
                let stride := mload(add(frame, 0x80))
                let end := add(ent, mul(mload(add(frame, 0xa0)), stride))
                let sc := mload(add(frame, 0x100))
                let hi := mload(add(frame, 0x140))
                let lo := mload(add(frame, 0x160))
                for {} lt(ent, end) {
                    ent := add(ent, stride)
                    sc := add(sc, 0x20)
                } {
                    let ws := sar(14, add(expNeg(sub(mx, mload(sc)), hi, lo), 0x2000))
                    if ws {
                        total := add(total, ws)
                        accumulate(frame, ent, ws)
                    }
                }
            }

            // Pass 1 when the head fits one word (hs ≤ 8): as scores, without the word loop.
            function scores1(frame, ent) -> mx {
                let stride := mload(add(frame, 0x80))
                let end := add(ent, mul(mload(add(frame, 0xa0)), stride))
                let sc := mload(add(frame, 0x100))
                let qw := mload(add(frame, 0xc0))
                let isq := mload(add(frame, 0x60))
                mx := shl(255, 1)
                for {} lt(ent, end) {
                    ent := add(ent, stride)
                    sc := add(sc, 0x20)
                } {
                    let kw := mload(ent)
                    let dot := 0
                    switch and(xor(kw, shl(1, kw)), mload(add(qw, 0x40)))
                    case 0 {
                        let kx := xor(kw, mload(0))
                        dot := sar(
                            192,
                            add(
                                add(
                                    mul(and(kx, mload(0x20)), mload(qw)),
                                    mul(and(shr(32, kx), mload(0x20)), mload(add(qw, 0x20)))
                                ),
                                shl(191, 1)
                            )
                        )
                    }
                    default { dot := slowDot(frame, kw, 0) }
                    let score := sar(16, add(mul(sar(16, add(sub(dot, mload(add(frame, 0x40))), 0x8000)), isq), 0x8000))
                    mstore(sc, score)
                    if sgt(score, mx) { mx := score }
                }
            }

            // Pass 2 when the head fits one word: as values, with the two accumulators on the stack.
            function values1(frame, ent, mx) -> total {
                let stride := mload(add(frame, 0x80))
                let end := add(ent, mul(mload(add(frame, 0xa0)), stride))
                let sc := mload(add(frame, 0x100))
                let odd := 0
                let even := 0
                for {} lt(ent, end) {
                    ent := add(ent, stride)
                    sc := add(sc, 0x20)
                } {
                    let ws :=
                        sar(
                            14,
                            add(expNeg(sub(mx, mload(sc)), mload(add(frame, 0x140)), mload(add(frame, 0x160))), 0x2000)
                        )
                    if ws {
                        total := add(total, ws)
                        let vx := xor(mload(ent), mload(0))
                        odd := add(odd, mul(ws, and(vx, mload(0x20))))
                        even := add(even, mul(ws, and(shr(32, vx), mload(0x20))))
                    }
                }
                let acc := mload(add(frame, 0x120))
                mstore(acc, odd)
                mstore(add(acc, 0x20), even)
            }

            // Scratch memory holds the two lane masks for the inner loops (cheaper than code-copied constants):
            // 0x00 flips the sign bit of each 32-bit lane, 0x20 keeps the low 32 bits of each 64-bit lane.
            mstore(0x00, 0x8000000080000000800000008000000080000000800000008000000080000000)
            mstore(0x20, 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
            mstore(add(_frame, 0x40), prepare(_frame, add(add(_q, 0x20), shl(5, _first))))
            let total := 0
            switch mload(add(_frame, 0x20))
            case 1 { total := values1(_frame, _values, scores1(_frame, _keys)) }
            default { total := values(_frame, _values, scores(_frame, _keys)) }
            // W ≥ 2^16 (the maximum's weight), so inv ≤ 2^30; |Σ w · v| ≤ 2^62.
            let inv := div(shl(46, 1), total)
            let offset := shl(31, total)
            let acc := mload(add(_frame, 0x120))
            let dst := add(add(_out, 0x20), shl(5, _first))
            let hs := mload(_frame)
            for { let d := 0 } lt(d, hs) { d := add(d, 1) } {
                let j := and(d, 7)
                let odd := and(j, 1)
                // Lane j sits in 64-bit lane (7 − j) / 2 of the odd accumulator or (6 − j) / 2 of the even one.
                let word := mload(add(add(acc, shl(6, shr(3, d))), shl(5, iszero(odd))))
                let lane := shr(1, sub(sub(7, iszero(odd)), j))
                let sum := sub(and(shr(shl(6, lane), word), 0xffffffffffffffff), offset)
                let r := sar(46, add(mul(sum, inv), shl(45, 1)))
                if sgt(r, 0x7fffffff) { r := 0x7fffffff }
                if slt(add(r, 0x7fffffff), 0) { r := sub(0, 0x7fffffff) }
                mstore(add(dst, shl(5, d)), r)
            }
        }
    }
}
