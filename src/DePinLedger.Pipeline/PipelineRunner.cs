using System.Buffers.Binary;
using System.Diagnostics;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Contracts;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace DePinLedger.Pipeline;

/// <summary>
/// Runs a job through a route of worker stages: prefill (the prompt, in batches), then decode token by token, streaming
/// each token as it is produced. The runner keeps every stage's inputs, so a stage whose worker fails is moved to a
/// replacement that replays them (checked leaf for leaf) and the job continues bit-identically; a straggling step is
/// hedged to a replica of the same span. At the end it collects each stage's signed receipt and checks it: the signer
/// recovers to the worker's node address, the trace root is that of the leaves the stage returned, input roots chain
/// to the previous stage's output root, the first stage's input root is the hash of the tokens it embedded and the last
/// stage's output root is the job's output hash.
/// </summary>
public sealed class PipelineRunner(PipelineOptions? options = null)
{
    private readonly PipelineOptions _options = options ?? new PipelineOptions();
    private readonly DataPathReachability _dataPaths = new((options ?? new PipelineOptions()).DataPathRetryAfter, TimeProvider.System);

    public async Task<PipelineResult> RunAsync(IReadOnlyList<StageRoute> route, PipelineJob job, Action<int>? onToken = null, CancellationToken cancellation = default)
    {
        job.Sampling.Validate();
        if (route.Count == 0) throw new ArgumentException("the route has no stages", nameof(route));
        if (route.Count > byte.MaxValue + 1) throw new ArgumentException("a route has at most 256 stages", nameof(route));
        if (job.Prompt.Count == 0) throw new ArgumentException("the prompt has no tokens", nameof(job));
        if (job.MaxNewTokens < 1) throw new ArgumentException("at least one token must be generated", nameof(job));
        for (int s = 0; s < route.Count; s++)
        {
            if (route[s].Endpoints.Count == 0) throw new ArgumentException($"stage {s} has no workers", nameof(route));
            int expected = s == 0 ? 0 : route[s - 1].LastLayer + 1;
            if (route[s].FirstLayer != expected || route[s].LastLayer < route[s].FirstLayer)
                throw new ArgumentException($"stage {s} covers layers {route[s].FirstLayer}-{route[s].LastLayer}; the route must be contiguous from layer 0", nameof(route));
        }

        InfoReply model = await ProbeAsync(route[0], cancellation);
        if (route[^1].LastLayer != model.Layers - 1)
            throw new ArgumentException($"the route ends at layer {route[^1].LastLayer}; the model has layers 0-{model.Layers - 1}", nameof(route));
        if (job.Prompt.Count > model.MaxPositions)
            throw new ArgumentException($"the prompt has {job.Prompt.Count} tokens; the context is {model.MaxPositions}", nameof(job));
        int maxPositions = (int)Math.Min(model.MaxPositions, (long)job.Prompt.Count + job.MaxNewTokens - 1);

        var stages = route.Select((r, i) => new StageRunner(i, r, job, _options, _dataPaths, maxPositions, model.Layers, model.Dim, model.ModelId)).ToArray();
        try
        {
            return await GenerateAsync(stages, job, maxPositions, onToken, cancellation);
        }
        finally
        {
            foreach (StageRunner stage in stages) stage.Dispose();
        }
    }

