using DePinLedger.Data;
using DePinLedger.Data.Disputes;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Reputation;
using DePinLedger.Data.Staking;
using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Reputation;
using DePinLedger.Scheduler.Tests.Support;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Scheduler.Tests;

/// <summary>The reputation formula (REPUTATION.md) and the recompute job on PostgreSQL.</summary>
public sealed class ReputationTests
{
    private static readonly ReputationOptions Options = new();

    private static readonly double Threshold = new SchedulingPolicy().ReputationThreshold;

    /// <summary>A flawless node: every heartbeat for 30 days, 10 ms RTT, many passed verifications, ample stake.</summary>
    private static ReputationInputs Flawless(int passed = 10_000, decimal stake = 1e24m, IReadOnlyList<TimeSpan>? slashes = null) => new(
        [.. Enumerable.Range(0, 30).Select(d => new UptimeDay(d + 0.5, 2880, 2880))],
        [.. Enumerable.Repeat(10.0, 100)], passed, 0, 0, 0, slashes ?? [], stake);

    [Property(MaxTest = 300)]
    public bool ASlash_DropsTheScoreBelowTheThresholdAtOnce_WhateverTheRestOfTheHistory(NonNegativeInt passed, NonNegativeInt failed, PositiveInt stakeTokens, NonNegativeInt uptimeSeen, NonNegativeInt hoursSinceSlash)
    {
        var inputs = new ReputationInputs(
            [.. Enumerable.Range(0, 30).Select(d => new UptimeDay(d + 0.5, uptimeSeen.Get % 3000, 2880))],
            [.. Enumerable.Repeat(1.0 + uptimeSeen.Get % 200, 20)],
            passed.Get, failed.Get, passed.Get % 5, 0,
            [TimeSpan.FromHours(hoursSinceSlash.Get % (30 * 24))],
            stakeTokens.Get * 1e18m);
        ReputationScore score = ReputationModel.Compute(inputs, Options);
        return score.Score < Threshold && score.Score >= 0 && score.SlashFactor < Threshold;
    }

    [Property(MaxTest = 300)]
    public bool EveryPartIsInTheUnitInterval(NonNegativeInt passed, NonNegativeInt failed, NonNegativeInt lost, NonNegativeInt seen, PositiveInt rtt, NonNegativeInt stake)
    {
        var inputs = new ReputationInputs([new UptimeDay(0.5, seen.Get, 2880), new UptimeDay(1.5, seen.Get / 2, 1000)], [rtt.Get, rtt.Get * 3.0],
            passed.Get, failed.Get, 0, lost.Get % 50, [], stake.Get);
        ReputationScore s = ReputationModel.Compute(inputs, Options);
        return new[] { s.Score, s.Uptime, s.LatencyScore, s.VerificationScore, s.StakeScore, s.DisputeFactor, s.SlashFactor }.All(x => x is >= 0 and <= 1);
    }

    [Fact]
    public void ASlash_IsRepairedOnlySlowly()
    {
        double clean = ReputationModel.Compute(Flawless(), Options).Score;
        Assert.True(clean > 0.9, $"a flawless node scores {clean}");
        Assert.Equal(0, ReputationModel.Compute(Flawless(slashes: [TimeSpan.Zero]), Options).Score);
        // A month of perfect work later, still far below the threshold; only after about five months can it be scheduled again.
        Assert.True(ReputationModel.Compute(Flawless(passed: 1_000_000, slashes: [TimeSpan.FromDays(30)]), Options).Score < 0.05);
        Assert.True(ReputationModel.Compute(Flawless(passed: 1_000_000, slashes: [TimeSpan.FromDays(120)]), Options).Score < Threshold);
        Assert.True(ReputationModel.Compute(Flawless(passed: 1_000_000, slashes: [TimeSpan.FromDays(170)]), Options).Score >= Threshold);
        // And a second slash costs for good.
        Assert.True(ReputationModel.Compute(Flawless(slashes: [TimeSpan.FromDays(400), TimeSpan.FromDays(400)]), Options).Score < clean * 0.65);
    }

