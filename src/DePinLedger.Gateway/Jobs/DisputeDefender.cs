using System.Numerics;
using DePinLedger.Chain.Contracts.Game;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace DePinLedger.Gateway.Jobs;

/// <summary>What the defender knows of one dispute against a replica this coordinator ran.</summary>
public sealed record DefendedDispute(BigInteger DisputeId, Bytes32 JobId, byte DefenderReplica, string Challenger, int Answers, DisputePhase Phase, DisputeOutcome Outcome);

/// <summary>
/// The coordinator as defender of its own honest nodes: follows DisputeOpened logs of the dispute game, and for every
/// dispute against a replica this coordinator ran (it kept the receipts, in memory and with a database in its journal,
/// so it knows which workers retained each stage's trace, also after a restart) it answers each bisection round from
/// that trace when the defender is on turn, and resolves the dispute by timeout when the challenger lets its clock run
/// out (or settles it once decided).
/// </summary>
/// <remarks>
/// A polling <see cref="BackgroundService"/>, not a Hangfire job: the coordinator runs without a database too (no
/// Hangfire then, and the traces' endpoints only in the <see cref="JobCoordinator"/>'s retained jobs; with a database
/// the <see cref="CoordinatorJournal"/> keeps them, so a restarted coordinator defends the jobs it ran before); and a
/// poll every few seconds (<see cref="CoordinatorOptions.DefenderPollInterval"/>) keeps far inside clock extensions of minutes, where a
/// recurring Hangfire job is timed by a cron expression (minute resolution by default) and queued through storage.
/// The chain's logs are the source, not the indexed database, because the indexer does not follow the dispute game.
/// </remarks>
public sealed partial class DisputeDefender(IntegerModel model, CoordinatorChain chain, CoordinatorOptions options, JobCoordinator jobs, CoordinatorJournal journal,
    ILogger<DisputeDefender> logger)
    : BackgroundService
{
    private readonly Dictionary<BigInteger, Defense> _defenses = [];
    private readonly Lock _lock = new();
    private readonly DisputeClient _client = new(chain.Submitter, chain.Deployment);
    private ulong _nextBlock = chain.Deployment.StartBlock;

    /// <summary>Whether the deployment has a dispute game to defend in.</summary>
    public bool Enabled => chain.Deployment.DisputeGame is { Length: 42 } game && !game.Equals("0x0000000000000000000000000000000000000000", StringComparison.Ordinal);

    /// <summary>The disputes against this coordinator's replicas seen so far, and where each stands.</summary>
    public IReadOnlyList<DefendedDispute> Defended
    {
        get
        {
            lock (_lock) return [.. _defenses.Values.Select(d => d.View)];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        using var timer = new PeriodicTimer(options.DefenderPollInterval);
        do
        {
            await PollAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass: picks up newly opened disputes, then answers or resolves each one still open.</summary>
    private async Task PollAsync(CancellationToken cancellation)
    {
        if (!await TryAsync(() => FollowOpenedAsync(cancellation), "following DisputeOpened")) return;
        List<Defense> open;
        lock (_lock) open = [.. _defenses.Values.Where(d => d.View.Phase != DisputePhase.Resolved)];
        foreach (Defense defense in open)
            await TryAsync(() => DefendAsync(defense, cancellation), $"dispute {defense.Opened.DisputeId.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary>Runs one step of a pass; a node or worker hiccup is logged and the next pass tries again, long before any clock runs out.</summary>
    private async Task<bool> TryAsync(Func<Task> step, string what)
    {
        try
        {
            await step();
            return true;
        }
        catch (Exception e) when (e is Chain.Errors.ChainException or InvalidDataException or InvalidOperationException or ArgumentException or HttpRequestException
                                     or Grpc.Core.RpcException or System.Data.Common.DbException)
        {
            LogPassFailed(logger, what, e.Message);
            return false;
        }
    }

    /// <summary>Reads DisputeOpened logs since the last pass and adopts those against replicas this coordinator ran.</summary>
    private async Task FollowOpenedAsync(CancellationToken cancellation)
    {
        ulong latest = await chain.Connection.GetBlockNumberAsync(cancellation);
        if (latest < _nextBlock) return;
        Event<DisputeOpenedEvent> opened = chain.Connection.Web3.Eth.GetEvent<DisputeOpenedEvent>(chain.Deployment.DisputeGame);
        NewFilterInput filter = opened.CreateFilterInput(new BlockParameter(new HexBigInteger(_nextBlock)), new BlockParameter(new HexBigInteger(latest)));
        List<EventLog<DisputeOpenedEvent>> logs = await chain.Connection.ReadAsync(() => opened.GetAllChangesAsync(filter), cancellation);
        foreach (DisputeOpenedEvent e in logs.Select(l => l.Event)) await AdoptAsync(e, cancellation);
        _nextBlock = latest + 1;
    }

    private async Task AdoptAsync(DisputeOpenedEvent opened, CancellationToken cancellation)
    {
        // A dispute this coordinator opened is against a replica it found wrong: DisputeWatcher plays both sides of it.
        if (string.Equals(opened.Challenger, chain.Submitter.Address, StringComparison.OrdinalIgnoreCase)) return;
        lock (_lock)
            if (_defenses.ContainsKey(opened.DisputeId)) return;
        var jobId = new Bytes32(opened.JobId);
        if (await DefendedReplicaAsync(jobId, opened.DefenderReplica, cancellation) is not { } replica) return;
        lock (_lock)
        {
            if (_defenses.ContainsKey(opened.DisputeId)) return;
            _defenses[opened.DisputeId] = new Defense(jobId, replica, opened,
                new DefendedDispute(opened.DisputeId, jobId, opened.DefenderReplica, opened.Challenger, 0, DisputePhase.Bisect, DisputeOutcome.None));
        }
        LogAdopted(logger, opened.DisputeId.ToString(System.Globalization.CultureInfo.InvariantCulture), jobId.ToString(), opened.DefenderReplica, opened.Challenger);
    }

    private async Task DefendAsync(Defense defense, CancellationToken cancellation)
    {
        BigInteger id = defense.Opened.DisputeId;
        string idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        DisputeInfo info = await _client.GetAsync(id, cancellation);
        var phase = (DisputePhase)info.Phase;
        if (phase == DisputePhase.Bisect && info.OnTurn == Defender && info.Deadline != 0)
        {
            ReplicaSide side = await defense.SideAsync(this, cancellation);
            if (await _client.AnswerIfOnTurnAsync(id, side, cancellation) is { } answer)
            {
                defense.Answered();
                LogAnswered(logger, idText, (int)info.RoundPosition, answer.Transaction);
            }
        }
        else if (phase == DisputePhase.Decided || (phase != DisputePhase.Resolved && info.OnTurn == Challenger))
        {
            // The challenger on turn and past its deadline (or the game already decided): settle it now.
            (IReadOnlyList<StageCommitment> defenderStages, IReadOnlyList<StageCommitment> challengerStages) = await defense.StagesAsync(this, cancellation);
            if (await _client.ResolveIfTimedOutAsync(id, defenderStages, challengerStages, cancellation) is { } resolved)
                LogResolved(logger, idText, resolved.Transaction);
        }
        DisputeInfo now = await _client.GetAsync(id, cancellation);
        defense.Update((DisputePhase)now.Phase, (DisputeOutcome)now.Outcome);
    }

    /// <summary>The game's Side values (Types.sol): who is on turn.</summary>
    private const byte Defender = 0, Challenger = 1;

    /// <summary>
    /// The replica of a job this coordinator ran: from its memory (retained jobs), else from its journal (a job run
    /// before a restart); null when this coordinator did not run it.
    /// </summary>
    private async Task<RetainedReplica?> DefendedReplicaAsync(Bytes32 jobId, byte replica, CancellationToken cancellation)
    {
        if (jobs.Find(jobId) is { } job)
            return job.Results.Count > replica ? RetainedReplica.From(replica, job.Results[replica]) : null;
        return (await journal.FindAsync(jobId, cancellation))?.Replicas.FirstOrDefault(r => r.Replica == replica);
    }

    /// <summary>A replica's trace from the workers that signed its stages (the receipts name them, after any failover).</summary>
    private async Task<IReplicaTrace> TraceAsync(Bytes32 jobId, RetainedReplica replica, CancellationToken cancellation)
    {
        int layers = model.Config.Layers;
        return await WorkerTrace.LoadAsync(jobId, replica.Replica, replica.Layout(layers), replica.Positions(layers), replica.Endpoints, cancellation);
    }

    /// <summary>The job's request and submitted stages as the chain records them.</summary>
    private Task<JobOnChain> LoadJobAsync(Bytes32 jobId, CancellationToken cancellation) => JobOnChain.LoadAsync(chain.Connection, chain.Deployment, jobId, cancellation);

    /// <summary>One defended dispute: the job, the opening, and what was loaded for it (once).</summary>
    private sealed class Defense(Bytes32 jobId, RetainedReplica replica, DisputeOpenedEvent opened, DefendedDispute view)
    {
        private JobOnChain? _onChain;
        private ReplicaSide? _side;

        public DisputeOpenedEvent Opened { get; } = opened;

        public DefendedDispute View { get; private set; } = view;

        public void Answered() => View = View with { Answers = View.Answers + 1 };

        public void Update(DisputePhase phase, DisputeOutcome outcome) => View = View with { Phase = phase, Outcome = outcome };

        /// <summary>The defending replica with its retained trace, fetched from the workers and checked against the signed roots.</summary>
        public async Task<ReplicaSide> SideAsync(DisputeDefender owner, CancellationToken cancellation)
        {
            if (_side is not null) return _side;
            JobOnChain onChain = await OnChainAsync(owner, cancellation);
            var side = onChain.Side(Opened.DefenderReplica, await owner.TraceAsync(jobId, replica, cancellation));
            side.CheckTrace();
            return _side = side;
        }

        /// <summary>Both sides' stages as the game hashed them at opening: the replicas' from JobMarket, or the challenger's own commitment from the log.</summary>
        public async Task<(IReadOnlyList<StageCommitment> Defender, IReadOnlyList<StageCommitment> Challenger)> StagesAsync(DisputeDefender owner, CancellationToken cancellation)
        {
            JobOnChain onChain = await OnChainAsync(owner, cancellation);
            IReadOnlyList<StageCommitment> challenger = Opened.ConflictingReplica == DisputeClient.OwnCommitment
                ? [.. Opened.OwnStages.Select(StageCommitment.From)]
                : Submitted(onChain, Opened.ConflictingReplica);
            return (Submitted(onChain, Opened.DefenderReplica), challenger);
        }

        private async Task<JobOnChain> OnChainAsync(DisputeDefender owner, CancellationToken cancellation) =>
            _onChain ??= await owner.LoadJobAsync(jobId, cancellation);

        private static IReadOnlyList<StageCommitment> Submitted(JobOnChain onChain, byte replica) =>
            (onChain.Replicas.FirstOrDefault(r => r.Replica == replica) ?? throw new InvalidDataException($"replica {replica} of job {onChain.JobId} has no ResultSubmitted log")).Stages;
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Warning, Message = "dispute {DisputeId} on job {JobId} against replica {Replica} opened by {Challenger}: defending it")]
    private static partial void LogAdopted(ILogger logger, string disputeId, string jobId, byte replica, string challenger);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "dispute {DisputeId}: answered the round at position {Position} in {Transaction}")]
    private static partial void LogAnswered(ILogger logger, string disputeId, int position, string transaction);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Information, Message = "dispute {DisputeId}: resolved in {Transaction}")]
    private static partial void LogResolved(ILogger logger, string disputeId, string transaction);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Warning, Message = "dispute defender: {What} failed, the next pass retries: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string what, string reason);
}
