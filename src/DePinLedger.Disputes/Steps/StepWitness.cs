using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Model;
using Prover = DePinLedger.Chain.Contracts.Prover;

namespace DePinLedger.Disputes.Steps;

/// <summary>
/// The verifier inputs of one step (SPEC.md §9, IStepVerifier), taken from a trace that holds the agreed inputs
/// (everything before the divergent leaf) and the model's openings against its weights root, together with the leaf
/// the engine recomputes from exactly those inputs.
/// </summary>
public static class StepWitness
{
    public static (Prover.LayerStep Step, Hash32 Leaf) Layer(EngineTrace agreed, ModelOpenings model, TracePoint at)
    {
        ArgumentNullException.ThrowIfNull(agreed);
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig c = agreed.Model.Config;
        int layer = at.Slot - 1, t = at.Position;
        var kv = new int[2 * t * c.KvDim];
        for (int s = 0; s < t; s++)
        {
            agreed.Key(layer, s).CopyTo(kv.AsSpan(2 * s * c.KvDim));
            agreed.Value(layer, s).CopyTo(kv.AsSpan((2 * s + 1) * c.KvDim));
        }
        ReadOnlySpan<int> hidden = agreed.Hidden(at with { Slot = at.Slot - 1 });
        Hash32 kvRootPrev = t == 0 ? Hash32.Zero : agreed.Fields(new TracePoint(t - 1, at.Slot)).B;
        Hash32 leaf = StepReplay.Layer(agreed.Model, t, at.Slot, hidden, kv, kvRootPrev);
        var step = new Prover.LayerStep
        {
            Position = (uint)t,
            Slot = (ushort)at.Slot,
            Config = model.ConfigBytes,
            ConfigProof = Words(model.ConfigProof),
            Layer = model.LayerBytes(layer),
            LayerProof = Words(model.LayerProof(layer)),
            RopeRoot = model.RopeRoot.ToArray(),
            RopeRootProof = Words(model.RopeRootProof),
            RotaryRow = model.RotaryRow(t),
            RotaryProof = Words(model.RotaryProof(t)),
            Hidden = StepVectors.Pack(hidden),
            Kv = StepVectors.Pack(kv),
            KvRootPrev = kvRootPrev.ToArray(),
        };
        return (step, leaf);
    }

    public static (Prover.EmbeddingStep Step, Hash32 Leaf) Embedding(EngineTrace agreed, ModelOpenings model, TracePoint at)
    {
        ArgumentNullException.ThrowIfNull(agreed);
        ArgumentNullException.ThrowIfNull(model);
        int layers = agreed.Model.Config.Layers;
        // The token to embed is the agreed head token of t − 1, or the prompt's first token at t = 0.
        int token = at.Position == 0 ? agreed.Prompt[0] : TokenOf(agreed.Fields(new TracePoint(at.Position - 1, layers + 1)).B);
        var step = new Prover.EmbeddingStep
        {
            Position = (uint)at.Position,
            Token = (uint)token,
            Row = model.EmbeddingRow(token),
            RowProof = Words(model.EmbeddingRowProof(token)),
            EmbeddingRoot = model.EmbeddingRoot.ToArray(),
            EmbeddingRootProof = Words(model.EmbeddingRootProof),
        };
        return (step, StepReplay.Embedding(agreed.Model, at.Position, token));
    }

    public static (Prover.HeadStep Step, Hash32 Leaf) Head(EngineTrace agreed, ModelOpenings model, TracePoint at)
    {
        ArgumentNullException.ThrowIfNull(agreed);
        ArgumentNullException.ThrowIfNull(model);
        ReadOnlySpan<int> hidden = agreed.Hidden(at with { Slot = at.Slot - 1 });
        HeadResult head = StepReplay.Head(agreed.Model, at.Position, agreed.Prompt, hidden, agreed.Sampling);
        var step = new Prover.HeadStep
        {
            Position = (uint)at.Position,
            Config = model.ConfigBytes,
            ConfigProof = Words(model.ConfigProof),
            FinalBlob = model.FinalBytes,
            FinalProof = Words(model.FinalProof),
            Hidden = StepVectors.Pack(hidden),
            Classifier = model.Classifier,
            Temperature = (ushort)agreed.Sampling.TemperatureMilli,
            TopP = (ushort)agreed.Sampling.TopPMilli,
            Seed = agreed.Sampling.Seed.ToArray(),
            Threshold = head.Threshold,
        };
        return (step, head.Leaf);
    }

    /// <summary>A token field (uint256, big-endian) as a token id.</summary>
    public static int TokenOf(Hash32 field)
    {
        ReadOnlySpan<byte> bytes = field.AsSpan();
        if (bytes[..28].IndexOfAnyExcept((byte)0) >= 0) throw new StepInputException($"{field} is not a token id");
        return (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[28..]);
    }

    public static List<byte[]> Words(IEnumerable<Hash32> proof) => proof.Select(h => h.ToArray()).ToList();
}
