using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Disputes.Traces;

/// <summary>
/// A replica's trace recomputed with the engine, one position at a time (embedding, each block, head), exactly as
/// a pipeline computes it, keeping what a step needs besides the leaves: every step's output hidden vector and
/// every block's keys and values. Token-by-token prefill gives the same bits as batched prefill.
/// </summary>
public sealed class EngineTrace : IReplicaTrace, ITraceSink, IDisposable
{
    private readonly ReplicaRun _run;
    private readonly int _layers;
    private readonly int _slots;
    private readonly List<int[]?> _hidden = []; // null for head steps
    private readonly List<LeafFields> _fields = [];
    private readonly List<int> _tokens = [];
    private readonly LayerSpan[] _blocks;
    private readonly byte[] _scratch;
    private MerkleTree[] _trees = [];

    private EngineTrace(ReplicaRun run)
    {
        _run = run;
        IntegerModel model = run.Model;
        _layers = model.Config.Layers;
        _slots = _layers + 2;
        int capacity = Math.Min(model.Config.SeqLen, run.Prompt.Count + run.MaxTokens - 1);
        var single = new EngineOptions { Threads = 1 };
        _blocks = Enumerable.Range(0, _layers).Select(l => new LayerSpan(model, l, 1, capacity, single)).ToArray();
        _scratch = new byte[4 * model.Config.Dim];
    }

    public StageLayout Layout => _run.Layout;

    public int Positions => _tokens.Count;

    public IntegerModel Model => _run.Model;

    public IReadOnlyList<int> Prompt => _run.Prompt;

    public SamplingParams Sampling => _run.Sampling;

    /// <summary>Sampled tokens (from position P−1 on), the stop token included.</summary>
    public IReadOnlyList<int> Output { get; private set; } = [];

    /// <summary>The token embedded at <paramref name="position"/>.</summary>
    public int Token(int position) => _tokens[position];

    /// <summary>The output hidden vector of a step (slot 0 embedding, 1..L blocks).</summary>
    public ReadOnlySpan<int> Hidden(TracePoint at) => _hidden[Index(at)] ?? throw new InvalidOperationException($"step {at} has no hidden vector");

    /// <summary>Key written by <paramref name="layer"/> at <paramref name="position"/>.</summary>
    public ReadOnlySpan<int> Key(int layer, int position) => _blocks[layer].Key(layer, position);

    public ReadOnlySpan<int> Value(int layer, int position) => _blocks[layer].Value(layer, position);

    public LeafFields Fields(TracePoint at) => _fields[Index(at)];

    public Hash32 Leaf(TracePoint at) => Fields(at).Leaf(at);

    public Hash32 StageRoot(int stage) => _trees[stage].Root;

    public IReadOnlyList<Hash32> Proof(TracePoint at)
    {
        int stage = Layout.StageOf(at.Slot);
        return _trees[stage].Proof(Layout.Stages[stage].LeafIndex(at.Position, at.Slot, _layers));
    }

    public (IReadOnlyList<Hash32> Fields, IReadOnlyList<Hash32> Proof) Absence(int stage, int position)
    {
        if (position < Positions) throw new ArgumentOutOfRangeException(nameof(position), $"the trace holds position {position}");
        StageSpan span = Layout.Stages[stage];
        MerkleTree tree = _trees[stage];
        long index = (long)position * span.SlotsPerPosition(_layers);
        if (index < 1L << tree.Depth) return ([], tree.PaddingProof((int)index));
        LeafFields first = Fields(new TracePoint(0, span.FirstLayer == 0 ? 0 : span.FirstLayer + 1));
        return ([first.A, first.B], tree.Proof(0));
    }

    /// <summary>Most tokens the run generates (its stop rule with BOS/EOS and the context length).</summary>
    public int MaxTokens => _run.MaxTokens;

    /// <summary>Runs the replica: prompt positions, then sampling until a stop token, the token limit or the context end.</summary>
    public static EngineTrace Run(ReplicaRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        run.Validate();
        var trace = new EngineTrace(run);
        try
        {
            trace.Generate();
            return trace;
        }
        catch
        {
            trace.Dispose();
            throw;
        }
    }

