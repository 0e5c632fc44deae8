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

    public void Validate(int modelLayers)
    {
        if (FirstLayer < 0 || LastLayer < FirstLayer || LastLayer >= modelLayers)
            throw new ArgumentOutOfRangeException(nameof(LastLayer), $"layers {FirstLayer}-{LastLayer} are not within 0-{modelLayers - 1}");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "a port is 0..65535");
        if (KvBudgetBytes < 1) throw new ArgumentOutOfRangeException(nameof(KvBudgetBytes), "the KV budget must be positive");
        if (MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatch), "the batch limit must be positive");
        if (TraceRetentionBytes < 0) throw new ArgumentOutOfRangeException(nameof(TraceRetentionBytes));
        Faults.Validate();
    }
}

/// <summary>
/// Deliberate misbehaviour, for tests and the devnet's dispute drills; all off by default. A worker with a fault still
/// signs its receipts, which is what makes the dispute path testable end to end.
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

    public bool Any => StepDelay > TimeSpan.Zero || CrashAtStep > 0 || NoisePosition >= 0;

    public void Validate()
    {
        if (StepDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StepDelay));
        if (DelayFromStep < 1) throw new ArgumentOutOfRangeException(nameof(DelayFromStep));
        if (CrashAtStep < 0) throw new ArgumentOutOfRangeException(nameof(CrashAtStep));
        if ((NoisePosition < 0) != (NoiseLayer < 0)) throw new ArgumentException("noise needs both a position and a layer");
    }
}
