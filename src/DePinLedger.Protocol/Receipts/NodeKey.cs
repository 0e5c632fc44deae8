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

    /// <summary>The address that signed <paramref name="digest"/> with <paramref name="signature"/> (65 bytes).</summary>
    public static string Recover(Bytes32 digest, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 65) throw new ArgumentException("a signature is 65 bytes", nameof(signature));
        var ecdsa = EthECDSASignatureFactory.FromComponents(signature[..32].ToArray(), signature[32..64].ToArray(), signature[64]);
        int recoveryId = signature[64] >= 27 ? signature[64] - 27 : signature[64];
        return AddressText.FromPublicKey(EthECKey.RecoverFromSignature(ecdsa, recoveryId, digest.ToArray()).GetPubKeyNoPrefix());
    }

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
