using System.Buffers.Binary;
using System.Numerics;

namespace DePinLedger.Chain.Contracts;

/// <summary>Reads 32-byte ABI words (log topics and the data of static parameters): the generated fast event decoders use these.</summary>
public static class AbiWord
{
    /// <summary>The word at position <paramref name="index"/> of the data.</summary>
    public static ReadOnlySpan<byte> At(byte[] data, int index) => data.AsSpan(32 * index, 32);

    /// <summary>A topic (0x-hex) as its 32 bytes.</summary>
    public static ReadOnlySpan<byte> Topic(string topic) => Convert.FromHexString(topic.AsSpan(2));

    public static string Address(ReadOnlySpan<byte> word) => "0x" + Convert.ToHexStringLower(word[12..]);

    public static bool Bool(ReadOnlySpan<byte> word) => word[31] != 0;

    public static byte[] Bytes(ReadOnlySpan<byte> word) => word.ToArray();

    public static byte UInt8(ReadOnlySpan<byte> word) => word[31];

    public static ushort UInt16(ReadOnlySpan<byte> word) => BinaryPrimitives.ReadUInt16BigEndian(word[30..]);

    public static uint UInt32(ReadOnlySpan<byte> word) => BinaryPrimitives.ReadUInt32BigEndian(word[28..]);

    public static ulong UInt64(ReadOnlySpan<byte> word) => BinaryPrimitives.ReadUInt64BigEndian(word[24..]);

    public static BigInteger UInt256(ReadOnlySpan<byte> word) => new(word, isUnsigned: true, isBigEndian: true);
}
