using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Transactions;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Protocol.Tokens;
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin job</c>: the client. <c>submit</c> pays for a job on-chain (approving the fee first), posts its prompt to a
/// coordinator, streams the text as it is generated and prints the receipt once the signed result is on-chain;
/// <c>status</c> reads a job back from the chain (and the coordinator, when given).
/// </summary>
internal static class JobCommands
{
    public const string GatewayVariable = "DEPIN_GATEWAY";
    private const string DefaultGateway = "http://127.0.0.1:8080";

    internal sealed record JobReport(string JobId, string Status, string CreateTransaction, string? SubmissionTransaction, int PromptTokens,
        IReadOnlyList<int> Tokens, string Text, string? TraceRoot, string? OutputHash, string? ChallengeEndsAt, string? Error)
    {
        /// <summary>With --wait-settled: how the fee went once the job was finalized or refunded.</summary>
        public SettlementReport? Settlement { get; init; }
    }

    /// <summary>A settled job's fee: each stage's pay and the treasury's part, or the client's refund (amounts in DPIN).</summary>
    internal sealed record SettlementReport(string Status, IReadOnlyList<PayoutReport> Payouts, string ToTreasury, string Refunded, string? RefundReason)
    {
        public static SettlementReport Of(JobSettlement s) => new(s.Status,
            [.. s.Stages.Select(p => new PayoutReport(p.Replica, p.Stage, p.Node, p.Operator, TokenAmount.Dpin(p.Amount)))], TokenAmount.Dpin(s.ToTreasury), TokenAmount.Dpin(s.Refunded), s.RefundReason);
    }

    internal sealed record PayoutReport(int Replica, int Stage, string Node, string Operator, string Amount);

    internal sealed record JobStatusReport(string JobId, string Status, string Fee, int Replicas, string Deadline, string? SubmittedAt, string? ChallengeEndsAt,
        string? TraceRoot, string? OutputHash, uint TokenCount, int OpenDisputes, int WrongMask, string ClientCredit, string? CoordinatorStatus, string? Text)
    {
        /// <summary>Once finalized or refunded: how the fee went.</summary>
        public SettlementReport? Settlement { get; init; }
    }

    public static Command Create(CliContext context) =>
        new Command("job", "Pay for inference jobs on-chain and stream their results from a coordinator")
        {
            Submit(context),
            Status(context),
        }.WithExamples(
            "depin job submit --model stories260K --prompt \"Once upon a time\" --max-tokens 64 --passphrase-file pass.txt",
            "depin job status 0x5c0e…");

    private static Option<string> Gateway() => new("--gateway")
    {
        Description = $"Coordinator URL [default: ${GatewayVariable} or {DefaultGateway}]",
        HelpName = "URL",
    };

