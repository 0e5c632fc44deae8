namespace DePinLedger.Inference.Arithmetic;

/// <summary>
/// The integer primitives of the arithmetic specification (SPEC.md §2). Every value the forward pass
/// produces goes through these; the on-chain verifier implements the same functions.
/// </summary>
public static class FixedPoint
{
    /// <summary>Fractional bits of activations: a real value v is stored as round(v · 2^16) in an int32.</summary>
    public const int ActivationBits = 16;

    /// <summary>Largest activation magnitude; the range is symmetric so that |x| never overflows.</summary>
    public const int ActivationMax = int.MaxValue;

    /// <summary>Q30 one: exp, sigmoid and rotary tables are Q30.</summary>
    public const long OneQ30 = 1L << 30;

    /// <summary>Activation quantization levels for the matrix kernels (int16, symmetric).</summary>
    public const int ActivationLevels = 32767;

    /// <summary>Weight quantization levels (int8, symmetric).</summary>
    public const int WeightLevels = 127;

    /// <summary>Shift of the per-row weight multipliers (SPEC.md §3).</summary>
    public const int MultiplierShift = 48;

    /// <summary>q and k are clamped to this magnitude inside the attention dot product only (SPEC.md §5).</summary>
    public const long AttentionClamp = (1L << 26) - 1;

    /// <summary>exp of anything at or below -64.0 is zero (SPEC.md §4).</summary>
    public const long ExpCutoff = 64L << ActivationBits;

    /// <summary>round(log2(e) · 2^30).</summary>
    public const long Log2EQ30 = 1549082005;

    /// <summary>The one rounding rule: shift right by <paramref name="shift"/> ≥ 1, rounding half toward +∞.</summary>
    public static long Rshr(long value, int shift) => (value + (1L << (shift - 1))) >> shift;

    /// <summary>The rounding rule on 128-bit intermediates.</summary>
    public static Int128 Rshr(Int128 value, int shift) => (value + (Int128.One << (shift - 1))) >> shift;

    /// <summary>Clamps to the symmetric int32 activation range.</summary>
    public static int Sat32(long value) =>
        value > ActivationMax ? ActivationMax : value < -ActivationMax ? -ActivationMax : (int)value;

    /// <summary>Clamps a 128-bit value to the symmetric int32 activation range.</summary>
    public static int Sat32(Int128 value) =>
        value > ActivationMax ? ActivationMax : value < -ActivationMax ? -ActivationMax : (int)value;

    /// <summary>floor(sqrt(n)) exactly, for any 64-bit unsigned n.</summary>
    public static ulong Isqrt(ulong n)
    {
        if (n < 2) return n;
        // Newton from an over-estimate decreases monotonically to floor(sqrt(n)).
        int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(n);
        ulong x = 1UL << ((bits + 1) / 2);
        while (true)
        {
            ulong y = (x + n / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    /// <summary>
    /// exp(d) in Q30 for d ≤ 0 given in Q16 (SPEC.md §4): base-2 split, two 256-entry tables.
    /// </summary>
    public static long ExpQ30(long d, ReadOnlySpan<int> exp2High, ReadOnlySpan<int> exp2Low)
    {
        long v = -d;
        if (v <= 0) return OneQ30;
        if (v >= ExpCutoff) return 0;
        long u = Rshr(v * Log2EQ30, 30);
        long z = u >> ActivationBits;
        if (z >= 31) return 0;
        int f = (int)(u & 0xFFFF);
        long t = Rshr((long)exp2High[f >> 8] * exp2Low[f & 0xFF], 30);
        return z == 0 ? t : Rshr(t, (int)z);
    }

    /// <summary>silu(x) = x · sigmoid(x), x and result in Q16 (SPEC.md §6).</summary>
    public static int Silu(int x, ReadOnlySpan<int> exp2High, ReadOnlySpan<int> exp2Low)
    {
        long e = ExpQ30(-Math.Abs((long)x), exp2High, exp2Low);
        long positive = (1L << 60) / (OneQ30 + e);
        long sigmoid = x >= 0 ? positive : OneQ30 - positive;
        return Sat32(Rshr(x * sigmoid, 30));
    }
}