    /// <summary>
    /// Runs a verified job: replica 0 on <paramref name="served"/> and replica 1 on <paramref name="check"/> at the same
    /// time, streaming replica 0's tokens. Replica 0 is the result served to the client (the dispute game refunds the
    /// client when that one is proven wrong), so tokens are never taken from replica 1, even when it is ahead, and
    /// hedging stays inside each replica's own spares: the replicas' nodes belong to disjoint operators, so one
    /// replica's node can never sign the other's stage. The two results are compared by the caller (the dispute
    /// service) — a mismatch is evidence, not an error here.
    /// </summary>
    public async Task<(PipelineResult Served, PipelineResult Check)> RunVerifiedAsync(
        IReadOnlyList<StageRoute> served, IReadOnlyList<StageRoute> check, PipelineJob job, Action<int>? onToken = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(check);
        var shared = served.SelectMany(s => s.Endpoints).Intersect(check.SelectMany(s => s.Endpoints)).ToArray();
        if (shared.Length > 0) throw new ArgumentException($"the replicas' routes share workers ({string.Join(", ", shared.Select(u => u.ToString()))}); a verified job needs disjoint pipelines", nameof(check));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task<PipelineResult> first = RunAsync(served, job with { Replica = 0 }, onToken, failed.Token);
        Task<PipelineResult> second = RunAsync(check, job with { Replica = 1 }, null, failed.Token);
        // One replica failing stops the other (a verified job needs both); its own failure is what surfaces.
        Task done = await Task.WhenAny(first, second);
        if (!done.IsCompletedSuccessfully)
        {
            await failed.CancelAsync();
            try
            {
                await Task.WhenAll(first, second);
            }
            catch (Exception) when (!cancellation.IsCancellationRequested)
            {
                // The other replica's cancellation; the first failure is rethrown below.
            }
            await done;
        }
        return (await first, await second);
    }

    private async Task<PipelineResult> GenerateAsync(StageRunner[] stages, PipelineJob job, int maxPositions, Action<int>? onToken, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        int p = job.Prompt.Count;
        int token = -1;
        for (int start = 0; start < p; start += _options.MaxBatch)
        {
            int count = Math.Min(_options.MaxBatch, p - start);
            token = await StepAsync(stages, start, job.Prompt.Skip(start).Take(count).ToArray(), cancellation);
        }
        TimeSpan prefill = clock.Elapsed;
        var output = new List<int> { token };
        onToken?.Invoke(token);
        int position = p - 1;
        while (output.Count < job.MaxNewTokens && !Generator.IsStop(token) && position + 1 < maxPositions)
        {
            position++;
            token = await StepAsync(stages, position, [token], cancellation);
            output.Add(token);
            onToken?.Invoke(token);
        }
        TimeSpan total = clock.Elapsed;

        int positions = position + 1;
        Hash32[] leaves = AssembleTrace(stages, positions);
        Hash32 outputHash = TraceLeaves.OutputHash(output);
        List<SignedStageReceipt> receipts = await CloseAsync(stages, job, positions, output, outputHash, cancellation);
        return new PipelineResult(output, MerkleTree.ComputeRoot(leaves), outputHash, leaves.Length, leaves, receipts,
            stages.Select(s => s.Stats()).ToArray(), prefill, total - prefill);
    }

    /// <summary>Positions [start, start + tokens.Count) through every stage; the token sampled at the last one (−1 when none was).</summary>
    private static async Task<int> StepAsync(StageRunner[] stages, int start, int[] tokens, CancellationToken cancellation)
    {
        ByteString hidden = ByteString.Empty;
        ForwardReply reply = new();
        foreach (StageRunner stage in stages)
        {
            stage.Keep(start, tokens, hidden);
            reply = await stage.StepAsync(start, tokens.Length, cancellation);
            hidden = reply.Hidden;
        }
        return reply.Token;
    }

    /// <summary>The job's trace in token-major order: at each position the stages' leaves in stage order (their slots ascend).</summary>
    private static Hash32[] AssembleTrace(StageRunner[] stages, int positions)
    {
        int perPosition = stages.Sum(s => s.LeavesPerPosition);
        var leaves = new Hash32[positions * perPosition];
        int k = 0;
        for (int t = 0; t < positions; t++)
            foreach (StageRunner stage in stages)
            {
                ReadOnlySpan<byte> own = stage.Leaves(positions).Slice(t * stage.LeavesPerPosition * 32, stage.LeavesPerPosition * 32);
                for (int i = 0; i < stage.LeavesPerPosition; i++) leaves[k++] = new Hash32(own.Slice(i * 32, 32));
            }
        return leaves;
    }

