using System.Text.Json;

namespace DePinLedger.Cli.Tests;

/// <summary><c>depin model import | info | synth</c>.</summary>
public class ModelCommandsTests
{
    [Fact]
    public void Import_ThenInfo_SameModelIdAndWeightsRoot()
    {
        using var folder = new TempFolder();
        string output = folder.File("stories260K.dplm");

        CliResult import = Cli.Run("model", "import", "--checkpoint", Cli.Stories260K, "--tokenizer", Path.Combine(Cli.ModelsDirectory, "tok512.bin"),
            "--out", output, "--json");
        CliResult info = Cli.Run("model", "info", output, "--json");

        Assert.Equal(0, import.ExitCode);
        Assert.Equal(0, info.ExitCode);
        JsonElement imported = import.Json(), described = info.Json();
        Assert.Matches("^0x[0-9a-f]{64}$", imported.GetProperty("model_id").GetString());
        Assert.Equal(imported.GetProperty("model_id").GetString(), described.GetProperty("model_id").GetString());
        Assert.Equal(imported.GetProperty("weights_root").GetString(), described.GetProperty("weights_root").GetString());
        Assert.Equal("dplm", described.GetProperty("format").GetString());
        Assert.Equal(new FileInfo(output).Length, described.GetProperty("file_bytes").GetInt64());
        Assert.Equal(64, described.GetProperty("dim").GetInt32());
        Assert.Equal(512, described.GetProperty("seq_len").GetInt32());
    }

    [Fact]
    public void Import_Text_PrintsModelIdAndWeightsRoot()
    {
        using var folder = new TempFolder();
        CliResult import = Cli.Run("model", "import", "--checkpoint", Cli.Stories260K, "--tokenizer", Path.Combine(Cli.ModelsDirectory, "tok512.bin"),
            "--out", folder.File("m.dplm"));

        Assert.Equal(0, import.ExitCode);
        Assert.Matches("(?m)^model id +0x[0-9a-f]{64}$", import.Out);
        Assert.Matches("(?m)^weights root +0x[0-9a-f]{64}$", import.Out);
    }

    [Fact]
    public void Info_ByName_DescribesTheCheckpointAndItsTokenizer()
    {
        CliResult info = Cli.Run("model", "info", "stories260K");

        Assert.Equal(0, info.ExitCode);
        Assert.Contains("llama2.c checkpoint, tokenizer " + Path.Combine(Cli.ModelsDirectory, "tok512.bin"), info.Out);
        Assert.Matches("(?m)^parameters +260,032$", info.Out);
        Assert.Matches("(?m)^heads +8 \\(4 key/value, head size 8\\)$", info.Out);
    }

    [Fact]
    public void Import_MissingCheckpoint_UsageError() =>
        Cli.Run("model", "import", "--checkpoint", "missing.bin", "--tokenizer", Cli.Stories260K, "--out", "x.dplm")
            .AssertFailed(2, "--checkpoint: file not found: missing.bin");

    [Fact]
    public void Import_OutputFolderMissing_UsageError() =>
        Cli.Run("model", "import", "--checkpoint", Cli.Stories260K, "--tokenizer", Path.Combine(Cli.ModelsDirectory, "tok512.bin"),
            "--out", Path.Combine("no", "such", "folder", "x.dplm")).AssertFailed(2, "--out: folder not found");

    [Fact]
    public void Import_TruncatedCheckpoint_Fails()
    {
        using var folder = new TempFolder();
        string truncated = folder.File("truncated.bin");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Cli.Stories260K)[..4096]);

        Cli.Run("model", "import", "--checkpoint", truncated, "--tokenizer", Path.Combine(Cli.ModelsDirectory, "tok512.bin"), "--out", folder.File("x.dplm"))
            .AssertFailed(1, "truncated");
    }

    [Fact]
    public void Synth_TinyShape_ThenInfo_ReportsThatShape()
    {
        using var folder = new TempFolder();
        string output = folder.File("tiny.dplm");

        CliResult synth = Cli.Run("model", "synth", "--out", output, "--dim", "64", "--layers", "2", "--hidden", "128", "--heads", "4",
            "--kv-heads", "2", "--vocab", "300", "--seq-len", "64", "--seed", "3", "--json");
        CliResult info = Cli.Run("model", "info", output, "--json");

        Assert.Equal(0, synth.ExitCode);
        Assert.Equal(0, info.ExitCode);
        JsonElement made = synth.Json(), described = info.Json();
        Assert.Equal(made.GetProperty("model_id").GetString(), described.GetProperty("model_id").GetString());
        Assert.Equal(made.GetProperty("parameters").GetInt64(), described.GetProperty("parameters").GetInt64());
        Assert.Equal(
            [64, 2, 128, 4, 2, 300, 64],
            new[] { "dim", "layers", "hidden_dim", "heads", "kv_heads", "vocab_size", "seq_len" }.Select(p => described.GetProperty(p).GetInt32()));
    }

    [Fact]
    public void Synth_SameSeed_SameModelId()
    {
        using var folder = new TempFolder();
        string[] shape = ["--dim", "32", "--layers", "1", "--hidden", "64", "--heads", "2", "--kv-heads", "1", "--vocab", "260", "--seq-len", "16", "--json"];

        string first = Cli.Run(["model", "synth", "--out", folder.File("a.dplm"), .. shape]).Json().GetProperty("model_id").GetString()!;
        string second = Cli.Run(["model", "synth", "--out", folder.File("b.dplm"), .. shape]).Json().GetProperty("model_id").GetString()!;

        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("--heads", "5", "dim 64 is not divisible by n_heads 5")]
    [InlineData("--vocab", "100", "--vocab must be at least 259")]
    [InlineData("--layers", "0", "--layers must be at least 1, got 0")]
    public void Synth_BadShape_UsageError(string option, string value, string message)
    {
        var args = new Dictionary<string, string>
        {
            ["--out"] = "never-written.dplm",
            ["--dim"] = "64",
            ["--layers"] = "2",
            ["--hidden"] = "128",
            ["--heads"] = "4",
            ["--kv-heads"] = "2",
            ["--vocab"] = "300",
            ["--seq-len"] = "64",
        };
        args[option] = value;

        Cli.Run(["model", "synth", .. args.SelectMany(a => new[] { a.Key, a.Value })]).AssertFailed(2, message);
        Assert.False(File.Exists("never-written.dplm"));
    }
}
