using System.Diagnostics;
using System.Text;

namespace DePinLedger.Cli.Tests;

/// <summary>The built <c>depin</c> as a real process: argument passing, stdout encoding and the exit code.</summary>
public class ProcessTests
{
    [Fact]
    public async Task Depin_Infer_AsAProcess_StreamsTheGoldenText()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "depin.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            ArgumentList = { "exec", dll, "infer", "--model", "stories260K", "--prompt", "Once upon a time", "--max-tokens", "32" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
            Environment = { ["DEPIN_MODELS"] = Cli.ModelsDirectory },
        };

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
        Assert.StartsWith("Once upon a time, there was a little girl named Lily", await stdout);
        Assert.Matches("^depin: 32 tokens, .* tok/s decode, trace root 0x[0-9a-f]{64}\n$", await stderr);
    }
}
