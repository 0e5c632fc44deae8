using DePinLedger.Data.Models;

namespace DePinLedger.Scheduler.Planning;

/// <summary>
/// The numbers of a model the memory and latency models need (taken as inputs, not from the engine). Every layer is the
/// same size; the first stage also holds the token embedding and the last the classifier.
/// </summary>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Dim">Hidden size.</param>
/// <param name="Heads">Attention (query) heads.</param>
/// <param name="KvHeads">Key/value heads (grouped-query attention).</param>
/// <param name="HiddenDim">Feed-forward size.</param>
/// <param name="Vocab">Vocabulary size.</param>
/// <param name="WeightBytesPerLayer">Bytes of one block's weights as the workers hold them.</param>
/// <param name="EmbeddingBytes">Bytes of the token embedding (first stage only).</param>
/// <param name="ClassifierBytes">Bytes of the final norm and classifier (last stage only).</param>
/// <param name="KvBytesPerElement">Bytes of one cached key or value element (the engine keeps Q16 int32).</param>
/// <param name="ActivationBytesPerElement">Bytes of one activation element (Q16 int32).</param>
public sealed record ModelShape(
    int Layers, int Dim, int Heads, int KvHeads, int HiddenDim, int Vocab,
    long WeightBytesPerLayer, long EmbeddingBytes, long ClassifierBytes,
    int KvBytesPerElement = 4, int ActivationBytesPerElement = 4)
{
    public int HeadDim => Dim / Heads;

    /// <summary>Multiply-adds per block per position ≈ weights in the block (int8: one byte per weight), two operations each.</summary>
    public double OperationsPerLayer => 2.0 * WeightBytesPerLayer;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that makes no sense.</summary>
    public ModelShape Validated()
    {
        if (Layers is < 1 or > ushort.MaxValue) throw new ArgumentException($"layers must be 1..65535, got {Layers}", nameof(Layers));
        if (Dim < 1) throw new ArgumentException($"dim must be positive, got {Dim}", nameof(Dim));
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"heads must divide dim ({Dim}), got {Heads}", nameof(Heads));
        if (KvHeads < 1 || Heads % KvHeads != 0) throw new ArgumentException($"kv heads must divide heads ({Heads}), got {KvHeads}", nameof(KvHeads));
        if (HiddenDim < 1) throw new ArgumentException($"hidden dim must be positive, got {HiddenDim}", nameof(HiddenDim));
        if (Vocab < 1) throw new ArgumentException($"vocab must be positive, got {Vocab}", nameof(Vocab));
        if (WeightBytesPerLayer < 1) throw new ArgumentException($"weight bytes per layer must be positive, got {WeightBytesPerLayer}", nameof(WeightBytesPerLayer));
        if (EmbeddingBytes < 0 || ClassifierBytes < 0) throw new ArgumentException("embedding and classifier bytes must not be negative", nameof(EmbeddingBytes));
        if (KvBytesPerElement is < 1 or > 8 || ActivationBytesPerElement is < 1 or > 8)
            throw new ArgumentException("element sizes must be 1..8 bytes", nameof(KvBytesPerElement));
        return this;
    }

    /// <summary>
    /// The shape of an int8 model: each weight matrix row holds one byte per weight plus a 4-byte fixed-point row
    /// multiplier; norms are Q16 int32 (4 bytes per element).
    /// </summary>
    public static ModelShape Int8(int layers, int dim, int heads, int kvHeads, int hiddenDim, int vocab, bool sharedClassifier = true)
    {
        long kvDim = (long)dim / heads * kvHeads;
        // wq, wo: dim×dim; wk, wv: kvDim×dim; w1, w3: hidden×dim; w2: dim×hidden. Rows = output size.
        long weights = 2L * dim * dim + 2 * kvDim * dim + 3L * hiddenDim * dim;
        long rows = 2L * dim + 2 * kvDim + 2L * hiddenDim + dim;
        long perLayer = weights + 4 * rows + 2L * 4 * dim;
        long embedding = (long)vocab * dim + 4L * vocab;
        // The classifier is the embedding when shared (the last stage then holds a copy of it) plus the final norm.
        long classifier = (sharedClassifier ? embedding : (long)vocab * dim + 4L * vocab) + 4L * dim;
        return new ModelShape(layers, dim, heads, kvHeads, hiddenDim, vocab, perLayer, embedding, classifier).Validated();
    }

    /// <summary>The shape of a registered model (its registry entry has every dimension; weights assumed int8).</summary>
    public static ModelShape From(ModelRecord model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Dim > int.MaxValue || model.HiddenDim > int.MaxValue || model.VocabSize > int.MaxValue)
            throw new ArgumentException($"model {model.ModelId} has dimensions beyond int range", nameof(model));
        return Int8(model.LayerCount, (int)model.Dim, model.HeadCount, model.KvHeadCount, (int)model.HiddenDim, (int)model.VocabSize);
    }
}

/// <summary>What one job asks of each stage's memory: the context it may reach and how many sequences run together.</summary>
public readonly record struct JobShape(int Context, int Batch)
{
    public JobShape Validated() =>
        Context < 1 ? throw new ArgumentException($"context must be positive, got {Context}", nameof(Context))
        : Batch < 1 ? throw new ArgumentException($"batch must be positive, got {Batch}", nameof(Batch))
        : this;
}
