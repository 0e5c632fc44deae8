using System.Globalization;
using DePinLedger.Data;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Scheduler.Catalog;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Scheduler.Queries;

/// <summary>Orders of the node list.</summary>
public enum NodeSort
{
    /// <summary>Highest reputation first (the default).</summary>
    Reputation,

    /// <summary>Largest active stake first.</summary>
    Stake,

    /// <summary>Lowest median RTT first (unmeasured last).</summary>
    Latency,

    /// <summary>Highest decayed uptime first.</summary>
    Uptime,
}

/// <summary>The filter and order of <c>GET /v1/nodes?model=&amp;minStake=&amp;sort=</c> and <c>depin nodes list</c>.</summary>
public sealed record NodeQuery(string? Model, decimal MinStake, NodeSort Sort, int Limit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    /// <summary>Parses the raw query values; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static NodeQuery Parse(string? model, string? minStake, string? sort, string? limit)
    {
        string? modelId = null;
        if (!string.IsNullOrEmpty(model))
            modelId = Bytes32.TryParse(model, out Bytes32 id) && model.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? id.ToString()
                : throw new ArgumentException($"model must be a model id (0x and 64 hex digits), got '{model}'", nameof(model));
        decimal stake = 0;
        if (!string.IsNullOrEmpty(minStake) && !decimal.TryParse(minStake, NumberStyles.None, CultureInfo.InvariantCulture, out stake))
            throw new ArgumentException($"minStake must be a whole number of token base units, got '{minStake}'", nameof(minStake));
        NodeSort order = NodeSort.Reputation;
        if (!string.IsNullOrEmpty(sort) && (!Enum.TryParse(sort, ignoreCase: true, out order) || !Enum.IsDefined(order) || int.TryParse(sort, out _)))
            throw new ArgumentException($"sort must be one of {string.Join(", ", Enum.GetNames<NodeSort>().Select(n => n.ToLowerInvariant()))}, got '{sort}'", nameof(sort));
        int count = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
            throw new ArgumentException($"limit must be 1..{MaxLimit}, got '{limit}'", nameof(limit));
        return new NodeQuery(modelId, stake, order, count);
    }
}

/// <summary>
/// One node as the list shows it: stake, reputation and its parts (ppm → fractions), latency, disputes, slashes,
/// liveness; <see cref="RttMs"/> is the round trip the coordinator measured with the latest fresh heartbeat (what the
/// scheduler plans with), null when it has none.
/// </summary>
public sealed record NodeSummary(
    string Address, string Operator, ushort Region, decimal ActiveStake, bool Frozen, int Slashes,
    double? Reputation, double? Uptime, double? LatencyScore, double? StakeScore, double? SlashFactor,
    int VerificationsPassed, int VerificationsFailed, double? LatencyP50Ms, double? LatencyP95Ms,
    int DisputesWon, int DisputesLost, DateTimeOffset? ReputationAt, DateTimeOffset? LastHeartbeatAt,
    string? ServedModel, int? FirstLayer, int? LastLayer, double? RttMs);

/// <summary>Reads the node list from the database (the gateway's <c>GET /v1/nodes</c> and <c>depin nodes list</c> both call this).</summary>
public sealed class NodeQueryService(IDbContextFactory<DePinDbContext> database, TimeProvider clock, TimeSpan heartbeatMaxAge)
{
    public async Task<IReadOnlyList<NodeSummary>> ListAsync(NodeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        DateTimeOffset fresh = clock.GetUtcNow() - heartbeatMaxAge;
        await using DePinDbContext db = await database.CreateDbContextAsync(cancellationToken);
        var nodes = await db.Nodes.AsNoTracking().Where(n => n.ActiveStake >= query.MinStake).ToListAsync(cancellationToken);
        var snapshots = (await NodeCatalog.LatestSnapshots(db).AsNoTracking().ToListAsync(cancellationToken))
            .GroupBy(r => r.Node).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Id)!, StringComparer.Ordinal);
        var slashes = await db.Slashes.GroupBy(s => s.Node).Select(g => new { Node = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Node, g => g.Count, StringComparer.Ordinal, cancellationToken);
        var lastSeen = await db.Heartbeats.GroupBy(h => h.Node).Select(g => new { Node = g.Key, At = g.Max(h => h.At) })
            .ToDictionaryAsync(g => g.Node, g => g.At, StringComparer.Ordinal, cancellationToken);
        var serving = (await db.Heartbeats.AsNoTracking().Where(h => h.At >= fresh && (query.Model == null || h.ModelId == query.Model)).ToListAsync(cancellationToken))
            .GroupBy(h => h.Node).ToDictionary(g => g.Key, g => g.MaxBy(h => h.ReportedAt)!, StringComparer.Ordinal);

        var rows = new List<NodeSummary>(nodes.Count);
        foreach (var node in nodes)
        {
            serving.TryGetValue(node.Address, out var beat);
            if (query.Model is not null && beat is null) continue;
            snapshots.TryGetValue(node.Address, out var r);
            rows.Add(new NodeSummary(
                node.Address, node.Operator, node.RegionCode, node.ActiveStake, node.FreezeCount > 0, slashes.GetValueOrDefault(node.Address),
                r?.ScorePpm / 1e6, r?.UptimePpm / 1e6, r?.LatencyScorePpm / 1e6, r?.StakeScorePpm / 1e6, r?.SlashFactorPpm / 1e6,
                r?.VerificationsPassed ?? 0, r?.VerificationsFailed ?? 0, r?.LatencyP50Micros / 1000.0, r?.LatencyP95Micros / 1000.0,
                r?.DisputesWon ?? 0, r?.DisputesLost ?? 0, r?.At, lastSeen.TryGetValue(node.Address, out var seen) ? seen : null,
                beat?.ModelId, beat?.FirstLayer, beat?.LastLayer, beat?.LatencyMicros / 1000.0));
        }
        IOrderedEnumerable<NodeSummary> ordered = query.Sort switch
        {
            NodeSort.Stake => rows.OrderByDescending(n => n.ActiveStake),
            NodeSort.Latency => rows.OrderBy(n => n.LatencyP50Ms is null || n.LatencyP50Ms == 0 ? double.PositiveInfinity : n.LatencyP50Ms.Value),
            NodeSort.Uptime => rows.OrderByDescending(n => n.Uptime ?? -1),
            _ => rows.OrderByDescending(n => n.Reputation ?? -1),
        };
        return [.. ordered.ThenBy(n => n.Address, StringComparer.Ordinal).Take(query.Limit)];
    }
}
