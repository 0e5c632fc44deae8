using System.Numerics;
using DePinLedger.Chain.Contracts.Game;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Tests.Support;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Tests;
using DePinLedger.Protocol.Encoding;
using Nethereum.Contracts;
using Xunit.Abstractions;
using ReplicaCompensatedEvent = DePinLedger.Chain.Contracts.Jobs.ReplicaCompensatedEvent;

namespace DePinLedger.Disputes.Tests;

/// <summary>
/// Whole fast-path disputes on anvil with the real contracts and the real stories260K model: a replica with a fault
/// inside one stage is disputed by <see cref="DisputeClient"/>; the chain must show that stage's node slashed and the
/// dispute decided for the honest side; the auditor (the built <c>depin</c>) must agree.
/// </summary>
public sealed class DisputeClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    private AnvilChain _anvil = null!;

    public async Task InitializeAsync() => _anvil = await AnvilChain.StartAsync(settings: new DeploymentSettings { DeployDisputeGame = true });

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task BlockFault_InSecondStage_SlashesThatStagesNode_AndAuditAgrees()
    {
        // Block 3 (slot 4, owned by replica 0's second stage, dev node 2) at a generated position.
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, new TraceFault(new TracePoint(6, 4)));

        DisputeResult result = await PlayAsync(s);

        Assert.Equal(new TracePoint(6, 4), result.Step.At);
        Assert.True(result.Step.FirstWrong);
        Assert.False(result.Step.SecondWrong);
        Assert.Equal(0, result.DefenderReplica);
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        await AssertSlashedAsync(s, result, slashed: DisputeScenario.Replica0Nodes[1], spared: [DisputeScenario.Replica0Nodes[0], DisputeScenario.Replica1Node]);
        await AssertAuditAgreesAsync(s, result, "ChallengerWon");

        // Replica 0 is the result served to the client: proven wrong, the whole fee is credited back to the client.
        Assert.Equal(s.Request.Fee, await JobMarketCreditAsync(DisputeScenario.Client));

        // Refused moves come back as the game's custom errors, decoded into one clear sentence.
        var client = new DisputeClient(await _anvil.SenderAsync(DisputeScenario.Challenger), _anvil.Deployment);
        var late = await Assert.ThrowsAnyAsync<ContractRevertedException>(() => client.NarrowAsync(result.DisputeId, result.Step.At, s.Replicas[0], s.Replicas[1], default));
        Assert.Equal("DisputeGame_WrongPhase", late.ErrorName);
        Assert.Equal($"dispute {result.DisputeId} is in phase Resolved, which does not take this move", late.Message);
        var again = await Assert.ThrowsAnyAsync<ContractRevertedException>(() => client.OpenAsync(s.JobId, s.Replicas[0], s.Replicas[1], default));
        // Replica 0 was the served result: proven wrong, the client was refunded and the job is settled.
        Assert.Equal($"job {s.JobId} cannot be disputed: it is refunded, not submitted", again.Message);
    }

    [Fact]
    public async Task EmbeddingFault_InReplica1_ItIsDisputedAndSlashed_HonestReplicaPaidAfterTheWindow()
    {
        // Replica 1 (one stage, dev node 3) embeds a wrong vector at a prompt position; the analysis finds replica 1
        // wrong and disputes it, naming replica 0.
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 1, new TraceFault(new TracePoint(2, 0)));

        DisputeResult result = await PlayAsync(s);

        Assert.Equal(new TracePoint(2, 0), result.Step.At);
        Assert.False(result.Step.FirstWrong);
        Assert.True(result.Step.SecondWrong);
        Assert.Equal(1, result.DefenderReplica);
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        await AssertSlashedAsync(s, result, slashed: DisputeScenario.Replica1Node, spared: DisputeScenario.Replica0Nodes);
        await AssertAuditAgreesAsync(s, result, "ChallengerWon");

        // After the challenge window the honest replica alone is paid, by layers served: (fee − 5 %) × 3/5 and × 2/5.
        await _anvil.WarpAsync(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var finalize = new Chain.Contracts.Jobs.FinalizeFunction
        {
            JobId = s.JobId.ToArray(),
            Stages =
            [
                s.Replicas[0].Stages.Select(c => new Chain.Contracts.Jobs.StageRecord
                {
                    Node = c.Node, FirstLayer = (ushort)c.Span.FirstLayer, LastLayer = (ushort)c.Span.LastLayer,
                    InputRoot = c.InputRoot.ToArray(), TraceRoot = c.TraceRoot.ToArray(), OutputRoot = c.OutputRoot.ToArray(),
                }).ToList(),
                [],
            ],
        };
        await (await _anvil.SenderAsync(DisputeScenario.Client)).SendAsync(_anvil.Deployment.JobMarket, finalize, "finalize", null, default);
        BigInteger paid = s.Request.Fee * 95 / 100;
        Assert.Equal(paid * 3 / 5, await JobMarketCreditAsync(DisputeScenario.Replica0Nodes[0]));
        Assert.Equal(paid * 2 / 5, await JobMarketCreditAsync(DisputeScenario.Replica0Nodes[1]));
        Assert.Equal(BigInteger.Zero, await JobMarketCreditAsync(DisputeScenario.Replica1Node));
    }

    private async Task<BigInteger> JobMarketCreditAsync(int dev) =>
        await _anvil.Deployer.QueryAsync<Chain.Contracts.Jobs.CreditOfFunction, BigInteger>(_anvil.Deployment.JobMarket,
            new Chain.Contracts.Jobs.CreditOfFunction { Account = AnvilChain.DevAddress(dev) }, default);

    [Fact]
    public async Task HeadFault_AtFirstSampledToken_SlashesLastStage()
    {
        // The head of the last prompt position samples the wrong token: replica 0's last stage (dev node 2) lied.
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, new TraceFault(new TracePoint(DisputeScenario.Model.Tokenizer.Encode("Once upon a time", true, false).Length - 1, DisputeScenario.Model.Config.Layers + 1)));

        DisputeResult result = await PlayAsync(s);

        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        await AssertSlashedAsync(s, result, slashed: DisputeScenario.Replica0Nodes[1], spared: [DisputeScenario.Replica0Nodes[0], DisputeScenario.Replica1Node]);
        await AssertAuditAgreesAsync(s, result, "ChallengerWon");
    }

    [Fact]
    public async Task BlockFault_ByBisection_FixesTheSameStep_AndSlashesThatStagesNode()
    {
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, new TraceFault(new TracePoint(6, 2)));
        await _anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        var client = new DisputeClient(await _anvil.SenderAsync(DisputeScenario.Challenger), _anvil.Deployment);
        using EngineTrace agreed = s.Recompute();

        DisputeResult result = await client.DisputeByBisectionAsync(await s.CaseFromChainAsync(), agreed, DisputeScenario.Openings, default);

        foreach (DisputeMove move in result.Moves) output.WriteLine($"{move.Name}: {move.GasUsed} gas");
        output.WriteLine($"bisection dispute at {result.Step.At}: {result.TotalGas} gas in total");
        Assert.Equal(new TracePoint(6, 2), result.Step.At);
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        // Rounds at 6 (first), then midpoints of (−1, 6), … until 5 and 6 are adjacent.
        Assert.Contains(result.Moves, m => m.Name == "finishBisection");
        Assert.True(result.Moves.Count(m => m.Name == "revealPosition") >= 3);
        await AssertSlashedAsync(s, result, slashed: DisputeScenario.Replica0Nodes[0], spared: [DisputeScenario.Replica0Nodes[1], DisputeScenario.Replica1Node]);
        string audit = await AssertAuditAgreesAsync(s, result, "ChallengerWon");
        // Each round opens all 7 slots on the challenger side and all 7 on the defender's (two stages).
        int rounds = result.Moves.Count(m => m.Name == "revealPosition");
        Assert.Contains($"Merkle openings in the moves: {14 * rounds} of {14 * rounds} verify", audit);
    }

    [Fact]
    public async Task TruncatedTrace_DefenderStoppedEarly_DisputedByBisectionWithAbsenceProofs()
    {
        // Replica 0 stops after 2 of the 6 tokens without sampling a stop token: its trace simply ends. The fast path
        // cannot open a missing leaf, so the client bisects; the defender's stages prove the position absent and the
        // embedding step (with the stop rule) decides against them. Slot 0 belongs to replica 0's first stage.
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, fault: null, faultyMaxTokens: 2);
        int t = s.Prompt.Length + 1;

        DisputeResult result = await PlayAsync(s);

        Assert.Equal(new TracePoint(t, 0), result.Step.At);
        Assert.True(result.Step.OneAbsent);
        Assert.Equal(Inference.Commitments.Hash32.Zero, result.Step.FirstLeaf);
        Assert.Contains(result.Moves, m => m.Name == "finishBisection");
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        await AssertSlashedAsync(s, result, slashed: DisputeScenario.Replica0Nodes[0], spared: [DisputeScenario.Replica0Nodes[1], DisputeScenario.Replica1Node]);
        string audit = await AssertAuditAgreesAsync(s, result, "ChallengerWon");
        Assert.Contains("generation had not stopped", audit);
    }

    [Fact]
    public async Task SingleReplicaJob_DisputedWithTheChallengersOwnCommitment_SlashesTheFaultyStage()
    {
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, new TraceFault(new TracePoint(5, 5)), replicas: 1);
        await _anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        var client = new DisputeClient(await _anvil.SenderAsync(DisputeScenario.Challenger), _anvil.Deployment);
        JobOnChain job = await JobOnChain.LoadAsync(_anvil.Deployer, _anvil.Deployment, s.JobId, default);
        Assert.Single(job.Replicas);
        using EngineTrace own = s.Recompute();

        DisputeResult result = await client.DisputeAsync(job.OwnCommitmentCase(s.Prompt, 0, s.Replicas[0].Trace, own), own, DisputeScenario.Openings, default);

        Assert.Equal(new TracePoint(5, 5), result.Step.At);
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);
        await AssertSlashedAsync(s, result, slashed: DisputeScenario.Replica0Nodes[1], spared: [DisputeScenario.Replica0Nodes[0]]);
        string audit = await AssertAuditAgreesAsync(s, result, "ChallengerWon");
        Assert.Contains("own commitment", audit);
    }

    [Fact]
    public async Task FalselyAccusedReplica_DefenderServiceAnswersTheRound_ThenWinsWhenTheChallengerStalls()
    {
        // The faulty replica 0's side disputes the honest replica 1 and reveals its own (wrong) position 6.
        (DisputeScenario s, DisputeClient attacker, DisputeCase job, BigInteger id) = await OpenOnlyAsync(new TracePoint(6, 3), disputeTheHonestReplica: true);
        var defenderService = new DisputeClient(await _anvil.SenderAsync(DisputeScenario.Replica1Node), _anvil.Deployment);
        Assert.Null(await defenderService.AnswerIfOnTurnAsync(id, job.Second, default)); // the challenger is on turn
        await attacker.RevealPositionAsync(id, 6, job.First, default);

        Assert.NotNull(await defenderService.AnswerIfOnTurnAsync(id, job.Second, default));

        DisputeInfo info = await defenderService.GetAsync(id, default);
        Assert.Equal(1, info.OnTurn);
        Assert.True(info.HiSet);
        Assert.Equal(6u, info.Hi);
        Assert.Equal(3, info.StepSlot);
        // The attacker does not go on: the defender's side resolves when its clock has run out.
        await _anvil.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - info.OpenedAt) + 1));
        Assert.NotNull(await defenderService.ResolveIfTimedOutAsync(id, job.Second.Stages, job.First.Stages, default));
        info = await defenderService.GetAsync(id, default);
        Assert.Equal(DisputeOutcome.DefenderWon, (DisputeOutcome)info.Outcome);
        Assert.Equal(1_000 * DisputeScenario.Token, await s.ActiveStakeAsync(DisputeScenario.Replica1Node));
        Assert.Contains("on-chain verdict: DefenderWon (ChallengerTimedOut)", await AuditAsync(id));
    }

    [Fact]
    public async Task ChallengerStalls_AfterOpening_ResolvedByTimeoutForTheDefender()
    {
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, new TraceFault(new TracePoint(1, 2)));
        DisputeClient client = new(await _anvil.SenderAsync(DisputeScenario.Challenger), _anvil.Deployment);
        await _anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        (BigInteger id, _) = await client.OpenAsync(s.JobId, s.Replicas[0], s.Replicas[1], default);

        Assert.Null(await client.ResolveIfTimedOutAsync(id, s.Replicas[0].Stages, s.Replicas[1].Stages, default));
        DisputeInfo info = await client.GetAsync(id, default);
        await _anvil.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - info.OpenedAt) + 1));
        DisputeMove? resolved = await client.ResolveIfTimedOutAsync(id, s.Replicas[0].Stages, s.Replicas[1].Stages, default);

        Assert.NotNull(resolved);
        info = await client.GetAsync(id, default);
        Assert.Equal(DisputeOutcome.DefenderWon, (DisputeOutcome)info.Outcome);
        Assert.Equal(DisputePhase.Resolved, (DisputePhase)info.Phase);
        Assert.Equal(1_000 * DisputeScenario.Token, await s.ActiveStakeAsync(DisputeScenario.Replica0Nodes[1]));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync(id + 1, default));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("on-chain verdict: DefenderWon (ChallengerTimedOut)", await AuditAsync(id));
    }

    [Fact]
    public async Task DefenderStalls_InTheBisection_ResolvedByTimeout_EveryUnrevealedStageSlashed()
    {
        (DisputeScenario s, DisputeClient client, DisputeCase job, BigInteger id) = await OpenOnlyAsync(new TracePoint(5, 3), disputeTheHonestReplica: false);
        await client.RevealPositionAsync(id, 5, job.Second, default);

        // The defender's stages never answer.
        DisputeInfo info = await client.GetAsync(id, default);
        Assert.Equal(0, info.OnTurn);
        Assert.Null(await client.ResolveIfTimedOutAsync(id, job.First.Stages, job.Second.Stages, default));
        await _anvil.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - info.OpenedAt) + 1));
        Assert.NotNull(await client.ResolveIfTimedOutAsync(id, job.First.Stages, job.Second.Stages, default));

        info = await client.GetAsync(id, default);
        Assert.Equal(DisputeOutcome.ChallengerWon, (DisputeOutcome)info.Outcome);
        Assert.Equal(2, info.Reason); // DefenderTimedOut
        foreach (int node in DisputeScenario.Replica0Nodes) Assert.Equal(BigInteger.Zero, await s.ActiveStakeAsync(node));
        Assert.Equal(1_000 * DisputeScenario.Token, await s.ActiveStakeAsync(DisputeScenario.Replica1Node));
        string audit = await AuditAsync(id);
        Assert.Contains("on-chain verdict: ChallengerWon (DefenderTimedOut)", audit);
        Assert.Contains("Merkle openings in the moves: 7 of 7 verify", audit);
    }

    /// <summary>A job whose replica 0 has a fault at <paramref name="fault"/>, and a dispute opened by the challenger account, nothing more.</summary>
    private async Task<(DisputeScenario, DisputeClient, DisputeCase, BigInteger)> OpenOnlyAsync(TracePoint fault, bool disputeTheHonestReplica)
    {
        DisputeScenario s = await DisputeScenario.StartAsync(_anvil, faultyReplica: 0, new TraceFault(fault));
        await _anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        var client = new DisputeClient(await _anvil.SenderAsync(DisputeScenario.Challenger), _anvil.Deployment);
        DisputeCase job = await s.CaseFromChainAsync();
        (BigInteger id, _) = disputeTheHonestReplica
            ? await client.OpenAsync(s.JobId, job.Second, job.First, default)
            : await client.OpenAsync(s.JobId, job.First, job.Second, default);
        return (s, client, job, id);
    }

    private async Task<DisputeResult> PlayAsync(DisputeScenario s)
    {
        await _anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        TransactionSender challenger = await _anvil.SenderAsync(DisputeScenario.Challenger);
        var client = new DisputeClient(challenger, _anvil.Deployment);
        using EngineTrace agreed = s.Recompute();
        DisputeResult result = await client.DisputeAsync(await s.CaseFromChainAsync(), agreed, DisputeScenario.Openings, default);
        foreach (DisputeMove move in result.Moves) output.WriteLine($"{move.Name}: {move.GasUsed} gas");
        output.WriteLine($"dispute {result.DisputeId} at {result.Step.At}: {result.TotalGas} gas in total (open + narrow + step + resolve)");

        BigInteger before = await s.BalanceAsync(DisputeScenario.Challenger);
        DisputeMove? claimed = await client.ClaimCreditAsync(challenger.Address, default);
        Assert.NotNull(claimed);
        BigInteger bond = await _anvil.Deployer.QueryAsync<ChallengerBondFunction, BigInteger>(_anvil.Deployment.DisputeGame, new(), default);
        // Bond back plus half of the 1 000 slashed tokens, less what paid the honest replica 1 when the refunded replica 0
        // was the wrong one (its net fee, as the only honest replica).
        Event<ReplicaCompensatedEvent> compensated = _anvil.Deployer.Web3.Eth.GetEvent<ReplicaCompensatedEvent>(_anvil.Deployment.JobMarket);
        BigInteger paidFromSlash = (await compensated.GetAllChangesAsync(compensated.CreateFilterInput()))
            .Where(e => new Bytes32(e.Event.JobId) == s.JobId).Aggregate(BigInteger.Zero, (sum, e) => sum + e.Event.Amount);
        Assert.Equal(result.DefenderReplica == 0 ? s.Request.Fee - s.Request.Fee * 500 / 10_000 : BigInteger.Zero, paidFromSlash);
        Assert.Equal(bond + 500 * DisputeScenario.Token - paidFromSlash, await s.BalanceAsync(DisputeScenario.Challenger) - before);
        return result;
    }

    private async Task AssertSlashedAsync(DisputeScenario s, DisputeResult result, int slashed, int[] spared)
    {
        Assert.Equal(BigInteger.Zero, await s.ActiveStakeAsync(slashed));
        foreach (int node in spared) Assert.Equal(1_000 * DisputeScenario.Token, await s.ActiveStakeAsync(node));
        var penalized = await _anvil.Deployer.Web3.Eth.GetEvent<NodePenalizedEvent>(_anvil.Deployment.DisputeGame)
            .GetAllChangesAsync(_anvil.Deployer.Web3.Eth.GetEvent<NodePenalizedEvent>(_anvil.Deployment.DisputeGame).CreateFilterInput());
        var only = Assert.Single(penalized, e => e.Event.DisputeId == result.DisputeId);
        Assert.Equal(AnvilChain.DevAddress(slashed), only.Event.Node, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(1_000 * DisputeScenario.Token, only.Event.Slashed);
        DisputeInfo info = await new DisputeClient(await _anvil.SenderAsync(0), _anvil.Deployment).GetAsync(result.DisputeId, default);
        Assert.Equal(DisputePhase.Resolved, (DisputePhase)info.Phase);
    }

    /// <summary>Runs the built auditor on a dispute: it must exit 0 (the verdict agrees); returns the account.</summary>
    private async Task<string> AuditAsync(BigInteger disputeId)
    {
        string deployment = Path.Combine(Path.GetTempPath(), $"depin-dispute-{Guid.NewGuid():N}.json");
        _anvil.Deployment.Save(deployment);
        try
        {
            DepinProcess.Result audit = await DepinProcess.RunAsync("audit", "replay", disputeId.ToString(), "--rpc", _anvil.Rpc.ToString(), "--deployment", deployment, "--model", SharedModels.Stories260K);
            output.WriteLine(audit.Out);
            Assert.True(audit.ExitCode == 0, $"audit exited {audit.ExitCode}: {audit.Error}");
            Assert.Contains("the verdict agrees", audit.Out);
            return audit.Out;
        }
        finally
        {
            File.Delete(deployment);
        }
    }

    private async Task<string> AssertAuditAgreesAsync(DisputeScenario s, DisputeResult result, string verdict)
    {
        string audit = await AuditAsync(result.DisputeId);
        Assert.Contains(verdict, audit);
        Assert.Contains(s.JobId.ToString(), audit);
        Assert.DoesNotContain("problem:", audit);
        return audit;
    }
}
