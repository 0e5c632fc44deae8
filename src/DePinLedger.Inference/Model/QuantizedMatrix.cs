namespace DePinLedger.Inference.Model;

/// <summary>
/// An int8 matrix with one fixed-point multiplier per row (SPEC.md §3): the real weight W[r,c] ≈
/// this[r, c] · Multipliers[r] · 32767 / 2^48.
/// <para>
/// In memory the weights are kept in the kernels' layout, not row-major: rows in groups of <see cref="GroupRows"/>,
/// and inside a group, for every <see cref="ChunkCols"/>-column chunk, the four rows' bytes one after another; then
/// each row's tail columns (Cols mod 32). Rows after the last whole group stay row-major. A group is then one
/// contiguous stream: the four-row kernel reading four separate rows ran 2–3× below the memory's read bandwidth,
/// because four streams per thread defeat the hardware prefetcher. Every byte keeps its row and column, so the
/// model file, the commitments and every result are unchanged; <see cref="CopyRow"/> and the indexer read it row-major.
/// </para>
/// </summary>
public sealed class QuantizedMatrix
{
    /// <summary>Rows interleaved per group.</summary>
    public const int GroupRows = 4;

    /// <summary>Columns per interleaved chunk (one 256-bit load of int8).</summary>
    public const int ChunkCols = 32;

    /// <summary>A matrix from row-major weights (Rows × Cols), copied into the kernel layout.</summary>
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
        Multipliers = multipliers;
        Packed = GC.AllocateUninitializedArray<sbyte>(weights.Length);
        for (int r = 0; r < rows; r++)
            for (int chunk = 0; chunk * ChunkCols < cols; chunk++)
                weights.AsSpan(r * cols + chunk * ChunkCols, SegmentLength(chunk)).CopyTo(Packed.AsSpan(SegmentStart(r, chunk)));
    }

    /// <summary>
    /// Exclusive bound on row multipliers (SPEC.md §3): the importer's largest is about 2^42 (weights up to
    /// 65536), and the bound keeps acc · amax · M inside 128 bits.
    /// </summary>
    public const long MaxMultiplier = 1L << 43;

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>One per row.</summary>
    public long[] Multipliers { get; }

    /// <summary>Rows that sit in whole groups (the rest are row-major after them).</summary>
    public int GroupedRows => Rows / GroupRows * GroupRows;

    /// <summary>The weights in the kernel layout (see the class summary).</summary>
    internal sbyte[] Packed { get; }

    public sbyte this[int row, int col]
    {
        get
        {
            if ((uint)row >= (uint)Rows || (uint)col >= (uint)Cols) throw new ArgumentOutOfRangeException(nameof(row), $"({row}, {col}) is outside {Rows} × {Cols}");
            return Packed[SegmentStart(row, col / ChunkCols) + col % ChunkCols];
        }
    }

    /// <summary>Row <paramref name="row"/> in column order into <paramref name="destination"/> (at least Cols long).</summary>
    public void CopyRow(int row, Span<sbyte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Rows, nameof(row));
        if (destination.Length < Cols) throw new ArgumentException($"destination holds {destination.Length} of {Cols} columns", nameof(destination));
        for (int chunk = 0; chunk * ChunkCols < Cols; chunk++)
            Packed.AsSpan(SegmentStart(row, chunk), SegmentLength(chunk)).CopyTo(destination[(chunk * ChunkCols)..]);
    }

    /// <summary>The weights row-major, as the model file stores them.</summary>
    public sbyte[] ToRowMajor()
    {
        var rowMajor = new sbyte[Packed.Length];
        for (int r = 0; r < Rows; r++) CopyRow(r, rowMajor.AsSpan(r * Cols, Cols));
        return rowMajor;
    }

    /// <summary>The <see cref="GroupRows"/> × Cols bytes of group <paramref name="group"/>.</summary>
    internal ReadOnlySpan<sbyte> Group(int group) => Packed.AsSpan(group * GroupRows * Cols, GroupRows * Cols);

    /// <summary>Row-major trailing row <paramref name="row"/> (≥ <see cref="GroupedRows"/>).</summary>
    internal ReadOnlySpan<sbyte> TrailingRow(int row) => Packed.AsSpan(row * Cols, Cols);

    public long ByteSize => Packed.LongLength + 8L * Multipliers.Length;

    // The one place the layout is spelled out: where columns [32·chunk, 32·chunk + SegmentLength(chunk)) of row sit in
    // Packed. Chunk Cols/32, when Cols is not a multiple of 32, is the row's tail; the group's tails follow its chunks.
    private int SegmentStart(int row, int chunk)
    {
        if (row >= GroupedRows) return row * Cols + chunk * ChunkCols;
        int group = row / GroupRows * GroupRows * Cols, lane = row % GroupRows;
        return group + chunk * GroupRows * ChunkCols + lane * SegmentLength(chunk);
    }

    private int SegmentLength(int chunk) => Math.Min(ChunkCols, Cols - chunk * ChunkCols);
}
