using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Engine;

/// <summary>What a generation produced and committed to.</summary>
public sealed record GenerationResult(
    IReadOnlyList<int> PromptTokens,
    IReadOnlyList<int> OutputTokens,
    Hash32 TraceRoot,
    Hash32 OutputHash,
    int LeafCount,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime)
{
    /// <summary>Generated tokens per second of decode (after the first token).</summary>
    public double DecodeTokensPerSecond => OutputTokens.Count > 1 && DecodeTime > TimeSpan.Zero ? (OutputTokens.Count - 1) / DecodeTime.TotalSeconds : 0;
}

/// <summary>
/// The whole model as a composition of layer spans in one process: embedding, spans in order, head.
/// A pipeline of workers computes the same thing one span per node; a split never changes a bit.
/// </summary>
public sealed class Generator : IDisposable
{
    private readonly IntegerModel _model;
    private readonly LayerSpan[] _spans;
    private readonly HeadStep _head;
    private readonly ParallelRunner _runner;
    private readonly int[] _hidden;
    private readonly byte[] _scratch;

    /// <summary>The kernel threads every span and the head share (benchmarks read their profile).</summary>
    internal ParallelRunner Runner => _runner;

    /// <param name="model">The model.</param>
    /// <param name="maxPositions">Positions the caches hold (prompt + generated − 1), at most the context length.</param>
    /// <param name="spanLengths">Layer counts of the spans, in order, summing to the layer count; null = one span.</param>
    /// <param name="options">Threads and kernels.</param>
    public Generator(IntegerModel model, int maxPositions, IReadOnlyList<int>? spanLengths = null, EngineOptions? options = null)
    {
        _model = model;
        spanLengths ??= [model.Config.Layers];
        if (spanLengths.Count == 0 || spanLengths.Any(n => n < 1) || spanLengths.Sum() != model.Config.Layers)
            throw new ArgumentException($"span lengths must be positive and sum to {model.Config.Layers}", nameof(spanLengths));
        MaxPositions = maxPositions;
        options ??= EngineOptions.Default;
        options.Validate();
        // One set of kernel threads for every span and the head: they run one after another.
        _runner = new ParallelRunner(options.Threads);
        _spans = new LayerSpan[spanLengths.Count];
        int first = 0;
        for (int i = 0; i < spanLengths.Count; i++)
        {
            _spans[i] = new LayerSpan(model, first, spanLengths[i], maxPositions, options, _runner);
            first += spanLengths[i];
        }
        _head = new HeadStep(model, options, _runner);
        _hidden = new int[maxPositions * model.Config.Dim];
        _scratch = new byte[4 * model.Config.Dim];
    }

    public int MaxPositions { get; }

    public IReadOnlyList<LayerSpan> Spans => _spans;

    /// <summary>
    /// Generates up to <paramref name="maxNewTokens"/> tokens after <paramref name="prompt"/> (which
    /// starts with BOS). Stops after sampling BOS or EOS (that token is part of the output and the
    /// trace), at the token limit, or at the context length. With <paramref name="batchedPrefill"/>
    /// the prompt goes through each span as one batch; otherwise token by token; the bits are the same.
    /// </summary>
    public GenerationResult Generate(
        IReadOnlyList<int> prompt,
        int maxNewTokens,
        SamplingParams sampling,
        TraceRecorder? trace = null,
        Action<int>? onToken = null,
        bool batchedPrefill = true)
    {
        sampling.Validate();
        int dim = _model.Config.Dim;
        if (prompt.Count == 0) throw new ArgumentException("the prompt has no tokens", nameof(prompt));
        if (maxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxNewTokens), "at least one token must be generated");
        if (prompt.Count > MaxPositions)
            throw new ArgumentException($"the prompt has {prompt.Count} tokens; this generator holds {MaxPositions} positions", nameof(prompt));
        foreach (LayerSpan span in _spans) span.Reset();
        trace?.Clear();

        var started = System.Diagnostics.Stopwatch.StartNew();
        int p = prompt.Count;
        if (batchedPrefill)
        {
            Span<int> all = _hidden.AsSpan(0, p * dim);
            for (int t = 0; t < p; t++) EmbeddingStep.Embed(_model, prompt[t], t, all.Slice(t * dim, dim), trace, _scratch);
            foreach (LayerSpan span in _spans) span.Forward(all, p, trace);
        }
        else
        {
            for (int t = 0; t < p; t++)
            {
                Span<int> x = _hidden.AsSpan(t * dim, dim);
                EmbeddingStep.Embed(_model, prompt[t], t, x, trace, _scratch);
                foreach (LayerSpan span in _spans) span.Forward(x, 1, trace);
            }
        }

        if (trace is not null)
            for (int t = 0; t + 1 < p; t++) _head.RecordForced(trace, t, prompt[t + 1]);

        var output = new List<int>(maxNewTokens);
        int position = p - 1;
        int token = _head.Next(_hidden.AsSpan(position * dim, dim), sampling, position, trace);
        TimeSpan prefill = started.Elapsed;
        output.Add(token);
        onToken?.Invoke(token);
        // Each further token needs the previous one embedded at the next position.
        while (output.Count < maxNewTokens && !IsStop(token) && position + 1 < MaxPositions)
        {
            position++;
            Span<int> x = _hidden.AsSpan(position * dim, dim);
            EmbeddingStep.Embed(_model, token, position, x, trace, _scratch);
            foreach (LayerSpan span in _spans) span.Forward(x, 1, trace);
            token = _head.Next(x, sampling, position, trace);
            output.Add(token);
            onToken?.Invoke(token);
        }
        TimeSpan total = started.Elapsed;

        Hash32 root = trace?.Root() ?? Hash32.Zero;
        int leaves = trace?.Leaves().Count ?? 0;
        return new GenerationResult(prompt.ToArray(), output, root, TraceLeaves.OutputHash(output), leaves, prefill, total - prefill);
    }

    /// <summary>Tokens that end generation (llama2.c stops at BOS; EOS ends a sequence too).</summary>
    public static bool IsStop(int token) => token is 1 or 2;

    /// <summary>A trace recorder shaped for this model and cache size.</summary>
    public TraceRecorder NewTrace() => new(MaxPositions, _model.Config.Layers + 2);

    public void Dispose()
    {
        foreach (LayerSpan span in _spans) span.Dispose();
        _head.Dispose();
        _runner.Dispose();
    }
}
