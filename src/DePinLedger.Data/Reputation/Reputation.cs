namespace DePinLedger.Data.Reputation;

/// <summary>A liveness report of a node, written by the coordinator (off-chain; no block).</summary>
public sealed class Heartbeat
{
    public long Id { get; set; }
    public string Node { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public int LatencyMicros { get; set; }
}

/// <summary>A node's reputation as computed at one moment (the scheduler ranks by the latest).</summary>
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
    public int VerificationsPassed { get; set; }
    public int VerificationsFailed { get; set; }
    public int DisputesLost { get; set; }
    public int Slashes { get; set; }
}