    private static Command Submit(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        Option<string> model = CommonOptions.Model();
        Option<string> prompt = CommonOptions.Text("--prompt", "The text to continue", "TEXT", required: true);
        Option<int> maxTokens = CommonOptions.Number("--max-tokens", "Tokens to generate at most", 64, n => CommonOptions.AtLeast(n, 1));
        Option<decimal> temperature = CommonOptions.Number("--temperature", "Sampling temperature, 0 to 2 in steps of 0.001; 0 = greedy", 0m, InferSettings.CheckTemperature);
        Option<decimal> topP = CommonOptions.Number("--top-p", "Nucleus sampling mass, in (0, 1] in steps of 0.001", 1m, InferSettings.CheckTopP);
        Option<ulong> seed = CommonOptions.Number("--seed", "Sampling seed", 0UL);
        Option<string> fee = new("--fee") { Description = "Escrowed fee in tokens [default: 1]", HelpName = "AMOUNT", DefaultValueFactory = _ => "1" };
        Option<int> redundancy = CommonOptions.Number("--redundancy", "1, or 2 for a verified job run on two disjoint pipelines", 1, n => n is 1 or 2 ? null : $"must be 1 or 2, got {n}");
        Option<int> deadline = CommonOptions.Number("--deadline-minutes", "Minutes the coordinator has to submit the result (then the fee can be refunded)", 60, n => CommonOptions.AtLeast(n, 1));
        Option<string> gateway = Gateway();
        Option<bool> waitSettled = new("--wait-settled")
        {
            Description = "After the result is on-chain, wait until the job is settled (finalized after its challenge window, or refunded) and print who was paid",
        };
        Option<int> settleTimeout = CommonOptions.Number("--settle-timeout-minutes", "How long --wait-settled waits at most (the challenge window is a day on a default deployment)", 1500,
            n => CommonOptions.AtLeast(n, 1));
        var command = new Command("submit", "Pay for a job on-chain, post its prompt to the coordinator, stream the text, print the receipt")
        {
            model, prompt, maxTokens, temperature, topP, seed, fee, redundancy, deadline, gateway, waitSettled, settleTimeout,
        };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            Uri gatewayUrl = GatewayUrl(parsed.GetValue(gateway));
            if (!TokenAmount.TryParse(parsed.GetValue(fee), TokenAmount.DefaultDecimals, out TokenAmount amount, out string? problem) || amount.Units.Sign <= 0)
                throw new UsageException($"--fee: {problem ?? "must be positive"}");
            string text = parsed.GetRequiredValue(prompt);
            if (text.Length == 0) throw new UsageException("--prompt must not be empty");
            IntegerModel loaded = await context.Models.LoadAsync(parsed.GetRequiredValue(model), cancellation);
            int[] tokens = loaded.Tokenizer.Encode(text, bos: true, eos: false);
            if (tokens.Length >= loaded.Config.SeqLen) throw new UsageException($"the prompt has {tokens.Length} tokens; the context holds {loaded.Config.SeqLen}");

            (TransactionSender sender, DeploymentFile deployment) = await connection.ConnectAsync(parsed, unlock: true, cancellation);
            var request = new JobRequest(new Bytes32(loaded.ModelId.AsSpan()), JobConventions.PromptHash(tokens), (uint)parsed.GetValue(maxTokens),
                JobConventions.Q16FromMilli(InferSettings.ToMilli(parsed.GetValue(temperature))), JobConventions.Q16FromMilli(InferSettings.ToMilli(parsed.GetValue(topP))),
                parsed.GetValue(seed), (byte)parsed.GetValue(redundancy), amount.Units,
                (ulong)DateTimeOffset.UtcNow.AddMinutes(parsed.GetValue(deadline)).ToUnixTimeSeconds(), new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            var client = new JobClient(sender, deployment);
            (Bytes32 jobId, string created) = await client.CreateAsync(request, Progress(context), cancellation);
            bool json = parsed.GetValue(connection.Json);
            if (!json) context.Error.WriteLine($"job {jobId} paid in {created}; streaming from {gatewayUrl}");

            using var http = new HttpClient { BaseAddress = gatewayUrl, Timeout = Timeout.InfiniteTimeSpan };
            using (HttpResponseMessage posted = await SendAsync(() => http.PostAsJsonAsync("/v1/jobs", new { job_id = jobId.ToString(), prompt = text }, cancellation), gatewayUrl))
                if (!posted.IsSuccessStatusCode)
                    throw new CliFailure($"the coordinator refused job {jobId} ({await ProblemAsync(posted, cancellation)}); it is paid: post it again, or after its deadline its fee can be refunded");
            (JsonElement final, string status) = await StreamAsync(http, jobId, json ? null : context.Out, gatewayUrl, cancellation);
            JobState? state = await client.StateAsync(jobId, cancellation);
            JobSettlement? settlement = null;
            if (status == "submitted" && parsed.GetValue(waitSettled))
            {
                if (!json) context.Error.WriteLine($"waiting for job {jobId} to be settled (challenge window ends {state?.ChallengeEndsAt:u})");
                try
                {
                    settlement = await client.WaitSettledAsync(jobId, TimeSpan.FromMinutes(parsed.GetValue(settleTimeout)), TimeSpan.FromSeconds(2), null, cancellation);
                }
                catch (TimeoutException e)
                {
                    throw new CliFailure(e.Message);
                }
                state = await client.StateAsync(jobId, cancellation);
            }
            var report = new JobReport(jobId.ToString(), state?.Status ?? status, created, final.GetProperty("submission_tx").GetString(), tokens.Length,
                [.. final.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())], final.GetProperty("text").GetString() ?? "",
                state?.ServedTraceRoot?.ToString(), state?.ServedOutputHash?.ToString(), state?.ChallengeEndsAt?.ToString("u"), final.GetProperty("error").GetString())
            {
                Settlement = settlement is null ? null : SettlementReport.Of(settlement),
            };
            if (json) context.Out.WriteLine(JsonSerializer.Serialize(report, JobJsonContext.Default.JobReport));
            else
            {
                context.Out.WriteLine();
                Render(context.Out, Properties(
                    ("job", report.JobId), ("status", status + (state is null ? "" : $" (on-chain: {state.Status})")), ("tokens", report.Tokens.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("trace root", report.TraceRoot ?? "-"), ("output hash", report.OutputHash ?? "-"), ("result tx", report.SubmissionTransaction ?? "-"),
                    ("challenge window ends", report.ChallengeEndsAt ?? "-")));
                if (report.Settlement is { } settled) Render(context.Out, SettlementTable(settled));
            }
            return status == "submitted" ? ExitCodes.Success : context.Fail(ExitCodes.Failure, $"job {jobId} failed: {report.Error}");
        }));
        return command.WithExamples(
            "depin job submit --model stories260K --prompt \"Once upon a time\" --passphrase-file pass.txt",
            "depin job submit --model stories260K --prompt \"Once upon a time\" --temperature 0.8 --seed 7 --redundancy 2 --fee 5 --json");
    }

    private static Command Status(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        Argument<string> id = new("JOB_ID") { Description = "The job id (0x + 64 hex digits)" };
        Option<string> gateway = Gateway();
        var command = new Command("status", "Show a job's on-chain state (and the coordinator's view when --gateway is given)") { id, gateway };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            string text = parsed.GetRequiredValue(id);
            if (!Bytes32.TryParse(text, out Bytes32 jobId) || !text.StartsWith("0x", StringComparison.Ordinal)) throw new UsageException($"JOB_ID must be 0x followed by 64 hex digits, got '{text}'");
            (TransactionSender sender, DeploymentFile deployment) = await connection.ConnectAsync(parsed, unlock: false, cancellation);
            var client = new JobClient(sender, deployment);
            JobState state = await client.StateAsync(jobId, cancellation) ?? throw new CliFailure($"JobMarket has no job {jobId}");
            JobSettlement? settlement = state.Status is "finalized" or "refunded" ? await client.SettlementAsync(jobId, state.Status, cancellation) : null;
            JsonElement? view = null;
            if (parsed.GetValue(gateway) is { Length: > 0 } url)
            {
                using var http = new HttpClient { BaseAddress = GatewayUrl(url), Timeout = TimeSpan.FromSeconds(30) };
                using HttpResponseMessage response = await SendAsync(() => http.GetAsync($"/v1/jobs/{jobId}", cancellation), http.BaseAddress);
                if (response.IsSuccessStatusCode) view = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellation)).RootElement;
            }
            var report = new JobStatusReport(jobId.ToString(), state.Status, new TokenAmount(state.Fee, TokenAmount.DefaultDecimals).ToString(), state.Replicas, state.Deadline.ToString("u"),
                state.SubmittedAt?.ToString("u"), state.ChallengeEndsAt?.ToString("u"), state.ServedTraceRoot?.ToString(), state.ServedOutputHash?.ToString(), state.ServedTokenCount,
                state.OpenDisputes, state.WrongMask, new TokenAmount(state.ClientCredit, TokenAmount.DefaultDecimals).ToString(), view?.GetProperty("status").GetString(), view?.GetProperty("text").GetString())
            {
                Settlement = settlement is null ? null : SettlementReport.Of(settlement),
            };
            if (parsed.GetValue(connection.Json)) context.Out.WriteLine(JsonSerializer.Serialize(report, JobJsonContext.Default.JobStatusReport));
            else
            {
                Render(context.Out, Properties(
                    ("job", report.JobId), ("status", report.Status), ("fee", report.Fee), ("replicas", report.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("deadline", report.Deadline), ("submitted", report.SubmittedAt ?? "-"), ("challenge window ends", report.ChallengeEndsAt ?? "-"),
                    ("trace root", report.TraceRoot ?? "-"), ("output hash", report.OutputHash ?? "-"), ("open disputes", report.OpenDisputes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("coordinator", report.CoordinatorStatus ?? "-"), ("text", report.Text ?? "-")));
                if (report.Settlement is { } settled) Render(context.Out, SettlementTable(settled));
            }
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin job status 0x5c0e… --gateway http://127.0.0.1:8080");
    }

    private static Table SettlementTable(SettlementReport settled)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title(settled.Status == "refunded" ? $"refunded {settled.Refunded} to the client ({settled.RefundReason})" : $"paid (treasury {settled.ToTreasury})")
            .AddColumn("replica").AddColumn("stage").AddColumn("node").AddColumn("operator").AddColumn("paid");
        foreach (PayoutReport p in settled.Payouts)
            table.AddRow(p.Replica.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Stage.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(p.Node), Markup.Escape(p.Operator), Markup.Escape(p.Amount));
        return table;
    }


    private static Uri GatewayUrl(string? text)
    {
        text ??= Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } env ? env : DefaultGateway;
        return Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https" ? url : throw new UsageException($"--gateway must be an http(s) URL, got '{text}'");
    }

    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, Uri gateway)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e)
        {
            throw new CliFailure($"cannot reach the coordinator at {gateway}: {e.Message}");
        }
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        string body = await response.Content.ReadAsStringAsync(cancellation);
        try
        {
            JsonElement problem = JsonDocument.Parse(body).RootElement;
            return $"HTTP {(int)response.StatusCode}: {problem.GetProperty("detail").GetString()}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"HTTP {(int)response.StatusCode}";
        }
    }

    /// <summary>Reads the job's server-sent events, writing each token's text to <paramref name="text"/>; returns the final job and its status.</summary>
    private static async Task<(JsonElement Final, string Status)> StreamAsync(HttpClient http, Bytes32 jobId, TextWriter? text, Uri gateway, CancellationToken cancellation)
    {
        using HttpResponseMessage response = await SendAsync(() => http.GetAsync($"/v1/jobs/{jobId}/stream", HttpCompletionOption.ResponseHeadersRead, cancellation), gateway);
        if (!response.IsSuccessStatusCode) throw new CliFailure($"the coordinator has no stream for job {jobId} ({await ProblemAsync(response, cancellation)})");
        await foreach ((string name, string line) in ServerSentEvents.ReadAsync(await response.Content.ReadAsStreamAsync(cancellation), cancellation))
        {
            JsonElement data;
            try
            {
                data = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException e)
            {
                throw new CliFailure($"the coordinator sent a malformed event: {e.Message}");
            }
            if (name == "token")
            {
                text?.Write(data.GetProperty("text").GetString());
                text?.Flush();
            }
            else if (name is "done" or "failed") return (data, data.GetProperty("status").GetString() ?? name);
        }
        throw new CliFailure($"the coordinator closed the stream of job {jobId} before it finished");
    }
}

/// <summary>An expected failure of a job verb talking to the coordinator: one error line, exit code 1 (DepinCli maps IOException).</summary>
internal sealed class CliFailure(string message) : IOException(message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(JobCommands.JobReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(JobCommands.JobStatusReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(JobCommands.SettlementReport))]
internal sealed partial class JobJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
