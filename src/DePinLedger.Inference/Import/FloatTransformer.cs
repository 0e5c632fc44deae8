namespace DePinLedger.Inference.Import;

/// <summary>
/// The float32 reference forward pass: a line-by-line port of llama2.c <c>run.c</c> <c>forward()</c>.
/// It is the yardstick the integer engine is measured against (perplexity, greedy output), never part of
/// a committed computation: float results depend on the machine. Clarity first; plain loops.
/// </summary>
/// <remarks>Not thread-safe: one instance holds one sequence's KV cache.</remarks>
public sealed class FloatTransformer(LlamaCheckpoint checkpoint)
{
    /// <summary>Beginning-of-sequence token id in the llama2.c tokenizer.</summary>
    public const int Bos = 1;

    private const float RmsEpsilon = 1e-5f;
    private const float RopeTheta = 10000.0f;

    private readonly LlamaCheckpoint _w = checkpoint ?? throw new ArgumentNullException(nameof(checkpoint));
    private readonly LlamaConfig _p = checkpoint.Config;

    // RunState: activation buffers, allocated once (llama2.c malloc_run_state).
    private readonly float[] _x = new float[checkpoint.Config.Dim];                        // residual stream
    private readonly float[] _xb = new float[checkpoint.Config.Dim];                       // normed input / attention output
    private readonly float[] _xb2 = new float[checkpoint.Config.Dim];                      // attention projection
    private readonly float[] _hb = new float[checkpoint.Config.HiddenDim];                 // FFN gate
    private readonly float[] _hb2 = new float[checkpoint.Config.HiddenDim];                // FFN up
    private readonly float[] _q = new float[checkpoint.Config.Dim];                        // query
    private readonly float[] _att = new float[checkpoint.Config.SeqLen];                  // scores of one head
    private readonly float[] _logits = new float[checkpoint.Config.VocabSize];

    // KV cache per layer, [position, kvDim]; grown as positions arrive rather than sized for seq_len up front.
    private readonly float[][] _keyCache = new float[checkpoint.Config.Layers][];
    private readonly float[][] _valueCache = new float[checkpoint.Config.Layers][];

    /// <summary>The position the next <see cref="Forward"/> call must be given.</summary>
    public int NextPosition { get; private set; }

    public LlamaConfig Config => _p;

    /// <summary>Forgets the sequence: the next call to <see cref="Forward"/> must be position 0.</summary>
    public void Reset() => NextPosition = 0;

