using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>Integer RMSNorm (SPEC.md §5).</summary>
public static class RmsNorm
{
    /// <summary>Whether this machine runs the AVX-512 path (it gives the same bits as the scalar one).</summary>
    public static bool VectorSupported => Avx512DQ.IsSupported;

    /// <summary>
    /// out[i] = sat32(rshr(rshr(x[i] · floor(2^48 / isqrt(floor(Σx²/n) + ε)), 32) · gain[i], 16)).
    /// </summary>
    public static void Apply(ReadOnlySpan<int> x, ReadOnlySpan<int> gain, long epsilonQ32, Span<int> output) =>
        Apply(x, gain, epsilonQ32, output, VectorSupported);

    /// <summary>As <see cref="Apply(ReadOnlySpan{int}, ReadOnlySpan{int}, long, Span{int})"/>, on the AVX-512 path when <paramref name="vector"/> (and supported).</summary>
    public static void Apply(ReadOnlySpan<int> x, ReadOnlySpan<int> gain, long epsilonQ32, Span<int> output, bool vector)
    {
        if (gain.Length != x.Length || output.Length < x.Length) throw new ArgumentException("RMSNorm operands differ in length");
        vector &= VectorSupported;
        int i = 0;
        UInt128 sumSquares = vector ? SumSquares512(x, out i) : 0;
        for (; i < x.Length; i++) sumSquares += (ulong)((long)x[i] * x[i]);
        ulong meanSquare = (ulong)(sumSquares / (ulong)x.Length) + (ulong)epsilonQ32;
        long rms = (long)FixedPoint.Isqrt(meanSquare);
        long inverse = (1L << 48) / rms;
        int j = vector ? Scale512(x, gain, inverse, output) : 0;
        for (; j < x.Length; j++)
        {
            long normalized = FixedPoint.Rshr(x[j] * inverse, 32);
            output[j] = FixedPoint.Sat32(FixedPoint.Rshr(normalized * gain[j], 16));
        }
    }

    // Σx² exactly: each square (< 2^62) is split into its high and low 32 bits, summed apart in int64 lanes (neither
    // sum can overflow below 2^31 elements) and joined in 128 bits. Stops at a multiple of 8; returns where in next.
    private static UInt128 SumSquares512(ReadOnlySpan<int> x, out int next)
    {
        ref int xr = ref MemoryMarshal.GetReference(x);
        Vector512<ulong> high = Vector512<ulong>.Zero, low = Vector512<ulong>.Zero, mask = Vector512.Create(0xFFFF_FFFFUL);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            Vector512<long> v = Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref xr, (nuint)i));
            Vector512<ulong> square = Avx512DQ.MultiplyLow(v, v).AsUInt64();
            high += Vector512.ShiftRightLogical(square, 32);
            low += square & mask;
        }
        next = i;
        return ((UInt128)Vector512.Sum(high) << 32) + Vector512.Sum(low);
    }

    // The output loop eight lanes at a time, in int64 exactly as the scalar loop; returns where it stopped.
    private static int Scale512(ReadOnlySpan<int> x, ReadOnlySpan<int> gain, long inverse, Span<int> output)
    {
        ref int xr = ref MemoryMarshal.GetReference(x);
        ref int gr = ref MemoryMarshal.GetReference(gain);
        ref int or = ref MemoryMarshal.GetReference(output);
        Vector512<long> scale = Vector512.Create(inverse), half32 = Vector512.Create(1L << 31), half16 = Vector512.Create(1L << 15);
        Vector512<long> max = Vector512.Create((long)FixedPoint.ActivationMax), min = -max;
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            Vector512<long> v = Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref xr, (nuint)i));
            Vector512<long> g = Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref gr, (nuint)i));
            Vector512<long> normalized = Vector512.ShiftRightArithmetic(Avx512DQ.MultiplyLow(v, scale) + half32, 32);
            Vector512<long> scaled = Vector512.ShiftRightArithmetic(Avx512DQ.MultiplyLow(normalized, g) + half16, 16);
            Avx512F.ConvertToVector256Int32(Vector512.Min(Vector512.Max(scaled, min), max)).StoreUnsafe(ref or, (nuint)i);
        }
        return i;
    }
}
