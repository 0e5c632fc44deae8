using System.Buffers.Binary;
using System.Numerics;

namespace DePinLedger.Protocol.Encoding;

/// <summary>
/// Writes <c>abi.encode</c> of static values: each one a 32-byte big-endian word. Enough for the EIP-712 struct
/// hashes and the job id, whose fields are all static types.
/// </summary>
public sealed class AbiWords
{
    private readonly List<byte> _bytes = [];

    public AbiWords Uint(BigInteger value)
    {
        if (value.Sign < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "an unsigned value must not be negative");
        Span<byte> word = stackalloc byte[32];
        word.Clear();
        int length = value.GetByteCount(isUnsigned: true);
        if (length > 32) throw new ArgumentOutOfRangeException(nameof(value), value, "does not fit 256 bits");
        value.TryWriteBytes(word[(32 - length)..], out _, isUnsigned: true, isBigEndian: true);
        _bytes.AddRange(word);
        return this;
    }

    public AbiWords Uint(ulong value)
    {
        Span<byte> word = stackalloc byte[32];
        word.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(word[24..], value);
        _bytes.AddRange(word);
        return this;
    }

    public AbiWords Bytes32(Bytes32 value)
    {
        _bytes.AddRange(value.Span);
        return this;
    }

    /// <summary>An address: 20 bytes right-aligned in the word.</summary>
    public AbiWords Address(string address)
    {
        byte[] raw = AddressText.ToBytes(address);
        Span<byte> word = stackalloc byte[32];
        word.Clear();
        raw.CopyTo(word[12..]);
        _bytes.AddRange(word);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    public Bytes32 Keccak() => Encoding.Keccak.Hash(ToArray());
}
