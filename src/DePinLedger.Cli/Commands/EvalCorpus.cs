using System.Text.RegularExpressions;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Cli.Commands;

/// <summary>The token sequences <c>depin model eval</c> measures, read from a text file or a token file.</summary>
internal static partial class EvalCorpus
{
    /// <summary>
    /// Stories separated by blank lines, each trimmed, encoded with BOS and cut to <paramref name="contextLength"/> tokens.
    /// </summary>
    public static int[][] FromText(string text, Tokenizer tokenizer, int contextLength) =>
        [.. BlankLines().Split(text.ReplaceLineEndings("\n"))
            .Select(story => story.Trim())
            .Where(story => story.Length > 0)
            .Select(story => tokenizer.Encode(story, bos: true, eos: false).Take(contextLength).ToArray())];

    /// <summary>
    /// A JSON array of token-id arrays, each starting with BOS, at least 2 and at most <paramref name="contextLength"/>
    /// tokens long, every id inside the vocabulary.
    /// </summary>
    /// <exception cref="InvalidDataException">The file breaks one of these rules; the message says where.</exception>
    public static int[][] FromTokenFile(string path, int vocabSize, int contextLength)
    {
        int[]?[]? sequences;
        try
        {
            using FileStream stream = File.OpenRead(path);
            sequences = CliJson.Read<int[]?[]>(stream);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON array of arrays of token ids ({e.Message})", e);
        }
        if (sequences is null || sequences.Length == 0) throw new InvalidDataException($"{path}: holds no sequence");
        for (int s = 0; s < sequences.Length; s++)
        {
            int[] sequence = sequences[s] ?? throw new InvalidDataException($"{path}: sequence {s} is null");
            if (sequence.Length < 2) throw new InvalidDataException($"{path}: sequence {s} has {sequence.Length} token(s); each needs BOS and at least one more");
            if (sequence.Length > contextLength) throw new InvalidDataException($"{path}: sequence {s} has {sequence.Length} tokens, more than the context length {contextLength}");
            if (sequence[0] != Tokenizer.Bos) throw new InvalidDataException($"{path}: sequence {s} starts with {sequence[0]}, not BOS ({Tokenizer.Bos})");
            for (int t = 0; t < sequence.Length; t++)
                if ((uint)sequence[t] >= (uint)vocabSize)
                    throw new InvalidDataException($"{path}: sequence {s} token {t} is {sequence[t]}, outside the vocabulary 0..{vocabSize - 1}");
        }
        return sequences!;
    }

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex BlankLines();
}
