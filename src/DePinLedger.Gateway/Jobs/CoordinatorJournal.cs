using System.Globalization;
using DePinLedger.Data;
using DePinLedger.Data.Coordination;
using DePinLedger.Disputes.Traces;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Gateway.Jobs;

/// <summary>A stage of a replica as its receipt says: the layers, the node that signed it and the worker that retained its trace.</summary>
public sealed record RetainedStage(int FirstLayer, int LastLayer, string Node, Uri Endpoint);

/// <summary>What the coordinator needs of one replica to fetch its trace from the workers: its stages and how many leaves it committed.</summary>
public sealed record RetainedReplica(byte Replica, IReadOnlyList<RetainedStage> Stages, int LeafCount)
{
    public static RetainedReplica From(byte replica, PipelineResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new RetainedReplica(replica, [.. result.Receipts.Select(r => new RetainedStage(r.Receipt.FirstLayer, r.Receipt.LastLayer, r.Signer, r.Endpoint))], result.LeafCount);
    }

    public StageLayout Layout(int layers) => new(layers, [.. Stages.Select(s => new StageSpan(s.FirstLayer, s.LastLayer))]);

    /// <summary>Positions of the trace: every position commits layers + 2 leaves (embedding, blocks, head).</summary>
    public int Positions(int layers) => LeafCount / (layers + 2);

    public IReadOnlyList<Uri> Endpoints => [.. Stages.Select(s => s.Endpoint)];
}

/// <summary>A job this coordinator ran, as the journal keeps it: the prompt's tokens and its replicas' stages.</summary>
public sealed record JournaledJob(Bytes32 JobId, IReadOnlyList<int> Prompt, IReadOnlyList<RetainedReplica> Replicas);

/// <summary>
/// The coordinator's durable memory of its own jobs and of the bisections it plays, in its database, so that a
/// restarted coordinator still defends its honest nodes and finishes its disputes. Without a database it is disabled:
/// the coordinator then knows only the jobs it keeps in memory.
/// </summary>
public sealed class CoordinatorJournal(IServiceProvider services)
{
    private readonly IDbContextFactory<DePinDbContext>? _database = services.GetService<IDbContextFactory<DePinDbContext>>();

    public bool Enabled => _database is not null;

    /// <summary>
    /// Keeps a computed job (before its result is submitted, so that every result on-chain has its entry), with where
    /// its replicas first disagree (<paramref name="firstDifferingPosition"/>, null when they agree); a job kept already
    /// is left as it is.
    /// </summary>
    public async Task RecordAsync(CoordinatedJob job, int? firstDifferingPosition, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (_database is null) return;
        string jobId = job.Id.ToString();
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        if (await db.CoordinatedJobs.AnyAsync(j => j.JobId == jobId, cancellation)) return;
        db.CoordinatedJobs.Add(new CoordinatedJobRecord
        {
            JobId = jobId, PromptTokens = Join(job.Prompt), SubmittedAt = DateTimeOffset.UtcNow, FirstDifferingPosition = firstDifferingPosition,
            // Nothing to dispute: checked from the start.
            DisputeCheckedAt = firstDifferingPosition is null ? DateTimeOffset.UtcNow : null,
        });
        for (int r = 0; r < job.Results.Count; r++)
        {
            RetainedReplica replica = RetainedReplica.From((byte)r, job.Results[r]);
            db.CoordinatedReplicas.Add(new CoordinatedReplicaRecord { JobId = jobId, Replica = r, LeafCount = replica.LeafCount });
            db.CoordinatedStages.AddRange(replica.Stages.Select((s, i) => new CoordinatedStageRecord
            {
                JobId = jobId, Replica = r, Stage = i, FirstLayer = s.FirstLayer, LastLayer = s.LastLayer, Node = s.Node.ToLowerInvariant(), WorkerEndpoint = s.Endpoint.ToString(),
            }));
        }
        await db.SaveChangesAsync(cancellation);
    }

