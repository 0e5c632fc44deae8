using System.Buffers.Binary;

namespace DePinLedger.Inference.Tokenization;

/// <summary>
/// Reads llama2.c tokenizer files (<c>tokenizer.bin</c>, <c>tok512.bin</c>) into a <see cref="Tokenizer"/>,
/// turning the float merge scores into order-preserving integer keys. This is import code: the only place
/// of the tokenizer that touches floating point.
/// </summary>
/// <remarks>
/// Format, little-endian: int32 max_token_length; then for each of vocab_size tokens: float32 score,
/// int32 length, length bytes of piece. The file must hold exactly vocab_size tokens.
/// </remarks>
public static class TokenizerFile
{
    /// <summary>Upper bound on max_token_length accepted from a file.</summary>
    public const int MaxPieceBytes = 1 << 16;

    /// <summary>llama2.c's merge search starts at best_score = -1e10, so only merges scoring above it happen.</summary>
    public const float LlamaMergeScoreFloor = -1e10f;

    /// <summary>Reads a tokenizer file that must hold exactly <paramref name="vocabSize"/> tokens.</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the problem.</exception>
    public static Tokenizer Read(string path, int vocabSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        return Read(stream, vocabSize, path);
    }

    /// <summary>Reads a tokenizer from the rest of <paramref name="stream"/>, which must hold exactly <paramref name="vocabSize"/> tokens.</summary>
    public static Tokenizer Read(Stream stream, int vocabSize) => Read(stream, vocabSize, "tokenizer stream");

    /// <summary>
    /// Maps a float score to an int key with the same order: for any non-NaN a and b,
    /// a &lt; b ⇔ ScoreKey(a) &lt; ScoreKey(b), and a == b ⇔ ScoreKey(a) == ScoreKey(b). In particular -0.0 and
    /// 0.0, which compare equal as floats (and so tie in llama2.c's <c>&gt;</c> comparison), both get key 0, and
    /// adjacent floats get adjacent keys (float.Epsilon → 1, -float.Epsilon → -1).
    /// </summary>
    /// <remarks>
    /// The IEEE-754 bit pattern of a non-negative float grows with its value, and of a negative float shrinks
    /// with it. The textbook map (negative → flip all bits; non-negative → set the sign bit; then flip the top
    /// bit to get a signed int) is order-preserving but gives -0.0 the key -1 and 0.0 the key 0. This map is
    /// that one plus 1 for negative floats, which merges the two zeros: read the bits as sign-magnitude and
    /// return the two's-complement int, key = sign ? -magnitude : magnitude. ±infinity are ordinary keys
    /// (±0x7F800000).
    /// </remarks>
    public static int ScoreKey(float score)
    {
        if (float.IsNaN(score)) throw new ArgumentException("a NaN score has no order", nameof(score));
        uint bits = BitConverter.SingleToUInt32Bits(score);
        int magnitude = (int)(bits & 0x7FFF_FFFFu);
        return (bits & 0x8000_0000u) != 0 ? -magnitude : magnitude;
    }

    private static Tokenizer Read(Stream stream, int vocabSize, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, Tokenizer.Eos + 1);

        Span<byte> word = stackalloc byte[4];
        int maxTokenLength = ReadInt32(stream, word, source, "max_token_length");
        if (maxTokenLength <= 0 || maxTokenLength > MaxPieceBytes)
            throw new InvalidDataException($"{source}: max_token_length {maxTokenLength} is outside 1..{MaxPieceBytes}");

        var pieces = new byte[vocabSize][];
        var scores = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++)
        {
            if (!TryReadExactly(stream, word))
                throw new InvalidDataException($"{source}: holds only {id} tokens, the model's vocabulary has {vocabSize}");
            float score = BinaryPrimitives.ReadSingleLittleEndian(word);
            if (float.IsNaN(score)) throw new InvalidDataException($"{source}: token {id} has a NaN score");
            int length = ReadInt32(stream, word, source, $"the length of token {id}");
            if (length < 0 || length > maxTokenLength)
                throw new InvalidDataException($"{source}: token {id} has length {length}, outside 0..max_token_length {maxTokenLength}");
            var piece = new byte[length];
            if (!TryReadExactly(stream, piece))
                throw new InvalidDataException($"{source}: truncated inside the {length}-byte piece of token {id}");
            pieces[id] = piece;
            scores[id] = ScoreKey(score);
        }
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{source}: has data after token {vocabSize - 1}; it holds more tokens than the model's vocabulary of {vocabSize}");

        return new Tokenizer(pieces, scores, maxTokenLength, ScoreKey(LlamaMergeScoreFloor));
    }

    private static int ReadInt32(Stream stream, Span<byte> word, string source, string what)
    {
        if (!TryReadExactly(stream, word)) throw new InvalidDataException($"{source}: truncated before {what}");
        return BinaryPrimitives.ReadInt32LittleEndian(word);
    }

    private static bool TryReadExactly(Stream stream, Span<byte> buffer) =>
        stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
}
