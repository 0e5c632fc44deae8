using System.Diagnostics;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Events;
using DePinLedger.Chain.Rpc;
using DePinLedger.Data;
using DePinLedger.Data.Indexing;
using DePinLedger.Indexer.Notifications;
using DePinLedger.Indexer.Projection;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;

namespace DePinLedger.Indexer.Sync;

/// <summary>What one <see cref="ChainIndexer.SyncAsync"/> call did.</summary>
public sealed record SyncReport(long FromBlock, long ToBlock, int Events, int Batches, int Reorgs, TimeSpan Elapsed);

/// <summary>
/// Follows every event of the deployment's contracts into the database, reorg-safe (the Ponder model):
/// <list type="bullet">
/// <item>batches of eth_getLogs over an adaptive block range, up to head − confirmations;</item>
/// <item>each batch commits its raw logs (keyed by transaction hash and log index: a replay inserts nothing twice),
/// the rows derived from them, the hashes of its blocks and the cursor in one transaction, so a crash anywhere
/// resumes from the last committed cursor with no duplicate and no gap;</item>
/// <item>before each batch the next block's parent hash (and the cursor block's own hash) is compared with the stored
/// one; on a mismatch the indexer walks back through the stored hashes to the common ancestor, deletes every raw log
/// and block after it, rebuilds the derived rows of every node, job and model those logs touched from the logs that
/// remain, moves the cursor back and indexes the canonical chain from there;</item>
/// <item>after each commit one Mediator notification per event is published.</item>
/// </list>
/// </summary>
public sealed partial class ChainIndexer(
    ChainConnection chain, DeploymentFile deployment, DatabaseOptions database, IndexerOptions options, IPublisher? publisher = null, ILogger<ChainIndexer>? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger<ChainIndexer>.Instance;
    private readonly Dictionary<string, ContractKind> _contracts = new(StringComparer.OrdinalIgnoreCase)
    {
        [deployment.Token] = ContractKind.Token,
        [deployment.ModelRegistry] = ContractKind.ModelRegistry,
        [deployment.StakeManager] = ContractKind.StakeManager,
        [deployment.JobMarket] = ContractKind.JobMarket,
    };
    private int _range = Math.Max(1, options.InitialBlockRange);

    private long StartBlock => options.StartBlock ?? (long)deployment.StartBlock;

    /// <summary>Polls until cancelled: sync to the head, wait, repeat. RPC outages are logged and retried.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        await deployment.VerifyAsync(chain, cancellation);
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(cancellation);
            }
            catch (Chain.Errors.ChainUnavailableException e)
            {
                LogUnavailable(e.Message);
            }
            await Task.Delay(options.PollInterval, cancellation);
        }
    }

    /// <summary>Indexes everything from the cursor up to head − confirmations (rolling back reorgs on the way) and returns.</summary>
    public async Task<SyncReport> SyncAsync(CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        int events = 0, batches = 0, reorgs = 0;
        (long Block, string Hash) cursor = await LoadCursorAsync(cancellation);
        long first = cursor.Block + 1;
        while (true)
        {
            long head = (long)await chain.GetBlockNumberAsync(cancellation);
            long target = head - options.Confirmations;

            // The cursor block must still be canonical (a reorg that kept or shortened the height shows here).
            if (cursor.Block >= StartBlock)
            {
                BlockWithTransactionHashes? atCursor = cursor.Block <= head ? await BlockAsync(cursor.Block, cancellation) : null;
                if (atCursor is null || !SameHash(atCursor.BlockHash, cursor.Hash))
                {
                    cursor = await RollBackAsync(cursor.Block, cancellation);
                    reorgs++;
                    continue;
                }
            }
            if (cursor.Block >= target) break;

            long from = cursor.Block + 1;
            long to = Math.Min(target, from + _range - 1);
            BlockWithTransactionHashes fromHeader = await BlockAsync(from, cancellation) ?? throw new InvalidOperationException($"block {from} vanished");
            if (cursor.Block >= StartBlock && !SameHash(fromHeader.ParentHash, cursor.Hash))
            {
                // Parent-hash mismatch: the block we indexed last is no longer the parent of the next one.
                cursor = await RollBackAsync(cursor.Block, cancellation);
                reorgs++;
                continue;
            }
            BatchResult? batch = await IndexBatchAsync(from, to, cancellation);
            if (batch is null) continue; // the chain moved under the batch, or the range was too large: try again
            cursor = (to, batch.ToHash);
            events += batch.Notifications.Count;
            batches++;
            await PublishAsync(batch.Notifications, cancellation);
        }
        return new SyncReport(first, cursor.Block, events, batches, reorgs, clock.Elapsed);
    }

    private sealed record BatchResult(string ToHash, List<IChainNotification> Notifications);

    private async Task<BatchResult?> IndexBatchAsync(long from, long to, CancellationToken cancellation)
    {
        BlockWithTransactionHashes toHeader = await BlockAsync(to, cancellation) ?? throw new InvalidOperationException($"block {to} vanished");
        FilterLog[] logs;
        try
        {
            logs = await chain.ReadAsync(() => chain.Web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
            {
                FromBlock = new BlockParameter(new HexBigInteger(from)),
                ToBlock = new BlockParameter(new HexBigInteger(to)),
                Address = [.. _contracts.Keys],
            }), cancellation);
        }
        catch (RpcResponseException e) when (to > from)
        {
            // Providers cap the range or the result size: halve and retry.
            _range = Math.Max(1, (int)((to - from + 1) / 2));
            LogRangeReduced(from, to, _range, e.RpcError.Message);
            return null;
        }

        // Headers of every block that has logs, for timestamps and the stored hashes.
        var headers = new Dictionary<long, BlockWithTransactionHashes> { [from] = (await BlockAsync(from, cancellation))!, [to] = toHeader };
        long[] missing = [.. logs.Select(l => (long)l.BlockNumber.Value).Distinct().Where(n => !headers.ContainsKey(n))];
        foreach (var chunk in missing.Chunk(64))
        {
            BlockWithTransactionHashes?[] fetched = await Task.WhenAll(chunk.Select(n => BlockAsync(n, cancellation)));
            for (int i = 0; i < chunk.Length; i++) headers[chunk[i]] = fetched[i] ?? throw new InvalidOperationException($"block {chunk[i]} vanished");
        }
        // Consistency: the range end is unchanged after reading the logs and every log is from the blocks we hold.
        BlockWithTransactionHashes? toAgain = await BlockAsync(to, cancellation);
        if (toAgain is null || !SameHash(toAgain.BlockHash, toHeader.BlockHash) ||
            logs.Any(l => l.Removed || !SameHash(l.BlockHash, headers[(long)l.BlockNumber.Value].BlockHash)))
            return null;

        await using DePinDbContext db = database.CreateContext();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using IDbContextTransaction tx = await db.Database.BeginTransactionAsync(cancellation);
        var existing = (await db.ChainEvents.Where(e => e.BlockNumber >= from && e.BlockNumber <= to).Select(e => new { e.TxHash, e.LogIndex }).ToListAsync(cancellation))
            .Select(k => (k.TxHash, k.LogIndex)).ToHashSet();
        var rows = new AppendOnlyRows();
        var projector = new EventProjector(db, rows);
        var notifications = new List<IChainNotification>(logs.Length);
        FilterLog[] fresh = [.. logs.OrderBy(l => (long)l.BlockNumber.Value).ThenBy(l => (long)l.LogIndex.Value)
            .Where(l => existing.Add((l.TransactionHash.ToLowerInvariant(), (int)l.LogIndex.Value)))]; // already indexed: a replay changes nothing
        // ABI decoding is pure CPU work: spread it over the cores, then project in chain order.
        var decoded = new DecodedEvent?[fresh.Length];
        Parallel.For(0, fresh.Length, new ParallelOptions { CancellationToken = cancellation },
            i => decoded[i] = ContractEvents.Decode(_contracts[fresh[i].Address], TopicsOf(fresh[i]), fresh[i].Data));
        for (int i = 0; i < fresh.Length; i++)
        {
            ChainEvent raw = ToRaw(fresh[i]);
            raw.EventName = decoded[i]?.Name ?? "unknown";
            raw.Subject = decoded[i] is { } d ? EventProjector.SubjectOf(d) : "";
            raw.BlockTimestamp = DateTimeOffset.FromUnixTimeSeconds((long)headers[raw.BlockNumber].Timestamp.Value);
            rows.Events.Add(raw);
            if (decoded[i] is { } e) notifications.Add(await projector.ApplyAsync(raw, e, raw.BlockTimestamp, cancellation));
        }
        await rows.FlushAsync(db, cancellation);
        await db.IndexedBlocks.Where(b => b.Number >= from && b.Number <= to).ExecuteDeleteAsync(cancellation);
        foreach (BlockWithTransactionHashes h in headers.Values)
        {
            long n = (long)h.Number.Value;
            if (n < from || n > to || (n != to && !logs.Any(l => (long)l.BlockNumber.Value == n))) continue;
            db.IndexedBlocks.Add(new IndexedBlock
            {
                Number = n, Hash = h.BlockHash.ToLowerInvariant(), ParentHash = h.ParentHash.ToLowerInvariant(),
                Timestamp = DateTimeOffset.FromUnixTimeSeconds((long)h.Timestamp.Value),
            });
        }
        await db.IndexedBlocks.Where(b => b.Number < to - options.KeepBlockHashes).ExecuteDeleteAsync(cancellation);
        await SaveCursorAsync(db, to, toHeader.BlockHash, cancellation);
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(cancellation);
        if (options.BeforeCommit is { } hook) await hook(from, to, cancellation);
        await tx.CommitAsync(cancellation);

        // Adapt the range to the log density.
        if (logs.Length > options.TargetLogsPerBatch) _range = Math.Max(1, _range / 2);
        else if (logs.Length < options.TargetLogsPerBatch / 4) _range = (int)Math.Min(options.MaxBlockRange, (long)_range * 2);
        return new BatchResult(toHeader.BlockHash.ToLowerInvariant(), notifications);
    }

    /// <summary>
    /// Finds the newest stored block still on the canonical chain, deletes everything indexed after it, rebuilds the
    /// derived rows of the subjects those events touched, and moves the cursor there.
    /// </summary>
    private async Task<(long Block, string Hash)> RollBackAsync(long rolledBackFrom, CancellationToken cancellation)
    {
        await using DePinDbContext db = database.CreateContext();
        (long Block, string Hash) ancestor = (StartBlock - 1, "");
        long below = long.MaxValue;
        while (true)
        {
            List<IndexedBlock> stored = await db.IndexedBlocks.Where(b => b.Number < below).OrderByDescending(b => b.Number).Take(32).AsNoTracking().ToListAsync(cancellation);
            if (stored.Count == 0) break;
            BlockWithTransactionHashes?[] canonical = await Task.WhenAll(stored.Select(b => BlockAsync(b.Number, cancellation)));
            int match = Enumerable.Range(0, stored.Count).FirstOrDefault(i => canonical[i] is { } c && SameHash(c.BlockHash, stored[i].Hash), -1);
            if (match >= 0)
            {
                ancestor = (stored[match].Number, stored[match].Hash);
                break;
            }
            below = stored[^1].Number;
        }

        await using IDbContextTransaction tx = await db.Database.BeginTransactionAsync(cancellation);
        long keep = ancestor.Block;
        List<string> subjects = await db.ChainEvents.Where(e => e.BlockNumber > keep && e.Subject != "").Select(e => e.Subject).Distinct().ToListAsync(cancellation);
        int removed = await db.ChainEvents.Where(e => e.BlockNumber > keep).ExecuteDeleteAsync(cancellation);
        await db.IndexedBlocks.Where(b => b.Number > keep).ExecuteDeleteAsync(cancellation);
        var rows = new AppendOnlyRows();
        var projector = new EventProjector(db, rows);
        await projector.DeleteDerivedAsync(subjects, cancellation);

        // Replay what remains of those subjects, in chain order, through the same projection.
        List<ChainEvent> replay = await db.ChainEvents.AsNoTracking().Where(e => subjects.Contains(e.Subject))
            .OrderBy(e => e.BlockNumber).ThenBy(e => e.LogIndex).ToListAsync(cancellation);
        foreach (ChainEvent raw in replay)
        {
            DecodedEvent? decoded = ContractEvents.Decode(_contracts[raw.Contract], raw.Topics.Split(','), raw.Data);
            if (decoded is not null) await projector.ApplyAsync(raw, decoded, raw.BlockTimestamp, cancellation);
        }
        await rows.FlushAsync(db, cancellation);
        await SaveCursorAsync(db, keep, ancestor.Hash, cancellation);
        await db.SaveChangesAsync(cancellation);
        await tx.CommitAsync(cancellation);
        LogReorg(rolledBackFrom, keep, removed, subjects.Count);
        if (publisher is not null) await publisher.Publish(new ChainReorganized(keep, rolledBackFrom, removed), cancellation);
        return (keep, ancestor.Hash);
    }

    private async Task<(long, string)> LoadCursorAsync(CancellationToken cancellation)
    {
        await using DePinDbContext db = database.CreateContext();
        IndexerCursor? cursor = await db.IndexerCursors.AsNoTracking().SingleOrDefaultAsync(c => c.Name == options.Name, cancellation);
        if (cursor is not null && cursor.ChainId != (long)chain.ChainId)
            throw new InvalidOperationException($"indexer cursor '{options.Name}' belongs to chain {cursor.ChainId}, the endpoint serves chain {chain.ChainId}");
        return cursor is null ? (StartBlock - 1, "") : (cursor.LastBlock, cursor.LastBlockHash);
    }

    private async Task SaveCursorAsync(DePinDbContext db, long block, string hash, CancellationToken cancellation)
    {
        IndexerCursor? cursor = await db.IndexerCursors.SingleOrDefaultAsync(c => c.Name == options.Name, cancellation);
        if (cursor is null)
        {
            cursor = new IndexerCursor { Name = options.Name, ChainId = (long)chain.ChainId };
            db.IndexerCursors.Add(cursor);
        }
        cursor.LastBlock = block;
        cursor.LastBlockHash = hash.ToLowerInvariant();
        cursor.UpdatedAt = DateTimeOffset.UtcNow;
    }

    private async Task PublishAsync(List<IChainNotification> notifications, CancellationToken cancellation)
    {
        if (publisher is null) return;
        foreach (IChainNotification notification in notifications) await publisher.Publish((object)notification, cancellation);
    }

    private Task<BlockWithTransactionHashes?> BlockAsync(long number, CancellationToken cancellation) =>
        chain.ReadAsync<BlockWithTransactionHashes?>(async () => await chain.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new HexBigInteger(number)), cancellation);

    private static ChainEvent ToRaw(FilterLog log) => new()
    {
        TxHash = log.TransactionHash.ToLowerInvariant(),
        LogIndex = (int)log.LogIndex.Value,
        BlockNumber = (long)log.BlockNumber.Value,
        BlockHash = log.BlockHash.ToLowerInvariant(),
        Contract = log.Address.ToLowerInvariant(),
        Topics = string.Join(',', TopicsOf(log)),
        Data = log.Data ?? "0x",
    };

    private static string[] TopicsOf(FilterLog log) => [.. (log.Topics ?? []).Select(t => t.ToString()!.ToLowerInvariant())];

    private static bool SameHash(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Chain reorganized: rolled back from block {From} to the common ancestor {Ancestor} ({Events} events removed, {Subjects} subjects rebuilt)")]
    private partial void LogReorg(long from, long ancestor, int events, int subjects);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "eth_getLogs {From}-{To} refused ({Reason}); block range reduced to {Range}")]
    private partial void LogRangeReduced(long from, long to, int range, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Chain unavailable, retrying: {Reason}")]
    private partial void LogUnavailable(string reason);
}
