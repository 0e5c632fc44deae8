namespace DePinLedger.Cli.Tests;

/// <summary>Help, unknown verbs and the public entry point.</summary>
public class UsageTests
{
    [Theory]
    [InlineData("infer", "depin infer --model stories260K --prompt \"Once upon a time\"")]
    [InlineData("model eval", "depin model eval --model stories260K --text-file stories.txt")]
    [InlineData("", "depin infer --model stories260K")]
    public void Help_ShowsUsageAndAnExample(string verb, string example)
    {
        CliResult help = Cli.Run([.. verb.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Usage:", help.Out);
        Assert.Contains("Examples:\n  " + example, help.Out);
    }

    [Fact]
    public void Help_ShowsDefaultsOnce()
    {
        string help = Cli.Run("infer", "--help").Out;

        Assert.Contains("[default: 256]", help);
        Assert.Contains("[default: 0.9]", help);
    }

    [Fact]
    public void UnknownVerb_UsageError() => Cli.Run("mine").AssertFailed(2, "unrecognized command or argument 'mine'");

    [Fact]
    public void NoVerb_UsageError() => Cli.Run().AssertFailed(2, "see 'depin --help'");

    [Fact]
    public void UnknownOption_UsageError() =>
        Cli.Run("model", "info", "stories260K", "--verbose").AssertFailed(2, "unrecognized command or argument '--verbose'");

    [Fact]
    public void PublicEntryPoint_WritesToTheGivenWriters()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = DepinCli.Run(["model", "info", Cli.Stories260K, "--json"], stdout, stderr);

        Assert.Equal(0, code);
        Assert.Contains("\"model_id\": \"0x", stdout.ToString());
        Assert.Equal("", stderr.ToString());
    }
}
