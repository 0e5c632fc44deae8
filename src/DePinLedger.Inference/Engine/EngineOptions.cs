using DePinLedger.Inference.Arithmetic;

namespace DePinLedger.Inference.Engine;

/// <summary>How the engine computes; never what it computes: results are identical for every setting.</summary>
public sealed record EngineOptions
{
    /// <summary>Most threads an engine accepts.</summary>
    public const int MaxThreads = 1024;

    /// <summary>Threads for matrix products (1 = the calling thread only).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Instruction set of the kernels.</summary>
    public KernelPath Kernels { get; init; } = KernelPath.Auto;

    public static EngineOptions Default { get; } = new();

    public void Validate()
    {
        if (Threads is < 1 or > MaxThreads) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"threads must be between 1 and {MaxThreads}");
        DotKernels.Resolve(Kernels);
    }
}
