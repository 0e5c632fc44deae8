using DePinLedger.Data;
using DePinLedger.Data.Reputation;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Scheduler.Catalog;

/// <summary>Why a heartbeat was refused (the gateway maps these to HTTP statuses).</summary>
public enum HeartbeatRejection
{
    None,

    /// <summary>The body is not a well-formed heartbeat.</summary>
    Malformed,

    /// <summary>The signature header is missing or not 65 bytes of hex, or does not recover.</summary>
    BadSignature,

    /// <summary>The signature recovers to another address than the body's node.</summary>
    WrongSigner,

    /// <summary>The node is not registered on-chain (per the indexed database).</summary>
    UnknownNode,

    /// <summary>The signed time is older than the freshness limit.</summary>
    Stale,

    /// <summary>The signed time is ahead of the coordinator's clock by more than the allowed skew.</summary>
    FromTheFuture,

    /// <summary>The node already reported this time or a later one: a replayed or reordered body.</summary>
    Replay,
}

/// <summary>The outcome of one ingestion: the stored report, or the reason it was refused and a message for the sender.</summary>
public sealed record HeartbeatResult(HeartbeatRejection Rejection, string Message, HeartbeatReport? Report)
{
    public bool Accepted => Rejection == HeartbeatRejection.None;

    internal static HeartbeatResult Reject(HeartbeatRejection rejection, string message) => new(rejection, message, null);
}

/// <summary>Freshness limits for heartbeats.</summary>
public sealed record HeartbeatPolicy
{
    /// <summary>Oldest signed time accepted, relative to the coordinator's clock [default: 90 s, as the scheduling freshness].</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How far ahead of the coordinator's clock a signed time may be [default: 30 s of clock skew].</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Accepts signed heartbeats for the gateway's endpoint: checks the body, recovers the signer of keccak256(body) from
/// the X-Depin-Signature header, requires it to be the body's node and the node to be registered, refuses stale,
/// future and replayed times, and stores the report with the RTT the gateway measured (if it did).
/// </summary>
public sealed class HeartbeatIngestor(IDbContextFactory<DePinDbContext> database, TimeProvider clock, HeartbeatPolicy policy)
{
    /// <summary>
    /// Checks and stores one heartbeat. <paramref name="measuredRttMicros"/> gives the round trip the gateway measured to
    /// the body's node (asked once the node is known and its signature checked), or null for none.
    /// </summary>
    public async Task<HeartbeatResult> IngestAsync(ReadOnlyMemory<byte> body, string? signatureHeader, Func<string, int?>? measuredRttMicros, CancellationToken cancellationToken)
    {
        HeartbeatReport report;
        try
        {
            report = HeartbeatReport.Parse(body.Span);
        }
        catch (FormatException e)
        {
            return HeartbeatResult.Reject(HeartbeatRejection.Malformed, e.Message);
        }
        if (!TryParseSignature(signatureHeader, out byte[] signature, out string why)) return HeartbeatResult.Reject(HeartbeatRejection.BadSignature, why);

        if (!NodeKey.TryRecover(Keccak.Hash(body.Span), signature, out string? recovered, out string? invalid))
            return HeartbeatResult.Reject(HeartbeatRejection.BadSignature, invalid);
        string signer = AddressText.Normalize(recovered);
        if (signer != report.Node) return HeartbeatResult.Reject(HeartbeatRejection.WrongSigner, $"signed by {signer}, not by the node {report.Node}");

        DateTimeOffset now = clock.GetUtcNow();
        if (report.Time < now - policy.MaxAge) return HeartbeatResult.Reject(HeartbeatRejection.Stale, $"signed at {report.Time:O}, older than {policy.MaxAge.TotalSeconds:F0} s");
        if (report.Time > now + policy.MaxClockSkew) return HeartbeatResult.Reject(HeartbeatRejection.FromTheFuture, $"signed at {report.Time:O}, ahead of the coordinator's clock ({now:O})");

        await using DePinDbContext db = await database.CreateDbContextAsync(cancellationToken);
        if (!await db.Nodes.AnyAsync(n => n.Address == report.Node, cancellationToken))
            return HeartbeatResult.Reject(HeartbeatRejection.UnknownNode, $"node {report.Node} is not registered");
        DateTimeOffset? latest = await db.Heartbeats.Where(h => h.Node == report.Node).MaxAsync(h => (DateTimeOffset?)h.ReportedAt, cancellationToken);
        if (latest is { } last && report.Time <= last)
            return HeartbeatResult.Reject(HeartbeatRejection.Replay, $"node {report.Node} already reported time {last:O}; this body says {report.Time:O}");

        int? rtt = measuredRttMicros?.Invoke(report.Node);
        if (rtt is < 0) throw new ArgumentOutOfRangeException(nameof(measuredRttMicros), "a round-trip time cannot be negative");
        db.Heartbeats.Add(new Heartbeat
        {
            Node = report.Node,
            At = now,
            LatencyMicros = rtt,
            ReportedAt = report.Time,
            ModelId = report.ModelId,
            FirstLayer = report.FirstLayer,
            LastLayer = report.LastLayer,
            OpenSessions = report.OpenSessions,
            KvUsedBytes = report.KvUsedBytes,
            KvBudgetBytes = report.KvBudgetBytes,
            PositionsPerSecond = report.PositionsPerSecond,
            Signature = "0x" + Convert.ToHexStringLower(signature),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two copies raced past the check above; the unique (node, reported time) index kept one.
            return HeartbeatResult.Reject(HeartbeatRejection.Replay, $"node {report.Node} already reported time {report.Time:O}");
        }
        return new HeartbeatResult(HeartbeatRejection.None, "accepted", report);
    }

    /// <summary>0x and 130 hex digits (r ‖ s ‖ v); <see cref="NodeKey.TryRecover"/> checks the values.</summary>
    private static bool TryParseSignature(string? header, out byte[] signature, out string why)
    {
        signature = [];
        why = "";
        if (string.IsNullOrEmpty(header))
        {
            why = "the X-Depin-Signature header is missing";
            return false;
        }
        ReadOnlySpan<char> hex = header.AsSpan().Trim();
        if (!hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || hex.Length != 2 + 130 || hex[2..].ContainsAnyExcept("0123456789abcdefABCDEF"))
        {
            why = "the signature is not 0x and 130 hex digits (65 bytes)";
            return false;
        }
        signature = Convert.FromHexString(hex[2..]);
        return true;
    }
}
