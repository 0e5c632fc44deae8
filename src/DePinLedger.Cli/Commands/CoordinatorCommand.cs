using System.CommandLine;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Transactions;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Model;
using DePinLedger.Pipeline;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin coordinator</c>: the client-facing host. Accepts jobs paid on-chain with their prompts, runs them through
/// worker pipelines (chosen per job by the scheduler from the indexed, heartbeating nodes, or fixed with --route) (replica 0 served and streamed, replica 1 for verified jobs), and submits the signed
/// results to JobMarket with the keystore account. Its database (SQLite file by default, PostgreSQL with --provider
/// postgres) holds what the indexer follows from the chain and the workers' signed heartbeats (POST /v1/heartbeats),
/// which GET /v1/nodes reports with reputation. Prints <c>coordinator listening on URL</c> once it accepts requests.
/// </summary>
internal static class CoordinatorCommand
{
    public static Command Create(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        var database = new DbCommands.DatabaseChoice();
        Option<string> model = CommonOptions.Model();
        Option<string> route = CommonOptions.Text("--route", "A fixed pipeline for replica 0: comma-separated stages A-B=URL[|URL…] (spares after the first URL), covering every layer in order [default: the scheduler routes each job]", "STAGES", required: false);
        Option<string> checkRoute = CommonOptions.Text("--check-route", "Pipeline of replica 1 for verified jobs, same form, no worker in common with --route", "STAGES", required: false);
        Option<int> port = CommonOptions.Number("--port", "TCP port (0 = any free port; the bound address is printed)", 0, p => p is < 0 or > 65535 ? "must be 0..65535" : null);
        Option<string> host = new("--host") { Description = "Address to listen on [default: 127.0.0.1]", HelpName = "IP", DefaultValueFactory = _ => "127.0.0.1" };
        Option<int> jobs = CommonOptions.Number("--max-concurrent-jobs", "Jobs computed at the same time", 4, n => CommonOptions.AtLeast(n, 1));
        Option<int> rate = CommonOptions.Number("--requests-per-minute", "Requests one client address may make per minute", 120, n => CommonOptions.AtLeast(n, 1));
        Option<int> finalize = CommonOptions.Number("--finalize-seconds",
            "Seconds between passes that pay the stage operators of jobs whose challenge window closed (with the database; also at start-up and after each window); must divide a minute, an hour or a day",
            60, n => n >= 1 && JobFinalizer.TryCron(TimeSpan.FromSeconds(n)) is not null ? null : $"must be seconds dividing a minute, minutes dividing an hour or hours dividing a day, got {n}");

        var command = new Command("coordinator", "Run the coordinator: the job API (POST /v1/jobs, status, SSE stream), pipeline runs and on-chain result submission")
        {
            model, route, checkRoute, port, host, jobs, rate, finalize,
        };
        connection.AddTo(command);
        database.AddTo(command);
        command.SetAction((parsed, cancellation) => ChainCommandSupport.RunAsync(context, async () =>
        {
            IReadOnlyList<StageRoute>? served = parsed.GetValue(route) is { Length: > 0 } fixedRoute ? ParseRoute(fixedRoute, "--route") : null;
            IReadOnlyList<StageRoute>? check = parsed.GetValue(checkRoute) is { Length: > 0 } text ? ParseRoute(text, "--check-route") : null;
            if (check is not null && served is null) throw new UsageException("--check-route needs --route (without them the scheduler routes every job)");
            IntegerModel loaded = await context.Models.LoadAsync(parsed.GetRequiredValue(model), cancellation);
            foreach ((IReadOnlyList<StageRoute>? stages, string option) in new[] { (served, "--route"), (check, "--check-route") })
                if (stages is not null && stages[^1].LastLayer != loaded.Config.Layers - 1)
                    throw new UsageException($"{option} ends at layer {stages[^1].LastLayer}; the model has layers 0-{loaded.Config.Layers - 1}");
            (TransactionSender sender, DeploymentFile deployment) = await connection.ConnectAsync(parsed, unlock: true, cancellation);
            var options = new CoordinatorOptions
            {
                Host = parsed.GetValue(host) ?? "127.0.0.1",
                Port = parsed.GetValue(port),
                ServedRoute = served,
                CheckRoute = check,
                ModelName = Path.GetFileNameWithoutExtension(parsed.GetRequiredValue(model)),
                Database = database.Options(parsed, mustExist: false),
                MaxConcurrentJobs = parsed.GetValue(jobs),
                RequestsPerMinute = parsed.GetValue(rate),
                FinalizeInterval = TimeSpan.FromSeconds(parsed.GetValue(finalize)),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            await CoordinatorHost.RunAsync(loaded, new CoordinatorChain(sender.Chain, sender, deployment), options, address =>
            {
                context.Out.WriteLine($"coordinator listening on {address} (model {loaded.ModelId}, submitting as {sender.Address})");
                context.Out.Flush();
            }, cancellation);
            return ExitCodes.Success;
        }));
        return command.WithExamples(
            "depin coordinator --model stories260K --passphrase-file pass.txt --port 8080",
            "depin coordinator --model stories260K --route 0-1=http://127.0.0.1:7001,2-4=http://127.0.0.1:7002 --passphrase-file pass.txt",
            "depin coordinator --model stories260K --route 0-4=http://127.0.0.1:7001 --check-route 0-4=http://127.0.0.1:7101 --port 8080");
    }

    /// <summary>"A-B=URL[|URL…],…": contiguous stages from layer 0, each with at least one http(s) worker URL.</summary>
    internal static IReadOnlyList<StageRoute> ParseRoute(string text, string option)
    {
        var stages = new List<StageRoute>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] sides = part.Split('=', 2);
            if (sides.Length != 2 || sides[1].Length == 0) throw new UsageException($"{option}: each stage looks like A-B=URL[|URL…], got '{part}'");
            (int first, int last) = WorkerCommand.ParseRange(sides[0], option);
            int expected = stages.Count == 0 ? 0 : stages[^1].LastLayer + 1;
            if (first != expected) throw new UsageException($"{option}: stage {sides[0]} should start at layer {expected}");
            var endpoints = new List<Uri>();
            foreach (string url in sides[1].Split('|', StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? endpoint) || endpoint.Scheme is not ("http" or "https"))
                    throw new UsageException($"{option}: '{url}' is not an http(s) URL");
                endpoints.Add(endpoint);
            }
            stages.Add(new StageRoute(first, last, endpoints));
        }
        return stages;
    }
}
