using System.Globalization;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data;
using DePinLedger.Data.Jobs;
using DePinLedger.Gateway.Hosting;
using Hangfire;
using Hangfire.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>What one finalization pass did.</summary>
/// <param name="Due">Jobs the indexed database showed submitted, unfrozen and past their challenge window by the chain's clock.</param>
/// <param name="Finalized">Jobs this pass settled with <c>finalize</c> (paid, or refunded when every replica was proven wrong).</param>
/// <param name="AlreadySettled">Jobs someone else settled first (the chain or the race says so): not an error.</param>
/// <param name="NotSettleable">Jobs the chain does not let settle yet (a dispute froze it, or the indexed time ran ahead).</param>
/// <param name="Failed">Jobs whose finalize failed for another reason (logged; the next pass tries again).</param>
public sealed record FinalizationSummary(int Due, int Finalized, int AlreadySettled, int NotSettleable, int Failed);

/// <summary>
/// Pays the stage operators of every job whose challenge window has closed: scans the coordinator's indexed database
/// for submitted, unfrozen jobs whose window passed by the chain's latest block time (not the wall clock), re-checks each
/// on-chain (the indexer trails the head by its confirmations), rebuilds each replica's stage records from the indexed
/// ResultSubmitted rows and sends <c>finalize</c> from the coordinator's account. Because it reads the durable
/// database, a coordinator that was down during a window catches up on its next pass. Runs as a Hangfire recurring job
/// (<see cref="Register"/>), once at start-up and once after each submission's window (<see cref="FinalizationSchedule"/>).
/// </summary>
public sealed class JobFinalizer(IDbContextFactory<DePinDbContext> database, CoordinatorChain chain, ILogger<JobFinalizer> logger)
{
    public const string RecurringJobId = "jobs-finalize";

    private static readonly string[] SettledErrors = ["JobMarket_JobNotSubmitted"];
    private static readonly string[] NotYetErrors = ["JobMarket_ChallengeWindowOpen", "JobMarket_JobFrozen"];

    /// <summary>Registers the pass as a Hangfire recurring job every <paramref name="interval"/> (validated by <see cref="CoordinatorOptions"/>).</summary>
    public static void Register(IRecurringJobManager jobs, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        jobs.AddOrUpdate(RecurringJobId, Job.FromExpression<JobFinalizer>(f => f.RunAsync(CancellationToken.None)), Cron(interval), new RecurringJobOptions());
    }

    /// <summary>
    /// The cron expression of a regular interval: seconds dividing a minute, minutes dividing an hour, or hours dividing a
    /// day (other intervals would drift at the boundary); null when the interval is none of those.
    /// </summary>
    public static string? TryCron(TimeSpan interval)
    {
        static bool Divides(double part, int whole) => part >= 1 && part == Math.Floor(part) && whole % (int)part == 0;
        string Every(double n) => ((int)n).ToString(CultureInfo.InvariantCulture);
        if (interval.Ticks % TimeSpan.TicksPerSecond != 0) return null;
        if (interval < TimeSpan.FromMinutes(1)) return Divides(interval.TotalSeconds, 60) ? $"*/{Every(interval.TotalSeconds)} * * * * *" : null;
        if (interval < TimeSpan.FromHours(1)) return Divides(interval.TotalMinutes, 60) ? $"0 */{Every(interval.TotalMinutes)} * * * *" : null;
        return Divides(interval.TotalHours, 24) ? $"0 0 */{Every(interval.TotalHours)} * * *" : null;
    }

    private static string Cron(TimeSpan interval) =>
        TryCron(interval) ?? throw new ArgumentOutOfRangeException(nameof(interval), interval, "the finalization interval must divide a minute, an hour or a day");

    /// <summary>One pass over every job that is due; returns what it did. Passes do not overlap (a later one waits for the lock).</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 120)]
    public async Task<FinalizationSummary> RunAsync(CancellationToken cancellation)
    {
        ulong window = (await chain.Connection.QueryAsync<ChallengeWindowFunction, ulong>(chain.JobMarket, new ChallengeWindowFunction(), cancellation));
        ulong now = await chain.Connection.LatestBlockTimeAsync(cancellation);
        DateTimeOffset submittedBy = DateTimeOffset.FromUnixTimeSeconds((long)(now - Math.Min(now, window)));

        List<JobRecord> due;
        Dictionary<string, List<StageReceiptRecord>> stages;
        await using (DePinDbContext db = await database.CreateDbContextAsync(cancellation))
        {
            due = await db.Jobs.AsNoTracking()
                .Where(j => j.Status == JobStatus.Submitted && j.FreezeCount == 0 && j.SubmittedAt != null && j.SubmittedAt <= submittedBy)
                .OrderBy(j => j.UpdatedBlock)
                .ToListAsync(cancellation);
            string[] ids = [.. due.Select(j => j.JobId)];
            stages = (await db.StageReceipts.AsNoTracking().Where(s => ids.Contains(s.JobId)).ToListAsync(cancellation))
                .GroupBy(s => s.JobId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Replica).ThenBy(s => s.Stage).ToList(), StringComparer.Ordinal);
        }

