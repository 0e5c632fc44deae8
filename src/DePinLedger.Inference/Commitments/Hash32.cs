namespace DePinLedger.Inference.Commitments;

/// <summary>A 32-byte hash (keccak-256 digest, Merkle node or root), compared by value.</summary>
public readonly struct Hash32 : IEquatable<Hash32>
{
    private static readonly byte[] ZeroBytes = new byte[32];

    // Immutable by construction: the array is copied in and never handed out writable.
    private readonly byte[]? _bytes;

    public Hash32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32) throw new ArgumentException($"a hash is 32 bytes, got {bytes.Length}", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    public static Hash32 Zero => default;

    public ReadOnlySpan<byte> AsSpan() => _bytes ?? ZeroBytes;

    public byte[] ToArray() => AsSpan().ToArray();

    /// <summary>Parses 64 hex digits, with or without a 0x prefix.</summary>
    public static Hash32 Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        ReadOnlySpan<char> digits = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex.AsSpan(2) : hex;
        if (digits.Length != 64) throw new FormatException($"a hash is 64 hex digits, got {digits.Length}");
        return new Hash32(Convert.FromHexString(digits));
    }

    public bool Equals(Hash32 other) => AsSpan().SequenceEqual(other.AsSpan());

    public override bool Equals(object? obj) => obj is Hash32 other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(AsSpan());

    public static bool operator ==(Hash32 left, Hash32 right) => left.Equals(right);

    public static bool operator !=(Hash32 left, Hash32 right) => !left.Equals(right);

    /// <summary>0x-prefixed lowercase hex, as Ethereum tooling prints bytes32.</summary>
    public override string ToString() => "0x" + Convert.ToHexStringLower(AsSpan());
}
