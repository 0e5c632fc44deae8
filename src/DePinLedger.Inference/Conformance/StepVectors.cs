using System.Buffers.Binary;
using System.Text.Json;
using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Conformance;

/// <summary>
/// Conformance vectors for the on-chain LayerStepVerifier: single steps with all their agreed inputs,
/// Merkle openings and the engine's outputs, written as one JSON file each plus an index, so that the
/// forge tests replay every step on-chain and compare leaf hashes (SPEC.md §9).
/// </summary>
/// <remarks>
/// Vectors come from the reference model (layer steps at positions 0, 1, 2, 63, 64, 255, 256, 510 and 511
/// of every block plus random ones, embedding steps, greedy and sampled head steps) and from tiny seeded
/// synthetic models of odd shapes (head sizes 2, 4, 6, 10 and 16, grouped-query attention, unshared
/// classifiers, hidden sizes that are not multiples of 32, weights scaled until activations saturate and
/// the attention clamp bites, zero rows). Every file is self-contained; hex strings are 0x-prefixed and
/// vectors of activations are packed big-endian int32, exactly as the verifier receives them.
/// </remarks>
public static class StepVectors
{
    public const string IndexFileName = "index.json";

    /// <summary>Name of the reference model in file names and the index.</summary>
    public const string ReferenceName = "stories260K";

    // Positions the issue asks for (and their neighbours), every block at each.
    private static readonly int[] ReferencePositions = [0, 1, 2, 63, 64, 255, 256, 510, 511];

    // (temperature, top-p) in thousandths: greedy, plain sampling, top-p near and far from 1, extremes.
    private static readonly (int T, int P)[] SamplingCycle =
        [(0, 1000), (1000, 1000), (800, 900), (1500, 500), (2000, 1), (1, 1000), (300, 999), (1000, 50), (700, 1000)];

