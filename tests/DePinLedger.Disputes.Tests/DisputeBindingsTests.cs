using DePinLedger.Chain.Contracts;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Tests.Support;

namespace DePinLedger.Disputes.Tests;

/// <summary>The generated DisputeGame and StepProver bindings name functions the deployed contracts dispatch.</summary>
public sealed class DisputeBindingsTests : IAsyncLifetime
{
    private AnvilChain _anvil = null!;

    public async Task InitializeAsync() => _anvil = await AnvilChain.StartAsync(settings: new DeploymentSettings { DeployDisputeGame = true });

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task EveryGameAndProverSelector_IsInTheDeployedCode()
    {
        var contracts = new Dictionary<string, string>
        {
            ["DePinLedger.Chain.Contracts.Game"] = _anvil.Deployment.DisputeGame,
            ["DePinLedger.Chain.Contracts.Prover"] = _anvil.Deployment.StepProver,
        };
        int checkedFunctions = 0;
        foreach ((string ns, string address) in contracts)
        {
            string code = await _anvil.Deployer.Web3.Eth.GetCode.SendRequestAsync(address);
            Assert.True(code.Length > 1_000, $"no code at {address}");
            foreach (Type type in typeof(IAbiFunction).Assembly.GetTypes().Where(t => t.Namespace == ns && typeof(IAbiFunction).IsAssignableFrom(t)))
            {
                var function = (IAbiFunction)Activator.CreateInstance(type)!;
                Assert.True(code.Contains("63" + AbiSelector.Of(function.AbiSignature)[2..], StringComparison.Ordinal), $"{function.AbiSignature} not in {ns}");
                checkedFunctions++;
            }
        }
        Assert.True(checkedFunctions >= 30, $"only {checkedFunctions} functions checked");
        Assert.NotEqual("0x0000000000000000000000000000000000000000", _anvil.Deployment.StepVerifier);
    }
}
