using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Disputes.Audit;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin audit replay DISPUTE_ID</c>: replays a dispute from chain logs and calldata alone and re-executes its one
/// step with the C# engine (<see cref="DisputeHistory"/>, <see cref="DisputeAuditor"/>). Exit 0 when the on-chain
/// verdict is what the recomputation implies, 2 when it is not, 1 when the audit cannot be made.
/// <c>depin audit job JOB_ID --prompt TEXT</c>: re-runs a whole job and compares every replica's commitments with the
/// recomputation (<see cref="JobAuditSubject"/>, <see cref="JobAuditor"/>). Exit 0 when every replica matches, 2 when
/// one differs, 1 when the audit cannot be made (bad input included).
/// </summary>
internal static class AuditCommands
{
    /// <summary>Exit code when the on-chain verdict disagrees with the step's recomputation.</summary>
    public const int Disagrees = 2;

    public static Command Create(CliContext context) =>
        new Command("audit", "Check disputes independently from the chain's own record")
        {
            Replay(context),
            Job(context),
        }.WithExamples(
            "depin audit replay 1 --rpc http://127.0.0.1:8545 --model stories260K",
            "depin audit job 0x3f…e1 --prompt \"Once upon a time\" --rpc http://127.0.0.1:8545");

    private static Command Replay(CliContext context)
    {
        var id = new Argument<string>("DISPUTE_ID") { Description = "The dispute's id (from 1), as DisputeOpened logged it" };
        id.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !(BigInteger.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out BigInteger v) && v > 0 && v < BigInteger.Pow(2, 256)))
                result.AddError($"expected a positive integer as DISPUTE_ID, got '{result.Tokens[0].Value}'");
        });
        Option<string> rpc = RpcOption();
        rpc.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && RpcProblem(result.Tokens[0].Value) is { } problem) result.AddError(problem);
        });
        Option<string> deployment = CommonOptions.ExistingFile("--deployment", DeploymentHelp, required: false);
        Option<string> model = CommonOptions.Text("--model", ModelHelp, "MODEL", required: false);
        Option<bool> json = CommonOptions.Json("Print the account as JSON");
        var command = new Command("replay", "Replay a dispute from chain logs and calldata: parties, moves, Merkle proofs, receipt signatures, the step re-executed with the C# engine, and whether the on-chain verdict agrees (exit 0 it agrees, 2 it does not, 1 the audit cannot be made)")
        {
            id, rpc, deployment, model, json,
        };
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            var disputeId = BigInteger.Parse(parsed.GetValue(id)!, CultureInfo.InvariantCulture);
            (ChainConnection chain, DeploymentFile file) = await ConnectAsync(parsed.GetValue(rpc), parsed.GetValue(deployment), cancellation);
            try
            {
                DisputeHistory history = await DisputeHistory.LoadAsync(chain, file, disputeId, cancellation);
                string modelName = parsed.GetValue(model) ?? history.Model.MetadataURI;
                if (string.IsNullOrWhiteSpace(modelName)) throw new UsageException(NoModelName);
                IntegerModel integer = await context.Models.LoadAsync(modelName, cancellation);
                AuditReport report = DisputeAuditor.Audit(history, integer);
                if (parsed.GetValue(json)) context.Out.WriteLine(JsonSerializer.Serialize(report, AuditJsonContext.Default.AuditReport));
                else Write(context, report);
                return report.Agrees ? ExitCodes.Success : Disagrees;
            }
            catch (Exception e) when (e is UnknownDisputeException or ModelMismatchException)
            {
                return context.Fail(ExitCodes.Failure, e.Message);
            }
        }));
        return command.WithExamples(
            "depin audit replay 1 --rpc http://127.0.0.1:8545 --model stories260K",
            "depin audit replay 7 --deployment deploy/addresses/31337.json --json");
    }

    private const string DeploymentHelp = $"Deployment addresses file [default: ${DeploymentFile.PathVariable} or deploy/addresses/<chainId>.json]";
    private const string ModelHelp = CommonOptions.ModelHelp + " [default: the registered model's metadata URI as a name]";
    private const string NoModelName = "the registered model has no metadata URI to find it by: pass --model";

    private static Option<string> RpcOption() =>
        new("--rpc") { Description = $"JSON-RPC endpoint [default: ${NodeCommands.RpcVariable} or {ChainOptions.DefaultRpc}]", HelpName = "URL" };

    private static string? RpcProblem(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" ? null : $"--rpc expects an http(s) URL, got '{value}'";

    /// <summary>Connects to <paramref name="rpc"/> (or $DEPIN_RPC, or the default) and loads and verifies the deployment file.</summary>
    private static async Task<(ChainConnection Chain, DeploymentFile Deployment)> ConnectAsync(string? rpc, string? deployment, CancellationToken cancellation)
    {
        string endpoint = rpc ?? (Environment.GetEnvironmentVariable(NodeCommands.RpcVariable) is { Length: > 0 } env ? env : ChainOptions.DefaultRpc);
        ChainConnection chain = await ChainConnection.ConnectAsync(new ChainOptions { Rpc = new Uri(endpoint) }, null, cancellation);
        DeploymentFile file = DeploymentFile.Load(deployment ?? DeploymentFile.DefaultPath(chain.ChainId));
        await file.VerifyAsync(chain, cancellation);
        return (chain, file);
    }

    /// <remarks>
    /// Exit 2 means a replica differs, so the values of this verb are checked here, not by the parser (whose errors
    /// exit 2 like every verb's): a malformed JOB_ID, an empty prompt, a bad --rpc or --threads exit 1. Only a command
    /// line that does not parse at all (an unknown option, a --threads that is not a number) still exits 2.
    /// </remarks>
    private static Command Job(CliContext context)
    {
        var id = new Argument<string>("JOB_ID") { Description = "The job's id: 0x and 64 hex digits, as JobCreated logged it" };
        var prompt = new Option<string>("--prompt") { Description = "The job's prompt text (the chain holds only its hash); required", HelpName = "TEXT" };
        Option<string> rpc = RpcOption();
        var deployment = new Option<string>("--deployment") { Description = DeploymentHelp, HelpName = "FILE" };
        var model = new Option<string>("--model") { Description = ModelHelp, HelpName = "MODEL" };
        Option<int> threads = CommonOptions.Number("--threads", $"Replica layouts recomputed at once (each run is single-threaded; the result does not depend on it), 1 to {MaxParallelRuns}", Math.Min(Environment.ProcessorCount, MaxParallelRuns));
        Option<bool> json = CommonOptions.Json("Print the account as JSON");
        var command = new Command("job", "Re-run a whole job with the C# engine from its on-chain request and its prompt, and compare every replica's signed stage roots, result root, output hash and token count with the recomputation; lists the job's status and disputes (exit 0 every replica matches, 2 one differs, 1 the audit cannot be made)")
        {
            id, prompt, rpc, deployment, model, threads, json,
        };
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            string idText = parsed.GetValue(id) ?? "";
            if (!idText.StartsWith("0x", StringComparison.Ordinal) || !Bytes32.TryParse(idText, out Bytes32 jobId)) return context.Fail(ExitCodes.Failure, $"expected a job id (0x and 64 hex digits) as JOB_ID, got '{idText}'");
            string? text = parsed.GetValue(prompt);
            if (string.IsNullOrEmpty(text)) return context.Fail(ExitCodes.Failure, "--prompt is required and must not be empty: the chain holds only the prompt's hash");
            if (parsed.GetValue(rpc) is { } url && RpcProblem(url) is { } rpcProblem) return context.Fail(ExitCodes.Failure, rpcProblem);
            int parallelRuns = parsed.GetValue(threads);
            if (parallelRuns is < 1 or > MaxParallelRuns) return context.Fail(ExitCodes.Failure, $"--threads must be 1 to {MaxParallelRuns}, got {parallelRuns}");
            string? modelOption = parsed.GetValue(model);
            if (modelOption is { Length: 0 }) return context.Fail(ExitCodes.Failure, "--model must not be empty");

            (ChainConnection chain, DeploymentFile file) = await ConnectAsync(parsed.GetValue(rpc), parsed.GetValue(deployment), cancellation);
            try
            {
                JobAuditSubject subject = await JobAuditSubject.LoadAsync(chain, file, jobId, cancellation);
                string modelName = modelOption ?? subject.Model.MetadataURI;
                if (string.IsNullOrWhiteSpace(modelName)) return context.Fail(ExitCodes.Failure, NoModelName);
                IntegerModel integer = await context.Models.LoadAsync(modelName, cancellation);
                JobAuditReport report = await Task.Run(() => JobAuditor.Audit(subject, integer, text, parallelRuns), cancellation);
                if (parsed.GetValue(json)) context.Out.WriteLine(JsonSerializer.Serialize(report, AuditJsonContext.Default.JobAuditReport));
                else Write(context, report);
                return report.Consistent ? ExitCodes.Success : Disagrees;
            }
            catch (Exception e) when (e is JobAuditException or ModelMismatchException or UsageException)
            {
                return context.Fail(ExitCodes.Failure, e.Message);
            }
        }));
        return command.WithExamples(
            "depin audit job 0x3fa2…e1 --prompt \"Once upon a time\" --rpc http://127.0.0.1:8545",
            "depin audit job 0x3fa2…e1 --prompt \"Once upon a time\" --deployment deploy/addresses/31337.json --model stories260K --json");
    }

    private const int MaxParallelRuns = 64;

    private static void Write(CliContext context, JobAuditReport r)
    {
        TextWriter o = context.Out;
        string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
        o.WriteLine($"job {r.JobId}: {r.Status} on chain");
        Render(o, Properties(
            ("client", r.Client),
            ("model", $"{r.ModelId} (weights root {r.WeightsRoot})"),
            ("prompt", $"{Count(r.PromptTokens)} tokens, at most {r.MaxTokens.ToString(CultureInfo.InvariantCulture)} generated"),
            ("recomputed", $"{Count(r.Positions)} positions, {Count(r.TokenCount)} tokens"),
            ("recomputed output hash", r.OutputHash),
            ("recomputed result root", r.ResultRoot),
            ("replicas marked wrong", r.WrongReplicas.Count == 0 ? "none" : string.Join(", ", r.WrongReplicas))));
        var stages = new Table().Border(TableBorder.Rounded).AddColumn("replica").AddColumn("stage").AddColumn("blocks").AddColumn("node")
            .AddColumn("input root").AddColumn("trace root").AddColumn("output root").AddColumn("receipt signature");
        string Cell(AuditedJobStage s, string root) => s.Differs.Contains(root) ? "DIFFERS" : "matches";
        foreach (AuditedReplica replica in r.Replicas)
            foreach (AuditedJobStage s in replica.Stages)
                stages.AddRow(Count(replica.Replica), Count(s.Stage), $"{Count(s.FirstLayer)}..{Count(s.LastLayer)}", s.Node,
                    Cell(s, JobAuditor.InputRoot), Cell(s, JobAuditor.TraceRoot), Cell(s, JobAuditor.OutputRoot), s.SignatureValid ? "valid" : "INVALID");
        Render(o, stages);
        foreach (AuditedReplica replica in r.Replicas)
        {
            if (replica.FirstMismatch is not { } m)
            {
                o.WriteLine($"replica {Count(replica.Replica)}: {(replica.Consistent ? "consistent with the recomputation" : "roots match, but a receipt signature does not verify")}");
                continue;
            }
            string where = m.Stage is { } stage ? $"stage {Count(stage)} {m.Commitment.Replace('_', ' ')}" : m.Commitment.Replace('_', ' ');
            o.WriteLine($"replica {Count(replica.Replica)}: DIFFERS from the recomputation, first at {where}: committed {m.Committed}, recomputed {m.Recomputed}");
        }
        foreach (JobDispute d in r.Disputes)
            o.WriteLine($"dispute {d.DisputeId}: {d.Challenger} against replica {Count(d.DefenderReplica)} (block {d.Block.ToString(CultureInfo.InvariantCulture)}); replay it with 'depin audit replay {d.DisputeId}'");
        if (r.Disputes.Count == 0) o.WriteLine("no dispute was opened about this job");
        foreach (string problem in r.Problems) o.WriteLine($"problem: {problem}");
        o.WriteLine(r.Consistent ? "every submitted replica matches the recomputation" : "some replica DIFFERS from the recomputation");
    }

    private static void Write(CliContext context, AuditReport r)
    {
        TextWriter o = context.Out;
        o.WriteLine($"dispute {r.DisputeId} on job {r.JobId}");
        Render(o, Properties(
            ("client", r.Client),
            ("model", $"{r.ModelId} (weights root {r.WeightsRoot})"),
            ("challenger", $"{r.Challenger}, bond {r.Bond}"),
            ("defender", $"replica {r.Defender.Replica}"),
            ("challenger side", r.Challenging.Replica == 255 ? "own commitment" : $"replica {r.Challenging.Replica}")));
        var stages = new Table().Border(TableBorder.Rounded).AddColumn("side").AddColumn("stage").AddColumn("blocks").AddColumn("node").AddColumn("trace root").AddColumn("receipt signature");
        foreach (AuditedSide side in new[] { r.Defender, r.Challenging })
            foreach (AuditedStage s in side.Stages)
                stages.AddRow(side.Role, s.Stage.ToString(CultureInfo.InvariantCulture), $"{s.FirstLayer}..{s.LastLayer}", s.Node, s.TraceRoot, s.SignatureValid ? "valid" : "INVALID");
        Render(o, stages);
        o.WriteLine("moves:");
        var moves = new Table().Border(TableBorder.Rounded).AddColumn("block").AddColumn("event").AddColumn("what").AddColumn("sender").AddColumn("transaction");
        foreach (AuditedMove m in r.Moves) moves.AddRow(m.Block.ToString(CultureInfo.InvariantCulture), m.Event, Markup.Escape(m.Detail), m.Sender, m.Transaction);
        Render(o, moves);
        if (r.Openings.Count > 0)
            o.WriteLine($"Merkle openings in the moves: {r.Openings.Count(x => x.Valid)} of {r.Openings.Count} verify against the signed stage roots");
        if (r.Step is { } step)
        {
            Render(o, Properties(
                ("step", $"position {step.Position}, slot {step.Slot} ({step.Kind})"),
                ("agreed hidden input", step.HiddenIn),
                ("agreed carried input", step.CarryIn),
                ("defender's leaf", step.DefenderLeaf),
                ("challenger's leaf", step.ChallengerLeaf),
                ("on-chain recomputed leaf", step.OnChainLeaf ?? "(not verified on chain)"),
                ("C# engine's leaf", step.RecomputedLeaf ?? "(not re-executed)")));
            foreach (string check in step.InputChecks) o.WriteLine($"  {check}");
        }
        o.WriteLine($"on-chain verdict: {r.OnChainOutcome} ({r.OnChainReason}); recomputation implies: {r.ExpectedOutcome}");
        foreach (string problem in r.Problems) o.WriteLine($"problem: {problem}");
        o.WriteLine(r.Agrees ? "the verdict agrees with the recomputation" : "the verdict DISAGREES with the recomputation");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(AuditReport))]
[JsonSerializable(typeof(JobAuditReport))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
