using DePinLedger.Indexer.Notifications;
using DePinLedger.Scheduler.Reputation;
using Hangfire;
using Mediator;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Reputation follows every slash the indexer commits (a Mediator notification after the commit): a Hangfire job
/// recomputes it at once, so the scheduler stops routing to the slashed node without waiting for the recurring pass,
/// whoever played the dispute (this coordinator, another one, an auditor).
/// </summary>
public sealed partial class SlashFollower(IBackgroundJobClient jobs, ILogger<SlashFollower> logger) : INotificationHandler<NodeSlashed>
{
    public ValueTask Handle(NodeSlashed notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        jobs.Enqueue<ReputationJob>(j => j.RunAsync(CancellationToken.None));
        LogSlashed(logger, notification.Node, notification.Slashed);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 8040, Level = LogLevel.Information, Message = "node {Node} slashed ({Slashed} wei): reputation is recomputed")]
    private static partial void LogSlashed(ILogger logger, string node, decimal slashed);
}
