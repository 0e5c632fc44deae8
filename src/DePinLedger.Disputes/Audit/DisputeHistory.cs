using System.Numerics;
using DePinLedger.Chain.Contracts;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Disputes.Client;
using DePinLedger.Protocol.Encoding;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Game = DePinLedger.Chain.Contracts.Game;
using Jobs = DePinLedger.Chain.Contracts.Jobs;
using Models = DePinLedger.Chain.Contracts.Models;

namespace DePinLedger.Disputes.Audit;

/// <summary>The dispute id names no dispute on this chain.</summary>
public sealed class UnknownDisputeException(string message) : Exception(message);

/// <summary>One logged event of the dispute with the transaction that emitted it.</summary>
public sealed record LoggedMove(string Event, ulong Block, ulong LogIndex, string Transaction, string Sender, object Data);

/// <summary>A replica's result as submitted: the stage records JobMarket emitted and the signatures in the submit calldata.</summary>
public sealed record SubmittedReplica(byte Replica, IReadOnlyList<StageCommitment> Stages, IReadOnlyList<byte[]> Signatures, string Transaction);

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
    public required Jobs.JobCreatedEvent Job { get; init; }
    public required Models.ModelRegisteredEvent Model { get; init; }
    public required IReadOnlyList<SubmittedReplica> Replicas { get; init; }
    public required IReadOnlyList<LoggedMove> Moves { get; init; }

    /// <summary>Calldata of the transaction that fixed the step (StepProver.narrow when narrowed), if any.</summary>
    public string? StepFixedInput { get; init; }

    /// <summary>Calldata of the transaction that decided the step (stepLayer, stepEmbedding or stepHead), if any.</summary>
    public string? StepVerifiedInput { get; init; }

    public T? Last<T>() where T : class => Moves.Select(m => m.Data).OfType<T>().LastOrDefault();

    /// <summary>Reads the dispute's history from <paramref name="chain"/>.</summary>
    public static async Task<DisputeHistory> LoadAsync(ChainConnection chain, DeploymentFile deployment, BigInteger disputeId, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(deployment);
        if (disputeId <= 0) throw new ArgumentOutOfRangeException(nameof(disputeId), "dispute ids start at 1");
        if (!AddressText.IsValid(deployment.DisputeGame) || !await chain.HasCodeAsync(deployment.DisputeGame, cancellation))
            throw new InvalidDataException($"no dispute game at '{deployment.DisputeGame}' on chain {chain.ChainId}: the deployment file is stale or lacks the game");

        FilterLog[] logs = await LogsAsync(chain, deployment, deployment.DisputeGame, Topic(disputeId), cancellation);
        var moves = new List<LoggedMove>();
        var senders = new Dictionary<string, Transaction>(StringComparer.OrdinalIgnoreCase);
        foreach (FilterLog log in logs.OrderBy(l => l.BlockNumber.Value).ThenBy(l => l.LogIndex.Value))
        {
            (string name, object data)? decoded = DecodeGameLog(log);
            if (decoded is null) continue;
            Transaction tx = await TransactionAsync(chain, log.TransactionHash, senders, cancellation);
            moves.Add(new LoggedMove(decoded.Value.name, (ulong)log.BlockNumber.Value, (ulong)log.LogIndex.Value, log.TransactionHash, AddressText.Checksum(tx.From), decoded.Value.data));
        }
        Game.DisputeOpenedEvent opened = moves.Select(m => m.Data).OfType<Game.DisputeOpenedEvent>().SingleOrDefault()
            ?? throw new UnknownDisputeException($"dispute {disputeId} does not exist on chain {chain.ChainId} (no DisputeOpened event from the game at {deployment.DisputeGame})");
        var jobId = StageCommitment.Word(opened.JobId);

        FilterLog[] jobLogs = await LogsAsync(chain, deployment, deployment.JobMarket, jobId.ToString(), cancellation);
        Jobs.JobCreatedEvent job = jobLogs.Where(l => l.IsLogForEvent<Jobs.JobCreatedEvent>()).Select(l => l.DecodeEvent<Jobs.JobCreatedEvent>().Event).SingleOrDefault()
            ?? throw new InvalidDataException($"job {jobId} of dispute {disputeId} has no JobCreated event at {deployment.JobMarket}");
        var replicas = new List<SubmittedReplica>();
        foreach (FilterLog log in jobLogs.Where(l => l.IsLogForEvent<Jobs.ResultSubmittedEvent>()))
        {
            Jobs.ResultSubmittedEvent result = log.DecodeEvent<Jobs.ResultSubmittedEvent>().Event;
            Transaction tx = await TransactionAsync(chain, log.TransactionHash, senders, cancellation);
            var submit = Decode<Jobs.SubmitResultFunction>(tx.Input);
            List<byte[]> signatures = submit is not null && result.Replica < submit.Results.Count
                ? submit.Results[result.Replica].Stages.Select(s => s.Signature).ToList()
                : [];
            replicas.Add(new SubmittedReplica(result.Replica, result.Stages.Select(StageCommitment.From).ToList(), signatures, log.TransactionHash));
        }

        FilterLog[] modelLogs = await LogsAsync(chain, deployment, deployment.ModelRegistry, "0x" + Convert.ToHexStringLower(job.ModelId), cancellation);
        Models.ModelRegisteredEvent model = modelLogs.Where(l => l.IsLogForEvent<Models.ModelRegisteredEvent>()).Select(l => l.DecodeEvent<Models.ModelRegisteredEvent>().Event).SingleOrDefault()
            ?? throw new InvalidDataException($"model {Convert.ToHexStringLower(job.ModelId)} of job {jobId} was never registered at {deployment.ModelRegistry}");

        LoggedMove? fixedMove = moves.LastOrDefault(m => m.Data is Game.StepFixedEvent);
        LoggedMove? verifiedMove = moves.LastOrDefault(m => m.Data is Game.StepVerifiedEvent);
        return new DisputeHistory
        {
            DisputeId = disputeId,
            ChainId = (ulong)chain.ChainId,
            JobMarket = deployment.JobMarket,
            Opened = opened,
            Job = job,
            Model = model,
            Replicas = replicas,
            Moves = moves,
            StepFixedInput = fixedMove is null ? null : senders[fixedMove.Transaction].Input,
            StepVerifiedInput = verifiedMove is null ? null : senders[verifiedMove.Transaction].Input,
        };
    }

    /// <summary>Decodes calldata as <typeparamref name="TFunction"/> when its selector is that function's; null otherwise.</summary>
    public static TFunction? Decode<TFunction>(string? input) where TFunction : FunctionMessage, IAbiFunction, new()
    {
        if (input is null || input.Length < 10) return null;
        var function = new TFunction();
        return string.Equals(input[..10], AbiSelector.Of(function.AbiSignature), StringComparison.OrdinalIgnoreCase) ? function.DecodeInput(input) : null;
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

    // Public endpoints cap the block range of one eth_getLogs (commonly 10 000 blocks): ask in windows.
    private const ulong LogWindow = 10_000;

    private static async Task<FilterLog[]> LogsAsync(ChainConnection chain, DeploymentFile deployment, string address, string topic1, CancellationToken cancellation)
    {
        ulong latest = await chain.GetBlockNumberAsync(cancellation);
        var all = new List<FilterLog>();
        for (ulong from = deployment.StartBlock; from <= latest; from += LogWindow)
        {
            var filter = new NewFilterInput
            {
                FromBlock = new BlockParameter(new HexBigInteger(from)),
                ToBlock = new BlockParameter(new HexBigInteger(Math.Min(latest, from + LogWindow - 1))),
                Address = [address],
                Topics = [null, topic1],
            };
            FilterLog[]? logs = await chain.ReadAsync(() => chain.Web3.Eth.Filters.GetLogs.SendRequestAsync(filter), cancellation);
            all.AddRange(logs ?? throw new InvalidDataException($"the node returned no answer to eth_getLogs for {address}"));
        }
        return [.. all];
    }

    private static async Task<Transaction> TransactionAsync(ChainConnection chain, string hash, Dictionary<string, Transaction> cache, CancellationToken cancellation)
    {
        if (cache.TryGetValue(hash, out Transaction? known)) return known;
        Transaction? tx = await chain.ReadAsync(() => chain.Web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(hash), cancellation);
        if (tx?.Input is null || tx.From is null) throw new InvalidDataException($"the node does not know transaction {hash}, which emitted a logged event");
        return cache[hash] = tx;
    }

    private static string Topic(BigInteger value) => "0x" + value.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
}
