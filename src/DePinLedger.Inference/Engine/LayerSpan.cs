using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Engine;

/// <summary>
/// A contiguous span of transformer blocks with its own key/value cache: what one pipeline stage
/// computes. Positions are fed in order from 0; a batch of positions (prefill) and the same positions
/// one by one (decode) produce identical bits (SPEC.md §7). All buffers are allocated here, once.
/// </summary>
public sealed class LayerSpan : IDisposable
{
    private readonly IntegerModel _model;
    private readonly ModelConfig _c;
    private readonly ParallelRunner _runner;
    private readonly MatMul _matMul;
    private readonly int[][] _keys;     // per block: [maxPositions, kvDim]
    private readonly int[][] _values;   // per block: [maxPositions, kvDim]
    private readonly byte[][] _kvRoots; // per block: running key/value root after each position [maxPositions, 32]

    // Scratch, sized once.
    private readonly int[] _xb, _xb2, _q, _hb, _hb2, _projected;
    private readonly AttentionJob _attention;
    private readonly bool _vectorAttention;
    private readonly bool _vector; // the AVX-512 element-wise steps (quantize, RMSNorm, residual) unless the scalar or AVX2 kernels were asked for
    private readonly QuantizedActivations _qDim, _qHidden;
    private readonly int[] _blockOutputs;   // [layerCount, dim]: each block's output at the current position
    private readonly byte[] _leaves;        // [layerCount, 32]
    private readonly LeafHasher _leafHasher;
    private readonly bool _ownsRunner;
    private readonly SwiGluJob _swiGlu;

    public LayerSpan(IntegerModel model, int firstLayer, int layerCount, int maxPositions, EngineOptions? options = null)
        : this(model, firstLayer, layerCount, maxPositions, options ?? EngineOptions.Default, runner: null)
    {
    }

    /// <summary>With <paramref name="runner"/> given, the span uses those kernel threads (shared, not owned); otherwise it starts its own.</summary>
    internal LayerSpan(IntegerModel model, int firstLayer, int layerCount, int maxPositions, EngineOptions options, ParallelRunner? runner)
    {
        options.Validate();
        ModelConfig c = model.Config;
        if (firstLayer < 0 || layerCount < 1 || firstLayer + layerCount > c.Layers)
            throw new ArgumentOutOfRangeException(nameof(layerCount), $"layers {firstLayer}..{firstLayer + layerCount - 1} are not within 0..{c.Layers - 1}");
        if (maxPositions < 1 || maxPositions > c.SeqLen)
            throw new ArgumentOutOfRangeException(nameof(maxPositions), $"positions must be 1..{c.SeqLen}");
        _model = model;
        _c = c;
        FirstLayer = firstLayer;
        LayerCount = layerCount;
        MaxPositions = maxPositions;
        _ownsRunner = runner is null;
        _runner = runner ?? new ParallelRunner(options.Threads);
        _matMul = new MatMul(_runner, options.Kernels);
        _keys = new int[layerCount][];
        _values = new int[layerCount][];
        _kvRoots = new byte[layerCount][];
        for (int i = 0; i < layerCount; i++)
        {
            _keys[i] = new int[maxPositions * c.KvDim];
            _values[i] = new int[maxPositions * c.KvDim];
            _kvRoots[i] = new byte[maxPositions * 32];
        }
        _xb = new int[c.Dim];
        _xb2 = new int[c.Dim];
        _q = new int[c.Dim];
        _projected = new int[c.Dim];
        _hb = new int[c.HiddenDim];
        _hb2 = new int[c.HiddenDim];
        _vector = DotKernels.Resolve(options.Kernels) == KernelPath.Vector512;
        _vectorAttention = _vector && AttentionKernels.VectorSupported;
        _qDim = new QuantizedActivations(c.Dim);
        _qHidden = new QuantizedActivations(c.HiddenDim);
        _attention = new AttentionJob(this, options.Threads);
        _swiGlu = new SwiGluJob(this);
        _blockOutputs = new int[layerCount * c.Dim];
        _leaves = new byte[layerCount * 32];
        _leafHasher = new LeafHasher(this, options.Threads);
    }

    public int FirstLayer { get; }

    public int LayerCount { get; }

    /// <summary>Exclusive end of the span.</summary>
    public int EndLayer => FirstLayer + LayerCount;

    public int MaxPositions { get; }

    /// <summary>The next position this span expects (the number of positions in its cache).</summary>
    public int Length { get; private set; }

    /// <summary>Bytes held by the key/value cache.</summary>
    public long CacheBytes => 2L * LayerCount * MaxPositions * _c.KvDim * sizeof(int);

