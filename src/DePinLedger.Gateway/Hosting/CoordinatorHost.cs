using System.Threading.RateLimiting;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Transactions;
using DePinLedger.Gateway.Api;
using DePinLedger.Data;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Gateway.Nodes;
using DePinLedger.Gateway.Telemetry;
using DePinLedger.Indexer.Hosting;
using DePinLedger.Scheduler;
using DePinLedger.Scheduler.Reputation;
using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.EntityFrameworkCore;
using DePinLedger.Inference.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scalar.AspNetCore;

namespace DePinLedger.Gateway.Hosting;

/// <summary>What the coordinator talks to on-chain: the connection, the account that submits results, the contracts.</summary>
public sealed record CoordinatorChain(ChainConnection Connection, TransactionSender Submitter, DeploymentFile Deployment)
{
    public string JobMarket => Deployment.JobMarket;
}

/// <summary>Builds and runs the coordinator (the <c>depin coordinator</c> verb calls this).</summary>
public static class CoordinatorHost
{
    /// <summary>Serves until <paramref name="cancellation"/> fires; <paramref name="listening"/> receives the bound address.</summary>
    public static async Task RunAsync(IntegerModel model, CoordinatorChain chain, CoordinatorOptions options, Action<Uri> listening, CancellationToken cancellation)
    {
        await using WebApplication app = await StartAsync(model, chain, options, cancellation);
        listening(Address(app));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
            // Shutdown requested.
        }
        await app.StopAsync(CancellationToken.None);
    }

    /// <summary>Builds and starts the coordinator; the caller stops and disposes it.</summary>
    public static async Task<WebApplication> StartAsync(IntegerModel model, CoordinatorChain chain, CoordinatorOptions options, CancellationToken cancellation)
    {
        options.Validate();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Listen(System.Net.IPAddress.Parse(options.Host), options.Port);
        });
        IServiceCollection services = builder.Services;
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddHealthChecks();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(JobEndpoints.RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        services.AddSingleton(model);
        services.AddSingleton(options);
        services.AddSingleton(new ChainIdentity((ulong)chain.Connection.ChainId, chain.JobMarket));
        services.AddSingleton(new OnChainJobReader(chain.Connection, chain.JobMarket));
        services.AddSingleton(new ResultSubmitter(chain.Submitter, chain.JobMarket));
        services.AddSingleton(chain);
        services.AddSingleton<CoordinatorJournal>();
        services.AddSingleton<BisectionPlayer>();
        services.AddSingleton<DisputeWatcher>();
        services.AddSingleton<FinalizationSchedule>();
        services.AddGatewayMetrics();
        services.AddSingleton<VoucherRedeemer>();
        services.AddSingleton<JobCoordinator>();
        services.AddHostedService(provider => provider.GetRequiredService<JobCoordinator>());
        services.AddSingleton<DisputeDefender>();
        services.AddHostedService(provider => provider.GetRequiredService<DisputeDefender>());
        if (options.Database is { } database)
        {
            await using (DePinDbContext db = database.CreateContext()) await db.Database.MigrateAsync(cancellation);
            services.AddDePinDatabase(database);
            services.AddChainIndexer(chain.Connection.Options, chain.Deployment);
            // The indexer publishes each committed event to the source-generated mediator (handlers: SlashFollower).
            services.AddMediator();
            // Heartbeats reach this coordinator from now on: uptime is not due for the time before it listened.
            services.AddDePinScheduler(reputation: new ReputationOptions { ObservedSince = DateTimeOffset.UtcNow });
            services.AddSingleton(options.Pipeline);
            services.AddSingleton<NodeLatencyProbe>();
            services.AddSingleton<JobFinalizer>();
            services.AddSingleton(new JournalRetention(options.JournalRetention));
            services.AddSingleton<JournalPruner>();
            services.AddSingleton<DisputeCatchUp>();
            services.AddSingleton<BisectionJob>();
            // Background and deadline work (finalization, reputation recomputation) runs as Hangfire jobs beside the same database.
            services.AddHangfire(hangfire =>
            {
                if (database.Provider == DatabaseProvider.Postgres)
                {
                    // Queued passes are picked up within the finalize interval when it is shorter than the storage's polling default.
                    var storageOptions = new PostgreSqlStorageOptions();
                    if (options.ShortestPassInterval < storageOptions.QueuePollInterval) storageOptions.QueuePollInterval = options.ShortestPassInterval;
                    hangfire.UsePostgreSqlStorage(storage => storage.UseNpgsqlConnection(database.ConnectionString), storageOptions);
                }
                else hangfire.UseInMemoryStorage();
            });
            services.AddHangfireServer(server =>
            {
                server.WorkerCount = 2;
                // Delayed and recurring passes (a job's window just closed, the next bisection turn) start within their interval when it is shorter than Hangfire's default 15 s.
                if (options.ShortestPassInterval < server.SchedulePollingInterval) server.SchedulePollingInterval = options.ShortestPassInterval;
            });
        }
        if (options.ServedRoute is not null) services.AddSingleton<IRoutePlanner>(new FixedRoutePlanner(options));
        else services.AddSingleton<IRoutePlanner, SchedulerRoutePlanner>();

        WebApplication app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapHealthChecks("/health");
        app.UseGatewayMetricsEndpoint();
        app.MapJobs();
        app.MapCompletions();
        if (options.Database is not null)
        {
            app.MapNodes();
            // The dashboard answers local requests only (Hangfire's default authorization).
            app.UseHangfireDashboard("/hangfire");
            IRecurringJobManager recurring = app.Services.GetRequiredService<IRecurringJobManager>();
            ReputationJob.Register(recurring);
            JobFinalizer.Register(recurring, options.FinalizeInterval);
            JournalPruner.Register(recurring);
            BisectionJob.Register(recurring, options.BisectionInterval);
            // Catch up at once on windows that closed while the coordinator was down (the durable database knows them),
            // and on the bisections it left open.
            app.Services.GetRequiredService<FinalizationSchedule>().Now();
            app.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<BisectionJob>(b => b.RunAsync(CancellationToken.None));
        }
        await app.StartAsync(cancellation);
        return app;
    }

    /// <summary>The address the started coordinator listens on.</summary>
    public static Uri Address(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("the server reports no addresses");
        return new Uri(addresses.Addresses.First());
    }
}
