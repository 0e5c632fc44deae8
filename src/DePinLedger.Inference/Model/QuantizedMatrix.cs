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
            if (m < 0) throw new ArgumentException("row multipliers are non-negative", nameof(multipliers));
        foreach (sbyte w in weights)
            if (w == sbyte.MinValue) throw new ArgumentException("weights are symmetric int8 (-127..127)", nameof(weights));
        Rows = rows;
        Cols = cols;
        Weights = weights;
        Multipliers = multipliers;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Row-major, Rows × Cols.</summary>
    public sbyte[] Weights { get; }

    /// <summary>One per row.</summary>
    public long[] Multipliers { get; }

    public ReadOnlySpan<sbyte> Row(int row) => Weights.AsSpan(row * Cols, Cols);

    public long ByteSize => Weights.LongLength + 8L * Multipliers.Length;
}
