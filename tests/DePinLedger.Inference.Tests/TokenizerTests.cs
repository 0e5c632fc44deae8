using System.Text;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Tests;

public class TokenizerTests
{
    private static readonly Lazy<Tokenizer> Tok = new(() => TokenizerFile.Read(SharedModels.Tok512, 512));

    // Expected ids produced by llama2.c run.c encode(text, bos=1, eos=0) itself (commit 350e04f) on tok512.bin.
    [Theory]
    [InlineData("Once upon a time", new[] { 1, 403, 407, 261, 378 })]
    [InlineData("café 漢字 🙂", new[] { 1, 280, 412, 431, 485, 410, 233, 191, 165, 232, 176, 154, 410, 243, 162, 156, 133 })]
    [InlineData(" hello  world", new[] { 1, 410, 281, 306, 414, 410, 263, 304, 341 })]
    [InlineData("Lily's mom said, \"Lily, let's go to the park.\"", new[] { 1, 317, 439, 419, 357, 336, 432, 313, 438, 310, 432, 278, 316, 439, 419, 298, 414, 267, 265, 282, 295, 433, 426, 436 })]
    [InlineData("a\nb\tc", new[] { 1, 261, 13, 430, 12, 429 })]
    public void Encode_MatchesLlama2cAndRoundTrips(string text, int[] expected)
    {
        int[] tokens = Tok.Value.Encode(text, bos: true, eos: false);

        Assert.Equal(expected, tokens);
        Assert.Equal(text, Tok.Value.DecodeAll(tokens));
        Assert.Equal(expected, NaiveLlama2cEncode(Tok.Value, Encoding.UTF8.GetBytes(text), bos: true));
    }

    [Fact]
    public void Encode_OnceUponATime_StartsWithBosThenSpacePrefixedPiece()
    {
        int[] tokens = Tok.Value.Encode("Once upon a time", bos: true, eos: true);

        Assert.Equal([1, 403, 407, 261, 378, 2], tokens);
        // The dummy-prefix space merged into the first word.
        Assert.Equal(" Once"u8.ToArray(), Tok.Value.Pieces[403]);
        Assert.Equal(" upon"u8.ToArray(), Tok.Value.Pieces[407]);
        Assert.Equal(" a"u8.ToArray(), Tok.Value.Pieces[261]);
        Assert.Equal(" time"u8.ToArray(), Tok.Value.Pieces[378]);
        Assert.Equal("Once", Tok.Value.Decode(Tokenizer.Bos, 403)); // leading space stripped after BOS
        Assert.Equal(" upon", Tok.Value.Decode(403, 407));
        Assert.Equal("Once upon a time", Tok.Value.DecodeAll(tokens));
    }

    [Fact]
    public void Encode_Empty_GivesOnlyMarkers()
    {
        Assert.Equal([1], Tok.Value.Encode("", bos: true, eos: false));
        Assert.Empty(Tok.Value.Encode("", bos: false, eos: false));
        Assert.Equal([1, 2], Tok.Value.Encode("", bos: true, eos: true));
        Assert.Equal("", Tok.Value.DecodeAll([1, 2]));
    }

    [Fact]
    public void Encode_MultiByteUtf8_UsesByteFallbackAndDecodesByBytes()
    {
        const string text = "café 漢字 🙂";
        int[] tokens = Tok.Value.Encode(text, bos: false, eos: false);

        // "漢" = E6 BC A2 is not a piece: three byte-fallback tokens 0xE6+3, 0xBC+3, 0xA2+3.
        int han = Array.IndexOf(tokens, 0xE6 + 3);
        Assert.Equal([0xE6 + 3, 0xBC + 3, 0xA2 + 3], tokens[han..(han + 3)]);
        Assert.Equal([0xE6], Tok.Value.DecodeBytes(410, 0xE6 + 3));
        Assert.Equal("\uFFFD", Tok.Value.Decode(410, 0xE6 + 3)); // a lone lead byte is not text by itself

        // Streaming: joining DecodeBytes of each step gives the exact UTF-8 of the text.
        var bytes = new List<byte>();
        int previous = Tokenizer.Bos;
        foreach (int token in tokens)
        {
            bytes.AddRange(Tok.Value.DecodeBytes(previous, token));
            previous = token;
        }
        Assert.Equal(Encoding.UTF8.GetBytes(text), bytes);
        Assert.Equal(text, Tok.Value.DecodeAll(tokens));
    }

    [Fact]
    public void Decode_RawBytePiecesAndMarkers()
    {
        Assert.Equal("<0x41>"u8.ToArray(), Tok.Value.Pieces[0x41 + 3]);
        Assert.Equal("A", Tok.Value.Decode(5, 0x41 + 3));
        Assert.Equal(" ", Tok.Value.Decode(5, 0x20 + 3));
        Assert.Equal(" ", Tok.Value.Decode(Tokenizer.Bos, 0x20 + 3)); // only a literal leading space is stripped
        Assert.Equal("\n<s>\n", Tok.Value.Decode(0, Tokenizer.Bos));
        Assert.Equal("\n</s>\n", Tok.Value.Decode(0, Tokenizer.Eos));
        Assert.Equal("", Tok.Value.Decode(Tokenizer.Bos, Tok.Value.Lookup(" "u8)));
    }