        int finalized = 0, settled = 0, notYet = 0, failed = 0;
        foreach (JobRecord job in due)
        {
            switch (await FinalizeAsync(job, stages.GetValueOrDefault(job.JobId) ?? [], window, now, cancellation))
            {
                case Outcome.Finalized: finalized++; break;
                case Outcome.AlreadySettled: settled++; break;
                case Outcome.NotSettleable: notYet++; break;
                default: failed++; break;
            }
        }
        var summary = new FinalizationSummary(due.Count, finalized, settled, notYet, failed);
        if (due.Count > 0) FinalizerLog.Pass(logger, summary.Due, summary.Finalized, summary.AlreadySettled, summary.NotSettleable, summary.Failed);
        return summary;
    }

    private enum Outcome
    {
        Finalized,
        AlreadySettled,
        NotSettleable,
        Failed,
    }

    private async Task<Outcome> FinalizeAsync(JobRecord job, List<StageReceiptRecord> rows, ulong window, ulong now, CancellationToken cancellation)
    {
        byte[] jobId = Convert.FromHexString(job.JobId.AsSpan(2));
        try
        {
            // The database trails the chain: settle only what the chain itself says is settleable now.
            JobInfo onChain = (await chain.Connection.QueryOutputAsync<GetJobFunction, GetJobOutput>(chain.JobMarket, new GetJobFunction { JobId = jobId }, cancellation)).Job;
            if (onChain.Status != (byte)OnChainStatus.Submitted)
            {
                FinalizerLog.AlreadySettled(logger, job.JobId, ((OnChainStatus)onChain.Status).ToString());
                return Outcome.AlreadySettled;
            }
            if (onChain.FreezeCount != 0 || onChain.SubmittedAt + window > now) return Outcome.NotSettleable;

            var function = new FinalizeFunction { JobId = jobId, Stages = [.. Enumerable.Range(0, onChain.Replicas).Select(r => StageRecords(rows, r))] };
            SentTransaction sent = await chain.Submitter.SendAsync(chain.JobMarket, function, $"finalize job {job.JobId}", null, cancellation);
            FinalizerLog.Finalized(logger, job.JobId, sent.Hash);
            return Outcome.Finalized;
        }
        catch (ContractRevertedException e) when (SettledErrors.Contains(e.ErrorName))
        {
            // Settled between the check and the transaction (a dispute's resolution, another finalizer): nothing to do.
            FinalizerLog.AlreadySettled(logger, job.JobId, e.ErrorName);
            return Outcome.AlreadySettled;
        }
        catch (ContractRevertedException e) when (NotYetErrors.Contains(e.ErrorName))
        {
            return Outcome.NotSettleable;
        }
        catch (Exception e) when (e is ChainException or InvalidDataException or FormatException)
        {
            FinalizerLog.Failed(logger, job.JobId, e.Message);
            return Outcome.Failed;
        }
    }

    /// <summary>Replica <paramref name="replica"/>'s stages as ResultSubmitted emitted them (JobMarket checks them against its stored hash).</summary>
    private static List<StageRecord> StageRecords(List<StageReceiptRecord> rows, int replica) =>
    [
        .. rows.Where(s => s.Replica == replica).Select(s => new StageRecord
        {
            Node = s.Node,
            FirstLayer = (ushort)s.FirstLayer,
            LastLayer = (ushort)s.LastLayer,
            InputRoot = Convert.FromHexString(s.InputRoot.AsSpan(2)),
            TraceRoot = Convert.FromHexString(s.TraceRoot.AsSpan(2)),
            OutputRoot = Convert.FromHexString(s.OutputRoot.AsSpan(2)),
        }),
    ];
}

/// <summary>
/// Schedules finalization passes besides the recurring one: at start-up (catching up on windows that closed while the
/// coordinator was down) and just after a submitted job's window closes. Does nothing without a database (no Hangfire).
/// </summary>
public sealed class FinalizationSchedule(IServiceProvider services, CoordinatorChain chain)
{
    /// <summary>After the window, the next block must carry a later timestamp than the window's end: a little slack.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    public void Now() => services.GetService<IBackgroundJobClient>()?.Enqueue<JobFinalizer>(f => f.RunAsync(CancellationToken.None));

    /// <summary>A pass once the challenge window of a result submitted now has closed.</summary>
    public void AfterWindow() =>
        services.GetService<IBackgroundJobClient>()?.Schedule<JobFinalizer>(f => f.RunAsync(CancellationToken.None), TimeSpan.FromSeconds(chain.Deployment.Params.ChallengeWindow) + Slack);
}

/// <summary>The finalizer's log events, with fixed ids.</summary>
internal static partial class FinalizerLog
{
    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "job {JobId} finalized in {Transaction}")]
    public static partial void Finalized(ILogger logger, string jobId, string transaction);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "job {JobId} was already settled ({Reason})")]
    public static partial void AlreadySettled(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Warning, Message = "job {JobId}: finalize failed: {Reason}")]
    public static partial void Failed(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Information,
        Message = "finalization pass: {Due} due, {Finalized} finalized, {AlreadySettled} already settled, {NotSettleable} not settleable yet, {Failed} failed")]
    public static partial void Pass(ILogger logger, int due, int finalized, int alreadySettled, int notSettleable, int failed);
}
