using DePinLedger.Data;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Scheduler.Catalog;
using DePinLedger.Scheduler.Queries;
using DePinLedger.Scheduler.Reputation;
using DePinLedger.Scheduler.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Scheduler.Tests;

/// <summary>The host wiring: what the gateway gets from AddDePinDatabase + AddDePinScheduler works end to end, on PostgreSQL and on the devnet's SQLite.</summary>
public sealed class ServiceRegistrationTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Heartbeat_ThenRecompute_ThenList_ThroughTheContainer(DatabaseProvider provider)
    {
        await using TestDatabase database = provider == DatabaseProvider.Postgres ? await TestDatabase.PostgresAsync() : await TestDatabase.SqliteAsync();
        var clock = new FixedClock(Swarm.Now);
        await using ServiceProvider services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddDePinDatabase(database.Options)
            .AddDePinScheduler()
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var worker = new WorkerKey();
        await using (DePinDbContext db = database.Context())
        {
            db.Nodes.Add(new Data.Staking.NodeRecord { Address = worker.Address, Operator = worker.Address, ActiveStake = 5_000, RegisteredAt = Swarm.Now - TimeSpan.FromHours(1) });
            await db.SaveChangesAsync();
        }

        byte[] body = WorkerKey.Body(worker.Fields(Swarm.Now));
        HeartbeatResult accepted = await services.GetRequiredService<HeartbeatIngestor>().IngestAsync(body, worker.Sign(body), _ => 15_000, CancellationToken.None);
        int scored = await services.GetRequiredService<ReputationJob>().RunAsync(CancellationToken.None);
        NodeSummary listed = Assert.Single(await services.GetRequiredService<NodeQueryService>().ListAsync(NodeQuery.Parse(WorkerKey.ModelId, null, null, null), CancellationToken.None));

        Assert.True(accepted.Accepted, accepted.Message);
        Assert.Equal(1, scored);
        Assert.Equal((worker.Address, 15.0, 0, 31), (listed.Address, listed.LatencyP50Ms, listed.FirstLayer, listed.LastLayer));
        Assert.NotNull(listed.Reputation);

        // A replay is refused on either engine, and the catalog sees the node's span.
        Assert.Equal(HeartbeatRejection.Replay, (await services.GetRequiredService<HeartbeatIngestor>().IngestAsync(body, worker.Sign(body), null, CancellationToken.None)).Rejection);
        var node = Assert.Single(await services.GetRequiredService<NodeCatalog>().LoadAsync(WorkerKey.ModelId, Swarm.Now, CancellationToken.None));
        Assert.Equal((0, 31, 15.0), (node.FirstLayer, node.LastLayer, node.RttMs));
    }
}
