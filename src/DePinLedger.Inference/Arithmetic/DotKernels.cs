using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>Which instruction set the integer kernels use. Every path returns identical bits.</summary>
public enum KernelPath
{
    /// <summary>The widest the machine supports.</summary>
    Auto,
    Scalar,
    Vector256,
    Vector512,
}

/// <summary>
/// Exact int8 × int16 dot products. Products are summed in int32 lanes for at most
/// <see cref="Chunk"/> elements (each lane then holds at most 2048/16 · 2 · 127 · 32767 &lt; 2^31),
/// then widened to int64, so the result is the exact integer sum whatever the path.
/// </summary>
public static class DotKernels
{
    internal const int Chunk = 2048;

    // Bytes ahead of the four-row read position to prefetch: streaming a large matrix from memory, two
    // prefetches per iteration keep more cache misses in flight than the hardware prefetcher alone.
    private const int PrefetchDistance = 2048;

    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Vector512 => Avx512BW.IsSupported,
        KernelPath.Vector256 => Avx2.IsSupported,
        _ => true,
    };

    /// <summary>The concrete path <paramref name="path"/> resolves to on this machine.</summary>
    public static KernelPath Resolve(KernelPath path)
    {
        if (path == KernelPath.Auto) return Avx512BW.IsSupported ? KernelPath.Vector512 : Avx2.IsSupported ? KernelPath.Vector256 : KernelPath.Scalar;
        if (!IsSupported(path)) throw new PlatformNotSupportedException($"this CPU does not support the {path} kernels");
        return path;
    }

    /// <summary>Σ w[i]·x[i] over the common length, exactly.</summary>
    public static long Dot(ReadOnlySpan<sbyte> w, ReadOnlySpan<short> x, KernelPath path)
    {
        if (w.Length != x.Length) throw new ArgumentException("operands differ in length");
        return path switch
        {
            KernelPath.Vector512 => Dot512(w, x),
            KernelPath.Vector256 => Dot256(w, x),
            _ => DotScalar(w, x, 0),
        };
    }

    internal static long DotScalar(ReadOnlySpan<sbyte> w, ReadOnlySpan<short> x, int start)
    {
        long sum = 0;
        for (int i = start; i < w.Length; i++) sum += w[i] * x[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Dot512(ReadOnlySpan<sbyte> w, ReadOnlySpan<short> x)
    {
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        ref short xr = ref MemoryMarshal.GetReference(x);
        int n = w.Length, i = 0;
        long total = 0;
        while (i + 32 <= n)
        {
            int end = Math.Min(n - 31, i + Chunk);
            Vector512<int> acc0 = Vector512<int>.Zero, acc1 = Vector512<int>.Zero;
            for (; i + 64 <= end + 31; i += 64)
            {
                acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wr, (nuint)i)), Vector512.LoadUnsafe(ref xr, (nuint)i));
                acc1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wr, (nuint)(i + 32))), Vector512.LoadUnsafe(ref xr, (nuint)(i + 32)));
            }
            for (; i < end; i += 32)
                acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wr, (nuint)i)), Vector512.LoadUnsafe(ref xr, (nuint)i));
            total += WidenSum(acc0) + WidenSum(acc1);
        }
        return total + DotScalar(w, x, i);
    }

    /// <summary>
    /// Four consecutive rows of a row-major matrix (row length n) against one vector: the vector is
    /// loaded once for four rows and the four accumulation chains run in parallel.
    /// </summary>
    internal static unsafe void Dot512x4(ReadOnlySpan<sbyte> rows, int n, ReadOnlySpan<short> x, Span<long> results)
    {
        ref sbyte w0 = ref MemoryMarshal.GetReference(rows);
        ref sbyte w1 = ref Unsafe.Add(ref w0, n);
        ref sbyte w2 = ref Unsafe.Add(ref w0, 2 * n);
        ref sbyte w3 = ref Unsafe.Add(ref w0, 3 * n);
        ref short xr = ref MemoryMarshal.GetReference(x);
        long t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        int i = 0;
        while (i + 32 <= n)
        {
            int end = Math.Min(n - 31, i + Chunk);
            Vector512<int> a0 = Vector512<int>.Zero, a1 = Vector512<int>.Zero, a2 = Vector512<int>.Zero, a3 = Vector512<int>.Zero;
            for (; i < end; i += 32)
            {
                // A prefetch never faults, so running past the end of the matrix is harmless.
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref w0, i + PrefetchDistance)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref w2, i + PrefetchDistance)));
                Vector512<short> xv = Vector512.LoadUnsafe(ref xr, (nuint)i);
                a0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w0, (nuint)i)), xv);
                a1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w1, (nuint)i)), xv);
                a2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w2, (nuint)i)), xv);
                a3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w3, (nuint)i)), xv);
            }
            t0 += WidenSum(a0);
            t1 += WidenSum(a1);
            t2 += WidenSum(a2);
            t3 += WidenSum(a3);
        }
        results[0] = t0 + DotScalar(rows.Slice(0, n), x, i);
        results[1] = t1 + DotScalar(rows.Slice(n, n), x, i);
        results[2] = t2 + DotScalar(rows.Slice(2 * n, n), x, i);
        results[3] = t3 + DotScalar(rows.Slice(3 * n, n), x, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Dot256(ReadOnlySpan<sbyte> w, ReadOnlySpan<short> x)
    {
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        ref short xr = ref MemoryMarshal.GetReference(x);
        int n = w.Length, i = 0;
        long total = 0;
        while (i + 16 <= n)
        {
            int end = Math.Min(n - 15, i + Chunk);
            Vector256<int> acc = Vector256<int>.Zero;
            for (; i < end; i += 16)
                acc += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref wr, (nuint)i)), Vector256.LoadUnsafe(ref xr, (nuint)i));
            (Vector256<long> lo, Vector256<long> hi) = Vector256.Widen(acc);
            total += Vector256.Sum(lo + hi);
        }
        return total + DotScalar(w, x, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long WidenSum(Vector512<int> acc)
    {
        (Vector512<long> lo, Vector512<long> hi) = Vector512.Widen(acc);
        return Vector512.Sum(lo + hi);
    }
}
