using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>What became of a verified job whose replicas disagreed; <see cref="Position"/> and <see cref="Slot"/> are −1 when no step was proven (a timeout).</summary>
public sealed record DisputeReport(string DisputeId, int DefenderReplica, string Outcome, int Position, int Slot, long Gas, string? Error)
{
    /// <summary>How the dispute was narrowed: "fast" (both traces at hand) or "bisection" (one trace unavailable).</summary>
    public string Narrowing { get; init; } = "fast";

    /// <summary>Why the game decided as it did (Types.sol Reason: Step, DefenderTimedOut, …).</summary>
    public string Reason { get; init; } = nameof(DisputeReason.Step);

    /// <summary>The bisection goes on in the durable bisection job (<see cref="BisectionPlayer.PendingOutcome"/>); the verdict replaces this report.</summary>
    public bool Pending => Outcome == BisectionPlayer.PendingOutcome;

    public static DisputeReport Failed(string error) => new("", -1, "not disputed", -1, -1, 0, error);
}

/// <summary>
/// The coordinator's side of the dispute game: when the two replicas of a verified job submitted different traces, it
/// fetches both traces from the workers that retained them (checked against the signed roots), re-executes the first
/// divergent step with the engine to learn which replica is wrong, and plays the fast path against it — open, narrow,
/// the one step on-chain, resolve — with the coordinator's account as the challenger (it posts the bond). The game
/// slashes the node whose leaf is wrong and refunds the client when the served replica (0) was the wrong one; the
/// nodes' reputation is recomputed (a Hangfire job) once the indexer has followed the slash.
/// When a stage's trace cannot be fetched (its worker is gone, kept nothing, or cannot open the leaf it committed, as
/// a corrupted leaf cannot), an honest replica is rebuilt by recomputation (its signed roots must match); a wrong one
/// cannot be, so the coordinator plays the interactive bisection as challenger with the available trace, answers for
/// the wrong replica's stages it does hold (honest nodes), and claims the win when the defender's clock runs out: only
/// the stages nobody could answer for are slashed. With a database that bisection is durable: the watcher opens and
/// records it, plays its first turns and returns "bisection pending"; <see cref="BisectionJob"/> plays it to the end,
/// also after a restart.
/// </summary>
public sealed partial class DisputeWatcher(IntegerModel model, CoordinatorChain chain, CoordinatorJournal journal, BisectionPlayer bisections,
    ILogger<DisputeWatcher> logger)
{

    /// <summary>How often a bisection waiting for the defender checks the game (moves and the chain's clock).</summary>
    public static TimeSpan BisectionPoll { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether the deployment has a dispute game to play.</summary>
    public bool Enabled => chain.Deployment.DisputeGame is { Length: 42 } game && !game.Equals("0x0000000000000000000000000000000000000000", StringComparison.Ordinal);

    /// <summary>Null when the replicas agree (or the job ran once); otherwise how the dispute went.</summary>
    public async Task<DisputeReport?> CheckAsync(CoordinatedJob job, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.FirstDifferingPosition(model.Config.Layers) is not { } first) return null;
        return await DisputeAsync(new Subject(job.Id, job.Prompt, [RetainedReplica.From(0, job.Results[0]), RetainedReplica.From(1, job.Results[1])], first), cancellation);
    }

    /// <summary>
    /// Disputes a journaled job whose replicas disagree, from what the journal kept of it (prompt, stages, workers, where
    /// the replicas first differ): the catch-up of a coordinator that stopped between submitting and disputing.
    /// </summary>
    public Task<DisputeReport> CatchUpAsync(JournaledJob job, int firstDifferingPosition, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Replicas.Count != 2) throw new ArgumentException($"job {job.JobId} has {job.Replicas.Count} replicas journaled: nothing to compare", nameof(job));
        return DisputeAsync(new Subject(job.JobId, job.Prompt, job.Replicas, firstDifferingPosition), cancellation);
    }

    /// <summary>What a dispute is played from: the job's prompt, each replica's stages with the workers that retained them, and where they first differ.</summary>
    private sealed record Subject(Bytes32 JobId, IReadOnlyList<int> Prompt, IReadOnlyList<RetainedReplica> Replicas, int FirstDifferingPosition);

    private async Task<DisputeReport> DisputeAsync(Subject job, CancellationToken cancellation)
    {
        if (!Enabled) return DisputeReport.Failed("the replicas disagree, but this deployment has no dispute game");
        var owned = new List<IDisposable>();
        try
        {
            JobOnChain onChain = await JobOnChain.LoadAsync(chain.Connection, chain.Deployment, job.JobId, cancellation);
            WorkerTrace[] served = [await ServedTraceAsync(job, 0, cancellation), await ServedTraceAsync(job, 1, cancellation)];
            EngineTrace agreed = Recompute(job, onChain, job.Replicas[0].Layout(model.Config.Layers), owned);
            // Each replica's layout is recomputed at most once: replica 0's is the agreed trace itself.
            EngineTrace? replica1 = null;
            EngineTrace Recomputed(byte replica) => replica == 0 ? agreed : replica1 ??= Recompute(job, onChain, job.Replicas[1].Layout(model.Config.Layers), owned);
            IReplicaTrace?[] traces = [Whole(onChain, 0, served[0], Recomputed), Whole(onChain, 1, served[1], Recomputed)];
            var client = new DisputeClient(chain.Submitter, chain.Deployment);
            DisputeReport report;
            if (traces[0] is { } first && traces[1] is { } second)
            {
                DisputeResult result = await client.DisputeAsync(onChain.Case(job.Prompt, first, second), agreed, bisections.Openings, cancellation);
                report = new DisputeReport(Id(result.DisputeId), result.DefenderReplica, result.Outcome.ToString(), result.Step.At.Position, result.Step.At.Slot, (long)result.TotalGas, null);
            }
            else if (traces[0] is null && traces[1] is null) return Failed(job, "neither replica's trace can be fetched whole or recomputed: there is no trace to dispute with");
            else
            {
                byte missing = (byte)(traces[0] is null ? 0 : 1);
                IReplicaTrace available = traces[1 - missing]!;
                if (!Matches(onChain, (byte)(1 - missing), Recomputed((byte)(1 - missing))))
                    return Failed(job, $"replica {missing}'s trace is incomplete and replica {1 - missing}'s is not the recomputed one: both are wrong, and a bisection needs a right trace");
                WorkerTrace defender = served[missing];
                DisputeCase dispute = missing == 0 ? onChain.Case(job.Prompt, defender, available) : onChain.Case(job.Prompt, available, defender);
                if (journal.Enabled)
                {
                    // With a database the bisection is durable: opened and recorded here, then played by the bisection job
                    // (Hangfire) until the defender's clock runs out, which may take hours; the job's slot is freed now.
                    report = BisectionPlayer.Report(await bisections.OpenAsync(dispute, missing, defender.AvailableStages, job.FirstDifferingPosition, cancellation));
                    if (report.Pending)
                    {
                        GatewayLog.Disputed(logger, job.JobId.ToString(), report.DisputeId, (byte)report.DefenderReplica, report.Outcome);
                        return report;
                    }
                }
                else
                {
                    ChallengeResult result = await client.ChallengeByBisectionAsync(dispute, missing, defender.AvailableStages, job.FirstDifferingPosition, agreed, bisections.Openings,
                        BisectionPoll, cancellation);
                    report = new DisputeReport(Id(result.DisputeId), result.DefenderReplica, result.Outcome.ToString(), result.Step?.Position ?? -1, result.Step?.Slot ?? -1,
                        (long)result.TotalGas, null)
                    {
                        Narrowing = "bisection", Reason = result.Reason.ToString(),
                    };
                }
            }
            GatewayLog.Disputed(logger, job.JobId.ToString(), report.DisputeId, (byte)report.DefenderReplica, report.Outcome);
            // Reputation follows the slash once the indexer has committed it (SlashFollower).
            return report;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or NotSupportedException or Chain.Errors.ChainException
                                     or Grpc.Core.RpcException or HttpRequestException or Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            return Failed(job, e.Message);
        }
        finally
        {
            foreach (IDisposable disposable in owned) disposable.Dispose();
        }
    }

    private DisputeReport Failed(Subject job, string reason)
    {
        GatewayLog.DisputeFailed(logger, job.JobId.ToString(), reason);
        return DisputeReport.Failed(reason);
    }

    /// <summary>A replica's trace as the workers that signed its stages serve it (the receipts say which, after any failover); stages they cannot serve are left out.</summary>
    private async Task<WorkerTrace> ServedTraceAsync(Subject job, byte replica, CancellationToken cancellation)
    {
        RetainedReplica retained = job.Replicas[replica];
        int layers = model.Config.Layers;
        WorkerTrace trace = await WorkerTrace.LoadAvailableAsync(job.JobId, replica, retained.Layout(layers), retained.Positions(layers), retained.Endpoints, cancellation);
        foreach (string reason in trace.MissingReasons) TraceUnavailable(logger, job.JobId.ToString(), replica, reason);
        return trace;
    }

    /// <summary>
    /// The whole trace of a replica: as served when every stage was, else recomputed if that gives the roots its nodes
    /// signed (an honest replica whose workers are gone), else null (a wrong replica that cannot be opened whole).
    /// </summary>
    private static IReplicaTrace? Whole(JobOnChain onChain, byte replica, WorkerTrace served, Func<byte, EngineTrace> recomputed)
    {
        if (served.Complete) return served;
        EngineTrace trace = recomputed(replica);
        return Matches(onChain, replica, trace) ? trace : null;
    }

    private static bool Matches(JobOnChain onChain, byte replica, IReplicaTrace trace)
    {
        try
        {
            onChain.Side(replica, trace).CheckTrace();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The job recomputed with the engine, laid out as <paramref name="layout"/>'s stages (disposed with <paramref name="owned"/>).</summary>
    private EngineTrace Recompute(Subject job, JobOnChain onChain, StageLayout layout, List<IDisposable> owned)
    {
        EngineTrace trace = EngineTrace.Run(new ReplicaRun(model, job.Prompt, (int)Math.Min(onChain.Request.MaxTokens, int.MaxValue), JobTerms.Sampling(onChain.Request), layout));
        owned.Add(trace);
        return trace;
    }

    private static string Id(System.Numerics.BigInteger disputeId) => disputeId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Warning, Message = "job {JobId}: replica {Replica}'s trace cannot be fetched from its workers ({Reason})")]
    private static partial void TraceUnavailable(ILogger logger, string jobId, byte replica, string reason);
}
