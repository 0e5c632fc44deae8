using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Model;

/// <summary>
/// Reads and writes the model file (SPEC.md §8). All integers are big-endian so that the parts the
/// on-chain verifier receives (config, layer, rotary-row and embedding-row blobs) are byte-identical
/// to their slices of the file.
/// <code>
/// "DPLM" u32 version
/// u32 n, config blob (n bytes)       dimensions, flags, epsilon, 1/sqrt(head size), exp tables
/// u32 n, tokenizer blob (n bytes)    i32 max token length, i32 merge floor, per token: i32 score key, u32 length, bytes
/// seqLen × rotary row                i32[headSize/2] cos ‖ i32[headSize/2] sin
/// vocab × embedding row              i8[dim] ‖ i64 multiplier
/// layers × (u32 n, layer blob)       see <see cref="LayerBlob"/>
/// final blob                         i32[dim] rms_final ‖ bytes32 classifier root
/// vocab × classifier row             only when the classifier is not shared
/// </code>
/// </summary>
public static class ModelFile
{
    public const uint Version = 1;
    private static ReadOnlySpan<byte> Magic => "DPLM"u8;

    /// <summary>Largest model file this reader accepts (one managed array).</summary>
    public const long MaxFileBytes = int.MaxValue - 64;

    public static void Write(IntegerModel model, string path) => File.WriteAllBytes(path, model.Serialized.ToArray());

