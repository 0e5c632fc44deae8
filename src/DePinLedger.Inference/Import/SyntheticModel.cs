using System.Text;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Import;

/// <summary>
/// A seeded random model of any Llama shape, for benchmarks and tests at sizes no shipped model has
/// (e.g. the ~110M-parameter shape: dim 768, 12 layers, hidden 2048, vocab 32000). Weights are
/// uniform in ±sqrt(3)/sqrt(fan_in) (unit variance per output), norm gains 1; the tokenizer has the
/// three special tokens, the 256 byte-fallback pieces, printable ASCII, and filler pieces after them.
/// </summary>
public static class SyntheticModel
{
    public static (LlamaCheckpoint Checkpoint, Tokenizer Tokenizer) Create(LlamaConfig config, ulong seed)
    {
        string? problem = config.FindProblem();
        if (problem is not null) throw new ArgumentException(problem, nameof(config));
        if (config.VocabSize < 3 + 256) throw new ArgumentException("a synthetic vocabulary needs at least 259 tokens (specials and bytes)", nameof(config));
        var rng = new SplitMix64(seed);
        int d = config.Dim, kv = config.KvDim, h = config.HiddenDim, l = config.Layers, v = config.VocabSize;
        float[] embedding = Uniform(ref rng, (long)v * d, 1.0f);
        float[] classifier = config.SharedClassifier ? embedding : Uniform(ref rng, (long)v * d, Scale(d));
        var checkpoint = new LlamaCheckpoint(
            config,
            embedding,
            Ones(l * d),
            Uniform(ref rng, (long)l * d * d, Scale(d)),
            Uniform(ref rng, (long)l * kv * d, Scale(d)),
            Uniform(ref rng, (long)l * kv * d, Scale(d)),
            Uniform(ref rng, (long)l * d * d, Scale(d)),
            Ones(l * d),
            Uniform(ref rng, (long)l * h * d, Scale(d)),
            Uniform(ref rng, (long)l * d * h, Scale(h)),
            Uniform(ref rng, (long)l * h * d, Scale(d)),
            Ones(d),
            classifier);
        return (checkpoint, Vocabulary(v));
    }

    private static Tokenizer Vocabulary(int size)
    {
        var pieces = new byte[size][];
        var scores = new int[size];
        pieces[0] = "<unk>"u8.ToArray();
        pieces[1] = "\n<s>\n"u8.ToArray();
        pieces[2] = "\n</s>\n"u8.ToArray();
        for (int b = 0; b < 256; b++) pieces[3 + b] = Encoding.ASCII.GetBytes($"<0x{b:X2}>");
        // Then the printable ASCII characters (with " " as the dummy prefix llama2.c needs), then filler pieces.
        int next = 3 + 256;
        for (char ch = ' '; ch <= '~' && next < size; ch++, next++) pieces[next] = [(byte)ch];
        for (int i = next; i < size; i++)
        {
            pieces[i] = Encoding.ASCII.GetBytes($" t{i}");
            scores[i] = -i;
        }
        return new Tokenizer(pieces, scores);
    }

    private static float Scale(int fanIn) => MathF.Sqrt(3f / fanIn);

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();

    private static float[] Uniform(ref SplitMix64 rng, long n, float scale)
    {
        var values = new float[n];
        for (long i = 0; i < n; i++) values[i] = (float)((rng.Next() >> 11) * (2.0 / (1UL << 53)) - 1.0) * scale;
        return values;
    }

    /// <summary>SplitMix64: tiny, seedable, identical everywhere.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
