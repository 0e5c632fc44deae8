namespace DePinLedger.Data.Jobs;

/// <summary>Life cycle of a job (JobMarket's JobStatus without None).</summary>
public enum JobStatus
{
    Open,
    Submitted,
    Finalized,
    Refunded,
}

/// <summary>Why a client was refunded: JobMarket's RefundReason, value for value (the indexer casts the event's uint8).</summary>
public enum RefundReason
{
    /// <summary>No result by the deadline.</summary>
    Expired,

    /// <summary>The dispute game proved every replica wrong.</summary>
    AllReplicasWrong,

    /// <summary>The dispute game proved the served result wrong.</summary>
    Dispute,
}

/// <summary>A job as JobMarket holds it, with its request.</summary>
public sealed class JobRecord
{
    public string JobId { get; set; } = "";
    public string Client { get; set; } = "";
    public string ModelId { get; set; } = "";
    public string PromptHash { get; set; } = "";
    public long MaxTokens { get; set; }
    public long Temperature { get; set; }
    public long TopP { get; set; }
    public decimal Seed { get; set; }
    public int Replicas { get; set; }
    public decimal Fee { get; set; }
    public DateTimeOffset Deadline { get; set; }
    public string Salt { get; set; } = "";
    public JobStatus Status { get; set; }
    public RefundReason? RefundReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }
    public int FreezeCount { get; set; }
    public decimal? ToOperators { get; set; }
    public decimal? ToTreasury { get; set; }
    public long CreatedBlock { get; set; }
    public long UpdatedBlock { get; set; }
}

/// <summary>One replica's submitted result.</summary>
public sealed class ReplicaRecord
{
    public string JobId { get; set; } = "";
    public int Replica { get; set; }
    public string ResultRoot { get; set; } = "";
    public string OutputHash { get; set; } = "";
    public long TokenCount { get; set; }
    public bool ProvenWrong { get; set; }
    public long BlockNumber { get; set; }
}

/// <summary>A verified stage of a replica (the StageRecord of ResultSubmitted), and what it was paid.</summary>
public sealed class StageReceiptRecord
{
    public string JobId { get; set; } = "";
    public int Replica { get; set; }
    public int Stage { get; set; }
    public string Node { get; set; } = "";
    public int FirstLayer { get; set; }
    public int LastLayer { get; set; }
    public string InputRoot { get; set; } = "";
    public string TraceRoot { get; set; } = "";
    public string OutputRoot { get; set; } = "";
    public decimal? Paid { get; set; }
    public long BlockNumber { get; set; }
}
