using System.Globalization;
using System.Numerics;
using DePinLedger.Chain.Contracts.Game;
using DePinLedger.Chain.Contracts.Jobs;
using SlashRewardBpsFunction = DePinLedger.Chain.Contracts.Staking.SlashRewardBpsFunction;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Tests.Support;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Tests;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Worker.Tests;
using Microsoft.AspNetCore.Builder;
using Xunit.Abstractions;
using static DePinLedger.Gateway.Tests.FaultCatalogueFixture;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// The catalogue of dishonest behaviour, end to end: a verified job paid on anvil, posted to the coordinator's API and
/// streamed, run on two operator-disjoint pipelines of real `depin worker` processes, one of which holds a node with a
/// worker fault option. Everything is asserted from the chain: the coordinator disputed the wrong replica on its own,
/// the faulty node (and no other) was slashed, the replica was marked wrong, the client was refunded when the served
/// replica was the wrong one, the honest replica's stage operators were paid after the window, and
/// `depin audit replay` agrees with the verdict. Also: a worker that dies before its receipt (failover, nothing to
/// slash) and a defender whose worker is gone (bisection with the one available trace, won on the defender's timeout).
/// </summary>
[Collection(FaultCatalogueCollection.Name)]
public sealed class FaultCatalogueTests(FaultCatalogueFixture fixture, ITestOutputHelper output)
{
    /// <summary>Stands for the fixture's other-weights model file in the theory data.</summary>
    private const string OtherWeights = "OTHER-WEIGHTS";

    /// <summary>
    /// (fault, faulty replica, the faulty worker's span, its fault option and value, the step the dispute must prove as
    /// "position:slot", or "timeout"). stories260K has 5 blocks: slot 0 embeds, slots 1-5 are blocks 0-4, slot 6 is the
    /// head. Replica 0 runs 0-1, 2-3, 4-4; replica 1 runs 0-2, 3-4. The prompt has fewer than 9 tokens, so positions 9
    /// and 10 are generated. A corrupted leaf is a hash its node cannot open (no fields hash to it): the fast path
    /// cannot open it either, so the coordinator bisects, answers for the replica's honest stages, and the faulty
    /// stage's clock runs out.
    /// </summary>
    public static TheoryData<string, int, string, string, string, string> Catalogue => new()
    {
        { "corrupted leaf: embedding", 1, "0-2", "--fault-corrupt-leaf", "2:0", Timeout },
        { "corrupted leaf: block 1", 0, "0-1", "--fault-corrupt-leaf", "6:2", Timeout },
        { "corrupted leaf: block 4", 1, "3-4", "--fault-corrupt-leaf", "4:5", Timeout },
        { "corrupted leaf: head", 0, "4-4", "--fault-corrupt-leaf", "10:6", Timeout },
        // Noise after block 2 shows in block 3's leaf, still the faulty node's stage.
        { "noise", 0, "2-3", "--fault-noise", "7:2", "7:4" },
        { "skipped layer", 1, "3-4", "--fault-skip-layer", "3:5", "5:4" },
        // Other weights: the stage's very first leaf (position 0, block 2) is wrong.
        { "other weights", 0, "2-3", "--fault-other-weights", OtherWeights, "0:3" },
        { "random tokens", 1, "3-4", "--fault-random-tokens", "9", "9:6" },
    };

    private const string Timeout = "timeout";

