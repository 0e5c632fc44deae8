namespace DePinLedger.Inference.Model;

/// <summary>Dimensions of a Llama-architecture model, as committed in the model file.</summary>
public sealed record ModelConfig(
    int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SeqLen, bool SharedClassifier)
{
    /// <summary>Upper bounds that keep every intermediate of SPEC.md inside its integer width.</summary>
    public const int MaxDim = 16384, MaxHiddenDim = 65536, MaxLayers = 1024, MaxVocab = 1 << 20, MaxSeqLen = 32768, MaxHeadSize = 2048;

    public int HeadSize => Dim / Heads;

    public int KvDim => Dim * KvHeads / Heads;

    /// <summary>Query heads that share one key/value head (grouped-query attention).</summary>
    public int KvGroup => Heads / KvHeads;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first dimension that is out of range.</summary>
    public void Validate()
    {
        Check(Dim is > 0 and <= MaxDim, $"dim {Dim} outside 1..{MaxDim}");
        Check(HiddenDim is > 0 and <= MaxHiddenDim, $"hidden dim {HiddenDim} outside 1..{MaxHiddenDim}");
        Check(Layers is > 0 and <= MaxLayers, $"layer count {Layers} outside 1..{MaxLayers}");
        Check(Heads > 0 && Dim % Heads == 0, $"dim {Dim} is not a multiple of the head count {Heads}");
        Check(KvHeads > 0 && Heads % KvHeads == 0, $"head count {Heads} is not a multiple of the key/value head count {KvHeads}");
        Check(HeadSize % 2 == 0, $"head size {HeadSize} is odd (rotary embedding rotates pairs)");
        Check(HeadSize <= MaxHeadSize, $"head size {HeadSize} is above {MaxHeadSize} (the attention dot product must fit 64 bits)");
        Check(VocabSize is > 2 and <= MaxVocab, $"vocabulary size {VocabSize} outside 3..{MaxVocab}");
        Check(SeqLen is > 0 and <= MaxSeqLen, $"context length {SeqLen} outside 1..{MaxSeqLen}");
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition) throw new InvalidDataException($"invalid model dimensions: {problem}");
    }

    /// <summary>Number of parameters (weights and norm gains).</summary>
    public long ParameterCount =>
        (long)VocabSize * Dim * (SharedClassifier ? 1 : 2)
        + (long)Layers * (2L * Dim + 2L * Dim * Dim + 2L * KvDim * Dim + 3L * HiddenDim * Dim)
        + Dim;
}