    private void Generate()
    {
        IntegerModel model = _run.Model;
        IReadOnlyList<int> prompt = _run.Prompt;
        int p = prompt.Count;
        var x = new int[model.Config.Dim];
        var output = new List<int>();
        using var head = new HeadStep(model, new EngineOptions { Threads = 1 });
        int token = prompt[0];
        for (int t = 0; ; t++)
        {
            _tokens.Add(token);
            for (int s = 0; s < _slots; s++)
            {
                _hidden.Add(null);
                _fields.Add(default);
            }
            EmbeddingStep.Embed(model, token, t, x, this, _scratch);
            Perturb(new TracePoint(t, 0), x);
            for (int l = 0; l < _layers; l++)
            {
                _blocks[l].Forward(x, 1, this);
                Perturb(new TracePoint(t, l + 1), x);
            }
            var headPoint = new TracePoint(t, _layers + 1);
            if (t + 1 < p)
            {
                token = prompt[t + 1];
                if (_run.Fault?.At == headPoint) token = WrongToken(token);
                RecordHead(headPoint, token);
                continue;
            }
            token = head.Next(x, _run.Sampling, t, null);
            if (_run.Fault?.At == headPoint) token = WrongToken(token);
            RecordHead(headPoint, token);
            output.Add(token);
            if (output.Count >= _run.MaxTokens || Generator.IsStop(token) || t + 1 >= _blocks[0].MaxPositions) break;
        }
        Output = output;
        _trees = Layout.Stages.Select(BuildTree).ToArray();
    }

    private MerkleTree BuildTree(StageSpan stage)
    {
        var leaves = new List<Hash32>(Positions * stage.SlotsPerPosition(_layers));
        for (int t = 0; t < Positions; t++)
            for (int s = 0; s < _slots; s++)
                if (stage.Owns(s, _layers)) leaves.Add(Leaf(new TracePoint(t, s)));
        return new MerkleTree(leaves);
    }

    /// <summary>Trace sink: keeps the embedding and block steps the engine reports.</summary>
    public void Record(in TraceStep step)
    {
        int index = step.Position * _slots + step.Slot;
        Span<byte> hash = stackalloc byte[32], b = stackalloc byte[32];
        TraceLeaves.HashVector(step.Hidden, _scratch, hash);
        if (step.Slot == 0) TraceLeaves.TokenField(step.Token, b);
        else step.KvRoot.CopyTo(b);
        _hidden[index] = step.Hidden.ToArray();
        _fields[index] = new LeafFields(new Hash32(hash), new Hash32(b));
    }

    private void RecordHead(TracePoint at, int token)
    {
        Span<byte> b = stackalloc byte[32];
        TraceLeaves.TokenField(token, b);
        _fields[Index(at)] = new LeafFields(Hash32.Zero, new Hash32(b));
    }

    // The fault: the step's output is reported (and carried on) one unit off in its first entry.
    private void Perturb(TracePoint at, int[] x)
    {
        if (_run.Fault?.At != at) return;
        x[0] = x[0] == int.MaxValue ? x[0] - 1 : x[0] + 1;
        int index = Index(at);
        Span<byte> hash = stackalloc byte[32];
        TraceLeaves.HashVector(x, _scratch, hash);
        _hidden[index] = [.. x];
        _fields[index] = _fields[index] with { A = new Hash32(hash) };
    }

    private int WrongToken(int token) => (token + 1) % _run.Model.Config.VocabSize;

    private int Index(TracePoint at)
    {
        if ((uint)at.Position >= (uint)Positions || (uint)at.Slot >= (uint)_slots)
            throw new ArgumentOutOfRangeException(nameof(at), $"step {at} is outside the trace ({Positions} positions, {_slots} slots)");
        return at.Position * _slots + at.Slot;
    }

    public void Dispose()
    {
        foreach (LayerSpan block in _blocks) block.Dispose();
    }
}
