namespace DePinLedger.Data.Reputation;

/// <summary>
/// A signed liveness report of a node (off-chain; no block), as the scheduler accepted it: what the worker signed
/// (model, span, sessions, KV memory, measured throughput, its clock) plus when it arrived and the round-trip time the
/// coordinator measured, if any. One row per (node, signed time): a replayed body is rejected by that key.
/// </summary>
public sealed class Heartbeat
{
    public long Id { get; set; }
    public string Node { get; set; } = "";

    /// <summary>When the coordinator received it (its clock).</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>Round-trip time the coordinator measured to the node, when it measured one.</summary>
    public int? LatencyMicros { get; set; }

    /// <summary>The worker's signed clock (unix seconds in the body).</summary>
    public DateTimeOffset ReportedAt { get; set; }

    public string ModelId { get; set; } = "";
    public int FirstLayer { get; set; }
    public int LastLayer { get; set; }
    public int OpenSessions { get; set; }
    public long KvUsedBytes { get; set; }
    public long KvBudgetBytes { get; set; }

    /// <summary>Measured decode throughput of the whole span (token positions per second); 0 before the first job.</summary>
    public double PositionsPerSecond { get; set; }

    /// <summary>The 65-byte signature over keccak256(body), 0x-hex: keeps the report attributable.</summary>
    public string Signature { get; set; } = "";
}

/// <summary>A node's reputation as computed at one moment (the scheduler ranks by the latest; older rows are the history).</summary>
public sealed class ReputationSnapshot
{
    public long Id { get; set; }
    public string Node { get; set; } = "";
    public DateTimeOffset At { get; set; }
    /// <summary>Score in parts per million.</summary>
    public int ScorePpm { get; set; }
    public int UptimePpm { get; set; }
    public int LatencyMeanMicros { get; set; }
    public int LatencyStdDevMicros { get; set; }
    public int LatencyP50Micros { get; set; }
    public int LatencyP95Micros { get; set; }
    /// <summary>The latency component of the score (mean and spread against the reference), ppm.</summary>
    public int LatencyScorePpm { get; set; }
    public int VerificationsPassed { get; set; }
    public int VerificationsFailed { get; set; }
    public int DisputesWon { get; set; }
    public int DisputesLost { get; set; }
    public int Slashes { get; set; }
    /// <summary>The stake component of the score, ppm.</summary>
    public int StakeScorePpm { get; set; }
    /// <summary>The multiplier left by slashes (0 right after one, recovering slowly), ppm.</summary>
    public int SlashFactorPpm { get; set; }
}
