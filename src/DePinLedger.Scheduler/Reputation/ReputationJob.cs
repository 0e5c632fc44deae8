using DePinLedger.Data;
using DePinLedger.Data.Disputes;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Reputation;
using Hangfire;
using Hangfire.Common;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Scheduler.Reputation;

/// <summary>
/// Recomputes every registered node's reputation from the database and appends one <see cref="ReputationSnapshot"/>
/// per node (older rows stay as history). A plain class: Hangfire runs it on a schedule (<see cref="Register"/>), and a
/// handler of "node slashed" or "dispute resolved" can run it at once.
/// </summary>
public sealed class ReputationJob(IDbContextFactory<DePinDbContext> database, TimeProvider clock, ReputationOptions options)
{
    public const string RecurringJobId = "reputation-recompute";

    private readonly ReputationOptions _options = options.Validated();

    /// <summary>Registers the recompute as a Hangfire recurring job [default: every 5 minutes].</summary>
    public static void Register(IRecurringJobManager jobs, string cron = "*/5 * * * *")
    {
        ArgumentNullException.ThrowIfNull(jobs);
        jobs.AddOrUpdate(RecurringJobId, Job.FromExpression<ReputationJob>(job => job.RunAsync(CancellationToken.None)), cron, new RecurringJobOptions());
    }

    /// <summary>Scores every node with a heartbeat due or a verdict as of now and writes the snapshots; returns how many.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = clock.GetUtcNow();
        await using DePinDbContext db = await database.CreateDbContextAsync(cancellationToken);
        var nodes = await db.Nodes.AsNoTracking().Select(n => new { n.Address, n.RegisteredAt, n.ActiveStake }).ToListAsync(cancellationToken);
        Dictionary<string, long>[] beatsPerDay = await HeartbeatsPerDayAsync(db, now, cancellationToken);

        DateTimeOffset latencySince = now - _options.LatencyWindow;
        var rtt = (await db.Heartbeats.Where(h => h.At >= latencySince && h.LatencyMicros != null).Select(h => new { h.Node, h.LatencyMicros }).ToListAsync(cancellationToken))
            .ToLookup(h => h.Node, h => h.LatencyMicros!.Value / 1000.0, StringComparer.Ordinal);

        // A stage of a job that ran twice and was settled: passed unless its replica was proven wrong.
        var verifications = (await (
                from s in db.StageReceipts
                join r in db.Replicas on new { s.JobId, s.Replica } equals new { r.JobId, r.Replica }
                join j in db.Jobs on s.JobId equals j.JobId
                where j.Replicas >= 2 && (j.Status == JobStatus.Finalized || j.Status == JobStatus.Refunded)
                group s by new { s.Node, r.ProvenWrong } into g
                select new { g.Key.Node, g.Key.ProvenWrong, Count = g.Count() })
            .ToListAsync(cancellationToken))
            .ToLookup(v => v.Node, StringComparer.Ordinal);

        var disputes = (await db.Disputes.Where(d => d.AccusedNode != null && (d.Status == DisputeStatus.ChallengerWon || d.Status == DisputeStatus.DefenderWon))
                .GroupBy(d => new { d.AccusedNode, d.Status }).Select(g => new { g.Key.AccusedNode, g.Key.Status, Count = g.Count() })
                .ToListAsync(cancellationToken))
            .ToLookup(d => d.AccusedNode!, StringComparer.Ordinal);

        var slashes = (await db.Slashes.Select(s => new { s.Node, s.InfractionTime }).ToListAsync(cancellationToken))
            .ToLookup(s => s.Node, s => now - s.InfractionTime, StringComparer.Ordinal);

