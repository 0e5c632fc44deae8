namespace DePinLedger.Indexer.Sync;

/// <summary>Settings of the chain follower; every one has a default that suits a local devnet.</summary>
public sealed record IndexerOptions
{
    /// <summary>Cursor name (one per followed deployment).</summary>
    public string Name { get; init; } = "main";

    /// <summary>First block to index; null = the deployment's start block.</summary>
    public long? StartBlock { get; init; }

    /// <summary>Blocks a block must be buried under before it is indexed (0 = index the head; reorgs are then rolled back).</summary>
    public int Confirmations { get; init; } = 2;

    /// <summary>Block range of the first eth_getLogs request; it then adapts between 1 and <see cref="MaxBlockRange"/>.</summary>
    public int InitialBlockRange { get; init; } = 1_000;

    /// <summary>Largest block range asked for in one eth_getLogs.</summary>
    public int MaxBlockRange { get; init; } = 50_000;

    /// <summary>Logs per batch the range adapts to: more halves the range, under a quarter of it doubles it.</summary>
    public int TargetLogsPerBatch { get; init; } = 10_000;

    /// <summary>Wait between polls once the indexer has caught up with the head.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Stored block hashes older than this many blocks below the cursor are pruned (reorgs deeper than this re-index from the start).</summary>
    public int KeepBlockHashes { get; init; } = 10_000;

    /// <summary>Test hook: runs inside each batch's transaction just before the commit (a crash here must lose nothing).</summary>
    public Func<long, long, CancellationToken, Task>? BeforeCommit { get; init; }
}
