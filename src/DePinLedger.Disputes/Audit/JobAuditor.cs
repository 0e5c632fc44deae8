using System.Buffers.Binary;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Disputes.Audit;

/// <summary>
/// Re-runs a whole job with the C# engine from its on-chain request and its prompt, and compares the recomputation
/// with what every replica committed: per stage the roots its node signed (re-verifying the signature), and the
/// replica's result root, output hash and token count. The commitments, as the workers and the pipeline compute them
/// (StageSession, PipelineRunner):
/// <list type="bullet">
/// <item>a stage's trace root is the Merkle root of its own leaves (n per position, token-major);</item>
/// <item>its input root is keccak256 of what crossed into it, in position order: the embedded tokens as packed
/// big-endian uint32 for the first stage, else the hidden vectors as packed big-endian int32; its output root is the
/// same over what it sent on, and for the last stage the job's output hash;</item>
/// <item>the result root is the Merkle root of the whole job's leaves in token-major order, the output hash
/// keccak256 of the sampled tokens as packed big-endian uint32.</item>
/// </list>
/// Matching roots only say that a replica computed what the spec computes; where one differs, the first stage and root
/// that differ point at the work to dispute (the dispute game finds the exact step).
/// </summary>
public static class JobAuditor
{
    public const string InputRoot = "input_root";
    public const string TraceRoot = "trace_root";
    public const string OutputRoot = "output_root";
    public const string ResultRoot = "result_root";
    public const string OutputHash = "output_hash";
    public const string TokenCount = "token_count";

