namespace DePinLedger.Data.Coordination;

/// <summary>
/// A job this coordinator ran, kept so that a restarted coordinator can still act on it (defend its replicas, finish a
/// dispute): the prompt's tokens (the chain holds only their hash). Written when the result is submitted.
/// </summary>
public sealed class CoordinatedJobRecord
{
    public string JobId { get; set; } = "";

    /// <summary>The prompt's token ids, comma-separated (both providers store it as text).</summary>
    public string PromptTokens { get; set; } = "";

    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>The first position whose leaves differ between the two replicas; null when they agree (or the job ran once).</summary>
    public int? FirstDifferingPosition { get; set; }

    /// <summary>
    /// When the coordinator finished checking the replicas after submission (disputed, found nothing to dispute, or gave
    /// up); null while that is pending, so that a coordinator restarted in between disputes the disagreement itself.
    /// </summary>
    public DateTimeOffset? DisputeCheckedAt { get; set; }
}

/// <summary>One replica of a coordinated job: how many leaves its trace committed (positions × (layers + 2)).</summary>
public sealed class CoordinatedReplicaRecord
{
    public string JobId { get; set; } = "";
    public int Replica { get; set; }
    public int LeafCount { get; set; }
}

/// <summary>A stage receipt the coordinator kept: which node signed the stage and which worker retained its trace.</summary>
public sealed class CoordinatedStageRecord
{
    public string JobId { get; set; } = "";
    public int Replica { get; set; }
    public int Stage { get; set; }
    public int FirstLayer { get; set; }
    public int LastLayer { get; set; }
    public string Node { get; set; } = "";
    public string WorkerEndpoint { get; set; } = "";
}

/// <summary>Where a bisection the coordinator plays as challenger is.</summary>
public enum BisectionStatus
{
    /// <summary>Open on-chain: the bisection job advances it.</summary>
    Open,

    /// <summary>Resolved on-chain; the outcome is recorded.</summary>
    Resolved,

    /// <summary>The coordinator cannot play it any more (logged); nothing more is tried.</summary>
    Failed,
}

/// <summary>
/// A dispute the coordinator opened by bisection (the defender's trace is not wholly available), kept so that a durable
/// job advances it until the game is resolved, across restarts.
/// </summary>
public sealed class BisectionRecord
{
    /// <summary>The game's dispute id (decimal).</summary>
    public string DisputeId { get; set; } = "";
    public string JobId { get; set; } = "";
    public int DefenderReplica { get; set; }

    /// <summary>The defender's stages whose trace the coordinator holds (it answers for them), comma-separated.</summary>
    public string AnswerableStages { get; set; } = "";

    /// <summary>The first position where the replicas' leaves differ: the challenger's first reveal.</summary>
    public int FirstPosition { get; set; }

    public BisectionStatus Status { get; set; }

    /// <summary>The last move made or seen (e.g. revealPosition, waiting for the defender, resolve).</summary>
    public string LastAction { get; set; } = "";

    public string? Outcome { get; set; }
    public string? Reason { get; set; }

    /// <summary>The step proven on-chain, when the bisection reached one.</summary>
    public int? StepPosition { get; set; }
    public int? StepSlot { get; set; }

    /// <summary>Gas of every move the coordinator sent.</summary>
    public long Gas { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
