using System.Diagnostics.Metrics;
using DePinLedger.Disputes.Client;
using DePinLedger.Gateway.Jobs;

namespace DePinLedger.Gateway.Telemetry;

/// <summary>
/// The coordinator's OpenTelemetry instruments (meter <see cref="MeterName"/>): tokens served (tokens/s is its rate),
/// jobs queued and running, disputes by result (opened = won + lost + both_wrong), and the time from accepting a job to its first token. Scraped in
/// Prometheus text on <c>/metrics</c>, for loopback callers only.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "DePinLedger.Gateway";

    private readonly Counter<long> _tokens;
    private readonly UpDownCounter<long> _queued;
    private readonly UpDownCounter<long> _running;
    private readonly Counter<long> _disputes;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly KeyValuePair<string, object?> _instance;

    /// <summary>
    /// Tags every measurement (label <c>coordinator</c>): the meter is found by name process-wide, so where several
    /// coordinators share a process (tests, an embedded devnet) each one's series stay apart.
    /// </summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N")[..12];

    public GatewayMetrics(IMeterFactory meters)
    {
        _instance = new("coordinator", Instance);
        Meter meter = meters.Create(MeterName);
        _tokens = meter.CreateCounter<long>("depin.gateway.tokens_served", "{token}", "Tokens streamed to clients (served replica)");
        _queued = meter.CreateUpDownCounter<long>("depin.gateway.jobs_queued", "{job}", "Accepted jobs waiting for a pipeline slot");
        _running = meter.CreateUpDownCounter<long>("depin.gateway.jobs_running", "{job}", "Jobs running through their pipelines, being submitted or disputed");
        _disputes = meter.CreateCounter<long>("depin.gateway.disputes", "{dispute}",
            "Disputes the coordinator opened as challenger, by result: won, lost, both_wrong; failed when it could not play one");
        _timeToFirstToken = meter.CreateHistogram<double>("depin.gateway.time_to_first_token", "s", "From accepting a job to its first served token");
    }

    public void Queued() => _queued.Add(1, _instance);

    public void Started()
    {
        _queued.Add(-1, _instance);
        _running.Add(1, _instance);
    }

    public void Settled() => _running.Add(-1, _instance);

    public void TokenServed(CoordinatedJob job, bool first)
    {
        _tokens.Add(1, _instance);
        if (first) _timeToFirstToken.Record((DateTimeOffset.UtcNow - job.AcceptedAt).TotalSeconds, _instance);
    }

    /// <summary>A dispute the watcher reported, by result for the coordinator (the challenger).</summary>
    public void Disputed(DisputeReport report) =>
        _disputes.Add(1, _instance, new KeyValuePair<string, object?>("result", report.Error is not null ? "failed" : report.Outcome switch
        {
            nameof(DisputeOutcome.ChallengerWon) => "won",
            nameof(DisputeOutcome.DefenderWon) => "lost",
            nameof(DisputeOutcome.BothWrong) => "both_wrong",
            _ => report.Outcome,
        }));
}
