using System.Text.Json;

namespace DePinLedger.Cli.Tests;

/// <summary><c>depin infer</c> on the reference model: output, determinism and every rejected input.</summary>
public class InferCommandTests
{
    private const string Prompt = "Once upon a time";
    private const string Golden = "Once upon a time, there was a little girl named Lily";

    [Fact]
    public void Infer_JsonGreedyOnStories260K_PrintsTheGoldenTextAndEveryField()
    {
        CliResult result = Cli.Run("infer", "--model", "stories260K", "--prompt", Prompt, "--max-tokens", "48", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        JsonElement json = result.Json();
        Assert.StartsWith(Golden, json.GetProperty("text").GetString());
        Assert.Equal(5, json.GetProperty("prompt_tokens").GetInt32()); // BOS, "Once", " upon", " a", " time"
        Assert.Equal(48, json.GetProperty("tokens").GetInt32());
        Assert.Equal("max_tokens", json.GetProperty("stop_reason").GetString());
        foreach (string hash in new[] { "model_id", "trace_root", "output_hash" })
            Assert.Matches("^0x[0-9a-f]{64}$", json.GetProperty(hash).GetString());
        Assert.True(json.GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.True(json.GetProperty("prefill_ms").GetDouble() >= 0);
        Assert.True(json.GetProperty("leaves").GetInt32() > 0);
        Assert.Equal(0, json.GetProperty("temperature_milli").GetInt32());
    }

    [Theory]
    [InlineData("0", "1")]
    [InlineData("0.8", "1")]
    [InlineData("0.8", "2")]
    public void Infer_SameRunTwice_SameTraceRootAndText(string temperature, string threads)
    {
        string[] args = ["infer", "--model", Cli.Stories260K, "--prompt", Prompt, "--max-tokens", "24", "--temperature", temperature,
            "--seed", "7", "--threads", threads, "--json"];
        JsonElement first = Cli.Run(args).Json(), second = Cli.Run(args).Json();

        Assert.Equal(first.GetProperty("trace_root").GetString(), second.GetProperty("trace_root").GetString());
        Assert.Equal(first.GetProperty("output_hash").GetString(), second.GetProperty("output_hash").GetString());
        Assert.Equal(first.GetProperty("text").GetString(), second.GetProperty("text").GetString());
    }

    [Fact]
    public void Infer_Streaming_PrintsTheTextTheJsonReports()
    {
        string[] args = ["infer", "--model", Cli.Stories260K, "--prompt", Prompt, "--max-tokens", "40"];
        CliResult streamed = Cli.Run(args);
        JsonElement json = Cli.Run([.. args, "--json"]).Json();

        Assert.Equal(0, streamed.ExitCode);
        Assert.Equal(json.GetProperty("text").GetString() + "\n", streamed.Out);
        Assert.Contains(json.GetProperty("trace_root").GetString()!, streamed.Error);
    }

    [Theory]
    [InlineData("--prompt", "", 2, "--prompt must not be empty")]
    [InlineData("--temperature", "-0.5", 2, "--temperature must be between 0 and 2.0, got -0.5")]
    [InlineData("--temperature", "2.5", 2, "--temperature must be between 0 and 2.0")]
    [InlineData("--temperature", "hot", 2, "--temperature expects a number, got 'hot'")]
    [InlineData("--top-p", "0", 2, "--top-p must be in (0, 1], got 0")]
    [InlineData("--top-p", "1.5", 2, "--top-p must be in (0, 1]")]
    [InlineData("--top-p", "0.0004", 2, "rounds to 0 thousandths")]
    [InlineData("--threads", "0", 2, "--threads must be at least 1, got 0")]
    [InlineData("--max-tokens", "0", 2, "--max-tokens must be at least 1, got 0")]
    [InlineData("--max-tokens", "many", 2, "--max-tokens expects a whole number, got 'many'")]
    [InlineData("--seed", "-1", 2, "--seed expects a whole number")]
    public void Infer_BadOption_OneErrorLineAndExitCode(string option, string value, int exitCode, string message)
    {
        var args = new Dictionary<string, string> { ["--model"] = Cli.Stories260K, ["--prompt"] = Prompt };
        args[option] = value;

        Cli.Run(["infer", .. args.SelectMany(a => new[] { a.Key, a.Value })]).AssertFailed(exitCode, message);
    }

    [Fact]
    public void Infer_PromptLongerThanTheContext_UsageError() =>
        Cli.Run("infer", "--model", Cli.Stories260K, "--prompt", string.Join(' ', Enumerable.Repeat("Lily", 600)))
            .AssertFailed(2, "more than the model's context of 512");

    [Fact]
    public void Infer_MissingModelOption_UsageError() =>
        Cli.Run("infer", "--prompt", Prompt).AssertFailed(2, "option '--model' is required; see 'depin infer --help'");

    [Fact]
    public void Infer_MissingModelFile_Fails() =>
        Cli.Run("infer", "--model", "no/such/model.bin", "--prompt", Prompt).AssertFailed(1, "model file not found: no/such/model.bin");

    [Fact]
    public void Infer_UnknownModelName_FailsListingKnownNames() =>
        Cli.Run("infer", "--model", "stories9000K", "--prompt", Prompt).AssertFailed(1, "unknown model 'stories9000K'");

    [Fact]
    public void Infer_CorruptModelFile_FailsWithTheReadersMessage()
    {
        using var folder = new TempFolder();
        string path = folder.File("corrupt.dplm");
        File.WriteAllBytes(path, [.. "DPLM"u8, 0, 0, 0, 1, 0, 0, 0, 8, 1, 2, 3]);

        Cli.Run("infer", "--model", path, "--prompt", Prompt).AssertFailed(1, path);
    }

    [Fact]
    public void Infer_FileThatIsNoModel_Fails()
    {
        using var folder = new TempFolder();
        string path = folder.File("notes.bin");
        File.WriteAllText(path, "these are not the weights you are looking for");

        Cli.Run("infer", "--model", path, "--prompt", Prompt).AssertFailed(1, "neither a DePinLedger model file");
    }
}
