using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace DePinLedger.Gateway.Telemetry;

/// <summary>Wires the coordinator's metrics: the gateway meter and ASP.NET Core's, exported in Prometheus text.</summary>
public static class MetricsRegistration
{
    public const string ScrapePath = "/metrics";

    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            // No cached scrape: a scrape reflects every measurement made before it.
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>
    /// Serves <see cref="ScrapePath"/> to loopback callers only (like the Hangfire dashboard): a coordinator bound to a
    /// public address does not publish its load; scrape it from the same host (or a sidecar).
    /// </summary>
    public static IApplicationBuilder UseGatewayMetricsEndpoint(this IApplicationBuilder app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Request.Path == ScrapePath && context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote));
}
