using DePinLedger.Data;
using DePinLedger.Data.Coordination;
using DePinLedger.Data.Jobs;
using Hangfire;
using Hangfire.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Keeps the coordinator's journal from growing without end: deletes a journaled job (its replicas, stages and closed
/// bisections) once nothing can need it any more. That is when the job is settled on-chain (finalized or refunded, so
/// no dispute can be opened against it), its replicas were checked, no bisection on it is still open, and it was
/// submitted longer ago than the retention (kept for audits as long as the workers keep their traces by default).
/// Runs hourly as a Hangfire recurring job, in batches.
/// </summary>
public sealed class JournalPruner(IDbContextFactory<DePinDbContext> database, TimeProvider clock, JournalRetention retention, ILogger<JournalPruner> logger)
{
    public const string RecurringJobId = "journal-prune";

    /// <summary>Jobs deleted per transaction.</summary>
    public const int BatchSize = 500;

    public static void Register(IRecurringJobManager jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        jobs.AddOrUpdate(RecurringJobId, Job.FromExpression<JournalPruner>(p => p.RunAsync(CancellationToken.None)), Cron.Hourly(), new RecurringJobOptions());
    }

    /// <summary>One pass; returns how many journaled jobs it deleted.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        DateTimeOffset before = clock.GetUtcNow() - retention.Value;
        int deleted = 0;
        while (true)
        {
            await using DePinDbContext db = await database.CreateDbContextAsync(cancellation);
            List<string> batch = await db.CoordinatedJobs.AsNoTracking()
                .Where(j => j.SubmittedAt < before && j.DisputeCheckedAt != null
                    && db.Jobs.Any(o => o.JobId == j.JobId && (o.Status == JobStatus.Finalized || o.Status == JobStatus.Refunded))
                    && !db.Bisections.Any(b => b.JobId == j.JobId && b.Status == BisectionStatus.Open))
                .OrderBy(j => j.SubmittedAt)
                .Select(j => j.JobId)
                .Take(BatchSize)
                .ToListAsync(cancellation);
            if (batch.Count == 0) break;
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellation))
            {
                await db.CoordinatedStages.Where(s => batch.Contains(s.JobId)).ExecuteDeleteAsync(cancellation);
                await db.CoordinatedReplicas.Where(r => batch.Contains(r.JobId)).ExecuteDeleteAsync(cancellation);
                await db.Bisections.Where(b => batch.Contains(b.JobId)).ExecuteDeleteAsync(cancellation);
                await db.CoordinatedJobs.Where(j => batch.Contains(j.JobId)).ExecuteDeleteAsync(cancellation);
                await transaction.CommitAsync(cancellation);
            }
            deleted += batch.Count;
            if (batch.Count < BatchSize) break;
        }
        if (deleted > 0) GatewayLog.JournalPruned(logger, deleted, retention.Value.TotalDays);
        return deleted;
    }
}

/// <summary>How long a settled job stays in the coordinator's journal (<see cref="Hosting.CoordinatorOptions.JournalRetention"/>).</summary>
public sealed record JournalRetention(TimeSpan Value);
