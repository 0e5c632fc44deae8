using System.Globalization;
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
        string before = await ScrapeAsync();

        using HttpResponseMessage response = await fixture.Http.PostAsync("/v1/completions",
            new StringContent(JsonSerializer.Serialize(new { prompt = "Once upon a time", stream = true, job_id = jobId.ToString() }), Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // One chunk per token, then the finish chunk and [DONE].
        int streamed = body.Split('\n').Count(l => l.StartsWith("data: ", StringComparison.Ordinal)) - 2;

        string after = await ScrapeAsync();
        Assert.Equal(9, streamed);
        // Other coordinators of this test process export the same meter: count this coordinator's series only.
        string instance = fixture.Coordinator.Services.GetRequiredService<GatewayMetrics>().Instance;
        Assert.Equal(streamed, Value(after, Tokens, instance) - Value(before, Tokens, instance));
        Assert.Equal(1, Value(after, FirstTokenCount, instance) - Value(before, FirstTokenCount, instance));
        Assert.Contains("# TYPE depin_gateway_jobs_queued gauge", after, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", after, StringComparison.Ordinal);
    }

    private async Task<string> ScrapeAsync()
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a metric's samples labelled with coordinator <paramref name="instance"/> (0 before its first measurement).</summary>
    private static double Value(string exposition, string metric, string instance) =>
        Regex.Matches(exposition, $@"^{metric}\{{[^}}]*coordinator=""{instance}""[^}}]*\}}\s+(\S+)", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
