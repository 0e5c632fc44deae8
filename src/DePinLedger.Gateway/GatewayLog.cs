using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway;

/// <summary>The coordinator's log events, with fixed ids.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "job {JobId}: {Tokens} tokens, result submitted in {Transaction}")]
    public static partial void JobSubmitted(ILogger logger, string jobId, int tokens, string transaction);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "job {JobId} failed: {Reason}")]
    public static partial void JobFailed(ILogger logger, string jobId, string reason);
}
