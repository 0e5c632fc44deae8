using System.Numerics;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Protocol.Tokens;

namespace DePinLedger.Protocol.Tests;

public class TokenAmountTests
{
    [Theory]
    [InlineData("1000", "1000000000000000000000")]
    [InlineData("0.5", "500000000000000000")]
    [InlineData(".000000000000000001", "1")]
    [InlineData("12.340", "12340000000000000000")]
    public void Parse_Tokens_ToUnits(string text, string units) =>
        Assert.Equal(BigInteger.Parse(units), TokenAmount.Parse(text).Units);

    [Theory]
    [InlineData("1e3")]
    [InlineData("-1")]
    [InlineData("1,000")]
    [InlineData("")]
    [InlineData("0.0000000000000000001")]
    public void Parse_Rejects(string text) => Assert.False(TokenAmount.TryParse(text, 18, out _, out _));

    [Theory]
    [InlineData("1000000000000000000000", "1000")]
    [InlineData("1", "0.000000000000000001")]
    [InlineData("1500000000000000000", "1.5")]
    [InlineData("0", "0")]
    public void ToString_TrimsTrailingZeros(string units, string text) =>
        Assert.Equal(text, new TokenAmount(BigInteger.Parse(units), 18).ToString());
}

public class EncodingTests
{
    [Fact]
    public void Keccak_EmptyInput_KnownVector() =>
        Assert.Equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Keccak.Hash([]).ToString());

    [Fact]
    public void Bytes32_ParseAndFormat_RoundTrip()
    {
        const string hex = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

        Assert.Equal(hex, Bytes32.Parse(hex.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal)).ToString());
        Assert.False(Bytes32.TryParse("0x1234", out _));
        Assert.True(Bytes32.Zero.IsZero);
    }

    [Fact]
    public void StageReceiptTypeString_IsJobMarkets()
    {
        // The type string must be the contract's, character for character (the on-chain digest test checks the hash).
        string source = File.ReadAllText(Path.Combine(Root(), "contracts", "src", "JobMarket.sol"));

        Assert.Contains($"\"{StageReceipt.TypeString}\"", source);
    }

    [Fact]
    public void Sign_ThenRecover_SameAddress()
    {
        byte[] privateKey = Convert.FromHexString("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
        var key = new NodeKey(privateKey);
        var receipt = new StageReceipt(Keccak.Hash("job"), 0, 1, 0, 4, Keccak.Hash("a"), Keccak.Hash("b"), Keccak.Hash("c"));
        var domain = Eip712Domain.For(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");

        byte[] signature = receipt.Sign(domain, key);

        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", key.Address);
        Assert.Equal(65, signature.Length);
        Assert.True(signature[64] is 27 or 28);
        Assert.Equal(key.Address, NodeKey.Recover(receipt.Digest(domain), signature));
        Assert.Equal(key.Address, key.ToString());
    }

    /// <summary>secp256k1's group order n, big-endian.</summary>
    private const string CurveOrderHex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

    [Theory]
    [InlineData("length", "65 bytes")]
    [InlineData("v=0", "v is 0")]
    [InlineData("v=29", "v is 29")]
    [InlineData("r=0", "r is outside")]
    [InlineData("r=n", "r is outside")]
    [InlineData("s=0", "s is outside")]
    [InlineData("high s", "malleated")]
    [InlineData("r not on the curve", "does not recover")]
    public void Recover_RefusesWhatTheContractsRefuse_WithTheReason(string defect, string reason)
    {
        var key = new NodeKey(Convert.FromHexString("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
        Bytes32 digest = Keccak.Hash("heartbeat");
        byte[] signature = key.Sign(digest);
        byte[] order = Convert.FromHexString(CurveOrderHex);
        switch (defect)
        {
            case "length": signature = signature[..64]; break;
            case "v=0": signature[64] = 0; break;
            case "v=29": signature[64] = 29; break;
            case "r=0": Array.Clear(signature, 0, 32); break;
            case "r=n": order.CopyTo(signature, 0); break;
            case "s=0": Array.Clear(signature, 32, 32); break;
            case "high s":
                // n − s: the malleated twin of the valid signature, which ecrecover would also accept.
                var s = new System.Numerics.BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
                var n = new System.Numerics.BigInteger(order, isUnsigned: true, isBigEndian: true);
                (n - s).ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(signature, 32 + 32 - (n - s).GetByteCount(isUnsigned: true));
                break;
            case "r not on the curve":
                // x = 5 has no point on secp256k1 (5³ + 7 = 132 is not a square mod p).
                Array.Clear(signature, 0, 32);
                signature[31] = 5;
                break;
        }

        Assert.False(NodeKey.TryRecover(digest, signature, out string? address, out string? why));
        Assert.Null(address);
        Assert.Contains(reason, why);
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => NodeKey.Recover(digest, signature)).Message);
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "foundry.toml"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