    private static async Task<List<SignedStageReceipt>> CloseAsync(StageRunner[] stages, PipelineJob job, int positions, List<int> output, Hash32 outputHash, CancellationToken cancellation)
    {
        var receipts = new List<SignedStageReceipt>();
        var domain = Eip712Domain.For(job.ChainId, job.JobMarket);
        foreach (StageRunner stage in stages)
        {
            foreach (StageReplica other in stage.Others) await other.AbandonAsync();
            StageReplica active = stage.Active;
            CloseSessionReply reply;
            try
            {
                reply = await active.CloseAsync(cancellation);
            }
            catch (RpcException e)
            {
                throw new PipelineException($"stage {stage.Index}: worker {active.Endpoint} failed to sign its receipt: {e.Status.Detail}", e);
            }
            if (reply.Signature.Length != 65 || reply.InputRoot.Length != 32 || reply.TraceRoot.Length != 32 || reply.OutputRoot.Length != 32)
                throw new PipelineException($"stage {stage.Index}: malformed receipt from {active.Endpoint}");
            var receipt = new StageReceipt(new Bytes32(job.JobId.AsSpan()), job.Replica, (byte)stage.Index, (ushort)stage.Route.FirstLayer, (ushort)stage.Route.LastLayer,
                new Bytes32(reply.InputRoot.Span), new Bytes32(reply.TraceRoot.Span), new Bytes32(reply.OutputRoot.Span));
            if (!NodeKey.TryRecover(receipt.Digest(domain), reply.Signature.Span, out string? signer, out string? invalid))
                throw new PipelineException($"stage {stage.Index}: the receipt signature of {active.Endpoint} is invalid: {invalid}");
            Check(string.Equals(signer, reply.Signer, StringComparison.OrdinalIgnoreCase), stage, $"the receipt recovers to {signer}, not to the worker's node {reply.Signer}");
            Check(reply.Positions == positions, stage, $"the worker computed {reply.Positions} positions, not {positions}");
            Hash32 traceRoot = MerkleTree.ComputeRoot(Split(stage.Leaves(positions)));
            Check(receipt.TraceRoot.Span.SequenceEqual(traceRoot.AsSpan()), stage, "the signed trace root is not the root of the leaves the stage returned");
            if (stage.Index > 0)
                Check(receipt.InputRoot == receipts[^1].Receipt.OutputRoot, stage, "the input root is not the previous stage's output root");
            else
                Check(receipt.InputRoot.Span.SequenceEqual(EmbeddedTokensHash(job.Prompt, output, positions).AsSpan()), stage, "the input root is not the hash of the embedded tokens");
            if (stage.IsLast)
                Check(receipt.OutputRoot.Span.SequenceEqual(outputHash.AsSpan()), stage, "the output root is not the job's output hash");
            receipts.Add(new SignedStageReceipt(receipt, reply.Signature.ToByteArray(), signer, active.Endpoint));
        }
        return receipts;
    }

    /// <summary>keccak256 of the tokens the first stage embedded (prompt, then every sampled token but the last) as packed big-endian uint32.</summary>
    public static Hash32 EmbeddedTokensHash(IReadOnlyList<int> prompt, IReadOnlyList<int> output, int positions)
    {
        var bytes = new byte[positions * 4];
        for (int t = 0; t < positions; t++)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(t * 4), (uint)(t < prompt.Count ? prompt[t] : output[t - prompt.Count]));
        return Keccak256.Hash(bytes);
    }

    private static Hash32[] Split(ReadOnlySpan<byte> leaves)
    {
        var result = new Hash32[leaves.Length / 32];
        for (int i = 0; i < result.Length; i++) result[i] = new Hash32(leaves.Slice(i * 32, 32));
        return result;
    }

    private static void Check(bool condition, StageRunner stage, string problem)
    {
        if (!condition) throw new PipelineException($"stage {stage.Index} receipt from {stage.Active.Endpoint}: {problem}");
    }

    /// <summary>The model as the first live worker of a stage reports it.</summary>
    private async Task<InfoReply> ProbeAsync(StageRoute stage, CancellationToken cancellation)
    {
        foreach (Uri endpoint in stage.Endpoints)
        {
            using var channel = GrpcChannel.ForAddress(endpoint);
            try
            {
                return await new Worker.Contracts.Worker.WorkerClient(channel).InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow + _options.CallTimeout, cancellationToken: cancellation);
            }
            catch (RpcException)
            {
                // Try the next worker of the stage.
            }
        }
        throw new PipelineException("no worker of the first stage answers");
    }
}
