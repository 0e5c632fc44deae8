using Org.BouncyCastle.Crypto.Digests;

namespace DePinLedger.Protocol.Encoding;

/// <summary>
/// keccak-256 as the EVM computes it (BouncyCastle's Keccak, a fresh digest per call, so any thread may hash at once).
/// </summary>
public static class Keccak
{
    public static Bytes32 Hash(ReadOnlySpan<byte> data)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(data);
        Span<byte> hash = stackalloc byte[32];
        digest.DoFinal(hash);
        return new Bytes32(hash);
    }

    public static Bytes32 Hash(string utf8) => Hash(System.Text.Encoding.UTF8.GetBytes(utf8));
}