    /// <summary>
    /// Runs <paramref name="token"/> at <paramref name="position"/> and returns a new array of logits (vocab).
    /// Positions must be fed in order 0, 1, 2, … (see <see cref="Reset"/>) and stay below seq_len.
    /// </summary>
    public float[] Forward(int token, int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(token, _p.VocabSize);
        if (position != NextPosition)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"positions must be fed in order; expected {NextPosition}");
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, _p.SeqLen);

        int dim = _p.Dim;
        int kvDim = _p.KvDim;
        int kvMul = _p.Heads / _p.KvHeads; // query heads per KV head
        int hidden = _p.HiddenDim;
        int headSize = _p.HeadSize;
        int pos = position;
        EnsureCacheCapacity(pos + 1);

        // Copy the token embedding into the residual stream.
        Array.Copy(_w.TokenEmbedding, (long)token * dim, _x, 0, dim);

        for (int l = 0; l < _p.Layers; l++)
        {
            float[] keyCache = _keyCache[l];
            float[] valueCache = _valueCache[l];
            int kOffset = pos * kvDim; // this position's row in the layer's cache

            // Attention RMSNorm.
            RmsNorm(_xb, _x, _w.RmsAtt, (long)l * dim, dim);

            // q, k, v projections; k and v are written straight into the cache row for this position.
            MatMul(_q, 0, _xb, _w.Wq, (long)l * dim * dim, dim, dim);
            MatMul(keyCache, kOffset, _xb, _w.Wk, (long)l * kvDim * dim, dim, kvDim);
            MatMul(valueCache, kOffset, _xb, _w.Wv, (long)l * kvDim * dim, dim, kvDim);

            // RoPE: rotate each pair (i, i+1) of q, and of k where i < kvDim, by pos · theta^(-headDim/headSize).
            for (int i = 0; i < dim; i += 2)
            {
                int headDim = i % headSize;
                float freq = 1.0f / MathF.Pow(RopeTheta, headDim / (float)headSize);
                float val = pos * freq;
                float fcr = MathF.Cos(val);
                float fci = MathF.Sin(val);
                Rotate(_q, i, fcr, fci);
                if (i < kvDim) Rotate(keyCache, kOffset + i, fcr, fci);
            }

            // Grouped-query attention, head by head.
            for (int h = 0; h < _p.Heads; h++)
            {
                int qOffset = h * headSize;
                int kvHeadOffset = h / kvMul * headSize;

                // Scores q · k / sqrt(headSize) against every cached position 0..pos.
                for (int t = 0; t <= pos; t++)
                {
                    int kRow = t * kvDim + kvHeadOffset;
                    float score = 0.0f;
                    for (int i = 0; i < headSize; i++) score += _q[qOffset + i] * keyCache[kRow + i];
                    score /= MathF.Sqrt(headSize);
                    _att[t] = score;
                }

                // Softmax over the scores.
                Softmax(_att, pos + 1);

                // Weighted sum of the values into xb.
                Array.Clear(_xb, qOffset, headSize);
                for (int t = 0; t <= pos; t++)
                {
                    int vRow = t * kvDim + kvHeadOffset;
                    float a = _att[t];
                    for (int i = 0; i < headSize; i++) _xb[qOffset + i] += a * valueCache[vRow + i];
                }
            }

            // Output projection and residual.
            MatMul(_xb2, 0, _xb, _w.Wo, (long)l * dim * dim, dim, dim);
            for (int i = 0; i < dim; i++) _x[i] += _xb2[i];

            // FFN RMSNorm.
            RmsNorm(_xb, _x, _w.RmsFfn, (long)l * dim, dim);

            // SwiGLU: w2(silu(w1 · x) * (w3 · x)).
            MatMul(_hb, 0, _xb, _w.W1, (long)l * hidden * dim, dim, hidden);
            MatMul(_hb2, 0, _xb, _w.W3, (long)l * hidden * dim, dim, hidden);
            for (int i = 0; i < hidden; i++)
            {
                float val = _hb[i];
                val *= 1.0f / (1.0f + MathF.Exp(-val));
                val *= _hb2[i];
                _hb[i] = val;
            }
            MatMul(_xb, 0, _hb, _w.W2, (long)l * dim * hidden, hidden, dim);

            // Residual.
            for (int i = 0; i < dim; i++) _x[i] += _xb[i];
        }

        // Final RMSNorm (in place, as llama2.c does) and the classifier.
        RmsNorm(_x, _x, _w.RmsFinal, 0, dim);
        MatMul(_logits, 0, _x, _w.Classifier, 0, dim, _p.VocabSize);

        NextPosition = pos + 1;
        return (float[])_logits.Clone();
    }

    /// <summary>
    /// Float32 perplexity: exp of the mean, over every predicted position of every sequence, of
    /// −log softmax(logits)[next token], accumulated in double. Each sequence starts with BOS and
    /// predicts its tokens 1..n−1.
    /// </summary>
    public static double Perplexity(LlamaCheckpoint ckpt, IReadOnlyList<IReadOnlyList<int>> sequences)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        ArgumentNullException.ThrowIfNull(sequences);
        var model = new FloatTransformer(ckpt);
        double totalNll = 0;
        long predicted = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            var tokens = sequences[s] ?? throw new ArgumentException($"sequence {s} is null", nameof(sequences));
            if (tokens.Count == 0 || tokens[0] != Bos)
                throw new ArgumentException($"sequence {s} must start with BOS ({Bos})", nameof(sequences));
            if (tokens.Count > ckpt.Config.SeqLen)
                throw new ArgumentException($"sequence {s} has {tokens.Count} tokens, more than the context length {ckpt.Config.SeqLen}", nameof(sequences));
            for (int i = 0; i < tokens.Count; i++)
                if ((uint)tokens[i] >= (uint)ckpt.Config.VocabSize)
                    throw new ArgumentException($"sequence {s} token {i} is {tokens[i]}, outside the vocabulary of {ckpt.Config.VocabSize}", nameof(sequences));

            model.Reset();
            for (int pos = 0; pos + 1 < tokens.Count; pos++)
            {
                float[] logits = model.Forward(tokens[pos], pos);
                totalNll -= LogSoftmax(logits, tokens[pos + 1]);
                predicted++;
            }
        }
        if (predicted == 0) throw new ArgumentException("no sequence has a token to predict (each needs at least 2 tokens)", nameof(sequences));
        return Math.Exp(totalNll / predicted);
    }

    /// <summary>
    /// Greedy decoding as llama2.c <c>generate()</c> at temperature 0: feeds the prompt, then appends the
    /// argmax token (ties → lowest id) until <paramref name="maxNewTokens"/> tokens, the context length,
    /// or a BOS token (not included). Returns only the new tokens.
    /// </summary>
    public static IReadOnlyList<int> Greedy(LlamaCheckpoint ckpt, IReadOnlyList<int> promptTokens, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        if (promptTokens.Count == 0) throw new ArgumentException("the prompt needs at least one token", nameof(promptTokens));
        if (promptTokens.Count > ckpt.Config.SeqLen)
            throw new ArgumentException($"the prompt has {promptTokens.Count} tokens, more than the context length {ckpt.Config.SeqLen}", nameof(promptTokens));

        var model = new FloatTransformer(ckpt);
        var output = new List<int>();
        float[] logits = [];
        for (int pos = 0; pos < promptTokens.Count; pos++) logits = model.Forward(promptTokens[pos], pos);
        while (output.Count < maxNewTokens)
        {
            int next = ArgMax(logits);
            if (next == Bos) break;
            output.Add(next);
            if (model.NextPosition >= ckpt.Config.SeqLen) break;
            logits = model.Forward(next, model.NextPosition);
        }
        return output;
    }

    /// <summary>Index of the largest value; the lowest index on ties (llama2.c <c>sample_argmax</c>).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static double LogSoftmax(float[] logits, int index)
    {
        double max = logits[0];
        for (int i = 1; i < logits.Length; i++) max = Math.Max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        return logits[index] - max - Math.Log(sum);
    }

    private void EnsureCacheCapacity(int positions)
    {
        long needed = (long)positions * _p.KvDim;
        if (needed > Array.MaxLength)
            throw new InvalidOperationException($"a KV cache of {positions} positions × {_p.KvDim} is too large for the reference engine");
        for (int l = 0; l < _p.Layers; l++)
        {
            int current = _keyCache[l]?.Length ?? 0;
            if (current >= needed) continue;
            long full = Math.Min((long)_p.SeqLen * _p.KvDim, Array.MaxLength);
            int capacity = (int)Math.Min(full, Math.Max(needed, 2L * current));
            Array.Resize(ref _keyCache[l], capacity);
            Array.Resize(ref _valueCache[l], capacity);
        }
    }

    private static void Rotate(float[] vec, int i, float fcr, float fci)
    {
        float v0 = vec[i];
        float v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
    }

    // o = weight ⊙ (x / sqrt(mean(x²) + eps)); o may be x.
    private static void RmsNorm(float[] o, float[] x, float[] weight, long weightOffset, int size)
    {
        float ss = 0.0f;
        for (int j = 0; j < size; j++) ss += x[j] * x[j];
        ss /= size;
        ss += RmsEpsilon;
        ss = 1.0f / MathF.Sqrt(ss);
        for (int j = 0; j < size; j++) o[j] = weight[weightOffset + j] * (ss * x[j]);
    }

    private static void Softmax(float[] x, int size)
    {
        float max = x[0];
        for (int i = 1; i < size; i++) if (x[i] > max) max = x[i];
        float sum = 0.0f;
        for (int i = 0; i < size; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < size; i++) x[i] /= sum;
    }

    // xout[outOffset + i] = Σ_j w[wOffset + i·n + j] · x[j] for i < d: W (d, n) @ x (n).
    private static void MatMul(float[] xout, int outOffset, float[] x, float[] w, long wOffset, int n, int d)
    {
        for (int i = 0; i < d; i++)
        {
            long row = wOffset + (long)i * n;
            float val = 0.0f;
            for (int j = 0; j < n; j++) val += w[row + j] * x[j];
            xout[outOffset + i] = val;
        }
    }
}