    [Theory]
    [MemberData(nameof(Catalogue))]
    public async Task Fault_OnAVerifiedJob_IsDisputed_TheFaultyNodeSlashed_TheHonestReplicaPaid_AWrongServedResultRefunded_TheAuditAgrees(
        string fault, int faultyReplica, string span, string option, string value, string step)
    {
        using TestNode faulty = await fixture.StakedNodeAsync(faultyReplica == 0 ? OperatorA : OperatorB);
        using WorkerProcess worker = await WorkerProcess.StartAsync(faulty, span, "--rpc", fixture.Chain.Rpc.ToString(), option, value == OtherWeights ? fixture.OtherWeightsPath : value);
        StageRoute faultyStage = Stage(span, worker.Address);
        IReadOnlyList<StageRoute> replica = faultyReplica == 0 ? fixture.RouteA : fixture.RouteB;
        IReadOnlyList<StageRoute> served = faultyReplica == 0 ? Replace(fixture.RouteA, faultyStage) : fixture.RouteA;
        IReadOnlyList<StageRoute> check = faultyReplica == 1 ? Replace(fixture.RouteB, faultyStage) : fixture.RouteB;
        // Every stage of the faulty replica but the faulty one is an honest node whose part the coordinator reveals.
        uint honestParts = ((1u << replica.Count) - 1) & ~(1u << replica.ToList().FindIndex(s => s.FirstLayer == faultyStage.FirstLayer));

        Settlement settled = await RunAndSettleAsync(served, check, job => step == Timeout ? OutwaitTheDefenderAsync(job, honestParts) : Task.CompletedTask);

        DisputeReport dispute = settled.Dispute;
        output.WriteLine($"{fault}: dispute {dispute.DisputeId} on replica {dispute.DefenderReplica} by {dispute.Narrowing} at ({dispute.Position}, {dispute.Slot}), {dispute.Gas} gas, {dispute.Reason}");
        Assert.Equal(step == Timeout ? "bisection" : "fast", dispute.Narrowing);
        Assert.Equal(step == Timeout ? "-1:-1" : step, $"{dispute.Position}:{dispute.Slot}");
        await AssertOutcomeAsync(settled, faultyReplica, faulty.Address, step == Timeout ? "DefenderTimedOut" : "Step");
    }

    [Fact]
    public async Task DefenderWhoseWorkerIsGone_IsChallengedByBisection_ItsClockRunsOut_AndItIsSlashed()
    {
        // Replica 1 is one stage, the whole model, on the faulty node alone: a worker that keeps no trace
        // (--trace-retention-mb 0) and is killed once the result is on-chain. No one can answer for it.
        using TestNode faulty = await fixture.StakedNodeAsync(OperatorB);
        using WorkerProcess worker = await WorkerProcess.StartAsync(faulty, "0-4", "--rpc", fixture.Chain.Rpc.ToString(), "--fault-noise", "3:1", "--trace-retention-mb", "0");
        StageRoute[] check = [Stage("0-4", worker.Address)];

        Settlement settled = await RunAndSettleAsync(fixture.RouteA, check, job =>
        {
            worker.Kill();
            return OutwaitTheDefenderAsync(job, honestParts: 0);
        });

        DisputeReport dispute = settled.Dispute;
        Assert.True(worker.HasExited);
        Assert.Equal("bisection", dispute.Narrowing);
        Assert.Equal((-1, -1), (dispute.Position, dispute.Slot)); // decided by the clock, no step proven
        await AssertOutcomeAsync(settled, faultyReplica: 1, faulty.Address, "DefenderTimedOut");
    }