    /// <summary>
    /// Writes every vector and <see cref="IndexFileName"/> into <paramref name="directory"/> (created if
    /// missing; files a previous run listed in its index are deleted first) and returns the vector count.
    /// </summary>
    /// <param name="directory">Output folder, e.g. contracts/test/vectors/generated.</param>
    /// <param name="reference">The reference model (stories260K); its context must hold 512 positions.</param>
    /// <param name="seed">Seeds the random steps, synthetic models and sampling seeds.</param>
    public static int WriteAll(string directory, IntegerModel reference, ulong seed = 20261101)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Config.SeqLen < 512)
            throw new ArgumentException($"the reference model holds {reference.Config.SeqLen} positions; the vectors need 512", nameof(reference));
        Directory.CreateDirectory(directory);
        DeletePrevious(directory);

        var output = new VectorSet(directory);
        var rng = new SplitMix64(seed);
        WriteReference(output, reference, ref rng);
        foreach (SyntheticShape shape in SyntheticShapes) WriteSynthetic(output, shape, ref rng);
        output.WriteIndex();
        return output.Count;
    }

    /// <summary>The tiny synthetic models: odd shapes, and two scaled until the clamps and saturations of the spec bite.</summary>
    internal static IReadOnlyList<SyntheticShape> SyntheticShapes { get; } =
    [
        new("gqa-hs6-unshared", new LlamaConfig(12, 20, 2, 2, 1, 260, 12, false), Scale: null),
        new("mha-hs4-shared", new LlamaConfig(16, 40, 3, 4, 4, 270, 10, true), Scale: null),
        new("hs16-hidden100", new LlamaConfig(48, 100, 1, 3, 1, 259, 20, false), Scale: null),
        new("hs2-gqa", new LlamaConfig(8, 12, 2, 4, 2, 259, 8, true), Scale: null),
        new("hs10-gqa", new LlamaConfig(40, 36, 1, 4, 2, 259, 9, false), Scale: null),
        new("hot-attention", new LlamaConfig(16, 24, 2, 2, 1, 260, 12, false), new ActivationScale(Embedding: 1, AttentionGain: 400, FeedForwardGain: 30, FinalGain: 20)),
        new("extreme", new LlamaConfig(16, 24, 2, 2, 1, 260, 12, false), new ActivationScale(Embedding: 40000, AttentionGain: 5000, FeedForwardGain: 20000, FinalGain: 1000)),
    ];

    internal sealed record ActivationScale(float Embedding, float AttentionGain, float FeedForwardGain, float FinalGain);

    internal sealed record SyntheticShape(string Name, LlamaConfig Config, ActivationScale? Scale);

    /// <summary>Builds a synthetic model; scaled shapes also get zero rows (an all-zero embedding row 5 and zero key rows).</summary>
    internal static IntegerModel BuildSynthetic(SyntheticShape shape, ulong seed)
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(shape.Config, seed);
        if (shape.Scale is { } s)
        {
            int dim = shape.Config.Dim;
            Multiply(checkpoint.TokenEmbedding, s.Embedding);
            Multiply(checkpoint.RmsAtt, s.AttentionGain);
            Multiply(checkpoint.RmsFfn, s.FeedForwardGain);
            Multiply(checkpoint.RmsFinal, s.FinalGain);
            Array.Clear(checkpoint.TokenEmbedding, ZeroToken * dim, dim);
            Array.Clear(checkpoint.Wk, 0, 2 * dim);
            Array.Clear(checkpoint.W1, dim, 3 * dim);
        }
        return ModelImporter.Import(checkpoint, tokenizer);
    }

    /// <summary>The token whose embedding row scaled synthetic models zero out (its hidden vector is 0).</summary>
    internal const int ZeroToken = 5;

    private static void Multiply(float[] values, float factor)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
    }

    private static void WriteReference(VectorSet output, IntegerModel model, ref SplitMix64 rng)
    {
        var openings = new ModelOpenings(model);
        const int positions = 512;
        int[] prompt = model.Tokenizer.Encode("Once upon a time, there was a little robot", bos: true, eos: false);
        var continuation = new SamplingParams(1000, 950, SamplingParams.SeedFrom(rng.Next()));
        using Trajectory run = Trajectory.Run(model, prompt, positions, continuation);
        output.Model(ReferenceName, null, 0, model.WeightsRoot, run.Tokens);
        int layers = model.Config.Layers;

        var layerSteps = new SortedSet<(int, int)>();
        foreach (int t in ReferencePositions)
            for (int slot = 1; slot <= layers; slot++) layerSteps.Add((t, slot));
        while (layerSteps.Count < ReferencePositions.Length * layers + 16)
            layerSteps.Add(((int)rng.Below(positions), 1 + (int)rng.Below((ulong)layers)));
        foreach (var (t, slot) in layerSteps)
        {
            string file = output.Layer(ReferenceName, openings, run, t, slot);
            if (slot == 1 && t is 0 or 1 or 64 or 256 or 511) output.Label($"layerT{t}", file);
            if (t == 511 && slot == layers) output.Label($"layerT511Last", file);
        }

        foreach (int t in new[] { 0, 1, 2, 64, 256, 511 })
        {
            string file = output.Embedding(ReferenceName, openings, t, run.Tokens[t], run.Hidden(t, 0));
            if (t == 0) output.Label("embedding", file);
        }
        foreach (int token in new[] { 0, 1, 2, 511 }) output.Embedding(ReferenceName, openings, (int)rng.Below(positions), token, null);

        int cycle = 0;
        foreach (int t in new[] { 0, 1, 64, 256, 511 })
        {
            for (int k = 0; k < 4; k++, cycle++)
            {
                SamplingParams sampling = Sampling(cycle, ref rng);
                string file = output.Head(ReferenceName, openings, run, t, sampling);
                if (t != 511) continue;
                if (sampling.TemperatureMilli == 0) output.Label("headGreedy", file);
                else if (sampling.TopPMilli < 1000) output.Label("headTopP", file);
                else output.Label("headSampled", file);
            }
        }
    }

    private static void WriteSynthetic(VectorSet output, SyntheticShape shape, ref SplitMix64 rng)
    {
        ulong modelSeed = rng.Next();
        IntegerModel model = BuildSynthetic(shape, modelSeed);
        var openings = new ModelOpenings(model);
        ModelConfig c = model.Config;
        int positions = c.SeqLen;
        var tokens = new int[positions];
        tokens[0] = Tokenization.Tokenizer.Bos;
        for (int t = 1; t < positions; t++) tokens[t] = (int)rng.Below((ulong)c.VocabSize);
        if (shape.Scale is not null) tokens[positions / 2] = ZeroToken;
        using Trajectory run = Trajectory.Run(model, tokens, positions, SamplingParams.Greedy);
        string name = "synthetic-" + shape.Name;
        output.Model(name, shape.Name, modelSeed, model.WeightsRoot, run.Tokens);
        for (int t = 0; t < positions; t++)
        {
            for (int slot = 1; slot <= c.Layers; slot++) output.Layer(name, openings, run, t, slot);
            output.Embedding(name, openings, t, run.Tokens[t], run.Hidden(t, 0));
            output.Head(name, openings, run, t, Sampling(t, ref rng));
        }
    }

    private static SamplingParams Sampling(int index, ref SplitMix64 rng)
    {
        var (temperature, topP) = SamplingCycle[index % SamplingCycle.Length];
        return new SamplingParams(temperature, topP, SamplingParams.SeedFrom(rng.Next()));
    }

    /// <summary>
    /// The top-p threshold τ of SPEC.md §10 for these logits: the largest weight v with
    /// 1000 · Σ_{e ≥ v} e ≥ P · mass; 0 when sampling is greedy or P = 1000.
    /// </summary>
    public static long Threshold(ReadOnlySpan<int> logits, SamplingParams sampling, ModelConstants constants)
    {
        ArgumentNullException.ThrowIfNull(constants);
        if (sampling.TemperatureMilli == 0 || sampling.TopPMilli == 1000) return 0;
        long[] weights = Weights(logits, sampling, constants);
        long mass = weights.Sum();
        long[] sorted = [.. weights.OrderDescending()];
        long cumulative = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            cumulative += sorted[i];
            if (i + 1 < sorted.Length && sorted[i + 1] == sorted[i]) continue;
            if (1000 * cumulative >= sampling.TopPMilli * mass) return sorted[i];
        }
        throw new InvalidOperationException("no threshold: the weights are empty");
    }

    /// <summary>e_i = exp_q30(rshr(max(logit_i − max, −2^26) · floor(1000 · 2^16 / T), 16)) (SPEC.md §10).</summary>
    public static long[] Weights(ReadOnlySpan<int> logits, SamplingParams sampling, ModelConstants constants)
    {
        ArgumentNullException.ThrowIfNull(constants);
        int max = logits[Sampler.Argmax(logits)];
        long inverseTemperature = (1000L << 16) / sampling.TemperatureMilli;
        var weights = new long[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            long d = Math.Max((long)logits[i] - max, -(1L << 26));
            weights[i] = FixedPoint.ExpQ30(FixedPoint.Rshr(d * inverseTemperature, 16), constants.Exp2High, constants.Exp2Low);
        }
        return weights;
    }

    /// <summary>Packs a vector as big-endian int32, the form every activation takes on-chain.</summary>
    public static byte[] Pack(ReadOnlySpan<int> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private static void DeletePrevious(string directory)
    {
        string index = Path.Combine(directory, IndexFileName);
        if (!File.Exists(index)) return;
        using (JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(index)))
        {
            if (document.RootElement.TryGetProperty("files", out JsonElement files))
                foreach (JsonElement file in files.EnumerateArray())
                {
                    string? name = file.GetString();
                    // Only plain file names a previous run wrote; never a path that leaves the folder.
                    if (name is not null && name == Path.GetFileName(name) && name.EndsWith(".json", StringComparison.Ordinal))
                        File.Delete(Path.Combine(directory, name));
                }
        }
        File.Delete(index);
    }

    /// <summary>SplitMix64: tiny, seedable, identical everywhere.</summary>
    internal struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong Below(ulong bound) => Next() % bound;
    }
}
