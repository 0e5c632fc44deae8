using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway;

/// <summary>The coordinator's log events, with fixed ids.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "job {JobId}: {Tokens} tokens, result submitted in {Transaction}")]
    public static partial void JobSubmitted(ILogger logger, string jobId, int tokens, string transaction);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "job {JobId} failed: {Reason}")]
    public static partial void JobFailed(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "job {JobId}: the replicas disagreed; dispute {DisputeId} against replica {Replica}: {Outcome}")]
    public static partial void Disputed(ILogger logger, string jobId, string disputeId, byte replica, string outcome);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "job {JobId}: the replicas disagreed but the dispute failed: {Reason}")]
    public static partial void DisputeFailed(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Information, Message = "node {Node}: no round trip measured at its registered endpoint {Endpoint}: {Reason}")]
    public static partial void NodeUnreachable(ILogger logger, string node, Uri endpoint, string reason);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "journal: deleted {Count} settled jobs submitted over {Days} days ago")]
    public static partial void JournalPruned(ILogger logger, int count, double days);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "node {Node}: measuring its round trip failed")]
    public static partial void LatencyProbeFailed(ILogger logger, string node, Exception exception);
}
