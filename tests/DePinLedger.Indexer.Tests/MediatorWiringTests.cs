using DePinLedger.Chain.Tests.Support;
using DePinLedger.Data;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Indexer.Hosting;
using DePinLedger.Indexer.Notifications;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Indexer.Tests;

/// <summary>
/// Another service reacts to "node staked" through the generated Mediator without the indexer knowing it, and sees
/// the row already committed when its handler runs.
/// </summary>
public sealed class MediatorWiringTests
{
    [Fact]
    public async Task NodeStaked_ReachesAHandler_AfterTheCommit()
    {
        await using AnvilChain anvil = await AnvilChain.StartAsync();
        var scenario = new Scenario(anvil);
        await scenario.RegisterAsync(1);
        await scenario.ApproveAsync(1, anvil.Deployment.StakeManager);
        await scenario.StakeAsync(1, 1_000);
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        var services = new ServiceCollection();
        services.AddSingleton(db.Options);
        services.AddSingleton<StakeWatcher>();
        services.AddMediator();
        await using ServiceProvider provider = services.BuildServiceProvider();

        await scenario.Indexer(db, publisher: provider.GetRequiredService<IPublisher>()).SyncAsync(default);

        StakeWatcher watcher = provider.GetRequiredService<StakeWatcher>();
        (NodeStaked seen, decimal committed) = Assert.Single(watcher.Seen);
        Assert.Equal(AnvilChain.DevAddress(1).ToLowerInvariant(), seen.Node);
        Assert.Equal(seen.ActiveStake, committed);
    }
}

/// <summary>What a scheduler would keep: every stake change, with the stake the database held when told.</summary>
public sealed class StakeWatcher
{
    public List<(NodeStaked, decimal)> Seen { get; } = [];
}

public sealed class NodeStakedHandler(StakeWatcher watcher, DatabaseOptions database) : INotificationHandler<NodeStaked>
{
    public async ValueTask Handle(NodeStaked notification, CancellationToken cancellationToken)
    {
        await using DePinDbContext db = database.CreateContext();
        decimal stake = await db.Nodes.Where(n => n.Address == notification.Node).Select(n => n.ActiveStake).SingleAsync(cancellationToken);
        watcher.Seen.Add((notification, stake));
    }
}

/// <summary>The indexer as a hosted service: registered with the database, it follows the chain until stopped.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task HostedIndexer_FollowsTheChain_UntilStopped()
    {
        await using AnvilChain anvil = await AnvilChain.StartAsync();
        var scenario = new Scenario(anvil);
        await scenario.RegisterAsync(1);
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        var services = new ServiceCollection();
        services.AddDePinDatabase(db.Options);
        services.AddChainIndexer(anvil.Options(), anvil.Deployment, new Sync.IndexerOptions { Confirmations = 0, PollInterval = TimeSpan.FromMilliseconds(50) });
        await using ServiceProvider provider = services.BuildServiceProvider();
        Microsoft.Extensions.Hosting.IHostedService hosted = provider.GetRequiredService<Microsoft.Extensions.Hosting.IHostedService>();

        await hosted.StartAsync(default);
        await scenario.RegisterAsync(2); // after the start: must be picked up by polling
        IDbContextFactory<DePinDbContext> contexts = provider.GetRequiredService<IDbContextFactory<DePinDbContext>>();
        int nodes = 0;
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); nodes < 2 && wait.Elapsed < TimeSpan.FromSeconds(20); await Task.Delay(50))
        {
            await using DePinDbContext c = await contexts.CreateDbContextAsync();
            nodes = await c.Nodes.CountAsync();
        }
        await hosted.StopAsync(default);

        Assert.Equal(2, nodes);
    }
}
