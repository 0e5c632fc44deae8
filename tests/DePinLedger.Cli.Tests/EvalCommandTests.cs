using System.Text.Json;
using DePinLedger.Inference.Import;

namespace DePinLedger.Cli.Tests;

/// <summary><c>depin model eval</c>: integer perplexity against the float32 reference, from text and from token ids.</summary>
public class EvalCommandTests
{
    private const string Stories = """
        Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.
        One day, she saw a big red ball under a tree. She ran to get it and laughed.

        Tom had a toy car. He liked to push it on the floor. His mom said, "Tom, it is time for bed."
        Tom put the car in his box and went to sleep.


        The sun was warm and the birds sang. A little cat sat by the window and watched them fly.
        """;

    [Fact]
    public void Eval_TextFile_IntegerPerplexityWithin3PercentOfFloat()
    {
        using var folder = new TempFolder();
        string text = folder.File("stories.txt");
        File.WriteAllText(text, Stories);

        CliResult eval = Cli.Run("model", "eval", "--model", Cli.Stories260K, "--text-file", text, "--threads", "2");

        Assert.Equal(0, eval.ExitCode);
        JsonElement json = eval.Json();
        double integer = json.GetProperty("perplexity").GetDouble(), reference = json.GetProperty("float_perplexity").GetDouble();
        Assert.True(double.IsFinite(integer) && integer > 1, $"perplexity {integer}");
        Assert.True(double.IsFinite(reference) && reference > 1, $"float perplexity {reference}");
        Assert.InRange(integer / reference, 0.97, 1.03);
        Assert.Equal(3, json.GetProperty("sequences").GetInt32());
        Assert.True(json.GetProperty("tokens").GetInt32() > 60);
    }

    [Fact]
    public void Eval_TokenFileOnAModelFile_CountsPredictedTokensAndExplainsTheMissingFloatReference()
    {
        using var folder = new TempFolder();
        var model = ModelImporter.ImportFiles(Cli.Stories260K, Path.Combine(Cli.ModelsDirectory, "tok512.bin"));
        string modelFile = folder.File("stories260K.dplm"), tokens = folder.File("tokens.json");
        Inference.Model.ModelFile.Write(model, modelFile);
        int[][] sequences = [.. Stories.Split("\n\n").Select(s => model.Tokenizer.Encode(s.Trim(), bos: true, eos: false))];
        File.WriteAllText(tokens, JsonSerializer.Serialize(sequences));

        CliResult eval = Cli.Run("model", "eval", "--model", modelFile, "--token-file", tokens);

        Assert.Equal(0, eval.ExitCode);
        JsonElement json = eval.Json();
        Assert.Equal(sequences.Sum(s => s.Length - 1), json.GetProperty("tokens").GetInt32());
        Assert.True(double.IsFinite(json.GetProperty("perplexity").GetDouble()));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("float_perplexity").ValueKind);
        Assert.StartsWith("unavailable", json.GetProperty("float_reference").GetString());
    }

    [Theory]
    [InlineData("[[1, 512]]", "sequence 0 token 1 is 512, outside the vocabulary 0..511")]
    [InlineData("[[1, 300], [5, 6]]", "sequence 1 starts with 5, not BOS (1)")]
    [InlineData("[[1]]", "sequence 0 has 1 token(s)")]
    [InlineData("[]", "holds no sequence")]
    [InlineData("{\"tokens\": [1, 2]}", "not a JSON array of arrays of token ids")]
    public void Eval_InvalidTokenFile_Fails(string content, string message)
    {
        using var folder = new TempFolder();
        string tokens = folder.File("tokens.json");
        File.WriteAllText(tokens, content);

        Cli.Run("model", "eval", "--model", Cli.Stories260K, "--token-file", tokens).AssertFailed(1, message);
    }

    [Fact]
    public void Eval_TokenFileLongerThanTheContext_Fails()
    {
        using var folder = new TempFolder();
        string tokens = folder.File("tokens.json");
        File.WriteAllText(tokens, JsonSerializer.Serialize(new[] { Enumerable.Repeat(300, 513).Prepend(1).ToArray() }));

        Cli.Run("model", "eval", "--model", Cli.Stories260K, "--token-file", tokens).AssertFailed(1, "more than the context length 512");
    }

    [Fact]
    public void Eval_NeitherInput_UsageError() =>
        Cli.Run("model", "eval", "--model", Cli.Stories260K).AssertFailed(2, "give exactly one of --text-file and --token-file");

    [Fact]
    public void Eval_BothInputs_UsageError() =>
        Cli.Run("model", "eval", "--model", Cli.Stories260K, "--text-file", Cli.Stories260K, "--token-file", Cli.Stories260K)
            .AssertFailed(2, "give exactly one of --text-file and --token-file");

    [Fact]
    public void Eval_MissingTextFile_UsageError() =>
        Cli.Run("model", "eval", "--model", Cli.Stories260K, "--text-file", "nowhere.txt").AssertFailed(2, "--text-file: file not found: nowhere.txt");
}
