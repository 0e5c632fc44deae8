using System.CommandLine;
using System.Globalization;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Devnet;
using DePinLedger.Data;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Tokens;
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin devnet up</c>: the whole network on this machine — anvil, the contracts, the model, six staked operators
/// and their workers (two per span of three, one faulty), the coordinator (whose scheduler routes each job), and a client
/// paying for jobs — reported as it happens, then a summary. With --exit-when-done it waits until every job is settled
/// on-chain (finalized after its challenge window, or refunded by a dispute), shows the payouts and refunds, and stops
/// every process it started (as Ctrl-C does).
/// </summary>
internal static class DevnetCommand
{
    public static Command Create(CliContext context)
    {
        Option<string> model = CommonOptions.Text("--model", "Model to serve: a name in $DEPIN_MODELS or a path [default: stories260K]", "MODEL", required: false);
        Option<int> jobs = CommonOptions.Number("--jobs", "Jobs the client pays for (every second one, from the first, verified on two replicas)", 4, n => CommonOptions.AtLeast(n, 1));
        Option<int> maxTokens = CommonOptions.Number("--max-tokens", "Tokens per job at most", 32, n => CommonOptions.AtLeast(n, 1));
        Option<bool> noFault = new("--no-fault") { Description = "Run every worker honestly (by default one worker of the middle span adds noise at position 3)" };
        Option<int> load = CommonOptions.Number("--load-clients", $"After the jobs, this many clients at once each pay for and stream a job (0 = none, at most {DevnetRunner.MaxLoadClients})", 0,
            n => n is < 0 or > DevnetRunner.MaxLoadClients ? $"must be 0..{DevnetRunner.MaxLoadClients}, got {n}" : null);
        Option<bool> exitWhenDone = new("--exit-when-done") { Description = "After the jobs, wait until every one is settled on-chain, show the payouts, stop everything and exit (for scripts and CI)" };
        Option<int> window = CommonOptions.Number("--challenge-window", "JobMarket's challenge window in seconds (disputes open inside it; jobs are paid after it)",
            DevnetSettings.DefaultChallengeWindowSeconds, n => n is < 10 or > 86_400 ? $"must be 10..86400 seconds, got {n}" : null);
        Option<string> rpc = CommonOptions.Text("--rpc", "Use this running chain instead of starting anvil (its funded accounts must come from the devnet mnemonic, at least 220 of them)", "URL", required: false);
        Option<string> workDir = new("--work-dir") { Description = "Keep the devnet's files here (deployment.json, the SQLite database, keystores, traces) [default: a temporary folder, deleted at the end]", HelpName = "DIR" };
        var database = new DbCommands.DatabaseChoice();
        Option<string> anvil = new("--anvil") { Description = "anvil binary [default: node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil]", HelpName = "FILE" };
        Option<string> artifacts = new("--artifacts") { Description = "forge build output [default: out]", HelpName = "DIR" };
        Option<bool> plain = new("--plain") { Description = "Print one line per event instead of the live view (the default when the output is not a terminal)" };
        var up = new Command("up", "Start anvil, the contracts, staked workers and the coordinator; run jobs as a client; show what happens")
        {
            model, jobs, maxTokens, load, noFault, exitWhenDone, window, rpc, workDir, anvil, artifacts, plain,
        };
        database.AddTo(up);
        up.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            Uri? chain = parsed.GetValue(rpc) is { Length: > 0 } rpcText
                ? Uri.TryCreate(rpcText, UriKind.Absolute, out Uri? rpcUri) && rpcUri.Scheme is "http" or "https" ? rpcUri : throw new UsageException($"--rpc: '{rpcText}' is not an http(s) URL")
                : null;
            string anvilPath = parsed.GetValue(anvil) ?? Path.Combine("node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
            if (chain is null && !File.Exists(anvilPath)) throw new UsageException($"no anvil at {anvilPath}: run 'npm ci' at the repository root (deploy/devnet.sh does) or pass --anvil");
            string artifactsDir = parsed.GetValue(artifacts) ?? "out";
            if (!File.Exists(Path.Combine(artifactsDir, "JobMarket.sol", "JobMarket.json"))) throw new UsageException($"no forge artifacts in {artifactsDir}: run 'forge build' (deploy/devnet.sh does) or pass --artifacts");
            string modelArgument = parsed.GetValue(model) is { Length: > 0 } m ? m : "stories260K";
            IntegerModel loaded = await context.Models.LoadAsync(modelArgument, cancellation);
            string? keptWork = parsed.GetValue(workDir) is { Length: > 0 } dir ? Path.GetFullPath(dir) : null;
            string work = keptWork is null ? Directory.CreateTempSubdirectory("depin-devnet-").FullName : Directory.CreateDirectory(keptWork).FullName;
            // The SQLite file lives in the work folder unless --database names one; PostgreSQL with --provider postgres.
            DatabaseOptions? db = parsed.GetValue(database.Provider) == DatabaseProvider.Postgres || parsed.GetValue(database.File) is { Length: > 0 }
                ? database.Options(parsed, mustExist: false)
                : null;
            var settings = new DevnetSettings(loaded, File.Exists(modelArgument) ? Path.GetFullPath(modelArgument) : modelArgument, Path.GetFullPath(anvilPath),
                Path.GetFullPath(artifactsDir), work, parsed.GetValue(jobs), parsed.GetValue(maxTokens), !parsed.GetValue(noFault))
            {
                Rpc = chain,
                Database = db,
                ChallengeWindowSeconds = parsed.GetValue(window),
            };
            // In a terminal the jobs, nodes and events are redrawn in place while the devnet starts and runs its jobs; the
            // summary, load run and settlement tables are printed after it, as in the plain (script and CI) output.
            DevnetLiveView? view = !parsed.GetValue(plain) && ReferenceEquals(context.Out, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive
                ? new DevnetLiveView()
                : null;
            void Report(string line)
            {
                if (view is not null) view.Event(line);
                else lock (context.Out) context.Out.WriteLine(line);
            }
            try
            {
                await using var devnet = new DevnetRunner(settings, Report);
                async Task<IReadOnlyList<DevnetJob>> StartAndRunJobsAsync()
                {
                    await devnet.StartAsync(cancellation);
                    if (view is not null) view.Nodes(await devnet.NodeStandingsAsync(cancellation));
                    return await devnet.RunJobsAsync((job, text) => view?.Streaming(job, text), async (job, token) =>
                    {
                        if (view is null) return;
                        view.Finished(job);
                        view.Nodes(await devnet.NodeStandingsAsync(token));
                    }, cancellation);
                }
                IReadOnlyList<DevnetJob> results;
                try
                {
                    results = view is null ? await StartAndRunJobsAsync() : await view.ShowAsync(AnsiConsole.Console, StartAndRunJobsAsync);
                }
                finally
                {
                    // The live view is gone: what follows (summary, load, settlement, or the shutdown after a failure) prints lines.
                    view = null;
                }
                IReadOnlyList<DevnetNode> nodes = await devnet.NodeStandingsAsync(cancellation);
                (int listed, int staked, int reporting, int measured) = await devnet.CoordinatorNodesAsync(cancellation);
                Report($"the coordinator's node list (GET /v1/nodes): {listed} nodes indexed from the chain ({staked} staked), {reporting} reporting signed heartbeats, {measured} with a measured round trip");
                Summary(context, results, nodes);
                LoadReport? loadReport = parsed.GetValue(load) is > 0 and int clients ? await devnet.RunLoadAsync(clients, cancellation) : null;
                if (parsed.GetValue(exitWhenDone)) Settlement(context, await devnet.WaitSettledAsync(cancellation), nodes);
                else
                {
                    Report($"devnet running: RPC {devnet.Rpc}, coordinator {devnet.CoordinatorAddress}; Ctrl-C stops it");
                    await Task.Delay(Timeout.Infinite, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);
                }
                if (loadReport is { Errors: > 0 }) return context.Fail(ExitCodes.Failure, $"{loadReport.Errors} of the load run's jobs failed, e.g. {loadReport.FirstError}");
                return results.All(j => j.Status == "submitted") ? ExitCodes.Success : context.Fail(ExitCodes.Failure, "some jobs failed (see the summary)");
            }
            finally
            {
                try
                {
                    if (keptWork is null) Directory.Delete(work, recursive: true);
                }
                catch (IOException)
                {
                    // A process may still hold a trace file for a moment; the temp folder is cleaned up later.
                }
            }
        }));
        return new Command("devnet", "A local network in one command: anvil, contracts, staked workers, coordinator, client")
        {
            up.WithExamples("depin devnet up", "depin devnet up --jobs 6 --exit-when-done", "depin devnet up --load-clients 50 --exit-when-done"),
        };
    }

    private static void Summary(CliContext context, IReadOnlyList<DevnetJob> jobs, IReadOnlyList<DevnetNode> nodes)
    {
        Render(context.Out, DevnetTables.Jobs(jobs));
        Render(context.Out, DevnetTables.Nodes(nodes));
    }

    private static void Settlement(CliContext context, DevnetSettlement settlement, IReadOnlyList<DevnetNode> nodes)
    {
        var payouts = new Table().Border(TableBorder.Rounded).Title($"payouts ({settlement.Finalized} of {settlement.Jobs} jobs finalized after the challenge window)")
            .AddColumn("operator").AddColumn("nodes").AddColumn("stages paid").AddColumn("paid (StagePaid)").AddColumn("credit in JobMarket");
        foreach (DevnetPayout p in settlement.Payouts)
        {
            string nodeList = string.Join(", ", p.Nodes.Select(n => n[..10] + "…" + (nodes.Any(d => d.Faulty && d.Node == n) ? " (faulty)" : "")));
            payouts.AddRow(Markup.Escape(p.Operator), Markup.Escape(nodeList), p.StagesPaid.ToString(CultureInfo.InvariantCulture), Markup.Escape(TokenAmount.Dpin(p.Paid)),
                Markup.Escape(TokenAmount.Dpin(p.Credit)));
        }
        payouts.AddRow("treasury", "-", "-", "-", Markup.Escape(TokenAmount.Dpin(settlement.TreasuryCredit)));
        Render(context.Out, payouts);
        var refunds = new Table().Border(TableBorder.Rounded).Title($"refunds ({settlement.Refunded} of {settlement.Jobs} jobs)")
            .AddColumn("job").AddColumn("client").AddColumn("amount").AddColumn("reason");
        foreach (DevnetRefund r in settlement.Refunds)
            refunds.AddRow(Markup.Escape(r.JobId.ToString()[..10] + "…"), Markup.Escape(r.Client), Markup.Escape(TokenAmount.Dpin(r.Amount)), Markup.Escape(r.Reason));
        Render(context.Out, refunds);
    }
}
