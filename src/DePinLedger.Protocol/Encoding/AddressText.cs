namespace DePinLedger.Protocol.Encoding;

/// <summary>Checks and normalizes 20-byte account addresses written as hex.</summary>
public static class AddressText
{
    public static bool IsValid(string? address) =>
        address is { Length: 42 } && address.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
        address.AsSpan(2).ContainsAnyExcept("0123456789abcdefABCDEF") is false;

    /// <summary>The EIP-55 checksummed form (how addresses are shown).</summary>
    public static string Checksum(string address)
    {
        Require(address);
        string lower = address[2..].ToLowerInvariant();
        ReadOnlySpan<byte> hash = Keccak.Hash(lower).Span;
        Span<char> result = stackalloc char[42];
        result[0] = '0';
        result[1] = 'x';
        for (int i = 0; i < 40; i++)
        {
            int nibble = (i & 1) == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0xF;
            result[2 + i] = nibble >= 8 ? char.ToUpperInvariant(lower[i]) : lower[i];
        }
        return new string(result);
    }

    /// <summary>Lower-case form (how addresses are stored and compared).</summary>
    public static string Normalize(string address)
    {
        Require(address);
        return address.ToLowerInvariant();
    }

    /// <summary>The address of an uncompressed secp256k1 public key (64 bytes x ‖ y, no 0x04 prefix).</summary>
    public static string FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != 64) throw new ArgumentException("expected 64 bytes (x ‖ y)", nameof(publicKey));
        return Checksum("0x" + Convert.ToHexStringLower(Keccak.Hash(publicKey).Span[12..]));
    }

    public static byte[] ToBytes(string address)
    {
        Require(address);
        return Convert.FromHexString(address.AsSpan(2));
    }

    private static void Require(string address)
    {
        if (!IsValid(address)) throw new ArgumentException($"not an address (0x and 40 hex digits): '{address}'", nameof(address));
    }
}