    [Fact]
    public async Task WorkerCrashingBeforeItsReceipt_IsFailedOver_TheOutputIsUnchanged_AndTheCrashedNodeIsNotPaid()
    {
        // The worker exits (137) during its last Forward call of the job: it has computed every earlier step and signs
        // no receipt. Node A's 2-3 worker stands by for that stage.
        using TestNode crashing = await fixture.StakedNodeAsync(OperatorA);
        using WorkerProcess worker = await WorkerProcess.StartAsync(crashing, "2-3", "--rpc", fixture.Chain.Rpc.ToString(),
            "--fault-crash-at-step", MaxTokens.ToString(CultureInfo.InvariantCulture));
        var standby = new StageRoute(2, 3, [worker.Address, fixture.RouteA[1].Endpoints[0]]);
        WebApplication coordinator = await fixture.StartCoordinatorAsync(Replace(fixture.RouteA, standby), fixture.RouteB);
        try
        {
            BigInteger creditBefore = await fixture.CreditAsync(Address(OperatorA)) + await fixture.CreditAsync(Address(OperatorB));
            (Bytes32 jobId, IReadOnlyList<int> streamed, CoordinatedJob job) = await fixture.RunVerifiedJobAsync(coordinator);
            await job.Settled.WaitAsync(TimeSpan.FromMinutes(5));

            Assert.True(worker.HasExited, "the crash fault never fired");
            Assert.True(job.Phase == JobPhase.Submitted, job.Error);
            Assert.Null(job.Dispute);
            using var generator = new Generator(fixture.Model, job.Prompt.Count + (int)MaxTokens);
            GenerationResult expected = generator.Generate(job.Prompt, (int)MaxTokens, JobTerms.Sampling(job.OnChain.Request), generator.NewTrace());
            Assert.Equal(expected.OutputTokens, streamed);
            Assert.All(job.Results, r => Assert.Equal(expected.TraceRoot, r.TraceRoot));
            // The standby finished the stage (a failover, or a hedge it won while the crashing worker stalled) and signed its receipt.
            StageStats stage = job.Results[0].Stages[1];
            output.WriteLine($"stage 1 of replica 0: {stage.Failovers} failovers, {stage.Hedges} hedges ({stage.HedgeWins} won), finished on {stage.FinalEndpoint}");
            Assert.Equal(fixture.RouteA[1].Endpoints[0], stage.FinalEndpoint);
            Assert.Equal(fixture.RouteA[1].Endpoints[0], job.Results[0].Receipts[1].Endpoint);
            Assert.Equal(fixture.NodeA.Address, job.Results[0].Receipts[1].Signer, StringComparer.OrdinalIgnoreCase);

            await fixture.FinalizeAfterWindowAsync(jobId);
            IReadOnlyList<StagePaidEvent> paid = await fixture.JobEventsAsync<StagePaidEvent>(jobId);
            Assert.Equal(5, paid.Count);
            Assert.DoesNotContain(paid, p => string.Equals(p.Node, crashing.Address, StringComparison.OrdinalIgnoreCase));
            Assert.Equal(NetFee, paid.Aggregate(BigInteger.Zero, (sum, p) => sum + p.Amount));
            Assert.Equal(NetFee, await fixture.CreditAsync(Address(OperatorA)) + await fixture.CreditAsync(Address(OperatorB)) - creditBefore);
            Assert.Equal(Stake, await fixture.ActiveStakeAsync(crashing.Address)); // nothing to slash
        }
        finally
        {
            await StopAsync(coordinator);
        }
    }

    /// <summary>What a case left behind: the job, what the client streamed, the dispute, and the credits before it ran.</summary>
    private sealed record Settlement(Bytes32 JobId, IReadOnlyList<int> Streamed, CoordinatedJob Job, DisputeReport Dispute, BigInteger ClientCredit, BigInteger OperatorCredit);

    /// <summary>
    /// Runs a verified job through a coordinator on the given routes, calls <paramref name="afterSubmission"/> once the
    /// stream has ended (the result is on-chain), waits until the coordinator has settled the dispute, then settles the
    /// job after its window.
    /// </summary>
    private async Task<Settlement> RunAndSettleAsync(IReadOnlyList<StageRoute> served, IReadOnlyList<StageRoute> check, Func<CoordinatedJob, Task> afterSubmission)
    {
        WebApplication coordinator = await fixture.StartCoordinatorAsync(served, check);
        try
        {
            BigInteger clientCredit = await fixture.CreditAsync(Address(Client));
            BigInteger operatorCredit = await fixture.CreditAsync(Address(OperatorA)) + await fixture.CreditAsync(Address(OperatorB));
            (Bytes32 jobId, IReadOnlyList<int> streamed, CoordinatedJob job) = await fixture.RunVerifiedJobAsync(coordinator);
            Assert.True(job.Phase == JobPhase.Submitted, job.Error);
            await afterSubmission(job);
            await job.Settled.WaitAsync(TimeSpan.FromMinutes(5));
            DisputeReport dispute = job.Dispute ?? throw new Xunit.Sdk.XunitException("the replicas agreed: the fault changed nothing");
            Assert.True(dispute.Error is null, dispute.Error);
            await fixture.FinalizeAfterWindowAsync(jobId);
            return new Settlement(jobId, streamed, job, dispute, clientCredit, operatorCredit);
        }
        finally
        {
            await StopAsync(coordinator);
        }
    }

