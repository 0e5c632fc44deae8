// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// The kernels are inline assembly by design (calldata read in place, SIMD within a register).
/* solhint-disable no-inline-assembly */

/// @title LibFixedPoint
/// @notice The integer arithmetic of SPEC.md §2–§7 on the EVM's 256-bit words, bit-exact with the C# engine.
/// @dev Activations are Q16 in int32, held as one int256 word each in memory; weights, gains and tables are read in
///      place from calldata. Every intermediate the spec holds in 64 or 128 bits is exact in 256 bits, so nothing
///      here can wrap: each product below is bounded in a comment. The one rounding rule
///      `rshr(v, s) = (v + 2^(s−1)) >> s` is `sar(s, add(v, 2^(s−1)))`; the only divisions are floor divisions
///      of non-negative numbers by positive ones (`div`).
///
///      The matrix kernel is SIMD within a register. A calldata word holds 32 int8 weights of one row; masking
///      every fourth byte gives eight weights in 32-bit lanes, biased to 0..255 by flipping their sign bits. The
///      matching eight activations sit in the lanes of a precomputed word in reverse order, so one 256-bit `mul`
///      puts their eight-term dot product in the top lane (polynomial multiplication; the lower lanes are
///      cross terms and the higher ones fall off the word). Four such products cover the 32 bytes.
library LibFixedPoint {
    /// @notice One activation vector quantized to int16 (SPEC.md §3) and laid out for the matrix kernel.
    /// @dev `packed` points at 4 words per 32 columns: word 4j+p holds xq[32j + 4i + 3 − p] in 32-bit lane i
    ///      (i = 0..7, lane 0 least significant), so that it pairs with the weight word shifted right by p bytes.
    ///      Columns past the end are zero, which makes bytes read past a row's end harmless.
    struct Quantized {
        uint256 amax; // max |x|; 0 means every product is 0
        int256 bias; // 128 · Σ xq: the weights are biased by +128 in the kernel
        uint256 chunks; // ⌈cols / 32⌉
        uint256 packed; // memory pointer to 4 · chunks words
    }

    /// @notice A quantized matrix in calldata: row r's int8 weights at `weights + r · rowStride`, its int64
    ///         multiplier at `multipliers + r · multiplierStride`.
    struct Matrix {
        uint256 weights;
        uint256 rowStride;
        uint256 multipliers;
        uint256 multiplierStride;
        uint256 rows;
    }

    /// @notice floor(sqrt(n)) (SPEC.md §2).
    function isqrt(uint256 _n) internal pure returns (uint256 r_) {
        if (_n < 2) return _n;
        assembly ("memory-safe") {
            // b = floor(log2 n) by binary search; start Newton from 2^ceil(bits / 2) ≥ sqrt(n).
            let m := _n
            let b := 0
            if gt(m, 0xffffffffffffffffffffffffffffffff) {
                m := shr(128, m)
                b := 128
            }
            if gt(m, 0xffffffffffffffff) {
                m := shr(64, m)
                b := add(b, 64)
            }
            if gt(m, 0xffffffff) {
                m := shr(32, m)
                b := add(b, 32)
            }
            if gt(m, 0xffff) {
                m := shr(16, m)
                b := add(b, 16)
            }
            if gt(m, 0xff) {
                m := shr(8, m)
                b := add(b, 8)
            }
            if gt(m, 0xf) {
                m := shr(4, m)
                b := add(b, 4)
            }
            if gt(m, 0x3) {
                m := shr(2, m)
                b := add(b, 2)
            }
            if gt(m, 0x1) { b := add(b, 1) }
            let x := shl(shr(1, add(b, 2)), 1)
            // Newton from an over-estimate decreases monotonically to floor(sqrt(n)).
            for {} 1 {} {
                let y := shr(1, add(x, div(_n, x)))
                if iszero(lt(y, x)) { break }
                x := y
            }
            r_ := x
        }
    }

    /// @notice exp(d) in Q30 for d ≤ 0 in Q16 (SPEC.md §4), with the tables at calldata offsets `_hi` and `_lo`.
    function expQ30(int256 _d, uint256 _hi, uint256 _lo) internal pure returns (int256 r_) {
        assembly ("memory-safe") {
            let v := sub(0, _d)
            // v ≤ 0 → 1.0; v ≥ 64.0 → 0.
            switch slt(v, 1)
            case 1 { r_ := 0x40000000 }
            default {
                if slt(v, 0x400000) {
                    // u = rshr(v · LOG2E, 30): v < 2^22, LOG2E < 2^31.
                    let u := sar(30, add(mul(v, 1549082005), 0x20000000))
                    let z := shr(16, u)
                    if lt(z, 31) {
                        let f := and(u, 0xffff)
                        let hi := signextend(3, shr(224, calldataload(add(_hi, shl(2, shr(8, f))))))
                        let lo := signextend(3, shr(224, calldataload(add(_lo, shl(2, and(f, 0xff))))))
                        // Two int32 table entries: the product is below 2^62.
                        let t := sar(30, add(mul(hi, lo), 0x20000000))
                        r_ := t
                        if z { r_ := sar(z, add(t, shl(sub(z, 1), 1))) }
                    }
                }
            }
        }
    }

    /// @notice RMSNorm (SPEC.md §5) of `_x` with the int32 gains at calldata offset `_gains`.
    function rmsNorm(int256[] memory _x, uint256 _gains, uint256 _eps) internal pure returns (int256[] memory out_) {
        uint256 n = _x.length;
        uint256 ss;
        assembly ("memory-safe") {
            let src := add(_x, 0x20)
            // Σ x² ≤ 2^14 · 2^62 for dim ≤ 2^14: no wrap.
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let v := mload(add(src, shl(5, i)))
                ss := add(ss, mul(v, v))
            }
        }
        uint256 inv = (1 << 48) / isqrt(ss / n + _eps);
        out_ = new int256[](n);
        assembly ("memory-safe") {
            let src := add(_x, 0x20)
            let dst := add(out_, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let g := signextend(3, shr(224, calldataload(add(_gains, shl(2, i)))))
                // rms ≥ 1 (EPS ≥ 1), so |x · inv| ≤ 2^31 · 2^48 and the normalized value times an int32 gain is
                // below 2^110: far inside 256 bits (the spec bounds both within int64 for the committed EPS).
                let r := sar(16, add(mul(sar(32, add(mul(mload(add(src, shl(5, i))), inv), 0x80000000)), g), 0x8000))
                if sgt(r, 0x7fffffff) { r := 0x7fffffff }
                if slt(add(r, 0x7fffffff), 0) { r := sub(0, 0x7fffffff) }
                mstore(add(dst, shl(5, i)), r)
            }
        }
    }

    /// @notice Quantizes `_x` to int16 (SPEC.md §3 steps 1–2) and lays it out for {matVec}.
    function quantize(int256[] memory _x) internal pure returns (Quantized memory q_) {
        uint256 n = _x.length;
        uint256 amax;
        assembly ("memory-safe") {
            let src := add(_x, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let v := mload(add(src, shl(5, i)))
                if slt(v, 0) { v := sub(0, v) }
                if gt(v, amax) { amax := v }
            }
        }
        uint256 chunks = (n + 31) / 32;
        q_.amax = amax;
        q_.chunks = chunks;
        uint256 packed;
        int256 sum;
        assembly ("memory-safe") {
            packed := mload(0x40)
            mstore(0x40, add(packed, shl(7, chunks)))
            // Zero the words (copying from past the end of calldata yields zeros).
            calldatacopy(packed, calldatasize(), shl(7, chunks))
            if amax {
                let inv := div(shl(32, 32767), amax)
                let src := add(_x, 0x20)
                for { let c := 0 } lt(c, n) { c := add(c, 1) } {
                    // |x · inv| ≤ 2^31 · 2^47; xq ∈ [−32767, 32767].
                    let xq := sar(32, add(mul(mload(add(src, shl(5, c))), inv), 0x80000000))
                    sum := add(sum, xq)
                    let within := and(c, 31)
                    // Word 4j + p with p = 3 − (c mod 4), lane i = (c mod 32) / 4.
                    let slot := add(packed, shl(5, add(shl(2, shr(5, c)), sub(3, and(within, 3)))))
                    // A negative xq adds its two's complement: the word is Σ xq · 2^(32i) mod 2^256, which is what
                    // the kernel's modular multiplication needs.
                    mstore(slot, add(mload(slot), shl(shl(3, and(within, 0x1c)), xq)))
                }
            }
        }
        q_.packed = packed;
        q_.bias = 128 * sum;
    }

    /// @notice `_y[r] = sat32(rshr(acc_r · amax · M_r, 48))` for every row r of `_m` (SPEC.md §3 steps 3–4).
    // solhint-disable-next-line function-max-lines
    function matVec(Quantized memory _q, Matrix memory _m, int256[] memory _y) internal pure {
        assembly ("memory-safe") {
            // Σ over the row's 32-byte chunks of the SWAR dot product with the packed activations. The two masks
            // are in scratch memory (0x00: the byte sign bits, 0x20: one byte per 32-bit lane): loading a word
            // there is cheaper than the optimizer's code-copied 32-byte constants.
            function rowDot(row, xp, chunks) -> acc {
                for { let end := add(row, shl(5, chunks)) } lt(row, end) {
                    row := add(row, 0x20)
                    xp := add(xp, 0x80)
                } {
                    // 32 weights b, biased: b' = b + 128 ∈ [0, 255] (the sign bit flipped).
                    let w := xor(calldataload(row), mload(0))
                    let lanes := mload(0x20)
                    // Each product's top lane is Σ of 8 terms b' · xq, |·| < 2^23, so the four summed stay below
                    // 2^28; every lower lane is a sum of fewer such terms, so the part of t below the top lane is
                    // under 2^221 in magnitude and rounding it away (add 2^223, sar 224) leaves the top lane exactly.
                    let t := mul(and(w, lanes), mload(xp))
                    t := add(t, mul(and(shr(8, w), lanes), mload(add(xp, 0x20))))
                    t := add(t, mul(and(shr(16, w), lanes), mload(add(xp, 0x40))))
                    t := add(t, mul(and(shr(24, w), lanes), mload(add(xp, 0x60))))
                    acc := add(acc, sar(224, add(t, shl(223, 1))))
                }
            }

            let amax := mload(_q)
            let out := add(_y, 0x20)
            let end := add(out, shl(5, mload(add(_m, 0x80))))
            switch amax
            case 0 { for {} lt(out, end) { out := add(out, 0x20) } { mstore(out, 0) } }
            default {
                mstore(0x00, 0x8080808080808080808080808080808080808080808080808080808080808080)
                mstore(0x20, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                let bias := mload(add(_q, 0x20))
                let chunks := mload(add(_q, 0x40))
                let packed := mload(add(_q, 0x60))
                let row := mload(_m)
                let stride := mload(add(_m, 0x20))
                let mp := mload(add(_m, 0x40))
                let mStride := mload(add(_m, 0x60))
                for {} lt(out, end) {
                    out := add(out, 0x20)
                    row := add(row, stride)
                    mp := add(mp, mStride)
                } {
                    // Σ b · xq = Σ b' · xq − 128 · Σ xq; |acc| ≤ cols · 127 · 32767 < 2^38.
                    let acc := sub(rowDot(row, packed, chunks), bias)
                    // |acc · amax · M| < 2^38 · 2^31 · 2^63 = 2^132.
                    let v :=
                        sar(48, add(mul(acc, mul(amax, signextend(7, shr(192, calldataload(mp))))), 0x800000000000))
                    if sgt(v, 0x7fffffff) { v := 0x7fffffff }
                    if slt(add(v, 0x7fffffff), 0) { v := sub(0, 0x7fffffff) }
                    mstore(out, v)
                }
            }
        }
    }

    /// @notice A layer-blob matrix: `_rows × _cols` int8 weights at `_at`, then the multipliers.
    function layerMatrix(uint256 _at, uint256 _rows, uint256 _cols) internal pure returns (Matrix memory m_) {
        m_ = Matrix({
            weights: _at, rowStride: _cols, multipliers: _at + _rows * _cols, multiplierStride: 8, rows: _rows
        });
    }

    /// @notice Rotary embedding (SPEC.md §7.2) of every head of `_v` in place, with the rotary row (COS ‖ SIN) at
    ///         calldata offset `_row`.
    function rotate(int256[] memory _v, uint256 _headSize, uint256 _row) internal pure {
        uint256 n = _v.length;
        assembly ("memory-safe") {
            let half := shr(1, _headSize)
            let base := add(_v, 0x20)
            for { let head := 0 } lt(head, n) { head := add(head, _headSize) } {
                for { let i := 0 } lt(i, half) { i := add(i, 1) } {
                    let c := signextend(3, shr(224, calldataload(add(_row, shl(2, i)))))
                    let s := signextend(3, shr(224, calldataload(add(_row, shl(2, add(half, i))))))
                    let p0 := add(base, shl(5, add(head, shl(1, i))))
                    let p1 := add(p0, 0x20)
                    let x0 := mload(p0)
                    let x1 := mload(p1)
                    // Two products of int32 values: |·| < 2^63.
                    let r0 := sar(30, add(sub(mul(x0, c), mul(x1, s)), 0x20000000))
                    let r1 := sar(30, add(add(mul(x0, s), mul(x1, c)), 0x20000000))
                    if sgt(r0, 0x7fffffff) { r0 := 0x7fffffff }
                    if slt(add(r0, 0x7fffffff), 0) { r0 := sub(0, 0x7fffffff) }
                    if sgt(r1, 0x7fffffff) { r1 := 0x7fffffff }
                    if slt(add(r1, 0x7fffffff), 0) { r1 := sub(0, 0x7fffffff) }
                    mstore(p0, r0)
                    mstore(p1, r1)
                }
            }
        }
    }

    /// @notice The gate of the feed-forward (SPEC.md §6): `_h1[j] = sat32(rshr(silu(h1_j) · h3_j, 16))`.
    function gate(int256[] memory _h1, int256[] memory _h3, uint256 _hi, uint256 _lo) internal pure {
        uint256 n = _h1.length;
        for (uint256 j; j < n;) {
            int256 x;
            assembly ("memory-safe") {
                x := mload(add(add(_h1, 0x20), shl(5, j)))
            }
            int256 e;
            // Cannot overflow: x is an int32, so −|x| is too; j < n.
            unchecked {
                e = expQ30(x < 0 ? x : -x, _hi, _lo);
                ++j;
            }
            assembly ("memory-safe") {
                // e ∈ [0, 2^30] for the committed tables; s = floor(2^60 / (2^30 + e)) = sigmoid(|x|) in Q30.
                let s := div(shl(60, 1), add(0x40000000, e))
                if slt(x, 0) { s := sub(0x40000000, s) }
                // x and h3 are int32 and 0 ≤ s ≤ 2^30: both products are below 2^62 (the spec's int64).
                let silu := sar(30, add(mul(x, s), 0x20000000))
                if sgt(silu, 0x7fffffff) { silu := 0x7fffffff }
                if slt(add(silu, 0x7fffffff), 0) { silu := sub(0, 0x7fffffff) }
                let slot := add(add(_h1, 0x20), shl(5, sub(j, 1)))
                let r := sar(16, add(mul(silu, mload(add(add(_h3, 0x20), shl(5, sub(j, 1))))), 0x8000))
                if sgt(r, 0x7fffffff) { r := 0x7fffffff }
                if slt(add(r, 0x7fffffff), 0) { r := sub(0, 0x7fffffff) }
                mstore(slot, r)
            }
        }
    }

    /// @notice `_x[i] = sat32(_x[i] + _delta[i])` (the residual connection).
    function addSaturated(int256[] memory _x, int256[] memory _delta) internal pure {
        uint256 n = _x.length;
        assembly ("memory-safe") {
            let a := add(_x, 0x20)
            let b := add(_delta, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let slot := add(a, shl(5, i))
                let v := add(mload(slot), mload(add(b, shl(5, i))))
                if sgt(v, 0x7fffffff) { v := 0x7fffffff }
                if slt(add(v, 0x7fffffff), 0) { v := sub(0, 0x7fffffff) }
                mstore(slot, v)
            }
        }
    }
}
