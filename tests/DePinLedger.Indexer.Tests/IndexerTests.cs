using DePinLedger.Chain.Tests.Support;
using DePinLedger.Data;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Staking;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Indexer.Notifications;
using DePinLedger.Indexer.Sync;
using DePinLedger.Protocol.Encoding;
using Microsoft.EntityFrameworkCore;
using Nethereum.Hex.HexTypes;

namespace DePinLedger.Indexer.Tests;

/// <summary>The indexer against a real anvil and a real PostgreSQL: mirror, reorgs, crash and replay.</summary>
public sealed class IndexerTests : IAsyncLifetime
{
    private AnvilChain _anvil = null!;
    private Scenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _anvil = await AnvilChain.StartAsync();
        _scenario = new Scenario(_anvil);
    }

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task Sync_OperatorAndJobFlow_MirrorsTheChain_NotifiesAfterCommit()
    {
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        await _scenario.StakeAsync(1, 1_500);
        await _scenario.UnbondAsync(1, 200);
        await _scenario.UnbondAsync(1, 100);
        Bytes32 jobId = await _scenario.RunJobAsync(client: 3, node: 1);
        await _anvil.WarpAsync(TimeSpan.FromDays(14));
        await _scenario.WithdrawAsync(1);
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        var publisher = new RecordingPublisher();

        SyncReport report = await _scenario.Indexer(db, publisher: publisher).SyncAsync(default);

        await using DePinDbContext c = db.Context();
        string node = AnvilChain.DevAddress(1).ToLowerInvariant();
        NodeRecord record = await c.Nodes.SingleAsync();
        JobRecord job = await c.Jobs.SingleAsync();
        Assert.Equal(node, record.Address);
        Assert.Equal(1_200m * 1_000_000_000_000_000_000m, record.ActiveStake);
        Assert.Equal(0m, record.UnbondingStake);
        Assert.Equal(8192u, record.MemoryMiB);
        Assert.Equal([StakeChangeKind.Staked, StakeChangeKind.UnbondRequested, StakeChangeKind.UnbondRequested, StakeChangeKind.Withdrawn],
            await c.StakeChanges.OrderBy(s => s.BlockNumber).Select(s => s.Kind).ToListAsync());
        Assert.All(await c.UnbondingEntries.ToListAsync(), u => Assert.Equal(UnbondingStatus.Withdrawn, u.Status));
        Assert.Equal(jobId.ToString(), job.JobId);
        Assert.Equal(JobStatus.Finalized, job.Status);
        Assert.Equal(12, (await c.Replicas.SingleAsync()).TokenCount);
        StageReceiptRecord stage = await c.StageReceipts.SingleAsync();
        Assert.Equal(node, stage.Node);
        Assert.Equal(47.5m * 1_000_000_000_000_000_000m, stage.Paid); // 50 DPIN less the 5 % protocol fee
        Assert.Equal(1, await c.Models.CountAsync());
        Assert.Equal(await _scenario.CountLogsAsync(), await c.ChainEvents.CountAsync());
        Assert.Equal(report.Events, publisher.Published.Count);
        Assert.Single(publisher.Of<NodeRegistered>());
        Assert.Single(publisher.Of<JobCreated>());
        Assert.Single(publisher.Of<ResultSubmitted>());
        Assert.Single(publisher.Of<JobFinalized>());
        Assert.Equal(3, publisher.Of<NodeStaked>().Count() + publisher.Of<UnbondRequested>().Count());
    }

    [Fact]
    public async Task Sync_Confirmations_StopsBelowTheHead()
    {
        await _scenario.RegisterAsync(1);
        await _anvil.MineAsync(3);
        long head = (long)(await _anvil.Deployer.GetBlockNumberAsync(default));
        await using TestDatabase db = await TestDatabase.PostgresAsync();

        SyncReport report = await _scenario.Indexer(db, new IndexerOptions { Confirmations = 3 }).SyncAsync(default);

        Assert.Equal(head - 3, report.ToBlock);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Reorg_WithEventsInReplacedBlocks_EqualsAFreshIndex(int depth)
    {
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        for (int i = 1; i <= 6; i++) await _scenario.StakeAsync(1, 100 * i); // one block each, each with events
        await using TestDatabase reorged = await TestDatabase.PostgresAsync();
        var publisher = new RecordingPublisher();
        ChainIndexer indexer = _scenario.Indexer(reorged, publisher: publisher);
        await indexer.SyncAsync(default);

        // Replace the last `depth` blocks: different stakes, in the first and the last new block.
        string from = AnvilChain.DevAddress(1);
        object[] replacements =
        [
            new object[] { new { from, to = _anvil.Deployment.StakeManager, data = _scenario.StakeCallData(1, 7), gas = "0x100000" }, 0 },
            new object[] { new { from, to = _anvil.Deployment.StakeManager, data = _scenario.StakeCallData(1, 11), gas = "0x100000" }, depth - 1 },
        ];
        await _anvil.Deployer.RequestAsync<object>("anvil_reorg", default, depth, replacements);
        SyncReport after = await indexer.SyncAsync(default);
        await using TestDatabase fresh = await TestDatabase.PostgresAsync();
        await _scenario.Indexer(fresh).SyncAsync(default);

        Assert.Equal(1, after.Reorgs);
        Assert.Single(publisher.Of<object>().OfType<ChainReorganized>());
        Assert.Equal(await Scenario.DumpAsync(fresh), await Scenario.DumpAsync(reorged));
        await using DePinDbContext c = reorged.Context();
        Assert.Equal(await _scenario.CountLogsAsync(), await c.ChainEvents.CountAsync());
        Assert.Contains(11m, await c.StakeChanges.Select(s => s.Amount).ToListAsync());
    }

    [Fact]
    public async Task Reorg_OlderEventsOfTouchedSubjects_RebuiltFromStoredLogs()
    {
        // The node's early events lie far below the reorg and their block hashes were pruned: the rebuild of the
        // node's rows must not need them (it uses the stored logs and their timestamps).
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        await _scenario.StakeAsync(1, 1_000);
        await _scenario.UnbondAsync(1, 10);
        await _anvil.MineAsync(20);
        for (int i = 1; i <= 3; i++) await _scenario.StakeAsync(1, i);
        await using TestDatabase reorged = await TestDatabase.PostgresAsync();
        ChainIndexer indexer = _scenario.Indexer(reorged, new IndexerOptions { Confirmations = 0, KeepBlockHashes = 4 });
        await indexer.SyncAsync(default);

        await _anvil.Deployer.RequestAsync<object>("anvil_reorg", default, 2,
            new object[] { new object[] { new { from = AnvilChain.DevAddress(1), to = _anvil.Deployment.StakeManager, data = _scenario.StakeCallData(1, 5), gas = "0x100000" }, 1 } });
        SyncReport after = await indexer.SyncAsync(default);
        await using TestDatabase fresh = await TestDatabase.PostgresAsync();
        await _scenario.Indexer(fresh).SyncAsync(default);

        Assert.Equal(1, after.Reorgs);
        Assert.Equal(await Scenario.DumpAsync(fresh), await Scenario.DumpAsync(reorged));
    }

    [Fact]
    public async Task Crash_MidBatch_ResumesWithoutDuplicatesOrGaps()
    {
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        for (int i = 1; i <= 5; i++) await _scenario.StakeAsync(1, 100);
        await _scenario.UnbondAsync(1, 50);
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        using var crash = new CancellationTokenSource();
        int batches = 0;
        var crashing = new IndexerOptions
        {
            Confirmations = 0, InitialBlockRange = 2, MaxBlockRange = 2,
            BeforeCommit = async (_, _, token) =>
            {
                // The third batch is written but not committed when the process "dies".
                if (++batches == 3)
                {
                    await crash.CancelAsync();
                    await Task.Delay(Timeout.Infinite, token);
                }
            },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _scenario.Indexer(db, crashing).SyncAsync(crash.Token));
        long cursorAfterCrash;
        await using (DePinDbContext c = db.Context()) cursorAfterCrash = (await c.IndexerCursors.SingleAsync()).LastBlock;
        await _scenario.Indexer(db, new IndexerOptions { Confirmations = 0, InitialBlockRange = 2, MaxBlockRange = 2 }).SyncAsync(default);
        await using TestDatabase fresh = await TestDatabase.PostgresAsync();
        await _scenario.Indexer(fresh).SyncAsync(default);

        Assert.Equal((long)_anvil.Deployment.StartBlock - 1 + 4, cursorAfterCrash); // two committed batches of two blocks
        Assert.Equal(await Scenario.DumpAsync(fresh), await Scenario.DumpAsync(db));
        await using DePinDbContext check = db.Context();
        Assert.Equal(await _scenario.CountLogsAsync(), await check.ChainEvents.CountAsync());
    }

    [Fact]
    public async Task Replay_FromTheStart_ChangesNothing()
    {
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        await _scenario.StakeAsync(1, 1_000);
        await _scenario.UnbondAsync(1, 10);
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        await _scenario.Indexer(db).SyncAsync(default);
        string before = await Scenario.DumpAsync(db);
        await using (DePinDbContext c = db.Context())
            await c.IndexerCursors.ExecuteUpdateAsync(s => s.SetProperty(x => x.LastBlock, (long)_anvil.Deployment.StartBlock - 1).SetProperty(x => x.LastBlockHash, ""));

        SyncReport replay = await _scenario.Indexer(db).SyncAsync(default);

        Assert.Equal(0, replay.Events);
        Assert.Equal(before, await Scenario.DumpAsync(db));
    }

    [Fact]
    public async Task Sqlite_EmbeddedProvider_IndexesTheSame()
    {
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        await _scenario.StakeAsync(1, 1_000);
        await _scenario.UnbondAsync(1, 10);
        await using TestDatabase sqlite = await TestDatabase.SqliteAsync();
        await using TestDatabase postgres = await TestDatabase.PostgresAsync();

        await _scenario.Indexer(sqlite).SyncAsync(default);
        await _scenario.Indexer(postgres).SyncAsync(default);

        Assert.Equal(await Scenario.DumpAsync(postgres), await Scenario.DumpAsync(sqlite));
    }

    [Fact]
    public async Task Sync_WrongChainCursor_Refused()
    {
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        await using (DePinDbContext c = db.Context())
        {
            c.IndexerCursors.Add(new Data.Indexing.IndexerCursor { Name = "main", ChainId = 1, LastBlock = 5, LastBlockHash = "0x" });
            await c.SaveChangesAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _scenario.Indexer(db).SyncAsync(default));

        Assert.Contains("belongs to chain 1", e.Message);
    }

    [Fact]
    public async Task Run_ContractNotDeployed_ClearError()
    {
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        var stale = _anvil.Deployment with { JobMarket = "0x00000000000000000000000000000000000000Aa" };
        var indexer = new ChainIndexer(_anvil.Deployer, stale, db.Options, new IndexerOptions());

        var e = await Assert.ThrowsAsync<Chain.Errors.ChainMismatchException>(() => indexer.RunAsync(default));

        Assert.Contains("(jobMarket)", e.Message);
        _ = new HexBigInteger(0);
    }
}
