using System.Diagnostics;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Receipts;
using Xunit.Abstractions;

namespace DePinLedger.Worker.Tests;

/// <summary>
/// A 3-stage pipeline of real worker processes on loopback against the single-process Generator: same tokens, leaves
/// and trace root, healthy, after a real kill of a worker mid-generation, and with a straggler hedged.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class PipelineTests(PipelineFixture fixture, ITestOutputHelper output)
{
    private const int Tokens = 40;

    [Theory]
    [InlineData(0, 1000, 0ul)]
    [InlineData(900, 900, 42ul)]
    public async Task ThreeStagePipeline_MatchesSingleProcess_BitForBit(int temperatureMilli, int topPMilli, ulong seed)
    {
        var sampling = new SamplingParams(temperatureMilli, topPMilli, SamplingParams.SeedFrom(seed));
        (GenerationResult expected, IReadOnlyList<Hash32> leaves) = fixture.Reference(fixture.Prompt, Tokens, sampling);

        var streamed = new List<int>();
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(), PipelineFixture.Job(fixture.Prompt, Tokens, sampling, (byte)seed), streamed.Add);

        Assert.Equal(expected.OutputTokens, result.OutputTokens);
        Assert.Equal(expected.OutputTokens, streamed);
        Assert.Equal(leaves, result.Leaves);
        Assert.Equal(expected.TraceRoot, result.TraceRoot);
        Assert.Equal(expected.OutputHash, result.OutputHash);
        Assert.All(result.Stages, s => Assert.Equal(0, s.Failovers));
        Assert.All(result.Stages, s => Assert.True(s.DataPath, $"stage {s.Stage}: {s.DataPathUnavailable}"));
        output.WriteLine($"pipeline {result.DecodeTokensPerSecond:F0} tok/s decode vs single process {expected.DecodeTokensPerSecond:F0} tok/s; " +
                         $"mean step per stage {string.Join(", ", result.Stages.Select(s => $"{s.MeanMs:F2}±{s.StdDevMs:F2} ms"))}");
    }

    [Fact]
    public async Task Receipts_RecoverToTheNodeKey_AndChainTheirRoots()
    {
        PipelineJob job = PipelineFixture.Job(fixture.Prompt, 12, SamplingParams.Greedy, 7);
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(), job);

        var domain = Eip712Domain.For(PipelineFixture.ChainId, PipelineFixture.JobMarket);
        Assert.Equal(3, result.Receipts.Count);
        for (int s = 0; s < 3; s++)
        {
            SignedStageReceipt r = result.Receipts[s];
            Assert.Equal(fixture.Node.Address, NodeKey.Recover(r.Receipt.Digest(domain), r.Signature), StringComparer.OrdinalIgnoreCase);
            Assert.Equal((byte)s, r.Receipt.Stage);
            if (s > 0) Assert.Equal(result.Receipts[s - 1].Receipt.OutputRoot, r.Receipt.InputRoot);
        }
        Assert.Equal(result.OutputHash.AsSpan().ToArray(), result.Receipts[2].Receipt.OutputRoot.ToArray());
        // A receipt for another job market does not recover to the node.
        var other = Eip712Domain.For(PipelineFixture.ChainId, "0x0000000000000000000000000000000000000001");
        Assert.NotEqual(fixture.Node.Address, NodeKey.Recover(result.Receipts[0].Receipt.Digest(other), result.Receipts[0].Signature), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task KilledWorker_MidGeneration_FailsOverToAReplica_WithIdenticalResult()
    {
        var sampling = new SamplingParams(800, 950, SamplingParams.SeedFrom(9));
        (GenerationResult expected, IReadOnlyList<Hash32> leaves) = fixture.Reference(fixture.Prompt, Tokens, sampling);
        using WorkerProcess victim = await WorkerProcess.StartAsync(fixture.Node, "2-3");

        int seen = 0;
        // No hedging here: on a loaded machine a spurious hedge could move the stage off the victim before the kill.
        PipelineResult result = await new PipelineRunner(new PipelineOptions { Hedging = false }).RunAsync(fixture.Route(victim.Address, fixture.Stage1Spare.Address),
            PipelineFixture.Job(fixture.Prompt, Tokens, sampling, 9), _ =>
            {
                if (++seen == 10) victim.Kill(); // a real SIGKILL of the middle stage's worker
            });

        Assert.True(victim.HasExited);
        Assert.Equal(expected.OutputTokens, result.OutputTokens);
        Assert.Equal(leaves, result.Leaves);
        Assert.Equal(expected.TraceRoot, result.TraceRoot);
        Assert.Equal(1, result.Stages[1].Failovers);
        Assert.Equal(fixture.Stage1Spare.Address, result.Stages[1].FinalEndpoint);
        Assert.Equal(fixture.Stage1Spare.Address, result.Receipts[1].Endpoint);
        Assert.Equal(0, result.Stages[0].Failovers + result.Stages[2].Failovers);
    }

    [Fact]
    public async Task SlowWorker_IsHedged_ToAReplica_WithIdenticalResult()
    {
        const int delayMs = 400;
        (GenerationResult expected, IReadOnlyList<Hash32> leaves) = fixture.Reference(fixture.Prompt, Tokens, SamplingParams.Greedy);
        // Healthy for the prefill and 8 decode steps (the statistics form), then every step takes 400 ms more.
        using WorkerProcess slow = await WorkerProcess.StartAsync(fixture.Node, "2-3", "--fault-delay-ms", delayMs.ToString(), "--fault-delay-from-step", "10");

        var clock = Stopwatch.StartNew();
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(slow.Address, fixture.Stage1Spare.Address),
            PipelineFixture.Job(fixture.Prompt, Tokens, SamplingParams.Greedy, 11));
        TimeSpan elapsed = clock.Elapsed;

        Assert.Equal(expected.OutputTokens, result.OutputTokens);
        Assert.Equal(leaves, result.Leaves);
        Assert.Equal(expected.TraceRoot, result.TraceRoot);
        StageStats middle = result.Stages[1];
        Assert.True(middle.Hedges >= 1 && middle.HedgeWins >= 1, $"hedges {middle.Hedges}, wins {middle.HedgeWins}");
        Assert.Equal(fixture.Stage1Spare.Address, middle.FinalEndpoint);
        // Unhedged, the 30 slow steps would cost 12 s or more; hedged, about one threshold wait and a replay
        // (≈ 0.5 s on an idle machine; the bound leaves room for a loaded 2-core machine).
        Assert.True(result.DecodeTime < TimeSpan.FromMilliseconds(10 * delayMs), $"decode took {result.DecodeTime.TotalMilliseconds:F0} ms");
        output.WriteLine($"hedged run: decode {result.DecodeTime.TotalMilliseconds:F0} ms, total {elapsed.TotalMilliseconds:F0} ms, middle stage {middle.MeanMs:F2}±{middle.StdDevMs:F2} ms, hedges {middle.Hedges}");
    }

    [Fact]
    public async Task VerifiedJob_RunsBothReplicasOnDisjointWorkers_StreamingReplicaZero()
    {
        var sampling = new SamplingParams(800, 950, SamplingParams.SeedFrom(9));
        (GenerationResult expected, IReadOnlyList<Hash32> leaves) = fixture.Reference(fixture.Prompt, 24, sampling);
        using WorkerProcess first = await WorkerProcess.StartAsync(fixture.Node, "0-1");
        using WorkerProcess last = await WorkerProcess.StartAsync(fixture.Node, "4-4");
        IReadOnlyList<StageRoute> check = [new StageRoute(0, 1, [first.Address]), new StageRoute(2, 3, [fixture.Stage1Spare.Address]), new StageRoute(4, 4, [last.Address])];

        var streamed = new List<int>();
        (PipelineResult served, PipelineResult other) = await new PipelineRunner().RunVerifiedAsync(fixture.Route(), check, PipelineFixture.Job(fixture.Prompt, 24, sampling, 21), streamed.Add);

        foreach (PipelineResult replica in (PipelineResult[])[served, other])
        {
            Assert.Equal(expected.OutputTokens, replica.OutputTokens);
            Assert.Equal(leaves, replica.Leaves);
            Assert.Equal(expected.TraceRoot, replica.TraceRoot);
        }
        Assert.Equal(served.OutputTokens, streamed);
        Assert.All(served.Receipts, r => Assert.Equal(0, r.Receipt.Replica));
        Assert.All(other.Receipts, r => Assert.Equal(1, r.Receipt.Replica));
        Assert.Equal([fixture.Stage0.Address, fixture.Stage1.Address, fixture.Stage2.Address], served.Receipts.Select(r => r.Endpoint));
        Assert.Equal([first.Address, fixture.Stage1Spare.Address, last.Address], other.Receipts.Select(r => r.Endpoint));

        var shared = await Assert.ThrowsAsync<ArgumentException>(() => new PipelineRunner().RunVerifiedAsync(fixture.Route(), fixture.Route(), PipelineFixture.Job(fixture.Prompt, 4, sampling, 22)));
        Assert.Contains("share workers", shared.Message);
    }
}