    [Fact]
    public void InvalidTokenIds_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Value.Decode(1, 512));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Value.DecodeBytes(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Value.DecodeAll([403, 9999]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Value.DecodeAll([-5]));
    }

    [Fact]
    public void Lookup_UsesExactBytes()
    {
        Assert.Equal(259, Tok.Value.Lookup(" t"u8));
        Assert.Equal(-1, Tok.Value.Lookup(" T he"u8));
        Assert.Equal(512, Tok.Value.VocabSize);
    }

    [Fact]
    public void Merge_HighestScoreFirst_LeftmostOnTies()
    {
        // ids: 0 unk, 1 BOS, 2 EOS, 3 " ", 4 "a", 5 "b", 6 "ab", 7 "ba", 8 " a", 9 "aba"
        byte[][] pieces = [.. new[] { "<unk>", "\n<s>\n", "\n</s>\n", " ", "a", "b", "ab", "ba", " a", "aba" }.Select(Encoding.UTF8.GetBytes)];

        // "ab" and "ba" tie: the leftmost pair "ab" merges first, then "ab"+"a" → "aba". (Had "ba" gone first,
        // " a" (score 2) would beat "aba" (score 1) and give [" a", "ba"].)
        var tie = new Tokenizer(pieces, [0, 0, 0, 0, 0, 0, 5, 5, 2, 1]);
        Assert.Equal([3, 9], tie.Encode("aba", false, false));
        // "ba" scores higher: " ", "a", "ba"; then " a" (-100) beats "aba" (-200).
        var baFirst = new Tokenizer(pieces, [0, 0, 0, 0, 0, 0, 5, 6, -100, -200]);
        Assert.Equal([8, 7], baFirst.Encode("aba", false, false));
        // A merge is taken only strictly above the floor: " a" at the floor stays apart.
        var floored = new Tokenizer(pieces, [0, 0, 0, 0, 0, 0, 5, 6, -100, -200], maxTokenLength: null, mergeScoreFloor: -100);
        Assert.Equal([3, 4, 7], floored.Encode("aba", false, false));
        Assert.Equal(-100, floored.MergeScoreFloor);
    }

    [Fact]
    public void Encode_ManyRandomTexts_EqualsNaiveLlama2cLoop()
    {
        // Differential test against a direct transliteration of llama2.c's quadratic merge loop, on the real
        // vocabulary and on a small one full of score ties.
        byte[][] small = [.. new[] { "<unk>", "\n<s>\n", "\n</s>\n", " ", "a", "b", "c", "ab", "bc", "ca", "abc", " a", " b", "aa", "bb", "aab", "bca" }.Select(Encoding.UTF8.GetBytes)];
        var ties = new Tokenizer(small, [0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 2, 3, 1, 3, 2, 2, 3]);
        string[] alphabet = ["a", "b", "c", " ", "e", "é", "漢", "🙂", "\n", "th", "he", " the", "Lily", "."];
        ulong state = 12345;
        int Next(int bound)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            return (int)(state % (ulong)bound);
        }
        for (int round = 0; round < 400; round++)
        {
            var text = new StringBuilder();
            int length = Next(40);
            for (int i = 0; i < length; i++) text.Append(alphabet[Next(round % 2 == 0 ? 4 : alphabet.Length)]);
            foreach (var tokenizer in new[] { Tok.Value, ties })
            {
                if (tokenizer == ties && round % 2 == 1) continue; // the small vocabulary has no byte fallback
                byte[] utf8 = Encoding.UTF8.GetBytes(text.ToString());
                bool bos = round % 3 != 0;
                Assert.Equal(NaiveLlama2cEncode(tokenizer, utf8, bos), tokenizer.EncodeUtf8(utf8, bos, eos: false));
            }
            Assert.Equal(text.ToString(), Tok.Value.DecodeAll(Tok.Value.Encode(text.ToString(), true, true)));
        }
    }

    [Fact]
    public void Constructor_BadInput_Throws()
    {
        byte[][] pieces = [[1], [2], [3]];
        Assert.Throws<ArgumentException>(() => new Tokenizer(pieces, [0, 0]));
        Assert.Throws<ArgumentException>(() => new Tokenizer(pieces[..2], [0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tokenizer([[1], [2], [3, 4]], [0, 0, 0], maxTokenLength: 1, mergeScoreFloor: 0));
        var noSpace = new Tokenizer(pieces, [0, 0, 0]);
        Assert.Throws<InvalidOperationException>(() => noSpace.Encode("x", true, false));
    }

    // llama2.c encode(), step by step: codepoints, byte fallback, then repeatedly the best-scoring adjacent
    // pair (strict >, so the first on ties), scanning the whole sequence each round (BOS included).
    private static int[] NaiveLlama2cEncode(Tokenizer t, byte[] text, bool bos)
    {
        var tokens = new List<int>();
        if (bos) tokens.Add(1);
        if (text.Length > 0) tokens.Add(t.Lookup(" "u8));
        var buffer = new List<byte>();
        for (int c = 0; c < text.Length; c++)
        {
            if ((text[c] & 0xC0) != 0x80) buffer.Clear();
            buffer.Add(text[c]);
            if (c + 1 < text.Length && (text[c + 1] & 0xC0) == 0x80 && buffer.Count < 4) continue;
            int id = t.Lookup(buffer.ToArray());
            if (id != -1) tokens.Add(id);
            else foreach (byte b in buffer) tokens.Add(b + 3);
            buffer.Clear();
        }
        while (true)
        {
            long bestScore = t.MergeScoreFloor;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i < tokens.Count - 1; i++)
            {
                int id = t.Lookup([.. t.Pieces[tokens[i]], .. t.Pieces[tokens[i + 1]]]);
                if (id != -1 && t.Scores[id] > bestScore)
                {
                    bestScore = t.Scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) break;
            tokens[bestIdx] = bestId;
            tokens.RemoveAt(bestIdx + 1);
        }
        return [.. tokens];
    }
}
