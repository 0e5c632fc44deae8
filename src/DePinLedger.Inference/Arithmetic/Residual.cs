using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>The residual connection x ← sat32(x + delta) (SPEC.md §7.3).</summary>
public static class Residual
{
    /// <summary>x ← sat32(x + delta), on the AVX-512 path when <paramref name="vector"/> (and supported); both paths give the same bits.</summary>
    public static void Add(Span<int> x, ReadOnlySpan<int> delta, bool vector)
    {
        if (delta.Length < x.Length) throw new ArgumentException("residual operands differ in length");
        int i = 0;
        if (vector && Avx512F.IsSupported)
        {
            ref int xr = ref MemoryMarshal.GetReference(x);
            ref int dr = ref MemoryMarshal.GetReference(delta);
            Vector512<long> max = Vector512.Create((long)FixedPoint.ActivationMax), min = -max;
            for (; i + 8 <= x.Length; i += 8)
            {
                Vector512<long> sum = Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref xr, (nuint)i))
                    + Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref dr, (nuint)i));
                Avx512F.ConvertToVector256Int32(Vector512.Min(Vector512.Max(sum, min), max)).StoreUnsafe(ref xr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) x[i] = FixedPoint.Sat32((long)x[i] + delta[i]);
    }
}
