namespace DePinLedger.Inference.Model;

/// <summary>
/// An int8 matrix with one fixed-point multiplier per row (SPEC.md §3): the real weight W[r,c] ≈
/// Weights[r·Cols + c] · Multipliers[r] · 32767 / 2^48.
/// </summary>
public sealed class QuantizedMatrix
{
    public QuantizedMatrix(int rows, int cols, sbyte[] weights, long[] multipliers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (weights.Length != (long)rows * cols)
            throw new ArgumentException($"expected {(long)rows * cols} weights, got {weights.Length}", nameof(weights));
        if (multipliers.Length != rows)
            throw new ArgumentException($"expected {rows} multipliers, got {multipliers.Length}", nameof(multipliers));
        foreach (long m in multipliers)
            if (m is < 0 or >= MaxMultiplier) throw new ArgumentException($"row multipliers lie in [0, 2^43), got {m}", nameof(multipliers));
        foreach (sbyte w in weights)
            if (w == sbyte.MinValue) throw new ArgumentException("weights are symmetric int8 (-127..127)", nameof(weights));
        Rows = rows;
        Cols = cols;
        Weights = weights;
        Multipliers = multipliers;
    }

    /// <summary>
    /// Exclusive bound on row multipliers (SPEC.md §3): the importer's largest is about 2^42 (weights up to
    /// 65536), and the bound keeps acc · amax · M inside 128 bits.
    /// </summary>
    public const long MaxMultiplier = 1L << 43;

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Row-major, Rows × Cols.</summary>
    public sbyte[] Weights { get; }

    /// <summary>One per row.</summary>
    public long[] Multipliers { get; }

    public ReadOnlySpan<sbyte> Row(int row) => Weights.AsSpan(row * Cols, Cols);

    public long ByteSize => Weights.LongLength + 8L * Multipliers.Length;
}
