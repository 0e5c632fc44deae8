using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

public class DotKernelsTests
{
    public static TheoryData<KernelPath> VectorPaths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (KernelPath path in new[] { KernelPath.Vector256, KernelPath.Vector512 })
            if (DotKernels.IsSupported(path)) data.Add(path);
        return data;
    }

    [Theory]
    [MemberData(nameof(VectorPaths))]
    public void Dot_RandomAndExtremeValues_EqualsExactScalarSum(KernelPath path)
    {
        var random = new Random(1234);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 2047, 2048, 2049, 4096, 5000, 9000 })
        {
            var w = new sbyte[length];
            var x = new short[length];
            for (int i = 0; i < length; i++)
            {
                w[i] = (sbyte)random.Next(-127, 128);
                x[i] = (short)random.Next(-32767, 32768);
            }
            long expected = 0;
            for (int i = 0; i < length; i++) expected += w[i] * x[i];
            Assert.Equal(expected, DotKernels.Dot(w, x, path));

            // Worst case for the int32 lanes: every product at its maximum.
            Array.Fill(w, (sbyte)127);
            Array.Fill(x, (short)32767);
            Assert.Equal(127L * 32767 * length, DotKernels.Dot(w, x, path));
            Array.Fill(x, (short)-32767);
            Assert.Equal(-127L * 32767 * length, DotKernels.Dot(w, x, path));
        }
    }
}

public class AttentionKernelsTests
{
    [Fact]
    public void VectorAndScalarPaths_AgreeIncludingClampedValues()
    {
        if (!AttentionKernels.VectorSupported) return; // the scalar path is the only one on this CPU
        var random = new Random(11);
        foreach (int n in new[] { 1, 7, 8, 9, 12, 16, 64, 67 })
        {
            long[] q = Enumerable.Range(0, n).Select(_ => random.NextInt64(-FixedPoint.AttentionClamp, FixedPoint.AttentionClamp + 1)).ToArray();
            int[] key = Enumerable.Range(0, n).Select(_ => random.Next(2) == 0 ? random.Next() - int.MaxValue / 2 : random.Next(-70000, 70000)).ToArray();
            key[0] = -FixedPoint.ActivationMax;
            Assert.Equal(AttentionKernels.ClampedDot(q, key, vector: false), AttentionKernels.ClampedDot(q, key, vector: true));

            long[] scalarAcc = new long[n], vectorAcc = new long[n];
            for (int t = 0; t < 5; t++)
            {
                long weight = random.Next(0, 1 << 16);
                AttentionKernels.AddScaled(scalarAcc, weight, key, vector: false);
                AttentionKernels.AddScaled(vectorAcc, weight, key, vector: true);
            }
            Assert.Equal(scalarAcc, vectorAcc);
        }
    }
}

/// <summary>
/// The kernel layout of <see cref="QuantizedMatrix"/> (rows interleaved in groups of four, 32-column chunks, tails,
/// trailing rows) is only a storage order: every row reads back in column order, and the matrix product on every
/// kernel path and thread count equals the exact row-major product of SPEC.md §3.
/// </summary>
public class QuantizedMatrixLayoutTests
{
    private static readonly (int Rows, int Cols)[] Shapes = [(1, 1), (3, 31), (4, 32), (5, 33), (7, 100), (8, 64), (9, 2049), (12, 4113), (13, 768), (37, 2049), (130, 1000)]; // the last two exceed MatMul's threshold for using the threads

    public static TheoryData<KernelPath> AllPaths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (KernelPath path in new[] { KernelPath.Scalar, KernelPath.Vector256, KernelPath.Vector512 })
            if (DotKernels.IsSupported(path)) data.Add(path);
        return data;
    }

    [Fact]
    public void Layout_EveryShape_ReadsBackRowMajor()
    {
        var random = new Random(7);
        foreach ((int rows, int cols) in Shapes)
        {
            sbyte[] weights = RandomWeights(random, rows * cols);
            var matrix = new QuantizedMatrix(rows, cols, weights, new long[rows]);
            Assert.Equal(weights, matrix.ToRowMajor());
            var row = new sbyte[cols];
            for (int r = 0; r < rows; r++)
            {
                matrix.CopyRow(r, row);
                Assert.Equal(weights.AsSpan(r * cols, cols).ToArray(), row);
                for (int c = 0; c < cols; c += 1 + cols / 7) Assert.Equal(weights[r * cols + c], matrix[r, c]);
            }
        }
    }

    [Fact]
    public void Layout_OutOfRange_Throws()
    {
        var matrix = new QuantizedMatrix(5, 33, new sbyte[5 * 33], new long[5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix[5, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix[0, 33]);
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.CopyRow(5, new sbyte[33]));
        Assert.Throws<ArgumentException>(() => matrix.CopyRow(0, new sbyte[32]));
    }

    [Theory]
    [MemberData(nameof(AllPaths))]
    public void Multiply_EveryShapeAndThreadCount_EqualsExactRowMajorProduct(KernelPath path)
    {
        var random = new Random(11);
        foreach ((int rows, int cols) in Shapes)
        {
            sbyte[] weights = RandomWeights(random, rows * cols);
            var multipliers = new long[rows];
            for (int r = 0; r < rows; r++) multipliers[r] = random.NextInt64(0, 1L << 42);
            var matrix = new QuantizedMatrix(rows, cols, weights, multipliers);
            var x = new int[cols];
            for (int c = 0; c < cols; c++) x[c] = random.Next(-(1 << 22), 1 << 22);
            AssertProduct(matrix, weights, x, path);

            // Worst case for the int32 lanes: every product at its maximum, through the grouped kernels' widening.
            var saturated = new QuantizedMatrix(rows, cols, Enumerable.Repeat((sbyte)127, rows * cols).ToArray(), multipliers);
            AssertProduct(saturated, Enumerable.Repeat((sbyte)127, rows * cols).ToArray(), Enumerable.Repeat(-(1 << 20), cols).ToArray(), path);
        }
    }

    private static void AssertProduct(QuantizedMatrix matrix, sbyte[] rowMajor, int[] x, KernelPath path)
    {
        var activations = new QuantizedActivations(matrix.Cols);
        activations.Quantize(x);
        var expected = new int[matrix.Rows];
        for (int r = 0; r < matrix.Rows; r++)
        {
            long acc = 0;
            for (int c = 0; c < matrix.Cols; c++) acc += rowMajor[r * matrix.Cols + c] * activations.Values[c];
            expected[r] = FixedPoint.Sat32(FixedPoint.Rshr((Int128)acc * activations.Amax * matrix.Multipliers[r], FixedPoint.MultiplierShift));
        }
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            using var runner = new DePinLedger.Inference.Engine.ParallelRunner(threads);
            var y = new int[matrix.Rows];
            new MatMul(runner, path).Multiply(matrix, activations, y);
            Assert.Equal(expected, y);
        }
    }

    private static sbyte[] RandomWeights(Random random, int length)
    {
        var weights = new sbyte[length];
        for (int i = 0; i < length; i++) weights[i] = (sbyte)random.Next(-127, 128);
        return weights;
    }
}
