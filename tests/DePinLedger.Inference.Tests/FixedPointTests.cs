using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

/// <summary>The primitives of SPEC.md §2, §4–§6 against their definitions and against float math.</summary>
public class FixedPointTests
{
    private static readonly ModelConstants Tables = ModelImporter.Constants(new ModelConfig(64, 172, 1, 8, 4, 512, 512, true));

    [Theory]
    // §2: half rounds toward +∞, also for negatives (arithmetic shift).
    [InlineData(3, 1, 2)]
    [InlineData(-3, 1, -1)]
    [InlineData(-5, 1, -2)]
    [InlineData(5, 2, 1)]
    [InlineData(6, 2, 2)]
    [InlineData(-6, 2, -1)]
    [InlineData(-7, 2, -2)]
    public void Rshr_RoundsHalfTowardPositiveInfinity(long value, int shift, long expected) =>
        Assert.Equal(expected, FixedPoint.Rshr(value, shift));

    [Fact]
    public void Dequantize_FastPathEqualsExact128BitDefinition()
    {
        var random = new Random(77);
        static int Reference(long acc, long amax, long m) =>
            FixedPoint.Sat32(FixedPoint.Rshr((Int128)acc * amax * m, FixedPoint.MultiplierShift));
        long[] accs = [0, 1, -1, 1L << 38, -(1L << 38), 123456789, -987654321];
        long[] amaxes = [1, 2, 65536, int.MaxValue];
        long[] multipliers = [0, 1, 1L << 22, 1L << 32, (1L << 42) + 12345, 1L << 46];
        foreach (long acc in accs)
            foreach (long amax in amaxes)
                foreach (long m in multipliers)
                    Assert.Equal(Reference(acc, amax, m), MatMul.Dequantize(acc, amax, m));
        for (int i = 0; i < 200_000; i++)
        {
            long acc = random.NextInt64(-(1L << 38), 1L << 38) >> random.Next(0, 38);
            long amax = random.NextInt64(1, int.MaxValue) >> random.Next(0, 30);
            long m = random.NextInt64(0, 1L << 46) >> random.Next(0, 46);
            Assert.Equal(Reference(acc, Math.Max(1, amax), m), MatMul.Dequantize(acc, Math.Max(1, amax), m));
        }
    }

    [Fact]
    public void Isqrt_IsExactFloorSquareRoot()
    {
        var random = new Random(5);
        foreach (ulong n in new ulong[] { 0, 1, 2, 3, 4, 15, 16, 17, 42950, ulong.MaxValue, (1UL << 62) - 1, 1UL << 62 })
            AssertFloorRoot(n);
        for (int i = 0; i < 10_000; i++) AssertFloorRoot((ulong)random.NextInt64() * (ulong)random.Next(1, 4));

        static void AssertFloorRoot(ulong n)
        {
            UInt128 r = FixedPoint.Isqrt(n);
            Assert.True(r * r <= n && (r + 1) * (r + 1) > n, $"isqrt({n}) = {r}");
        }
    }

    [Fact]
    public void ExpQ30_MatchesExpWithinTableResolution()
    {
        Assert.Equal(1L << 30, FixedPoint.ExpQ30(0, Tables.Exp2High, Tables.Exp2Low));
        Assert.Equal(0, FixedPoint.ExpQ30(-(64L << 16), Tables.Exp2High, Tables.Exp2Low));
        for (long d = 0; d > -(20L << 16); d -= 977)
        {
            double expected = Math.Exp(d / 65536.0) * (1 << 30);
            long actual = FixedPoint.ExpQ30(d, Tables.Exp2High, Tables.Exp2Low);
            Assert.True(Math.Abs(actual - expected) <= 2 + expected * 2e-5, $"exp({d / 65536.0}) = {actual}, expected {expected}");
        }
    }

    [Fact]
    public void Silu_MatchesFloatSiluClosely()
    {
        for (int x = -(12 << 16); x <= 12 << 16; x += 4099)
        {
            double real = x / 65536.0;
            double expected = real / (1 + Math.Exp(-real)) * 65536;
            int actual = FixedPoint.Silu(x, Tables.Exp2High, Tables.Exp2Low);
            Assert.True(Math.Abs(actual - expected) <= 2 + Math.Abs(expected) * 1e-4, $"silu({real}) = {actual}, expected {expected}");
        }
    }

