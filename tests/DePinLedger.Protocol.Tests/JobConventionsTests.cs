using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;

namespace DePinLedger.Protocol.Tests;

/// <summary>The request-to-engine conventions, as StepProver and JobMarket apply them.</summary>
public class JobConventionsTests
{
    [Fact]
    public void PromptHash_IsKeccakOfPackedBigEndianUint32()
    {
        byte[] packed = [0, 0, 0, 1, 0, 0, 0x01, 0x90, 0x7F, 0xFF, 0xFF, 0xFF];
        Assert.Equal(Keccak.Hash(packed), JobConventions.PromptHash([1, 400, int.MaxValue]));
        Assert.Equal(Keccak.Hash([]), JobConventions.PromptHash([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobConventions.PromptHash([1, -1]));
    }

    [Theory]
    [InlineData(0u, 0)]
    [InlineData(1u, 1)]               // any positive Q16.16 value rounds up to at least one thousandth
    [InlineData(65u, 1)]
    [InlineData(66u, 2)]              // 66 · 1000 / 65536 = 1.007…
    [InlineData(52_429u, 801)]        // 0.8 in Q16.16 is 0.80000305…
    [InlineData(65_536u, 1000)]
    [InlineData(uint.MaxValue, 65_536_000)]
    public void CeilMilli_RoundsUp(uint q16, int milli) => Assert.Equal(milli, JobConventions.CeilMilli(q16));

    [Fact]
    public void Sampling_ClampsTheTemperature_AndPutsTheSeedInTheLowBytes()
    {
        var request = new JobRequest(default, default, 10, Temperature: 10 * JobRequest.Q16One, TopP: 32_768, Seed: 0x0102030405060708, 1, 0, 0, default);
        Assert.Equal(JobConventions.MaxTemperatureMilli, JobConventions.TemperatureMilli(request));
        Assert.Equal(500, JobConventions.TopPMilli(request));
        Assert.Equal(Bytes32.Parse("0x0000000000000000000000000000000000000000000000000102030405060708"), JobConventions.Seed(request));
    }

    [Fact]
    public void Q16FromMilli_RoundTripsThroughCeilMilli_ForEveryThousandth()
    {
        for (int milli = 0; milli <= 2000; milli++) Assert.Equal(milli, JobConventions.CeilMilli(JobConventions.Q16FromMilli(milli)));
        Assert.Equal(JobRequest.Q16One, JobConventions.Q16FromMilli(1000));
    }
}
