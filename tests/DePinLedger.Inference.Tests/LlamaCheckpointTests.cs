using System.Buffers.Binary;
using DePinLedger.Inference.Import;

namespace DePinLedger.Inference.Tests;

public class LlamaCheckpointTests
{
    private const long Stories260KBytes = 1_056_540;

    [Fact]
    public void Read_Stories260K_HasReferenceShapeAndFileValues()
    {
        var ckpt = LlamaCheckpoint.Read(SharedModels.Stories260K);

        Assert.Equal(new LlamaConfig(64, 172, 5, 8, 4, 512, 512, SharedClassifier: true), ckpt.Config);
        Assert.Equal(8, ckpt.Config.HeadSize);
        Assert.Equal(32, ckpt.Config.KvDim);
        Assert.Same(ckpt.TokenEmbedding, ckpt.Classifier);
        Assert.Equal(512 * 64, ckpt.TokenEmbedding.Length);
        Assert.Equal(5 * 64, ckpt.RmsAtt.Length);
        Assert.Equal(5 * 64 * 64, ckpt.Wq.Length);
        Assert.Equal(5 * 32 * 64, ckpt.Wk.Length);
        Assert.Equal(5 * 32 * 64, ckpt.Wv.Length);
        Assert.Equal(5 * 64 * 64, ckpt.Wo.Length);
        Assert.Equal(5 * 64, ckpt.RmsFfn.Length);
        Assert.Equal(5 * 172 * 64, ckpt.W1.Length);
        Assert.Equal(5 * 64 * 172, ckpt.W2.Length);
        Assert.Equal(5 * 172 * 64, ckpt.W3.Length);
        Assert.Equal(64, ckpt.RmsFinal.Length);
        Assert.Equal(Stories260KBytes, LlamaCheckpoint.FileSize(ckpt.Config));

        // Spot-check values against the raw bytes at the offsets of the documented layout.
        byte[] file = File.ReadAllBytes(SharedModels.Stories260K);
        float At(long floatIndex) => BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan((int)(LlamaCheckpoint.HeaderBytes + 4 * floatIndex)));
        long wqStart = 512 * 64 + 5 * 64;
        long rmsFinalStart = wqStart + 2 * (5 * 64 * 64) + 2 * (5 * 32 * 64) + 5 * 64 + 3 * (5 * 172 * 64);
        Assert.Equal(At(0), ckpt.TokenEmbedding[0]);
        Assert.Equal(At(512 * 64 - 1), ckpt.TokenEmbedding[^1]);
        Assert.Equal(At(wqStart + 123), ckpt.Wq[123]);
        Assert.Equal(At(rmsFinalStart + 63), ckpt.RmsFinal[63]);
        Assert.NotEqual(0f, ckpt.RmsFinal[63]);
    }

    [Fact]
    public void Read_TruncatedFile_ThrowsNamingFileAndSizes()
    {
        byte[] file = File.ReadAllBytes(SharedModels.Stories260K);
        var e = AssertInvalid(file.AsSpan(0, file.Length - 1).ToArray(), out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains($"{Stories260KBytes - 1} bytes", e.Message);
        Assert.Contains($"{Stories260KBytes}", e.Message);
    }

    [Fact]
    public void Read_TrailingByte_Throws()
    {
        byte[] file = File.ReadAllBytes(SharedModels.Stories260K);
        var e = AssertInvalid([.. file, 0], out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains("trailing bytes", e.Message);
    }

    [Fact]
    public void Read_ShorterThanHeader_Throws()
    {
        var e = AssertInvalid(new byte[27], out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains("shorter than the 28-byte", e.Message);
    }

    [Theory]
    [InlineData("0=0", "absurd header: every dimension must be positive")]
    [InlineData("2=-5", "absurd header: every dimension must be positive")]
    [InlineData("5=-2147483648", "absurd header: vocab_size -2147483648")]
    [InlineData("0=60", "absurd header: dim 60 is not divisible by n_heads 8")]
    [InlineData("4=3", "absurd header: n_heads 8 is not divisible by n_kv_heads 3")]
    [InlineData("3=64", "absurd header: head size 1 (dim / n_heads) is odd")]
    [InlineData("0=70000", "absurd header: dim 70000 exceeds 65536")]
    [InlineData("1=300000", "absurd header: hidden_dim 300000 exceeds 262144")]
    [InlineData("2=2000", "absurd header: n_layers 2000 exceeds 1024")]
    [InlineData("5=2000000", "absurd header: vocab_size 2000000 exceeds 1000000")]
    [InlineData("6=2000000", "absurd header: seq_len 2000000 exceeds 1048576")]
    [InlineData("0=65536,1=262144", "over the 64 GiB limit")]
    // Plausible headers that disagree with the data: the exact size check catches them.
    [InlineData("3=16", "has trailing bytes: 1056540 bytes, but the header (dim 64, hidden_dim 172, n_layers 5, n_heads 16, n_kv_heads 4, vocab_size 512 (shared classifier), seq_len 512) implies exactly 1007388")] // 16 heads: smaller KV projections and tables
    [InlineData("5=-512", "truncated: 1056540 bytes")]      // unshared classifier expected after the tables
    public void Read_AbsurdOrMismatchedHeader_Throws(string patches, string expected)
    {
        byte[] file = File.ReadAllBytes(SharedModels.Stories260K);
        foreach (string patch in patches.Split(','))
        {
            string[] parts = patch.Split('=');
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(4 * int.Parse(parts[0])), int.Parse(parts[1]));
        }
        var e = AssertInvalid(file, out string path);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("Wq", float.NaN)]
    [InlineData("W2", float.PositiveInfinity)]
    [InlineData("RmsFinal", float.NegativeInfinity)]
    public void Read_NonFiniteWeight_ThrowsNamingTensorAndIndex(string tensor, float value)
    {
        var config = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, true);
        long start = tensor switch
        {
            "Wq" => 512 * 64 + 5 * 64,
            "W2" => 512 * 64 + 5 * 64 + 2 * (5 * 64 * 64) + 2 * (5 * 32 * 64) + 5 * 64 + 5 * 172 * 64,
            _ => (LlamaCheckpoint.FileSize(config) - LlamaCheckpoint.HeaderBytes) / 4 - 512 * 8 - 64,
        };
        byte[] file = File.ReadAllBytes(SharedModels.Stories260K);
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan((int)(LlamaCheckpoint.HeaderBytes + 4 * (start + 17))), value);
        var e = AssertInvalid(file, out string path);
        Assert.Contains(path, e.Message);
        Assert.Contains($"tensor {tensor} ", e.Message);
        Assert.Contains("at index 17", e.Message);
    }

    [Fact]
    public void WriteThenRead_UnsharedSyntheticModel_RoundTripsExactly()
    {
        var original = Synthetic(new LlamaConfig(Dim: 8, HiddenDim: 12, Layers: 2, Heads: 4, KvHeads: 2, VocabSize: 10, SeqLen: 6, SharedClassifier: false));
        using var stream = new MemoryStream();
        original.Write(stream);
        Assert.Equal(LlamaCheckpoint.FileSize(original.Config), stream.Length);
        // Header: the classifier is not shared, so vocab_size is stored negative.
        Assert.Equal(-10, BinaryPrimitives.ReadInt32LittleEndian(stream.GetBuffer().AsSpan(20)));

        stream.Position = 0;
        var copy = LlamaCheckpoint.Read(stream, stream.Length);
        Assert.Equal(original.Config, copy.Config);
        Assert.NotSame(copy.TokenEmbedding, copy.Classifier);
        Assert.Equal(original.TokenEmbedding, copy.TokenEmbedding);
        Assert.Equal(original.Wk, copy.Wk);
        Assert.Equal(original.W2, copy.W2);
        Assert.Equal(original.RmsFinal, copy.RmsFinal);
        Assert.Equal(original.Classifier, copy.Classifier);
    }

    [Fact]
    public void Constructor_WrongLengthOrNonFinite_ThrowsArgumentException()
    {
        var config = new LlamaConfig(8, 12, 1, 2, 2, 5, 4, SharedClassifier: true);
        var good = Synthetic(config);
        var e = Assert.Throws<ArgumentException>(() => new LlamaCheckpoint(config, good.TokenEmbedding, good.RmsAtt, new float[63],
            good.Wk, good.Wv, good.Wo, good.RmsFfn, good.W1, good.W2, good.W3, good.RmsFinal, null));
        Assert.Contains("Wq has 63 elements, the config needs 64", e.Message);

        float[] w1 = [.. good.W1];
        w1[3] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => new LlamaCheckpoint(config, good.TokenEmbedding, good.RmsAtt, good.Wq,
            good.Wk, good.Wv, good.Wo, good.RmsFfn, w1, good.W2, good.W3, good.RmsFinal, null));
        Assert.Contains("W1[3] is NaN", e.Message);

        e = Assert.Throws<ArgumentException>(() => new LlamaCheckpoint(config, good.TokenEmbedding, good.RmsAtt, good.Wq,
            good.Wk, good.Wv, good.Wo, good.RmsFfn, good.W1, good.W2, good.W3, good.RmsFinal, new float[40]));
        Assert.Contains("classifier is shared", e.Message);
    }

    /// <summary>A small model with deterministic pseudo-random weights in [-0.5, 0.5).</summary>
    internal static LlamaCheckpoint Synthetic(LlamaConfig c, ulong seed = 0x9E3779B97F4A7C15)
    {
        float[] Make(long n)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++)
            {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                a[i] = (float)((seed >> 40) / (double)(1UL << 24)) - 0.5f;
            }
            return a;
        }
        long layers = c.Layers, dim = c.Dim, kv = c.KvDim, hidden = c.HiddenDim, vocab = c.VocabSize;
        var embedding = Make(vocab * dim);
        return new LlamaCheckpoint(c, embedding, Make(layers * dim), Make(layers * dim * dim), Make(layers * kv * dim),
            Make(layers * kv * dim), Make(layers * dim * dim), Make(layers * dim), Make(layers * hidden * dim),
            Make(layers * dim * hidden), Make(layers * hidden * dim), Make(dim), c.SharedClassifier ? null : Make(vocab * dim));
    }

    private static InvalidDataException AssertInvalid(byte[] contents, out string path)
    {
        path = Path.Combine(Path.GetTempPath(), $"depin-ckpt-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, contents);
        try
        {
            string p = path;
            return Assert.Throws<InvalidDataException>(() => LlamaCheckpoint.Read(p));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
