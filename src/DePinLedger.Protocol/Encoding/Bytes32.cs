using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DePinLedger.Protocol.Encoding;

/// <summary>A 32-byte value as the contracts use it (<c>bytes32</c>: ids, roots, hashes). Printed as 0x-prefixed lower-case hex.</summary>
public readonly struct Bytes32 : IEquatable<Bytes32>
{
    public const int Length = 32;

    private readonly Buffer _bytes;

    public Bytes32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException($"expected {Length} bytes, got {bytes.Length}", nameof(bytes));
        bytes.CopyTo(_bytes);
    }

    public static Bytes32 Zero => default;

    /// <summary>The 32 bytes, read-only.</summary>
    public ReadOnlySpan<byte> Span => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _bytes[0]), Length);

    public bool IsZero => Span.IndexOfAnyExcept((byte)0) < 0;

    public byte[] ToArray() => Span.ToArray();

    public static Bytes32 Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (!TryParse(hex, out Bytes32 value)) throw new FormatException($"not a 32-byte hex value: '{hex}'");
        return value;
    }

    public static bool TryParse(string? hex, out Bytes32 value)
    {
        value = default;
        if (hex is null) return false;
        ReadOnlySpan<char> digits = hex.AsSpan();
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) digits = digits[2..];
        if (digits.Length != 2 * Length) return false;
        Span<byte> bytes = stackalloc byte[Length];
        for (int i = 0; i < Length; i++)
            if (!byte.TryParse(digits.Slice(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i])) return false;
        value = new Bytes32(bytes);
        return true;
    }

    public override string ToString() => "0x" + Convert.ToHexStringLower(Span);

    public bool Equals(Bytes32 other) => Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is Bytes32 other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(Span);

    public static bool operator ==(Bytes32 left, Bytes32 right) => left.Equals(right);

    public static bool operator !=(Bytes32 left, Bytes32 right) => !left.Equals(right);

    [InlineArray(Length)]
    private struct Buffer
    {
        private byte _element0;
    }
}
