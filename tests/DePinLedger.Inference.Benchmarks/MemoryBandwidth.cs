using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DePinLedger.Inference.Benchmarks;

/// <summary>
/// Measures the machine's memory-read bandwidth the way decode reads weights: a streaming SIMD read
/// of a buffer far larger than the caches, split across threads. Best of several passes.
/// </summary>
internal static class MemoryBandwidth
{
    public static double MeasureBytesPerSecond(int threads, long bytes = 1L << 30, int passes = 5)
    {
        var buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(bytes, int.MaxValue - 64), pinned: true);
        new Random(1).NextBytes(buffer.AsSpan(0, 1 << 20));
        for (int offset = 1 << 20; offset < buffer.Length; offset += 1 << 20)
            buffer.AsSpan(0, Math.Min(1 << 20, buffer.Length - offset)).CopyTo(buffer.AsSpan(offset));
        double best = 0;
        long sink = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            long total = 0;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            {
                long begin = (long)buffer.Length * part / threads, end = (long)buffer.Length * (part + 1) / threads;
                Interlocked.Add(ref total, Sum(buffer.AsSpan((int)begin, (int)(end - begin))));
            });
            double seconds = watch.Elapsed.TotalSeconds;
            sink += total;
            best = Math.Max(best, buffer.Length / seconds);
        }
        GC.KeepAlive(sink);
        return best;
    }

    private static long Sum(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<Vector512<ulong>> vectors = MemoryMarshal.Cast<byte, Vector512<ulong>>(data);
        Vector512<ulong> a = Vector512<ulong>.Zero, b = Vector512<ulong>.Zero, c = Vector512<ulong>.Zero, d = Vector512<ulong>.Zero;
        int i = 0;
        for (; i + 4 <= vectors.Length; i += 4)
        {
            a ^= vectors[i];
            b ^= vectors[i + 1];
            c ^= vectors[i + 2];
            d ^= vectors[i + 3];
        }
        return (long)Vector512.Sum(a ^ b ^ c ^ d);
    }
}