    /// <summary>True when the file starts with the model-file magic.</summary>
    public static bool HasMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using FileStream stream = File.OpenRead(path);
        return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual(Magic);
    }

    public static IntegerModel Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"model file not found: {path}", path);
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"{path}: {info.Length} bytes is larger than this engine loads ({MaxFileBytes})");
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static IntegerModel Parse(byte[] bytes)
    {
        var reader = new BigEndianReader(bytes, "model file");
        if (!reader.Bytes(4).SequenceEqual(Magic)) throw new InvalidDataException("not a DePinLedger model file (bad magic)");
        uint version = reader.U32();
        if (version != Version) throw new InvalidDataException($"model file version {version} is not supported (expected {Version})");

        var (config, constantsHead) = ConfigBlob.Parse(reader.Bytes(Length(ref reader, 1 << 20)));
        Tokenizer tokenizer = TokenizerBlob.Parse(reader.Bytes(Length(ref reader, 1 << 30)), config.VocabSize);

        int half = config.HeadSize / 2;
        var cos = new int[config.SeqLen * half];
        var sin = new int[config.SeqLen * half];
        for (int pos = 0; pos < config.SeqLen; pos++)
        {
            reader.I32s(half).CopyTo(cos, pos * half);
            reader.I32s(half).CopyTo(sin, pos * half);
        }
        var constants = new ModelConstants(constantsHead.EpsilonQ32, constantsHead.InvSqrtHeadSizeQ16, constantsHead.Exp2High, constantsHead.Exp2Low, cos, sin);

        QuantizedMatrix embedding = ReadRows(ref reader, config.VocabSize, config.Dim, "embedding");
        var layers = new LayerWeights[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            uint length = reader.U32();
            int start = reader.Offset;
            layers[l] = LayerBlob.Read(ref reader, config, l);
            if (reader.Offset - start != length) throw new InvalidDataException($"layer {l}: blob length {length} does not match its contents");
        }
        int[] rmsFinal = reader.I32s(config.Dim);
        var classifierRoot = new Hash32(reader.Bytes(32));
        QuantizedMatrix classifier = config.SharedClassifier ? embedding : ReadRows(ref reader, config.VocabSize, config.Dim, "classifier");
        if (reader.Remaining != 0) throw new InvalidDataException($"{reader.Remaining} unexpected bytes after the model");

        var model = new IntegerModel(config, constants, tokenizer, embedding, layers, rmsFinal, classifier).WithCanonicalBytes(bytes);
        if (model.ClassifierRoot != classifierRoot)
            throw new InvalidDataException("the classifier root in the file does not match the classifier rows");
        return model;
    }

    internal static byte[] Serialize(IntegerModel model)
    {
        ModelConfig config = model.Config;
        var w = new BigEndianWriter((int)Math.Min(MaxFileBytes, 4096 + model.Config.ParameterCount + 16L * config.VocabSize));
        w.Bytes(Magic);
        w.U32(Version);
        byte[] configBlob = ConfigBlob.Serialize(config, model.Constants);
        w.U32((uint)configBlob.Length);
        w.Bytes(configBlob);
        byte[] tokenizerBlob = TokenizerBlob.Serialize(model.Tokenizer);
        w.U32((uint)tokenizerBlob.Length);
        w.Bytes(tokenizerBlob);
        for (int pos = 0; pos < config.SeqLen; pos++) w.Bytes(RopeRow(model, pos));
        WriteRows(w, model.Embedding);
        for (int l = 0; l < config.Layers; l++)
        {
            byte[] blob = LayerBlob.Serialize(model.Layers[l]);
            w.U32((uint)blob.Length);
            w.Bytes(blob);
        }
        w.Bytes(FinalBlob(model));
        if (!config.SharedClassifier) WriteRows(w, model.Classifier);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>The rotary row for <paramref name="position"/>: cos then sin, as the verifier receives it.</summary>
    public static byte[] RopeRow(IntegerModel model, int position)
    {
        int half = model.Config.HeadSize / 2;
        var w = new BigEndianWriter(half * 8);
        w.I32s(model.Constants.RopeCos.AsSpan(position * half, half));
        w.I32s(model.Constants.RopeSin.AsSpan(position * half, half));
        return w.WrittenSpan.ToArray();
    }

    /// <summary>One embedding or classifier row: int8 weights then the row multiplier.</summary>
    public static byte[] MatrixRow(QuantizedMatrix matrix, int row)
    {
        var w = new BigEndianWriter(matrix.Cols + 8);
        var weights = new sbyte[matrix.Cols];
        matrix.CopyRow(row, weights);
        w.SBytes(weights);
        w.I64(matrix.Multipliers[row]);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>rms_final then the classifier root.</summary>
    public static byte[] FinalBlob(IntegerModel model)
    {
        var w = new BigEndianWriter(model.Config.Dim * 4 + 32);
        w.I32s(model.RmsFinal);
        w.Bytes(model.ClassifierRoot.AsSpan());
        return w.WrittenSpan.ToArray();
    }

    private static void WriteRows(BigEndianWriter w, QuantizedMatrix matrix)
    {
        var row = new sbyte[matrix.Cols];
        for (int r = 0; r < matrix.Rows; r++)
        {
            matrix.CopyRow(r, row);
            w.SBytes(row);
            w.I64(matrix.Multipliers[r]);
        }
    }

    private static QuantizedMatrix ReadRows(ref BigEndianReader reader, int rows, int cols, string name)
    {
        var weights = new sbyte[(long)rows * cols];
        var multipliers = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(reader.Bytes(cols)).CopyTo(weights.AsSpan(r * cols, cols));
            multipliers[r] = reader.I64();
        }
        try
        {
            return new QuantizedMatrix(rows, cols, weights, multipliers);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{name}: {e.Message}", e);
        }
    }

    private static int Length(ref BigEndianReader reader, int max)
    {
        uint length = reader.U32();
        if (length > max) throw new InvalidDataException($"section length {length} exceeds {max}");
        return (int)length;
    }
}

/// <summary>Dimensions and scalar constants, the first leaf of the weights tree.</summary>
internal static class ConfigBlob
{
    public sealed record Head(long EpsilonQ32, int InvSqrtHeadSizeQ16, int[] Exp2High, int[] Exp2Low);

    public static byte[] Serialize(ModelConfig c, ModelConstants k)
    {
        var w = new BigEndianWriter();
        w.I32(c.Dim);
        w.I32(c.HiddenDim);
        w.I32(c.Layers);
        w.I32(c.Heads);
        w.I32(c.KvHeads);
        w.I32(c.VocabSize);
        w.I32(c.SeqLen);
        w.U32(c.SharedClassifier ? 1u : 0u);
        w.I64(k.EpsilonQ32);
        w.I32(k.InvSqrtHeadSizeQ16);
        w.I32s(k.Exp2High);
        w.I32s(k.Exp2Low);
        return w.WrittenSpan.ToArray();
    }

