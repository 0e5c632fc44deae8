using DePinLedger.Inference.Import;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Tests;

public class FloatTransformerTests
{
    // llama2.c run.c (commit 350e04f, gcc -O2, x86-64), `-t 0 -i "Once upon a time"`: its output text and the
    // first 40 token ids it generated after the prompt.
    private const string GoldenPrefix = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
    private static readonly int[] GoldenIds =
    [
        432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292,
        411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426,
    ];

    private static readonly Lazy<LlamaCheckpoint> Stories = new(() => LlamaCheckpoint.Read(SharedModels.Stories260K));
    private static readonly Lazy<Tokenizer> Tok = new(() => TokenizerFile.Read(SharedModels.Tok512, 512));

    [Fact]
    public void Greedy_OnceUponATime_ReproducesLlama2cFloatOutput()
    {
        int[] prompt = Tok.Value.Encode("Once upon a time", bos: true, eos: false);

        var generated = FloatTransformer.Greedy(Stories.Value, prompt, maxNewTokens: 40);

        Assert.Equal(GoldenIds, generated);
        string text = Tok.Value.DecodeAll([.. prompt, .. generated]);
        Assert.StartsWith(GoldenPrefix, text);
    }

    [Fact]
    public void Greedy_StopsAtMaxNewTokensAndContextLength()
    {
        int[] prompt = Tok.Value.Encode("Once upon a time", bos: true, eos: false);
        Assert.Empty(FloatTransformer.Greedy(Stories.Value, prompt, 0));
        Assert.Equal(GoldenIds[..3], FloatTransformer.Greedy(Stories.Value, prompt, 3));

        // A 2-position context: the prompt fills position 0 and 1, so exactly one token can follow
        // (llama2.c prints the token sampled at the last position, then stops).
        var c = Stories.Value;
        var tiny = new LlamaCheckpoint(c.Config with { SeqLen = 2 }, c.TokenEmbedding, c.RmsAtt, c.Wq, c.Wk, c.Wv, c.Wo,
            c.RmsFfn, c.W1, c.W2, c.W3, c.RmsFinal, null);
        Assert.Single(FloatTransformer.Greedy(tiny, prompt[..2], 10));
    }

    [Fact]
    public void Forward_PositionsOutOfOrderOrBadToken_Throw()
    {
        var model = new FloatTransformer(Stories.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(512, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(-1, 0));
        float[] first = model.Forward(1, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(403, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(403, 2));
        Assert.Equal(512, first.Length);

        model.Reset();
        Assert.Equal(first, model.Forward(1, 0)); // same bits after a reset
        Assert.Equal(1, model.NextPosition);
    }

    [Fact]
    public void Perplexity_GoldenSentence_MatchesLlama2cWithinFloatNoise()
    {
        // llama2.c's forward() on the same tokens, log-softmax in double: 1.197643176 over 31 predictions.
        int[] tokens = Tok.Value.Encode(GoldenPrefix, bos: true, eos: false);
        Assert.Equal(32, tokens.Length);

        double ppl = FloatTransformer.Perplexity(Stories.Value, [tokens]);

        Assert.Equal(1.197643176, ppl, 1e-6);
    }

    [Fact]
    public void Perplexity_PoolsPredictionsOverSequences()
    {
        int[] a = Tok.Value.Encode("Once upon a time, there was a dog.", bos: true, eos: false);
        int[] b = Tok.Value.Encode("The cat sat.", bos: true, eos: false);
        double pa = FloatTransformer.Perplexity(Stories.Value, [a]);
        double pb = FloatTransformer.Perplexity(Stories.Value, [b]);
        double pooled = FloatTransformer.Perplexity(Stories.Value, [a, b]);

        // exp of the mean NLL over all predicted positions, not a mean of per-sequence perplexities.
        double expected = Math.Exp((Math.Log(pa) * (a.Length - 1) + Math.Log(pb) * (b.Length - 1)) / (a.Length + b.Length - 2));
        Assert.Equal(expected, pooled, 1e-9);
        Assert.InRange(pooled, 1.0, 100.0);
    }

    [Fact]
    public void Perplexity_BadSequences_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => FloatTransformer.Perplexity(Stories.Value, [[403, 407]]));
        Assert.Contains("must start with BOS", e.Message);
        e = Assert.Throws<ArgumentException>(() => FloatTransformer.Perplexity(Stories.Value, [[1]]));
        Assert.Contains("no sequence has a token to predict", e.Message);
        e = Assert.Throws<ArgumentException>(() => FloatTransformer.Perplexity(Stories.Value, [[1, 600]]));
        Assert.Contains("outside the vocabulary", e.Message);
    }

    [Fact]
    public void Greedy_SyntheticUnsharedModel_IsDeterministic()
    {
        var ckpt = LlamaCheckpointTests.Synthetic(new LlamaConfig(Dim: 16, HiddenDim: 24, Layers: 2, Heads: 4, KvHeads: 1, VocabSize: 20, SeqLen: 12, SharedClassifier: false));
        var first = FloatTransformer.Greedy(ckpt, [1, 5, 7], 20);
        var second = FloatTransformer.Greedy(ckpt, [1, 5, 7], 20);
        Assert.Equal(first, second);
        Assert.InRange(first.Count, 1, 10); // stops at BOS or when the 12-position context is full
        Assert.DoesNotContain(1, first);
    }
}
