using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Engine;

/// <summary>The embedding step: token → Q16 hidden vector (SPEC.md §7.1).</summary>
public static class EmbeddingStep
{
    public static void Embed(IntegerModel model, int token, Span<int> hidden)
    {
        if ((uint)token >= (uint)model.Config.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(token), $"token {token} outside the vocabulary of {model.Config.VocabSize}");
        int dim = model.Embedding.Cols;
        Span<sbyte> row = dim <= 16384 ? stackalloc sbyte[dim] : new sbyte[dim];
        model.Embedding.CopyRow(token, row);
        long multiplier = model.Embedding.Multipliers[token];
        for (int i = 0; i < dim; i++)
            hidden[i] = FixedPoint.Sat32(FixedPoint.Rshr(Math.BigMul(row[i] * multiplier, FixedPoint.ActivationLevels), 32));
    }

    /// <summary>Embeds and reports the step's leaf (slot 0) to <paramref name="sink"/>.</summary>
    public static void Embed(IntegerModel model, int token, int position, Span<int> hidden, ITraceSink? sink, Span<byte> scratch)
    {
        Embed(model, token, hidden);
        if (sink is null) return;
        Span<byte> hiddenHash = stackalloc byte[32], tokenField = stackalloc byte[32], leaf = stackalloc byte[32];
        ReadOnlySpan<int> h = hidden[..model.Config.Dim];
        TraceLeaves.HashVector(h, scratch, hiddenHash);
        TraceLeaves.TokenField(token, tokenField);
        TraceLeaves.Leaf(position, 0, hiddenHash, tokenField, leaf);
        sink.Record(new TraceStep { Position = position, Slot = 0, Hidden = h, Token = token, Leaf = leaf });
    }
}

/// <summary>The head step: final norm, classifier, sampling (SPEC.md §7.4, §10). Buffers allocated once.</summary>
public sealed class HeadStep : IDisposable
{
    private readonly IntegerModel _model;
    private readonly ParallelRunner _runner;
    private readonly MatMul _matMul;
    private readonly int[] _normalized, _logits;
    private readonly long[] _weights, _sorted;
    private readonly QuantizedActivations _quantized;
    private readonly SamplingWeightsJob _samplingWeights;
    private readonly bool _vector;
    private readonly bool _ownsRunner;

    // Below this vocabulary the sampling weights are cheaper than a hand-off.
    private const int SamplingParallelThreshold = 4096;

    public HeadStep(IntegerModel model, EngineOptions? options = null)
        : this(model, options ?? EngineOptions.Default, runner: null)
    {
    }

    /// <summary>With <paramref name="runner"/> given, the head uses those kernel threads (shared, not owned); otherwise it starts its own.</summary>
    internal HeadStep(IntegerModel model, EngineOptions options, ParallelRunner? runner)
    {
        options.Validate();
        _model = model;
        _ownsRunner = runner is null;
        _runner = runner ?? new ParallelRunner(options.Threads);
        _matMul = new MatMul(_runner, options.Kernels);
        _normalized = new int[model.Config.Dim];
        _logits = new int[model.Config.VocabSize];
        _weights = new long[model.Config.VocabSize];
        _sorted = new long[model.Config.VocabSize];
        _quantized = new QuantizedActivations(model.Config.Dim);
        _samplingWeights = new SamplingWeightsJob(this, _runner.Threads);
        _vector = DotKernels.Resolve(options.Kernels) == KernelPath.Vector512;
    }

    /// <summary>Q16 logits of the last computation.</summary>
    public ReadOnlySpan<int> Logits => _logits;

    public ReadOnlySpan<int> ComputeLogits(ReadOnlySpan<int> hidden)
    {
        RmsNorm.Apply(hidden[.._model.Config.Dim], _model.RmsFinal, _model.Constants.EpsilonQ32, _normalized, _vector);
        _quantized.Quantize(_normalized, _vector);
        _matMul.Multiply(_model.Classifier, _quantized, _logits);
        return _logits;
    }

    /// <summary>Computes logits at <paramref name="position"/>, samples, and reports the head leaf.</summary>
    public int Next(ReadOnlySpan<int> hidden, in SamplingParams sampling, int position, ITraceSink? sink)
    {
        ComputeLogits(hidden);
        int token = Sample(sampling, position);
        if (sink is not null) RecordHead(sink, position, TraceLeaves.HeadSlot(_model.Config.Layers), token);
        return token;
    }

    // Sampler.Sample, with the weights (an exp per vocabulary entry, on many cores the largest serial part of a decode
    // step) split across the kernel threads; every weight is a function of its logit and the max alone, so the bits are the same.
    private int Sample(in SamplingParams sampling, int position)
    {
        if (sampling.TemperatureMilli == 0) return Sampler.Argmax(_logits);
        int parts = _logits.Length < SamplingParallelThreshold ? 1 : _runner.Threads;
        _samplingWeights.Set(sampling.TemperatureMilli, _logits[Sampler.Argmax(_logits)], parts);
        _runner.Run(_samplingWeights, parts);
        return Sampler.Choose(_weights, _samplingWeights.Mass, sampling, position, _sorted);
    }

    private sealed class SamplingWeightsJob(HeadStep head, int threads) : IParallelJob
    {
        private readonly long[] _partialMass = new long[threads];
        private int _temperatureMilli, _max, _parts;

        public long Mass
        {
            get
            {
                long mass = 0;
                for (int i = 0; i < _parts; i++) mass += _partialMass[i];
                return mass;
            }
        }

        public void Set(int temperatureMilli, int max, int parts) => (_temperatureMilli, _max, _parts) = (temperatureMilli, max, parts);

        public void Execute(int part, int parts)
        {
            int n = head._logits.Length, begin = (int)((long)n * part / parts), end = (int)((long)n * (part + 1) / parts);
            ModelConstants k = head._model.Constants;
            _partialMass[part] = Sampler.Weights(head._logits.AsSpan(begin, end - begin), _temperatureMilli, _max, head._weights.AsSpan(begin, end - begin), k.Exp2High, k.Exp2Low);
        }
    }

    /// <summary>
    /// The head leaf of a prompt position: the next token is the prompt's, so nothing is computed, but the
    /// leaf is recorded all the same, which gives every position the same L+2 leaves (SPEC.md §9).
    /// </summary>
    public void RecordForced(ITraceSink sink, int position, int nextPromptToken) =>
        RecordHead(sink, position, TraceLeaves.HeadSlot(_model.Config.Layers), nextPromptToken);

    private static void RecordHead(ITraceSink sink, int position, int slot, int token)
    {
        Span<byte> zero = stackalloc byte[32], tokenField = stackalloc byte[32], leaf = stackalloc byte[32];
        zero.Clear();
        TraceLeaves.TokenField(token, tokenField);
        TraceLeaves.Leaf(position, slot, zero, tokenField, leaf);
        sink.Record(new TraceStep { Position = position, Slot = slot, Token = token, Leaf = leaf });
    }

    public void Dispose()
    {
        if (_ownsRunner) _runner.Dispose();
    }
}
