using System.Buffers;
using System.Text;

namespace DePinLedger.Inference.Tokenization;

/// <summary>
/// The llama2.c BPE tokenizer (<c>run.c</c> <c>encode</c>/<c>decode</c>), integer-only: merge priorities are
/// order-preserving integer keys (see <see cref="TokenizerFile.ScoreKey"/>), never floats.
/// </summary>
/// <remarks>
/// Encoding gives exactly the ids llama2.c gives. llama2.c rescans every adjacent pair after each merge
/// (quadratic); this implementation keeps the candidate pairs in a priority queue ordered by (score
/// descending, position ascending) and so picks the same merge each round: the highest score, the
/// leftmost pair on ties, as llama2.c's strict <c>&gt;</c> does.
/// Differences from llama2.c, none of which affect real vocabularies: text is taken whole (C stops at a
/// NUL character; here NUL is byte-fallback token 3), a piece that occurs twice resolves to its lowest
/// id (llama2.c's bsearch picks either), and a missing " " piece or byte-fallback token is an error
/// instead of undefined behaviour.
/// Instances are immutable and thread-safe.
/// </remarks>
public sealed class Tokenizer
{
    public const int Bos = 1;
    public const int Eos = 2;

    /// <summary>Byte-fallback tokens: raw byte b is token b + 3 (after unk, BOS, EOS).</summary>
    public const int ByteFallbackOffset = 3;

    private readonly byte[][] _pieces;
    private readonly int[] _scores;
    private readonly Dictionary<byte[], int> _ids;
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly int _spaceId;       // the dummy-prefix piece " ", or -1
    private readonly int[] _rawByte;     // per token: the byte of a "<0xHH>" piece, or -1
    private readonly int _longestPiece;

    /// <summary>Builds a tokenizer with no merge floor and <see cref="MaxTokenLength"/> = the longest piece.</summary>
    public Tokenizer(IReadOnlyList<byte[]> pieces, IReadOnlyList<int> scores)
        : this(pieces, scores, maxTokenLength: null, mergeScoreFloor: int.MinValue)
    {
    }

    /// <summary>
    /// Builds a tokenizer. A pair is merged only when its merged piece's score is strictly above
    /// <paramref name="mergeScoreFloor"/> (llama2.c starts its search at -1e10; <see cref="TokenizerFile"/>
    /// passes that value's key). <paramref name="maxTokenLength"/>, when given, must be at least the longest piece.
    /// </summary>
    public Tokenizer(IReadOnlyList<byte[]> pieces, IReadOnlyList<int> scores, int? maxTokenLength, int mergeScoreFloor)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(scores);
        if (pieces.Count != scores.Count)
            throw new ArgumentException($"{pieces.Count} pieces but {scores.Count} scores", nameof(scores));
        if (pieces.Count <= Eos)
            throw new ArgumentException($"a vocabulary needs at least {Eos + 1} tokens (unk, BOS, EOS), got {pieces.Count}", nameof(pieces));

