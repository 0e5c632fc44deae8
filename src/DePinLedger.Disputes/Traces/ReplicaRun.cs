using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Disputes.Traces;

/// <summary>
/// A deliberate fault inside one stage: the step at <see cref="At"/> reports a wrong result and the run continues
/// honestly from it. A block or embedding step has its output hidden vector perturbed (entry 0 off by one); a head
/// step samples the next token id instead. This is how tests and the dishonest-behaviour catalogue make a replica
/// whose first wrong leaf is exactly <see cref="At"/>.
/// </summary>
public sealed record TraceFault(TracePoint At);

/// <summary>Everything that determines a replica's trace: model, prompt (BOS first), sampling, token limit and stages.</summary>
public sealed record ReplicaRun(IntegerModel Model, IReadOnlyList<int> Prompt, int MaxTokens, SamplingParams Sampling, StageLayout Layout)
{
    /// <summary>A fault to inject (null: an honest run).</summary>
    public TraceFault? Fault { get; init; }

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Model);
        ArgumentNullException.ThrowIfNull(Prompt);
        ArgumentNullException.ThrowIfNull(Layout);
        if (Prompt.Count == 0) throw new ArgumentException("the prompt has no tokens", nameof(Prompt));
        if (Prompt.Count > Model.Config.SeqLen) throw new ArgumentException($"the prompt has {Prompt.Count} tokens; the context holds {Model.Config.SeqLen}", nameof(Prompt));
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), "at least one token is generated");
        if (Layout.Layers != Model.Config.Layers) throw new ArgumentException($"the layout covers {Layout.Layers} blocks; the model has {Model.Config.Layers}", nameof(Layout));
        Sampling.Validate();
    }
}

/// <summary>Recomputes replica traces with the in-process engine.</summary>
public sealed class EngineTraceSource : ITraceSource
{
    public Task<IReplicaTrace> LoadAsync(ReplicaRun run, CancellationToken cancellation) =>
        Task.Run<IReplicaTrace>(() => EngineTrace.Run(run), cancellation);
}
