using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DePinLedger.Gateway.Api;

/// <summary>
/// OpenAI-style <c>POST /v1/completions</c> for clients that already speak that API. Payment is a job created and paid
/// on-chain, referenced by <c>job_id</c>, or a <c>voucher</c> the client signed (EIP-712 <c>JobVoucher</c>) that the
/// coordinator redeems on-chain, charging the client (<see cref="VoucherRedeemer"/>); the sampling fields, when given,
/// must equal the paid job's (the job commits to them), and the prompt must hash to its prompt hash. <c>stream: true</c>
/// answers with OpenAI's server-sent chunks ending in <c>data: [DONE]</c>; otherwise the response is one completion object
/// once the result is on-chain.
/// </summary>
public static class CompletionEndpoints
{
    public sealed record CompletionRequest(
        [property: JsonPropertyName("model")] string? Model,
        [property: JsonPropertyName("prompt")] string? Prompt,
        [property: JsonPropertyName("max_tokens")] int? MaxTokens,
        [property: JsonPropertyName("temperature")] decimal? Temperature,
        [property: JsonPropertyName("top_p")] decimal? TopP,
        [property: JsonPropertyName("seed")] ulong? Seed,
        [property: JsonPropertyName("stream")] bool? Stream,
        [property: JsonPropertyName("job_id")] string? JobId,
        [property: JsonPropertyName("voucher")] VoucherBody? Voucher = null);

    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", CompleteAsync)
            .RequireRateLimiting(JobEndpoints.RateLimitPolicy)
            .WithTags("openai")
            .WithSummary("OpenAI-style completion of a job paid on-chain (job_id) or by the client's signed voucher; stream or wait for the on-chain result")
            .Accepts<CompletionRequest>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        return app;
    }

    private static async Task CompleteAsync(HttpContext context, JobCoordinator coordinator, OnChainJobReader chainJobs, VoucherRedeemer vouchers, Hosting.CoordinatorOptions options)
    {
        CancellationToken cancellation = context.RequestAborted;
        (CompletionRequest? body, IResult? problem) = await JobEndpoints.ReadJsonAsync<CompletionRequest>(context.Request, cancellation);
        if (problem is null && body is not null)
        {
            try
            {
                Bytes32 jobId;
                (jobId, problem) = body.Voucher is null
                    ? await PaidJobAsync(body, coordinator, chainJobs, options, cancellation)
                    : await VoucherJobAsync(body, body.Voucher, coordinator, vouchers, options, cancellation);
                if (problem is null)
                {
                    CoordinatedJob job = await coordinator.AcceptAsync(jobId, body.Prompt!, cancellation);
                    if (body.Stream == true) await StreamAsync(context, job);
                    else await RespondAsync(context, job);
                    return;
                }
            }
            catch (JobRefusedException e)
            {
                problem = JobEndpoints.Problem(e.Status, e.Title, e.Message);
            }
            catch (Exception e) when (JobEndpoints.IsChainFailure(e))
            {
                problem = JobEndpoints.ChainProblem(e);
            }
        }
        await problem!.ExecuteAsync(context);
    }

    /// <summary>A job created and paid on-chain, named by job_id.</summary>
    private static async Task<(Bytes32, IResult?)> PaidJobAsync(CompletionRequest body, JobCoordinator coordinator, OnChainJobReader chainJobs, Hosting.CoordinatorOptions options,
        CancellationToken cancellation)
    {
        IResult? problem = JobEndpoints.ParseJobId(body.JobId, out Bytes32 jobId) ?? JobEndpoints.CheckPrompt(body.Prompt, options);
        return (jobId, problem ?? await CheckSamplingAsync(body, jobId, coordinator, chainJobs, cancellation));
    }

    /// <summary>A job the client's voucher pays for: created on-chain here, once every off-chain check passed.</summary>
    private static async Task<(Bytes32, IResult?)> VoucherJobAsync(CompletionRequest body, VoucherBody voucher, JobCoordinator coordinator, VoucherRedeemer vouchers,
        Hosting.CoordinatorOptions options, CancellationToken cancellation)
    {
        if (body.JobId is not null)
            return (default, JobEndpoints.Problem(StatusCodes.Status400BadRequest, "Two payments", "give job_id (a job paid on-chain) or voucher, not both"));
        if (JobEndpoints.CheckPrompt(body.Prompt, options) is { } promptProblem) return (default, promptProblem);
        return await vouchers.RedeemAsync(voucher, body.Prompt!, request => Mismatch(body, request, coordinator), cancellation);
    }

    /// <summary>Fields the client sets must be the paid job's: the job id commits to them, a different value is a mistake.</summary>
    private static async Task<IResult?> CheckSamplingAsync(CompletionRequest body, Bytes32 jobId, JobCoordinator coordinator, OnChainJobReader chainJobs, CancellationToken cancellation)
    {
        if (body.MaxTokens is null && body.Temperature is null && body.TopP is null && body.Seed is null && body.Model is null) return null;
        OnChainJob? job;
        try
        {
            job = await chainJobs.ReadAsync(jobId, cancellation);
        }
        catch (Exception e) when (JobEndpoints.IsChainFailure(e))
        {
            return JobEndpoints.ChainProblem(e);
        }
        return job is null ? null : Mismatch(body, job.Request, coordinator); // an unknown job: AcceptAsync answers 404
    }

    /// <summary>The 422 when a sampling field of the body differs from the paid request's, else null.</summary>
    private static IResult? Mismatch(CompletionRequest body, JobRequest paid, JobCoordinator coordinator)
    {
        string? mismatch =
            body.Model is { } model && !string.Equals(model, coordinator.ModelId.ToString(), StringComparison.OrdinalIgnoreCase) && !string.Equals(model, coordinator.ModelName, StringComparison.Ordinal)
                ? $"model '{model}' is not the served model {coordinator.ModelId}"
            : body.MaxTokens is { } max && max != paid.MaxTokens ? $"max_tokens {max} differs from the paid job's {paid.MaxTokens}"
            : body.Temperature is { } t && Milli(t) != JobConventions.TemperatureMilli(paid) ? $"temperature {t} differs from the paid job's {JobConventions.TemperatureMilli(paid) / 1000m}"
            : body.TopP is { } p && Milli(p) != JobConventions.TopPMilli(paid) ? $"top_p {p} differs from the paid job's {JobConventions.TopPMilli(paid) / 1000m}"
            : body.Seed is { } s && s != paid.Seed ? $"seed {s} differs from the paid job's {paid.Seed}"
            : null;
        return mismatch is null ? null : JobEndpoints.Problem(StatusCodes.Status422UnprocessableEntity, "Not the paid job", mismatch);
    }

    private static long Milli(decimal value) => (long)Math.Round(value * 1000, MidpointRounding.AwayFromZero);

    private static async Task RespondAsync(HttpContext context, CoordinatedJob job)
    {
        ChannelReader<JobEvent> events = job.Subscribe();
        try
        {
            await foreach (JobEvent _ in events.ReadAllAsync(context.RequestAborted)) { }
        }
        finally
        {
            job.Unsubscribe(events);
        }
        if (job.Phase == JobPhase.Failed)
        {
            await JobEndpoints.Problem(StatusCodes.Status502BadGateway, "Job failed", $"job {job.Id} failed: {job.Error}").ExecuteAsync(context);
            return;
        }
        IReadOnlyList<TokenEvent> tokens = job.Tokens;
        await TypedResults.Json(new
        {
            id = Id(job),
            @object = "text_completion",
            created = job.AcceptedAt.ToUnixTimeSeconds(),
            model = job.OnChain.Request.ModelId.ToString(),
            choices = new[] { new { text = string.Concat(tokens.Select(t => t.Text)), index = 0, logprobs = (object?)null, finish_reason = FinishReason(job, tokens.Count) } },
            usage = new { prompt_tokens = job.Prompt.Count, completion_tokens = tokens.Count, total_tokens = job.Prompt.Count + tokens.Count },
            depin = JobView.Of(job),
        }).ExecuteAsync(context);
    }

    private static Task StreamAsync(HttpContext context, CoordinatedJob job) =>
        EventStream.WriteAsync(context, job, e =>
        {
            object chunk = e switch
            {
                TokenEvent t => Chunk(job, t.Text, null),
                FinalEvent { Job.Phase: JobPhase.Failed } f => new { error = new { message = $"job {f.Job.Id} failed: {f.Job.Error}", type = "job_failed" } },
                FinalEvent f => Chunk(job, "", FinishReason(f.Job, f.Job.Tokens.Count)),
                _ => throw new InvalidOperationException($"unknown event {e}"),
            };
            return $"data: {JsonSerializer.Serialize(chunk)}\n\n";
        }, trailer: "data: [DONE]\n\n");

    private static object Chunk(CoordinatedJob job, string text, string? finish) => new
    {
        id = Id(job),
        @object = "text_completion",
        created = job.AcceptedAt.ToUnixTimeSeconds(),
        model = job.OnChain.Request.ModelId.ToString(),
        choices = new[] { new { text, index = 0, logprobs = (object?)null, finish_reason = finish } },
    };

    private static string Id(CoordinatedJob job) => "cmpl-" + job.Id.ToString()[2..];

    private static string FinishReason(CoordinatedJob job, int tokens) => tokens >= job.OnChain.Request.MaxTokens ? "length" : "stop";
}
