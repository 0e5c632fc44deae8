using System.Numerics;
using DePinLedger.Chain.Contracts.Game;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.RPC.Eth.DTOs;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// The coordinator defends its own honest nodes (issue 9): an attacker disputes an honest job the coordinator ran with a
/// fabricated commitment of its own; the coordinator's DisputeDefender answers the round from the workers' retained
/// trace without being asked, and when the attacker stalls and its clock runs out, claims the timeout.
/// </summary>
[Collection(HonestJobsCollection.Name)]
public sealed class DefenderTests(HonestJobsFixture fixture)
{
    private const string BurnAddress = "0x000000000000000000000000000000000000dEaD";

    [Fact]
    public async Task FalseDisputeOfAnHonestJob_TheCoordinatorAnswersOnItsOwn_ThenWinsWhenTheAttackerStalls()
    {
        // An honest verified job on configuration 1 (served by operator A's 0-1, 2-4; checked by C's 0-0, 1-3, 4-4).
        const int configuration = 1;
        var terms = new JobTermsDraft("Once upon a time", 8, 0, JobRequest.Q16One, 5);
        StreamedJob job = await fixture.RunJobAsync(HonestJobsFixture.Clients[0], configuration, terms, CancellationToken.None);
        Assert.Equal("submitted", job.Done.GetProperty("status").GetString());
        BigInteger[] stakesBefore = await Task.WhenAll(fixture.NodeAddresses.Select(fixture.ActiveStakeAsync));

        // The attacker commits to the honest trace with one wrong block output at (p + 2, block 2) and disputes replica 0 with it.
        int[] prompt = fixture.Model.Tokenizer.Encode(terms.Prompt, bos: true, eos: false);
        int position = prompt.Length + 2;
        JobOnChain onChain = await JobOnChain.LoadAsync(fixture.Chain.Deployer, fixture.Chain.Deployment, job.JobId, CancellationToken.None);
        SamplingParams sampling = JobTerms.Sampling(onChain.Request);
        StageLayout single = StageLayout.Single(fixture.Model.Config.Layers);
        using EngineTrace honest = EngineTrace.Run(new ReplicaRun(fixture.Model, prompt, (int)terms.MaxTokens, sampling, single));
        using EngineTrace fabricated = EngineTrace.Run(new ReplicaRun(fixture.Model, prompt, (int)terms.MaxTokens, sampling, single) { Fault = new TraceFault(new TracePoint(position, 3)) });
        DisputeCase falseCase = onChain.OwnCommitmentCase(prompt, 0, honest, fabricated);
        await fixture.Chain.MintAsync(AnvilChain.DevAddress(HonestJobsFixture.Attacker), 1_000);
        var attacker = new DisputeClient(await fixture.Chain.SenderAsync(HonestJobsFixture.Attacker), fixture.Chain.Deployment);
        (BigInteger id, DisputeMove opened) = await attacker.OpenAsync(job.JobId, falseCase.First, falseCase.Second, CancellationToken.None);
        await attacker.RevealPositionAsync(id, position, falseCase.Second, CancellationToken.None);

        // Nobody asks the coordinator: its defender sees the dispute and reveals its stages' part of the round.
        DisputeInfo info = await WaitForAsync(() => attacker.GetAsync(id, CancellationToken.None), i => i.OnTurn == 1 && i.HiSet, "the coordinator to answer the round");
        Assert.Equal((uint)position, info.Hi);
        Assert.Equal(3, info.StepSlot);
        Assert.Equal((byte)DisputePhase.Bisect, info.Phase);
        DisputeDefender defender = fixture.Coordinators[configuration].Services.GetRequiredService<DisputeDefender>();
        DefendedDispute? defended = await WaitForAsync(() => Task.FromResult(defender.Defended.SingleOrDefault(d => d.DisputeId == id)), d => d is { Answers: > 0 }, "the defender to record its answer");
        Assert.Equal(job.JobId, defended!.JobId);
        Assert.Equal(1, defended.Answers);
        // Two more rounds where the game picks the position: the defender answers each (the traces agree there, so lo moves up).
        for (int round = 2; round <= 3; round++)
        {
            long lo = info.LoSet ? info.Lo : -1;
            await attacker.RevealPositionAsync(id, (int)(lo + ((info.Hi - lo) / 2)), falseCase.Second, CancellationToken.None);
            info = await WaitForAsync(() => attacker.GetAsync(id, CancellationToken.None), i => i.OnTurn == 1, $"the coordinator to answer round {round}");
            Assert.True(info.LoSet);
            Assert.Equal((byte)DisputePhase.Bisect, info.Phase);
        }
        Assert.Equal(3, (await WaitForAsync(() => Task.FromResult(defender.Defended.Single(d => d.DisputeId == id)), d => d.Answers == 3, "the defender to record three answers")).Answers);
        // Only the coordinator that ran the job defends it.
        Assert.All(fixture.Coordinators.Where((_, c) => c != configuration), c => Assert.DoesNotContain(c.Services.GetRequiredService<DisputeDefender>().Defended, d => d.DisputeId == id));

        // Then the attacker stalls; once its clock has run out by the chain's time, the coordinator resolves for the defender.
        var latest = await fixture.Chain.Deployer.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());
        await fixture.Chain.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - latest.Timestamp.Value) + 1));
        info = await WaitForAsync(() => attacker.GetAsync(id, CancellationToken.None), i => i.Phase == (byte)DisputePhase.Resolved, "the coordinator to claim the timeout");
        // The defender records the outcome after its resolve transaction.
        defended = await WaitForAsync(() => Task.FromResult(defender.Defended.SingleOrDefault(d => d.DisputeId == id)), d => d?.Phase == DisputePhase.Resolved, "the defender to record the outcome");

        Assert.Equal(DisputeOutcome.DefenderWon, (DisputeOutcome)info.Outcome);
        Assert.Equal(3, info.Reason); // ChallengerTimedOut
        Assert.Equal(DisputeOutcome.DefenderWon, defended!.Outcome);
        // The honest nodes keep their stake; the job is submitted again, unfrozen, no replica marked wrong.
        Assert.Equal(stakesBefore, await Task.WhenAll(fixture.NodeAddresses.Select(fixture.ActiveStakeAsync)));
        var state = await fixture.OnChainAsync(job.JobId);
        Assert.Equal((byte)2, state.Status);
        Assert.Equal(0, state.FreezeCount);
        Assert.Equal(0, state.WrongMask);
        // The bond: a challenger that loses with its own commitment forfeits it to the burn address (DisputeGame._verdict:
        // paid to the defender's operator, an operator could block disputes of its own replica for free).
        CreditedEvent credit = Assert.Single(await fixture.LogsAsync<CreditedEvent>(fixture.Chain.Deployment.DisputeGame, opened.Block), c => c.DisputeId == id);
        Assert.Equal(BurnAddress, credit.Recipient, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(fixture.Chain.Deployment.Params.ChallengerBond, credit.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task DisputeNamingTheEqualReplica_TheCoordinatorShowsNoDisagreement_AndSettlesTheDecidedDispute()
    {
        // An honest verified job on configuration 3 (B 0-2, 3-4 | A 0-1, 2-4); a challenger disputes replica 0 naming
        // replica 1 and reveals replica 1's (honest, equal) position from its signed stages.
        const int configuration = 3;
        var terms = new JobTermsDraft("The little dog", 6, JobConventions.Q16FromMilli(700), 60_000, 11);
        StreamedJob job = await fixture.RunJobAsync(HonestJobsFixture.Clients[1], configuration, terms, CancellationToken.None);
        BigInteger[] stakesBefore = await Task.WhenAll(fixture.NodeAddresses.Select(fixture.ActiveStakeAsync));
        int[] prompt = fixture.Model.Tokenizer.Encode(terms.Prompt, bos: true, eos: false);
        JobOnChain onChain = await JobOnChain.LoadAsync(fixture.Chain.Deployer, fixture.Chain.Deployment, job.JobId, CancellationToken.None);
        IReadOnlyList<StageCommitment> checkStages = onChain.Replicas.Single(r => r.Replica == 1).Stages;
        using EngineTrace replica1 = EngineTrace.Run(new ReplicaRun(fixture.Model, prompt, (int)terms.MaxTokens, JobTerms.Sampling(onChain.Request),
            new StageLayout(fixture.Model.Config.Layers, [.. checkStages.Select(s => s.Span)])));
        DisputeCase equal = onChain.Case(prompt, replica1, replica1);
        await fixture.Chain.MintAsync(AnvilChain.DevAddress(HonestJobsFixture.Attacker), 1_000);
        var challenger = new DisputeClient(await fixture.Chain.SenderAsync(HonestJobsFixture.Attacker), fixture.Chain.Deployment);
        (BigInteger id, DisputeMove opened) = await challenger.OpenAsync(job.JobId, equal.First, equal.Second, CancellationToken.None);
        await challenger.RevealPositionAsync(id, prompt.Length, equal.Second, CancellationToken.None);

        // The defender's answer shows the position equal: the game decides for it at once, and the defender settles the dispute.
        DisputeInfo info = await WaitForAsync(() => challenger.GetAsync(id, CancellationToken.None), i => i.Phase == (byte)DisputePhase.Resolved, "the coordinator to answer and settle");
        Assert.Equal(DisputeOutcome.DefenderWon, (DisputeOutcome)info.Outcome);
        Assert.Equal(4, info.Reason); // NoDisagreement
        DisputeDefender defender = fixture.Coordinators[configuration].Services.GetRequiredService<DisputeDefender>();
        Assert.Equal(1, (await WaitForAsync(() => Task.FromResult(defender.Defended.SingleOrDefault(d => d.DisputeId == id)), d => d?.Phase == DisputePhase.Resolved, "the defender to record the outcome"))!.Answers);
        // No node of either replica is slashed (a pick without disagreement is the challenger account's failure); the bond is burned.
        Assert.Equal(stakesBefore, await Task.WhenAll(fixture.NodeAddresses.Select(fixture.ActiveStakeAsync)));
        Assert.Empty(await fixture.LogsAsync<Chain.Contracts.Staking.SlashedEvent>(fixture.Chain.Deployment.StakeManager, opened.Block));
        Assert.Equal((byte)2, (await fixture.OnChainAsync(job.JobId)).Status);
        CreditedEvent credit = Assert.Single(await fixture.LogsAsync<CreditedEvent>(fixture.Chain.Deployment.DisputeGame, opened.Block), c => c.DisputeId == id);
        Assert.Equal(BurnAddress, credit.Recipient, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Reads until <paramref name="reached"/> holds (the defender works in the background), for at most a minute.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> reached, string what)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            T value = await read();
            if (reached(value)) return value;
            if (patience.IsCancellationRequested) throw new TimeoutException($"waited a minute for {what}; the last reading: {value}");
            await Task.Delay(100, CancellationToken.None);
        }
    }
}
