using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Data;
using DePinLedger.Indexer.Sync;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Indexer.Hosting;

/// <summary>Runs the indexer for the life of the host: connect, check the deployment, follow the chain.</summary>
internal sealed class IndexerHostedService(
    ChainOptions chain, DeploymentFile deployment, DatabaseOptions database, IndexerOptions options, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ChainConnection connection = await ChainConnection.ConnectAsync(chain, cancellation: stoppingToken);
        var indexer = new ChainIndexer(connection, deployment, database, options,
            services.GetService<IPublisher>(), services.GetService<ILogger<ChainIndexer>>());
        await indexer.RunAsync(stoppingToken);
    }
}

/// <summary>Registers the indexer as a hosted service (the database must be registered with AddDePinDatabase).</summary>
public static class IndexerServiceCollectionExtensions
{
    /// <summary>
    /// Follows <paramref name="deployment"/>'s contracts on <paramref name="chain"/> into the database; notifications go
    /// to the registered Mediator <see cref="IPublisher"/>, if any.
    /// </summary>
    public static IServiceCollection AddChainIndexer(this IServiceCollection services, ChainOptions chain, DeploymentFile deployment, IndexerOptions? options = null)
    {
        services.AddHostedService(provider => new IndexerHostedService(
            chain, deployment, provider.GetRequiredService<DatabaseOptions>(), options ?? new IndexerOptions(), provider));
        return services;
    }
}
