using System.Numerics;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Protocol.Jobs;

/// <summary>
/// A client's signed consent that anyone (the gateway) may create <see cref="JobRequest"/> on its behalf and charge it
/// (JobMarket's <c>createJobFor</c>): EIP-712 typed data <c>JobVoucher</c> over every request field, in the JobMarket's
/// domain. The job id stays keccak256(abi.encode(client, request)), so a voucher is redeemed at most once.
/// </summary>
public static class JobVoucher
{
    /// <summary>JobMarket's <c>JOB_VOUCHER_TYPEHASH</c> preimage, field for field.</summary>
    public const string TypeString =
        "JobVoucher(bytes32 modelId,bytes32 promptHash,uint32 maxTokens,uint32 temperature,uint32 topP,uint64 seed,uint8 replicas,uint96 fee,uint64 deadline,bytes32 salt)";

    public static readonly Bytes32 TypeHash = Keccak.Hash(TypeString);

    // secp256k1 order / 2: OpenZeppelin's ECDSA refuses a larger s (the malleable twin of a valid signature).
    private static readonly BigInteger HalfOrder = BigInteger.Parse("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0", System.Globalization.NumberStyles.HexNumber);

    /// <summary>hashStruct: keccak256(abi.encode(TYPEHASH, request fields…)).</summary>
    public static Bytes32 StructHash(JobRequest request) => request.AppendTo(new AbiWords().Bytes32(TypeHash)).Keccak();

    /// <summary>The digest the client signs, in the JobMarket's domain.</summary>
    public static Bytes32 Digest(JobRequest request, Eip712Domain jobMarket) => jobMarket.Digest(StructHash(request));

    /// <summary>Signs the voucher with the client's key: 65 bytes r ‖ s ‖ v.</summary>
    public static byte[] Sign(JobRequest request, Eip712Domain jobMarket, NodeKey clientKey) => clientKey.Sign(Digest(request, jobMarket));

    /// <summary>
    /// The address that signed the voucher, recovered as JobMarket does (65 bytes, v 27 or 28, low s); null when the
    /// signature is malformed or malleable, so the caller refuses it before paying for a transaction that would revert.
    /// </summary>
    public static string? Signer(JobRequest request, Eip712Domain jobMarket, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 65 || signature[64] is not (27 or 28)) return null;
        var r = new BigInteger(signature[..32], isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(signature[32..64], isUnsigned: true, isBigEndian: true);
        if (r.IsZero || s.IsZero || s > HalfOrder) return null;
        try
        {
            return NodeKey.Recover(Digest(request, jobMarket), signature);
        }
        catch (Exception e) when (e is ArgumentException or ArithmeticException or InvalidOperationException)
        {
            return null; // r is not the x coordinate of a curve point
        }
    }
}
