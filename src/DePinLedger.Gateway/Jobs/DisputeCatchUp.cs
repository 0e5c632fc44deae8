using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Disputes what a previous coordinator on the same database submitted but never got to check: journaled jobs whose
/// replicas disagree (the journal keeps where they first differ) and whose check after submission never finished (it
/// stopped in between). Each is disputed from the journal while the chain still allows it: the job submitted, inside
/// its challenge window by the chain's clock, and no dispute open on it (an open one may be this coordinator's own,
/// opened before it stopped; a second cannot be opened on the same replica). Otherwise it is marked checked and logged:
/// a disagreement nobody disputed is finalized like any other job after the window.
/// </summary>
/// <remarks>Run at the start of every <see cref="BisectionJob"/> pass (also once at start-up), so a bisection it opens is advanced by the same pass.</remarks>
public sealed partial class DisputeCatchUp(CoordinatorJournal journal, DisputeWatcher watcher, JobCoordinator jobs, CoordinatorChain chain, GatewayMetrics metrics,
    ILogger<DisputeCatchUp> logger)
{
    /// <summary>One pass; returns how many disputes it opened.</summary>
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        if (!journal.Enabled || !watcher.Enabled) return 0;
        int disputed = 0;
        foreach ((JournaledJob job, int firstDifferingPosition) in await journal.UncheckedDisagreementsAsync(cancellation))
        {
            // A job this process is still running or checking: its own run marks it checked.
            if (jobs.Find(job.JobId) is { Settled.IsCompleted: false }) continue;
            string id = job.JobId.ToString();
            if (await WhyNotDisputableAsync(job, cancellation) is { } reason) LogSkipped(logger, id, reason);
            else
            {
                LogCatchingUp(logger, id, firstDifferingPosition);
                DisputeReport report = await watcher.CatchUpAsync(job, firstDifferingPosition, cancellation);
                if (report.Error is null && !report.Pending) metrics.Disputed(report);
                if (report.Error is null) disputed++;
            }
            await journal.MarkDisputeCheckedAsync(job.JobId, cancellation);
        }
        return disputed;
    }

    /// <summary>Null when the chain lets this coordinator dispute the job now; otherwise why not.</summary>
    private async Task<string?> WhyNotDisputableAsync(JournaledJob job, CancellationToken cancellation)
    {
        JobInfo onChain = (await chain.Connection.QueryOutputAsync<GetJobFunction, GetJobOutput>(chain.JobMarket, new GetJobFunction { JobId = job.JobId.ToArray() }, cancellation)).Job;
        if (onChain.Status != (byte)OnChainStatus.Submitted) return $"the job is {(OnChainStatus)onChain.Status}, not submitted";
        if (onChain.Replicas != 2) return "the job ran once";
        ulong window = await chain.Connection.QueryAsync<ChallengeWindowFunction, ulong>(chain.JobMarket, new ChallengeWindowFunction(), cancellation);
        if (await chain.Connection.LatestBlockTimeAsync(cancellation) >= onChain.SubmittedAt + window) return "its challenge window has closed: nobody disputed the disagreement";
        if (onChain.FreezeCount != 0) return $"{onChain.FreezeCount} dispute(s) already open on it";
        return null;
    }

    [LoggerMessage(EventId = 8030, Level = LogLevel.Warning, Message = "job {JobId}: its replicas disagree from position {Position} and the check after submission never finished: disputing it now")]
    private static partial void LogCatchingUp(ILogger logger, string jobId, int position);

    [LoggerMessage(EventId = 8031, Level = LogLevel.Warning, Message = "job {JobId}: its replicas disagree and were never checked, but it cannot be disputed: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string jobId, string reason);
}
