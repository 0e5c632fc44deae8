using System.Globalization;
using System.Numerics;
using DePinLedger.Chain.Contracts.Game;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Data.Coordination;
using DePinLedger.Disputes.Client;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Telemetry;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Disputes what a previous coordinator on the same database submitted but never got to check: journaled jobs whose
/// replicas disagree (the journal keeps where they first differ) and whose check after submission never finished (it
/// stopped in between). Each is disputed from the journal while the chain still allows it: the job submitted, inside
/// its challenge window by the chain's clock, and no dispute open on it. A dispute open on it that this coordinator
/// opened before it stopped (a fast-path dispute is not recorded) is recorded as a bisection, which the bisection job
/// plays on. Otherwise the job is marked checked and logged: a disagreement nobody disputed is finalized like any
/// other job after the window.
/// </summary>
/// <remarks>Run at the start of every <see cref="BisectionJob"/> pass (also once at start-up), so a bisection it opens is advanced by the same pass.</remarks>
public sealed partial class DisputeCatchUp(CoordinatorJournal journal, DisputeWatcher watcher, JobCoordinator jobs, CoordinatorChain chain, GatewayMetrics metrics,
    ILogger<DisputeCatchUp> logger)
{
    /// <summary>One pass; returns how many disputes it opened or took up.</summary>
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        if (!journal.Enabled || !watcher.Enabled) return 0;
        int disputed = 0;
        foreach ((JournaledJob job, int firstDifferingPosition) in await journal.UncheckedDisagreementsAsync(cancellation))
        {
            // A job this process is still running or checking: its own run marks it checked.
            if (jobs.Find(job.JobId) is { Settled.IsCompleted: false }) continue;
            string id = job.JobId.ToString();
            (string? reason, BisectionRecord? own) = await StateAsync(job, firstDifferingPosition, cancellation);
            if (own is not null)
            {
                // This coordinator opened it and stopped before recording it (a fast-path dispute is not recorded): the
                // bisection job plays it on from wherever it stands (reveal, step, resolve), answering from the retained traces.
                if (await journal.FindBisectionAsync(own.DisputeId, cancellation) is null)
                {
                    await journal.OpenBisectionAsync(own, cancellation);
                    LogTakenUp(logger, id, own.DisputeId, own.DefenderReplica);
                    disputed++;
                }
            }
            else if (reason is not null) LogSkipped(logger, id, reason);
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

    /// <summary>
    /// (null, null) when the chain lets this coordinator dispute the job now; (null, record) when a dispute this
    /// coordinator opened is open on it (to be taken up); otherwise why it cannot be disputed.
    /// </summary>
    private async Task<(string? Reason, BisectionRecord? Own)> StateAsync(JournaledJob job, int firstDifferingPosition, CancellationToken cancellation)
    {
        JobInfo onChain = (await chain.Connection.QueryOutputAsync<GetJobFunction, GetJobOutput>(chain.JobMarket, new GetJobFunction { JobId = job.JobId.ToArray() }, cancellation)).Job;
        if (onChain.Status != (byte)OnChainStatus.Submitted) return ($"the job is {(OnChainStatus)onChain.Status}, not submitted", null);
        if (onChain.Replicas != 2) return ("the job ran once", null);
        if (onChain.FreezeCount != 0)
        {
            return await OwnOpenDisputeAsync(job, firstDifferingPosition, cancellation) is { } own
                ? (null, own)
                : ($"{onChain.FreezeCount} dispute(s) already open on it, none of them this coordinator's", null);
        }
        ulong window = await chain.Connection.QueryAsync<ChallengeWindowFunction, ulong>(chain.JobMarket, new ChallengeWindowFunction(), cancellation);
        if (await chain.Connection.LatestBlockTimeAsync(cancellation) >= onChain.SubmittedAt + window) return ("its challenge window has closed: nobody disputed the disagreement", null);
        return (null, null);
    }

    /// <summary>An open dispute on either replica of the job whose challenger is this coordinator's account, as a bisection to record; null when there is none.</summary>
    private async Task<BisectionRecord?> OwnOpenDisputeAsync(JournaledJob job, int firstDifferingPosition, CancellationToken cancellation)
    {
        var client = new DisputeClient(chain.Submitter, chain.Deployment);
        foreach (RetainedReplica replica in job.Replicas)
        {
            BigInteger disputeId = await chain.Connection.QueryAsync<OpenDisputeOfFunction, BigInteger>(chain.Deployment.DisputeGame,
                new OpenDisputeOfFunction { JobId = job.JobId.ToArray(), Replica = replica.Replica }, cancellation);
            if (disputeId.IsZero) continue;
            DisputeInfo info = await client.GetAsync(disputeId, cancellation);
            if (!string.Equals(info.Challenger, chain.Submitter.Address, StringComparison.OrdinalIgnoreCase)) continue;
            return new BisectionRecord
            {
                DisputeId = disputeId.ToString(CultureInfo.InvariantCulture), JobId = job.JobId.ToString(), DefenderReplica = replica.Replica,
                // Every stage whose worker still serves its trace answers (the player keeps those it can fetch): its leaves are the signed ones.
                AnswerableStages = CoordinatorJournal.Join(Enumerable.Range(0, replica.Stages.Count)), FirstPosition = firstDifferingPosition,
                Status = BisectionStatus.Open, LastAction = "taken up after a restart",
                OpenedAt = DateTimeOffset.FromUnixTimeSeconds((long)info.OpenedAt), UpdatedAt = DateTimeOffset.UtcNow,
            };
        }
        return null;
    }

    [LoggerMessage(EventId = 8032, Level = LogLevel.Warning, Message = "job {JobId}: dispute {DisputeId} against replica {Replica} was opened by this coordinator before it stopped: the bisection job plays it on")]
    private static partial void LogTakenUp(ILogger logger, string jobId, string disputeId, int replica);

    [LoggerMessage(EventId = 8030, Level = LogLevel.Warning, Message = "job {JobId}: its replicas disagree from position {Position} and the check after submission never finished: disputing it now")]
    private static partial void LogCatchingUp(ILogger logger, string jobId, int position);

    [LoggerMessage(EventId = 8031, Level = LogLevel.Warning, Message = "job {JobId}: its replicas disagree and were never checked, but it cannot be disputed: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string jobId, string reason);
}
