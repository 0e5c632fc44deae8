using System.Diagnostics;
using System.Text;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Inference.Tests;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// `depin devnet up --exit-when-done` as a real process: anvil, contracts, six staked workers (one faulty), the
/// coordinator (whose scheduler routes each job from the indexed, heartbeating nodes) and a client; every job lands on-chain, the faulty replica's divergence is found at the leaf the fault
/// touches, and no process it started is left behind.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DevnetTests
{
    [Fact]
    public async Task DevnetUp_RunsTheJobs_FindsTheFaultyReplica_AndLeavesNothingRunning()
    {
        string root = AnvilChain.RepositoryRoot;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
            WorkingDirectory = root,
            Environment = { ["DEPIN_MODELS"] = SharedModels.Directory },
        };
        foreach (string a in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "depin.dll"), "devnet", "up", "--jobs", "3", "--max-tokens", "8", "--load-clients", "3", "--exit-when-done"])
            start.ArgumentList.Add(a);

        using Process devnet = Process.Start(start)!;
        Task<string> stdout = devnet.StandardOutput.ReadToEndAsync(), stderr = devnet.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4))) await devnet.WaitForExitAsync(timeout.Token);
        string output = await stdout;

        Assert.True(devnet.ExitCode == 0, $"exit {devnet.ExitCode}: {await stderr}\n{output}");
        Assert.Contains("six operators registered and staked", output);
        Assert.Equal(3, output.Split('\n').Count(l => l.Contains(" submitted: 8 tokens", StringComparison.Ordinal)));
        // The noise lands after block 2 at position 3, so block 3's leaf there (slot 4) is the first to differ.
        Assert.Contains("the replicas DISAGREE from leaf 25 (position 3, slot 4)", output);
        Assert.Contains("│ noise │", output);
        // The coordinator disputed the wrong replica on its own: one step recomputed on-chain, the noisy node slashed to 0
        // (read from StakeManager), and the slash reached the scheduler's catalog before the next job.
        Assert.Contains("one step recomputed on-chain, ChallengerWon", output);
        Assert.Matches(@"node 0x[0-9a-fA-F]{40} \(layers 2-3\) slashed: active stake now 0 DPIN", output);
        Assert.Contains("later jobs are routed around that node", output);
        Assert.Contains("slash indexed, reputation recomputed to 0.00", output);
        // The coordinator (SQLite) indexed the six registered nodes (one slashed to 0) from the chain and took their signed heartbeats.
        Assert.Contains("6 nodes indexed from the chain (5 staked), 6 reporting signed heartbeats", output);
        // The scheduler routed each job from that catalog; the verified one on two pipelines.
        Assert.Equal(3, output.Split('\n').Count(l => l.Contains("routed by the scheduler: replica 0 on :", StringComparison.Ordinal)));
        Assert.Contains(", replica 1 on :", output);
        // The load run: three clients at once through the API, every job completed.
        Assert.Contains("load: 3/3 completed, 0 errors, 24 tokens", output);
        // Nothing it started survives it: no anvil with the devnet's flags, no worker with its work folder.
        Assert.DoesNotContain(Processes(), c => c.Contains("--mnemonic\u0000test test test", StringComparison.Ordinal) || c.Contains("depin-devnet-", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Processes()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            yield return cmdline;
        }
    }
}
