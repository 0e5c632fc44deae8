using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DePinLedger.Cli.Devnet;

/// <summary>
/// A child process of the devnet (anvil, a worker), started with its output captured and stopped by its PID (the
/// whole tree) when disposed, so that Ctrl-C or a failure leaves nothing running.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (for error messages).</summary>
    public string Tail
    {
        get
        {
            lock (_log) return _log.Length <= 2000 ? _log.ToString() : _log.ToString(_log.Length - 2000, 2000);
        }
    }

    /// <summary>
    /// Starts <paramref name="file"/> and waits (at most <paramref name="timeout"/>) for a stdout line starting with
    /// <paramref name="readyPrefix"/>; returns the process and the rest of that line.
    /// </summary>
    public static async Task<(ChildProcess Child, string Ready)> StartAsync(string name, string file, IEnumerable<string> arguments, string readyPrefix, TimeSpan timeout, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        Process process = Process.Start(start) ?? throw new IOException($"could not start {name} ({file})");
        var child = new ChildProcess(name, process);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            child.Append(e.Data);
            if (e.Data.StartsWith(readyPrefix, StringComparison.Ordinal)) ready.TrySetResult(e.Data[readyPrefix.Length..]);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) child.Append(e.Data);
        };
        process.Exited += (_, _) => ready.TrySetException(new IOException($"{name} exited with code {SafeExitCode(process)} before it was ready: {child.Tail}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string line = await ready.Task.WaitAsync(timeout, cancellation);
            return (child, line);
        }
        catch (TimeoutException)
        {
            child.Dispose();
            throw new IOException($"{name} was not ready after {timeout.TotalSeconds:F0} s: {child.Tail}");
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>How to run this `depin` again as a child: the same executable, through the dotnet host when that is what runs us.</summary>
    public static (string File, string[] Prefix) Depin()
    {
        string self = Environment.ProcessPath ?? throw new IOException("cannot tell which executable runs depin");
        string dll = Path.Combine(AppContext.BaseDirectory, "depin.dll");
        return Path.GetFileNameWithoutExtension(self) == "dotnet" || !Path.GetFileNameWithoutExtension(self).StartsWith("depin", StringComparison.Ordinal)
            ? (DotnetHost(self), ["exec", dll])
            : (self, []);
    }

    private static string DotnetHost(string self) =>
        Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";

    private void Append(string line)
    {
        lock (_log) _log.AppendLine(line);
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