        int scored = 0;
        foreach (var node in nodes)
        {
            List<UptimeDay> uptime = UptimeDays(beatsPerDay, node.Address, node.RegisteredAt, now);
            // Nothing to judge yet — not one heartbeat due (just registered, or the coordinator just started) and no
            // verification, dispute or slash —: the node stays as it was (unrated until now) rather than being scored
            // down for heartbeats nobody could have received. A slash or a verdict is always scored.
            bool judged = verifications[node.Address].Any() || disputes[node.Address].Any() || slashes[node.Address].Any();
            if (!judged && uptime.Sum(d => d.Expected) < 1) continue;
            scored++;
            var inputs = new ReputationInputs(
                uptime,
                [.. rtt[node.Address]],
                verifications[node.Address].Where(v => !v.ProvenWrong).Sum(v => v.Count),
                verifications[node.Address].Where(v => v.ProvenWrong).Sum(v => v.Count),
                disputes[node.Address].Where(d => d.Status == DisputeStatus.DefenderWon).Sum(d => d.Count),
                disputes[node.Address].Where(d => d.Status == DisputeStatus.ChallengerWon).Sum(d => d.Count),
                [.. slashes[node.Address]],
                node.ActiveStake);
            ReputationScore score = ReputationModel.Compute(inputs, _options);
            db.ReputationSnapshots.Add(new ReputationSnapshot
            {
                Node = node.Address,
                At = now,
                ScorePpm = Ppm(score.Score),
                UptimePpm = Ppm(score.Uptime),
                LatencyMeanMicros = Micros(score.LatencyMeanMs),
                LatencyStdDevMicros = Micros(score.LatencyStdDevMs),
                LatencyP50Micros = Micros(score.LatencyP50Ms),
                LatencyP95Micros = Micros(score.LatencyP95Ms),
                LatencyScorePpm = Ppm(score.LatencyScore),
                VerificationsPassed = inputs.VerificationsPassed,
                VerificationsFailed = inputs.VerificationsFailed,
                DisputesWon = inputs.DisputesWon,
                DisputesLost = inputs.DisputesLost,
                Slashes = inputs.SlashAges.Count,
                StakeScorePpm = Ppm(score.StakeScore),
                SlashFactorPpm = Ppm(score.SlashFactor),
            });
        }
        await db.SaveChangesAsync(cancellationToken);
        return scored;
    }

    /// <summary>Heartbeat counts per node for each day of the window, day 0 being the last 24 hours (one aggregate query per day).</summary>
    private async Task<Dictionary<string, long>[]> HeartbeatsPerDayAsync(DePinDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        int days = (int)Math.Ceiling(_options.Window.TotalDays);
        var counts = new Dictionary<string, long>[days];
        for (int d = 0; d < days; d++)
        {
            DateTimeOffset from = now - TimeSpan.FromDays(d + 1), to = now - TimeSpan.FromDays(d);
            counts[d] = await db.Heartbeats.Where(h => h.At > from && h.At <= to).GroupBy(h => h.Node)
                .Select(g => new { Node = g.Key, Count = g.LongCount() })
                .ToDictionaryAsync(g => g.Node, g => g.Count, StringComparer.Ordinal, cancellationToken);
        }
        return counts;
    }

    /// <summary>Seen and due heartbeats per day; only the part of a day after registration (and after <see cref="ReputationOptions.ObservedSince"/>) is due.</summary>
    private List<UptimeDay> UptimeDays(Dictionary<string, long>[] beatsPerDay, string node, DateTimeOffset registeredAt, DateTimeOffset now)
    {
        var days = new List<UptimeDay>(beatsPerDay.Length);
        for (int d = 0; d < beatsPerDay.Length; d++)
        {
            DateTimeOffset from = now - TimeSpan.FromDays(d + 1), to = now - TimeSpan.FromDays(d);
            DateTimeOffset since = _options.ObservedSince is { } observed && observed > registeredAt ? observed : registeredAt;
            TimeSpan registered = to - (since > from ? since : from);
            if (registered <= TimeSpan.Zero) continue;
            days.Add(new UptimeDay(d + 0.5, beatsPerDay[d].GetValueOrDefault(node), registered / _options.HeartbeatInterval));
        }
        return days;
    }

    private static int Ppm(double fraction) => (int)Math.Round(Math.Clamp(fraction, 0, 1) * 1_000_000);

    private static int Micros(double ms) => (int)Math.Min(int.MaxValue, Math.Round(ms * 1000));
}
