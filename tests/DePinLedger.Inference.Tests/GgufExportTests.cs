using System.Buffers.Binary;
using System.Text;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Tests;

/// <summary>GGUF export: the file read back by an independent reader, Q8_0 block math, and bad input.</summary>
public class GgufExportTests
{
    // hidden 80: ffn_down rows (ne[0] = 80) are not a multiple of 32, so Q8_0 keeps it F32.
    private static readonly LlamaConfig Tiny = new(Dim: 64, HiddenDim: 80, Layers: 2, Heads: 4, KvHeads: 2, VocabSize: 300, SeqLen: 64, SharedClassifier: false);

    [Fact]
    public void Export_F32_HeaderMetadataAndTensors_ReadBackExactly()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(Tiny, seed: 3);
        byte[] file = Write(checkpoint, tokenizer, GgmlType.F32, out GgufExportSummary summary);
        var gguf = GgufFile.Parse(file);

        Assert.Equal(3u, gguf.Version);
        Assert.Equal(file.Length, summary.Bytes);
        Assert.Equal("llama", gguf.Metadata["general.architecture"]);
        Assert.Equal(64u, gguf.Metadata["llama.context_length"]);
        Assert.Equal(64u, gguf.Metadata["llama.embedding_length"]);
        Assert.Equal(2u, gguf.Metadata["llama.block_count"]);
        Assert.Equal(80u, gguf.Metadata["llama.feed_forward_length"]);
        Assert.Equal(4u, gguf.Metadata["llama.attention.head_count"]);
        Assert.Equal(2u, gguf.Metadata["llama.attention.head_count_kv"]);
        Assert.Equal(16u, gguf.Metadata["llama.rope.dimension_count"]);
        Assert.Equal(1e-5f, gguf.Metadata["llama.attention.layer_norm_rms_epsilon"]);
        Assert.Equal(10000f, gguf.Metadata["llama.rope.freq_base"]);
        Assert.Equal("llama", gguf.Metadata["tokenizer.ggml.model"]);
        Assert.Equal(1u, gguf.Metadata["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(2u, gguf.Metadata["tokenizer.ggml.eos_token_id"]);
        Assert.Equal(300, ((object[])gguf.Metadata["tokenizer.ggml.tokens"]).Length);

        string[] expectedNames =
        [
            "token_embd.weight",
            .. Enumerable.Range(0, 2).SelectMany(l => new[] { "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up" }
                .Select(t => $"blk.{l}.{t}.weight")),
            "output_norm.weight",
            "output.weight",
        ];
        Assert.Equal(expectedNames, gguf.Tensors.Select(t => t.Name));
        Assert.All(gguf.Tensors, t => Assert.Equal(0u, t.Type));
        Assert.All(gguf.Tensors, t => Assert.Equal(0L, t.Offset % 32));
        Assert.Equal(0L, gguf.DataStart % 32);
        Assert.Equal(new long[] { 64, 300 }, gguf.Tensor("token_embd.weight").Shape);
        Assert.Equal(new long[] { 64, 32 }, gguf.Tensor("blk.1.attn_k.weight").Shape);   // [cols = dim, rows = kv_dim]
        Assert.Equal(new long[] { 80, 64 }, gguf.Tensor("blk.0.ffn_down.weight").Shape); // [cols = hidden, rows = dim]
        Assert.Equal(new long[] { 64 }, gguf.Tensor("blk.0.ffn_norm.weight").Shape);

        // F32 is exactly the checkpoint's floats, row-major.
        Assert.Equal(checkpoint.TokenEmbedding, gguf.Floats("token_embd.weight"));
        Assert.Equal(checkpoint.Wk.AsSpan(32 * 64, 32 * 64).ToArray(), gguf.Floats("blk.1.attn_k.weight"));
        Assert.Equal(checkpoint.W2.AsSpan(0, 64 * 80).ToArray(), gguf.Floats("blk.0.ffn_down.weight"));
        Assert.Equal(checkpoint.Classifier, gguf.Floats("output.weight"));
        Assert.Equal(checkpoint.RmsFinal, gguf.Floats("output_norm.weight"));
    }

    [Fact]
    public void Export_Q8_0_QuantizesBlockAlignedMatrices_KeepsTheRestF32()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(Tiny, seed: 4);
        byte[] file = Write(checkpoint, tokenizer, GgmlType.Q8_0, out GgufExportSummary summary);
        var gguf = GgufFile.Parse(file);

        Assert.Equal(["blk.0.ffn_down.weight", "blk.1.ffn_down.weight"], summary.KeptF32);
        Assert.Equal(7u, gguf.Metadata["general.file_type"]);
        Assert.Equal(8u, gguf.Tensor("blk.0.attn_q.weight").Type);
        Assert.Equal(8u, gguf.Tensor("token_embd.weight").Type);
        Assert.Equal(0u, gguf.Tensor("blk.0.ffn_down.weight").Type);
        Assert.Equal(0u, gguf.Tensor("blk.0.attn_norm.weight").Type);
        Assert.Equal(gguf.Tensors.Count(t => t.Type == 8), summary.Q8Tensors);

        // Each block dequantizes to within half a step (plus float16 rounding of the scale) of the source.
        byte[] blocks = gguf.Data("blk.1.attn_v.weight");
        float[] source = checkpoint.Wv.AsSpan(32 * 64, 32 * 64).ToArray();
        Assert.Equal(source.Length / 32 * 34, blocks.Length);
        Span<float> decoded = stackalloc float[32];
        for (int b = 0; b < source.Length / 32; b++)
        {
            GgufWriter.DequantizeBlock(blocks.AsSpan(b * 34, 34), decoded);
            float amax = source.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs);
            for (int j = 0; j < 32; j++) Assert.InRange(decoded[j] - source[b * 32 + j], -amax / 127 * 0.51f - 1e-3f * amax, amax / 127 * 0.51f + 1e-3f * amax);
        }
    }

    [Fact]
    public void QuantizeBlock_ScaleIsMaxOver127_RoundsHalfAwayFromZero()
    {
        float[] block = new float[32];
        block[0] = 127f;   // amax 127 → d = 1 exactly, so q = round(x)
        block[1] = 2.5f;
        block[2] = -2.5f;
        block[3] = -127f;
        block[4] = 0.49f;
        byte[] encoded = new byte[34];

        GgufWriter.QuantizeBlock(block, encoded);

        Assert.Equal((Half)1f, BinaryPrimitives.ReadHalfLittleEndian(encoded));
        Assert.Equal([127, 3, -3, -127, 0, 0], encoded[2..8].Select(b => (int)(sbyte)b));
    }

    [Fact]
    public void QuantizeBlock_ZeroBlock_ScaleAndWeightsZero()
    {
        byte[] encoded = Enumerable.Repeat((byte)0xFF, 34).ToArray();
        GgufWriter.QuantizeBlock(new float[32], encoded);
        Assert.All(encoded, b => Assert.Equal(0, b));
    }

    [Fact]
    public void QuantizeBlock_ScaleIsFloat16OfAmaxOver127()
    {
        float[] block = Enumerable.Range(0, 32).Select(j => (j - 15) * 0.5f).ToArray(); // amax 8
        byte[] encoded = new byte[34];
        GgufWriter.QuantizeBlock(block, encoded);
        float d = 8f / 127f;
        Assert.Equal((Half)d, BinaryPrimitives.ReadHalfLittleEndian(encoded));
        Assert.Equal(127, (sbyte)encoded[2 + 31]);
        Assert.Equal(0, (sbyte)encoded[2 + 15]);
        Assert.Equal((int)MathF.Round(-7.5f / d, MidpointRounding.AwayFromZero), (sbyte)encoded[2]);
    }

    [Fact]
    public void Export_SharedClassifier_OmitsOutputTensor()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(Tiny with { SharedClassifier = true }, seed: 5);
        var gguf = GgufFile.Parse(Write(checkpoint, tokenizer, GgmlType.F32, out _));
        Assert.DoesNotContain(gguf.Tensors, t => t.Name == "output.weight");
        Assert.Equal(1 + 2 * 9 + 1, gguf.Tensors.Count);
    }

    [Fact]
    public void Export_Stories260K_VocabularyAsSentencePiece()
    {
        LlamaCheckpoint checkpoint = LlamaCheckpoint.Read(SharedModels.Stories260K);
        Tokenizer tokenizer = TokenizerFile.Read(SharedModels.Tok512, 512);
        var gguf = GgufFile.Parse(Write(checkpoint, tokenizer, GgmlType.F32, out _));

        string[] tokens = [.. ((object[])gguf.Metadata["tokenizer.ggml.tokens"]).Cast<string>()];
        int[] types = [.. ((object[])gguf.Metadata["tokenizer.ggml.token_type"]).Cast<int>()];
        float[] scores = [.. ((object[])gguf.Metadata["tokenizer.ggml.scores"]).Cast<float>()];
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], tokens[..4]);
        Assert.Equal([2, 3, 3, 6], types[..4]);
        Assert.Equal("<0x0A>", tokens[3 + 10]);
        Assert.Equal(6, types[3 + 10]);
        Assert.Equal("\u2581t", tokens[259]);  // llama2.c " t"
        Assert.Equal(1, types[259]);
        Assert.Equal(-1f, scores[260]);         // "he"
        Assert.Equal(tokens.Length, tokens.Distinct().Count());
        Assert.DoesNotContain(gguf.Tensors, t => t.Name == "output.weight"); // stories260K ties the classifier
    }

    [Fact]
    public void ScoreFromKey_InvertsScoreKey()
    {
        foreach (float score in new[] { 0f, -1f, 1.5f, -1e10f, float.Epsilon, -float.Epsilon, 123456.78f, float.NegativeInfinity })
            Assert.Equal(score, GgufExporter.ScoreFromKey(TokenizerFile.ScoreKey(score)));
        Assert.Equal(0f, GgufExporter.ScoreFromKey(TokenizerFile.ScoreKey(-0f)));
    }

    [Fact]
    public void Dequantize_GivesLevelTimesRowScale()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(Tiny, seed: 6);
        IntegerModel model = ModelImporter.Import(checkpoint, tokenizer);

        LlamaCheckpoint dequantized = GgufExporter.Dequantize(model);

        QuantizedMatrix wq = model.Layers[1].Wq;
        double scale = wq.Multipliers[5] * 32767.0 / Math.Pow(2, 48);
        for (int c = 0; c < 64; c++)
        {
            float expected = (float)(wq[5, c] * scale);
            Assert.Equal(expected, dequantized.Wq[64 * 64 + 5 * 64 + c]);
            float original = checkpoint.Wq[64 * 64 + 5 * 64 + c];
            Assert.InRange(expected - original, -0.01f, 0.01f);
        }
        Assert.Equal(checkpoint.RmsAtt, dequantized.RmsAtt); // gains of 1 are exact in Q16
        Assert.Equal(Tiny, dequantized.Config);
    }

    [Fact]
    public void Source_CheckpointGivesFloats_ModelFileGivesDequantizedWeights()
    {
        var (weights, tokenizer, dequantized) = GgufExporter.Source(ModelResolver.FromPath(SharedModels.Stories260K));
        Assert.False(dequantized);
        Assert.Equal(LlamaCheckpoint.Read(SharedModels.Stories260K).Wq, weights.Wq);
        Assert.Equal(512, tokenizer.VocabSize);

        var (checkpoint, synthetic) = SyntheticModel.Create(Tiny, seed: 10);
        IntegerModel model = ModelImporter.Import(checkpoint, synthetic);
        string path = Path.Combine(Path.GetTempPath(), $"gguf-source-{Guid.NewGuid():N}.dplm");
        try
        {
            ModelFile.Write(model, path);
            var (fromFile, fileTokenizer, fromFileDequantized) = GgufExporter.Source(ModelResolver.FromPath(path));
            Assert.True(fromFileDequantized);
            Assert.Equal(GgufExporter.Dequantize(model).W2, fromFile.W2);
            Assert.Equal(300, fileTokenizer.VocabSize);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Export_TokenizerOfAnotherSize_Throws()
    {
        var (checkpoint, _) = SyntheticModel.Create(Tiny, seed: 7);
        var (_, other) = SyntheticModel.Create(Tiny with { VocabSize = 301 }, seed: 7);
        var e = Assert.Throws<ArgumentException>(() => GgufExporter.Export(checkpoint, other, Stream.Null, GgmlType.F32, "x"));
        Assert.Contains("301 tokens", e.Message);
    }

    [Fact]
    public void Export_PiecesThatCollideInGguf_Throws()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(Tiny, seed: 8);
        var pieces = tokenizer.Pieces.Select(p => p.ToArray()).ToArray();
        pieces[298] = " x"u8.ToArray();
        pieces[299] = Encoding.UTF8.GetBytes("\u2581x"); // what " x" becomes in GGUF
        var colliding = new Tokenizer(pieces, [.. tokenizer.Scores]);

        var e = Assert.Throws<InvalidDataException>(() => GgufExporter.Export(checkpoint, colliding, Stream.Null, GgmlType.F32, "x"));
        Assert.Contains("tokens 298 and 299", e.Message);
    }

    [Fact]
    public void Export_UnsupportedType_Throws()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(Tiny, seed: 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => GgufExporter.Export(checkpoint, tokenizer, Stream.Null, (GgmlType)2, "x"));
    }

    [Fact]
    public void Writer_RejectsBadTensorsAndKeys()
    {
        var writer = new GgufWriter();
        writer.Add("a", 1u);
        Assert.Throws<ArgumentException>(() => writer.Add("a", 2u));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [48, 2], GgmlType.Q8_0, new float[96]));  // 48 is not a multiple of 32
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [32, 2], GgmlType.F32, new float[63]));   // shape vs data
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [0], GgmlType.F32, Array.Empty<float>()));
        writer.AddTensor("t", [32], GgmlType.F32, new float[32]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [32], GgmlType.F32, new float[32]));
        Assert.Throws<ArgumentException>(() => GgufWriter.QuantizeBlock(new float[31], new byte[34]));
    }

    private static byte[] Write(LlamaCheckpoint checkpoint, Tokenizer tokenizer, GgmlType type, out GgufExportSummary summary)
    {
        using var stream = new MemoryStream();
        summary = GgufExporter.Export(checkpoint, tokenizer, stream, type, "test");
        return stream.ToArray();
    }

    /// <summary>A minimal GGUF v3 reader written from the format description, independent of the writer.</summary>
    private sealed class GgufFile
    {
        public uint Version { get; private init; }
        public Dictionary<string, object> Metadata { get; } = [];
        public List<(string Name, long[] Shape, uint Type, long Offset)> Tensors { get; } = [];
        public long DataStart { get; private set; }
        private byte[] _bytes = [];

        public static GgufFile Parse(byte[] bytes)
        {
            int at = 0;
            uint U32() { uint v = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)); at += 4; return v; }
            ulong U64() { ulong v = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)); at += 8; return v; }
            string Str() { int n = checked((int)U64()); string s = Encoding.UTF8.GetString(bytes, at, n); at += n; return s; }
            object Value(uint type) => type switch
            {
                4 => U32(),
                5 => (int)U32(),
                6 => BitConverter.UInt32BitsToSingle(U32()),
                7 => bytes[at++] != 0,
                8 => Str(),
                9 => Array(),
                _ => throw new InvalidDataException($"value type {type}"),
            };
            object[] Array()
            {
                uint element = U32();
                var items = new object[checked((int)U64())];
                for (int i = 0; i < items.Length; i++) items[i] = Value(element);
                return items;
            }

            Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
            at = 4;
            var file = new GgufFile { Version = U32(), _bytes = bytes };
            ulong tensors = U64(), kvs = U64();
            for (ulong i = 0; i < kvs; i++)
            {
                string key = Str();
                file.Metadata.Add(key, Value(U32()));
            }
            for (ulong i = 0; i < tensors; i++)
            {
                string name = Str();
                var shape = new long[U32()];
                for (int d = 0; d < shape.Length; d++) shape[d] = (long)U64();
                file.Tensors.Add((name, shape, U32(), (long)U64()));
            }
            file.DataStart = (at + 31) / 32 * 32;
            return file;
        }

        public (string Name, long[] Shape, uint Type, long Offset) Tensor(string name) => Tensors.Single(t => t.Name == name);

        public byte[] Data(string name)
        {
            var t = Tensor(name);
            long elements = t.Shape.Aggregate(1L, (a, b) => a * b);
            long size = t.Type == 0 ? elements * 4 : elements / 32 * 34;
            return _bytes.AsSpan(checked((int)(DataStart + t.Offset)), checked((int)size)).ToArray();
        }

        public float[] Floats(string name)
        {
            byte[] data = Data(name);
            var floats = new float[data.Length / 4];
            for (int i = 0; i < floats.Length; i++) floats[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i));
            return floats;
        }
    }
}
