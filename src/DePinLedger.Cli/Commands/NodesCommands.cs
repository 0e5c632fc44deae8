using System.CommandLine;
using System.Globalization;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Data;
using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Queries;
using DePinLedger.Scheduler.Sampling;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin nodes list|economics</c>: the scheduler's view of the swarm. <c>list</c> reads the database through the same
/// query service as <c>GET /v1/nodes</c>; <c>economics</c> prints the Proof-of-Sampling break-even for given parameters.
/// </summary>
internal static class NodesCommands
{
    /// <summary>Share of jobs run twice when --sampling-rate is not given (the sampler's suggested default).</summary>
    public const double DefaultSamplingRate = 0.05;

    /// <summary>Probability that a sampled cheat is proven when --detection is not given (honest second replica, dispute played).</summary>
    public const double DefaultDetection = 1.0;

    internal sealed record NodesReport(IReadOnlyList<NodeSummary> Nodes);

    internal sealed record EconomicsReport(
        decimal Gain, decimal Slash, double SamplingRate, double Detection, double CatchProbability, double CheatingExpectedValue,
        double MinimumSamplingRate, double MinimumSlash, bool CheatingIsIrrational);

    public static Command Create(CliContext context) =>
        new Command("nodes", "The scheduler's view of the nodes: reputation, latency, stake; sampling economics") { List(context), Economics(context) }
            .WithExamples("depin nodes list --database devnet.db", "depin nodes economics --fee 10 --slash 1000");

    private static Command List(CliContext context)
    {
        var database = new DbCommands.DatabaseChoice();
        var model = new Option<string>("--model") { Description = "Only nodes with a fresh heartbeat for this model id", HelpName = "MODEL_ID" };
        var minStake = new Option<string>("--min-stake") { Description = "Only nodes with at least this active stake (token base units) [default: 0]", HelpName = "N" };
        var sort = new Option<string>("--sort") { Description = "reputation (default), stake, latency or uptime", HelpName = "ORDER" };
        var limit = new Option<string>("--limit") { Description = $"Most rows [default: {NodeQuery.DefaultLimit}]", HelpName = "N" };
        Option<bool> json = CommonOptions.Json("Print the list as JSON");
        var command = new Command("list", "Nodes with stake, reputation and its parts, latency p50/p95, uptime, disputes and slashes") { model, minStake, sort, limit, json };
        database.AddTo(command);
        command.SetAction(async (parsed, cancellation) =>
        {
            NodeQuery query;
            try
            {
                query = NodeQuery.Parse(parsed.GetValue(model), parsed.GetValue(minStake), parsed.GetValue(sort), parsed.GetValue(limit));
            }
            catch (ArgumentException e)
            {
                // The message names the query field; the parameter suffix adds nothing on a command line.
                int suffix = e.Message.IndexOf(" (Parameter '", StringComparison.Ordinal);
                throw new UsageException(suffix < 0 ? e.Message : e.Message[..suffix]);
            }
            var factory = new PooledDbContextFactory<DePinDbContext>(database.Options(parsed, mustExist: true).Build());
            var service = new NodeQueryService(factory, TimeProvider.System, new SchedulingPolicy().HeartbeatMaxAge);
            IReadOnlyList<NodeSummary> nodes;
            try
            {
                nodes = await service.ListAsync(query, cancellation);
            }
            catch (System.Data.Common.DbException e)
            {
                return context.Fail(ExitCodes.Failure, $"reading the nodes failed (is the database migrated? 'depin db migrate'): {e.Message}");
            }
            if (parsed.GetValue(json))
            {
                CliJson.Write(context.Out, new NodesReport(nodes));
                return ExitCodes.Success;
            }
            if (nodes.Count == 0)
            {
                context.Out.WriteLine("no nodes match");
                return ExitCodes.Success;
            }
            Render(context.Out, Table(nodes, DateTimeOffset.UtcNow));
            return ExitCodes.Success;
        });
        return command.WithExamples(
            "depin nodes list --database devnet.db",
            "depin nodes list --provider postgres --connection-env DEPIN_DATABASE --sort latency --min-stake 1000000000000000000000",
            "depin nodes list --model 0x1b4f…e2 --json");
    }

