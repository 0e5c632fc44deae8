namespace DePinLedger.Scheduler.Planning;

/// <summary>
/// What the scheduler knows about one node at planning time: the chain's record (operator, hardware, stake, freezes),
/// slashes, the latest fresh heartbeat for the model being planned (span, KV memory, throughput, RTT) and reputation.
/// </summary>
public sealed record NodeState
{
    /// <summary>Signing address, lower-case 0x-hex.</summary>
    public required string Address { get; init; }

    /// <summary>The operator account (replicas of a verified job never share one).</summary>
    public required string Operator { get; init; }

    /// <summary>Where the node's worker listens, as registered on-chain (the coordinator calls it there).</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>Region code as registered; 0 = unknown.</summary>
    public ushort Region { get; init; }

    public long MemoryBytes { get; init; }

    /// <summary>Registered compute (10^9 integer operations per second): the throughput estimate before any measurement.</summary>
    public double ComputeGops { get; init; }

    /// <summary>Active stake in token base units.</summary>
    public decimal ActiveStake { get; init; }

    /// <summary>Frozen by an open dispute (StakeManager's freeze count &gt; 0).</summary>
    public bool Frozen { get; init; }

    /// <summary>Slashed within the exclusion window.</summary>
    public bool Slashed { get; init; }

    /// <summary>Latest reputation score in [0, 1].</summary>
    public double Reputation { get; init; }

    /// <summary>When the latest heartbeat for this model arrived; null when none did.</summary>
    public DateTimeOffset? HeartbeatAt { get; init; }

    /// <summary>The loaded span for this model (inclusive); -1 when the node has none loaded.</summary>
    public int FirstLayer { get; init; } = -1;

    public int LastLayer { get; init; } = -1;

    /// <summary>KV budget the worker still has free (budget minus used); what a new session may take.</summary>
    public long KvFreeBytes { get; init; }

    /// <summary>Measured positions per second through the whole loaded span; 0 when not measured yet.</summary>
    public double PositionsPerSecond { get; init; }

    /// <summary>Round-trip time from the coordinator, milliseconds (measured, or the policy's default).</summary>
    public double RttMs { get; init; }

    public bool HasSpan => FirstLayer >= 0 && LastLayer >= FirstLayer;

    public int SpanLayers => HasSpan ? LastLayer - FirstLayer + 1 : 0;
}

/// <summary>Which nodes may be scheduled at all, and the defaults of the latency model.</summary>
public sealed record SchedulingPolicy
{
    /// <summary>Minimum active stake in token base units [default: 0, i.e. StakeManager's own minimum already applies on-chain].</summary>
    public decimal MinStake { get; init; }

    /// <summary>Minimum reputation in [0, 1] [default: 0.5; a slash drives the score to 0].</summary>
    public double ReputationThreshold { get; init; } = 0.5;

    /// <summary>A heartbeat older than this makes the node unavailable [default: 90 s = three worker intervals].</summary>
    public TimeSpan HeartbeatMaxAge { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>RTT assumed when the coordinator has not measured one [default: 50 ms].</summary>
    public double DefaultRttMs { get; init; } = 50;

    /// <summary>
    /// Routing cost added per stage for trust: penalty · (1 − reputation) ms, so between two similar routes the more
    /// reputable wins [default: 0, latency alone; predicted latencies never include it].
    /// </summary>
    public double ReputationPenaltyMs { get; init; }

    public SchedulingPolicy Validated()
    {
        if (MinStake < 0) throw new ArgumentException($"minimum stake must not be negative, got {MinStake}", nameof(MinStake));
        if (ReputationThreshold is < 0 or > 1 || double.IsNaN(ReputationThreshold))
            throw new ArgumentException($"reputation threshold must be in [0, 1], got {ReputationThreshold}", nameof(ReputationThreshold));
        if (HeartbeatMaxAge <= TimeSpan.Zero) throw new ArgumentException("heartbeat max age must be positive", nameof(HeartbeatMaxAge));
        if (DefaultRttMs < 0 || !double.IsFinite(DefaultRttMs)) throw new ArgumentException($"default RTT must be a finite non-negative number, got {DefaultRttMs}", nameof(DefaultRttMs));
        if (ReputationPenaltyMs < 0 || !double.IsFinite(ReputationPenaltyMs)) throw new ArgumentException($"reputation penalty must be a finite non-negative number, got {ReputationPenaltyMs}", nameof(ReputationPenaltyMs));
        return this;
    }

    /// <summary>Stake, slash, freeze, heartbeat freshness and reputation: the gates before any memory or latency question.</summary>
    public bool IsEligible(NodeState node, DateTimeOffset now) => Ineligibility(node, now) == NodeIneligibility.None;

    /// <summary>The first gate <paramref name="node"/> fails, in the order slashed, frozen, stake, heartbeat, reputation; None when it passes them all.</summary>
    public NodeIneligibility Ineligibility(NodeState node, DateTimeOffset now) =>
        node.Slashed ? NodeIneligibility.Slashed
        : node.Frozen ? NodeIneligibility.Frozen
        : node.ActiveStake < MinStake || node.ActiveStake <= 0 ? NodeIneligibility.StakeBelowMinimum
        : node.HeartbeatAt is not { } at ? NodeIneligibility.NoHeartbeat
        : now - at > HeartbeatMaxAge ? NodeIneligibility.StaleHeartbeat
        : node.Reputation < ReputationThreshold ? NodeIneligibility.LowReputation
        : NodeIneligibility.None;
}

/// <summary>Why a node may not be scheduled at all (before any memory or latency question).</summary>
public enum NodeIneligibility
{
    None,
    Slashed,
    Frozen,
    StakeBelowMinimum,
    NoHeartbeat,
    StaleHeartbeat,
    LowReputation,
}
