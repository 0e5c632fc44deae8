using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DePinLedger.Inference.Import;

/// <summary>
/// Shape of a Llama model as stored in a llama2.c checkpoint header. <see cref="VocabSize"/> is always
/// positive here; whether the classifier is tied to the embedding is <see cref="SharedClassifier"/>.
/// </summary>
public sealed record LlamaConfig(int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SeqLen, bool SharedClassifier)
{
    /// <summary>Width of one attention head.</summary>
    public int HeadSize => Dim / Heads;

    /// <summary>Width of the key/value projections (all KV heads together).</summary>
    public int KvDim => Dim * KvHeads / Heads;

    // Limits on the header, so that a corrupt or hostile file is rejected before anything is allocated.
    public const int MaxDim = 65536;
    public const int MaxHiddenDim = 262144;
    public const int MaxLayers = 1024;
    public const int MaxVocabSize = 1_000_000;
    public const int MaxSeqLen = 1_048_576;
    public const long MaxFileBytes = 64L << 30;

    /// <summary>The header in llama2.c's terms, e.g. "dim 64, hidden_dim 172, n_layers 5, …".</summary>
    public override string ToString() =>
        $"dim {Dim}, hidden_dim {HiddenDim}, n_layers {Layers}, n_heads {Heads}, n_kv_heads {KvHeads}, " +
        $"vocab_size {VocabSize} ({(SharedClassifier ? "shared" : "separate")} classifier), seq_len {SeqLen}";

    /// <summary>Describes what is wrong with this shape, or returns null when it is a usable model.</summary>
    public string? FindProblem()
    {
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || VocabSize <= 0 || SeqLen <= 0)
            return $"every dimension must be positive (dim {Dim}, hidden_dim {HiddenDim}, n_layers {Layers}, n_heads {Heads}, n_kv_heads {KvHeads}, vocab_size {VocabSize}, seq_len {SeqLen})";
        if (Dim > MaxDim) return $"dim {Dim} exceeds {MaxDim}";
        if (HiddenDim > MaxHiddenDim) return $"hidden_dim {HiddenDim} exceeds {MaxHiddenDim}";
        if (Layers > MaxLayers) return $"n_layers {Layers} exceeds {MaxLayers}";
        if (VocabSize > MaxVocabSize) return $"vocab_size {VocabSize} exceeds {MaxVocabSize}";
        if (SeqLen > MaxSeqLen) return $"seq_len {SeqLen} exceeds {MaxSeqLen}";
        if (Dim % Heads != 0) return $"dim {Dim} is not divisible by n_heads {Heads}";
        if (Heads % KvHeads != 0) return $"n_heads {Heads} is not divisible by n_kv_heads {KvHeads}";
        if (HeadSize % 2 != 0) return $"head size {HeadSize} (dim / n_heads) is odd; RoPE rotates pairs";
        long bytes = LlamaCheckpoint.FileSize(this);
        if (bytes > MaxFileBytes) return $"the header implies {bytes} bytes of checkpoint, over the {MaxFileBytes >> 30} GiB limit";
        return null;
    }
}

/// <summary>
/// A llama2.c float32 checkpoint held in memory. All matrices are row-major with rows = output
/// features, exactly as llama2.c stores them; per-layer tensors are concatenated over layers.
/// </summary>
/// <remarks>
/// File layout (llama2.c <c>memory_map_weights</c>), all little-endian, as a sequence of offsets:
/// <code>
/// 0                      7 × int32 header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
///                        (vocab_size &lt; 0: the classifier is NOT shared and follows at the end)
/// 28                     token_embedding  float32[vocab, dim]
/// + 4·vocab·dim          rms_att          float32[layers, dim]
/// + 4·layers·dim         wq               float32[layers, dim, dim]
/// + 4·layers·dim·dim     wk               float32[layers, kv_dim, dim]
/// + 4·layers·kv_dim·dim  wv               float32[layers, kv_dim, dim]
/// + 4·layers·kv_dim·dim  wo               float32[layers, dim, dim]
/// + 4·layers·dim·dim     rms_ffn          float32[layers, dim]
/// + 4·layers·dim         w1               float32[layers, hidden, dim]
/// + 4·layers·hidden·dim  w2               float32[layers, dim, hidden]
/// + 4·layers·dim·hidden  w3               float32[layers, hidden, dim]
/// + 4·layers·hidden·dim  rms_final        float32[dim]
/// + 4·dim                freq_cis_real    float32[seq_len · head_size / 2]   (legacy, skipped)
/// + 2·seq_len·head_size  freq_cis_imag    float32[seq_len · head_size / 2]   (legacy, skipped)
/// + 2·seq_len·head_size  wcls             float32[vocab, dim]                 (only when not shared)
/// </code>
/// </remarks>
public sealed class LlamaCheckpoint
{
    public const int HeaderBytes = 7 * sizeof(int);

