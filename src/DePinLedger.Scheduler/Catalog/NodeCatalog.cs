using DePinLedger.Data;
using DePinLedger.Data.Reputation;
using DePinLedger.Scheduler.Planning;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Scheduler.Catalog;

/// <summary>How the catalog turns records into <see cref="NodeState"/>s.</summary>
public sealed record CatalogPolicy
{
    /// <summary>A slash whose infraction is this recent makes the node ineligible outright [default: 30 days]; reputation keeps punishing it after.</summary>
    public TimeSpan SlashExclusion { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Only heartbeats this recent are read [default: 90 s, the scheduling freshness].</summary>
    public TimeSpan HeartbeatMaxAge { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Reputation of a node the recompute job has not scored yet [default: 0.5, the default threshold].</summary>
    public double UnratedReputation { get; init; } = 0.5;

    /// <summary>RTT when no heartbeat carried a measured one [default: 50 ms].</summary>
    public double DefaultRttMs { get; init; } = 50;

    /// <summary>
    /// Measured RTTs are planned in steps of this many ms, rounded up [default: 5 ms; 0 = as measured]: a few probes'
    /// jitter (tenths of a ms on a LAN) must not move routes, while differences a route would feel still do.
    /// </summary>
    public double RttResolutionMs { get; init; } = 5;

    /// <summary>The RTT the planner uses for a measured one.</summary>
    public double PlannedRttMs(double measuredMs) =>
        RttResolutionMs > 0 ? Math.Max(1, Math.Ceiling(measuredMs / RttResolutionMs)) * RttResolutionMs : measuredMs;
}

/// <summary>
/// The scheduler's view of the swarm for one model: registered nodes and stake from the indexed chain, slashes, the
/// latest fresh heartbeat each node signed for that model (span, free KV, throughput, RTT) and the latest reputation.
/// </summary>
public sealed class NodeCatalog(IDbContextFactory<DePinDbContext> database, CatalogPolicy policy)
{
    public async Task<IReadOnlyList<NodeState>> LoadAsync(string modelId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        modelId = modelId.ToLowerInvariant();
        await using DePinDbContext db = await database.CreateDbContextAsync(cancellationToken);
        DateTimeOffset heartbeatCutoff = now - policy.HeartbeatMaxAge;
        DateTimeOffset slashCutoff = now - policy.SlashExclusion;

        var nodes = await db.Nodes.AsNoTracking().ToListAsync(cancellationToken);
        var slashed = (await db.Slashes.Where(s => s.InfractionTime >= slashCutoff).Select(s => s.Node).Distinct().ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var heartbeats = (await db.Heartbeats.AsNoTracking().Where(h => h.ModelId == modelId && h.At >= heartbeatCutoff).ToListAsync(cancellationToken))
            .GroupBy(h => h.Node).ToDictionary(g => g.Key, g => g.MaxBy(h => h.ReportedAt)!, StringComparer.Ordinal);
        var reputation = await LatestReputationAsync(db, cancellationToken);

        var states = new List<NodeState>(nodes.Count);
        foreach (var node in nodes)
        {
            heartbeats.TryGetValue(node.Address, out var beat);
            states.Add(new NodeState
            {
                Address = node.Address,
                Operator = node.Operator,
                Endpoint = node.Endpoint,
                Region = node.RegionCode,
                MemoryBytes = (long)node.MemoryMiB << 20,
                ComputeGops = node.ComputeGops,
                ActiveStake = node.ActiveStake,
                Frozen = node.FreezeCount > 0,
                Slashed = slashed.Contains(node.Address),
                Reputation = reputation.TryGetValue(node.Address, out int ppm) ? ppm / 1e6 : policy.UnratedReputation,
                HeartbeatAt = beat?.At,
                FirstLayer = beat?.FirstLayer ?? -1,
                LastLayer = beat?.LastLayer ?? -1,
                KvFreeBytes = beat is null ? 0 : beat.KvBudgetBytes - beat.KvUsedBytes,
                PositionsPerSecond = beat?.PositionsPerSecond ?? 0,
                RttMs = beat?.LatencyMicros is { } micros ? policy.PlannedRttMs(micros / 1000.0) : policy.DefaultRttMs,
            });
        }
        return states;
    }

    /// <summary>Each node's latest reputation score (ppm).</summary>
    private static async Task<Dictionary<string, int>> LatestReputationAsync(DePinDbContext db, CancellationToken cancellationToken) =>
        (await LatestSnapshots(db).Select(r => new { r.Id, r.Node, r.ScorePpm }).ToListAsync(cancellationToken))
            .GroupBy(r => r.Node).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Id)!.ScorePpm, StringComparer.Ordinal);

    /// <summary>The rows of each node's latest recompute (one per node unless two recomputes wrote at the same instant).</summary>
    internal static IQueryable<ReputationSnapshot> LatestSnapshots(DePinDbContext db) =>
        db.ReputationSnapshots.Where(r => r.At == db.ReputationSnapshots.Where(x => x.Node == r.Node).Max(x => x.At));
}