    [Fact]
    public void LatencySpread_AndLostDisputes_LowerTheScore()
    {
        ReputationScore steady = ReputationModel.Compute(Flawless(), Options);
        ReputationScore jittery = ReputationModel.Compute(Flawless() with { RttMs = [.. Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? 1.0 : 19.0)] }, Options);
        Assert.Equal(steady.LatencyMeanMs, jittery.LatencyMeanMs, 9);
        Assert.True(jittery.Score < steady.Score);
        Assert.Equal((1.0, 19.0), (jittery.LatencyP50Ms, jittery.LatencyP95Ms));
        Assert.True(ReputationModel.Compute(Flawless() with { DisputesLost = 1 }, Options).Score < steady.Score * 0.75);
    }

    [Fact]
    public async Task RecomputeJob_WritesHistoryRows_WithTheFormulaOverTheDatabase()
    {
        await using SchedulerDatabase database = await SchedulerDatabase.CreateAsync();
        var clock = new FixedClock(Swarm.Now);
        string honest = $"0x{1:x40}", slashed = $"0x{2:x40}", silent = $"0x{3:x40}";
        // All registered two days ago: the uptime window starts there.
        foreach (string node in new[] { honest, slashed, silent })
            await database.AddNodeAsync(node, stake: 1e22m, registeredAt: Swarm.Now - TimeSpan.FromDays(2));
        await using (DePinDbContext db = database.Context())
        {
            // Two days of heartbeats every 30 s for the first two nodes; RTT 20 ms in the last hour.
            for (int i = 0; i < 2 * 2880; i++)
                foreach (string node in new[] { honest, slashed })
                    db.Heartbeats.Add(new Heartbeat
                    {
                        Node = node, At = Swarm.Now - TimeSpan.FromSeconds(30 * i), ReportedAt = Swarm.Now - TimeSpan.FromSeconds(30 * i),
                        LatencyMicros = 20_000, ModelId = WorkerKey.ModelId, LastLayer = 31, KvBudgetBytes = 1,
                    });
            db.Jobs.Add(new JobRecord { JobId = "0x01", Client = honest, ModelId = WorkerKey.ModelId, Replicas = 2, Status = JobStatus.Finalized });
            db.Replicas.AddRange(new ReplicaRecord { JobId = "0x01", Replica = 0 }, new ReplicaRecord { JobId = "0x01", Replica = 1, ProvenWrong = true });
            db.StageReceipts.AddRange(new StageReceiptRecord { JobId = "0x01", Replica = 0, Node = honest }, new StageReceiptRecord { JobId = "0x01", Replica = 1, Node = slashed });
            db.Disputes.Add(new DisputeRecord { DisputeId = "0xd1", JobId = "0x01", Challenger = honest, AccusedNode = slashed, Status = DisputeStatus.ChallengerWon });
            db.Slashes.Add(new Slash { TxHash = "0xaa", Node = slashed, InfractionTime = Swarm.Now - TimeSpan.FromHours(1) });
            await db.SaveChangesAsync();
        }
        var job = new ReputationJob(database.Factory, clock, Options);

        Assert.Equal(3, await job.RunAsync(CancellationToken.None));
        clock.Now += TimeSpan.FromMinutes(5);
        Assert.Equal(3, await job.RunAsync(CancellationToken.None));

        await using DePinDbContext read = database.Context();
        Assert.Equal(6, await read.ReputationSnapshots.CountAsync());
        var latest = await read.ReputationSnapshots.Where(r => r.At == clock.Now).ToDictionaryAsync(r => r.Node);
        Assert.True(latest[honest].ScorePpm >= Threshold * 1e6, $"honest scores {latest[honest].ScorePpm} ppm");
        Assert.Equal((1, 0, 20_000, 0), (latest[honest].VerificationsPassed, latest[honest].VerificationsFailed, latest[honest].LatencyP50Micros, latest[honest].Slashes));
        Assert.True(latest[honest].UptimePpm > 990_000, $"uptime {latest[honest].UptimePpm}");
        Assert.True(latest[slashed].ScorePpm < Threshold * 1e6, $"slashed scores {latest[slashed].ScorePpm} ppm");
        Assert.Equal((0, 1, 1, 1), (latest[slashed].VerificationsPassed, latest[slashed].VerificationsFailed, latest[slashed].DisputesLost, latest[slashed].Slashes));
        Assert.Equal(0, latest[silent].UptimePpm);
        Assert.True(latest[silent].ScorePpm < latest[honest].ScorePpm);
    }

    [Fact]
    public async Task RecomputeJob_LeavesUnrated_ANodeWithNoHeartbeatDueSinceTheCoordinatorStartedListening()
    {
        await using SchedulerDatabase database = await SchedulerDatabase.CreateAsync();
        var clock = new FixedClock(Swarm.Now);
        string node = $"0x{4:x40}";
        await database.AddNodeAsync(node, stake: 1e21m, registeredAt: Swarm.Now - TimeSpan.FromMinutes(2));
        // The coordinator started 10 s ago (less than one 30 s heartbeat interval) and has heard nothing yet.
        var listening = new ReputationJob(database.Factory, clock, Options with { ObservedSince = Swarm.Now - TimeSpan.FromSeconds(10) });

        Assert.Equal(0, await listening.RunAsync(CancellationToken.None));
        await using (DePinDbContext read = database.Context()) Assert.Empty(await read.ReputationSnapshots.ToListAsync());

        // Judged from registration instead, the same silence is four missed heartbeats: uptime 0, scored below the threshold.
        Assert.Equal(1, await new ReputationJob(database.Factory, clock, Options).RunAsync(CancellationToken.None));
        await using (DePinDbContext read = database.Context())
        {
            ReputationSnapshot snapshot = Assert.Single(await read.ReputationSnapshots.ToListAsync());
            Assert.Equal(0, snapshot.UptimePpm);
            Assert.True(snapshot.ScorePpm < Threshold * 1e6);
        }

        // A minute after it started listening, the heartbeats it did not get count.
        clock.Now += TimeSpan.FromSeconds(50);
        Assert.Equal(1, await listening.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RecomputeJob_ScoresASlashedNode_EvenWithNoHeartbeatDueYet()
    {
        await using SchedulerDatabase database = await SchedulerDatabase.CreateAsync();
        var clock = new FixedClock(Swarm.Now);
        string node = $"0x{5:x40}";
        await database.AddNodeAsync(node, stake: 1e21m, registeredAt: Swarm.Now - TimeSpan.FromMinutes(2));
        await using (DePinDbContext db = database.Context())
        {
            db.Slashes.Add(new Slash { TxHash = "0xbb", Node = node, InfractionTime = Swarm.Now - TimeSpan.FromSeconds(30) });
            await db.SaveChangesAsync();
        }

        var job = new ReputationJob(database.Factory, clock, Options with { ObservedSince = Swarm.Now - TimeSpan.FromSeconds(10) });

        Assert.Equal(1, await job.RunAsync(CancellationToken.None));
        await using DePinDbContext read = database.Context();
        Assert.Equal(0, Assert.Single(await read.ReputationSnapshots.ToListAsync()).ScorePpm);
    }
}