    public LlamaConfig Config { get; }

    /// <summary>[vocab, dim]</summary>
    public float[] TokenEmbedding { get; }
    /// <summary>[layers, dim]</summary>
    public float[] RmsAtt { get; }
    /// <summary>[layers, dim, dim]</summary>
    public float[] Wq { get; }
    /// <summary>[layers, kvDim, dim]</summary>
    public float[] Wk { get; }
    /// <summary>[layers, kvDim, dim]</summary>
    public float[] Wv { get; }
    /// <summary>[layers, dim, dim]</summary>
    public float[] Wo { get; }
    /// <summary>[layers, dim]</summary>
    public float[] RmsFfn { get; }
    /// <summary>[layers, hidden, dim]</summary>
    public float[] W1 { get; }
    /// <summary>[layers, dim, hidden]</summary>
    public float[] W2 { get; }
    /// <summary>[layers, hidden, dim]</summary>
    public float[] W3 { get; }
    /// <summary>[dim]</summary>
    public float[] RmsFinal { get; }
    /// <summary>[vocab, dim]; the same array as <see cref="TokenEmbedding"/> when the classifier is shared.</summary>
    public float[] Classifier { get; }

    /// <summary>
    /// Builds a checkpoint from arrays (for synthetic models). Lengths must match <paramref name="config"/>
    /// and every weight must be finite. When <see cref="LlamaConfig.SharedClassifier"/> is set,
    /// <paramref name="classifier"/> must be null or the <paramref name="tokenEmbedding"/> array itself.
    /// The arrays are used as given, not copied.
    /// </summary>
    public LlamaCheckpoint(
        LlamaConfig config, float[] tokenEmbedding, float[] rmsAtt, float[] wq, float[] wk, float[] wv, float[] wo,
        float[] rmsFfn, float[] w1, float[] w2, float[] w3, float[] rmsFinal, float[]? classifier)
        : this(config, tokenEmbedding, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, classifier, checkFinite: true)
    {
    }

