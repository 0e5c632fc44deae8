using System.Globalization;
using System.Numerics;
using DePinLedger.Chain.Contracts.Game;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data;
using DePinLedger.Data.Coordination;
using DePinLedger.Data.Reputation;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Engine;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Worker.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static DePinLedger.Gateway.Tests.FaultCatalogueFixture;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// Disputes outlive the coordinator (issue 9): with a database it journals every job it runs (prompt tokens, each
/// replica's stages, nodes and workers, leaf count) and records the bisections it opens, so that a new coordinator on
/// the same database defends the honest nodes of jobs its predecessor ran, and finishes its predecessor's bisections.
/// Real anvil, PostgreSQL and `depin worker` processes (the fault catalogue's network).
/// </summary>
[Collection(FaultCatalogueCollection.Name)]
public sealed class DurableDisputeTests(FaultCatalogueFixture fixture, ITestOutputHelper output)
{
    private const int Attacker = 9;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task FalseChallengeOpenedAfterARestart_TheNewCoordinatorDefendsTheJobItsPredecessorRan_AndTheDefenderWins()
    {
        // The old coordinator runs an honest verified job (A 0-1, 2-3, 4-4 | B 0-2, 3-4) and is stopped.
        Bytes32 jobId;
        WebApplication old = await fixture.StartCoordinatorAsync(fixture.RouteA, fixture.RouteB);
        try
        {
            (jobId, _, CoordinatedJob job) = await fixture.RunVerifiedJobAsync(old);
            await job.Settled.WaitAsync(Patience);
            Assert.True(job.Phase == JobPhase.Submitted, job.Error);
            Assert.Null(job.Dispute);
        }
        finally
        {
            await StopAsync(old);
        }
        // Its journal holds what a defence needs: the prompt's tokens and every replica's stages with their workers.
        await using (DePinDbContext db = fixture.Database.Context())
        {
            string id = jobId.ToString();
            Assert.Equal(CoordinatorJournal.Join(fixture.Model.Tokenizer.Encode(Prompt, bos: true, eos: false)), (await db.CoordinatedJobs.SingleAsync(j => j.JobId == id)).PromptTokens);
            Assert.Equal(new[] { 3, 2 }, await db.CoordinatedStages.Where(s => s.JobId == id).GroupBy(s => s.Replica).OrderBy(g => g.Key).Select(g => g.Count()).ToListAsync());
            Assert.Equal(
                fixture.RouteA.Select(s => s.Endpoints[0].ToString()),
                await db.CoordinatedStages.Where(s => s.JobId == id && s.Replica == 0).OrderBy(s => s.Stage).Select(s => s.WorkerEndpoint).ToListAsync());
        }

        WebApplication restarted = await fixture.StartCoordinatorAsync(fixture.RouteA, fixture.RouteB);
        try
        {
            Assert.Null(restarted.Services.GetRequiredService<JobCoordinator>().Find(jobId)); // not in its memory: only in the database
            BigInteger[] stakesBefore = await StakesAsync();

            // The attacker commits to the honest trace with one wrong block output at (p + 2, block 2) and disputes replica 0 with it.
            int[] prompt = fixture.Model.Tokenizer.Encode(Prompt, bos: true, eos: false);
            int position = prompt.Length + 2;
            JobOnChain onChain = await JobOnChain.LoadAsync(fixture.Chain.Deployer, fixture.Chain.Deployment, jobId, CancellationToken.None);
            SamplingParams sampling = JobTerms.Sampling(onChain.Request);
            StageLayout single = StageLayout.Single(fixture.Model.Config.Layers);
            using EngineTrace honest = EngineTrace.Run(new ReplicaRun(fixture.Model, prompt, (int)MaxTokens, sampling, single));
            using EngineTrace fabricated = EngineTrace.Run(new ReplicaRun(fixture.Model, prompt, (int)MaxTokens, sampling, single) { Fault = new TraceFault(new TracePoint(position, 3)) });
            DisputeCase falseCase = onChain.OwnCommitmentCase(prompt, 0, honest, fabricated);
            await fixture.Chain.MintAsync(AnvilChain.DevAddress(Attacker), 1_000);
            var attacker = new DisputeClient(await fixture.Chain.SenderAsync(Attacker), fixture.Chain.Deployment);
            (BigInteger disputeId, _) = await attacker.OpenAsync(jobId, falseCase.First, falseCase.Second, CancellationToken.None);
            await attacker.RevealPositionAsync(disputeId, position, falseCase.Second, CancellationToken.None);

            // The restarted coordinator's defender finds the job in the journal and reveals its stages' part of the round.
            DisputeDefender defender = restarted.Services.GetRequiredService<DisputeDefender>();
            DefendedDispute defended = await WaitForAsync(() => Task.FromResult(defender.Defended.SingleOrDefault(d => d.DisputeId == disputeId)), d => d is { Answers: > 0 },
                "the restarted coordinator to answer the round") ?? throw new InvalidOperationException("unreachable");
            Assert.Equal(jobId, defended.JobId);
            Assert.Equal(0, defended.DefenderReplica);
            DisputeInfo info = await attacker.GetAsync(disputeId, CancellationToken.None);
            Assert.Equal((byte)DisputePhase.Bisect, info.Phase);
            Assert.Equal(1, info.OnTurn); // the challenger's turn again
            Assert.Equal((uint)position, info.Hi);

            // The attacker stalls; once its clock has run out by the chain's time, the coordinator resolves for the defender.
            await fixture.Chain.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - await fixture.ChainTimeAsync()) + 1));
            info = await WaitForAsync(() => attacker.GetAsync(disputeId, CancellationToken.None), i => i.Phase == (byte)DisputePhase.Resolved, "the coordinator to claim the timeout");
            Assert.Equal(DisputeOutcome.DefenderWon, (DisputeOutcome)info.Outcome);
            Assert.Equal((byte)DisputeReason.ChallengerTimedOut, info.Reason);
            Assert.Equal(DisputeOutcome.DefenderWon,
                (await WaitForAsync(() => Task.FromResult(defender.Defended.Single(d => d.DisputeId == disputeId)), d => d.Phase == DisputePhase.Resolved, "the defender to record the outcome")).Outcome);

            // No stake lost; the job is submitted, unfrozen, no replica marked wrong.
            Assert.Equal(stakesBefore, await StakesAsync());
            JobInfo state = await fixture.JobAsync(jobId);
            Assert.Equal((byte)OnChainStatus.Submitted, state.Status);
            Assert.Equal(0, state.FreezeCount);
            Assert.Equal(0, state.WrongMask);
        }
        finally
        {
            await StopAsync(restarted);
        }
    }

    [Fact]
    public async Task BisectionLeftPendingWhenTheCoordinatorStops_ANewCoordinatorOnTheSameDatabaseClaimsTheTimeout_AndTheFaultyNodeIsSlashed()
    {
        // Replica 1 is one stage on a faulty node whose worker keeps no trace (--trace-retention-mb 0): only a bisection,
        // won on the defender's timeout, can prove it wrong.
        using TestNode faulty = await fixture.StakedNodeAsync(OperatorB);
        using WorkerProcess worker = await WorkerProcess.StartAsync(faulty, "0-4", "--rpc", fixture.Chain.Rpc.ToString(), "--fault-noise", "3:1", "--trace-retention-mb", "0");
        StageRoute[] check = [new StageRoute(0, 4, [worker.Address])];
        Bytes32 jobId;
        BisectionRecord pending;
        DisputeInfo info;
        var reader = new DisputeClient(await fixture.Chain.SenderAsync(0), fixture.Chain.Deployment);
        WebApplication old = await fixture.StartCoordinatorAsync(fixture.RouteA, check);
        try
        {
            (jobId, _, CoordinatedJob job) = await fixture.RunVerifiedJobAsync(old);
            Assert.True(job.Phase == JobPhase.Submitted, job.Error);
            // The watcher opens the bisection, records it, reveals the first position and leaves the rest to the bisection job.
            DisputeReport report = await WaitForAsync(() => Task.FromResult(job.Dispute), d => d is not null, "the watcher to open the bisection") ?? throw new InvalidOperationException("unreachable");
            output.WriteLine($"the old coordinator's report: dispute {report.DisputeId} on replica {report.DefenderReplica}: {report.Outcome}");
            Assert.True(report.Pending, report.Error ?? report.Outcome);
            Assert.Equal("bisection", report.Narrowing);
            Assert.Equal(1, report.DefenderReplica);
            Assert.False(job.Settled.IsCompleted); // settled only with the verdict
            pending = await WaitForAsync(() => BisectionAsync(report.DisputeId), b => b?.LastAction.StartsWith("waiting", StringComparison.Ordinal) == true,
                "the bisection to wait for the defender") ?? throw new InvalidOperationException("unreachable");
            info = await reader.GetAsync(BigInteger.Parse(pending.DisputeId, CultureInfo.InvariantCulture), CancellationToken.None);
            Assert.Equal((byte)DisputePhase.Bisect, info.Phase);
            Assert.Equal(0, info.OnTurn); // the defender's turn, which nobody can take
        }
        finally
        {
            await StopAsync(old);
            worker.Kill();
        }
        Assert.Equal(BisectionStatus.Open, (await BisectionAsync(pending.DisputeId))!.Status);
        Assert.Equal(jobId.ToString(), pending.JobId);
        Assert.Equal(1, pending.DefenderReplica);
        Assert.Equal(Stake, await fixture.ActiveStakeAsync(faulty.Address));

        // The defender's clock runs out while no coordinator runs; a new one on the same database takes the dispute up.
        await fixture.Chain.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - await fixture.ChainTimeAsync()) + 1));
        WebApplication restarted = await fixture.StartCoordinatorAsync(fixture.RouteA, fixture.RouteB);
        try
        {
            BisectionRecord done = await WaitForAsync(() => BisectionAsync(pending.DisputeId), b => b?.Status != BisectionStatus.Open, "the new coordinator to finish the bisection")
                ?? throw new InvalidOperationException("unreachable");
            output.WriteLine($"dispute {done.DisputeId}: {done.Status}, {done.Outcome} ({done.Reason}), last action {done.LastAction}, {done.Gas} gas");
            Assert.Equal(BisectionStatus.Resolved, done.Status);
            Assert.Equal(nameof(DisputeOutcome.ChallengerWon), done.Outcome);
            Assert.Equal(nameof(DisputeReason.DefenderTimedOut), done.Reason);
            Assert.Null(done.StepPosition); // decided by the clock, no step proven
        }
        finally
        {
            await StopAsync(restarted);
        }

        // On-chain: resolved for the challenger; the faulty node (and no other) slashed to nothing; replica 1 marked wrong.
        var disputeId = BigInteger.Parse(pending.DisputeId, CultureInfo.InvariantCulture);
        info = await reader.GetAsync(disputeId, CancellationToken.None);
        Assert.Equal((byte)DisputePhase.Resolved, info.Phase);
        Assert.Equal(DisputeOutcome.ChallengerWon, (DisputeOutcome)info.Outcome);
        Assert.Equal(BigInteger.Zero, await fixture.ActiveStakeAsync(faulty.Address));
        Assert.Equal(Stake, await fixture.ActiveStakeAsync(fixture.NodeA.Address));
        Assert.Equal(Stake, await fixture.ActiveStakeAsync(fixture.NodeB.Address));
        NodePenalizedEvent penalized = Assert.Single(await fixture.EventsAsync<NodePenalizedEvent>(fixture.Chain.Deployment.DisputeGame), e => e.Event.DisputeId == disputeId).Event;
        Assert.Equal(faulty.Address, penalized.Node, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Stake, penalized.Slashed);
        Assert.Equal(1 << 1, (await fixture.JobAsync(jobId)).WrongMask);
    }

    [Fact]
    public async Task DisagreementNeverCheckedBeforeTheCoordinatorStopped_ANewCoordinatorDisputesItFromTheJournal_AndTheFaultyNodeIsSlashed()
    {
        (Bytes32 jobId, TestNode faulty, WorkerProcess worker) = await DisagreementLeftUncheckedAsync();
        using (faulty)
        using (worker)
        {
            var reader = new DisputeClient(await fixture.Chain.SenderAsync(0), fixture.Chain.Deployment);
            Assert.Equal(BigInteger.Zero, (await DisputeOfAsync(reader, jobId)).Id);

            // A new coordinator on the same database (the real deployment) finds the unchecked disagreement and disputes it.
            WebApplication restarted = await fixture.StartCoordinatorAsync(fixture.RouteA, fixture.RouteB);
            try
            {
                DisputeInfo resolved = await ResolvedDisputeAsync(reader, jobId);
                Assert.Equal((byte)DisputeReason.Step, resolved.Reason);
                await JournalCheckedAsync(jobId);

                // Reputation follows the slash: once the indexer commits it (two confirmations: mine them), its notification
                // has a recomputation enqueued, which scores the slashed node 0.
                await fixture.Chain.MineAsync(3);
                string node = faulty.Address.ToLowerInvariant();
                ReputationSnapshot? score = await WaitForAsync(async () =>
                {
                    await using DePinDbContext db = fixture.Database.Context();
                    return await db.ReputationSnapshots.AsNoTracking().Where(r => r.Node == node).OrderByDescending(r => r.Id).FirstOrDefaultAsync();
                }, r => r is { ScorePpm: 0 }, "the slashed node's reputation to be recomputed");
                output.WriteLine($"reputation of {node}: {score!.ScorePpm} ppm at {score.At:O}");
            }
            finally
            {
                await StopAsync(restarted);
            }
            await AssertOnlyFaultySlashedOnceAsync(jobId, faulty);
        }
    }

    [Fact]
    public async Task DisputeOpenedJustBeforeTheCoordinatorStopped_ANewCoordinatorTakesItUp_AndTheFaultyNodeIsSlashed()
    {
        (Bytes32 jobId, TestNode faulty, WorkerProcess worker) = await DisagreementLeftUncheckedAsync();
        using (faulty)
        using (worker)
        {
            // What a coordinator that stopped right after the fast path's `open` leaves: its dispute open against the wrong
            // replica 1, recorded nowhere, and the job's check unfinished.
            int[] prompt = fixture.Model.Tokenizer.Encode(Prompt, bos: true, eos: false);
            JobOnChain onChain = await JobOnChain.LoadAsync(fixture.Chain.Deployer, fixture.Chain.Deployment, jobId, CancellationToken.None);
            SamplingParams sampling = JobTerms.Sampling(onChain.Request);
            using EngineTrace trace = EngineTrace.Run(new ReplicaRun(fixture.Model, prompt, (int)MaxTokens, sampling, StageLayout.Single(fixture.Model.Config.Layers)));
            var coordinator = new DisputeClient(await fixture.Chain.SenderAsync(Coordinator), fixture.Chain.Deployment);
            (BigInteger disputeId, _) = await coordinator.OpenAsync(jobId, onChain.Side(1, trace), onChain.Side(0, trace), CancellationToken.None);

            WebApplication restarted = await fixture.StartCoordinatorAsync(fixture.RouteA, fixture.RouteB);
            try
            {
                var reader = new DisputeClient(await fixture.Chain.SenderAsync(0), fixture.Chain.Deployment);
                DisputeInfo resolved = await ResolvedDisputeAsync(reader, jobId);
                Assert.Equal(disputeId, (await DisputeOfAsync(reader, jobId)).Id);
                BisectionRecord played = (await BisectionAsync(disputeId.ToString(CultureInfo.InvariantCulture)))!;
                output.WriteLine($"dispute {played.DisputeId}: {played.Status}, {played.Outcome} ({played.Reason}), step ({played.StepPosition}, {played.StepSlot}), {played.Gas} gas");
                Assert.Equal(BisectionStatus.Resolved, played.Status);
                // Both traces were at hand: the game was played to the step, not won on a clock.
                Assert.Equal((byte)DisputeReason.Step, resolved.Reason);
                await JournalCheckedAsync(jobId);
            }
            finally
            {
                await StopAsync(restarted);
            }
            await AssertOnlyFaultySlashedOnceAsync(jobId, faulty);
        }
    }

    /// <summary>
    /// A verified job whose replica 1 (one stage on a faulty node: noise at position 3, block 1, trace kept) disagrees,
    /// submitted by a coordinator that saw no dispute game, with its journal row put back to the state of a coordinator
    /// that stopped between submitting and finishing its check (DisputeCheckedAt null). The caller disposes the node and worker.
    /// </summary>
    private async Task<(Bytes32 JobId, TestNode Faulty, WorkerProcess Worker)> DisagreementLeftUncheckedAsync()
    {
        TestNode faulty = await fixture.StakedNodeAsync(OperatorB);
        WorkerProcess worker = await WorkerProcess.StartAsync(faulty, "0-4", "--rpc", fixture.Chain.Rpc.ToString(), "--fault-noise", "3:1");
        TransactionSender submitter = await fixture.Chain.SenderAsync(Coordinator);
        DePinLedger.Chain.Deployment.DeploymentFile blind = fixture.Chain.Deployment with { DisputeGame = "0x0000000000000000000000000000000000000000" };
        WebApplication old = await CoordinatorHost.StartAsync(fixture.Model, new CoordinatorChain(submitter.Chain, submitter, blind), new CoordinatorOptions
        {
            ServedRoute = fixture.RouteA, CheckRoute = [new StageRoute(0, 4, [worker.Address])], ModelName = "stories260K", Database = fixture.Database.Options,
        }, CancellationToken.None);
        Bytes32 jobId;
        try
        {
            (jobId, _, CoordinatedJob job) = await fixture.RunVerifiedJobAsync(old);
            await job.Settled.WaitAsync(Patience);
            Assert.True(job.Phase == JobPhase.Submitted, job.Error);
            Assert.NotNull(job.Dispute?.Error); // "no dispute game"
        }
        finally
        {
            await StopAsync(old);
        }
        string id = jobId.ToString();
        await using (DePinDbContext db = fixture.Database.Context())
        {
            CoordinatedJobRecord row = await db.CoordinatedJobs.SingleAsync(j => j.JobId == id);
            Assert.Equal(3, row.FirstDifferingPosition); // where the noise starts
            Assert.NotNull(row.DisputeCheckedAt);
            row.DisputeCheckedAt = null;
            await db.SaveChangesAsync();
        }
        Assert.Equal(0, (await fixture.JobAsync(jobId)).FreezeCount);
        return (jobId, faulty, worker);
    }

    /// <summary>Waits for the job's dispute to be resolved on-chain: the challenger won against replica 1.</summary>
    private async Task<DisputeInfo> ResolvedDisputeAsync(DisputeClient reader, Bytes32 jobId)
    {
        (BigInteger disputeId, DisputeInfo? resolved) = await WaitForAsync(() => DisputeOfAsync(reader, jobId), d => d.Info is { Phase: (byte)DisputePhase.Resolved },
            "the new coordinator to play the dispute to its resolution");
        output.WriteLine($"dispute {disputeId} on replica {resolved!.DefenderReplica}: {(DisputeOutcome)resolved.Outcome}");
        Assert.Equal(DisputeOutcome.ChallengerWon, (DisputeOutcome)resolved.Outcome);
        Assert.Equal(1, resolved.DefenderReplica);
        return resolved;
    }

    private async Task JournalCheckedAsync(Bytes32 jobId)
    {
        string id = jobId.ToString();
        await WaitForAsync(async () =>
        {
            await using DePinDbContext db = fixture.Database.Context();
            return (await db.CoordinatedJobs.AsNoTracking().SingleAsync(j => j.JobId == id)).DisputeCheckedAt;
        }, checkedAt => checkedAt is not null, "the journal to record the check");
    }

    /// <summary>The faulty node (and no other) slashed, replica 1 marked wrong, one dispute on the job.</summary>
    private async Task AssertOnlyFaultySlashedOnceAsync(Bytes32 jobId, TestNode faulty)
    {
        Assert.Equal(BigInteger.Zero, await fixture.ActiveStakeAsync(faulty.Address));
        Assert.Equal(Stake, await fixture.ActiveStakeAsync(fixture.NodeA.Address));
        Assert.Equal(1 << 1, (await fixture.JobAsync(jobId)).WrongMask);
        Assert.Single(await fixture.EventsAsync<DisputeOpenedEvent>(fixture.Chain.Deployment.DisputeGame), e => e.Event.JobId.AsSpan().SequenceEqual(jobId.Span));
    }

    [Fact]
    public async Task WithoutADatabase_TheWatcherStillPlaysTheBisectionInline_AndTheFaultyNodeIsSlashed()
    {
        using TestNode faulty = await fixture.StakedNodeAsync(OperatorB);
        using WorkerProcess worker = await WorkerProcess.StartAsync(faulty, "0-4", "--rpc", fixture.Chain.Rpc.ToString(), "--fault-noise", "3:1", "--trace-retention-mb", "0");
        TransactionSender submitter = await fixture.Chain.SenderAsync(Coordinator);
        WebApplication coordinator = await CoordinatorHost.StartAsync(fixture.Model, new CoordinatorChain(submitter.Chain, submitter, fixture.Chain.Deployment), new CoordinatorOptions
        {
            ServedRoute = fixture.RouteA, CheckRoute = [new StageRoute(0, 4, [worker.Address])], ModelName = "stories260K",
        }, CancellationToken.None);
        try
        {
            Assert.False(coordinator.Services.GetRequiredService<CoordinatorJournal>().Enabled);
            (Bytes32 jobId, _, CoordinatedJob job) = await fixture.RunVerifiedJobAsync(coordinator);
            // The watcher holds the job's slot while it plays: it reveals, then waits for the defender, whose clock is moved past its deadline.
            var reader = new DisputeClient(await fixture.Chain.SenderAsync(0), fixture.Chain.Deployment);
            (BigInteger disputeId, DisputeInfo? waiting) = await WaitForAsync(() => DisputeOfAsync(reader, jobId), d => d.Info is { Phase: (byte)DisputePhase.Bisect, OnTurn: 0 },
                "the watcher to wait for the defender");
            DisputeInfo info = waiting ?? throw new InvalidOperationException("unreachable");
            Assert.False(job.Settled.IsCompleted);
            await fixture.Chain.WarpAsync(TimeSpan.FromSeconds((double)(info.Deadline - await fixture.ChainTimeAsync()) + 1));
            await job.Settled.WaitAsync(Patience);

            DisputeReport report = job.Dispute ?? throw new Xunit.Sdk.XunitException("no dispute");
            Assert.True(report.Error is null, report.Error);
            Assert.Equal(disputeId.ToString(CultureInfo.InvariantCulture), report.DisputeId);
            Assert.Equal(("bisection", nameof(DisputeOutcome.ChallengerWon), nameof(DisputeReason.DefenderTimedOut)), (report.Narrowing, report.Outcome, report.Reason));
            Assert.Equal(BigInteger.Zero, await fixture.ActiveStakeAsync(faulty.Address));
            Assert.Equal(1 << 1, (await fixture.JobAsync(jobId)).WrongMask);
        }
        finally
        {
            await StopAsync(coordinator);
        }
    }

    /// <summary>The dispute opened on <paramref name="jobId"/> and its state, or (0, null) while there is none.</summary>
    private async Task<(BigInteger Id, DisputeInfo? Info)> DisputeOfAsync(DisputeClient reader, Bytes32 jobId)
    {
        var opened = await fixture.EventsAsync<DisputeOpenedEvent>(fixture.Chain.Deployment.DisputeGame);
        return opened.FirstOrDefault(e => e.Event.JobId.AsSpan().SequenceEqual(jobId.Span)) is { } found
            ? (found.Event.DisputeId, await reader.GetAsync(found.Event.DisputeId, CancellationToken.None))
            : (BigInteger.Zero, null);
    }

    private async Task<BisectionRecord?> BisectionAsync(string disputeId)
    {
        await using DePinDbContext db = fixture.Database.Context();
        return await db.Bisections.AsNoTracking().SingleOrDefaultAsync(b => b.DisputeId == disputeId);
    }

    private async Task<BigInteger[]> StakesAsync() =>
        [await fixture.ActiveStakeAsync(fixture.NodeA.Address), await fixture.ActiveStakeAsync(fixture.NodeB.Address)];

    /// <summary>Reads until <paramref name="reached"/> holds (the coordinator works in the background), for at most <see cref="Patience"/>.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> reached, string what)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            T value = await read();
            if (reached(value)) return value;
            if (patience.IsCancellationRequested) throw new TimeoutException($"waited {Patience} for {what}; the last reading: {value}");
            await Task.Delay(200, CancellationToken.None);
        }
    }

    private static async Task StopAsync(WebApplication coordinator)
    {
        await coordinator.StopAsync();
        await coordinator.DisposeAsync();
    }
}