    /// <summary>
    /// Runs positions Length..Length+count−1 through the span. <paramref name="hidden"/> holds
    /// count × dim inputs and receives the outputs in place. Each step is reported to <paramref name="sink"/>.
    /// </summary>
    public void Forward(Span<int> hidden, int count, ITraceSink? sink = null)
    {
        int dim = _c.Dim;
        if (count < 1 || hidden.Length < count * dim) throw new ArgumentException($"need {count} × {dim} hidden values");
        if (Length + count > MaxPositions)
            throw new InvalidOperationException($"the span's cache holds {MaxPositions} positions; {Length} used, {count} more requested");
        for (int p = 0; p < count; p++)
        {
            Span<int> x = hidden.Slice(p * dim, dim);
            for (int i = 0; i < LayerCount; i++)
            {
                Block(i, Length, x);
                if (sink is not null) x.CopyTo(_blockOutputs.AsSpan(i * dim, dim));
            }
            if (sink is not null) RecordPosition(Length, sink);
            Length++;
        }
    }

    // Hashes every block's leaf at one position (blocks are independent: each chains only its own K/V),
    // split across the kernel threads, then reports the steps to the sink in slot order.
    private void RecordPosition(int pos, ITraceSink sink)
    {
        _leafHasher.Position = pos;
        _runner.Run(_leafHasher, LayerCount);
        int dim = _c.Dim, kvDim = _c.KvDim;
        for (int i = 0; i < LayerCount; i++)
        {
            sink.Record(new TraceStep
            {
                Position = pos,
                Slot = FirstLayer + i + 1,
                Hidden = _blockOutputs.AsSpan(i * dim, dim),
                Key = _keys[i].AsSpan(pos * kvDim, kvDim),
                Value = _values[i].AsSpan(pos * kvDim, kvDim),
                KvRoot = _kvRoots[i].AsSpan(pos * 32, 32),
                Token = -1,
                Leaf = _leaves.AsSpan(i * 32, 32),
            });
        }
    }

    /// <summary>Leaf hashing of one position's blocks (SPEC.md §9), split by block; scratch per part.</summary>
    private sealed class LeafHasher(LayerSpan span, int threads) : IParallelJob
    {
        private readonly byte[][] _scratch = Enumerable.Range(0, threads)
            .Select(_ => new byte[Math.Max(4 * span._c.Dim, 32 + 8 * span._c.KvDim)]).ToArray();
        private readonly byte[][] _hiddenHash = Enumerable.Range(0, threads).Select(_ => new byte[32]).ToArray();

        public int Position { get; set; }

        public void Execute(int part, int parts)
        {
            int blocks = span.LayerCount, begin = blocks * part / parts, end = blocks * (part + 1) / parts;
            int pos = Position, dim = span._c.Dim, kvDim = span._c.KvDim;
            byte[] scratch = _scratch[part], hiddenHash = _hiddenHash[part];
            for (int i = begin; i < end; i++)
            {
                Span<byte> kvRoot = span._kvRoots[i].AsSpan(pos * 32, 32);
                ReadOnlySpan<byte> previous = pos == 0 ? ZeroRoot : span._kvRoots[i].AsSpan((pos - 1) * 32, 32);
                TraceLeaves.ChainKeyValue(previous, span._keys[i].AsSpan(pos * kvDim, kvDim), span._values[i].AsSpan(pos * kvDim, kvDim), scratch, kvRoot);
                TraceLeaves.HashVector(span._blockOutputs.AsSpan(i * dim, dim), scratch, hiddenHash);
                TraceLeaves.Leaf(pos, span.FirstLayer + i + 1, hiddenHash, kvRoot, span._leaves.AsSpan(i * 32, 32));
            }
        }
    }

    /// <summary>Forgets every position (a new job).</summary>
    public void Reset() => Length = 0;

    /// <summary>Forgets positions from <paramref name="length"/> on, so that they can be recomputed.</summary>
    public void Truncate(int length)
    {
        if ((uint)length > (uint)Length) throw new ArgumentOutOfRangeException(nameof(length), $"the span holds {Length} positions");
        Length = length;
    }

