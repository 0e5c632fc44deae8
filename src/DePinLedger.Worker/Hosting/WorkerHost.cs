using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.DataPath;
using DePinLedger.Worker.Grpc;
using DePinLedger.Worker.Heartbeats;
using DePinLedger.Worker.Serving;
using DePinLedger.Worker.Sessions;
using DePinLedger.Worker.Traces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Worker.Hosting;

/// <summary>Builds and runs the worker daemon (the <c>depin worker</c> verb calls this).</summary>
public static class WorkerHost
{
    /// <summary>
    /// Serves until <paramref name="cancellation"/> fires. <paramref name="listening"/> receives the bound address and
    /// the data path's port (0 when off) once both accept connections (with port 0 that is the only way to learn them).
    /// </summary>
    public static async Task RunAsync(IntegerModel model, NodeKey key, WorkerOptions options, Action<Uri, int> listening, CancellationToken cancellation)
    {
        options.Validate(model.Config);
        WebApplication app = Build(model, key, options);
        await app.StartAsync(cancellation);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("the server reports no addresses");
        listening(new Uri(addresses.Addresses.First()), app.Services.GetRequiredService<DataPathServer>().Port);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
            // Shutdown requested.
        }
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }

    private static WebApplication Build(IntegerModel model, NodeKey key, WorkerOptions options)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        // h2c: gRPC without TLS; a worker sits behind the operator's own TLS terminator or on a private network.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = System.Net.IPAddress.Parse(options.Host);
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddWorker(model, key, options);
        WebApplication app = builder.Build();
        app.MapGrpcService<WorkerGrpcService>();
        return app;
    }

    /// <summary>The worker's services: the node state, the trace store, the Forward handler with its two transports (gRPC sized for the largest batch, the direct data path), heartbeats.</summary>
    public static IServiceCollection AddWorker(this IServiceCollection services, IntegerModel model, NodeKey key, WorkerOptions options)
    {
        var traces = new TraceStore(options.TraceDirectory, options.TraceRetentionBytes, options.TraceRetention, model.Config);
        traces.Enforce();
        services.AddSingleton(new WorkerNode(model, key, options, traces));
        services.AddSingleton<ForwardHandler>();
        services.AddSingleton<DataPathServer>();
        services.AddHostedService(provider => provider.GetRequiredService<DataPathServer>());
        int largest = WorkerLimits.MaxMessageBytes(options, model.Config);
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = largest;
            grpc.MaxSendMessageSize = largest;
        });
        services.AddHttpClient(nameof(HeartbeatService));
        services.AddHostedService<HeartbeatService>();
        return services;
    }
}
