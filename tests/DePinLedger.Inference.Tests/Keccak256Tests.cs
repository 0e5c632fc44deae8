using System.Text;
using DePinLedger.Inference.Commitments;

namespace DePinLedger.Inference.Tests;

public class Keccak256Tests
{
    [Theory]
    // Known Ethereum values: keccak256("") and keccak256("abc"), and the ERC-20 Transfer topic.
    [InlineData("", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")]
    [InlineData("Transfer(address,address,uint256)", "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")]
    public void Hash_KnownInputs_MatchesEthereum(string input, string expected)
    {
        Assert.Equal(expected, Keccak256.Hash(Encoding.ASCII.GetBytes(input)).ToString());
    }

    [Fact]
    public void Append_InPiecesAcrossBlockBoundaries_EqualsOneShot()
    {
        var data = new byte[1000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 31 + 7);
        foreach (int chunk in new[] { 1, 7, 135, 136, 137, 500 })
        {
            var hasher = new Keccak256();
            for (int offset = 0; offset < data.Length; offset += chunk)
                hasher.Append(data.AsSpan(offset, Math.Min(chunk, data.Length - offset)));
            Assert.Equal(Keccak256.Hash(data), hasher.Finish());
        }
        Assert.Equal("0xc77d9bffcae9f0984e6dff7eea63cc14cad5f367f791e27b08a1953f192f30a5", Keccak256.Hash(data).ToString());
    }

    [Theory]
    // Expected digests from `cast keccak` (Foundry): 135 bytes fills one block with padding, 136 needs a second.
    [InlineData(135, "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446")]
    [InlineData(136, "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e")]
    public void Hash_AroundTheRate_MatchesCast(int length, string expected)
    {
        Assert.Equal(expected, Keccak256.Hash(Enumerable.Repeat((byte)'a', length).ToArray()).ToString());
    }

    [Fact]
    public void Parse_RoundTripsAndRejectsBadLength()
    {
        var hash = Keccak256.Hash([1, 2, 3]);
        Assert.Equal(hash, Hash32.Parse(hash.ToString()));
        Assert.Throws<FormatException>(() => Hash32.Parse("0x1234"));
    }
}
