using System.Text.Json.Serialization;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Pipeline;

namespace DePinLedger.Gateway.Api;

/// <summary>POST /v1/jobs: a job created and paid on-chain, and its prompt (whose tokens must hash to the job's prompt hash).</summary>
public sealed record PostJobRequest(
    [property: JsonPropertyName("job_id")] string? JobId,
    [property: JsonPropertyName("prompt")] string? Prompt);

/// <summary>A job as the API shows it.</summary>
public sealed record JobView(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("client")] string Client,
    [property: JsonPropertyName("replicas")] int Replicas,
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("tokens")] IReadOnlyList<int> Tokens,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("replica_results")] IReadOnlyList<ReplicaView> ReplicaResults,
    [property: JsonPropertyName("submission_tx")] string? SubmissionTransaction,
    [property: JsonPropertyName("dispute")] DisputeReport? Dispute,
    [property: JsonPropertyName("stream")] string Stream)
{
    public static JobView Of(CoordinatedJob job)
    {
        IReadOnlyList<TokenEvent> tokens = job.Tokens;
        return new JobView(
            job.Id.ToString(), job.Phase.ToString().ToLowerInvariant(), job.OnChain.Client, job.OnChain.Request.Replicas, job.Prompt.Count,
            [.. tokens.Select(t => t.Token)], string.Concat(tokens.Select(t => t.Text)), job.Error,
            [.. job.Results.Select((r, i) => ReplicaView.Of(i, r))], job.SubmissionTransaction, job.Dispute, $"/v1/jobs/{job.Id}/stream");
    }
}

/// <summary>One replica's commitments and signed stages.</summary>
public sealed record ReplicaView(
    [property: JsonPropertyName("replica")] int Replica,
    [property: JsonPropertyName("trace_root")] string TraceRoot,
    [property: JsonPropertyName("output_hash")] string OutputHash,
    [property: JsonPropertyName("token_count")] int TokenCount,
    [property: JsonPropertyName("stages")] IReadOnlyList<StageView> Stages)
{
    public static ReplicaView Of(int replica, PipelineResult result) => new(
        replica, "0x" + Convert.ToHexStringLower(result.TraceRoot.AsSpan()), "0x" + Convert.ToHexStringLower(result.OutputHash.AsSpan()), result.OutputTokens.Count,
        [.. result.Receipts.Select(r => new StageView(r.Receipt.Stage, r.Receipt.FirstLayer, r.Receipt.LastLayer, r.Signer, r.Receipt.TraceRoot.ToString()))]);
}

public sealed record StageView(
    [property: JsonPropertyName("stage")] int Stage,
    [property: JsonPropertyName("first_layer")] int FirstLayer,
    [property: JsonPropertyName("last_layer")] int LastLayer,
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("trace_root")] string TraceRoot);

/// <summary>One server-sent token event.</summary>
public sealed record TokenView(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("token")] int Token,
    [property: JsonPropertyName("text")] string Text);
