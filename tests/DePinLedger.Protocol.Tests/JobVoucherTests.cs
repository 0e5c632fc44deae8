using System.Numerics;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Protocol.Tests;

/// <summary>The client's voucher as JobMarket.createJobFor checks it (the gateway tests compare the digest with the deployed contract's): signer recovery, malleable and malformed signatures.</summary>
public class JobVoucherTests
{
    private static readonly NodeKey Client = new(Convert.FromHexString("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"));
    private static readonly Eip712Domain Market = Eip712Domain.For(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    private static readonly JobRequest Request = new(Keccak.Hash("model"), Keccak.Hash("prompt"), 16, 0, JobRequest.Q16One, 7, 1, BigInteger.Pow(10, 18), 1_900_000_000, Keccak.Hash("salt"));

    [Fact]
    public void StructHash_IsTheTypeHashFollowedByTheJobIdsEncoding()
    {
        // Both are abi.encode of the request's static fields, after the type hash or after the client.
        Bytes32 expected = Request.AppendTo(new AbiWords().Bytes32(JobVoucher.TypeHash)).Keccak();
        Assert.Equal(expected, JobVoucher.StructHash(Request));
        Assert.NotEqual(JobVoucher.StructHash(Request), JobVoucher.StructHash(Request with { Seed = 8 }));
    }

    [Fact]
    public void Signer_RecoversTheClient_AndAnotherAddressForAnotherRequestOrDomain()
    {
        byte[] signature = JobVoucher.Sign(Request, Market, Client);
        Assert.Equal(Client.Address, JobVoucher.Signer(Request, Market, signature));
        Assert.NotEqual(Client.Address, JobVoucher.Signer(Request with { Fee = 2 }, Market, signature));
        Assert.NotEqual(Client.Address, JobVoucher.Signer(Request, Eip712Domain.For(1, Market.VerifyingContract), signature));
    }

    [Fact]
    public void Signer_RefusesTheMalleableTwin_AndMalformedSignatures()
    {
        byte[] signature = JobVoucher.Sign(Request, Market, Client);
        BigInteger order = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        byte[] twin = (byte[])signature.Clone();
        byte[] highS = (order - new BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true)).ToByteArray(isUnsigned: true, isBigEndian: true);
        Array.Clear(twin, 32, 32);
        highS.CopyTo(twin, 64 - highS.Length);
        twin[64] ^= 1; // 27 <-> 28
        Assert.Null(JobVoucher.Signer(Request, Market, twin));

        Assert.Null(JobVoucher.Signer(Request, Market, signature.AsSpan(0, 64)));
        byte[] badV = (byte[])signature.Clone();
        badV[64] = 29;
        Assert.Null(JobVoucher.Signer(Request, Market, badV));
        byte[] zero = new byte[65];
        zero[64] = 27;
        Assert.Null(JobVoucher.Signer(Request, Market, zero));

        // An r that is not the x coordinate of a curve point (about half of them) recovers nothing, without throwing.
        for (byte r = 1; r <= 8; r++)
        {
            byte[] small = (byte[])signature.Clone();
            Array.Clear(small, 0, 32);
            small[31] = r;
            string? signer = JobVoucher.Signer(Request, Market, small);
            Assert.NotEqual(Client.Address, signer);
        }
    }
}