    /// <summary>Records that the job's replicas were checked after submission (disputed, nothing to dispute, or given up).</summary>
    public async Task MarkDisputeCheckedAsync(Bytes32 jobId, CancellationToken cancellation)
    {
        if (_database is null) return;
        string id = jobId.ToString();
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        if (await db.CoordinatedJobs.SingleOrDefaultAsync(j => j.JobId == id, cancellation) is not { } job || job.DisputeCheckedAt is not null) return;
        job.DisputeCheckedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellation);
    }

    /// <summary>Journaled jobs whose replicas disagree and were never checked (the coordinator stopped in between), oldest first, with where they first differ.</summary>
    public async Task<List<(JournaledJob Job, int FirstDifferingPosition)>> UncheckedDisagreementsAsync(CancellationToken cancellation)
    {
        if (_database is null) return [];
        List<CoordinatedJobRecord> pending;
        await using (DePinDbContext db = await _database.CreateDbContextAsync(cancellation))
        {
            pending = await db.CoordinatedJobs.AsNoTracking().Where(j => j.FirstDifferingPosition != null && j.DisputeCheckedAt == null).ToListAsync(cancellation);
        }
        var found = new List<(JournaledJob, int)>();
        foreach (CoordinatedJobRecord job in pending.OrderBy(j => j.SubmittedAt))
        {
            if (await FindAsync(new Bytes32(Convert.FromHexString(job.JobId.AsSpan(2))), cancellation) is { } journaled) found.Add((journaled, job.FirstDifferingPosition!.Value));
        }
        return found;
    }

    /// <summary>The journaled job, or null when this coordinator's database has none (or there is no database).</summary>
    public async Task<JournaledJob?> FindAsync(Bytes32 jobId, CancellationToken cancellation)
    {
        if (_database is null) return null;
        string id = jobId.ToString();
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        if (await db.CoordinatedJobs.AsNoTracking().SingleOrDefaultAsync(j => j.JobId == id, cancellation) is not { } job) return null;
        List<CoordinatedReplicaRecord> replicas = await db.CoordinatedReplicas.AsNoTracking().Where(r => r.JobId == id).OrderBy(r => r.Replica).ToListAsync(cancellation);
        List<CoordinatedStageRecord> stages = await db.CoordinatedStages.AsNoTracking().Where(s => s.JobId == id).ToListAsync(cancellation);
        return new JournaledJob(jobId, Split(job.PromptTokens), [.. replicas.Select(r => new RetainedReplica((byte)r.Replica,
            [.. stages.Where(s => s.Replica == r.Replica).OrderBy(s => s.Stage).Select(s => new RetainedStage(s.FirstLayer, s.LastLayer, s.Node, new Uri(s.WorkerEndpoint)))],
            r.LeafCount))]);
    }

    /// <summary>Records a bisection the coordinator just opened (status open).</summary>
    public async Task OpenBisectionAsync(BisectionRecord bisection, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(bisection);
        if (_database is null) throw new InvalidOperationException("bisections are recorded only with a database");
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        db.Bisections.Add(bisection);
        await db.SaveChangesAsync(cancellation);
    }

    /// <summary>Every recorded bisection still open, oldest first.</summary>
    public async Task<List<BisectionRecord>> OpenBisectionsAsync(CancellationToken cancellation)
    {
        if (_database is null) return [];
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        return await db.Bisections.AsNoTracking().Where(b => b.Status == BisectionStatus.Open).OrderBy(b => b.OpenedAt).ToListAsync(cancellation);
    }

    /// <summary>The recorded bisection of <paramref name="disputeId"/>, or null.</summary>
    public async Task<BisectionRecord?> FindBisectionAsync(string disputeId, CancellationToken cancellation)
    {
        if (_database is null) return null;
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        return await db.Bisections.AsNoTracking().SingleOrDefaultAsync(b => b.DisputeId == disputeId, cancellation);
    }

    /// <summary>Saves where a recorded bisection stands now.</summary>
    public async Task SaveBisectionAsync(BisectionRecord bisection, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(bisection);
        if (_database is null) return;
        bisection.UpdatedAt = DateTimeOffset.UtcNow;
        await using DePinDbContext db = await _database.CreateDbContextAsync(cancellation);
        db.Bisections.Update(bisection);
        await db.SaveChangesAsync(cancellation);
    }

    public static string Join(IEnumerable<int> values) => string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public static int[] Split(string values) =>
        values.Length == 0 ? [] : [.. values.Split(',').Select(v => int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture))];
}
