using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>
/// A Q16 activation vector quantized to symmetric int16 for the matrix kernels (SPEC.md §3):
/// amax = max|x|, q[i] = rshr(x[i] · floor(32767 · 2^32 / amax), 32) ∈ [−32767, 32767].
/// The buffer is reused; quantizing is a pure function of x, so it does not matter how often it runs.
/// </summary>
public sealed class QuantizedActivations(int capacity)
{
    private readonly short[] _values = new short[capacity];

    /// <summary>Whether this machine runs the AVX-512 path (it gives the same bits as the scalar one).</summary>
    public static bool VectorSupported => Avx512DQ.IsSupported && Avx512BW.IsSupported;

    public int Length { get; private set; }

    /// <summary>max|x| of the source vector; 0 means every value and every product is 0.</summary>
    public int Amax { get; private set; }

    public ReadOnlySpan<short> Values => _values.AsSpan(0, Length);

    // Quantizing runs between the parallel products, on one thread, about four times per block: on many cores the
    // scalar loop was the largest serial part of a decode step, hence the vector path.
    public void Quantize(ReadOnlySpan<int> x) => Quantize(x, VectorSupported);

    /// <summary>Quantizes on the AVX-512 path when <paramref name="vector"/> (and supported), otherwise scalar.</summary>
    public void Quantize(ReadOnlySpan<int> x, bool vector)
    {
        if (x.Length > _values.Length) throw new ArgumentException($"vector of {x.Length} exceeds capacity {_values.Length}");
        vector &= VectorSupported;
        Length = x.Length;
        Span<short> q = _values.AsSpan(0, x.Length);
        int amax = vector ? AbsMax512(x) : AbsMaxScalar(x, 0, 0);
        Amax = amax;
        if (amax == 0)
        {
            q.Clear();
            return;
        }
        long inverse = ((long)FixedPoint.ActivationLevels << 32) / amax;
        int i = vector ? Scale512(x, inverse, q) : 0;
        for (; i < x.Length; i++) q[i] = (short)FixedPoint.Rshr(x[i] * inverse, 32);
    }

    // |v| ≤ 2^31−1: activations are symmetric, so Abs never overflows.
    private static int AbsMaxScalar(ReadOnlySpan<int> x, int start, int amax)
    {
        for (int i = start; i < x.Length; i++) amax = Math.Max(amax, Math.Abs(x[i]));
        return amax;
    }

    private static int AbsMax512(ReadOnlySpan<int> x)
    {
        ref int xr = ref MemoryMarshal.GetReference(x);
        Vector512<int> max = Vector512<int>.Zero;
        int i = 0;
        for (; i + 16 <= x.Length; i += 16) max = Vector512.Max(max, Vector512.Abs(Vector512.LoadUnsafe(ref xr, (nuint)i)));
        int amax = 0;
        for (int lane = 0; lane < 16; lane++) amax = Math.Max(amax, max.GetElement(lane));
        return AbsMaxScalar(x, i, amax);
    }

    // q[i] = rshr(x[i] · inverse, 32) sixteen at a time in int64 lanes (|x · inverse| ≤ 32767 · 2^32, exact); returns where it stopped.
    private static int Scale512(ReadOnlySpan<int> x, long inverse, Span<short> q)
    {
        ref int xr = ref MemoryMarshal.GetReference(x);
        ref short qr = ref MemoryMarshal.GetReference(q);
        Vector512<long> scale = Vector512.Create(inverse), half = Vector512.Create(1L << 31);
        int i = 0;
        for (; i + 16 <= x.Length; i += 16)
        {
            (Vector512<long> lo, Vector512<long> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref xr, (nuint)i));
            lo = Vector512.ShiftRightArithmetic(Avx512DQ.MultiplyLow(lo, scale) + half, 32);
            hi = Vector512.ShiftRightArithmetic(Avx512DQ.MultiplyLow(hi, scale) + half, 32);
            Avx512F.ConvertToVector256Int16(Vector512.Narrow(lo, hi)).StoreUnsafe(ref qr, (nuint)i);
        }
        return i;
    }
}
