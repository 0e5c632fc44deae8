using DePinLedger.Inference.Arithmetic;

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
