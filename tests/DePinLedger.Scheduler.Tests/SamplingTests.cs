using DePinLedger.Scheduler.Sampling;

namespace DePinLedger.Scheduler.Tests;

/// <summary>Redundancy sampling: the configured share per model, unpredictable without the key; the Proof-of-Sampling break-even.</summary>
public sealed class SamplingTests
{
    private static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public void RunTwice_HitsTheConfiguredShare_PerModel()
    {
        var sampler = new RedundancySampler(Secret, 0.1, new Dictionary<string, double> { ["0xbig"] = 0.5 });
        int defaultHits = 0, bigHits = 0;
        for (int i = 0; i < 20_000; i++)
        {
            string job = $"0x{i:x64}";
            if (sampler.RunTwice(job, "0xother")) defaultHits++;
            if (sampler.RunTwice(job, "0xBIG")) bigHits++;
        }
        Assert.InRange(defaultHits / 20_000.0, 0.09, 0.11);
        Assert.InRange(bigHits / 20_000.0, 0.48, 0.52);
        Assert.Equal(sampler.RunTwice("0x01", "0xother"), sampler.RunTwice("0x01", "0xother"));
    }

    [Fact]
    public void AnotherSecret_DrawsOtherJobs()
    {
        var one = new RedundancySampler(Secret, 0.5);
        var other = new RedundancySampler([.. Secret.Reverse()], 0.5);
        int differ = Enumerable.Range(0, 1000).Count(i => one.RunTwice($"0x{i:x64}", "m") != other.RunTwice($"0x{i:x64}", "m"));
        Assert.InRange(differ, 400, 600);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void RatesOutsideTheUnitInterval_AreRefused(double rate) =>
        Assert.Throws<ArgumentException>(() => new RedundancySampler(Secret, rate));

    [Fact]
    public void Economics_BreakEvenIsTheMinimumRate()
    {
        // Fee 10, slash 1000, perfect detection: p* = 10 / 1010.
        var economics = new SamplingEconomics(Gain: 10, Slash: 1000, SamplingRate: 0.05, Detection: 1).Validated();
        Assert.Equal(10.0 / 1010, economics.MinimumSamplingRate, 12);
        Assert.True(economics.CheatingIsIrrational);
        Assert.Equal(0.95 * 10 - 0.05 * 1000, economics.CheatingExpectedValue, 9);
        Assert.Equal(0, (economics with { SamplingRate = economics.MinimumSamplingRate }).CheatingExpectedValue, 9);
        Assert.False((economics with { SamplingRate = 0.005 }).CheatingIsIrrational);
        Assert.Equal(10 * 0.95 / 0.05, economics.MinimumSlash, 9);
    }
}
