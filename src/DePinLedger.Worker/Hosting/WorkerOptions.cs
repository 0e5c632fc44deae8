using DePinLedger.Inference.Model;

namespace DePinLedger.Worker.Hosting;

/// <summary>Everything a worker daemon is configured with; every setting has a default and a description.</summary>
public sealed record WorkerOptions
{
    /// <summary>First transformer block served (inclusive, 0-based).</summary>
    public required int FirstLayer { get; init; }

    /// <summary>Last transformer block served (inclusive).</summary>
    public required int LastLayer { get; init; }

    /// <summary>Address to listen on; 0.0.0.0 serves every interface.</summary>
    public string Host { get; init; } = "0.0.0.0";

    /// <summary>TCP port; 0 picks a free one (the daemon prints the address it listens on).</summary>
    public int Port { get; init; }

    /// <summary>
    /// Port of the direct data path (Forward over plain TCP on <see cref="Host"/>, see worker.proto); 0 picks a free one,
    /// null turns it off (clients then use gRPC for everything).
    /// </summary>
    public int? DataPort { get; init; } = 0;

    /// <summary>Bytes of KV cache all open sessions may hold together; a session that does not fit is refused.</summary>
    public long KvBudgetBytes { get; init; } = 1L << 30;

    /// <summary>Most positions one Forward call may carry.</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>Threads for the matrix products (never changes a bit).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Where closed sessions' traces are kept for the challenge window.</summary>
    public required string TraceDirectory { get; init; }

    /// <summary>Bytes of retained traces at most; the oldest are deleted first.</summary>
    public long TraceRetentionBytes { get; init; } = 1L << 30;

    /// <summary>How long a trace is kept (the challenge window plus the longest dispute).</summary>
    public TimeSpan TraceRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Sessions without a call for this long are dropped (their KV memory freed, no receipt).</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Coordinator endpoint that receives signed heartbeats (POST, JSON); null = none.</summary>
    public Uri? HeartbeatUrl { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The chain the node serves (read from --rpc at start); sessions for another chain are refused. Null = any.</summary>
    public ulong? ChainId { get; init; }

    public FaultOptions Faults { get; init; } = new();

    public int LayerCount => LastLayer - FirstLayer + 1;

    public void Validate(ModelConfig model)
    {
        if (FirstLayer < 0 || LastLayer < FirstLayer || LastLayer >= model.Layers)
            throw new ArgumentOutOfRangeException(nameof(LastLayer), $"layers {FirstLayer}-{LastLayer} are not within 0-{model.Layers - 1}");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "a port is 0..65535");
        if (DataPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(DataPort), DataPort, "a port is 0..65535");
        if (DataPort is > 0 && DataPort == Port) throw new ArgumentException($"the data path needs its own port, not the gRPC port {Port}", nameof(DataPort));
        if (KvBudgetBytes < 1) throw new ArgumentOutOfRangeException(nameof(KvBudgetBytes), "the KV budget must be positive");
        if (MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatch), "the batch limit must be positive");
        if (TraceRetentionBytes < 0) throw new ArgumentOutOfRangeException(nameof(TraceRetentionBytes));
        Faults.Validate(model, FirstLayer, LastLayer);
    }
}

/// <summary>
/// Deliberate misbehaviour, for tests and the devnet's dispute drills; all off by default. A worker with a fault still
/// signs its receipts, which is what makes the dispute path testable end to end. Each fault changes the stage's
/// leaves from the first step it touches on, and nothing before it.
/// </summary>
public sealed record FaultOptions
{
    /// <summary>Each Forward call waits this long before computing (a straggler).</summary>
    public TimeSpan StepDelay { get; init; }

    /// <summary>The delay starts with this Forward call (counted from 1 over the process), so latency statistics form first.</summary>
    public int DelayFromStep { get; init; } = 1;

    /// <summary>The process exits abruptly during this Forward call (counted from 1); 0 = never.</summary>
    public int CrashAtStep { get; init; }

