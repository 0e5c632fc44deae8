using System.Buffers.Binary;

namespace DePinLedger.Inference.Commitments;

/// <summary>
/// Checkpoint leaves of the trace (SPEC.md §9). A leaf is keccak256 of 70 bytes:
/// u32 position ‖ u16 slot ‖ bytes32 a ‖ bytes32 b, where slot 0 is the embedding step
/// (a = keccak(hidden), b = token), slot 1..L the transformer blocks 0..L−1 (a = keccak(hidden),
/// b = the block's running key/value root) and slot L+1 the head step (a = 0, b = sampled token).
/// Vectors are hashed as packed big-endian int32.
/// </summary>
public static class TraceLeaves
{
    public const int PreimageLength = 70;

    public static int HeadSlot(int layers) => layers + 1;

    /// <summary>keccak256 of the vector as packed big-endian int32, using <paramref name="scratch"/> (4 bytes per entry).</summary>
    public static void HashVector(ReadOnlySpan<int> vector, Span<byte> scratch, Span<byte> digest)
    {
        Span<byte> bytes = scratch[..(vector.Length * 4)];
        for (int i = 0; i < vector.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes[(i * 4)..], vector[i]);
        Keccak256.Hash(bytes, digest);
    }

    /// <summary>kvRoot(t) = keccak256(kvRoot(t−1) ‖ K ‖ V), with kvRoot(−1) = 0, written to <paramref name="next"/>.</summary>
    public static void ChainKeyValue(ReadOnlySpan<byte> previous, ReadOnlySpan<int> key, ReadOnlySpan<int> value, Span<byte> scratch, Span<byte> next)
    {
        int length = 32 + 4 * (key.Length + value.Length);
        Span<byte> bytes = scratch[..length];
        previous[..32].CopyTo(bytes);
        for (int i = 0; i < key.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes[(32 + i * 4)..], key[i]);
        int offset = 32 + key.Length * 4;
        for (int i = 0; i < value.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes[(offset + i * 4)..], value[i]);
        Keccak256.Hash(bytes, next);
    }

    /// <summary>The leaf hash from its four fields.</summary>
    public static void Leaf(int position, int slot, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> digest)
    {
        Span<byte> preimage = stackalloc byte[PreimageLength];
        BinaryPrimitives.WriteUInt32BigEndian(preimage, (uint)position);
        BinaryPrimitives.WriteUInt16BigEndian(preimage[4..], (ushort)slot);
        a[..32].CopyTo(preimage[6..]);
        b[..32].CopyTo(preimage[38..]);
        Keccak256.Hash(preimage, digest);
    }

    /// <summary>A token id as the 32-byte big-endian field of a leaf.</summary>
    public static void TokenField(int token, Span<byte> field)
    {
        field[..32].Clear();
        BinaryPrimitives.WriteInt32BigEndian(field[28..], token);
    }

    /// <summary>Leaf of a head step: a = 0, b = token.</summary>
    public static Hash32 HeadLeaf(int position, int slot, int token)
    {
        Span<byte> zero = stackalloc byte[32];
        zero.Clear();
        Span<byte> tokenField = stackalloc byte[32];
        TokenField(token, tokenField);
        Span<byte> digest = stackalloc byte[32];
        Leaf(position, slot, zero, tokenField, digest);
        return new Hash32(digest);
    }

    /// <summary>keccak256 of the output tokens as packed big-endian uint32 (the job's output hash).</summary>
    public static Hash32 OutputHash(IReadOnlyList<int> tokens)
    {
        var bytes = new byte[tokens.Count * 4];
        for (int i = 0; i < tokens.Count; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), (uint)tokens[i]);
        return Keccak256.Hash(bytes);
    }
}
