using System.Text;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Cli.Tests;

/// <summary>Streaming decode: characters split across byte-fallback tokens are written whole.</summary>
public class TokenTextStreamTests
{
    // unk, BOS, EOS, the 256 byte pieces, then " Caf" and "!".
    private static readonly Tokenizer Vocabulary = new(
        [.. new[] { "<unk>", "\n<s>\n", "\n</s>\n" }.Concat(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>")).Concat([" Caf", "!"]).Select(Encoding.UTF8.GetBytes)],
        new int[3 + 256 + 2]);

    private const int Caf = 3 + 256, Bang = Caf + 1;

    private static int Byte(byte b) => Tokenizer.ByteFallbackOffset + b;

    [Fact]
    public void Append_CharacterSplitOverTwoTokens_WrittenOnceComplete()
    {
        var output = new StringWriter();
        var stream = new TokenTextStream(Vocabulary, output);

        stream.Append(Tokenizer.Bos);
        stream.Append(Caf);
        Assert.Equal("Caf", output.ToString()); // the leading space after BOS is dropped
        stream.Append(Byte(0xC3));
        Assert.Equal("Caf", output.ToString()); // half of "é": nothing yet
        stream.Append(Byte(0xA9));
        stream.Append(Bang);
        stream.Append(Tokenizer.Eos);
        stream.Finish();

        Assert.Equal("Café!", output.ToString());
        Assert.Equal(output.ToString(), Vocabulary.DecodeAll([Tokenizer.Bos, Caf, Byte(0xC3), Byte(0xA9), Bang, Tokenizer.Eos]));
    }

    [Fact]
    public void Append_FourByteCharacter_WrittenWhole()
    {
        var output = new StringWriter();
        var stream = new TokenTextStream(Vocabulary, output);
        byte[] emoji = Encoding.UTF8.GetBytes("🦙");

        foreach (byte b in emoji[..3]) stream.Append(Byte(b));
        Assert.Equal("", output.ToString());
        stream.Append(Byte(emoji[3]));

        Assert.Equal("🦙", output.ToString());
    }

    [Fact]
    public void Finish_IncompleteCharacter_WritesReplacementCharacter()
    {
        var output = new StringWriter();
        var stream = new TokenTextStream(Vocabulary, output);

        stream.Append(Byte(0xC3));
        stream.Finish();

        Assert.Equal("\uFFFD", output.ToString());
    }
}