    public static (ModelConfig, Head) Parse(ReadOnlySpan<byte> blob)
    {
        var r = new BigEndianReader(blob, "config blob");
        int dim = r.I32(), hidden = r.I32(), layers = r.I32(), heads = r.I32(), kvHeads = r.I32(), vocab = r.I32(), seqLen = r.I32();
        uint flags = r.U32();
        if (flags > 1) throw new InvalidDataException($"unknown model flags {flags}");
        var config = new ModelConfig(dim, hidden, layers, heads, kvHeads, vocab, seqLen, flags == 1);
        config.Validate();
        var head = new Head(r.I64(), r.I32(), r.I32s(ModelConstants.ExpTableSize), r.I32s(ModelConstants.ExpTableSize));
        if (r.Remaining != 0) throw new InvalidDataException("config blob has trailing bytes");
        return (config, head);
    }
}

/// <summary>The tokenizer section: integer score keys and raw piece bytes.</summary>
internal static class TokenizerBlob
{
    public static byte[] Serialize(Tokenizer tokenizer)
    {
        var w = new BigEndianWriter();
        w.I32(tokenizer.MaxTokenLength);
        w.I32(tokenizer.MergeScoreFloor);
        for (int i = 0; i < tokenizer.VocabSize; i++)
        {
            w.I32(tokenizer.Scores[i]);
            w.U32((uint)tokenizer.Pieces[i].Length);
            w.Bytes(tokenizer.Pieces[i]);
        }
        return w.WrittenSpan.ToArray();
    }

    public static Tokenizer Parse(ReadOnlySpan<byte> blob, int vocab)
    {
        var r = new BigEndianReader(blob, "tokenizer");
        int maxTokenLength = r.I32(), mergeScoreFloor = r.I32();
        var pieces = new byte[vocab][];
        var scores = new int[vocab];
        for (int i = 0; i < vocab; i++)
        {
            scores[i] = r.I32();
            uint length = r.U32();
            if (length > 1024) throw new InvalidDataException($"token {i} is {length} bytes long");
            pieces[i] = r.Bytes((int)length).ToArray();
        }
        if (r.Remaining != 0) throw new InvalidDataException("tokenizer section has trailing bytes");
        try
        {
            return new Tokenizer(pieces, scores, maxTokenLength, mergeScoreFloor);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"tokenizer: {e.Message}", e);
        }
    }
}

/// <summary>
/// One transformer block's weights as the verifier receives them:
/// i32[dim] rms_att ‖ wq ‖ wk ‖ wv ‖ wo ‖ i32[dim] rms_ffn ‖ w1 ‖ w2 ‖ w3, each matrix being
/// i8[rows·cols] row-major then i64[rows] multipliers.
/// </summary>
public static class LayerBlob
{
    public static byte[] Serialize(LayerWeights layer)
    {
        var w = new BigEndianWriter((int)(layer.Wq.ByteSize * 2 + layer.W1.ByteSize * 3 + layer.Wk.ByteSize * 2 + 64));
        w.I32s(layer.RmsAttention);
        w.Matrix(layer.Wq);
        w.Matrix(layer.Wk);
        w.Matrix(layer.Wv);
        w.Matrix(layer.Wo);
        w.I32s(layer.RmsFeedForward);
        w.Matrix(layer.W1);
        w.Matrix(layer.W2);
        w.Matrix(layer.W3);
        return w.WrittenSpan.ToArray();
    }

    internal static LayerWeights Read(ref BigEndianReader r, ModelConfig c, int layer)
    {
        string at = $"layer {layer}";
        int[] rmsAtt = r.I32s(c.Dim);
        QuantizedMatrix wq = r.Matrix(c.Dim, c.Dim, at + " wq");
        QuantizedMatrix wk = r.Matrix(c.KvDim, c.Dim, at + " wk");
        QuantizedMatrix wv = r.Matrix(c.KvDim, c.Dim, at + " wv");
        QuantizedMatrix wo = r.Matrix(c.Dim, c.Dim, at + " wo");
        int[] rmsFfn = r.I32s(c.Dim);
        QuantizedMatrix w1 = r.Matrix(c.HiddenDim, c.Dim, at + " w1");
        QuantizedMatrix w2 = r.Matrix(c.Dim, c.HiddenDim, at + " w2");
        QuantizedMatrix w3 = r.Matrix(c.HiddenDim, c.Dim, at + " w3");
        return new LayerWeights(rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3);
    }
}
