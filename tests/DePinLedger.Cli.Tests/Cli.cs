using System.Text.Json;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Tests;

namespace DePinLedger.Cli.Tests;

/// <summary>What one in-process run of <c>depin</c> returned and printed.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public JsonElement Json() => JsonDocument.Parse(Out).RootElement;

    /// <summary>Asserts a failure: the exit code, nothing on stdout, and exactly one "depin: …" line on stderr containing <paramref name="fragment"/>.</summary>
    public void AssertFailed(int exitCode, string fragment)
    {
        Assert.Equal(exitCode, ExitCode);
        Assert.Equal("", Out);
        string[] lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string line = Assert.Single(lines);
        Assert.StartsWith("depin: ", line);
        Assert.Contains(fragment, line);
    }
}

/// <summary>Runs the CLI in process, resolving model names in the reference models folder and never downloading.</summary>
internal static class Cli
{
    public static string ModelsDirectory => SharedModels.Directory;

    public static string Stories260K => SharedModels.Stories260K;

    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var context = new CliContext(stdout, stderr, new ModelResolver(ModelsDirectory, new NoNetwork()));
        int code = DepinCli.Run(args, context);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Tests never touch the network: any download attempt fails the test.</summary>
    private sealed class NoNetwork : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"a test tried to download {request.RequestUri}");
    }
}

/// <summary>A scratch folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("depin-cli-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
