using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using DePinLedger.Data.Coordination;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Plays the coordinator's recorded bisections (disputes it opened as challenger against a replica whose trace is not
/// wholly available) turn by turn from the journal, so that any pass of any coordinator on the same database can take
/// a dispute up: the case is rebuilt from the journaled job (prompt, stages, workers), the chain (the request and the
/// submitted stages) and a recomputation with the engine (the challenger's trace, which the watcher checked gives the
/// roots its replica's nodes signed). Every move is saved before the next, and one dispute is played by one pass at a
/// time in this process.
/// </summary>
public sealed partial class BisectionPlayer(IntegerModel model, CoordinatorChain chain, CoordinatorJournal journal, ILogger<BisectionPlayer> logger) : IDisposable
{
    /// <summary>What a report says while the bisection waits for the defender's move or its deadline.</summary>
    public const string PendingOutcome = "bisection pending";

    /// <summary>At most this many moves in one pass (a bisection over n positions takes about 2·log2(n)); the next pass goes on.</summary>
    private const int MaxTurnsPerPass = 64;

    private readonly Lazy<ModelOpenings> _openings = new(() => new ModelOpenings(model));
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _playing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BisectionCase> _cases = new(StringComparer.Ordinal);
    private readonly DisputeClient _client = new(chain.Submitter, chain.Deployment);

    /// <summary>The model's openings (built once): what a step proof opens.</summary>
    public ModelOpenings Openings => _openings.Value;

    /// <summary>The report of a recorded bisection: pending while open, the verdict once resolved, the error when it failed.</summary>
    public static DisputeReport Report(BisectionRecord bisection)
    {
        ArgumentNullException.ThrowIfNull(bisection);
        string outcome = bisection.Status switch
        {
            BisectionStatus.Resolved => bisection.Outcome ?? nameof(DisputeOutcome.None),
            BisectionStatus.Failed => "not disputed",
            _ => PendingOutcome,
        };
        return new DisputeReport(bisection.DisputeId, bisection.DefenderReplica, outcome, bisection.StepPosition ?? -1, bisection.StepSlot ?? -1, bisection.Gas,
            bisection.Status == BisectionStatus.Failed ? bisection.Error : null)
        {
            Narrowing = "bisection", Reason = bisection.Reason ?? nameof(DisputeReason.None),
        };
    }