        _pieces = new byte[pieces.Count][];
        _scores = new int[pieces.Count];
        _rawByte = new int[pieces.Count];
        _ids = new Dictionary<byte[], int>(pieces.Count, ByteSequenceComparer.Instance);
        int longest = 0;
        for (int id = 0; id < pieces.Count; id++)
        {
            var piece = pieces[id] ?? throw new ArgumentException($"piece {id} is null", nameof(pieces));
            _pieces[id] = (byte[])piece.Clone();
            _scores[id] = scores[id];
            _rawByte[id] = ParseRawByte(piece);
            _ids.TryAdd(_pieces[id], id); // the lowest id wins for a duplicated piece
            longest = Math.Max(longest, piece.Length);
        }
        if (maxTokenLength is int max && max < longest)
            throw new ArgumentOutOfRangeException(nameof(maxTokenLength), max, $"a piece is {longest} bytes long");

        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<byte>>();
        _spaceId = _lookup.TryGetValue(" "u8, out int space) ? space : -1;
        _longestPiece = longest;
        MaxTokenLength = maxTokenLength ?? longest;
        MergeScoreFloor = mergeScoreFloor;
        Pieces = Array.AsReadOnly(_pieces);
        Scores = Array.AsReadOnly(_scores);
    }

    public int VocabSize => _pieces.Length;

    /// <summary>The token pieces as raw bytes (not necessarily valid UTF-8). Do not modify the arrays.</summary>
    public IReadOnlyList<byte[]> Pieces { get; }

    /// <summary>Merge priorities: a higher key merges earlier.</summary>
    public IReadOnlyList<int> Scores { get; }

    /// <summary>The longest piece in bytes (as stated by the tokenizer file, when read from one).</summary>
    public int MaxTokenLength { get; }

    /// <summary>A merge is taken only when its score is strictly greater than this key.</summary>
    public int MergeScoreFloor { get; }

    /// <summary>Looks a piece up by its exact bytes; -1 when it is not in the vocabulary.</summary>
    public int Lookup(ReadOnlySpan<byte> piece) => _lookup.TryGetValue(piece, out int id) ? id : -1;

    /// <summary>Encodes text exactly as llama2.c <c>encode(text, bos, eos)</c> does.</summary>
    public int[] Encode(string text, bool bos, bool eos)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeUtf8(Encoding.UTF8.GetBytes(text), bos, eos);
    }

    /// <summary>Encodes UTF-8 bytes exactly as llama2.c <c>encode</c> does (the bytes need not be valid UTF-8).</summary>
    public int[] EncodeUtf8(ReadOnlySpan<byte> text, bool bos, bool eos)
    {
        var tokens = new List<int>(text.Length + 3);
        if (bos) tokens.Add(Bos);

        // The dummy prefix: sentencepiece's add_dummy_prefix puts a space before non-empty text.
        if (!text.IsEmpty)
        {
            if (_spaceId < 0) throw new InvalidOperationException("the vocabulary has no \" \" piece, which llama2.c needs as the dummy prefix");
            tokens.Add(_spaceId);
        }

        // One token per codepoint: a byte plus the continuation bytes (10xxxxxx) after it, at most 4 bytes;
        // a codepoint not in the vocabulary becomes one byte-fallback token per byte.
        for (int start = 0; start < text.Length;)
        {
            int length = 1;
            while (length < 4 && start + length < text.Length && (text[start + length] & 0xC0) == 0x80) length++;
            var codepoint = text.Slice(start, length);
            int id = Lookup(codepoint);
            if (id >= 0)
            {
                tokens.Add(id);
            }
            else
            {
                foreach (byte b in codepoint)
                {
                    int fallback = b + ByteFallbackOffset;
                    if (fallback >= VocabSize)
                        throw new ArgumentException($"byte 0x{b:X2} has no piece and its byte-fallback token {fallback} is outside the vocabulary of {VocabSize}", nameof(text));
                    tokens.Add(fallback);
                }
            }
            start += length;
        }

        Merge(tokens);
        if (eos) tokens.Add(Eos);
        return [.. tokens];
    }

    /// <summary>
    /// The bytes of <paramref name="token"/> following <paramref name="previousToken"/> (llama2.c <c>decode</c>):
    /// its piece, without a leading space when the previous token is BOS, and a "&lt;0xHH&gt;" piece as that one
    /// raw byte. BOS and EOS give their own pieces. <paramref name="previousToken"/> may be any value; only
    /// whether it equals <see cref="Bos"/> matters.
    /// </summary>
    public byte[] DecodeBytes(int previousToken, int token) => DecodeSpan(previousToken, token).ToArray();

    /// <summary>
    /// <see cref="DecodeBytes"/> as a string. A lone raw byte that is not complete UTF-8 becomes U+FFFD; to
    /// stream text, assemble <see cref="DecodeBytes"/> output (or use <see cref="DecodeAll"/>).
    /// </summary>
    public string Decode(int previousToken, int token) => Encoding.UTF8.GetString(DecodeSpan(previousToken, token));

    /// <summary>
    /// Decodes a whole sequence into text: the UTF-8 bytes of every token joined, then decoded once (so
    /// byte-fallback sequences form their characters). BOS and EOS are markers and produce no text; the start
    /// of the sequence counts as following BOS, so the dummy-prefix space is dropped and
    /// <c>DecodeAll(Encode(text, …)) == text</c> for any text without unpaired surrogates.
    /// </summary>
    public string DecodeAll(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var bytes = new ArrayBufferWriter<byte>();
        int previous = Bos;
        foreach (int token in tokens)
        {
            if (token is not (Bos or Eos))
            {
                var piece = DecodeSpan(previous, token);
                piece.CopyTo(bytes.GetSpan(piece.Length));
                bytes.Advance(piece.Length);
            }
            else
            {
                CheckToken(token);
            }
            previous = token;
        }
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    private ReadOnlySpan<byte> DecodeSpan(int previousToken, int token)
    {
        CheckToken(token);
        if (_rawByte[token] >= 0) return RawBytes.Slice(_rawByte[token], 1);
        ReadOnlySpan<byte> piece = _pieces[token];
        // After BOS, sentencepiece strips the leading space.
        if (previousToken == Bos && !piece.IsEmpty && piece[0] == (byte)' ') piece = piece[1..];
        return piece;
    }

    private void CheckToken(int token)
    {
        if ((uint)token >= (uint)_pieces.Length)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token ids are 0..{_pieces.Length - 1}");
    }

    // All 256 byte values, so that a raw-byte piece decodes to a slice without allocating.
    private static ReadOnlySpan<byte> RawBytes => AllBytes;
    private static readonly byte[] AllBytes = [.. Enumerable.Range(0, 256).Select(b => (byte)b)];

    // "<0xHH>" with two hex digits (either case) → HH; anything else → -1. (Stricter than llama2.c's
    // sscanf("<0x%02hhX>"), which also accepts one digit or a missing '>'; no real vocabulary has such pieces.)
    private static int ParseRawByte(ReadOnlySpan<byte> piece)
    {
        if (piece.Length != 6 || !piece.StartsWith("<0x"u8) || piece[5] != (byte)'>') return -1;
        int hi = HexDigit(piece[3]), lo = HexDigit(piece[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static int HexDigit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    // BPE merging, in place. The sequence is a linked list over the original slots; every adjacent pair whose
    // concatenation is a piece scoring above the floor is a candidate in a queue ordered by (score desc,
    // left slot asc). Slot order equals list order, so the queue head is the pair llama2.c's scan picks.
    // A candidate goes stale when either slot changes; a version per slot detects that.
    private void Merge(List<int> tokens)
    {
        int n = tokens.Count;
        if (n < 2) return;
        int[] ids = [.. tokens];
        int[] next = new int[n], prev = new int[n], version = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        var queue = new PriorityQueue<Candidate, Candidate>(n, CandidateOrder.Instance);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(2 * _longestPiece + 1); // holds any two pieces
        try
        {
            void Offer(int left)
            {
                if (left < 0 || next[left] < 0) return;
                int right = next[left];
                var a = _pieces[ids[left]];
                var b = _pieces[ids[right]];
                a.CopyTo(scratch, 0);
                b.CopyTo(scratch, a.Length);
                if (_lookup.TryGetValue(scratch.AsSpan(0, a.Length + b.Length), out int merged) && _scores[merged] > MergeScoreFloor)
                {
                    var candidate = new Candidate(_scores[merged], left, right, merged, version[left], version[right]);
                    queue.Enqueue(candidate, candidate);
                }
            }

            for (int i = 0; i + 1 < n; i++) Offer(i);
            while (queue.TryDequeue(out var c, out _))
            {
                if (version[c.Left] != c.LeftVersion || version[c.Right] != c.RightVersion) continue;
                // Merge right into left.
                ids[c.Left] = c.Merged;
                next[c.Left] = next[c.Right];
                if (next[c.Right] >= 0) prev[next[c.Right]] = c.Left;
                version[c.Left]++;
                version[c.Right]++;
                Offer(prev[c.Left]);
                Offer(c.Left);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }

        tokens.Clear();
        for (int i = 0; i >= 0; i = next[i]) tokens.Add(ids[i]);
    }

    private readonly record struct Candidate(int Score, int Left, int Right, int Merged, int LeftVersion, int RightVersion);

    private sealed class CandidateOrder : IComparer<Candidate>
    {
        public static readonly CandidateOrder Instance = new();

        public int Compare(Candidate x, Candidate y)
        {
            int byScore = y.Score.CompareTo(x.Score); // higher score first
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }

    private sealed class ByteSequenceComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteSequenceComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
