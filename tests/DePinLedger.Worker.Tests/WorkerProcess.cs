using System.Diagnostics;
using System.Text;

using DePinLedger.Inference.Tests;

namespace DePinLedger.Worker.Tests;

/// <summary>A real <c>depin worker</c> process on a free loopback port (port 0, the bound address read from its first stdout line), stopped by its PID.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private WorkerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>How <c>depin worker</c> is started for <paramref name="layers"/>, with fresh trace storage and any extra flags.</summary>
    public static ProcessStartInfo StartInfo(TestNode node, string layers, params string[] extra)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "depin.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        string[] listenOn = extra.Contains("--host") ? [] : ["--host", "127.0.0.1"];
        foreach (string a in (string[])["exec", dll, "worker", "--model", SharedModels.Stories260K, "--layers", layers, "--port", "0", .. listenOn,
                     "--keystore", node.KeystoreDirectory, "--passphrase-file", node.PassphraseFile, "--trace-dir", Path.Combine(node.Root, "traces-" + Guid.NewGuid().ToString("N")), .. extra])
            start.ArgumentList.Add(a);
        return start;
    }

    public static async Task<WorkerProcess> StartAsync(TestNode node, string layers, params string[] extra)
    {
        ProcessStartInfo start = StartInfo(node, layers, extra);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start depin");
        var worker = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (worker) worker.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"worker {layers} did not start: {worker}");
            }
            if (line is null) throw new InvalidOperationException($"worker {layers} exited with {(process.WaitForExit(5000) ? process.ExitCode : -1)}: {worker}");
            const string prefix = "worker listening on ";
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string url = line[prefix.Length..].Split(' ')[0];
            var result = new WorkerProcess(process, new Uri(url));
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is not null) { }
            });
            return result;
        }
    }

    /// <summary>A real kill (SIGKILL) of this worker's PID.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
