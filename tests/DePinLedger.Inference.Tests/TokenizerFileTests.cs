using System.Buffers.Binary;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Tests;

public class TokenizerFileTests
{
    [Fact]
    public void Read_Tok512_HasPiecesAndOrderedKeys()
    {
        var tok = TokenizerFile.Read(SharedModels.Tok512, 512);

        Assert.Equal(512, tok.VocabSize);
        Assert.Equal(7, tok.MaxTokenLength);
        Assert.Equal("<unk>"u8.ToArray(), tok.Pieces[0]);
        Assert.Equal("\n<s>\n"u8.ToArray(), tok.Pieces[Tokenizer.Bos]);
        Assert.Equal("\n</s>\n"u8.ToArray(), tok.Pieces[Tokenizer.Eos]);
        Assert.Equal("<0xFF>"u8.ToArray(), tok.Pieces[258]);
        Assert.Equal(" t"u8.ToArray(), tok.Pieces[259]);
        // Scores in the file: 0.0 for tokens 0..258, -0.0 for 259, then -1, -2, …, -252 for 260..511.
        Assert.Equal(0, tok.Scores[258]);
        Assert.Equal(0, tok.Scores[259]); // -0.0 gets the key of 0.0
        Assert.Equal(TokenizerFile.ScoreKey(-1f), tok.Scores[260]);
        Assert.Equal(TokenizerFile.ScoreKey(-252f), tok.Scores[511]);
        for (int id = 260; id < 512; id++) Assert.True(tok.Scores[id] < tok.Scores[id - 1]);
        Assert.Equal(TokenizerFile.ScoreKey(-1e10f), tok.MergeScoreFloor);
    }

    [Fact]
    public void ScoreKey_PreservesFloatOrderExactly()
    {
        float[] ascending =
        [
            float.NegativeInfinity, float.MinValue, -1e10f, -252f, -1f, -float.Epsilon * 2, -float.Epsilon,
            0f, float.Epsilon, 1e-30f, 1f, BitConverter.UInt32BitsToSingle(0x3F80_0001), 1e10f, float.MaxValue, float.PositiveInfinity,
        ];
        for (int i = 1; i < ascending.Length; i++)
            Assert.True(TokenizerFile.ScoreKey(ascending[i - 1]) < TokenizerFile.ScoreKey(ascending[i]), $"{ascending[i - 1]} < {ascending[i]}");

        // -0.0 == 0.0 as floats (llama2.c's > treats them as a tie), so they share one key.
        Assert.Equal(TokenizerFile.ScoreKey(0f), TokenizerFile.ScoreKey(-0f));
        Assert.Equal(0, TokenizerFile.ScoreKey(0f));
        // Neighbouring floats get neighbouring keys on both sides of zero.
        Assert.Equal(1, TokenizerFile.ScoreKey(float.Epsilon));
        Assert.Equal(-1, TokenizerFile.ScoreKey(-float.Epsilon));
        Assert.Equal(0x7F80_0000, TokenizerFile.ScoreKey(float.PositiveInfinity));
        Assert.Equal(-0x7F80_0000, TokenizerFile.ScoreKey(float.NegativeInfinity));
        Assert.Equal(0x3F80_0000, TokenizerFile.ScoreKey(1f));
        Assert.Equal(-0x3F80_0000, TokenizerFile.ScoreKey(-1f));
        Assert.Throws<ArgumentException>(() => TokenizerFile.ScoreKey(float.NaN));

        // Random bit patterns: the key comparison agrees with the float comparison.
        ulong state = 0xDEADBEEF;
        uint NextBits()
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            return (uint)(state >> 16);
        }
        for (int i = 0; i < 100_000; i++)
        {
            float a = BitConverter.UInt32BitsToSingle(NextBits()), b = BitConverter.UInt32BitsToSingle(NextBits());
            if (i % 7 == 0) b = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(a) + 1); // an adjacent pattern
            if (float.IsNaN(a) || float.IsNaN(b)) continue;
            int floatOrder = a < b ? -1 : a > b ? 1 : 0;
            Assert.Equal(floatOrder, Math.Sign(TokenizerFile.ScoreKey(a).CompareTo(TokenizerFile.ScoreKey(b))));
        }
    }

    [Fact]
    public void Read_TruncatedFile_Throws()
    {
        byte[] file = File.ReadAllBytes(SharedModels.Tok512);
        var e = AssertInvalid(file[..(file.Length - 3)], 512, out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated inside the", e.Message);
        e = AssertInvalid(file[..2], 512, out _);
        Assert.Contains("truncated before max_token_length", e.Message);
    }

    [Fact]
    public void Read_FewerTokensThanVocab_Throws()
    {
        var e = AssertInvalid(File.ReadAllBytes(SharedModels.Tok512), 600, out string path);
        Assert.Equal($"{path}: holds only 512 tokens, the model's vocabulary has 600", e.Message);
    }

    [Fact]
    public void Read_MoreTokensThanVocab_Throws()
    {
        var e = AssertInvalid(File.ReadAllBytes(SharedModels.Tok512), 500, out _);
        Assert.Contains("has data after token 499", e.Message);
    }

    [Theory]
    [InlineData(-1, "token 0 has length -1, outside 0..max_token_length 7")]
    [InlineData(int.MaxValue, "token 0 has length 2147483647, outside 0..max_token_length 7")]
    [InlineData(8, "token 0 has length 8, outside 0..max_token_length 7")]
    public void Read_BadLength_Throws(int length, string expected)
    {
        byte[] file = File.ReadAllBytes(SharedModels.Tok512);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(4 + 4), length); // token 0: score at 4, length at 8
        var e = AssertInvalid(file, 512, out _);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-7)]
    [InlineData(1 << 20)]
    public void Read_BadMaxTokenLength_Throws(int value)
    {
        byte[] file = File.ReadAllBytes(SharedModels.Tok512);
        BinaryPrimitives.WriteInt32LittleEndian(file, value);
        var e = AssertInvalid(file, 512, out _);
        Assert.Contains($"max_token_length {value} is outside 1..65536", e.Message);
    }

    [Fact]
    public void Read_NaNScore_Throws()
    {
        byte[] file = File.ReadAllBytes(SharedModels.Tok512);
        // Token 1 starts after token 0 = 4 (score) + 4 (length) + 5 ("<unk>") bytes.
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(4 + 13), float.NaN);
        var e = AssertInvalid(file, 512, out _);
        Assert.Contains("token 1 has a NaN score", e.Message);
    }

    private static InvalidDataException AssertInvalid(byte[] contents, int vocabSize, out string path)
    {
        path = Path.Combine(Path.GetTempPath(), $"depin-tok-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, contents);
        try
        {
            string p = path;
            return Assert.Throws<InvalidDataException>(() => TokenizerFile.Read(p, vocabSize));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
