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