    private static Table Table(IReadOnlyList<NodeSummary> nodes, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string column in new[] { "node", "stake", "rep", "uptime", "latency", "verified ok/bad", "stake part", "slash factor", "p50 ms", "p95 ms", "disputes won/lost", "slashed", "frozen", "seen", "rtt ms", "span" })
            table.AddColumn(column);
        foreach (NodeSummary n in nodes)
            table.AddRow(
                n.Address, n.ActiveStake.ToString(CultureInfo.InvariantCulture), Fraction(n.Reputation), Fraction(n.Uptime), Fraction(n.LatencyScore),
                $"{n.VerificationsPassed}/{n.VerificationsFailed}", Fraction(n.StakeScore), Fraction(n.SlashFactor),
                Millis(n.LatencyP50Ms), Millis(n.LatencyP95Ms), $"{n.DisputesWon}/{n.DisputesLost}", n.Slashes.ToString(CultureInfo.InvariantCulture),
                n.Frozen ? "yes" : "no", n.LastHeartbeatAt is { } at ? $"{(now - at).TotalSeconds:F0} s ago" : "never", Millis(n.RttMs),
                n.FirstLayer is { } first ? $"{first}-{n.LastLayer}" : "-");
        return table;
    }

    /// <summary>A decimal amount option, checked positive (or non-negative).</summary>
    private static Option<decimal> Amount(string name, string description, bool required, bool positive)
    {
        var option = new Option<decimal>(name) { Description = description, HelpName = "NUMBER", Required = required };
        option.Validators.Add(result =>
        {
            decimal value = result.GetValueOrDefault<decimal>();
            if (positive ? value <= 0 : value < 0) result.AddError($"{name} must be {(positive ? "positive" : "non-negative")}, got {value.ToString(CultureInfo.InvariantCulture)}");
        });
        return option;
    }

    private static string Fraction(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private static string Millis(double? value) => value is { } v && v > 0 ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static Command Economics(CliContext context)
    {
        Option<decimal> fee = Amount("--fee", "Fee a node earns for its part of one job (any unit, the same as --slash)", required: true, positive: true);
        Option<decimal> slash = Amount("--slash", "Stake a node loses when proven wrong (same unit as --fee)", required: true, positive: true);
        Option<decimal> gain = Amount("--gain", "What one cheat gains [default: the fee, i.e. paid without computing]", required: false, positive: false);
        Option<double> rate = CommonOptions.Number("--sampling-rate", $"Share of jobs run twice, 0..1 [default: {DefaultSamplingRate}]", DefaultSamplingRate, v => v is >= 0 and <= 1 ? null : $"must be in [0, 1], got {v}");
        Option<double> detection = CommonOptions.Number("--detection", $"Probability a sampled cheat is proven, (0, 1] [default: {DefaultDetection}]", DefaultDetection, v => v is > 0 and <= 1 ? null : $"must be in (0, 1], got {v}");
        Option<bool> json = CommonOptions.Json("Print the numbers as JSON");
        var command = new Command("economics", "When cheating loses money: EV = (1 − p·d)·G − p·d·S, minimum sampling rate p* = G / (d·(G + S))") { fee, slash, gain, rate, detection, json };
        command.SetAction(parsed =>
        {
            decimal g = parsed.GetResult(gain) is null ? parsed.GetValue(fee) : parsed.GetValue(gain);
            var e = new SamplingEconomics(g, parsed.GetValue(slash), parsed.GetValue(rate), parsed.GetValue(detection)).Validated();
            var report = new EconomicsReport(e.Gain, e.Slash, e.SamplingRate, e.Detection, e.CatchProbability, e.CheatingExpectedValue, e.MinimumSamplingRate, e.MinimumSlash, e.CheatingIsIrrational);
            if (parsed.GetValue(json))
            {
                CliJson.Write(context.Out, report);
                return ExitCodes.Success;
            }
            CultureInfo c = CultureInfo.InvariantCulture;
            Render(context.Out, Properties(
                ("gain per cheat (G)", e.Gain.ToString(c)),
                ("slash (S)", e.Slash.ToString(c)),
                ("sampling rate (p)", e.SamplingRate.ToString("0.####", c)),
                ("detection (d)", e.Detection.ToString("0.####", c)),
                ("caught with probability p·d", e.CatchProbability.ToString("0.####", c)),
                ("expected value of cheating", e.CheatingExpectedValue.ToString("0.####", c)),
                ("minimum sampling rate p*", $"{e.MinimumSamplingRate.ToString("0.######", c)} ({e.MinimumSamplingRate:P3})"),
                ("minimum slash at p", double.IsPositiveInfinity(e.MinimumSlash) ? "none suffices (nothing is sampled)" : e.MinimumSlash.ToString("0.####", c)),
                ("overhead", $"{e.OverheadPerJob:P2} extra fees per job")));
            context.Out.WriteLine(e.CheatingIsIrrational
                ? "cheating has negative expected value at these parameters"
                : $"CHEATING PAYS at these parameters: raise the sampling rate above {e.MinimumSamplingRate:0.######} or the slash above {e.MinimumSlash:0.####}");
            return ExitCodes.Success;
        });
        return command.WithExamples("depin nodes economics --fee 10 --slash 1000", "depin nodes economics --fee 10 --slash 1000 --sampling-rate 0.005 --json");
    }
}
