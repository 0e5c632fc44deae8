using System.Text.Json;

namespace DePinLedger.Cli.Tests;

/// <summary><c>depin model export-gguf</c>.</summary>
public class ExportGgufCommandTests
{
    [Fact]
    public void ExportGguf_Checkpoint_Q8_0_WritesGgufAndReportsTheTensors()
    {
        using var folder = new TempFolder();
        string output = folder.File("stories260K-q8_0.gguf");

        CliResult result = Cli.Run("model", "export-gguf", "stories260K", "--out", output, "--type", "q8_0", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        JsonElement report = result.Json();
        Assert.Equal("q8_0", report.GetProperty("type").GetString());
        Assert.Equal(47, report.GetProperty("tensors").GetInt32());       // embedding, 5 × 9 per block, final norm (tied classifier)
        Assert.Equal(31, report.GetProperty("q8_tensors").GetInt32());    // every matrix but ffn_down (rows of 172)
        Assert.Equal(5, report.GetProperty("kept_f32").GetArrayLength());
        Assert.StartsWith("float32", report.GetProperty("weights").GetString());
        byte[] bytes = File.ReadAllBytes(output);
        Assert.Equal(report.GetProperty("bytes").GetInt64(), bytes.Length);
        Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
        Assert.Equal(3, BitConverter.ToInt32(bytes, 4));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.part"));
    }

    [Fact]
    public void ExportGguf_ModelFile_DequantizesWithANote()
    {
        using var folder = new TempFolder();
        string model = folder.File("tiny.dplm");
        Assert.Equal(0, Cli.Run("model", "synth", "--out", model, "--dim", "64", "--layers", "1", "--hidden", "64", "--heads", "4", "--kv-heads", "4",
            "--vocab", "300", "--seq-len", "32").ExitCode);

        CliResult result = Cli.Run("model", "export-gguf", model, "--out", folder.File("tiny.gguf"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("depin: note: ", result.Error);
        Assert.Contains("dequantized", result.Out);
        Assert.Matches("(?m)^tensors +11 \\(0 q8_0, 11 f32\\)$", result.Out);
    }

    [Fact]
    public void ExportGguf_UnknownType_UsageError() =>
        Cli.Run("model", "export-gguf", "stories260K", "--out", "x.gguf", "--type", "q4_0").AssertFailed(2, "--type must be f32 or q8_0, got 'q4_0'");

    [Fact]
    public void ExportGguf_NoOut_UsageError() =>
        Cli.Run("model", "export-gguf", "stories260K").AssertFailed(2, "--out");

    [Fact]
    public void ExportGguf_OutputFolderMissing_UsageError() =>
        Cli.Run("model", "export-gguf", "stories260K", "--out", Path.Combine("no-such-folder", "x.gguf")).AssertFailed(2, "--out: folder not found");

    [Fact]
    public void ExportGguf_EmptyModel_UsageError() =>
        Cli.Run("model", "export-gguf", "", "--out", "x.gguf").AssertFailed(2, "the MODEL argument must not be empty");

    [Fact]
    public void ExportGguf_UnknownModel_Fails()
    {
        using var folder = new TempFolder();
        Cli.Run("model", "export-gguf", "no-such-model", "--out", folder.File("x.gguf")).AssertFailed(1, "unknown model 'no-such-model'");
        Assert.False(File.Exists(folder.File("x.gguf")));
    }

    [Fact]
    public void ExportGguf_NotAModel_FailsAndWritesNothing()
    {
        using var folder = new TempFolder();
        string junk = folder.File("junk.bin");
        File.WriteAllBytes(junk, new byte[10]);
        Cli.Run("model", "export-gguf", junk, "--out", folder.File("x.gguf")).AssertFailed(1, "neither a DePinLedger model file");
        Assert.False(File.Exists(folder.File("x.gguf")));
    }
}
