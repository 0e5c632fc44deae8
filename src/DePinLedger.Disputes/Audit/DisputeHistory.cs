using System.Numerics;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Disputes.Client;
using DePinLedger.Protocol.Encoding;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Game = DePinLedger.Chain.Contracts.Game;
using Models = DePinLedger.Chain.Contracts.Models;

namespace DePinLedger.Disputes.Audit;

/// <summary>The dispute id names no dispute on this chain.</summary>
public sealed class UnknownDisputeException(string message) : Exception(message);

/// <summary>One logged event of the dispute with the transaction that emitted it (sender and calldata).</summary>
public sealed record LoggedMove(string Event, ulong Block, ulong LogIndex, string Transaction, string Sender, string Input, object Data);

/// <summary>
/// Everything the chain says about one dispute, read from event logs (eth_getLogs) and the calldata of the
/// transactions that emitted them (eth_getTransactionByHash) only: no coordinator database, no trust in anyone's
/// off-chain copy.
/// </summary>
public sealed class DisputeHistory
{
    public required BigInteger DisputeId { get; init; }
    public required ulong ChainId { get; init; }
    public required string JobMarket { get; init; }
    public required Game.DisputeOpenedEvent Opened { get; init; }
    public required JobOnChain Job { get; init; }
    public required Models.ModelRegisteredEvent Model { get; init; }
    public required IReadOnlyList<LoggedMove> Moves { get; init; }

    /// <summary>Calldata of the transaction that decided the step (stepLayer, stepEmbedding or stepHead), if any.</summary>
    public string? StepVerifiedInput => Moves.LastOrDefault(m => m.Data is Game.StepVerifiedEvent)?.Input;

    public T? Last<T>() where T : class => Moves.Select(m => m.Data).OfType<T>().LastOrDefault();

    /// <summary>Reads the dispute's history from <paramref name="chain"/>.</summary>
    public static async Task<DisputeHistory> LoadAsync(ChainConnection chain, DeploymentFile deployment, BigInteger disputeId, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(deployment);
        if (disputeId <= 0) throw new ArgumentOutOfRangeException(nameof(disputeId), "dispute ids start at 1");
        if (!AddressText.IsValid(deployment.DisputeGame) || !await chain.HasCodeAsync(deployment.DisputeGame, cancellation))
            throw new InvalidDataException($"no dispute game at '{deployment.DisputeGame}' on chain {chain.ChainId}: the deployment file is stale or lacks the game");

        FilterLog[] logs = await ChainRecords.LogsAsync(chain, deployment, deployment.DisputeGame, ChainRecords.Topic(disputeId), cancellation);
        var moves = new List<LoggedMove>();
        var senders = new Dictionary<string, Transaction>(StringComparer.OrdinalIgnoreCase);
        foreach (FilterLog log in logs.OrderBy(l => l.BlockNumber.Value).ThenBy(l => l.LogIndex.Value))
        {
            (string name, object data)? decoded = ChainRecords.Decoded(() => DecodeGameLog(log), $"a log of dispute {disputeId}");
            if (decoded is null) continue;
            Transaction tx = await ChainRecords.TransactionAsync(chain, log.TransactionHash, senders, cancellation);
            moves.Add(new LoggedMove(decoded.Value.name, (ulong)log.BlockNumber.Value, (ulong)log.LogIndex.Value, log.TransactionHash, AddressText.Checksum(tx.From), tx.Input, decoded.Value.data));
        }
        Game.DisputeOpenedEvent opened = ChainRecords.Decoded(() => moves.Select(m => m.Data).OfType<Game.DisputeOpenedEvent>().SingleOrDefault(), $"DisputeOpened of dispute {disputeId}")
            ?? throw new UnknownDisputeException($"dispute {disputeId} does not exist on chain {chain.ChainId} (no DisputeOpened event from the game at {deployment.DisputeGame})");
        var jobId = StageCommitment.Word(opened.JobId);

        JobOnChain job = await JobOnChain.LoadAsync(chain, deployment, jobId, cancellation);

        Models.ModelRegisteredEvent model = await RegisteredModelAsync(chain, deployment, job, cancellation);

        return new DisputeHistory
        {
            DisputeId = disputeId,
            ChainId = (ulong)chain.ChainId,
            JobMarket = deployment.JobMarket,
            Opened = opened,
            Job = job,
            Model = model,
            Moves = moves,
        };
    }

    /// <summary>The ModelRegistered event of the job's model (weights root, dimensions, metadata URI).</summary>
    public static async Task<Models.ModelRegisteredEvent> RegisteredModelAsync(ChainConnection chain, DeploymentFile deployment, JobOnChain job, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(job);
        FilterLog[] modelLogs = await ChainRecords.LogsAsync(chain, deployment, deployment.ModelRegistry, job.Request.ModelId.ToString(), cancellation);
        return ChainRecords.Decoded(
            () => modelLogs.Where(l => l.IsLogForEvent<Models.ModelRegisteredEvent>()).Select(l => l.DecodeEvent<Models.ModelRegisteredEvent>().Event).SingleOrDefault(), $"ModelRegistered of model {job.Request.ModelId}")
            ?? throw new InvalidDataException($"model {job.Request.ModelId} of job {job.JobId} was never registered at {deployment.ModelRegistry}");
    }

    private static (string, object)? DecodeGameLog(FilterLog log)
    {
        if (log.IsLogForEvent<Game.DisputeOpenedEvent>()) return ("DisputeOpened", log.DecodeEvent<Game.DisputeOpenedEvent>().Event);
        if (log.IsLogForEvent<Game.PositionRevealedEvent>()) return ("PositionRevealed", log.DecodeEvent<Game.PositionRevealedEvent>().Event);
        if (log.IsLogForEvent<Game.PartRevealedEvent>()) return ("PartRevealed", log.DecodeEvent<Game.PartRevealedEvent>().Event);
        if (log.IsLogForEvent<Game.RoundCompletedEvent>()) return ("RoundCompleted", log.DecodeEvent<Game.RoundCompletedEvent>().Event);
        if (log.IsLogForEvent<Game.StepFixedEvent>()) return ("StepFixed", log.DecodeEvent<Game.StepFixedEvent>().Event);
        if (log.IsLogForEvent<Game.StepVerifiedEvent>()) return ("StepVerified", log.DecodeEvent<Game.StepVerifiedEvent>().Event);
        if (log.IsLogForEvent<Game.DisputeDecidedEvent>()) return ("DisputeDecided", log.DecodeEvent<Game.DisputeDecidedEvent>().Event);
        if (log.IsLogForEvent<Game.NodePenalizedEvent>()) return ("NodePenalized", log.DecodeEvent<Game.NodePenalizedEvent>().Event);
        if (log.IsLogForEvent<Game.CreditedEvent>()) return ("Credited", log.DecodeEvent<Game.CreditedEvent>().Event);
        if (log.IsLogForEvent<Game.DisputeResolvedEvent>()) return ("DisputeResolved", log.DecodeEvent<Game.DisputeResolvedEvent>().Event);
        return null;
    }
}
