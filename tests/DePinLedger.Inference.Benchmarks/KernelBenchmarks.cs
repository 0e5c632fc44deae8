using BenchmarkDotNet.Attributes;
using DePinLedger.Inference.Arithmetic;

namespace DePinLedger.Inference.Benchmarks;

/// <summary>The dot-product kernels on one 768×2048 row set; the scalar path is the baseline.</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private sbyte[] _weights = [];
    private short[] _x = [];

    [Params(768, 2048)]
    public int Cols { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _weights = new sbyte[Cols * 256];
        _x = new short[Cols];
        for (int i = 0; i < _weights.Length; i++) _weights[i] = (sbyte)random.Next(-127, 128);
        for (int i = 0; i < _x.Length; i++) _x[i] = (short)random.Next(-32767, 32768);
    }

    [Benchmark(Baseline = true)]
    public long Scalar() => Rows(KernelPath.Scalar);

    [Benchmark]
    public long Vector256() => Rows(KernelPath.Vector256);

    [Benchmark]
    public long Vector512() => Rows(KernelPath.Vector512);

    private long Rows(KernelPath path)
    {
        long total = 0;
        for (int r = 0; r < 256; r++) total += DotKernels.Dot(_weights.AsSpan(r * Cols, Cols), _x, path);
        return total;
    }
}
