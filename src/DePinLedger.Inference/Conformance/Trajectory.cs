using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Conformance;

/// <summary>
/// One run of a model over positions 0..n−1, one position at a time through the engine's own steps
/// (embedding, one span of every block, head), keeping each step's output and leaf so that any step
/// can be replayed from its agreed inputs. Tokens after the given prefix are sampled by the head step.
/// </summary>
internal sealed class Trajectory : ITraceSink, IDisposable
{
    private readonly int _slots;
    private readonly int[][] _hidden;
    private readonly Hash32[] _leaves;

    private Trajectory(IntegerModel model, int positions)
    {
        Model = model;
        _slots = model.Config.Layers + 2;
        _hidden = new int[positions * _slots][];
        _leaves = new Hash32[positions * _slots];
        Span = new LayerSpan(model, 0, model.Config.Layers, positions, new EngineOptions { Threads = 1 });
        Tokens = new int[positions];
    }

    public IntegerModel Model { get; }

    /// <summary>The span of all blocks, holding every position's keys, values and running roots.</summary>
    public LayerSpan Span { get; }

    /// <summary>The token embedded at each position.</summary>
    public int[] Tokens { get; }

    public int Positions => Tokens.Length;

    /// <summary>Runs <paramref name="positions"/> positions: the prefix tokens, then tokens sampled with <paramref name="continuation"/>.</summary>
    public static Trajectory Run(IntegerModel model, IReadOnlyList<int> prefix, int positions, SamplingParams continuation)
    {
        if (prefix.Count == 0) throw new ArgumentException("the trajectory needs a first token", nameof(prefix));
        var run = new Trajectory(model, positions);
        int dim = model.Config.Dim;
        var x = new int[dim];
        var scratch = new byte[4 * dim];
        using var head = new HeadStep(model, new EngineOptions { Threads = 1 });
        int token = prefix[0];
        for (int t = 0; t < positions; t++)
        {
            run.Tokens[t] = token;
            EmbeddingStep.Embed(model, token, t, x, run, scratch);
            run.Span.Forward(x, 1, run);
            token = t + 1 < prefix.Count ? prefix[t + 1] : head.Next(x, continuation, t, null);
        }
        return run;
    }

    public void Record(in TraceStep step)
    {
        int index = step.Position * _slots + step.Slot;
        _hidden[index] = step.Hidden.ToArray();
        _leaves[index] = new Hash32(step.Leaf);
    }

    /// <summary>The output hidden vector of step (position, slot): slot 0 the embedding, slot l block l−1.</summary>
    public int[] Hidden(int position, int slot) => _hidden[position * _slots + slot] ?? throw new InvalidOperationException($"no step ({position}, {slot})");

    public Hash32 Leaf(int position, int slot) => _leaves[position * _slots + slot];

    /// <summary>The b field of leaf (position, slot): the token for slot 0, the block's running key/value root otherwise.</summary>
    public Hash32 LeafB(int position, int slot)
    {
        if (slot > 0) return new Hash32(Span.KvRoot(slot - 1, position));
        Span<byte> field = stackalloc byte[32];
        TraceLeaves.TokenField(Tokens[position], field);
        return new Hash32(field);
    }

    public void Dispose() => Span.Dispose();
}
