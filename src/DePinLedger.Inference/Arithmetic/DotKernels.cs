using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DePinLedger.Inference.Model;

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
    /// The four rows of one group of a <see cref="QuantizedMatrix"/> (row length n, the matrix's interleaved layout:
    /// per 32-column chunk the four rows' 32 bytes, then each row's tail) against one vector: the group is read as one
    /// contiguous stream, the vector chunk is loaded once for four rows, and four accumulation chains run in parallel.
    /// </summary>
    internal static void Dot512x4(ReadOnlySpan<sbyte> group, int n, ReadOnlySpan<short> x, Span<long> results)
    {
        ref sbyte g = ref MemoryMarshal.GetReference(group);
        ref short xr = ref MemoryMarshal.GetReference(x);
        int chunks = n / QuantizedMatrix.ChunkCols;
        long t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (int c = 0; c < chunks;)
        {
            int end = Math.Min(chunks, c + Chunk / QuantizedMatrix.ChunkCols);
            Vector512<int> a0 = Vector512<int>.Zero, a1 = Vector512<int>.Zero, a2 = Vector512<int>.Zero, a3 = Vector512<int>.Zero;
            for (; c < end; c++)
            {
                nuint o = (nuint)(c * QuantizedMatrix.GroupRows * QuantizedMatrix.ChunkCols);
                Vector512<short> xv = Vector512.LoadUnsafe(ref xr, (nuint)(c * QuantizedMatrix.ChunkCols));
                a0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref g, o)), xv);
                a1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref g, o + 32)), xv);
                a2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref g, o + 64)), xv);
                a3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref g, o + 96)), xv);
            }
            t0 += WidenSum(a0);
            t1 += WidenSum(a1);
            t2 += WidenSum(a2);
            t3 += WidenSum(a3);
        }
        results[0] = t0 + TailDot(group, 0, n, x);
        results[1] = t1 + TailDot(group, 1, n, x);
        results[2] = t2 + TailDot(group, 2, n, x);
        results[3] = t3 + TailDot(group, 3, n, x);
    }

    /// <summary>Σ over row <paramref name="lane"/> of a group in the interleaved layout (see <see cref="Dot512x4"/>), exactly.</summary>
    internal static long DotInGroup(ReadOnlySpan<sbyte> group, int lane, int n, ReadOnlySpan<short> x, KernelPath path)
    {
        const int stride = QuantizedMatrix.GroupRows * QuantizedMatrix.ChunkCols;
        ref sbyte g = ref Unsafe.Add(ref MemoryMarshal.GetReference(group), lane * QuantizedMatrix.ChunkCols);
        ref short xr = ref MemoryMarshal.GetReference(x);
        int chunks = n / QuantizedMatrix.ChunkCols;
        long total = 0;
        for (int c = 0; c < chunks;)
        {
            int end = Math.Min(chunks, c + Chunk / QuantizedMatrix.ChunkCols);
            switch (path)
            {
                case KernelPath.Vector512:
                {
                    Vector512<int> acc = Vector512<int>.Zero;
                    for (; c < end; c++)
                        acc += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref g, (nuint)(c * stride))), Vector512.LoadUnsafe(ref xr, (nuint)(c * QuantizedMatrix.ChunkCols)));
                    total += WidenSum(acc);
                    break;
                }
                case KernelPath.Vector256:
                {
                    Vector256<int> acc = Vector256<int>.Zero;
                    for (; c < end; c++)
                    {
                        nuint o = (nuint)(c * stride), xo = (nuint)(c * QuantizedMatrix.ChunkCols);
                        acc += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref g, o)), Vector256.LoadUnsafe(ref xr, xo));
                        acc += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref g, o + 16)), Vector256.LoadUnsafe(ref xr, xo + 16));
                    }
                    (Vector256<long> lo, Vector256<long> hi) = Vector256.Widen(acc);
                    total += Vector256.Sum(lo + hi);
                    break;
                }
                default:
                    for (; c < end; c++)
                        for (int i = 0; i < QuantizedMatrix.ChunkCols; i++)
                            total += Unsafe.Add(ref g, c * stride + i) * Unsafe.Add(ref xr, c * QuantizedMatrix.ChunkCols + i);
                    break;
            }
        }
        return total + TailDot(group, lane, n, x);
    }

    /// <summary>The tail columns (n mod 32) of row <paramref name="lane"/> of a group, which follow the chunks row by row.</summary>
    private static long TailDot(ReadOnlySpan<sbyte> group, int lane, int n, ReadOnlySpan<short> x)
    {
        int chunks = n / QuantizedMatrix.ChunkCols, tail = n % QuantizedMatrix.ChunkCols;
        if (tail == 0) return 0;
        return DotScalar(group.Slice(chunks * QuantizedMatrix.GroupRows * QuantizedMatrix.ChunkCols + lane * tail, tail), x.Slice(chunks * QuantizedMatrix.ChunkCols, tail), 0);
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
