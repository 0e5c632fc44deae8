using System.Numerics;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Protocol.Receipts;

/// <summary>
/// An EIP-712 domain {name, version, chainId, verifyingContract}: the contracts use name "DePinLedger", version "1"
/// and their own address (OpenZeppelin EIP712).
/// </summary>
public sealed record Eip712Domain(string Name, string Version, BigInteger ChainId, string VerifyingContract)
{
    /// <summary>The domain name every DePinLedger contract signs under.</summary>
    public const string ProtocolName = "DePinLedger";

    /// <summary>The domain version every DePinLedger contract signs under.</summary>
    public const string ProtocolVersion = "1";

    private static readonly Bytes32 TypeHash =
        Keccak.Hash("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// <summary>The domain of a DePinLedger contract at <paramref name="contract"/> on chain <paramref name="chainId"/>.</summary>
    public static Eip712Domain For(BigInteger chainId, string contract) => new(ProtocolName, ProtocolVersion, chainId, contract);

    public Bytes32 Separator() => new AbiWords()
        .Bytes32(TypeHash)
        .Bytes32(Keccak.Hash(Name))
        .Bytes32(Keccak.Hash(Version))
        .Uint(ChainId)
        .Address(VerifyingContract)
        .Keccak();

    /// <summary>keccak256("\x19\x01" ‖ domainSeparator ‖ structHash): what the signer signs.</summary>
    public Bytes32 Digest(Bytes32 structHash)
    {
        Span<byte> message = stackalloc byte[66];
        message[0] = 0x19;
        message[1] = 0x01;
        Separator().Span.CopyTo(message[2..]);
        structHash.Span.CopyTo(message[34..]);
        return Keccak.Hash(message);
    }
}
