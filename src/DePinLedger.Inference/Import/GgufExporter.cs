using System.Text;
using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Import;

/// <summary>What <see cref="GgufExporter.Export"/> wrote.</summary>
/// <param name="Tensors">Tensors in the file.</param>
/// <param name="Q8Tensors">Of those, stored as Q8_0 (the rest are float32).</param>
/// <param name="KeptF32">Matrices asked for as Q8_0 but kept float32 because their rows are not a multiple of 32 (ggml's block size).</param>
/// <param name="Bytes">File size.</param>
public sealed record GgufExportSummary(int Tensors, int Q8Tensors, IReadOnlyList<string> KeptF32, long Bytes);

/// <summary>
/// Exports a float Llama model to GGUF (llama architecture, SentencePiece "llama" vocabulary) so that
/// llama.cpp runs the same weights: float32 exactly as in the checkpoint, or Q8_0 quantized from them.
/// </summary>
/// <remarks>
/// Tensor names follow llama.cpp: token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output,
/// ffn_norm, ffn_gate (w1), ffn_up (w3), ffn_down (w2)}, output_norm, output (omitted when the classifier is
/// tied to the embedding; llama.cpp then reuses token_embd). A row-major [rows, cols] matrix has ggml shape
/// [cols, rows]. Q/K rows are NOT permuted: llama2.c checkpoints rotate adjacent pairs (i, i+1) in RoPE,
/// which is llama.cpp's "normal" rope of the llama architecture; only HF checkpoints (rotate-half) need
/// convert_hf_to_gguf's permutation. Norm gains always stay float32, as in llama.cpp's own files.
/// Tokenizer: llama2.c pieces with ' ' written as U+2581 (SentencePiece's space), the BOS/EOS pieces
/// "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n" as "&lt;s&gt;" / "&lt;/s&gt;"; types: 2 unknown (id 0), 3 control (BOS,
/// EOS), 6 byte (&lt;0xHH&gt;), 1 normal; scores are the float merge scores (the inverse of
/// <see cref="TokenizerFile.ScoreKey"/>, so they keep the merge order exactly).
/// </remarks>
public static class GgufExporter
{
    public const float RmsEpsilon = (float)ModelImporter.RmsEpsilon;
    public const float RopeTheta = (float)ModelImporter.RopeTheta;

    // SentencePiece token types as GGUF stores them (tokenizer.ggml.token_type).
    public const int TokenNormal = 1, TokenUnknown = 2, TokenControl = 3, TokenByte = 6;

    // ggml's general.file_type values (llama_ftype): all float32, or mostly Q8_0.
    private const uint FileTypeAllF32 = 0, FileTypeMostlyQ8_0 = 7;