    /// <summary>
    /// Loads the keys and values of positions 0..count−1 of a one-block span from outside (a dispute step replayed
    /// from its agreed inputs: SPEC.md §9, K[s] ‖ V[s] packed per position) and chains their running roots, so that
    /// the next <see cref="Forward"/> computes position <c>count</c> exactly as a run over the whole prefix would.
    /// Returns the running root after the last loaded position (zero when none), for checking against kvRootPrev.
    /// </summary>
    public byte[] Restore(ReadOnlySpan<int> keys, ReadOnlySpan<int> values)
    {
        if (LayerCount != 1) throw new InvalidOperationException("only a one-block span can be restored from outside");
        int kvDim = _c.KvDim;
        if (keys.Length != values.Length || keys.Length % kvDim != 0)
            throw new ArgumentException($"keys and values must be whole rows of {kvDim} and equally many", nameof(values));
        int count = keys.Length / kvDim;
        if (count >= MaxPositions) throw new ArgumentOutOfRangeException(nameof(keys), $"{count} positions leave no room in a cache of {MaxPositions}");
        keys.CopyTo(_keys[0]);
        values.CopyTo(_values[0]);
        var scratch = new byte[32 + 8 * kvDim];
        for (int pos = 0; pos < count; pos++)
        {
            ReadOnlySpan<byte> previous = pos == 0 ? ZeroRoot : _kvRoots[0].AsSpan((pos - 1) * 32, 32);
            TraceLeaves.ChainKeyValue(previous, keys.Slice(pos * kvDim, kvDim), values.Slice(pos * kvDim, kvDim), scratch, _kvRoots[0].AsSpan(pos * 32, 32));
        }
        Length = count;
        return count == 0 ? new byte[32] : _kvRoots[0].AsSpan((count - 1) * 32, 32).ToArray();
    }

    /// <summary>
    /// The running key/value root of block <paramref name="layer"/> after <paramref name="position"/>; computed
    /// only for positions forwarded with a trace sink (leaf hashing is what maintains it).
    /// </summary>
    public ReadOnlySpan<byte> KvRoot(int layer, int position)
    {
        if (layer < FirstLayer || layer >= EndLayer) throw new ArgumentOutOfRangeException(nameof(layer));
        if ((uint)position >= (uint)Length) throw new ArgumentOutOfRangeException(nameof(position));
        return _kvRoots[layer - FirstLayer].AsSpan(position * 32, 32);
    }

    /// <summary>The key written by block <paramref name="layer"/> (absolute index) at <paramref name="position"/>.</summary>
    public ReadOnlySpan<int> Key(int layer, int position) => CacheRow(_keys, layer, position);

    public ReadOnlySpan<int> Value(int layer, int position) => CacheRow(_values, layer, position);

    private ReadOnlySpan<int> CacheRow(int[][] cache, int layer, int position)
    {
        if (layer < FirstLayer || layer >= EndLayer) throw new ArgumentOutOfRangeException(nameof(layer));
        if ((uint)position >= (uint)Length) throw new ArgumentOutOfRangeException(nameof(position));
        return cache[layer - FirstLayer].AsSpan(position * _c.KvDim, _c.KvDim);
    }

    // One transformer block at one position (SPEC.md §7); x is updated in place.
    private void Block(int i, int pos, Span<int> x)
    {
        ModelConfig c = _c;
        LayerWeights w = _model.Layers[FirstLayer + i];
        ModelConstants k = _model.Constants;
        int kvDim = c.KvDim;
        int[] keyCache = _keys[i], valueCache = _values[i];

        // Attention: normalize, project to q, k, v (k and v straight into the cache), rotate.
        RmsNorm.Apply(x, w.RmsAttention, k.EpsilonQ32, _xb, _vector);
        _qDim.Quantize(_xb, _vector);
        _matMul.Multiply(_qDim, w.Wq, _q, 0, w.Wk, keyCache, pos * kvDim, w.Wv, valueCache, pos * kvDim);
        Span<int> key = keyCache.AsSpan(pos * kvDim, kvDim);
        Rotary.Apply(_q, pos, c.HeadSize, k);
        Rotary.Apply(key, pos, c.HeadSize, k);

        Attention(keyCache, valueCache, pos);

        // Output projection and residual.
        _qDim.Quantize(_xb2, _vector);
        _matMul.Multiply(w.Wo, _qDim, _projected);
        Residual.Add(x, _projected, _vector);

        // Feed-forward: w2(silu(w1·x) ⊙ w3·x) and residual.
        RmsNorm.Apply(x, w.RmsFeedForward, k.EpsilonQ32, _xb, _vector);
        _qDim.Quantize(_xb, _vector);
        _matMul.Multiply(_qDim, w.W1, _hb, w.W3, _hb2, _swiGlu);
        _qHidden.Quantize(_hb, _vector);
        _matMul.Multiply(w.W2, _qHidden, _projected);
        Residual.Add(x, _projected, _vector);
    }

