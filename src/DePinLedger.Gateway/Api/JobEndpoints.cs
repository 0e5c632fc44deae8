using System.Text.Json;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Protocol.Encoding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DePinLedger.Gateway.Api;

/// <summary>
/// The job API: POST a job paid on-chain with its prompt, read its state, stream its tokens as server-sent events.
/// Every refusal is an RFC 7807 problem document with a 4xx status (503 when the coordinator lacks a pipeline).
/// </summary>
public static class JobEndpoints
{
    public const string RateLimitPolicy = "per-client";

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder jobs = app.MapGroup("/v1/jobs").RequireRateLimiting(RateLimitPolicy).WithTags("jobs");
        jobs.MapPost("", PostAsync)
            .WithSummary("Run a job created and paid on-chain: its prompt's tokens must hash to the job's prompt hash")
            .Accepts<PostJobRequest>("application/json")
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        jobs.MapGet("/{id}", Get)
            .WithSummary("A job's status, tokens so far, commitments and submission")
            .Produces<JobView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/stream", StreamAsync)
            .WithSummary("Server-sent events: 'token' per served token (replayed from the first), then 'done' or 'failed' with the job")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> PostAsync(HttpRequest http, JobCoordinator coordinator, Hosting.CoordinatorOptions options, CancellationToken cancellation)
    {
        (PostJobRequest? body, IResult? problem) = await ReadJsonAsync<PostJobRequest>(http, cancellation);
        if (problem is not null) return problem;
        problem = ParseJobId(body!.JobId, out Bytes32 jobId) ?? CheckPrompt(body.Prompt, options);
        if (problem is not null) return problem;
        try
        {
            CoordinatedJob job = await coordinator.AcceptAsync(jobId, body.Prompt!, cancellation);
            return TypedResults.Accepted($"/v1/jobs/{job.Id}", JobView.Of(job));
        }
        catch (JobRefusedException e)
        {
            return Problem(e.Status, e.Title, e.Message);
        }
        catch (Exception e) when (IsChainFailure(e))
        {
            return ChainProblem(e);
        }
    }

    /// <summary>The JSON body as <typeparamref name="T"/>, or the problem with it (media type, malformed JSON, body too large).</summary>
    internal static async Task<(T? Body, IResult? Problem)> ReadJsonAsync<T>(HttpRequest http, CancellationToken cancellation) where T : class
    {
        if (http.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "send the request as application/json"));
        try
        {
            T? body = await JsonSerializer.DeserializeAsync<T>(http.Body, cancellationToken: cancellation);
            return body is null ? (null, Problem(StatusCodes.Status400BadRequest, "Malformed JSON", "the body is null")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "Malformed JSON", $"the body is not a valid request: {e.Message}"));
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's body size limit (413), or a body that ended early.
            return (null, Problem(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Body too large" : "Bad request", e.Message));
        }
    }

    internal static IResult? CheckPrompt(string? prompt, Hosting.CoordinatorOptions options) =>
        string.IsNullOrEmpty(prompt) ? Problem(StatusCodes.Status400BadRequest, "Invalid prompt", "prompt must be a non-empty string")
        : prompt.Length > options.MaxPromptCharacters ? Problem(StatusCodes.Status400BadRequest, "Invalid prompt", $"the prompt has {prompt.Length} characters; at most {options.MaxPromptCharacters}")
        : null;

    /// <summary>Failures reading the chain (or nonsense from it): the request may succeed later.</summary>
    internal static bool IsChainFailure(Exception e) => e is Chain.Errors.ChainException or HttpRequestException or InvalidDataException;

    internal static IResult ChainProblem(Exception e) =>
        Problem(StatusCodes.Status502BadGateway, "Chain unavailable", $"could not read the job from the chain: {e.Message}");

    private static IResult Get(string id, JobCoordinator coordinator)
    {
        if (!TryFind(id, coordinator, out CoordinatedJob? job, out IResult? problem)) return problem!;
        return TypedResults.Ok(JobView.Of(job!));
    }

    private static async Task StreamAsync(string id, JobCoordinator coordinator, HttpContext context)
    {
        if (!TryFind(id, coordinator, out CoordinatedJob? job, out IResult? problem))
        {
            await problem!.ExecuteAsync(context);
            return;
        }
        await EventStream.WriteAsync(context, job!, e =>
        {
            (string name, object data) = e switch
            {
                TokenEvent t => ("token", (object)new TokenView(t.Index, t.Token, t.Text)),
                FinalEvent f => (f.Job.Phase == JobPhase.Failed ? "failed" : "done", JobView.Of(f.Job)),
                _ => throw new InvalidOperationException($"unknown event {e}"),
            };
            return $"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n";
        });
    }

    private static bool TryFind(string id, JobCoordinator coordinator, out CoordinatedJob? job, out IResult? problem)
    {
        job = null;
        problem = ParseJobId(id, out Bytes32 jobId);
        if (problem is not null) return false;
        job = coordinator.Find(jobId);
        if (job is null) problem = Problem(StatusCodes.Status404NotFound, "Unknown job", $"job {jobId} was not posted to this coordinator");
        return job is not null;
    }

    /// <summary>Null when <paramref name="text"/> is a job id (0x + 64 hex digits), else the 400 problem.</summary>
    internal static IResult? ParseJobId(string? text, out Bytes32 jobId)
    {
        if (Bytes32.TryParse(text, out jobId) && text!.StartsWith("0x", StringComparison.Ordinal)) return null;
        return Problem(StatusCodes.Status400BadRequest, "Invalid job id", $"a job id is 0x followed by 64 hex digits, got '{Shorten(text)}'");
    }

    private static string Shorten(string? text) => text is null ? "nothing" : text.Length <= 80 ? text : text[..80] + "…";

    internal static IResult Problem(int status, string title, string detail) => TypedResults.Problem(detail, statusCode: status, title: title);
}