    /// <summary>Everything the chain must say after a dispute the coordinator won against <paramref name="faultyReplica"/>.</summary>
    private async Task AssertOutcomeAsync(Settlement s, int faultyReplica, string faultyNode, string reason)
    {
        DisputeReport dispute = s.Dispute;
        Assert.Equal(faultyReplica, dispute.DefenderReplica);
        Assert.Equal("ChallengerWon", dispute.Outcome);
        Assert.Equal(reason, dispute.Reason);
        BigInteger disputeId = BigInteger.Parse(dispute.DisputeId, CultureInfo.InvariantCulture);

        // Slashed: the faulty node, to nothing, and no other node.
        Assert.Equal(BigInteger.Zero, await fixture.ActiveStakeAsync(faultyNode));
        Assert.Equal(Stake, await fixture.ActiveStakeAsync(fixture.NodeA.Address));
        Assert.Equal(Stake, await fixture.ActiveStakeAsync(fixture.NodeB.Address));
        var penalized = await fixture.EventsAsync<NodePenalizedEvent>(fixture.Chain.Deployment.DisputeGame);
        NodePenalizedEvent only = Assert.Single(penalized, e => e.Event.DisputeId == disputeId).Event;
        Assert.Equal(faultyNode, only.Node, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Stake, only.Slashed);

        // The replica is marked wrong.
        JobInfo job = await fixture.JobAsync(s.JobId);
        Assert.Equal(1 << faultyReplica, job.WrongMask);
        Assert.Equal(faultyReplica, Assert.Single(await fixture.JobEventsAsync<ReplicaProvenWrongEvent>(s.JobId)).Replica);

        // The client streamed replica 0's tokens. Either way the honest replica's stages (A: 3, B: 2) are paid the fee net of
        // the protocol's cut, as the only honest replica: replica 0 (node A) from the escrow after the window; or,
        // when replica 0 was the wrong one, the client gets its whole fee back and replica 1 (node B) is paid from the
        // slash, the coordinator (the challenger) keeping the bond and the rest of the reward.
        Assert.Equal(s.Job.Results[0].OutputTokens, s.Streamed);
        IReadOnlyList<StagePaidEvent> paid = await fixture.JobEventsAsync<StagePaidEvent>(s.JobId);
        BigInteger operatorCredit = await fixture.CreditAsync(Address(OperatorA)) + await fixture.CreditAsync(Address(OperatorB));
        int honestReplica = 1 - faultyReplica;
        (string honestNode, int honestOperator) = honestReplica == 0 ? (fixture.NodeA.Address, OperatorA) : (fixture.NodeB.Address, OperatorB);
        Assert.Equal(s.Job.Results[honestReplica].Receipts.Count, paid.Count);
        Assert.All(paid, p =>
        {
            Assert.Equal(honestReplica, p.Replica);
            Assert.Equal(honestNode, p.Node, StringComparer.OrdinalIgnoreCase);
            Assert.Equal(Address(honestOperator), p.Operator, StringComparer.OrdinalIgnoreCase);
        });
        Assert.Equal(NetFee, paid.Aggregate(BigInteger.Zero, (sum, p) => sum + p.Amount));
        Assert.Equal(NetFee, operatorCredit - s.OperatorCredit);
        if (faultyReplica == 0)
        {
            Assert.Equal((byte)4, job.Status); // Refunded
            JobRefundedEvent refund = Assert.Single(await fixture.JobEventsAsync<JobRefundedEvent>(s.JobId));
            Assert.Equal(Address(Client), refund.Client, StringComparer.OrdinalIgnoreCase);
            Assert.Equal(Fee, refund.Amount);
            Assert.Equal(Fee, await fixture.CreditAsync(Address(Client)) - s.ClientCredit);
            ReplicaCompensatedEvent compensated = Assert.Single(await fixture.JobEventsAsync<ReplicaCompensatedEvent>(s.JobId));
            Assert.Equal((1, NetFee), (compensated.Replica, compensated.Amount));
            BigInteger bond = await fixture.Chain.Deployer.QueryAsync<ChallengerBondFunction, BigInteger>(fixture.Chain.Deployment.DisputeGame, new ChallengerBondFunction(), CancellationToken.None);
            ushort rewardBps = await fixture.Chain.Deployer.QueryAsync<SlashRewardBpsFunction, ushort>(fixture.Chain.Deployment.StakeManager, new SlashRewardBpsFunction(), CancellationToken.None);
            IEnumerable<CreditedEvent> credited = (await fixture.EventsAsync<CreditedEvent>(fixture.Chain.Deployment.DisputeGame)).Select(e => e.Event).Where(e => e.DisputeId == disputeId);
            Assert.All(credited, e => Assert.Equal(Address(Coordinator), e.Recipient, StringComparer.OrdinalIgnoreCase));
            Assert.Equal(bond + Stake * rewardBps / 10_000 - NetFee, credited.Aggregate(BigInteger.Zero, (sum, e) => sum + e.Amount));
        }
        else
        {
            Assert.Equal((byte)3, job.Status); // Finalized
            Assert.Empty(await fixture.JobEventsAsync<JobRefundedEvent>(s.JobId));
            Assert.Empty(await fixture.JobEventsAsync<ReplicaCompensatedEvent>(s.JobId));
            Assert.Equal(s.ClientCredit, await fixture.CreditAsync(Address(Client)));
        }

        // An auditor with nothing but the chain and the public model reaches the same verdict.
        DepinProcess.Result audit = await DepinProcess.RunAsync("audit", "replay", dispute.DisputeId, "--rpc", fixture.Chain.Rpc.ToString(),
            "--deployment", fixture.DeploymentPath, "--model", SharedModels.Stories260K);
        output.WriteLine(audit.Out);
        Assert.True(audit.ExitCode == 0, $"audit exited {audit.ExitCode}: {audit.Error}");
        Assert.Contains($"on-chain verdict: ChallengerWon ({reason})", audit.Out);
        Assert.Contains("the verdict agrees", audit.Out);
    }

