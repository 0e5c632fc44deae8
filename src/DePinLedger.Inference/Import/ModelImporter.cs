using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Import;

/// <summary>
/// Quantizes a float checkpoint into the integer model, once (SPEC.md §3, §8). This and the float
/// reference are the only code that touches floating point; everything it produces is committed.
/// </summary>
public static class ModelImporter
{
    /// <summary>Weights larger than this in magnitude are rejected as corrupt (no trained model comes close).</summary>
    public const float MaxAbsWeight = 65536f;

    public const double RmsEpsilon = 1e-5, RopeTheta = 10000.0;

    public static IntegerModel ImportFiles(string checkpointPath, string tokenizerPath)
    {
        LlamaCheckpoint checkpoint = LlamaCheckpoint.Read(checkpointPath);
        Tokenizer tokenizer = TokenizerFile.Read(tokenizerPath, checkpoint.Config.VocabSize);
        return Import(checkpoint, tokenizer);
    }

    public static IntegerModel Import(LlamaCheckpoint checkpoint, Tokenizer tokenizer)
    {
        LlamaConfig f = checkpoint.Config;
        var config = new ModelConfig(f.Dim, f.HiddenDim, f.Layers, f.Heads, f.KvHeads, f.VocabSize, f.SeqLen, f.SharedClassifier);
        config.Validate();
        int dim = config.Dim, kvDim = config.KvDim, hidden = config.HiddenDim;

        QuantizedMatrix embedding = Quantize(checkpoint.TokenEmbedding, 0, config.VocabSize, dim, "token_embedding");
        QuantizedMatrix classifier = config.SharedClassifier ? embedding : Quantize(checkpoint.Classifier, 0, config.VocabSize, dim, "classifier");
        var layers = new LayerWeights[config.Layers];
        Parallel.For(0, config.Layers, l => layers[l] = new LayerWeights(
            Gains(checkpoint.RmsAtt, l * dim, dim, "rms_att"),
            Quantize(checkpoint.Wq, (long)l * dim * dim, dim, dim, "wq"),
            Quantize(checkpoint.Wk, (long)l * kvDim * dim, kvDim, dim, "wk"),
            Quantize(checkpoint.Wv, (long)l * kvDim * dim, kvDim, dim, "wv"),
            Quantize(checkpoint.Wo, (long)l * dim * dim, dim, dim, "wo"),
            Gains(checkpoint.RmsFfn, l * dim, dim, "rms_ffn"),
            Quantize(checkpoint.W1, (long)l * hidden * dim, hidden, dim, "w1"),
            Quantize(checkpoint.W2, (long)l * dim * hidden, dim, hidden, "w2"),
            Quantize(checkpoint.W3, (long)l * hidden * dim, hidden, dim, "w3")));
        int[] rmsFinal = Gains(checkpoint.RmsFinal, 0, dim, "rms_final");
        return new IntegerModel(config, Constants(config), tokenizer, embedding, layers, rmsFinal, classifier);
    }

    /// <summary>
    /// Per-row symmetric int8: q = round(w · 127 / max|row|) (half away from zero), multiplier
    /// M = round(max|row| / (127 · 32767) · 2^48).
    /// </summary>
    public static QuantizedMatrix Quantize(float[] source, long offset, int rows, int cols, string name)
    {
        var weights = new sbyte[(long)rows * cols];
        var multipliers = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = source.AsSpan((int)(offset + (long)r * cols), cols);
            float maxAbs = 0;
            foreach (float v in row)
            {
                if (!float.IsFinite(v)) throw new InvalidDataException($"{name}: row {r} holds {v}");
                maxAbs = Math.Max(maxAbs, Math.Abs(v));
            }
            if (maxAbs > MaxAbsWeight) throw new InvalidDataException($"{name}: row {r} has a weight of magnitude {maxAbs}, above {MaxAbsWeight}");
            if (maxAbs == 0) continue;
            double toLevels = FixedPoint.WeightLevels / (double)maxAbs;
            Span<sbyte> target = weights.AsSpan(r * cols, cols);
            for (int c = 0; c < cols; c++)
                target[c] = (sbyte)Math.Clamp(Math.Round(row[c] * toLevels, MidpointRounding.AwayFromZero), -FixedPoint.WeightLevels, FixedPoint.WeightLevels);
            multipliers[r] = (long)Math.Round(maxAbs / ((double)FixedPoint.WeightLevels * FixedPoint.ActivationLevels) * Math.Pow(2, FixedPoint.MultiplierShift), MidpointRounding.AwayFromZero);
        }
        return new QuantizedMatrix(rows, cols, weights, multipliers);
    }

    /// <summary>Norm gains in Q16.</summary>
    public static int[] Gains(float[] source, int offset, int count, string name)
    {
        var gains = new int[count];
        for (int i = 0; i < count; i++)
        {
            float g = source[offset + i];
            if (!float.IsFinite(g) || Math.Abs(g) > 32767) throw new InvalidDataException($"{name}: gain {i} is {g}");
            gains[i] = (int)Math.Round(g * 65536.0, MidpointRounding.AwayFromZero);
        }
        return gains;
    }

    /// <summary>The committed integer tables and constants for <paramref name="config"/>.</summary>
    public static ModelConstants Constants(ModelConfig config)
    {
        const double q30 = 1 << 30;
        var high = new int[ModelConstants.ExpTableSize];
        var low = new int[ModelConstants.ExpTableSize];
        for (int i = 0; i < ModelConstants.ExpTableSize; i++)
        {
            high[i] = (int)Math.Round(Math.Pow(2, -i / 256.0) * q30, MidpointRounding.AwayFromZero);
            low[i] = (int)Math.Round(Math.Pow(2, -i / 65536.0) * q30, MidpointRounding.AwayFromZero);
        }
        int hs = config.HeadSize, half = hs / 2;
        var cos = new int[config.SeqLen * half];
        var sin = new int[config.SeqLen * half];
        for (int pos = 0; pos < config.SeqLen; pos++)
        {
            for (int i = 0; i < half; i++)
            {
                double frequency = 1.0 / Math.Pow(RopeTheta, 2.0 * i / hs);
                double angle = pos * frequency;
                cos[pos * half + i] = (int)Math.Round(Math.Cos(angle) * q30, MidpointRounding.AwayFromZero);
                sin[pos * half + i] = (int)Math.Round(Math.Sin(angle) * q30, MidpointRounding.AwayFromZero);
            }
        }
        long epsilon = (long)Math.Round(RmsEpsilon * Math.Pow(2, 32), MidpointRounding.AwayFromZero);
        int invSqrtHeadSize = (int)Math.Round(65536.0 / Math.Sqrt(hs), MidpointRounding.AwayFromZero);
        return new ModelConstants(epsilon, invSqrtHeadSize, high, low, cos, sin);
    }
}
