using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>
/// The two inner loops of attention (SPEC.md §7.3): clamped q·k dot products and the weighted sum of
/// values. Every product and sum is exact in int64, so the vector and scalar paths agree bit for bit.
/// </summary>
public static class AttentionKernels
{
    public static bool VectorSupported => Avx512DQ.IsSupported;

    /// <summary>Σ_d clampedQ[d] · clamp(key[d]); <paramref name="clampedQ"/> is already clamped.</summary>
    public static long ClampedDot(ReadOnlySpan<long> clampedQ, ReadOnlySpan<int> key, bool vector)
    {
        int n = clampedQ.Length, d = 0;
        long sum = 0;
        if (vector && n >= 8)
        {
            var lo = Vector512.Create(-FixedPoint.AttentionClamp);
            var hi = Vector512.Create(FixedPoint.AttentionClamp);
            ref long qr = ref MemoryMarshal.GetReference(clampedQ);
            ref int kr = ref MemoryMarshal.GetReference(key);
            Vector512<long> acc = Vector512<long>.Zero;
            for (; d + 8 <= n; d += 8)
            {
                Vector512<long> k = Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref kr, (nuint)d));
                k = Vector512.Min(Vector512.Max(k, lo), hi);
                acc += Avx512DQ.MultiplyLow(k, Vector512.LoadUnsafe(ref qr, (nuint)d));
            }
            sum = Vector512.Sum(acc);
        }
        for (; d < n; d++) sum += clampedQ[d] * Math.Clamp(key[d], -FixedPoint.AttentionClamp, FixedPoint.AttentionClamp);
        return sum;
    }

    /// <summary>accumulator[d] += weight · value[d].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<long> accumulator, long weight, ReadOnlySpan<int> value, bool vector)
    {
        int n = accumulator.Length, d = 0;
        if (vector && n >= 8)
        {
            var w = Vector512.Create(weight);
            ref long ar = ref MemoryMarshal.GetReference(accumulator);
            ref int vr = ref MemoryMarshal.GetReference(value);
            for (; d + 8 <= n; d += 8)
            {
                Vector512<long> v = Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref vr, (nuint)d));
                (Vector512.LoadUnsafe(ref ar, (nuint)d) + Avx512DQ.MultiplyLow(v, w)).StoreUnsafe(ref ar, (nuint)d);
            }
        }
        for (; d < n; d++) accumulator[d] += weight * value[d];
    }
}
