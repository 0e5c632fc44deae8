using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using DePinLedger.Protocol.Encoding;
using Nethereum.Signer;

namespace DePinLedger.Protocol.Receipts;

/// <summary>
/// A secp256k1 key that signs digests as the contracts recover them (OpenZeppelin ECDSA: 65 bytes r ‖ s ‖ v, low s,
/// v ∈ {27, 28}). The private key never leaves this object; <see cref="ToString"/> shows only the address.
/// </summary>
public sealed class NodeKey
{
    private readonly EthECKey _key;

    public NodeKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32) throw new ArgumentException("a private key is 32 bytes", nameof(privateKey));
        _key = new EthECKey("0x" + Convert.ToHexStringLower(privateKey));
        Address = AddressText.FromPublicKey(_key.GetPubKeyNoPrefix());
    }

    /// <summary>The account address of the key (EIP-55).</summary>
    public string Address { get; }

    public byte[] Sign(Bytes32 digest)
    {
        EthECDSASignature signature = _key.SignAndCalculateV(digest.ToArray());
        byte[] result = new byte[65];
        Pad32(signature.R).CopyTo(result, 0);
        Pad32(signature.S).CopyTo(result, 32);
        result[64] = signature.V[0];
        return result;
    }

    /// <summary>
    /// The address that signed <paramref name="digest"/> with <paramref name="signature"/> (65 bytes r ‖ s ‖ v), under
    /// the rules the contracts apply (OpenZeppelin ECDSA): v is 27 or 28, r in [1, n), s in [1, n/2] (a high s is the
    /// malleated twin of a valid signature). Throws <see cref="ArgumentException"/> saying why when it does not recover.
    /// </summary>
    public static string Recover(Bytes32 digest, ReadOnlySpan<byte> signature) =>
        TryRecover(digest, signature, out string? address, out string? why) ? address : throw new ArgumentException(why, nameof(signature));

    /// <summary>As <see cref="Recover"/>, for untrusted signatures: false with the reason instead of throwing.</summary>
    public static bool TryRecover(Bytes32 digest, ReadOnlySpan<byte> signature, [NotNullWhen(true)] out string? address, [NotNullWhen(false)] out string? why)
    {
        address = null;
        why = CheckSignature(signature);
        if (why is not null) return false;
        var ecdsa = EthECDSASignatureFactory.FromComponents(signature[..32].ToArray(), signature[32..64].ToArray(), signature[64]);
        // In range, a signature can still name an r that is no point's x coordinate: no key recovers then (the
        // library returns null or throws, depending on where the decoding fails).
        EthECKey? key;
        try
        {
            key = EthECKey.RecoverFromSignature(ecdsa, signature[64] - 27, digest.ToArray());
        }
        catch (ArgumentException)
        {
            key = null;
        }
        if (key is null)
        {
            why = "the signature does not recover a public key";
            return false;
        }
        address = AddressText.FromPublicKey(key.GetPubKeyNoPrefix());
        return true;
    }

    /// <summary>Null when <paramref name="signature"/> is well formed for recovery, else why not.</summary>
    private static string? CheckSignature(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 65) return $"a signature is 65 bytes, not {signature.Length}";
        if (signature[64] is not (27 or 28)) return $"the signature's v is {signature[64]}, not 27 or 28";
        var r = new BigInteger(signature[..32], isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(signature[32..64], isUnsigned: true, isBigEndian: true);
        if (r.IsZero || r >= CurveOrder) return "the signature's r is outside [1, n)";
        if (s.IsZero || s > HalfCurveOrder) return "the signature's s is outside [1, n/2] (a high s is a malleated signature)";
        return null;
    }

    private static readonly BigInteger CurveOrder = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static readonly BigInteger HalfCurveOrder = CurveOrder / 2;

    /// <summary>The private key bytes, for code that must hand them to a signer library (never print them).</summary>
    public byte[] ExportPrivateKey() => _key.GetPrivateKeyAsBytes();

    public override string ToString() => Address;

    private static byte[] Pad32(byte[] value)
    {
        if (value.Length == 32) return value;
        byte[] padded = new byte[32];
        value.CopyTo(padded, 32 - value.Length);
        return padded;
    }
}
