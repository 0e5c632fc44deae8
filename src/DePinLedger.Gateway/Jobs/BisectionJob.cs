using DePinLedger.Data.Coordination;
using DePinLedger.Gateway.Telemetry;
using DePinLedger.Protocol.Encoding;
using Hangfire;
using Hangfire.Common;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Advances every open bisection recorded in the coordinator's database (<see cref="BisectionPlayer"/>): reveals and
/// answers on the coordinator's turns, claims the win when the defender's clock has run out by the chain's time,
/// resolves once decided and records the verdict. A Hangfire recurring job (<see cref="Register"/>), also enqueued at
/// start-up, so that a coordinator restarted on the same database finishes the disputes its predecessor opened. A job
/// this process still holds in memory is settled with the verdict (its report replaces "bisection pending").
/// </summary>
public sealed partial class BisectionJob(CoordinatorJournal journal, BisectionPlayer player, DisputeCatchUp catchUp, JobCoordinator jobs, GatewayMetrics metrics,
    ILogger<BisectionJob> logger)
{
    public const string RecurringJobId = "disputes-bisect";

    /// <summary>Registers the pass as a Hangfire recurring job every <paramref name="interval"/> (validated by <see cref="Hosting.CoordinatorOptions"/>).</summary>
    public static void Register(IRecurringJobManager recurring, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(recurring);
        string cron = JobFinalizer.TryCron(interval) ?? throw new ArgumentOutOfRangeException(nameof(interval), interval, "the bisection interval must divide a minute, an hour or a day");
        recurring.AddOrUpdate(RecurringJobId, Job.FromExpression<BisectionJob>(b => b.RunAsync(CancellationToken.None)), cron, new RecurringJobOptions());
    }

    /// <summary>
    /// One pass: first disputes the disagreements a stopped coordinator never checked (<see cref="DisputeCatchUp"/>), then
    /// advances the open bisections; returns how many are still open. Passes do not overlap (a later one waits for the lock).
    /// </summary>
    [DisableConcurrentExecution(timeoutInSeconds: 120)]
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        try
        {
            await catchUp.RunAsync(cancellation);
        }
        catch (Exception e) when (e is Chain.Errors.ChainException or InvalidDataException or HttpRequestException
                                     or Microsoft.EntityFrameworkCore.DbUpdateException or System.Data.Common.DbException)
        {
            LogCatchUpFailed(logger, e.Message);
        }
        int open = 0;
        foreach (BisectionRecord bisection in await journal.OpenBisectionsAsync(cancellation))
        {
            try
            {
                BisectionRecord now = await player.AdvanceAsync(bisection, cancellation);
                if (now.Status == BisectionStatus.Open) open++;
                else Settle(now);
            }
            catch (JournalMissingException e)
            {
                Settle(await player.FailAsync(bisection, e.Message, cancellation));
            }
            catch (Exception e) when (e is Chain.Errors.ChainException or InvalidDataException or InvalidOperationException or ArgumentException or HttpRequestException
                                         or Grpc.Core.RpcException or Microsoft.EntityFrameworkCore.DbUpdateException or System.Data.Common.DbException)
            {
                // A node, worker or database hiccup: the next pass tries again, long before any clock runs out.
                open++;
                LogPassFailed(logger, bisection.DisputeId, e.Message);
            }
        }
        return open;
    }

    /// <summary>Counts the verdict, gives a job this process still holds its dispute's verdict and settles it (reputation follows the slash: SlashFollower).</summary>
    private void Settle(BisectionRecord bisection)
    {
        DisputeReport report = BisectionPlayer.Report(bisection);
        metrics.Disputed(report); // also for a job run before a restart (no longer in memory)
        if (jobs.Find(new Bytes32(Convert.FromHexString(bisection.JobId.AsSpan(2)))) is { } job)
        {
            job.Disputed(report);
            job.Settle();
        }
    }

    [LoggerMessage(EventId = 8023, Level = LogLevel.Warning, Message = "dispute catch-up failed, the next pass retries: {Reason}")]
    private static partial void LogCatchUpFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 8022, Level = LogLevel.Warning, Message = "dispute {DisputeId}: bisection pass failed, the next pass retries: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string disputeId, string reason);
}
