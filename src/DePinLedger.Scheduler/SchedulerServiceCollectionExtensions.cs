using DePinLedger.Scheduler.Catalog;
using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Queries;
using DePinLedger.Scheduler.Reputation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DePinLedger.Scheduler;

/// <summary>Registers the scheduler for a host (the gateway) that has already added the database (<c>AddDePinDatabase</c>).</summary>
public static class SchedulerServiceCollectionExtensions
{
    /// <summary>
    /// Heartbeat ingestion, the node catalog, the node query, and the reputation job (Hangfire resolves it from the
    /// container). One freshness limit serves ingestion, catalog and scheduling so they cannot disagree about "stale".
    /// </summary>
    public static IServiceCollection AddDePinScheduler(this IServiceCollection services, SchedulingPolicy? scheduling = null, ReputationOptions? reputation = null)
    {
        scheduling = (scheduling ?? new SchedulingPolicy()).Validated();
        reputation = (reputation ?? new ReputationOptions()).Validated();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(scheduling);
        services.AddSingleton(reputation);
        services.AddSingleton(new HeartbeatPolicy { MaxAge = scheduling.HeartbeatMaxAge });
        services.AddSingleton(new CatalogPolicy { HeartbeatMaxAge = scheduling.HeartbeatMaxAge, DefaultRttMs = scheduling.DefaultRttMs });
        services.AddSingleton<HeartbeatIngestor>();
        services.AddSingleton<NodeCatalog>();
        services.AddSingleton<ReputationJob>();
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<NodeQueryService>(provider, scheduling.HeartbeatMaxAge));
        return services;
    }
}
