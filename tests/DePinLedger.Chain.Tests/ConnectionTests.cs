using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Tests.Support;

namespace DePinLedger.Chain.Tests;

/// <summary>Unreachable endpoint, wrong chain, contracts missing: each a clear error before anything is sent.</summary>
public class ConnectionTests
{
    [Fact]
    public async Task Connect_NothingListening_ChainUnavailable()
    {
        var options = new ChainOptions { Rpc = new Uri("http://127.0.0.1:9"), MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(10) };

        var e = await Assert.ThrowsAsync<ChainUnavailableException>(() => ChainConnection.ConnectAsync(options));

        Assert.StartsWith("cannot reach the chain at http://127.0.0.1:9/", e.Message);
    }

    [Fact]
    public async Task Verify_WrongChainId_Mismatch()
    {
        await using AnvilChain anvil = await AnvilChain.StartAsync();
        DeploymentFile other = anvil.Deployment with { ChainId = 1 };

        var e = await Assert.ThrowsAsync<ChainMismatchException>(() => other.VerifyAsync(anvil.Deployer, default));

        Assert.Contains("serves chain 31337, but the deployment is for chain 1", e.Message);
    }

    [Fact]
    public async Task Verify_NoContractAtAddress_Mismatch()
    {
        await using AnvilChain anvil = await AnvilChain.StartAsync();
        DeploymentFile stale = anvil.Deployment with { StakeManager = "0x00000000000000000000000000000000DeaDBeef" };

        var e = await Assert.ThrowsAsync<ChainMismatchException>(() => stale.VerifyAsync(anvil.Deployer, default));

        Assert.Contains("no contract at 0x00000000000000000000000000000000DeaDBeef (stakeManager)", e.Message);
    }

    [Fact]
    public void DeploymentFile_ReadsWhatTheForgeScriptWrites()
    {
        // deploy/addresses/31337.json is written by contracts/script/DeployDePin.s.sol (fields it adds later are ignored).
        DeploymentFile file = DeploymentFile.Load(Path.Combine(AnvilChain.RepositoryRoot, "deploy", "addresses", "31337.json"));

        Assert.Equal(31337ul, file.ChainId);
        Assert.All(file.Contracts, c => Assert.True(Protocol.Encoding.AddressText.IsValid(c.Address), c.Name));
        Assert.Equal("1000000000000000000000", file.Params.MinStake);
        Assert.True(file.Params.UnbondingDelay > file.Params.ChallengeWindow + file.Params.MaxDisputeDuration);
    }

    [Fact]
    public void Artifact_Missing_SaysRunForgeBuild() =>
        Assert.Contains("forge build", Assert.Throws<FileNotFoundException>(() => ContractArtifact.Load("/nonexistent", "StakeManager")).Message);
}
