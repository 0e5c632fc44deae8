using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Pipeline;

/// <summary>One stage of a route: blocks FirstLayer..LastLayer (inclusive) and the workers holding that span, preferred first; the rest are replicas for hedging and replacements for failover.</summary>
public sealed record StageRoute(int FirstLayer, int LastLayer, IReadOnlyList<Uri> Endpoints);

/// <summary>What to run: the job's identity (for the receipts), prompt tokens (BOS first), limits and sampling.</summary>
public sealed record PipelineJob(Hash32 JobId, byte Replica, IReadOnlyList<int> Prompt, int MaxNewTokens, SamplingParams Sampling, ulong ChainId, string JobMarket);

/// <summary>How the runner behaves; never what it computes.</summary>
public sealed record PipelineOptions
{
    /// <summary>Most positions per Forward call (prefill is chunked to this).</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>Hedge stragglers at all.</summary>
    public bool Hedging { get; init; } = true;

    /// <summary>Decode steps a stage must have timed before a step can count as slow.</summary>
    public int HedgeMinSamples { get; init; } = 5;

    /// <summary>Steps measured for the mean and σ (a sliding window).</summary>
    public int HedgeWindow { get; init; } = 32;

    /// <summary>A step is hedged after max(mean + 2σ, this): timer noise on sub-millisecond steps is not straggling.</summary>
    public TimeSpan HedgeFloor { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Send Forward calls over a worker's direct data path when it offers one (worker.proto): the same messages over
    /// plain TCP, 0.5–0.8 ms less per hop than gRPC on loopback. Off, or when it cannot be reached: gRPC.
    /// </summary>
    public bool DirectDataPath { get; init; } = true;

    /// <summary>How long a data path address that could not be reached is left alone (gRPC is used meanwhile).</summary>
    public TimeSpan DataPathRetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait to connect to a data path before the replica uses gRPC.</summary>
    public TimeSpan DataPathConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Deadline of one call to a worker; a worker that does not answer in time is replaced.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>A stage receipt as the worker signed it, checked by the runner (signer recovered, roots chained).</summary>
public sealed record SignedStageReceipt(StageReceipt Receipt, byte[] Signature, string Signer, Uri Endpoint);

/// <summary>
/// Latency statistics and incidents of one stage: decode step latency as the runner saw it (mean and σ over the recent
/// window, what hedging uses) and the mean compute time the workers reported for those steps (the rest is transport);
/// whether the final worker was reached over its direct data path, and if it offered one that could not be reached, why.
/// </summary>
public sealed record StageStats(int Stage, int TimedSteps, double MeanMs, double StdDevMs, double MeanComputeMs, int Hedges, int HedgeWins, int Failovers, Uri FinalEndpoint,
    bool DataPath, string? DataPathUnavailable);

/// <summary>What a pipeline run produced: the same fields a single-process generation commits to, plus receipts and statistics.</summary>
public sealed record PipelineResult(
    IReadOnlyList<int> OutputTokens,
    Hash32 TraceRoot,
    Hash32 OutputHash,
    int LeafCount,
    IReadOnlyList<Hash32> Leaves,
    IReadOnlyList<SignedStageReceipt> Receipts,
    IReadOnlyList<StageStats> Stages,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime)
{
    public double DecodeTokensPerSecond => OutputTokens.Count > 1 && DecodeTime > TimeSpan.Zero ? (OutputTokens.Count - 1) / DecodeTime.TotalSeconds : 0;
}

/// <summary>The job cannot complete (no live worker left for a stage, or a result that fails a check).</summary>
public sealed class PipelineException(string message, Exception? inner = null) : Exception(message, inner);
