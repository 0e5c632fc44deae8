using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Model;
using DePinLedger.Pipeline;
using DePinLedger.Scheduler.Reputation;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>What became of a verified job whose replicas disagreed.</summary>
public sealed record DisputeReport(string DisputeId, int DefenderReplica, string Outcome, int Position, int Slot, long Gas, string? Error)
{
    public static DisputeReport Failed(string error) => new("", -1, "not disputed", -1, -1, 0, error);
}

/// <summary>
/// The coordinator's side of the dispute game: when the two replicas of a verified job submitted different traces, it
/// fetches both traces from the workers that retained them (checked against the signed roots), re-executes the first
/// divergent step with the engine to learn which replica is wrong, and plays the fast path against it — open, narrow,
/// the one step on-chain, resolve — with the coordinator's account as the challenger (it posts the bond). The game
/// slashes the node whose leaf is wrong and refunds the client when the served replica (0) was the wrong one; the
/// nodes' reputation is recomputed (a Hangfire job) once the indexer has followed the slash.
/// </summary>
public sealed class DisputeWatcher(IntegerModel model, CoordinatorChain chain, IServiceProvider services, ILogger<DisputeWatcher> logger)
{
    private readonly Lazy<ModelOpenings> _openings = new(() => new ModelOpenings(model));

    /// <summary>Whether the deployment has a dispute game to play.</summary>
    public bool Enabled => chain.Deployment.DisputeGame is { Length: 42 } game && !game.Equals("0x0000000000000000000000000000000000000000", StringComparison.Ordinal);

    /// <summary>Null when the replicas agree (or the job ran once); otherwise how the dispute went.</summary>
    public async Task<DisputeReport?> CheckAsync(CoordinatedJob job, CancellationToken cancellation)
    {
        if (job.Results.Count < 2 || job.Results[0].TraceRoot == job.Results[1].TraceRoot) return null;
        if (!Enabled) return DisputeReport.Failed("the replicas disagree, but this deployment has no dispute game");
        try
        {
            JobOnChain onChain = await JobOnChain.LoadAsync(chain.Connection, chain.Deployment, job.Id, cancellation);
            IReplicaTrace first = await TraceAsync(job, 0, cancellation), second = await TraceAsync(job, 1, cancellation);
            using EngineTrace agreed = EngineTrace.Run(new ReplicaRun(model, job.Prompt, (int)Math.Min(job.OnChain.Request.MaxTokens, int.MaxValue),
                JobTerms.Sampling(job.OnChain.Request), first.Layout));
            var client = new DisputeClient(chain.Submitter, chain.Deployment);
            DisputeResult result = await client.DisputeAsync(onChain.Case(job.Prompt, first, second), agreed, _openings.Value, cancellation);
            GatewayLog.Disputed(logger, job.Id.ToString(), result.DisputeId.ToString(System.Globalization.CultureInfo.InvariantCulture), result.DefenderReplica, result.Outcome.ToString());
            // Reputation follows the verdict: recompute once the indexer has had time to follow the slash (2 confirmations).
            services.GetService<IBackgroundJobClient>()?.Schedule<ReputationJob>(j => j.RunAsync(CancellationToken.None), TimeSpan.FromSeconds(5));
            return new DisputeReport(result.DisputeId.ToString(System.Globalization.CultureInfo.InvariantCulture), result.DefenderReplica, result.Outcome.ToString(),
                result.Step.At.Position, result.Step.At.Slot, (long)result.TotalGas, null);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or NotSupportedException or Chain.Errors.ChainException
                                     or Grpc.Core.RpcException or HttpRequestException)
        {
            GatewayLog.DisputeFailed(logger, job.Id.ToString(), e.Message);
            return DisputeReport.Failed(e.Message);
        }
    }

    /// <summary>A replica's trace from the workers that signed its stages (the receipts say which, after any failover).</summary>
    private async Task<IReplicaTrace> TraceAsync(CoordinatedJob job, byte replica, CancellationToken cancellation)
    {
        PipelineResult result = job.Results[replica];
        int layers = model.Config.Layers;
        var layout = new StageLayout(layers, [.. result.Receipts.Select(r => new StageSpan(r.Receipt.FirstLayer, r.Receipt.LastLayer))]);
        return await WorkerTrace.LoadAsync(job.Id, replica, layout, result.LeafCount / (layers + 2), [.. result.Receipts.Select(r => r.Endpoint)], cancellation);
    }
}
