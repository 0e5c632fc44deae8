namespace DePinLedger.Data.Staking;

/// <summary>A registered node as StakeManager holds it (mirror; amounts in token units, all at most 2^96).</summary>
public sealed class NodeRecord
{
    /// <summary>Node id: its signing address, lower-case 0x-hex.</summary>
    public string Address { get; set; } = "";
    public string Operator { get; set; } = "";
    public string Endpoint { get; set; } = "";
    public uint MemoryMiB { get; set; }
    public uint ComputeGops { get; set; }
    public uint BandwidthMBps { get; set; }
    public ushort RegionCode { get; set; }
    public decimal ActiveStake { get; set; }
    public decimal UnbondingStake { get; set; }
    public int FreezeCount { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public long RegisteredBlock { get; set; }
    public long UpdatedBlock { get; set; }
}

/// <summary>What moved a node's stake.</summary>
public enum StakeChangeKind
{
    Staked,
    UnbondRequested,
    Withdrawn,
    Slashed,
}

/// <summary>One stake movement, from one event (keyed like the event: transaction hash and log index).</summary>
public sealed class StakeChange
{
    public string TxHash { get; set; } = "";
    public int LogIndex { get; set; }
    public string Node { get; set; } = "";
    public StakeChangeKind Kind { get; set; }
    public decimal Amount { get; set; }
    /// <summary>The node's active stake after the change.</summary>
    public decimal ActiveStakeAfter { get; set; }
    public long BlockNumber { get; set; }
    public DateTimeOffset Timestamp { get; set; }
}

/// <summary>Where an unbonding entry is.</summary>
public enum UnbondingStatus
{
    Unbonding,
    Withdrawn,
}

/// <summary>A pending or paid-out unbonding entry; requests in the same second merge, as on-chain.</summary>
public sealed class UnbondingEntry
{
    public string Node { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset ReleaseAt { get; set; }
    public decimal Amount { get; set; }
    public UnbondingStatus Status { get; set; }
    public long BlockNumber { get; set; }
}

/// <summary>A slash by the dispute game.</summary>
public sealed class Slash
{
    public string TxHash { get; set; } = "";
    public int LogIndex { get; set; }
    public string Node { get; set; } = "";
    public string RewardRecipient { get; set; } = "";
    public DateTimeOffset InfractionTime { get; set; }
    public decimal FromActive { get; set; }
    public decimal FromUnbonding { get; set; }
    public decimal Reward { get; set; }
    public decimal Burned { get; set; }
    public long BlockNumber { get; set; }
}
