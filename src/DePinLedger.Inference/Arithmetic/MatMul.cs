using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>
/// y = W·x for a quantized matrix and quantized activations (SPEC.md §3):
/// y[r] = sat32(rshr(acc[r] · amax · M[r], 48)) with acc[r] the exact integer dot product.
/// Rows are split across threads in contiguous blocks of whole row groups; each row is computed whole by one thread.
/// </summary>
internal sealed class MatMul(ParallelRunner runner, KernelPath path) : IParallelJob
{
    // Below this many multiply-adds the thread hand-off costs more than it saves.
    private const long ParallelThreshold = 1 << 16;

    private readonly KernelPath _path = DotKernels.Resolve(path);
    private readonly (QuantizedMatrix? Matrix, int[]? Output, int Offset)[] _targets = new (QuantizedMatrix?, int[]?, int)[3];
    private int _targetCount;
    private QuantizedActivations? _x;
    private IRowEpilogue? _epilogue;

    /// <summary>y[yOffset..] = matrix · x.</summary>
    public void Multiply(QuantizedMatrix matrix, QuantizedActivations x, int[] y, int yOffset = 0)
    {
        SetTarget(0, matrix, x, y, yOffset);
        Run(x, 1);
    }

    /// <summary>
    /// Two products of the same input in one hand-off to the worker threads. With <paramref name="epilogue"/> (the
    /// matrices then have equally many rows), each thread applies it to the rows it computed once both are done, which
    /// saves the hand-off a separate element-wise step would cost.
    /// </summary>
    public void Multiply(QuantizedActivations x, QuantizedMatrix m0, int[] y0, QuantizedMatrix m1, int[] y1, IRowEpilogue? epilogue = null)
    {
        if (epilogue is not null && m0.Rows != m1.Rows) throw new ArgumentException($"an epilogue needs equally many rows, not {m0.Rows} and {m1.Rows}");
        SetTarget(0, m0, x, y0, 0);
        SetTarget(1, m1, x, y1, 0);
        _epilogue = epilogue;
        Run(x, 2);
    }

    /// <summary>Three products of the same input (e.g. q, k and v) in one hand-off.</summary>
    public void Multiply(QuantizedActivations x, QuantizedMatrix m0, int[] y0, int offset0, QuantizedMatrix m1, int[] y1, int offset1, QuantizedMatrix m2, int[] y2, int offset2)
    {
        SetTarget(0, m0, x, y0, offset0);
        SetTarget(1, m1, x, y1, offset1);
        SetTarget(2, m2, x, y2, offset2);
        Run(x, 3);
    }

    private void SetTarget(int index, QuantizedMatrix matrix, QuantizedActivations x, int[] y, int yOffset)
    {
        if (x.Length != matrix.Cols) throw new ArgumentException($"matrix has {matrix.Cols} columns, vector {x.Length} entries");
        if (yOffset < 0 || y.Length - yOffset < matrix.Rows) throw new ArgumentException("output too small");
        _targets[index] = (matrix, y, yOffset);
    }

    private void Run(QuantizedActivations x, int count)
    {
        _x = x;
        _targetCount = count;
        long work = 0;
        for (int i = 0; i < count; i++) work += (long)_targets[i].Matrix!.Rows * _targets[i].Matrix!.Cols;
        try
        {
            runner.Run(this, work < ParallelThreshold ? 1 : runner.Threads);
        }
        finally
        {
            Array.Clear(_targets);
            _x = null;
            _epilogue = null;
        }
    }

    public void Execute(int part, int parts)
    {
        for (int i = 0; i < _targetCount; i++)
        {
            var (matrix, output, offset) = _targets[i];
            int rows = matrix!.Rows;
            MultiplyRows(matrix, _x!, output.AsSpan(offset, rows), Boundary(rows, part, parts), Boundary(rows, part + 1, parts));
        }
        if (_epilogue is { } epilogue)
        {
            int rows = _targets[0].Matrix!.Rows;
            epilogue.Apply(Boundary(rows, part, parts), Boundary(rows, part + 1, parts));
        }
    }

    /// <summary>Where part <paramref name="part"/> starts: on a whole row group, so that every part reads whole groups.</summary>
    private static int Boundary(int rows, int part, int parts) =>
        part == parts ? rows : (int)((long)(rows / QuantizedMatrix.GroupRows) * part / parts) * QuantizedMatrix.GroupRows;

    private void MultiplyRows(QuantizedMatrix m, QuantizedActivations x, Span<int> y, int begin, int end)
    {
        ReadOnlySpan<short> xv = x.Values;
        long amax = x.Amax;
        if (amax == 0)
        {
            y[begin..end].Clear();
            return;
        }
        int r = begin, grouped = Math.Min(end, m.GroupedRows);
        if (_path == KernelPath.Vector512)
        {
            Span<long> four = stackalloc long[QuantizedMatrix.GroupRows];
            for (; r + QuantizedMatrix.GroupRows <= grouped; r += QuantizedMatrix.GroupRows)
            {
                DotKernels.Dot512x4(m.Group(r / QuantizedMatrix.GroupRows), m.Cols, xv, four);
                for (int j = 0; j < QuantizedMatrix.GroupRows; j++) y[r + j] = Dequantize(four[j], amax, m.Multipliers[r + j]);
            }
        }
        for (; r < grouped; r++)
            y[r] = Dequantize(DotKernels.DotInGroup(m.Group(r / QuantizedMatrix.GroupRows), r % QuantizedMatrix.GroupRows, m.Cols, xv, _path), amax, m.Multipliers[r]);
        for (; r < end; r++) y[r] = Dequantize(DotKernels.Dot(m.TrailingRow(r), xv, _path), amax, m.Multipliers[r]);
    }

    /// <summary>
    /// sat32(rshr(acc · amax · multiplier, 48)), exactly. The common case (amax · multiplier &lt; 2^63)
    /// takes one 64×64→128 multiply on (high, low) words; otherwise a general 128-bit product.
    /// </summary>
    public static int Dequantize(long acc, long amax, long multiplier)
    {
        ulong scaleHigh = Math.BigMul((ulong)amax, (ulong)multiplier, out ulong scale);
        if (scaleHigh != 0 || scale > long.MaxValue)
            return FixedPoint.Sat32(FixedPoint.Rshr((Int128)acc * amax * multiplier, FixedPoint.MultiplierShift));
        long high = Math.BigMul(acc, (long)scale, out long lowSigned);
        ulong low = (ulong)lowSigned;
        // rshr(·, 48) on the 128-bit (high, low): add 2^47 with carry, then take bits 48..111.
        ulong sum = low + (1UL << 47);
        if (sum < low) high++;
        long shifted = (high << 16) | (long)(sum >> 48);
        // |acc · scale| < 2^127, so the value fits when high's top 48 bits are a sign extension of bit 63 of shifted.
        if ((high >> 47) != (shifted >> 63)) return high < 0 ? -FixedPoint.ActivationMax : FixedPoint.ActivationMax;
        return FixedPoint.Sat32(shifted);
    }
}

/// <summary>Element-wise work on output rows [begin, end) of a product, run by the thread that computed them.</summary>
internal interface IRowEpilogue
{
    void Apply(int begin, int end);
}
