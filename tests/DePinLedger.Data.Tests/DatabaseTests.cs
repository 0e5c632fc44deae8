using DePinLedger.Data.Indexing;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Reputation;
using DePinLedger.Data.Staking;
using DePinLedger.Data.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Data.Tests;

/// <summary>The migrations of both providers create the model, and rows round-trip (enums as strings, exact amounts).</summary>
public class DatabaseTests
{
    public static TheoryData<string> Providers => ["postgres", "sqlite"];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Migrations_MatchTheModel(string provider)
    {
        await using TestDatabase db = await Open(provider);
        await using DePinDbContext context = db.Context();

        Assert.Empty(await context.Database.GetPendingMigrationsAsync());
        Assert.False(context.Database.HasPendingModelChanges(), "the model changed: add a migration to both migrations projects");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Rows_RoundTrip_AmountsExact_EnumsAsStrings(string provider)
    {
        await using TestDatabase db = await Open(provider);
        decimal max96 = 79_228_162_514_264_337_593_543_950_335m; // 2^96 - 1, the largest stake a node can hold
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        await using (DePinDbContext write = db.Context())
        {
            write.Nodes.Add(new NodeRecord { Address = "0xabc", Operator = "0xdef", Endpoint = "https://n", ActiveStake = max96, RegisteredAt = at });
            write.StakeChanges.Add(new StakeChange { TxHash = "0x01", LogIndex = 3, Node = "0xabc", Kind = StakeChangeKind.UnbondRequested, Amount = 1, Timestamp = at });
            write.Jobs.Add(new JobRecord { JobId = "0x02", Status = JobStatus.Refunded, RefundReason = RefundReason.AllReplicasWrong, Fee = max96, Seed = ulong.MaxValue, Deadline = at, CreatedAt = at });
            write.Heartbeats.Add(new Heartbeat { Node = "0xabc", At = at, LatencyMicros = 900 });
            write.IndexedBlocks.Add(new IndexedBlock { Number = 7, Hash = "0xh", ParentHash = "0xp", Timestamp = at });
            await write.SaveChangesAsync();
        }

        await using DePinDbContext read = db.Context();
        NodeRecord node = await read.Nodes.SingleAsync();
        JobRecord job = await read.Jobs.SingleAsync();
        string kind = await read.Database.SqlQueryRaw<string>("SELECT \"Kind\" AS \"Value\" FROM stake_changes").SingleAsync();

        Assert.Equal(max96, node.ActiveStake);
        Assert.Equal(at, node.RegisteredAt);
        Assert.Equal(max96, job.Fee);
        Assert.Equal((decimal)ulong.MaxValue, job.Seed);
        Assert.Equal(RefundReason.AllReplicasWrong, job.RefundReason);
        Assert.Equal("UnbondRequested", kind);
        Assert.Equal(1, await read.Heartbeats.CountAsync(h => h.At >= at));
    }

    [Fact]
    public async Task ChainEvents_KeyedByTxHashAndLogIndex()
    {
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        await using (DePinDbContext write = db.Context())
        {
            write.ChainEvents.Add(new ChainEvent { TxHash = "0x01", LogIndex = 0, BlockNumber = 1, EventName = "Staked" });
            await write.SaveChangesAsync();
        }

        await using DePinDbContext again = db.Context();
        again.ChainEvents.Add(new ChainEvent { TxHash = "0x01", LogIndex = 0, BlockNumber = 1, EventName = "Staked" });

        await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync());
    }

    private static Task<TestDatabase> Open(string provider) => provider == "postgres" ? TestDatabase.PostgresAsync() : TestDatabase.SqliteAsync();
}