    // Causal attention of every query head over positions 0..pos (SPEC.md §7.3); result in _xb2.
    // Heads are independent, so they are split across the kernel threads (a head is computed whole by one).
    private void Attention(int[] keyCache, int[] valueCache, int pos)
    {
        _attention.Set(keyCache, valueCache, pos);
        long work = (long)_c.Heads * (pos + 1) * _c.HeadSize;
        _runner.Run(_attention, work < AttentionParallelThreshold ? 1 : _runner.Threads);
    }

    /// <summary>
    /// The feed-forward gate hb ← silu(hb) ⊙ hb2 (SPEC.md §6) on the rows of w1 and w3 a thread has just computed:
    /// on many cores it is the largest serial part of a decode step otherwise, and a hand-off of its own costs more.
    /// </summary>
    private sealed class SwiGluJob(LayerSpan span) : IRowEpilogue
    {
        public void Apply(int begin, int end)
        {
            int[] hb = span._hb, hb2 = span._hb2;
            ModelConstants k = span._model.Constants;
            for (int j = begin; j < end; j++)
                hb[j] = FixedPoint.Sat32(FixedPoint.Rshr((long)FixedPoint.Silu(hb[j], k.Exp2High, k.Exp2Low) * hb2[j], 16));
        }
    }

    // Below this many multiply-adds per attention call, one thread is faster than a hand-off (a few microseconds).
    private const long AttentionParallelThreshold = 1 << 12;

    /// <summary>The attention of one position, split by query heads; scratch per part, allocated once.</summary>
    private sealed class AttentionJob(LayerSpan span, int threads) : IParallelJob
    {
        private readonly long[][] _scores = Enumerable.Range(0, threads).Select(_ => new long[span.MaxPositions]).ToArray();
        private readonly long[][] _clampedQ = Enumerable.Range(0, threads).Select(_ => new long[span._c.HeadSize]).ToArray();
        private readonly long[][] _acc = Enumerable.Range(0, threads).Select(_ => new long[span._c.HeadSize]).ToArray();
        private int[] _keys = [], _values = [];
        private int _pos;

        public void Set(int[] keys, int[] values, int pos)
        {
            _keys = keys;
            _values = values;
            _pos = pos;
        }

        public void Execute(int part, int parts)
        {
            ModelConfig c = span._c;
            int heads = c.Heads, begin = heads * part / parts, end = heads * (part + 1) / parts;
            for (int h = begin; h < end; h++) Head(h, _scores[part], _clampedQ[part], _acc[part]);
        }

        private void Head(int h, long[] scoreBuffer, long[] clampedQ, long[] acc)
        {
            ModelConfig c = span._c;
            int hs = c.HeadSize, kvDim = c.KvDim, pos = _pos;
            ModelConstants k = span._model.Constants;
            long invSqrt = k.InvSqrtHeadSizeQ16;
            bool vector = span._vectorAttention;
            Span<long> scores = scoreBuffer.AsSpan(0, pos + 1);
            ReadOnlySpan<int> q = span._q.AsSpan(h * hs, hs);
            for (int d = 0; d < hs; d++) clampedQ[d] = Math.Clamp(q[d], -FixedPoint.AttentionClamp, FixedPoint.AttentionClamp);
            int kvOffset = h / c.KvGroup * hs;
            long max = long.MinValue;
            for (int t = 0; t <= pos; t++)
            {
                long dot = AttentionKernels.ClampedDot(clampedQ, _keys.AsSpan(t * kvDim + kvOffset, hs), vector);
                long score = FixedPoint.Rshr(FixedPoint.Rshr(dot, 16) * invSqrt, 16);
                scores[t] = score;
                if (score > max) max = score;
            }
            long total = 0;
            Array.Clear(acc);
            for (int t = 0; t <= pos; t++)
            {
                long weight = FixedPoint.Rshr(FixedPoint.ExpQ30(scores[t] - max, k.Exp2High, k.Exp2Low), 14);
                total += weight;
                if (weight != 0) AttentionKernels.AddScaled(acc, weight, _values.AsSpan(t * kvDim + kvOffset, hs), vector);
            }
            long inverse = (1L << 46) / total;
            Span<int> output = span._xb2.AsSpan(h * hs, hs);
            for (int d = 0; d < hs; d++) output[d] = FixedPoint.Sat32(FixedPoint.Rshr(Math.BigMul(acc[d], inverse), 46));
        }
    }

    private static readonly byte[] ZeroRoot = new byte[32];

    public void Dispose()
    {
        if (_ownsRunner) _runner.Dispose();
    }
}
