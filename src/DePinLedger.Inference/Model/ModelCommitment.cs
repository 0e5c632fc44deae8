using DePinLedger.Inference.Commitments;

namespace DePinLedger.Inference.Model;

/// <summary>
/// The commitments of a model (SPEC.md §8). The weights tree has, in order: keccak(config blob),
/// the rotary-rows root, the embedding-rows root, keccak(layer blob) for each layer, keccak(final
/// blob). One layer's weights are thus proven on-chain by one Merkle proof of depth ⌈log2(L+4)⌉.
/// </summary>
public sealed record ModelCommitment(
    Hash32 ModelId,
    Hash32 WeightsRoot,
    Hash32 ConfigHash,
    Hash32 RopeRoot,
    Hash32 EmbeddingRoot,
    IReadOnlyList<Hash32> LayerHashes,
    Hash32 ClassifierRoot,
    Hash32 FinalHash)
{
    /// <summary>Index of a layer's leaf in the weights tree.</summary>
    public static int LayerLeafIndex(int layer) => 3 + layer;

    public const int ConfigLeafIndex = 0, RopeLeafIndex = 1, EmbeddingLeafIndex = 2;

    public static int FinalLeafIndex(int layers) => 3 + layers;

    public IReadOnlyList<Hash32> WeightLeaves => [ConfigHash, RopeRoot, EmbeddingRoot, .. LayerHashes, FinalHash];

    public MerkleTree WeightsTree() => new(WeightLeaves);

    internal static ModelCommitment Compute(IntegerModel model)
    {
        ModelConfig c = model.Config;
        Hash32 configHash = Keccak256.Hash(ConfigBlob.Serialize(c, model.Constants));
        var rope = new Hash32[c.SeqLen];
        for (int pos = 0; pos < c.SeqLen; pos++) rope[pos] = Keccak256.Hash(ModelFile.RopeRow(model, pos));
        Hash32 classifierRoot = model.ClassifierRoot;
        Hash32 embeddingRoot = c.SharedClassifier ? classifierRoot : RowsRoot(model.Embedding);
        var layers = new Hash32[c.Layers];
        Parallel.For(0, c.Layers, l => layers[l] = Keccak256.Hash(LayerBlob.Serialize(model.Layers[l])));

        Hash32 finalHash = Keccak256.Hash(ModelFile.FinalBlob(model));

        Hash32 ropeRoot = MerkleTree.ComputeRoot(rope);
        Hash32 weightsRoot = MerkleTree.ComputeRoot([configHash, ropeRoot, embeddingRoot, .. layers, finalHash]);
        Hash32 modelId = Keccak256.Hash(model.Serialized);
        return new ModelCommitment(modelId, weightsRoot, configHash, ropeRoot, embeddingRoot, layers, classifierRoot, finalHash);
    }

    internal static Hash32 RowsRoot(QuantizedMatrix matrix)
    {
        var rows = new Hash32[matrix.Rows];
        Parallel.For(0, matrix.Rows, r => rows[r] = Keccak256.Hash(ModelFile.MatrixRow(matrix, r)));
        return MerkleTree.ComputeRoot(rows);
    }
}
