using System.Text.Json;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Tests.Support;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Tests;

namespace DePinLedger.Disputes.Tests;

/// <summary>
/// <c>depin audit replay</c> as users run it (the built depin.dll): the JSON account, a verdict the C# engine
/// contradicts (exit 2), and the failures it must name clearly (exit 1).
/// </summary>
public sealed class AuditReplayTests : AuditChainTests
{
    [Fact]
    public async Task Replay_Json_NamesTheVerdictAndTheRecomputedLeaf()
    {
        DisputeScenario s = await DisputeScenario.StartAsync(Anvil, faultyReplica: 0, new TraceFault(new TracePoint(3, 1)));
        DisputeResult result = await PlayAsync(s);

        DepinProcess.Result audit = await Audit(result.DisputeId.ToString(), "--model", SharedModels.Stories260K, "--json");

        Assert.True(audit.ExitCode == 0, audit.Error);
        JsonElement report = JsonDocument.Parse(audit.Out).RootElement;
        Assert.True(report.GetProperty("agrees").GetBoolean());
        Assert.Equal("ChallengerWon", report.GetProperty("on_chain_outcome").GetString());
        Assert.Equal("ChallengerWon", report.GetProperty("expected_outcome").GetString());
        JsonElement step = report.GetProperty("step");
        Assert.Equal(3, step.GetProperty("position").GetInt32());
        Assert.Equal(1, step.GetProperty("slot").GetInt32());
        Assert.Equal(result.Step.CorrectLeaf.ToString(), step.GetProperty("recomputed_leaf").GetString());
        Assert.Equal(step.GetProperty("on_chain_leaf").GetString(), step.GetProperty("recomputed_leaf").GetString());
        Assert.All(report.GetProperty("openings").EnumerateArray(), o => Assert.True(o.GetProperty("valid").GetBoolean()));
        Assert.Equal(6, report.GetProperty("openings").GetArrayLength());
        Assert.Empty(report.GetProperty("problems").EnumerateArray());
        // Without --model the registered metadata URI ("stories260K") is resolved in $DEPIN_MODELS.
        Assert.Equal(0, (await Audit(result.DisputeId.ToString())).ExitCode);
    }

    [Fact]
    public async Task Replay_VerdictOfALyingVerifier_Exits2()
    {
        // The model is registered with a verifier that does not compute the spec (the forge tests' AlphabetVerifier,
        // built for the real weights root): the game decides by its leaf, which is neither side's.
        string alphabet = await ContractDeployer.DeployAsync(Anvil.Deployer, AnvilChain.DevAddress(0), ContractArtifact.Load(Path.Combine(AnvilChain.RepositoryRoot, "out"), "AlphabetVerifier"),
            default, (ushort)DisputeScenario.Model.Config.Layers, DisputeScenario.Model.Config.VocabSize, 100_000, DisputeScenario.Model.WeightsRoot.ToArray());
        DisputeScenario s = await DisputeScenario.StartAsync(Anvil, faultyReplica: 0, new TraceFault(new TracePoint(4, 5)), verifier: alphabet);
        await Anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        var client = new DisputeClient(await Anvil.SenderAsync(DisputeScenario.Challenger), Anvil.Deployment);
        using EngineTrace agreed = s.Recompute();
        DisputeResult result = await client.DisputeAsync(await s.CaseFromChainAsync(), agreed, DisputeScenario.Openings, default);
        Assert.Equal(DisputeOutcome.BothWrong, result.Outcome);

        DepinProcess.Result audit = await Audit(result.DisputeId.ToString(), "--model", SharedModels.Stories260K);

        Assert.Equal(2, audit.ExitCode);
        Assert.Contains("on-chain verdict: BothWrong (Step); recomputation implies: ChallengerWon", audit.Out);
        Assert.Contains("DISAGREES", audit.Out);
    }

    [Fact]
    public async Task Replay_UnknownDispute_WrongRpc_OtherModel_Exit1WithOneClearLine()
    {
        DepinProcess.Result unknown = await Audit("42", "--model", SharedModels.Stories260K);
        AssertFailed(unknown, "dispute 42 does not exist");

        DepinProcess.Result rpc = await DepinProcess.RunAsync("audit", "replay", "1", "--rpc", "http://127.0.0.1:1", "--deployment", DeploymentPath, "--model", SharedModels.Stories260K);
        Assert.Equal(1, rpc.ExitCode);
        Assert.StartsWith("depin: ", rpc.Error);

        DepinProcess.Result usage = await Audit("0");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("expected a positive integer as DISPUTE_ID", usage.Error);

        DisputeScenario s = await DisputeScenario.StartAsync(Anvil, faultyReplica: 1, new TraceFault(new TracePoint(1, 3)));
        DisputeResult result = await PlayAsync(s);
        using var folder = new TempFolder();
        string other = Path.Combine(folder.Path, "other.model");
        Assert.Equal(0, (await DepinProcess.RunAsync("model", "synth", "--out", other, "--dim", "16", "--layers", "5", "--hidden", "24", "--heads", "2", "--kv-heads", "1", "--vocab", "260", "--seq-len", "16")).ExitCode);
        AssertFailed(await Audit(result.DisputeId.ToString(), "--model", other), "with weights root");
    }

    private async Task<DisputeResult> PlayAsync(DisputeScenario s)
    {
        await Anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        var client = new DisputeClient(await Anvil.SenderAsync(DisputeScenario.Challenger), Anvil.Deployment);
        using EngineTrace agreed = s.Recompute();
        DisputeResult result = await client.DisputeAsync(await s.CaseFromChainAsync(), agreed, DisputeScenario.Openings, default);
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        return result;
    }

    private Task<DepinProcess.Result> Audit(string id, params string[] more) => AuditAsync("replay", id, more);

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("depin-audit-tests-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
