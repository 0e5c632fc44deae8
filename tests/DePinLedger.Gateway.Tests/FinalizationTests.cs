using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Data;
using DePinLedger.Data.Jobs;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Protocol.Encoding;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Gateway.Tests;

/// <summary>The gateway network without a shared coordinator, on its own anvil: these tests warp the chain's clock by a day.</summary>
public sealed class FinalizationFixture() : GatewayFixture(startsCoordinator: false);

[CollectionDefinition(Name)]
public sealed class FinalizationCollection : ICollectionFixture<FinalizationFixture>
{
    public const string Name = "finalization";
}

/// <summary>
/// Settlement after the challenge window on anvil + PostgreSQL + the real workers: a verified and a single job run
/// through one coordinator, which is stopped during their window; the chain's clock passes the window; a new coordinator
/// on the same database pays every stage operator exactly what JobMarket defines, and leaves alone a job whose window
/// is still open.
/// </summary>
[Collection(FinalizationCollection.Name)]
public sealed class FinalizationTests(FinalizationFixture fixture)
{
    private const string Prompt = "Once upon a time";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task RestartedCoordinator_FinalizesWhatItsWindowClosedOn_AndPaysEveryStageOperatorItsShare()
    {
        string jobMarket = fixture.Chain.Deployment.JobMarket;
        TimeSpan window = TimeSpan.FromSeconds(fixture.Chain.Deployment.Params.ChallengeWindow);
        Bytes32 verified, single, late;
        WebApplication first = await fixture.StartCoordinatorAsync(fixture.CoordinatorOptions());
        try
        {
            verified = await RunAsync(first, await fixture.CreateJobAsync(3, Prompt, maxTokens: 12, replicas: 2));
            single = await RunAsync(first, await fixture.CreateJobAsync(4, Prompt, maxTokens: 12));
            // Ten minutes before their window ends, a third job is submitted: its own window is then still open for a day.
            await fixture.Chain.WarpAsync(window - TimeSpan.FromMinutes(10));
            late = await RunAsync(first, await fixture.CreateJobAsync(5, Prompt, maxTokens: 8, deadline: (await fixture.ChainTimeAsync()).AddHours(1)));
            await WaitIndexedAsync(JobStatus.Submitted, verified, single, late);
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        // Nothing was paid while the window was open.
        foreach (Bytes32 job in (Bytes32[])[verified, single, late]) Assert.Equal((byte)OnChainStatus.Submitted, (await fixture.OnChainAsync(job)).Status);

        // The window of the first two passes while no coordinator runs.
        await fixture.Chain.WarpAsync(TimeSpan.FromMinutes(11));
        WebApplication second = await fixture.StartCoordinatorAsync(fixture.CoordinatorOptions());
        try
        {
            // The new coordinator catches up on its own (its start-up pass over the indexed database).
            await WaitOnChainAsync(OnChainStatus.Finalized, verified, single);
            Assert.Equal((byte)OnChainStatus.Submitted, (await fixture.OnChainAsync(late)).Status);
            // Its next pass has nothing left to finalize: the late job's window is open by the chain's clock.
            await fixture.Chain.MineAsync(3);
            await WaitIndexedAsync(JobStatus.Finalized, verified, single);
            FinalizationSummary pass = await second.Services.GetRequiredService<JobFinalizer>().RunAsync(CancellationToken.None);
            Assert.Equal(new FinalizationSummary(0, 0, 0, 0, 0), pass);
            Assert.Equal((byte)OnChainStatus.Submitted, (await fixture.OnChainAsync(late)).Status);
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
        }

        // From the chain: each stage's StagePaid is fee × (1 − bps/10000) × layers / (layerCount × paid replicas).
        var chain = fixture.Chain.Deployer;
        int bps = await Settlement.ProtocolFeeBpsAsync(chain, jobMarket);
        IReadOnlyList<StagePaidEvent> paid = await Settlement.EventsAsync<StagePaidEvent>(chain, jobMarket);
        IReadOnlyList<JobFinalizedEvent> finalized = await Settlement.EventsAsync<JobFinalizedEvent>(chain, jobMarket);
        Assert.DoesNotContain(paid, p => new Bytes32(p.JobId) == late);
        Assert.Equal(2, finalized.Count);
        var expectedCredit = new Dictionary<string, BigInteger>(StringComparer.OrdinalIgnoreCase);
        BigInteger toTreasury = 0;
        foreach ((Bytes32 job, int replicas) in new[] { (verified, 2), (single, 1) })
        {
            JobInfo info = await fixture.OnChainAsync(job);
            BigInteger toOperators = 0;
            for (byte r = 0; r < replicas; r++)
            {
                var stages = (r == 0 ? fixture.Route : fixture.CheckRoute).Select(s => s.LastLayer - s.FirstLayer + 1).ToList();
                string expectedOperator = Chain.Tests.Support.AnvilChain.DevAddress(r == 0 ? 1 : 6);
                StagePaidEvent[] replicaPaid = [.. paid.Where(p => new Bytes32(p.JobId) == job && p.Replica == r).OrderBy(p => p.Stage)];
                Assert.Equal(stages.Count, replicaPaid.Length);
                for (int s = 0; s < stages.Count; s++)
                {
                    BigInteger share = Settlement.StageShare(info.Fee, bps, stages[s], info.LayerCount, replicas);
                    Assert.Equal(share, replicaPaid[s].Amount);
                    Assert.Equal(expectedOperator, replicaPaid[s].Operator, ignoreCase: true);
                    expectedCredit[expectedOperator] = expectedCredit.GetValueOrDefault(expectedOperator) + share;
                    toOperators += share;
                }
            }
            JobFinalizedEvent done = Assert.Single(finalized, f => new Bytes32(f.JobId) == job);
            Assert.Equal(replicas == 2 ? 3 : 1, done.PaidMask);
            Assert.Equal(toOperators, done.ToOperators);
            Assert.Equal(info.Fee - toOperators, done.ToTreasury);
            toTreasury += info.Fee - toOperators;
        }
        // What each account may claim is exactly that: the two operators their stages' shares, the treasury the rest.
        foreach ((string account, BigInteger credit) in expectedCredit)
            Assert.Equal(credit, await Settlement.CreditOfAsync(chain, jobMarket, account));
        Assert.Equal(toTreasury, await Settlement.CreditOfAsync(chain, jobMarket, await Settlement.TreasuryAsync(chain, jobMarket)));
    }

    /// <summary>Posts a paid job to <paramref name="coordinator"/> and waits until its result is on-chain.</summary>
    private static async Task<Bytes32> RunAsync(WebApplication coordinator, Bytes32 jobId)
    {
        using var http = new HttpClient { BaseAddress = CoordinatorHost.Address(coordinator), Timeout = TimeSpan.FromSeconds(60) };
        using (HttpResponseMessage posted = await http.PostAsJsonAsync("/v1/jobs", new { job_id = jobId.ToString(), prompt = Prompt }))
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        CoordinatedJob job = coordinator.Services.GetRequiredService<JobCoordinator>().Find(jobId)!;
        using var patience = new CancellationTokenSource(Patience);
        await job.Settled.WaitAsync(patience.Token);
        Assert.True(job.SubmissionTransaction is not null, job.Error);
        return jobId;
    }

    /// <summary>Waits until the coordinators' database (the indexer, which needs confirmations: mined here) shows the jobs in <paramref name="status"/>.</summary>
    private async Task WaitIndexedAsync(JobStatus status, params Bytes32[] jobs)
    {
        string[] ids = [.. jobs.Select(j => j.ToString())];
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            await fixture.Chain.MineAsync(1);
            await using (DePinDbContext db = fixture.Database.Context())
                if (await db.Jobs.CountAsync(j => ids.Contains(j.JobId) && j.Status == status, patience.Token) == ids.Length) return;
            await Task.Delay(250, patience.Token);
        }
    }

    private async Task WaitOnChainAsync(OnChainStatus status, params Bytes32[] jobs)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            bool all = true;
            foreach (Bytes32 job in jobs) all &= (await fixture.OnChainAsync(job)).Status == (byte)status;
            if (all) return;
            await Task.Delay(250, patience.Token);
        }
    }
}
