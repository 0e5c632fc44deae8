using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DePinLedger.Gateway.Telemetry;
using DePinLedger.Protocol.Encoding;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Gateway.Tests;

/// <summary>The coordinator's OpenTelemetry metrics, scraped in Prometheus text from /metrics as an operator would.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MetricsTests(GatewayFixture fixture)
{
    private const string Tokens = "depin_gateway_tokens_served_total";
    private const string FirstTokenCount = "depin_gateway_time_to_first_token_seconds_count";

    [Fact]
    public async Task TheTokenCounter_GrowsByTheTokensStreamed_AndTimeToFirstTokenByOneJob()
    {
        Bytes32 jobId = await fixture.CreateJobAsync(8, "Once upon a time", maxTokens: 9);
        string instance = fixture.Coordinator.Services.GetRequiredService<GatewayMetrics>().Instance;
        // The exact counts come from the instruments themselves, this coordinator's measurements only: the test process
        // hosts other fixtures' coordinators, whose meters of the same name the exporter also reads (and drops when
        // they stop), so deltas between two scrapes are not this coordinator's alone.
        long tokens = 0, firstTokens = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "depin.gateway.tokens_served" && Mine(tags, instance)) Interlocked.Add(ref tokens, value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (instrument.Name == "depin.gateway.time_to_first_token" && Mine(tags, instance)) Interlocked.Increment(ref firstTokens);
        });
        listener.Start();

        using HttpResponseMessage response = await fixture.Http.PostAsync("/v1/completions",
            new StringContent(JsonSerializer.Serialize(new { prompt = "Once upon a time", stream = true, job_id = jobId.ToString() }), Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // One chunk per token, then the finish chunk and [DONE].
        int streamed = body.Split('\n').Count(l => l.StartsWith("data: ", StringComparison.Ordinal)) - 2;

        Assert.Equal(9, streamed);
        Assert.Equal(streamed, Interlocked.Read(ref tokens));
        Assert.Equal(1, Interlocked.Read(ref firstTokens));
        // An operator's scrape shows this coordinator's series, the gauges and ASP.NET Core's request metrics.
        string scraped = await ScrapeAsync();
        Assert.Matches(new Regex($@"^{Tokens}\{{[^}}]*coordinator=""{instance}""[^}}]*\}}\s+\d", RegexOptions.Multiline), scraped);
        Assert.Matches(new Regex($@"^{FirstTokenCount}\{{[^}}]*coordinator=""{instance}""", RegexOptions.Multiline), scraped);
        Assert.Contains("# TYPE depin_gateway_jobs_queued gauge", scraped, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", scraped, StringComparison.Ordinal);
    }

    private static bool Mine(ReadOnlySpan<KeyValuePair<string, object?>> tags, string instance)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
            if (tag.Key == "coordinator" && instance.Equals(tag.Value as string, StringComparison.Ordinal)) return true;
        return false;
    }

    private async Task<string> ScrapeAsync()
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
