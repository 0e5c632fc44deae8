using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Model;
using DePinLedger.Pipeline;
using DePinLedger.Scheduler.Catalog;
using DePinLedger.Scheduler.Planning;
using Microsoft.AspNetCore.Http;

namespace DePinLedger.Gateway.Jobs;

/// <summary>The pipelines one job runs on: replica 0 (served) and, for a verified job, replica 1.</summary>
public sealed record JobRoutes(IReadOnlyList<StageRoute> Served, IReadOnlyList<StageRoute>? Check);

/// <summary>Chooses a job's pipelines; refuses with <see cref="JobRefusedException"/> (503) when it cannot.</summary>
public interface IRoutePlanner
{
    Task<JobRoutes> PlanAsync(OnChainJob job, int promptTokens, CancellationToken cancellation);
}

/// <summary>Routes fixed at start (the <c>--route</c> and <c>--check-route</c> options).</summary>
public sealed class FixedRoutePlanner(CoordinatorOptions options) : IRoutePlanner
{
    public Task<JobRoutes> PlanAsync(OnChainJob job, int promptTokens, CancellationToken cancellation)
    {
        if (job.Request.Replicas == 2 && options.CheckRoute is null)
            throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No second pipeline", "this coordinator has no second pipeline for verified (two-replica) jobs");
        return Task.FromResult(new JobRoutes(options.ServedRoute!, job.Request.Replicas == 2 ? options.CheckRoute : null));
    }
}

/// <summary>
/// Routes chosen per job by the scheduler from the node catalog (indexed stake and registration, fresh signed
/// heartbeats, reputation): the fastest eligible chain of loaded spans, and for a verified job the fastest one on other
/// operators. Every other eligible node that serves a chosen span (and is not an operator of the other replica) follows
/// as a spare, for failover and hedging.
/// </summary>
public sealed class SchedulerRoutePlanner(NodeCatalog catalog, SchedulingPolicy policy, IntegerModel model, TimeProvider clock) : IRoutePlanner
{
    private readonly ModelShape _shape = ModelShape.Int8(model.Config.Layers, model.Config.Dim, model.Config.Heads, model.Config.KvHeads,
        model.Config.HiddenDim, model.Config.VocabSize, model.Config.SharedClassifier);

    public async Task<JobRoutes> PlanAsync(OnChainJob job, int promptTokens, CancellationToken cancellation)
    {
        DateTimeOffset now = clock.GetUtcNow();
        IReadOnlyList<NodeState> nodes = await catalog.LoadAsync(job.Request.ModelId.ToString(), now, cancellation);
        var shape = new JobShape((int)Math.Min(model.Config.SeqLen, promptTokens + (long)job.Request.MaxTokens), 1);
        var router = new Router(_shape, policy);
        JobPlan plan = router.Plan(nodes, shape, job.Request.Replicas == 2, now);
        if (!plan.Succeeded)
            throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No route",
                $"the scheduler found no {(plan.Failure == PlanFailure.NoDisjointReplica ? "second pipeline on other operators" : "pipeline")} for job {job.JobId} among {nodes.Count} nodes ({plan.Failure}); " +
                string.Join("; ", nodes.Select(n => $"{n.Address} {Why(n, router, shape, now)}")));
        var servedOperators = plan.Primary!.Stages.Select(s => s.Node.Operator).ToHashSet(StringComparer.Ordinal);
        var checkOperators = plan.Replica?.Stages.Select(s => s.Node.Operator).ToHashSet(StringComparer.Ordinal) ?? [];
        return new JobRoutes(
            Stages(plan.Primary, nodes, router, shape, now, checkOperators),
            plan.Replica is null ? null : Stages(plan.Replica, nodes, router, shape, now, servedOperators));
    }

    private static IReadOnlyList<StageRoute> Stages(Route route, IReadOnlyList<NodeState> nodes, Router router, JobShape shape, DateTimeOffset now, HashSet<string> otherReplica) =>
        [.. route.Stages.Select(stage => new StageRoute(stage.FirstLayer, stage.LastLayer,
            [Endpoint(stage.Node), .. nodes
                .Where(n => n.Address != stage.Node.Address && n.FirstLayer == stage.FirstLayer && n.LastLayer == stage.LastLayer
                    && !otherReplica.Contains(n.Operator) && router.CanServe(n, shape, now) && IsHttp(n.Endpoint))
                .Select(Endpoint)]))];

    /// <summary>Why a node can or cannot take a stage, for the refusal message (operators read it to fix their node).</summary>
    private string Why(NodeState node, Router router, JobShape shape, DateTimeOffset now) =>
        router.CanServe(node, shape, now) ? $"ok (layers {node.FirstLayer}-{node.LastLayer}, operator {node.Operator})"
        : policy.Ineligibility(node, now) switch
        {
            NodeIneligibility.Slashed => "slashed",
            NodeIneligibility.Frozen => "frozen",
            NodeIneligibility.StakeBelowMinimum => "stake below the minimum",
            NodeIneligibility.NoHeartbeat => "no heartbeat",
            NodeIneligibility.StaleHeartbeat => $"heartbeat {(now - node.HeartbeatAt!.Value).TotalSeconds:F0} s old",
            NodeIneligibility.LowReputation => $"reputation {node.Reputation:F2} below {policy.ReputationThreshold:F2}",
            _ when !node.HasSpan => "serves no span",
            _ => $"cannot fit the job (layers {node.FirstLayer}-{node.LastLayer}, {node.MemoryBytes >> 20} MiB, {node.KvFreeBytes >> 20} MiB KV free, {node.PositionsPerSecond:F0} positions/s)",
        };

    private static bool IsHttp(string endpoint) => Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https";

    private static Uri Endpoint(NodeState node) =>
        IsHttp(node.Endpoint)
            ? new Uri(node.Endpoint)
            : throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No route", $"node {node.Address} registered an endpoint that is not an http(s) URL: '{node.Endpoint}'");
}
