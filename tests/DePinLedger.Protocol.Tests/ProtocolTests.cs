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

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "foundry.toml"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
