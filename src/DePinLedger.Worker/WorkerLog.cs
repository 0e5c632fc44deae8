using Microsoft.Extensions.Logging;

namespace DePinLedger.Worker;

/// <summary>The worker's log events, with fixed ids.</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "session {SessionId} opened for job {JobId} stage {Stage}, {Positions} positions")]
    public static partial void SessionOpened(ILogger logger, string sessionId, string jobId, byte stage, int positions);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "session refused: {Reason}")]
    public static partial void SessionRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "session {SessionId} closed after {Positions} positions, trace root {TraceRoot}")]
    public static partial void SessionClosed(ILogger logger, string sessionId, int positions, string traceRoot);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "fault injection: crashing at step {Step}")]
    public static partial void Crashing(ILogger logger, long step);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "dropped {Count} idle sessions")]
    public static partial void DroppedIdle(ILogger logger, int count);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "heartbeat to {Url} failed: {Reason}")]
    public static partial void HeartbeatFailed(ILogger logger, Uri url, string reason);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "data path: accepting a connection failed: {Reason}")]
    public static partial void DataPathAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Error, Message = "data path: a Forward call failed unexpectedly")]
    public static partial void DataPathCallFailed(ILogger logger, Exception exception);
}
