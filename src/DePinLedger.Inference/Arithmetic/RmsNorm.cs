namespace DePinLedger.Inference.Arithmetic;

/// <summary>Integer RMSNorm (SPEC.md §5).</summary>
public static class RmsNorm
{
    /// <summary>
    /// out[i] = sat32(rshr(rshr(x[i] · floor(2^48 / isqrt(floor(Σx²/n) + ε)), 32) · gain[i], 16)).
    /// </summary>
    public static void Apply(ReadOnlySpan<int> x, ReadOnlySpan<int> gain, long epsilonQ32, Span<int> output)
    {
        if (gain.Length != x.Length || output.Length < x.Length) throw new ArgumentException("RMSNorm operands differ in length");
        UInt128 sumSquares = 0;
        foreach (int v in x) sumSquares += (ulong)((long)v * v);
        ulong meanSquare = (ulong)(sumSquares / (ulong)x.Length) + (ulong)epsilonQ32;
        long rms = (long)FixedPoint.Isqrt(meanSquare);
        long inverse = (1L << 48) / rms;
        for (int i = 0; i < x.Length; i++)
        {
            long normalized = FixedPoint.Rshr(x[i] * inverse, 32);
            output[i] = FixedPoint.Sat32(FixedPoint.Rshr(normalized * gain[i], 16));
        }
    }
}
