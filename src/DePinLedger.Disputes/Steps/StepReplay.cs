using System.Buffers.Binary;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Disputes.Steps;

/// <summary>The inputs of a step do not fit together (they cannot come from agreed leaves).</summary>
public sealed class StepInputException(string message) : Exception(message);

/// <summary>What a head step sampled, and the top-p hint the verifier checks.</summary>
public readonly record struct HeadResult(int Token, Hash32 Leaf, long Threshold);

/// <summary>
/// Re-executes one step with the C# engine from its agreed inputs alone (the input hidden vector, the block's
/// earlier keys and values, the embedded token, the sampling parameters), which is what the on-chain verifier
/// recomputes: used by the dispute client to learn which side is wrong and by the auditor to check the verdict.
/// </summary>
public static class StepReplay
{
    /// <summary>
    /// Block slot−1 at position t: the leaf (t, slot), from the input hidden vector, <c>kv</c> = K[s] ‖ V[s] for
    /// s = 0..t−1 (kvDim entries each, the verifier's <c>kv</c>) and the agreed running root at t−1 (zero at t = 0),
    /// to which the entries must chain.
    /// </summary>
    public static Hash32 Layer(IntegerModel model, int position, int slot, ReadOnlySpan<int> hiddenIn, ReadOnlySpan<int> kv, Hash32 kvRootPrev)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig c = model.Config;
        if (slot < 1 || slot > c.Layers) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is not a block slot (1..{c.Layers})");
        if (position < 0 || position >= c.SeqLen) throw new ArgumentOutOfRangeException(nameof(position), $"position {position} outside the context of {c.SeqLen}");
        if (hiddenIn.Length != c.Dim) throw new StepInputException($"the input hidden vector has {hiddenIn.Length} entries; the model's dim is {c.Dim}");
        if (kv.Length != 2 * position * c.KvDim) throw new StepInputException($"the keys and values hold {kv.Length} entries; position {position} needs {2 * position * c.KvDim}");
        var keys = new int[position * c.KvDim];
        var values = new int[position * c.KvDim];
        for (int s = 0; s < position; s++)
        {
            kv.Slice(2 * s * c.KvDim, c.KvDim).CopyTo(keys.AsSpan(s * c.KvDim));
            kv.Slice((2 * s + 1) * c.KvDim, c.KvDim).CopyTo(values.AsSpan(s * c.KvDim));
        }
        using var span = new LayerSpan(model, slot - 1, 1, position + 1, new EngineOptions { Threads = 1 });
        var root = new Hash32(span.Restore(keys, values));
        if (root != kvRootPrev) throw new StepInputException($"the keys and values chain to {root}, not to the agreed kvRootPrev {kvRootPrev}");
        int[] x = hiddenIn.ToArray();
        var leaf = new LeafCapture();
        span.Forward(x, 1, leaf);
        return leaf.Leaf;
    }

    /// <summary>The embedding of <paramref name="token"/> at position t: the leaf (t, 0).</summary>
    public static Hash32 Embedding(IntegerModel model, int position, int token)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((uint)token >= (uint)model.Config.VocabSize) throw new StepInputException($"token {token} is outside the vocabulary of {model.Config.VocabSize}");
        var x = new int[model.Config.Dim];
        var leaf = new LeafCapture();
        EmbeddingStep.Embed(model, token, position, x, leaf, new byte[4 * model.Config.Dim]);
        return leaf.Leaf;
    }

    /// <summary>
    /// The head at position t: at a prompt position (t &lt; P−1) the prompt's token t+1, otherwise the token sampled
    /// from the last block's output with the job's sampling.
    /// </summary>
    public static HeadResult Head(IntegerModel model, int position, IReadOnlyList<int> prompt, ReadOnlySpan<int> hiddenIn, SamplingParams sampling)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        int slot = TraceLeaves.HeadSlot(model.Config.Layers);
        if (position + 1 < prompt.Count) return new HeadResult(prompt[position + 1], TraceLeaves.HeadLeaf(position, slot, prompt[position + 1]), 0);
        if (hiddenIn.Length != model.Config.Dim) throw new StepInputException($"the input hidden vector has {hiddenIn.Length} entries; the model's dim is {model.Config.Dim}");
        using var head = new HeadStep(model, new EngineOptions { Threads = 1 });
        int token = head.Next(hiddenIn, sampling, position, null);
        long threshold = StepVectors.Threshold(head.Logits, sampling, model.Constants);
        return new HeadResult(token, TraceLeaves.HeadLeaf(position, slot, token), threshold);
    }

    /// <summary>Big-endian int32 entries (how activations travel on-chain) back to integers.</summary>
    public static int[] Unpack(ReadOnlySpan<byte> packed)
    {
        if (packed.Length % 4 != 0) throw new StepInputException($"{packed.Length} bytes are not whole int32 entries");
        var values = new int[packed.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(packed[(4 * i)..]);
        return values;
    }

    /// <summary>Keeps the leaf of the one step it is handed.</summary>
    private sealed class LeafCapture : ITraceSink
    {
        public Hash32 Leaf { get; private set; }

        public void Record(in TraceStep step) => Leaf = new Hash32(step.Leaf[..32]);
    }
}
