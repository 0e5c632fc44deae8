namespace DePinLedger.Data.Disputes;

/// <summary>Where a dispute is.</summary>
public enum DisputeStatus
{
    Open,
    ChallengerWon,
    DefenderWon,
    TimedOut,
}

/// <summary>A dispute over a job's result (filled from the dispute game's events once that contract exists).</summary>
public sealed class DisputeRecord
{
    public string DisputeId { get; set; } = "";
    public string JobId { get; set; } = "";
    public string Challenger { get; set; } = "";
    public string? AccusedNode { get; set; }
    public DisputeStatus Status { get; set; }
    public decimal Bond { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public long? DivergentLeaf { get; set; }
    public long BlockNumber { get; set; }
}

/// <summary>Which side made a move.</summary>
public enum DisputeParty
{
    Challenger,
    Defender,
}

/// <summary>One move of the bisection game: a leaf claim with its position.</summary>
public sealed class DisputeMove
{
    public string DisputeId { get; set; } = "";
    public int MoveIndex { get; set; }
    public DisputeParty Party { get; set; }
    public long LeafIndex { get; set; }
    public string LeafHash { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public long BlockNumber { get; set; }
}
