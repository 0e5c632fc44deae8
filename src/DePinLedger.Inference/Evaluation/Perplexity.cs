using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Evaluation;

/// <summary>
/// Perplexity of the integer engine. The forward pass is integer-only; this measurement converts
/// its Q16 logits to log-probabilities in double, which is evaluation, not inference.
/// </summary>
public static class Perplexity
{
    /// <summary>exp(mean −log p(next token)) over every predicted position of every sequence (each starting with BOS).</summary>
    public static (double Perplexity, int Predicted) Measure(IntegerModel model, IReadOnlyList<IReadOnlyList<int>> sequences, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int longest = sequences.Count == 0 ? 0 : sequences.Max(s => s.Count);
        if (longest < 2) throw new ArgumentException("perplexity needs at least one sequence of two or more tokens", nameof(sequences));
        if (longest > model.Config.SeqLen) throw new ArgumentException($"a sequence of {longest} tokens exceeds the context length {model.Config.SeqLen}", nameof(sequences));
        int dim = model.Config.Dim;
        using var span = new LayerSpan(model, 0, model.Config.Layers, longest, options);
        using var head = new HeadStep(model, options);
        var hidden = new int[longest * dim];
        double nll = 0;
        int predicted = 0;
        foreach (IReadOnlyList<int> sequence in sequences)
        {
            if (sequence.Count < 2) continue;
            span.Reset();
            int n = sequence.Count - 1;
            for (int t = 0; t < n; t++) EmbeddingStep.Embed(model, sequence[t], hidden.AsSpan(t * dim, dim));
            span.Forward(hidden, n);
            for (int t = 0; t < n; t++)
            {
                ReadOnlySpan<int> logits = head.ComputeLogits(hidden.AsSpan(t * dim, dim));
                nll -= LogSoftmax(logits, sequence[t + 1]);
                predicted++;
            }
        }
        return (Math.Exp(nll / predicted), predicted);
    }

    private static double LogSoftmax(ReadOnlySpan<int> logitsQ16, int target)
    {
        const double scale = 1.0 / 65536;
        int max = logitsQ16[Sampler.Argmax(logitsQ16)];
        double sum = 0;
        foreach (int l in logitsQ16) sum += Math.Exp((l - max) * scale);
        return (logitsQ16[target] - max) * scale - Math.Log(sum);
    }
}
