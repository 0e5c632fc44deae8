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
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin audit replay DISPUTE_ID</c>: replays a dispute from chain logs and calldata alone and re-executes its one
/// step with the C# engine (<see cref="DisputeHistory"/>, <see cref="DisputeAuditor"/>). Exit 0 when the on-chain
/// verdict is what the recomputation implies, 2 when it is not, 1 when the audit cannot be made.
/// </summary>
internal static class AuditCommands
{
    /// <summary>Exit code when the on-chain verdict disagrees with the step's recomputation.</summary>
    public const int Disagrees = 2;

    public static Command Create(CliContext context) =>
        new Command("audit", "Check disputes independently from the chain's own record")
        {
            Replay(context),
        }.WithExamples("depin audit replay 1 --rpc http://127.0.0.1:8545 --model stories260K");

    private static Command Replay(CliContext context)
    {
        var id = new Argument<string>("DISPUTE_ID") { Description = "The dispute's id (from 1), as DisputeOpened logged it" };
        id.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !(BigInteger.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out BigInteger v) && v > 0 && v < BigInteger.Pow(2, 256)))
                result.AddError($"expected a positive integer as DISPUTE_ID, got '{result.Tokens[0].Value}'");
        });
        var rpc = new Option<string>("--rpc") { Description = $"JSON-RPC endpoint [default: ${NodeCommands.RpcVariable} or {ChainOptions.DefaultRpc}]", HelpName = "URL" };
        rpc.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !(Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https"))
                result.AddError($"--rpc expects an http(s) URL, got '{result.Tokens[0].Value}'");
        });
        Option<string> deployment = CommonOptions.ExistingFile("--deployment", $"Deployment addresses file [default: ${DeploymentFile.PathVariable} or deploy/addresses/<chainId>.json]", required: false);
        Option<string> model = CommonOptions.Text("--model", CommonOptions.ModelHelp + " [default: the registered model's metadata URI as a name]", "MODEL", required: false);
        Option<bool> json = CommonOptions.Json("Print the account as JSON");
        var command = new Command("replay", "Replay a dispute from chain logs and calldata: parties, moves, Merkle proofs, receipt signatures, the step re-executed with the C# engine, and whether the on-chain verdict agrees (exit 0 it agrees, 2 it does not, 1 the audit cannot be made)")
        {
            id, rpc, deployment, model, json,
        };
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            var disputeId = BigInteger.Parse(parsed.GetValue(id)!, CultureInfo.InvariantCulture);
            string endpoint = parsed.GetValue(rpc) ?? (Environment.GetEnvironmentVariable(NodeCommands.RpcVariable) is { Length: > 0 } env ? env : ChainOptions.DefaultRpc);
            ChainConnection chain = await ChainConnection.ConnectAsync(new ChainOptions { Rpc = new Uri(endpoint) }, null, cancellation);
            DeploymentFile file = DeploymentFile.Load(parsed.GetValue(deployment) ?? DeploymentFile.DefaultPath(chain.ChainId));
            await file.VerifyAsync(chain, cancellation);
            try
            {
                DisputeHistory history = await DisputeHistory.LoadAsync(chain, file, disputeId, cancellation);
                string modelName = parsed.GetValue(model) ?? history.Model.MetadataURI;
                if (string.IsNullOrWhiteSpace(modelName)) throw new UsageException("the registered model has no metadata URI to find it by: pass --model");
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
internal sealed partial class AuditJsonContext : JsonSerializerContext;