    /// <summary>
    /// Writes <paramref name="checkpoint"/> and <paramref name="tokenizer"/> as GGUF to <paramref name="output"/>.
    /// With <see cref="GgmlType.Q8_0"/>, every matrix whose rows are a multiple of 32 is Q8_0 and the rest stay
    /// float32 (listed in the summary).
    /// </summary>
    public static GgufExportSummary Export(LlamaCheckpoint checkpoint, Tokenizer tokenizer, Stream output, GgmlType type, string name)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "export writes F32 or Q8_0");
        LlamaConfig c = checkpoint.Config;
        if (tokenizer.VocabSize != c.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens, the model's vocabulary {c.VocabSize}", nameof(tokenizer));

        var writer = new GgufWriter();
        writer.Add("general.architecture", "llama");
        writer.Add("general.name", name);
        writer.Add("general.file_type", type == GgmlType.Q8_0 ? FileTypeMostlyQ8_0 : FileTypeAllF32);
        writer.Add("general.alignment", (uint)GgufWriter.Alignment);
        writer.Add("llama.context_length", (uint)c.SeqLen);
        writer.Add("llama.embedding_length", (uint)c.Dim);
        writer.Add("llama.block_count", (uint)c.Layers);
        writer.Add("llama.feed_forward_length", (uint)c.HiddenDim);
        writer.Add("llama.attention.head_count", (uint)c.Heads);
        writer.Add("llama.attention.head_count_kv", (uint)c.KvHeads);
        writer.Add("llama.rope.dimension_count", (uint)c.HeadSize);
        writer.Add("llama.rope.freq_base", RopeTheta);
        writer.Add("llama.attention.layer_norm_rms_epsilon", RmsEpsilon);
        writer.Add("llama.vocab_size", (uint)c.VocabSize);
        AddVocabulary(writer, tokenizer);

        var keptF32 = new List<string>();
        int q8 = 0;
        void Matrix(string tensor, float[] source, long offset, int rows, int cols)
        {
            GgmlType chosen = type == GgmlType.Q8_0 && cols % GgufWriter.Q8BlockSize == 0 ? GgmlType.Q8_0 : GgmlType.F32;
            if (type == GgmlType.Q8_0 && chosen == GgmlType.F32) keptF32.Add(tensor);
            if (chosen == GgmlType.Q8_0) q8++;
            writer.AddTensor(tensor, [cols, rows], chosen, source.AsMemory(checked((int)offset), checked(rows * cols)));
        }
        void Vector(string tensor, float[] source, int offset, int count) =>
            writer.AddTensor(tensor, [count], GgmlType.F32, source.AsMemory(offset, count));

        int d = c.Dim, kv = c.KvDim, h = c.HiddenDim;
        Matrix("token_embd.weight", checkpoint.TokenEmbedding, 0, c.VocabSize, d);
        for (int l = 0; l < c.Layers; l++)
        {
            string b = $"blk.{l}.";
            Vector(b + "attn_norm.weight", checkpoint.RmsAtt, l * d, d);
            Matrix(b + "attn_q.weight", checkpoint.Wq, (long)l * d * d, d, d);
            Matrix(b + "attn_k.weight", checkpoint.Wk, (long)l * kv * d, kv, d);
            Matrix(b + "attn_v.weight", checkpoint.Wv, (long)l * kv * d, kv, d);
            Matrix(b + "attn_output.weight", checkpoint.Wo, (long)l * d * d, d, d);
            Vector(b + "ffn_norm.weight", checkpoint.RmsFfn, l * d, d);
            Matrix(b + "ffn_gate.weight", checkpoint.W1, (long)l * h * d, h, d);
            Matrix(b + "ffn_down.weight", checkpoint.W2, (long)l * d * h, d, h);
            Matrix(b + "ffn_up.weight", checkpoint.W3, (long)l * h * d, h, d);
        }
        Vector("output_norm.weight", checkpoint.RmsFinal, 0, d);
        if (!c.SharedClassifier) Matrix("output.weight", checkpoint.Classifier, 0, c.VocabSize, d);

        long bytes = writer.WriteTo(output);
        return new GgufExportSummary(writer.TensorCount, q8, keptF32, bytes);
    }

    /// <summary>
    /// What to export for a resolved MODEL: a llama2.c checkpoint's float weights and tokenizer, or, for a model
    /// file (which keeps no floats), its int8 weights dequantized by <see cref="Dequantize"/> (<c>Dequantized</c> true).
    /// </summary>
    public static (LlamaCheckpoint Weights, Tokenizer Tokenizer, bool Dequantized) Source(ModelSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.TokenizerPath is { } tokenizerPath)
        {
            LlamaCheckpoint checkpoint = LlamaCheckpoint.Read(source.Path);
            return (checkpoint, TokenizerFile.Read(tokenizerPath, checkpoint.Config.VocabSize), false);
        }
        IntegerModel model = source.Load();
        return (Dequantize(model), model.Tokenizer, true);
    }

    /// <summary>
    /// The float weights an integer model stands for: W[r,c] = q[r,c] · M[r] · 32767 / 2^48 (SPEC.md §3) and
    /// gains g / 2^16. This is NOT the checkpoint the model was imported from (quantization lost that), but
    /// exactly the weights the integer engine multiplies by, up to float32 rounding of each product.
    /// </summary>
    public static LlamaCheckpoint Dequantize(IntegerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig m = model.Config;
        var config = new LlamaConfig(m.Dim, m.HiddenDim, m.Layers, m.Heads, m.KvHeads, m.VocabSize, m.SeqLen, m.SharedClassifier);
        float[] embedding = Floats(model.Embedding);
        float[] Stack(Func<LayerWeights, QuantizedMatrix> pick) => [.. model.Layers.SelectMany(l => Floats(pick(l)))];
        float[] Gains(Func<LayerWeights, int[]> pick) => [.. model.Layers.SelectMany(l => pick(l).Select(Gain))];
        return new LlamaCheckpoint(
            config, embedding,
            Gains(l => l.RmsAttention), Stack(l => l.Wq), Stack(l => l.Wk), Stack(l => l.Wv), Stack(l => l.Wo),
            Gains(l => l.RmsFeedForward), Stack(l => l.W1), Stack(l => l.W2), Stack(l => l.W3),
            [.. model.RmsFinal.Select(Gain)],
            m.SharedClassifier ? null : Floats(model.Classifier));
    }

    /// <summary>The GGUF text of a llama2.c piece: ' ' as U+2581, and the BOS/EOS pieces without their newlines.</summary>
    public static byte[] GgufPiece(int id, byte[] piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (id == Tokenizer.Bos) return "<s>"u8.ToArray();
        if (id == Tokenizer.Eos) return "</s>"u8.ToArray();
        var text = new List<byte>(piece.Length + 4);
        foreach (byte b in piece)
        {
            if (b == (byte)' ') text.AddRange("\u2581"u8);
            else text.Add(b);
        }
        return [.. text];
    }

    /// <summary>The SentencePiece type of token <paramref name="id"/>.</summary>
    public static int TokenType(int id, byte[] piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        return id switch
        {
            0 => TokenUnknown,
            Tokenizer.Bos or Tokenizer.Eos => TokenControl,
            _ => IsBytePiece(piece) ? TokenByte : TokenNormal,
        };
    }

    /// <summary>The float score whose <see cref="TokenizerFile.ScoreKey"/> is <paramref name="key"/>.</summary>
    public static float ScoreFromKey(int key) =>
        BitConverter.UInt32BitsToSingle(key < 0 ? 0x8000_0000u | (uint)-(long)key : (uint)key);

    private static void AddVocabulary(GgufWriter writer, Tokenizer tokenizer)
    {
        int n = tokenizer.VocabSize;
        var pieces = new byte[n][];
        var types = new int[n];
        var scores = new float[n];
        var seen = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int id = 0; id < n; id++)
        {
            byte[] piece = tokenizer.Pieces[id];
            pieces[id] = GgufPiece(id, piece);
            types[id] = TokenType(id, piece);
            scores[id] = ScoreFromKey(tokenizer.Scores[id]);
            // llama.cpp maps text → id and asserts that the map is as large as the vocabulary.
            string key = Convert.ToHexString(pieces[id]);
            if (!seen.TryAdd(key, id))
                throw new InvalidDataException($"tokens {seen[key]} and {id} both become the piece '{Encoding.UTF8.GetString(pieces[id])}' in GGUF; llama.cpp needs unique pieces");
        }
        writer.Add("tokenizer.ggml.model", "llama");
        writer.Add("tokenizer.ggml.tokens", pieces);
        writer.Add("tokenizer.ggml.scores", scores);
        writer.Add("tokenizer.ggml.token_type", types);
        writer.Add("tokenizer.ggml.bos_token_id", (uint)Tokenizer.Bos);
        writer.Add("tokenizer.ggml.eos_token_id", (uint)Tokenizer.Eos);
        writer.Add("tokenizer.ggml.unknown_token_id", 0u);
        writer.Add("tokenizer.ggml.add_bos_token", true);
        writer.Add("tokenizer.ggml.add_eos_token", false);
    }

    private static bool IsBytePiece(ReadOnlySpan<byte> piece) =>
        piece.Length == 6 && piece.StartsWith("<0x"u8) && piece[5] == (byte)'>' && IsHexDigit(piece[3]) && IsHexDigit(piece[4]);

    private static bool IsHexDigit(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'A' and <= (byte)'F';

    private static float Gain(int q16) => q16 / 65536f;

    private static float[] Floats(QuantizedMatrix matrix)
    {
        var values = new float[(long)matrix.Rows * matrix.Cols];
        var row = new sbyte[matrix.Cols];
        for (int r = 0; r < matrix.Rows; r++)
        {
            double scale = matrix.Multipliers[r] * (double)FixedPoint.ActivationLevels / Math.Pow(2, FixedPoint.MultiplierShift);
            matrix.CopyRow(r, row);
            for (int col = 0; col < row.Length; col++) values[(long)r * matrix.Cols + col] = (float)(row[col] * scale);
        }
        return values;
    }
}
