using System.Collections.Concurrent;
using DePinLedger.Data;
using DePinLedger.Pipeline;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Nodes;

/// <summary>
/// Measures the round trip from this coordinator to each node that sends heartbeats, at its registered endpoint, on the
/// transport its pipelines would use (data path pings, or gRPC), each after a short idle gap as between a pipeline's
/// steps. The latest measurement goes into the node's next heartbeat row, which is where the scheduler's latency
/// model (compute + RTT per stage) and the latency part of reputation read it. A node not measured, or unreachable
/// at its registered endpoint, has none (the scheduler then assumes its default RTT).
/// </summary>
public sealed class NodeLatencyProbe(IDbContextFactory<DePinDbContext> database, PipelineOptions pipeline, TimeProvider clock, ILogger<NodeLatencyProbe> logger)
{
    /// <summary>A node is measured at most this often, however often it sends heartbeats.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(10);

    /// <summary>Round trips per measurement (the median counts) and the idle gap before each.</summary>
    public const int Samples = 3;

    public static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(5);

    /// <summary>Longest wait for one call of a measurement.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Measurements in flight at once; heartbeats beyond that wait for their node's next turn.</summary>
    public const int MaxConcurrent = 8;

    private readonly ConcurrentDictionary<string, int> _latestMicros = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _measuredAt = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);

    /// <summary>The node's latest measured round trip in microseconds, or null.</summary>
    public int? LatestMicros(string node) => _latestMicros.TryGetValue(node, out int micros) ? micros : null;

    /// <summary>Starts a measurement of the node in the background unless one ran within <see cref="MinInterval"/> or too many run.</summary>
    public void Refresh(string node)
    {
        DateTimeOffset now = clock.GetUtcNow();
        if (_measuredAt.TryGetValue(node, out DateTimeOffset last) && now - last < MinInterval) return;
        if (!_slots.Wait(0)) return;
        _measuredAt[node] = now;
        _ = Task.Run(async () =>
        {
            try
            {
                await MeasureAsync(node);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Fire and forget: a failure (the database gone at shutdown, say) is logged, never unobserved.
                GatewayLog.LatencyProbeFailed(logger, node, e);
            }
            finally
            {
                _slots.Release();
            }
        });
    }

    /// <summary>Measures the node now and records the result (or forgets the old one when it cannot be reached).</summary>
    public async Task<int?> MeasureAsync(string node)
    {
        string? endpoint;
        await using (DePinDbContext db = await database.CreateDbContextAsync())
            endpoint = await db.Nodes.Where(n => n.Address == node).Select(n => n.Endpoint).FirstOrDefaultAsync();
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
        {
            _latestMicros.TryRemove(node, out _);
            return null;
        }
        try
        {
            RoundTrips trips = await RoundTrips.MeasureAsync(url, pipeline.DirectDataPath, Samples, Gap, warmUps: 1, CallTimeout, CancellationToken.None);
            int micros = (int)Math.Round(trips.Median * 1000);
            _latestMicros[node] = micros;
            return micros;
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException or OperationCanceledException)
        {
            GatewayLog.NodeUnreachable(logger, node, url, e.Message);
            _latestMicros.TryRemove(node, out _);
            return null;
        }
    }
}
