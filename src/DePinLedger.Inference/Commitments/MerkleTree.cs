namespace DePinLedger.Inference.Commitments;

/// <summary>
/// Binary Merkle tree over 32-byte leaves (SPEC.md §9): the leaf count is padded to a power of two
/// with zero leaves; a node is keccak256(left ‖ right). Leaves are hashes of preimages that are never
/// 64 bytes long, so a leaf cannot pass for an inner node. The root of no leaves is zero.
/// </summary>
public sealed class MerkleTree
{
    private readonly Hash32[][] _levels;

    public MerkleTree(IReadOnlyList<Hash32> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        LeafCount = leaves.Count;
        if (leaves.Count == 0)
        {
            _levels = [[Hash32.Zero]];
            return;
        }
        int width = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)leaves.Count);
        var level = new Hash32[width];
        for (int i = 0; i < leaves.Count; i++) level[i] = leaves[i];
        var levels = new List<Hash32[]> { level };
        while (level.Length > 1)
        {
            var parent = new Hash32[level.Length / 2];
            for (int i = 0; i < parent.Length; i++) parent[i] = Keccak256.HashPair(level[2 * i], level[2 * i + 1]);
            levels.Add(parent);
            level = parent;
        }
        _levels = [.. levels];
    }

    public int LeafCount { get; }

    /// <summary>Number of siblings in a proof.</summary>
    public int Depth => _levels.Length - 1;

    public Hash32 Root => _levels[^1][0];

    public Hash32 Leaf(int index)
    {
        CheckIndex(index);
        return _levels[0][index];
    }

    /// <summary>Siblings from the leaf level up.</summary>
    public Hash32[] Proof(int index)
    {
        CheckIndex(index);
        var proof = new Hash32[Depth];
        for (int level = 0; level < Depth; level++)
        {
            proof[level] = _levels[level][index ^ 1];
            index >>= 1;
        }
        return proof;
    }

    /// <summary>
    /// Siblings of a zero padding leaf at <paramref name="index"/> (LeafCount ≤ index &lt; 2^Depth): what a trace
    /// shows to prove it holds no leaf there (the dispute game's absence openings).
    /// </summary>
    public Hash32[] PaddingProof(int index)
    {
        if (index < LeafCount || index >= _levels[0].Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is not a padding leaf of a tree of {LeafCount} leaves padded to {_levels[0].Length}");
        var proof = new Hash32[Depth];
        for (int level = 0; level < Depth; level++)
        {
            proof[level] = _levels[level][index ^ 1];
            index >>= 1;
        }
        return proof;
    }

    /// <summary>Recomputes the root from a leaf and its proof; the on-chain check does the same.</summary>
    public static Hash32 RootFromProof(Hash32 leaf, int index, IReadOnlyList<Hash32> proof)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (proof.Count < 31 && index >= 1 << proof.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"index {index} needs more than {proof.Count} levels");
        Hash32 node = leaf;
        foreach (Hash32 sibling in proof)
        {
            node = (index & 1) == 0 ? Keccak256.HashPair(node, sibling) : Keccak256.HashPair(sibling, node);
            index >>= 1;
        }
        return node;
    }

    public static bool Verify(Hash32 root, Hash32 leaf, int index, IReadOnlyList<Hash32> proof) =>
        RootFromProof(leaf, index, proof) == root;

    /// <summary>Root of <paramref name="leaves"/> without keeping the tree.</summary>
    public static Hash32 ComputeRoot(IReadOnlyList<Hash32> leaves) => new MerkleTree(leaves).Root;

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)LeafCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf {index} of {LeafCount}");
    }
}
