using DePinLedger.Data;
using DePinLedger.Data.Coordination;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Gateway.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DePinLedger.Gateway.Tests;

/// <summary>The journal pruner deletes exactly the journaled jobs nothing can need any more, on both providers.</summary>
public sealed class JournalPrunerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task OnlySettledCheckedOldJobs_WithoutAnOpenBisection_AreDeleted(DatabaseProvider provider)
    {
        await using TestDatabase database = provider == DatabaseProvider.Postgres ? await TestDatabase.PostgresAsync() : await TestDatabase.SqliteAsync();
        DateTimeOffset old = Now - TimeSpan.FromDays(8), recent = Now - TimeSpan.FromDays(6);
        await using (DePinDbContext db = database.Context())
        {
            Journal(db, "finalized", old, JobStatus.Finalized, checkedAt: old);
            Journal(db, "refunded", old, JobStatus.Refunded, checkedAt: old, bisection: BisectionStatus.Resolved);
            Journal(db, "recent", recent, JobStatus.Finalized, checkedAt: recent);
            Journal(db, "submitted", old, JobStatus.Submitted, checkedAt: old);   // still disputable
            Journal(db, "unchecked", old, JobStatus.Finalized, checkedAt: null);  // its disagreement not yet disputed
            Journal(db, "bisecting", old, JobStatus.Finalized, checkedAt: old, bisection: BisectionStatus.Open);
            Journal(db, "unindexed", old, status: null, checkedAt: old);          // the indexer has not seen it settle
            await db.SaveChangesAsync();
        }
        var pruner = new JournalPruner(new PooledDbContextFactory<DePinDbContext>(database.Options.Build()), new Clock(), new JournalRetention(TimeSpan.FromDays(7)),
            NullLogger<JournalPruner>.Instance);

        Assert.Equal(2, await pruner.RunAsync(CancellationToken.None));
        Assert.Equal(0, await pruner.RunAsync(CancellationToken.None));

        await using DePinDbContext check = database.Context();
        Assert.Equal(["0xbisecting", "0xrecent", "0xsubmitted", "0xunchecked", "0xunindexed"], (await check.CoordinatedJobs.Select(j => j.JobId).ToListAsync()).Order());
        Assert.DoesNotContain(await check.CoordinatedReplicas.Select(r => r.JobId).ToListAsync(), id => id is "0xfinalized" or "0xrefunded");
        Assert.DoesNotContain(await check.CoordinatedStages.Select(s => s.JobId).ToListAsync(), id => id is "0xfinalized" or "0xrefunded");
        Assert.Equal(5 * 2, await check.CoordinatedStages.CountAsync());
        Assert.Equal(["0xbisecting"], await check.Bisections.Select(b => b.JobId).ToListAsync());
        Assert.Equal(6, await check.Jobs.CountAsync()); // the indexed rows are the indexer's: never touched
    }

    private static void Journal(DePinDbContext db, string name, DateTimeOffset submitted, JobStatus? status, DateTimeOffset? checkedAt, BisectionStatus? bisection = null)
    {
        string id = "0x" + name;
        db.CoordinatedJobs.Add(new CoordinatedJobRecord { JobId = id, PromptTokens = "1,2,3", SubmittedAt = submitted, DisputeCheckedAt = checkedAt });
        db.CoordinatedReplicas.Add(new CoordinatedReplicaRecord { JobId = id, Replica = 0, LeafCount = 21 });
        for (int s = 0; s < 2; s++)
            db.CoordinatedStages.Add(new CoordinatedStageRecord { JobId = id, Replica = 0, Stage = s, FirstLayer = s, LastLayer = s, Node = "0x01", WorkerEndpoint = "http://127.0.0.1:1/" });
        if (status is { } settled)
            db.Jobs.Add(new JobRecord { JobId = id, Client = "0x02", ModelId = "0x03", PromptHash = "0x04", Salt = "0x05", Status = settled, CreatedAt = submitted, SubmittedAt = submitted, Deadline = submitted + TimeSpan.FromHours(1) });
        if (bisection is { } state)
            db.Bisections.Add(new BisectionRecord { DisputeId = name.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + name, JobId = id, Status = state, AnswerableStages = "0", OpenedAt = submitted });
    }

    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
