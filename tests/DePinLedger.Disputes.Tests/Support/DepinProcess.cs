using System.Diagnostics;
using DePinLedger.Inference.Tests;

namespace DePinLedger.Disputes.Tests.Support;

/// <summary>Runs the built <c>depin</c> (copied beside the tests) in a child process, as a user would.</summary>
internal static class DepinProcess
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static async Task<Result> RunAsync(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "depin.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"depin.dll is not beside the tests at {dll}", dll);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DEPIN_MODELS"] = SharedModels.Directory;
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"depin {string.Join(' ', args)} ran for more than 3 minutes");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