    /// <summary>
    /// Waits until the coordinator has opened a dispute on the job by bisection, revealed its first position and
    /// answered for the defender's honest stages (<paramref name="honestParts"/>, a stage mask); then nobody moves, and
    /// the chain's clock is moved past the defender's deadline.
    /// </summary>
    private async Task OutwaitTheDefenderAsync(CoordinatedJob job, uint honestParts)
    {
        (BigInteger id, DisputeInfo info) = await DefenderOnTurnAsync(job.Id, honestParts);
        output.WriteLine($"dispute {id}: the defender is on turn at position {info.RoundPosition} (parts revealed {info.PartsMask:b}) until {info.Deadline}");
        ulong now = await fixture.ChainTimeAsync();
        await fixture.Chain.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - now) + 1));
    }

    private async Task<(BigInteger Id, DisputeInfo Info)> DefenderOnTurnAsync(Bytes32 jobId, uint honestParts)
    {
        var client = new DisputeClient(await fixture.Chain.SenderAsync(0), fixture.Chain.Deployment);
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var events = await fixture.EventsAsync<DisputeOpenedEvent>(fixture.Chain.Deployment.DisputeGame);
            if (events.FirstOrDefault(e => e.Event.JobId.AsSpan().SequenceEqual(jobId.Span)) is { } found)
            {
                DisputeInfo info = await client.GetAsync(found.Event.DisputeId, patience.Token);
                if ((DisputePhase)info.Phase == DisputePhase.Bisect && info.OnTurn == 0 && info.Deadline > 0 && info.PartsMask == honestParts) return (found.Event.DisputeId, info);
            }
            await Task.Delay(200, patience.Token);
        }
    }

    /// <summary>The fee net of the protocol's cut (5 %): what a job's paid stages share.</summary>
    private static BigInteger NetFee => Fee - Fee * 500 / 10_000;

    private static string Address(int dev) => Chain.Tests.Support.AnvilChain.DevAddress(dev);

    private static StageRoute Stage(string span, Uri worker)
    {
        int[] layers = [.. span.Split('-').Select(l => int.Parse(l, CultureInfo.InvariantCulture))];
        return new StageRoute(layers[0], layers[1], [worker]);
    }

    /// <summary>The route with <paramref name="stage"/> in place of the stage of the same span.</summary>
    private static StageRoute[] Replace(IReadOnlyList<StageRoute> route, StageRoute stage) =>
        [.. route.Select(s => s.FirstLayer == stage.FirstLayer && s.LastLayer == stage.LastLayer ? stage : s)];

    private static async Task StopAsync(WebApplication coordinator)
    {
        await coordinator.StopAsync();
        await coordinator.DisposeAsync();
    }
}