    private LlamaCheckpoint(
        LlamaConfig config, float[] tokenEmbedding, float[] rmsAtt, float[] wq, float[] wk, float[] wv, float[] wo,
        float[] rmsFfn, float[] w1, float[] w2, float[] w3, float[] rmsFinal, float[]? classifier, bool checkFinite)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.FindProblem() is { } problem) throw new ArgumentException($"invalid model shape: {problem}", nameof(config));
        if (config.SharedClassifier)
        {
            if (classifier is not null && !ReferenceEquals(classifier, tokenEmbedding))
                throw new ArgumentException("the config says the classifier is shared, so it must be null or the token embedding array", nameof(classifier));
            classifier = tokenEmbedding;
        }
        else if (classifier is null)
        {
            throw new ArgumentException("the config says the classifier is not shared, so it must be given", nameof(classifier));
        }

        Config = config;
        TokenEmbedding = tokenEmbedding;
        RmsAtt = rmsAtt;
        Wq = wq;
        Wk = wk;
        Wv = wv;
        Wo = wo;
        RmsFfn = rmsFfn;
        W1 = w1;
        W2 = w2;
        W3 = w3;
        RmsFinal = rmsFinal;
        Classifier = classifier;

        foreach (var (name, array, expected) in Tensors())
        {
            if (array is null) throw new ArgumentNullException(name);
            if (array.Length != expected) throw new ArgumentException($"{name} has {array.Length} elements, the config needs {expected}", name);
            bool sharedCopy = name == nameof(Classifier) && config.SharedClassifier;
            if (checkFinite && !sharedCopy && FirstNonFinite(array) is int index)
                throw new ArgumentException($"{name}[{index}] is {array[index]}; weights must be finite", name);
        }
    }

    /// <summary>Exact size in bytes of the llama2.c file for <paramref name="config"/>, freq_cis tables included.</summary>
    public static long FileSize(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long floats = 0;
        foreach (var (_, count) in Layout(config)) floats += count;
        floats += 2 * FreqCisFloats(config);
        return HeaderBytes + floats * sizeof(float);
    }

    /// <summary>Reads and validates a llama2.c checkpoint file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint; the message names the file and the problem.</exception>
    public static LlamaCheckpoint Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return Read(stream, stream.Length, path);
    }

    /// <summary>Reads and validates a checkpoint of exactly <paramref name="length"/> bytes from the stream's current position.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid checkpoint.</exception>
    public static LlamaCheckpoint Read(Stream stream, long length) => Read(stream, length, "checkpoint stream");

    /// <summary>Writes this checkpoint in the llama2.c format (legacy freq_cis tables as zeros); <see cref="Read(string)"/> reads it back.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var c = Config;
        Span<byte> header = stackalloc byte[HeaderBytes];
        int[] fields = [c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.SharedClassifier ? c.VocabSize : -c.VocabSize, c.SeqLen];
        for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header[(4 * i)..], fields[i]);
        stream.Write(header);
        foreach (var (name, array, _) in Tensors())
            if (name != nameof(Classifier)) WriteFloats(stream, array);
        var zeros = new byte[1 << 16];
        for (long left = 2 * FreqCisFloats(c) * sizeof(float); left > 0; left -= zeros.Length)
            stream.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        if (!c.SharedClassifier) WriteFloats(stream, Classifier);
    }

    private static LlamaCheckpoint Read(Stream stream, long length, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length < HeaderBytes)
            throw new InvalidDataException($"{source}: {length} bytes is shorter than the {HeaderBytes}-byte llama2.c header");

        Span<byte> header = stackalloc byte[HeaderBytes];
        ReadExactly(stream, header, source);
        Span<int> h = stackalloc int[7];
        for (int i = 0; i < 7; i++) h[i] = BinaryPrimitives.ReadInt32LittleEndian(header[(4 * i)..]);
        int vocab = h[5];
        if (vocab == int.MinValue) throw new InvalidDataException($"{source}: absurd header: vocab_size {vocab}");
        var config = new LlamaConfig(h[0], h[1], h[2], h[3], h[4], Math.Abs(vocab), h[6], SharedClassifier: vocab > 0);
        if (config.FindProblem() is { } problem) throw new InvalidDataException($"{source}: absurd header: {problem}");

        long expected = FileSize(config);
        if (length != expected)
        {
            string what = length < expected ? "truncated" : "has trailing bytes";
            throw new InvalidDataException($"{source}: {what}: {length} bytes, but the header ({config}) implies exactly {expected}");
        }

        var tensors = new Dictionary<string, float[]>();
        foreach (var (name, count) in Layout(config))
        {
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{source}: tensor {name} has {count} elements, more than one array can hold");
            if (name == nameof(Classifier)) Skip(stream, 2 * FreqCisFloats(config) * sizeof(float), source);
            var array = GC.AllocateUninitializedArray<float>((int)count);
            ReadFloats(stream, array, source);
            if (FirstNonFinite(array) is int index)
                throw new InvalidDataException($"{source}: tensor {name} holds a non-finite weight {array[index]} at index {index}");
            tensors[name] = array;
        }
        if (config.SharedClassifier) Skip(stream, 2 * FreqCisFloats(config) * sizeof(float), source);

        return new LlamaCheckpoint(
            config, tensors[nameof(TokenEmbedding)], tensors[nameof(RmsAtt)], tensors[nameof(Wq)], tensors[nameof(Wk)],
            tensors[nameof(Wv)], tensors[nameof(Wo)], tensors[nameof(RmsFfn)], tensors[nameof(W1)], tensors[nameof(W2)],
            tensors[nameof(W3)], tensors[nameof(RmsFinal)], config.SharedClassifier ? null : tensors[nameof(Classifier)],
            checkFinite: false); // already checked above, with the file's name in the message
    }

    // The tensors in file order with their element counts; the classifier only when not shared.
    private static IEnumerable<(string Name, long Count)> Layout(LlamaConfig c)
    {
        long layers = c.Layers, dim = c.Dim, kvDim = c.KvDim, hidden = c.HiddenDim, vocab = c.VocabSize;
        yield return (nameof(TokenEmbedding), vocab * dim);
        yield return (nameof(RmsAtt), layers * dim);
        yield return (nameof(Wq), layers * dim * dim);
        yield return (nameof(Wk), layers * kvDim * dim);
        yield return (nameof(Wv), layers * kvDim * dim);
        yield return (nameof(Wo), layers * dim * dim);
        yield return (nameof(RmsFfn), layers * dim);
        yield return (nameof(W1), layers * hidden * dim);
        yield return (nameof(W2), layers * dim * hidden);
        yield return (nameof(W3), layers * hidden * dim);
        yield return (nameof(RmsFinal), dim);
        if (!c.SharedClassifier) yield return (nameof(Classifier), vocab * dim);
    }

    // Floats in ONE legacy freq_cis table (real or imaginary), exactly as llama2.c skips them.
    private static long FreqCisFloats(LlamaConfig c) => (long)c.SeqLen * c.HeadSize / 2;

    // The tensors of this instance with their expected lengths, in file order (classifier last).
    private IEnumerable<(string Name, float[] Array, long Expected)> Tensors()
    {
        var c = Config;
        var layout = Layout(c with { SharedClassifier = false }).ToDictionary(t => t.Name, t => t.Count);
        yield return (nameof(TokenEmbedding), TokenEmbedding, layout[nameof(TokenEmbedding)]);
        yield return (nameof(RmsAtt), RmsAtt, layout[nameof(RmsAtt)]);
        yield return (nameof(Wq), Wq, layout[nameof(Wq)]);
        yield return (nameof(Wk), Wk, layout[nameof(Wk)]);
        yield return (nameof(Wv), Wv, layout[nameof(Wv)]);
        yield return (nameof(Wo), Wo, layout[nameof(Wo)]);
        yield return (nameof(RmsFfn), RmsFfn, layout[nameof(RmsFfn)]);
        yield return (nameof(W1), W1, layout[nameof(W1)]);
        yield return (nameof(W2), W2, layout[nameof(W2)]);
        yield return (nameof(W3), W3, layout[nameof(W3)]);
        yield return (nameof(RmsFinal), RmsFinal, layout[nameof(RmsFinal)]);
        yield return (nameof(Classifier), Classifier, layout[nameof(Classifier)]);
    }

    private static int? FirstNonFinite(float[] array)
    {
        // Exponent all ones means NaN or ±infinity; comparing bits keeps this one fast pass over the data.
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(array.AsSpan());
        for (int i = 0; i < bits.Length; i++)
            if ((bits[i] & 0x7F80_0000u) == 0x7F80_0000u) return i;
        return null;
    }

    // Chunked so that the byte view of a chunk never exceeds int.MaxValue.
    private const int ChunkFloats = 1 << 22;

    private static void ReadFloats(Stream stream, float[] array, string source)
    {
        for (int offset = 0; offset < array.Length; offset += ChunkFloats)
        {
            var chunk = array.AsSpan(offset, Math.Min(ChunkFloats, array.Length - offset));
            ReadExactly(stream, MemoryMarshal.AsBytes(chunk), source);
            if (!BitConverter.IsLittleEndian)
            {
                var words = MemoryMarshal.Cast<float, int>(chunk);
                BinaryPrimitives.ReverseEndianness(words, words);
            }
        }
    }

    private static void WriteFloats(Stream stream, float[] array)
    {
        if (BitConverter.IsLittleEndian)
        {
            for (int offset = 0; offset < array.Length; offset += ChunkFloats)
                stream.Write(MemoryMarshal.AsBytes(array.AsSpan(offset, Math.Min(ChunkFloats, array.Length - offset))));
            return;
        }
        var buffer = new int[Math.Min(ChunkFloats, array.Length)];
        for (int offset = 0; offset < array.Length; offset += buffer.Length)
        {
            var words = MemoryMarshal.Cast<float, int>(array.AsSpan(offset, Math.Min(buffer.Length, array.Length - offset)));
            BinaryPrimitives.ReverseEndianness(words, buffer.AsSpan(0, words.Length));
            stream.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, words.Length)));
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source}: truncated: the data ended before the stated length", e);
        }
    }

    private static void Skip(Stream stream, long bytes, string source)
    {
        if (stream.CanSeek)
        {
            if (stream.Position + bytes > stream.Length) throw new InvalidDataException($"{source}: truncated: the data ended before the stated length");
            stream.Seek(bytes, SeekOrigin.Current);
            return;
        }
        var scratch = new byte[(int)Math.Min(bytes, 1 << 16)];
        for (long left = bytes; left > 0; left -= scratch.Length)
            ReadExactly(stream, scratch.AsSpan(0, (int)Math.Min(left, scratch.Length)), source);
    }
}
