using DePinLedger.Data;
using DePinLedger.Data.Reputation;
using DePinLedger.Data.Staking;
using DePinLedger.Scheduler.Queries;
using DePinLedger.Scheduler.Tests.Support;

namespace DePinLedger.Scheduler.Tests;

/// <summary>The filter and sort behind GET /v1/nodes and depin nodes list, on PostgreSQL.</summary>
public sealed class NodeQueryTests
{
    [Theory]
    [InlineData("0x12", null, null, null, "model must be a model id")]
    [InlineData(null, "-5", null, null, "minStake must be a whole number")]
    [InlineData(null, "1.5", null, null, "minStake must be a whole number")]
    [InlineData(null, null, "fastest", null, "sort must be one of reputation, stake, latency, uptime")]
    [InlineData(null, null, "1", null, "sort must be one of")]
    [InlineData(null, null, null, "0", "limit must be 1..10000")]
    public void BadQueryValues_AreNamed(string? model, string? minStake, string? sort, string? limit, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<ArgumentException>(() => NodeQuery.Parse(model, minStake, sort, limit)).Message);

    [Fact]
    public void DefaultsAndCase()
    {
        Assert.Equal(new NodeQuery(null, 0, NodeSort.Reputation, NodeQuery.DefaultLimit), NodeQuery.Parse(null, "", null, null));
        Assert.Equal(new NodeQuery(WorkerKey.ModelId, 7, NodeSort.Stake, 3), NodeQuery.Parse(WorkerKey.ModelId.ToUpperInvariant().Replace("0X", "0x"), "7", "STAKE", "3"));
    }

    [Fact]
    public async Task List_FiltersByModelAndStake_SortsAndShowsTheComponents()
    {
        await using SchedulerDatabase database = await SchedulerDatabase.CreateAsync();
        string a = $"0x{0xa:x40}", b = $"0x{0xb:x40}", c = $"0x{0xc:x40}";
        await database.AddNodeAsync(a, stake: 5_000);
        await database.AddNodeAsync(b, stake: 90_000);
        await database.AddNodeAsync(c, stake: 100);
        await using (DePinDbContext db = database.Context())
        {
            db.ReputationSnapshots.AddRange(
                new ReputationSnapshot { Node = a, At = Swarm.Now - TimeSpan.FromMinutes(10), ScorePpm = 100_000 },
                new ReputationSnapshot { Node = a, At = Swarm.Now - TimeSpan.FromMinutes(5), ScorePpm = 900_000, UptimePpm = 990_000, LatencyP50Micros = 30_000, LatencyP95Micros = 80_000, DisputesWon = 2 },
                new ReputationSnapshot { Node = b, At = Swarm.Now - TimeSpan.FromMinutes(5), ScorePpm = 600_000, LatencyP50Micros = 10_000 });
            db.Slashes.Add(new Slash { TxHash = "0x01", Node = b, InfractionTime = Swarm.Now - TimeSpan.FromDays(400) });
            db.Heartbeats.AddRange(
                new Heartbeat { Node = a, At = Swarm.Now - TimeSpan.FromSeconds(10), ReportedAt = Swarm.Now, ModelId = WorkerKey.ModelId, FirstLayer = 0, LastLayer = 15, KvBudgetBytes = 1 },
                new Heartbeat { Node = b, At = Swarm.Now - TimeSpan.FromSeconds(10), ReportedAt = Swarm.Now, ModelId = "0x" + new string('2', 64), FirstLayer = 0, LastLayer = 31, KvBudgetBytes = 1 });
            await db.SaveChangesAsync();
        }
        var service = new NodeQueryService(database.Factory, new FixedClock(Swarm.Now), TimeSpan.FromSeconds(90));

        IReadOnlyList<NodeSummary> all = await service.ListAsync(NodeQuery.Parse(null, null, null, null), CancellationToken.None);
        Assert.Equal([a, b, c], all.Select(n => n.Address));
        NodeSummary first = all[0];
        Assert.Equal((0.9, 0.99, 30.0, 80.0, 2, 0), (first.Reputation, first.Uptime, first.LatencyP50Ms, first.LatencyP95Ms, first.DisputesWon, first.Slashes));
        Assert.Equal((WorkerKey.ModelId, 0, 15), (first.ServedModel, first.FirstLayer, first.LastLayer));
        Assert.Equal(1, all[1].Slashes);
        Assert.Null(all[2].Reputation);

        Assert.Equal([b, a, c], (await service.ListAsync(NodeQuery.Parse(null, null, "stake", null), CancellationToken.None)).Select(n => n.Address));
        Assert.Equal([b, a, c], (await service.ListAsync(NodeQuery.Parse(null, null, "latency", null), CancellationToken.None)).Select(n => n.Address));
        Assert.Equal([b, a], (await service.ListAsync(NodeQuery.Parse(null, "1000", "stake", null), CancellationToken.None)).Select(n => n.Address));
        Assert.Equal([a], (await service.ListAsync(NodeQuery.Parse(WorkerKey.ModelId, null, null, null), CancellationToken.None)).Select(n => n.Address));
    }
}
