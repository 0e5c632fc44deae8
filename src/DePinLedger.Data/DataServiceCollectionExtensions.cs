using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Data;

/// <summary>Registers the database for hosts (gateway, devnet): the options and a context factory.</summary>
public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddDePinDatabase(this IServiceCollection services, DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        // A factory, not a scoped context: the indexer and background jobs open one context per unit of work.
        services.AddDbContextFactory<DePinDbContext>(builder => options.Configure((DbContextOptionsBuilder<DePinDbContext>)builder));
        return services;
    }
}
