using Mediator;

namespace DePinLedger.Indexer.Notifications;

/// <summary>Where an event came from: its log's key and block. Handlers use (TxHash, LogIndex) to stay idempotent.</summary>
public readonly record struct EventSource(string TxHash, int LogIndex, long BlockNumber, DateTimeOffset Timestamp);

/// <summary>
/// Published once per indexed event, after the database transaction that stored it committed (so a handler that
/// reads the database sees it). Delivery is at most once per indexing: a crash between the commit and the publish
/// loses the notification, and an event re-included after a reorg is published again.
/// </summary>
public interface IChainNotification : INotification
{
    EventSource Source { get; }
}

public sealed record NodeRegistered(EventSource Source, string Node, string Operator, string Endpoint) : IChainNotification;

public sealed record NodeUpdated(EventSource Source, string Node, string Endpoint) : IChainNotification;

public sealed record NodeStaked(EventSource Source, string Node, string Operator, decimal Amount, decimal ActiveStake) : IChainNotification;

public sealed record UnbondRequested(EventSource Source, string Node, decimal Amount, DateTimeOffset ReleaseAt, decimal ActiveStake) : IChainNotification;

public sealed record StakeWithdrawn(EventSource Source, string Node, string Operator, decimal Amount) : IChainNotification;

public sealed record NodeSlashed(EventSource Source, string Node, string RewardRecipient, decimal Slashed, decimal Reward, decimal Burned) : IChainNotification;

public sealed record NodeFrozen(EventSource Source, string Node, int FreezeCount) : IChainNotification;

public sealed record NodeUnfrozen(EventSource Source, string Node, int FreezeCount) : IChainNotification;

public sealed record ModelRegistered(EventSource Source, string ModelId, string WeightsRoot, string Verifier) : IChainNotification;

public sealed record JobCreated(EventSource Source, string JobId, string Client, string ModelId, decimal Fee, int Replicas) : IChainNotification;

public sealed record ResultSubmitted(EventSource Source, string JobId, int Replica, string ResultRoot, long TokenCount, int Stages) : IChainNotification;

public sealed record StagePaid(EventSource Source, string JobId, string Node, int Replica, int Stage, decimal Amount) : IChainNotification;

public sealed record JobFinalized(EventSource Source, string JobId, int PaidMask, decimal ToOperators, decimal ToTreasury) : IChainNotification;

public sealed record JobRefunded(EventSource Source, string JobId, string Client, decimal Amount, string Reason) : IChainNotification;

public sealed record JobFrozen(EventSource Source, string JobId, int FreezeCount) : IChainNotification;

public sealed record JobUnfrozen(EventSource Source, string JobId, int FreezeCount) : IChainNotification;

public sealed record ReplicaProvenWrong(EventSource Source, string JobId, int Replica) : IChainNotification;

/// <summary>The dispute game paid a refunded job's honest replica <see cref="Amount"/> from a slash.</summary>
public sealed record ReplicaCompensated(EventSource Source, string JobId, int Replica, decimal Amount) : IChainNotification;

/// <summary>Any other event of the contracts (token transfers, credits claimed, …), by name.</summary>
public sealed record ContractEventIndexed(EventSource Source, string Contract, string EventName) : IChainNotification;

/// <summary>The chain reorganized: everything after <paramref name="CommonAncestor"/> was rolled back and is re-indexed.</summary>
public sealed record ChainReorganized(long CommonAncestor, long RolledBackFrom, int EventsRemoved) : INotification;