    [Fact]
    public void RmsNorm_MatchesFloatRmsNorm()
    {
        var random = new Random(9);
        int[] x = Enumerable.Range(0, 64).Select(_ => random.Next(-(5 << 16), 5 << 16)).ToArray();
        int[] gain = Enumerable.Range(0, 64).Select(_ => random.Next(1 << 14, 3 << 16)).ToArray();
        var output = new int[64];
        RmsNorm.Apply(x, gain, Tables.EpsilonQ32, output);
        double ms = x.Select(v => v / 65536.0).Sum(v => v * v) / x.Length;
        double inv = 1 / Math.Sqrt(ms + 1e-5);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = x[i] / 65536.0 * inv * (gain[i] / 65536.0) * 65536;
            Assert.True(Math.Abs(output[i] - expected) <= 2 + Math.Abs(expected) * 1e-4, $"{i}: {output[i]} vs {expected}");
        }
    }

    [Fact]
    public void RmsNorm_ExtremeInputs_StayInRange()
    {
        int[] x = Enumerable.Repeat(FixedPoint.ActivationMax, 64).ToArray();
        x[3] = -FixedPoint.ActivationMax;
        int[] gain = Enumerable.Repeat(int.MaxValue, 64).ToArray();
        var output = new int[64];
        RmsNorm.Apply(x, gain, Tables.EpsilonQ32, output);
        Assert.All(output, v => Assert.InRange(v, -FixedPoint.ActivationMax, FixedPoint.ActivationMax));
        RmsNorm.Apply(new int[64], gain, Tables.EpsilonQ32, output);
        Assert.All(output, v => Assert.Equal(0, v));
    }

    [Fact]
    public void QuantizedActivations_UseFullInt16RangeSymmetrically()
    {
        var q = new QuantizedActivations(4);
        q.Quantize([FixedPoint.ActivationMax, -FixedPoint.ActivationMax, 0, 1]);
        Assert.Equal([32767, -32767, 0, 0], q.Values.ToArray());
        q.Quantize([3, -3, 1, -2]);
        Assert.Equal(3, q.Amax);
        Assert.Equal([32767, -32767, 10922, -21845], q.Values.ToArray());
    }

    [Fact]
    public void QuantizedActivations_VectorPath_EqualsScalarBitForBit()
    {
        if (!QuantizedActivations.VectorSupported) return; // the scalar path is the only one here
        var random = new Random(5);
        var vector = new QuantizedActivations(5000);
        var scalar = new QuantizedActivations(5000);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 31, 33, 64, 100, 768, 2048, 2053 })
        {
            foreach (int magnitude in new[] { 1, 3, 1 << 16, 1 << 24, FixedPoint.ActivationMax })
            {
                var x = new int[length];
                for (int i = 0; i < length; i++) x[i] = (int)random.NextInt64(-(long)magnitude, (long)magnitude + 1);
                // The largest magnitude last, first, or nowhere special: amax must be found wherever it sits.
                if (length > 0) x[random.Next(length)] = random.Next(2) == 0 ? magnitude : -magnitude;
                vector.Quantize(x, vector: true);
                scalar.Quantize(x, vector: false);
                Assert.Equal(scalar.Amax, vector.Amax);
                Assert.Equal(scalar.Values.ToArray(), vector.Values.ToArray());
            }
        }
    }

    [Fact]
    public void RmsNormAndResidual_VectorPath_EqualsScalarBitForBit()
    {
        if (!RmsNorm.VectorSupported) return; // the scalar path is the only one here
        var random = new Random(6);
        foreach (int length in new[] { 1, 7, 8, 9, 64, 100, 768, 2051 })
        {
            foreach (int magnitude in new[] { 1, 1 << 16, 1 << 24, FixedPoint.ActivationMax })
            {
                int[] x = Enumerable.Range(0, length).Select(_ => (int)random.NextInt64(-(long)magnitude, (long)magnitude + 1)).ToArray();
                int[] gain = Enumerable.Range(0, length).Select(_ => (int)random.NextInt64(-(long)FixedPoint.ActivationMax, (long)FixedPoint.ActivationMax + 1)).ToArray();
                int[] vector = new int[length], scalar = new int[length];
                RmsNorm.Apply(x, gain, Tables.EpsilonQ32, vector, vector: true);
                RmsNorm.Apply(x, gain, Tables.EpsilonQ32, scalar, vector: false);
                Assert.Equal(scalar, vector);

                // Residual: sums past ±(2^31 − 1) saturate on both paths.
                int[] delta = Enumerable.Range(0, length).Select(_ => (int)random.NextInt64(-(long)magnitude, (long)magnitude + 1)).ToArray();
                int[] viaVector = [.. x], viaScalar = [.. x];
                Residual.Add(viaVector, delta, vector: true);
                Residual.Add(viaScalar, delta, vector: false);
                Assert.Equal(viaScalar, viaVector);
            }
        }
        int[] top = Enumerable.Repeat(FixedPoint.ActivationMax, 9).ToArray(), bottom = Enumerable.Repeat(-FixedPoint.ActivationMax, 9).ToArray();
        Residual.Add(top, top, vector: true);
        Residual.Add(bottom, bottom, vector: true);
        Assert.All(top, v => Assert.Equal(FixedPoint.ActivationMax, v));
        Assert.All(bottom, v => Assert.Equal(-FixedPoint.ActivationMax, v));
    }

    [Fact]
    public void Rotary_PositionZeroIsIdentityAndRotationPreservesNorm()
    {
        int[] v = [65536, -131072, 300000, 7];
        int[] copy = [.. v];
        Rotary.Apply(v, 0, 4, Tables.WithHeadSize(4));
        Assert.Equal(copy, v);
        Rotary.Apply(v, 37, 4, Tables.WithHeadSize(4));
        double before = Math.Sqrt(copy.Sum(x => (double)x * x)), after = Math.Sqrt(v.Sum(x => (double)x * x));
        Assert.Equal(before, after, before * 1e-6);
    }
}

internal static class ConstantsExtensions
{
    public static ModelConstants WithHeadSize(this ModelConstants _, int headSize) =>
        ModelImporter.Constants(new ModelConfig(headSize * 2, 8, 1, 2, 1, 512, 64, true));
}
