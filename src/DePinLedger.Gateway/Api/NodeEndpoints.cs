using DePinLedger.Gateway.Nodes;
using DePinLedger.Scheduler.Catalog;
using DePinLedger.Scheduler.Queries;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DePinLedger.Gateway.Api;

/// <summary>
/// The scheduler's surfaces, when the coordinator has a database: workers POST signed heartbeats (the body bytes as
/// signed, the signature in <c>X-Depin-Signature</c>), anyone reads the node list with its reputation.
/// </summary>
public static class NodeEndpoints
{
    /// <summary>Heartbeats are small JSON bodies; anything larger is refused before it is read.</summary>
    public const int MaxHeartbeatBytes = 4096;

    public const string SignatureHeader = "X-Depin-Signature";

    public static IEndpointRouteBuilder MapNodes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/heartbeats", IngestAsync)
            .WithTags("nodes")
            .WithSummary("A worker's signed heartbeat: the JSON body as signed, its 65-byte signature over keccak256(body) in X-Depin-Signature")
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        app.MapGet("/v1/nodes", ListAsync)
            .RequireRateLimiting(JobEndpoints.RateLimitPolicy)
            .WithTags("nodes")
            .WithSummary("Registered nodes with stake, reputation and its parts, latency, disputes and liveness (?model=&minStake=&sort=&limit=)")
            .Produces<IReadOnlyList<NodeSummary>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<IResult> IngestAsync(HttpRequest http, HeartbeatIngestor ingestor, NodeLatencyProbe latency, CancellationToken cancellation)
    {
        if (http.ContentLength is > MaxHeartbeatBytes) return TooLarge();
        var body = new MemoryStream();
        try
        {
            await http.Body.CopyToAsync(body, cancellation);
        }
        catch (BadHttpRequestException e)
        {
            return JobEndpoints.Problem(e.StatusCode, "Bad request", e.Message);
        }
        if (body.Length > MaxHeartbeatBytes) return TooLarge();
        // The round trip this coordinator last measured to the node goes into the row; then it is measured again.
        HeartbeatResult result = await ingestor.IngestAsync(body.ToArray(), http.Headers[SignatureHeader].FirstOrDefault(), latency.LatestMicros, cancellation);
        if (result.Accepted)
        {
            latency.Refresh(result.Report!.Node);
            return TypedResults.Accepted((string?)null);
        }
        (int status, string title) = result.Rejection switch
        {
            HeartbeatRejection.BadSignature => (StatusCodes.Status401Unauthorized, "Bad signature"),
            HeartbeatRejection.WrongSigner => (StatusCodes.Status403Forbidden, "Wrong signer"),
            HeartbeatRejection.UnknownNode => (StatusCodes.Status403Forbidden, "Unknown node"),
            HeartbeatRejection.Stale or HeartbeatRejection.FromTheFuture => (StatusCodes.Status400BadRequest, "Bad time"),
            HeartbeatRejection.Replay => (StatusCodes.Status409Conflict, "Replayed heartbeat"),
            _ => (StatusCodes.Status400BadRequest, "Malformed heartbeat"),
        };
        return JobEndpoints.Problem(status, title, result.Message);
    }

    private static async Task<IResult> ListAsync(string? model, string? minStake, string? sort, string? limit, NodeQueryService nodes, CancellationToken cancellation)
    {
        NodeQuery query;
        try
        {
            query = NodeQuery.Parse(model, minStake, sort, limit);
        }
        catch (ArgumentException e)
        {
            return JobEndpoints.Problem(StatusCodes.Status400BadRequest, "Invalid query", e.Message);
        }
        return TypedResults.Ok(await nodes.ListAsync(query, cancellation));
    }

    private static IResult TooLarge() =>
        JobEndpoints.Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"a heartbeat is at most {MaxHeartbeatBytes} bytes");
}