    /// <summary>Adds 1 to the first hidden value after block <see cref="NoiseLayer"/> at <see cref="NoisePosition"/>; −1 = off.</summary>
    public int NoisePosition { get; init; } = -1;

    public int NoiseLayer { get; init; } = -1;

    /// <summary>
    /// Commits a wrong hash (last byte flipped) for the leaf at (<see cref="CorruptPosition"/>, <see cref="CorruptSlot"/>)
    /// while computing everything correctly: a node that lies about its trace, not its output. −1 = off.
    /// </summary>
    public int CorruptPosition { get; init; } = -1;

    /// <summary>Trace slot of the corrupted leaf: 0 = embedding, 1..L = block slot − 1, L + 1 = head.</summary>
    public int CorruptSlot { get; init; } = -1;

    /// <summary>
    /// Block not computed from <see cref="SkipFromPosition"/> on (a node saving work): its output is its input, it writes
    /// no K/V (its committed running K/V root stays where it was). −1 = off.
    /// </summary>
    public int SkipLayer { get; init; } = -1;

    public int SkipFromPosition { get; init; }

    /// <summary>
    /// Computes with these weights (same shape) while claiming the served model: a node running a cheaper or altered
    /// model. Null = off.
    /// </summary>
    public IntegerModel? OtherWeights { get; init; }

    /// <summary>The last stage returns pseudo-random tokens instead of sampling from this position on, computing no head; −1 = off.</summary>
    public int RandomTokensFromPosition { get; init; } = -1;

    public bool Any => StepDelay > TimeSpan.Zero || CrashAtStep > 0 || NoisePosition >= 0 || CorruptPosition >= 0 || SkipLayer >= 0
        || OtherWeights is not null || RandomTokensFromPosition >= 0;

    /// <summary>Checks the faults against the served span of <paramref name="model"/> (a fault that could never fire is an error).</summary>
    public void Validate(ModelConfig model, int firstLayer, int lastLayer)
    {
        if (StepDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StepDelay));
        if (DelayFromStep < 1) throw new ArgumentOutOfRangeException(nameof(DelayFromStep));
        if (CrashAtStep < 0) throw new ArgumentOutOfRangeException(nameof(CrashAtStep));
        if ((NoisePosition < 0) != (NoiseLayer < 0)) throw new ArgumentException("noise needs both a position and a layer");
        if (NoiseLayer >= 0 && (NoiseLayer < firstLayer || NoiseLayer > lastLayer))
            throw new ArgumentException($"noise after block {NoiseLayer}: this worker serves blocks {firstLayer}-{lastLayer}");
        if ((CorruptPosition < 0) != (CorruptSlot < 0)) throw new ArgumentException("a corrupted leaf needs both a position and a slot");
        if (CorruptSlot >= 0)
        {
            bool owned = (CorruptSlot >= firstLayer + 1 && CorruptSlot <= lastLayer + 1)
                || (CorruptSlot == 0 && firstLayer == 0) || (CorruptSlot == model.Layers + 1 && lastLayer == model.Layers - 1);
            if (!owned) throw new ArgumentException($"slot {CorruptSlot} is not a slot of this stage (blocks {firstLayer}-{lastLayer} own slots {firstLayer + 1}-{lastLayer + 1}, plus 0 on the first stage and {model.Layers + 1} on the last)");
        }
        if (SkipLayer >= 0 && (SkipLayer < firstLayer || SkipLayer > lastLayer))
            throw new ArgumentException($"cannot skip block {SkipLayer}: this worker serves blocks {firstLayer}-{lastLayer}");
        if (SkipFromPosition < 0) throw new ArgumentOutOfRangeException(nameof(SkipFromPosition));
        if (OtherWeights is { } other && other.Config != model)
            throw new ArgumentException($"the other weights have shape {other.Config}, the served model {model}: they must match");
        if (RandomTokensFromPosition >= 0 && lastLayer != model.Layers - 1)
            throw new ArgumentException("random tokens are a fault of the last stage (the one that samples)");
    }
}
