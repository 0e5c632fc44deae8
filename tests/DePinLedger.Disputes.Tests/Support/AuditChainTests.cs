using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Tests.Support;

namespace DePinLedger.Disputes.Tests.Support;

/// <summary>
/// What the <c>depin audit</c> tests share: a fresh anvil with every contract (the dispute game included) per test,
/// its deployment saved to a file for <c>--deployment</c>, and the shape of a failure (exit 1, one <c>depin:</c> line).
/// </summary>
public abstract class AuditChainTests : IAsyncLifetime
{
    protected AnvilChain Anvil { get; private set; } = null!;

    protected string DeploymentPath { get; } = Path.Combine(Path.GetTempPath(), $"depin-audit-{Guid.NewGuid():N}.json");

    public async Task InitializeAsync()
    {
        Anvil = await AnvilChain.StartAsync(settings: new DeploymentSettings { DeployDisputeGame = true });
        Anvil.Deployment.Save(DeploymentPath);
    }

    public async Task DisposeAsync()
    {
        File.Delete(DeploymentPath);
        await Anvil.DisposeAsync();
    }

    /// <summary>depin audit <paramref name="verb"/> <paramref name="id"/> against this chain and deployment file.</summary>
    private protected Task<DepinProcess.Result> AuditAsync(string verb, string id, string[] more) =>
        DepinProcess.RunAsync(["audit", verb, id, "--rpc", Anvil.Rpc.ToString(), "--deployment", DeploymentPath, .. more]);

    private protected static void AssertFailed(DepinProcess.Result result, string fragment)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        string line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("depin: ", line);
        Assert.Contains(fragment, line);
    }
}