    /// <summary>
    /// Audits <paramref name="subject"/> with <paramref name="model"/> (its registered model) and the prompt text,
    /// tokenized as the coordinator tokenizes it (BOS first, no EOS). Each distinct replica layout is recomputed once,
    /// up to <paramref name="parallelRuns"/> at a time.
    /// </summary>
    public static JobAuditReport Audit(JobAuditSubject subject, IntegerModel model, string prompt, int parallelRuns)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelRuns);
        JobOnChain job = subject.Job;
        Bytes32 weightsRoot = DisputeAuditor.CheckModel(subject.Model, model, job);
        int[] tokens = model.Tokenizer.Encode(prompt, bos: true, eos: false);
        Bytes32 promptHash = JobTerms.PromptHash(tokens);
        if (promptHash != job.Request.PromptHash)
            throw new JobAuditException($"the prompt's tokens hash to {promptHash}, but job {job.JobId} committed to promptHash {job.Request.PromptHash}: it is not this job's prompt");
        if (tokens.Length >= model.Config.SeqLen)
            throw new JobAuditException($"the prompt has {tokens.Length} tokens; the context holds {model.Config.SeqLen}, so no coordinator could have run it");

        Dictionary<SubmittedReplica, StageLayout> layouts = job.Replicas.ToDictionary(r => r, r => LayoutOf(r, model.Config.Layers, job.JobId));
        Dictionary<string, EngineTrace> traces = Recompute(layouts.Values, model, tokens, job, parallelRuns);
        try
        {
            EngineTrace any = traces.Values.First();
            Hash32 outputHash = TraceLeaves.OutputHash(any.Output);
            Hash32 resultRoot = MerkleTree.ComputeRoot(AllLeaves(any));
            var domain = Eip712Domain.For(subject.ChainId, subject.JobMarket);
            var problems = new List<string>();
            var replicas = job.Replicas.OrderBy(r => r.Replica)
                .Select(r => Compare(r, traces[Key(layouts[r])], job.JobId, domain, outputHash, resultRoot, problems))
                .ToList();
            IReadOnlyList<int> wrong = Enumerable.Range(0, 8).Where(i => (subject.WrongMask & (1 << i)) != 0).ToList();
            return new JobAuditReport(job.JobId.ToString(), job.Client, job.Request.ModelId.ToString(), weightsRoot.ToString(), subject.Status, wrong,
                tokens.Length, job.Request.MaxTokens, any.Positions, any.Output.Count, outputHash.ToString(), resultRoot.ToString(), replicas, subject.Disputes,
                replicas.All(r => r.Consistent), problems);
        }
        finally
        {
            foreach (EngineTrace trace in traces.Values) trace.Dispose();
        }
    }

    private static StageLayout LayoutOf(SubmittedReplica replica, int layers, Bytes32 jobId)
    {
        try
        {
            return new StageLayout(layers, replica.Stages.Select(s => s.Span).ToList());
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"replica {replica.Replica} of job {jobId} has stages that do not cover the model's {layers} blocks: {e.Message}", e);
        }
    }

    private static string Key(StageLayout layout) => string.Join(",", layout.Stages.Select(s => $"{s.FirstLayer}-{s.LastLayer}"));

    // A layout only regroups the same leaves into stage trees, but each run gives every tree its layout's root directly.
    private static Dictionary<string, EngineTrace> Recompute(IEnumerable<StageLayout> layouts, IntegerModel model, int[] prompt, JobOnChain job, int parallelRuns)
    {
        // No run generates past the context, so a larger token limit changes nothing (and would overflow the engine's sizes).
        int maxTokens = (int)Math.Min(job.Request.MaxTokens, (uint)model.Config.SeqLen);
        var distinct = layouts.DistinctBy(Key).ToList();
        var traces = new EngineTrace?[distinct.Count];
        try
        {
            Parallel.For(0, distinct.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelRuns },
                i => traces[i] = EngineTrace.Run(new ReplicaRun(model, prompt, maxTokens, JobTerms.Sampling(job.Request), distinct[i])));
        }
        catch
        {
            foreach (EngineTrace? trace in traces) trace?.Dispose();
            throw;
        }
        return distinct.Select((layout, i) => (Key(layout), traces[i]!)).ToDictionary(p => p.Item1, p => p.Item2);
    }

    private static List<Hash32> AllLeaves(EngineTrace trace)
    {
        int slots = trace.Layout.Layers + 2;
        var leaves = new List<Hash32>(trace.Positions * slots);
        for (int t = 0; t < trace.Positions; t++)
            for (int s = 0; s < slots; s++) leaves.Add(trace.Leaf(new TracePoint(t, s)));
        return leaves;
    }

    private static AuditedReplica Compare(SubmittedReplica replica, EngineTrace trace, Bytes32 jobId, Eip712Domain domain, Hash32 outputHash, Hash32 resultRoot, List<string> problems)
    {
        int layers = trace.Layout.Layers;
        CommitmentMismatch? first = null;
        var stages = new List<AuditedJobStage>();
        for (int i = 0; i < replica.Stages.Count; i++)
        {
            StageCommitment committed = replica.Stages[i];
            StageSpan span = committed.Span;
            Hash32 input = i == 0 ? EmbeddedTokensHash(trace) : BoundaryHash(trace, span.FirstLayer);
            Hash32 output = span.LastLayer == layers - 1 ? outputHash : BoundaryHash(trace, span.LastLayer + 1);
            Hash32 traceRoot = trace.StageRoot(i);
            var differs = new List<string>();
            Check(InputRoot, committed.InputRoot, input, i, differs, ref first);
            Check(TraceRoot, committed.TraceRoot, traceRoot, i, differs, ref first);
            Check(OutputRoot, committed.OutputRoot, output, i, differs, ref first);
            bool signed = DisputeAuditor.SignatureValid(replica, i, jobId, domain);
            if (!signed) problems.Add($"replica {replica.Replica} stage {i}: the receipt signature in the submit calldata does not recover to node {committed.Node}");
            stages.Add(new AuditedJobStage(i, committed.Node, span.FirstLayer, span.LastLayer, committed.InputRoot.ToString(), input.ToString(),
                committed.TraceRoot.ToString(), traceRoot.ToString(), committed.OutputRoot.ToString(), output.ToString(), signed, differs));
        }
        var replicaDiffers = new List<string>();
        Check(ResultRoot, replica.ResultRoot, resultRoot, null, replicaDiffers, ref first);
        Check(OutputHash, replica.OutputHash, outputHash, null, replicaDiffers, ref first);
        if (replica.TokenCount != trace.Output.Count)
        {
            replicaDiffers.Add(TokenCount);
            first ??= new CommitmentMismatch(null, TokenCount, replica.TokenCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                trace.Output.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return new AuditedReplica(replica.Replica, replica.Transaction, first is null && stages.All(s => s.SignatureValid), first,
            replica.ResultRoot.ToString(), replica.OutputHash.ToString(), replica.TokenCount, replicaDiffers, stages);
    }

    private static void Check(string name, Bytes32 committed, Hash32 recomputed, int? stage, List<string> differs, ref CommitmentMismatch? first)
    {
        if (committed.Span.SequenceEqual(recomputed.AsSpan())) return;
        differs.Add(name);
        first ??= new CommitmentMismatch(stage, name, committed.ToString(), recomputed.ToString());
    }

    // The first stage's inputs are the tokens it embedded; their hash has the output hash's packing (big-endian uint32).
    private static Hash32 EmbeddedTokensHash(EngineTrace trace) =>
        TraceLeaves.OutputHash(Enumerable.Range(0, trace.Positions).Select(trace.Token).ToList());

    /// <summary>keccak256 of the hidden vectors at <paramref name="slot"/> (the output of block slot − 1) for every position, packed big-endian int32.</summary>
    private static Hash32 BoundaryHash(EngineTrace trace, int slot)
    {
        var hasher = new Keccak256();
        byte[] packed = [];
        for (int t = 0; t < trace.Positions; t++)
        {
            ReadOnlySpan<int> hidden = trace.Hidden(new TracePoint(t, slot));
            if (packed.Length != hidden.Length * 4) packed = new byte[hidden.Length * 4];
            for (int i = 0; i < hidden.Length; i++) BinaryPrimitives.WriteInt32BigEndian(packed.AsSpan(i * 4), hidden[i]);
            hasher.Append(packed);
        }
        return hasher.Finish();
    }
}