    /// <summary>
    /// Opens a bisection against <paramref name="defenderReplica"/> of the journaled job and records it (before any
    /// other move, so that a restart finds it), then plays the turns that are the coordinator's now.
    /// </summary>
    public async Task<BisectionRecord> OpenAsync(DisputeCase dispute, byte defenderReplica, IReadOnlyCollection<int> answerable, int firstPosition, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(dispute);
        ArgumentNullException.ThrowIfNull(answerable);
        (BigInteger id, DisputeMove open) = await _client.OpenChallengeAsync(dispute, defenderReplica, cancellation);
        var bisection = new BisectionRecord
        {
            DisputeId = id.ToString(CultureInfo.InvariantCulture), JobId = dispute.JobId.ToString(), DefenderReplica = defenderReplica,
            AnswerableStages = CoordinatorJournal.Join(answerable), FirstPosition = firstPosition, Status = BisectionStatus.Open, LastAction = open.Name,
            Gas = (long)open.GasUsed, OpenedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        await journal.OpenBisectionAsync(bisection, cancellation);
        LogOpened(logger, bisection.DisputeId, bisection.JobId, defenderReplica);
        return await AdvanceAsync(bisection, cancellation);
    }

    /// <summary>
    /// Plays <paramref name="bisection"/> as far as it goes now: every move that is the coordinator's, until the
    /// defender is on turn with its clock running or the game is resolved. Returns the record as saved.
    /// </summary>
    public async Task<BisectionRecord> AdvanceAsync(BisectionRecord bisection, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(bisection);
        SemaphoreSlim playing = _playing.GetOrAdd(bisection.DisputeId, _ => new SemaphoreSlim(1, 1));
        await playing.WaitAsync(cancellation);
        try
        {
            // Another pass may have moved it while this one waited: go on from the saved state.
            BisectionRecord current = await journal.FindBisectionAsync(bisection.DisputeId, cancellation) ?? bisection;
            if (current.Status != BisectionStatus.Open) return current;
            BisectionCase played = await CaseAsync(current, cancellation);
            var id = BigInteger.Parse(current.DisputeId, CultureInfo.InvariantCulture);
            for (int turn = 0; turn < MaxTurnsPerPass; turn++)
            {
                ChallengeTurn next = await _client.PlayChallengeTurnAsync(id, played.Dispute, (byte)current.DefenderReplica, played.Answerable, current.FirstPosition, played.Agreed,
                    Openings, cancellation);
                string action = next.Progress switch
                {
                    ChallengeProgress.Moved => string.Join(" + ", next.Moves.Select(m => m.Name)),
                    ChallengeProgress.Waiting => "waiting for the defender's move or its deadline",
                    _ => $"resolved: {next.Outcome} ({next.Reason})",
                };
                if (next.Progress == ChallengeProgress.Waiting && action == current.LastAction) break; // nothing new to save
                current.LastAction = action;
                current.Gas += (long)next.Moves.Aggregate(BigInteger.Zero, (sum, m) => sum + m.GasUsed);
                if (next.Step is { } step) (current.StepPosition, current.StepSlot) = (step.Position, step.Slot);
                if (next.Progress == ChallengeProgress.Resolved)
                    (current.Status, current.Outcome, current.Reason) = (BisectionStatus.Resolved, next.Outcome.ToString(), next.Reason.ToString());
                await journal.SaveBisectionAsync(current, cancellation);
                if (next.Progress != ChallengeProgress.Moved) break;
            }
            if (current.Status != BisectionStatus.Open)
            {
                LogResolved(logger, current.DisputeId, current.Outcome ?? "", current.Reason ?? "");
                Forget(current.DisputeId);
            }
            return current;
        }
        finally
        {
            playing.Release();
        }
    }

    /// <summary>Marks a bisection that can no longer be played (its job is not journaled): no pass tries it again.</summary>
    public async Task<BisectionRecord> FailAsync(BisectionRecord bisection, string error, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(bisection);
        (bisection.Status, bisection.Error, bisection.LastAction) = (BisectionStatus.Failed, error, "failed");
        await journal.SaveBisectionAsync(bisection, cancellation);
        Forget(bisection.DisputeId);
        return bisection;
    }

    /// <summary>The case of a recorded bisection, rebuilt once per process and kept while the dispute is open.</summary>
    private async Task<BisectionCase> CaseAsync(BisectionRecord bisection, CancellationToken cancellation)
    {
        if (_cases.TryGetValue(bisection.DisputeId, out BisectionCase? known)) return known;
        var jobId = new Bytes32(Convert.FromHexString(bisection.JobId.AsSpan(2)));
        JournaledJob job = await journal.FindAsync(jobId, cancellation)
            ?? throw new JournalMissingException($"job {bisection.JobId} of dispute {bisection.DisputeId} is not in the coordinator's journal");
        var defenderReplica = (byte)bisection.DefenderReplica;
        RetainedReplica defender = job.Replicas.Single(r => r.Replica == defenderReplica), challenger = job.Replicas.Single(r => r.Replica != defenderReplica);
        JobOnChain onChain = await JobOnChain.LoadAsync(chain.Connection, chain.Deployment, jobId, cancellation);
        int layers = model.Config.Layers;
        WorkerTrace served = await WorkerTrace.LoadAvailableAsync(jobId, defenderReplica, defender.Layout(layers), defender.Positions(layers), defender.Endpoints, cancellation);
        var owned = new List<IDisposable>();
        try
        {
            EngineTrace recomputed = Recompute(job.Prompt, onChain, challenger.Layout(layers), owned);
            // The agreed trace is replica 0's layout: the challenger's recomputation when the challenger is replica 0.
            EngineTrace agreed = challenger.Replica == 0 ? recomputed : Recompute(job.Prompt, onChain, job.Replicas[0].Layout(layers), owned);
            DisputeCase dispute = defenderReplica == 0 ? onChain.Case(job.Prompt, served, recomputed) : onChain.Case(job.Prompt, recomputed, served);
            // Answer only for the stages recorded as answerable whose workers still serve their trace.
            int[] answerable = [.. CoordinatorJournal.Split(bisection.AnswerableStages).Intersect(served.AvailableStages)];
            // Built under the dispute's lock (AdvanceAsync): no other pass builds it at the same time.
            return _cases[bisection.DisputeId] = new BisectionCase(dispute, agreed, answerable, owned);
        }
        catch
        {
            foreach (IDisposable disposable in owned) disposable.Dispose();
            throw;
        }
    }

    private EngineTrace Recompute(IReadOnlyList<int> prompt, JobOnChain onChain, StageLayout layout, List<IDisposable> owned)
    {
        EngineTrace trace = EngineTrace.Run(new ReplicaRun(model, prompt, (int)Math.Min(onChain.Request.MaxTokens, int.MaxValue), JobTerms.Sampling(onChain.Request), layout));
        owned.Add(trace);
        return trace;
    }

    private void Forget(string disputeId)
    {
        if (_cases.TryRemove(disputeId, out BisectionCase? done)) done.Dispose();
    }

    public void Dispose()
    {
        foreach (BisectionCase played in _cases.Values) played.Dispose();
        _cases.Clear();
        foreach (SemaphoreSlim playing in _playing.Values) playing.Dispose();
    }

    /// <summary>What a bisection is played with: the case (the defender's served trace, the challenger's recomputed one), the agreed recomputation, the answerable stages.</summary>
    private sealed class BisectionCase(DisputeCase dispute, EngineTrace agreed, IReadOnlyCollection<int> answerable, List<IDisposable> owned) : IDisposable
    {
        public DisputeCase Dispute { get; } = dispute;

        public EngineTrace Agreed { get; } = agreed;

        public IReadOnlyCollection<int> Answerable { get; } = answerable;

        public void Dispose()
        {
            foreach (IDisposable disposable in owned) disposable.Dispose();
        }
    }

    [LoggerMessage(EventId = 8020, Level = LogLevel.Warning, Message = "dispute {DisputeId} on job {JobId}: bisection against replica {Replica} opened and recorded")]
    private static partial void LogOpened(ILogger logger, string disputeId, string jobId, byte replica);

    [LoggerMessage(EventId = 8021, Level = LogLevel.Information, Message = "dispute {DisputeId}: bisection finished, {Outcome} ({Reason})")]
    private static partial void LogResolved(ILogger logger, string disputeId, string outcome, string reason);
}

/// <summary>A recorded bisection whose job the journal does not hold: it cannot be played.</summary>
public sealed class JournalMissingException(string message) : InvalidOperationException(message);
