using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Conformance;

/// <summary>
/// Everything of a model that a step verifier receives, with its Merkle openings (SPEC.md §8): the
/// config, layer and final blobs as leaves of the weights tree, rotary rows in the rotary tree (weights
/// leaf 1), embedding rows in the embedding tree (weights leaf 2), and the classifier rows whose root the
/// final blob holds.
/// </summary>
public sealed class ModelOpenings
{
    private readonly MerkleTree _weights;
    private readonly MerkleTree _rope;
    private readonly MerkleTree _embedding;
    private readonly byte[][] _layerBlobs;

    public ModelOpenings(IntegerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        ModelConfig c = model.Config;
        ConfigBytes = ConfigBlob.Serialize(c, model.Constants);
        _weights = model.Commitment.WeightsTree();
        _rope = new MerkleTree(Enumerable.Range(0, c.SeqLen).Select(t => Keccak256.Hash(ModelFile.RopeRow(model, t))).ToArray());
        _embedding = new MerkleTree(Enumerable.Range(0, c.VocabSize).Select(r => Keccak256.Hash(ModelFile.MatrixRow(model.Embedding, r))).ToArray());
        _layerBlobs = model.Layers.Select(LayerBlob.Serialize).ToArray();
        FinalBytes = ModelFile.FinalBlob(model);
        Classifier = new byte[(long)c.VocabSize * (c.Dim + 8)];
        for (int r = 0; r < c.VocabSize; r++) ModelFile.MatrixRow(model.Classifier, r).CopyTo(Classifier, r * (c.Dim + 8));
        if (_weights.Root != model.WeightsRoot) throw new InvalidOperationException("the weights tree does not reproduce the model's weights root");
        if (_rope.Root != model.Commitment.RopeRoot || _embedding.Root != model.Commitment.EmbeddingRoot)
            throw new InvalidOperationException("the rotary or embedding tree does not reproduce the model commitment");
    }

    public IntegerModel Model { get; }

    public Hash32 WeightsRoot => _weights.Root;

    /// <summary>The config blob (weights leaf 0).</summary>
    public byte[] ConfigBytes { get; }

    public Hash32[] ConfigProof => _weights.Proof(ModelCommitment.ConfigLeafIndex);

    /// <summary>The layer blob of block <paramref name="layer"/> (weights leaf 3 + layer).</summary>
    public byte[] LayerBytes(int layer) => _layerBlobs[layer];

    public Hash32[] LayerProof(int layer) => _weights.Proof(ModelCommitment.LayerLeafIndex(layer));

    public Hash32 RopeRoot => _rope.Root;

    public Hash32[] RopeRootProof => _weights.Proof(ModelCommitment.RopeLeafIndex);

    public byte[] RotaryRow(int position) => ModelFile.RopeRow(Model, position);

    public Hash32[] RotaryProof(int position) => _rope.Proof(position);

    public Hash32 EmbeddingRoot => _embedding.Root;

    public Hash32[] EmbeddingRootProof => _weights.Proof(ModelCommitment.EmbeddingLeafIndex);

    public byte[] EmbeddingRow(int token) => ModelFile.MatrixRow(Model.Embedding, token);

    public Hash32[] EmbeddingRowProof(int token) => _embedding.Proof(token);

    /// <summary>rms_final ‖ classifier root (weights leaf 3 + L).</summary>
    public byte[] FinalBytes { get; }

    public Hash32[] FinalProof => _weights.Proof(ModelCommitment.FinalLeafIndex(Model.Config.Layers));

    /// <summary>Every classifier row (i8[dim] ‖ i64 multiplier), concatenated in id order.</summary>
    public byte[] Classifier { get; }
}
