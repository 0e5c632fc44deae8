namespace DePinLedger.Data.Indexing;

/// <summary>How far an indexer has gone: the last block whose events are all in the database, and its hash.</summary>
public sealed class IndexerCursor
{
    public string Name { get; set; } = "";
    public long ChainId { get; set; }
    public long LastBlock { get; set; }
    public string LastBlockHash { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A block the indexer took events from (or ended a batch at): what reorg detection compares against.</summary>
public sealed class IndexedBlock
{
    public long Number { get; set; }
    public string Hash { get; set; } = "";
    public string ParentHash { get; set; } = "";
    public DateTimeOffset Timestamp { get; set; }
}

/// <summary>
/// One contract log exactly as the chain gave it, keyed by (transaction hash, log index): the idempotency key of
/// the indexer and the source every derived row is rebuilt from after a reorg.
/// </summary>
public sealed class ChainEvent
{
    public string TxHash { get; set; } = "";
    public int LogIndex { get; set; }
    public long BlockNumber { get; set; }
    public string BlockHash { get; set; } = "";
    /// <summary>The block's timestamp: what derived rows are stamped with, also when they are rebuilt after a reorg.</summary>
    public DateTimeOffset BlockTimestamp { get; set; }
    public string Contract { get; set; } = "";
    public string EventName { get; set; } = "";
    /// <summary>The node, job or model the event is about (what a rollback re-derives), or empty.</summary>
    public string Subject { get; set; } = "";
    /// <summary>Topics, comma-separated 0x-hex.</summary>
    public string Topics { get; set; } = "";
    public string Data { get; set; } = "";
}
