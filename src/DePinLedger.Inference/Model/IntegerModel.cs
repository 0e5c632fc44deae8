using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Model;

/// <summary>
/// A quantized model in the project's own format (SPEC.md §8): everything the integer forward pass
/// needs, nothing floating point. Its identity is the keccak-256 of its canonical serialization.
/// </summary>
public sealed class IntegerModel
{
    private readonly Lazy<ModelCommitment> _commitment;
    private readonly Lazy<Hash32> _classifierRoot;

    // The canonical bytes: kept from the file a model was read from, else serialized on first use
    // (a benign race: two threads would compute identical bytes).
    private byte[]? _canonical;

    public IntegerModel(
        ModelConfig config,
        ModelConstants constants,
        Tokenizer tokenizer,
        QuantizedMatrix embedding,
        IReadOnlyList<LayerWeights> layers,
        int[] rmsFinal,
        QuantizedMatrix classifier)
    {
        config.Validate();
        if (constants.RopeCos.Length != config.SeqLen * config.HeadSize / 2)
            throw new InvalidDataException($"rotary tables have {constants.RopeCos.Length} entries, expected {config.SeqLen * config.HeadSize / 2}");
        if (tokenizer.VocabSize != config.VocabSize)
            throw new InvalidDataException($"tokenizer has {tokenizer.VocabSize} tokens, the model {config.VocabSize}");
        if (embedding.Rows != config.VocabSize || embedding.Cols != config.Dim)
            throw new InvalidDataException($"embedding is {embedding.Rows}x{embedding.Cols}, expected {config.VocabSize}x{config.Dim}");
        if (classifier.Rows != config.VocabSize || classifier.Cols != config.Dim)
            throw new InvalidDataException($"classifier is {classifier.Rows}x{classifier.Cols}, expected {config.VocabSize}x{config.Dim}");
        if (config.SharedClassifier != ReferenceEquals(embedding, classifier))
            throw new InvalidDataException("the classifier must be the embedding exactly when the model says it is shared");
        if (layers.Count != config.Layers) throw new InvalidDataException($"{layers.Count} layers given, the model has {config.Layers}");
        for (int l = 0; l < layers.Count; l++) layers[l].Validate(config, l);
        if (rmsFinal.Length != config.Dim) throw new InvalidDataException("wrong size of rms_final");

        Config = config;
        Constants = constants;
        Tokenizer = tokenizer;
        Embedding = embedding;
        Layers = layers;
        RmsFinal = rmsFinal;
        Classifier = classifier;
        _commitment = new Lazy<ModelCommitment>(() => ModelCommitment.Compute(this));
        _classifierRoot = new Lazy<Hash32>(() => ModelCommitment.RowsRoot(Classifier));
    }

    public ModelConfig Config { get; }

    public ModelConstants Constants { get; }

    public Tokenizer Tokenizer { get; }

    /// <summary>[vocab, dim] token embedding; also the classifier when shared.</summary>
    public QuantizedMatrix Embedding { get; }

    public IReadOnlyList<LayerWeights> Layers { get; }

    /// <summary>[dim] final RMSNorm gain, Q16.</summary>
    public int[] RmsFinal { get; }

    /// <summary>[vocab, dim].</summary>
    public QuantizedMatrix Classifier { get; }

    /// <summary>The canonical serialization (the model file's bytes).</summary>
    public ReadOnlySpan<byte> Serialized => _canonical ??= ModelFile.Serialize(this);

    /// <summary>keccak-256 of the canonical serialization.</summary>
    public Hash32 ModelId => _commitment.Value.ModelId;

    /// <summary>Merkle root over the per-part weight commitments (SPEC.md §8).</summary>
    public Hash32 WeightsRoot => _commitment.Value.WeightsRoot;

    public ModelCommitment Commitment => _commitment.Value;

    /// <summary>Merkle root over the classifier rows; part of the serialization, so kept apart from the commitment.</summary>
    internal Hash32 ClassifierRoot => _classifierRoot.Value;

    internal IntegerModel WithCanonicalBytes(byte[] bytes)
    {
        _canonical = bytes;
        return this;
    }
}
