using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>
/// y = W·x for a quantized matrix and quantized activations (SPEC.md §3):
/// y[r] = sat32(rshr(acc[r] · amax · M[r], 48)) with acc[r] the exact integer dot product.
/// Rows are cut into slices of whole row groups that the threads take from a shared counter until none is left, so a
/// thread that starts late or runs slow takes fewer (a fixed split made every hand-off wait for the slowest thread);
/// each row is computed whole by one thread, so who takes which slice never changes a bit.
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
    private readonly int[] _sliceStart = new int[4]; // first slice of each target, then the total
    private int _sliceRows, _nextSlice;

    // Slices per thread: enough for a late thread to be made up for, few enough that the shared counter stays cheap.
    private const int SlicesPerThread = 4;

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
        int rows = 0;
        for (int i = 0; i < count; i++)
        {
            work += (long)_targets[i].Matrix!.Rows * _targets[i].Matrix!.Cols;
            rows += _targets[i].Matrix!.Rows;
        }
        int parts = work < ParallelThreshold ? 1 : runner.Threads;
        // With an epilogue a slice is the same rows of both targets (their rows are equal), so that the thread that
        // computed them applies it; otherwise the targets' slices follow one another.
        int sliced = _epilogue is null ? rows : _targets[0].Matrix!.Rows;
        _sliceRows = parts == 1 ? sliced : Math.Max(QuantizedMatrix.GroupRows, (sliced / (parts * SlicesPerThread) + QuantizedMatrix.GroupRows - 1) / QuantizedMatrix.GroupRows * QuantizedMatrix.GroupRows);
        _sliceStart[0] = 0;
        for (int i = 0; i < count; i++)
            _sliceStart[i + 1] = _sliceStart[i] + (_epilogue is null || i == 0 ? (_targets[i].Matrix!.Rows + _sliceRows - 1) / _sliceRows : 0);
        _nextSlice = 0;
        try
        {
            runner.Run(this, parts);
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
        int total = _sliceStart[_targetCount];
        for (int slice = Interlocked.Increment(ref _nextSlice) - 1; slice < total; slice = Interlocked.Increment(ref _nextSlice) - 1)
        {
            if (_epilogue is { } epilogue)
            {
                int rows = _targets[0].Matrix!.Rows, begin = slice * _sliceRows, end = Math.Min(rows, begin + _sliceRows);
                for (int i = 0; i < _targetCount; i++) MultiplyRows(i, begin, end);
                epilogue.Apply(begin, end);
                continue;
            }
            int target = 0;
            while (slice >= _sliceStart[target + 1]) target++;
            int first = (slice - _sliceStart[target]) * _sliceRows;
            MultiplyRows(target, first, Math.Min(_targets[target].Matrix!.Rows, first + _sliceRows));
        }
    }

    private void MultiplyRows(int target, int begin, int end)
    {
        var (matrix, output, offset) = _targets[target];
        MultiplyRows(matrix!, _x!, output.AsSpan(offset, matrix!.Rows), begin, end);
    }

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
