using System.Numerics;
using DePinLedger.Chain.Events;
using DePinLedger.Data;
using DePinLedger.Data.Indexing;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Models;
using DePinLedger.Data.Staking;
using DePinLedger.Indexer.Notifications;
using Microsoft.EntityFrameworkCore;
using J = DePinLedger.Chain.Contracts.Jobs;
using M = DePinLedger.Chain.Contracts.Models;
using S = DePinLedger.Chain.Contracts.Staking;

namespace DePinLedger.Indexer.Projection;

/// <summary>
/// Turns decoded contract events into rows. Every derived row is a function of the events of one subject (a node,
/// a job or a model), applied in (block, log index) order: that is what lets a rollback delete a subject's rows and
/// replay its remaining events through this same code. Works on the caller's context and transaction.
/// </summary>
internal sealed class EventProjector(DePinDbContext db, AppendOnlyRows rows)
{
    /// <summary>The subject whose rows an event derives (node address, job id or model id), or "" for none.</summary>
    public static string SubjectOf(DecodedEvent decoded) => decoded.Event switch
    {
        S.NodeRegisteredEvent e => Address(e.Node),
        S.NodeUpdatedEvent e => Address(e.Node),
        S.StakedEvent e => Address(e.Node),
        S.UnbondRequestedEvent e => Address(e.Node),
        S.WithdrawnEvent e => Address(e.Node),
        S.SlashedEvent e => Address(e.Node),
        S.NodeFrozenEvent e => Address(e.Node),
        S.NodeUnfrozenEvent e => Address(e.Node),
        M.ModelRegisteredEvent e => Hex(e.ModelId),
        J.JobCreatedEvent e => Hex(e.JobId),
        J.ResultSubmittedEvent e => Hex(e.JobId),
        J.StagePaidEvent e => Hex(e.JobId),
        J.JobFinalizedEvent e => Hex(e.JobId),
        J.JobRefundedEvent e => Hex(e.JobId),
        J.JobFrozenEvent e => Hex(e.JobId),
        J.JobUnfrozenEvent e => Hex(e.JobId),
        J.ReplicaProvenWrongEvent e => Hex(e.JobId),
        J.ReplicaCompensatedEvent e => Hex(e.JobId),
        _ => "",
    };

    /// <summary>Applies one event and returns the notification to publish after the commit.</summary>
    public async Task<IChainNotification> ApplyAsync(ChainEvent raw, DecodedEvent decoded, DateTimeOffset time, CancellationToken cancellation)
    {
        var source = new EventSource(raw.TxHash, raw.LogIndex, raw.BlockNumber, time);
        long block = raw.BlockNumber;
        switch (decoded.Event)
        {
            case S.NodeRegisteredEvent e:
            {
                var node = new NodeRecord
                {
                    Address = Address(e.Node), Operator = Address(e.Operator), Endpoint = e.Endpoint, RegisteredAt = time, RegisteredBlock = block, UpdatedBlock = block,
                };
                SetHardware(node, e.Hardware.MemoryMiB, e.Hardware.ComputeGops, e.Hardware.BandwidthMBps, e.Hardware.RegionCode);
                db.Nodes.Add(node);
                return new NodeRegistered(source, node.Address, node.Operator, node.Endpoint);
            }
            case S.NodeUpdatedEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.Endpoint = e.Endpoint;
                SetHardware(node, e.Hardware.MemoryMiB, e.Hardware.ComputeGops, e.Hardware.BandwidthMBps, e.Hardware.RegionCode);
                node.UpdatedBlock = block;
                return new NodeUpdated(source, node.Address, node.Endpoint);
            }
            case S.StakedEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.ActiveStake = Amount(e.ActiveStake);
                node.UpdatedBlock = block;
                rows.StakeChanges.Add(Change(raw, node.Address, StakeChangeKind.Staked, e.Amount, e.ActiveStake, time));
                return new NodeStaked(source, node.Address, Address(e.Operator), Amount(e.Amount), node.ActiveStake);
            }
            case S.UnbondRequestedEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.ActiveStake = Amount(e.ActiveStake);
                node.UnbondingStake += Amount(e.Amount);
                node.UpdatedBlock = block;
                DateTimeOffset started = Time(e.StartedAt);
                // Requests in the same second share one entry on-chain; so here.
                UnbondingEntry? entry = await db.UnbondingEntries.FindAsync([node.Address, started], cancellation);
                if (entry is null)
                    db.UnbondingEntries.Add(new UnbondingEntry { Node = node.Address, StartedAt = started, ReleaseAt = Time(e.ReleaseAt), Amount = Amount(e.Amount), BlockNumber = block });
                else
                    entry.Amount += Amount(e.Amount);
                rows.StakeChanges.Add(Change(raw, node.Address, StakeChangeKind.UnbondRequested, e.Amount, e.ActiveStake, time));
                return new UnbondRequested(source, node.Address, Amount(e.Amount), Time(e.ReleaseAt), node.ActiveStake);
            }
            case S.WithdrawnEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.UnbondingStake -= Amount(e.Amount);
                node.UpdatedBlock = block;
                // The contract pays every entry released by now, oldest first.
                foreach (UnbondingEntry entry in (await PendingEntriesAsync(node.Address, cancellation)).Where(u => u.ReleaseAt <= time))
                    entry.Status = UnbondingStatus.Withdrawn;
                rows.StakeChanges.Add(Change(raw, node.Address, StakeChangeKind.Withdrawn, e.Amount, ToBig(node.ActiveStake), time));
                return new StakeWithdrawn(source, node.Address, Address(e.Operator), Amount(e.Amount));
            }
            case S.SlashedEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.ActiveStake -= Amount(e.FromActive);
                node.UnbondingStake -= Amount(e.FromUnbonding);
                node.UpdatedBlock = block;
                // Newest entries first, only those started at or after the infraction (as the contract takes them).
                decimal remaining = Amount(e.FromUnbonding);
                DateTimeOffset infraction = Time(e.InfractionTime);
                bool atTail = true;
                foreach (UnbondingEntry entry in (await PendingEntriesAsync(node.Address, cancellation)).Where(u => u.StartedAt >= infraction).OrderByDescending(u => u.StartedAt))
                {
                    if (remaining == 0) break;
                    decimal take = Math.Min(entry.Amount, remaining);
                    entry.Amount -= take;
                    remaining -= take;
                    // The contract pops the entries it empties at the tail of its queue (getUnbondings no longer lists them).
                    if (entry.Amount == 0 && atTail) db.UnbondingEntries.Remove(entry);
                    else atTail = false;
                }
                db.Slashes.Add(new Slash
                {
                    TxHash = raw.TxHash, LogIndex = raw.LogIndex, Node = node.Address, RewardRecipient = Address(e.RewardRecipient), InfractionTime = infraction,
                    FromActive = Amount(e.FromActive), FromUnbonding = Amount(e.FromUnbonding), Reward = Amount(e.Reward), Burned = Amount(e.Burned), BlockNumber = block,
                });
                rows.StakeChanges.Add(Change(raw, node.Address, StakeChangeKind.Slashed, e.FromActive + e.FromUnbonding, ToBig(node.ActiveStake), time));
                return new NodeSlashed(source, node.Address, Address(e.RewardRecipient), Amount(e.FromActive + e.FromUnbonding), Amount(e.Reward), Amount(e.Burned));
            }
            case S.NodeFrozenEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.FreezeCount = (int)e.FreezeCount;
                node.UpdatedBlock = block;
                return new NodeFrozen(source, node.Address, node.FreezeCount);
            }
            case S.NodeUnfrozenEvent e:
            {
                NodeRecord node = await NodeAsync(e.Node, cancellation);
                node.FreezeCount = (int)e.FreezeCount;
                node.UpdatedBlock = block;
                return new NodeUnfrozen(source, node.Address, node.FreezeCount);
            }
            case M.ModelRegisteredEvent e:
            {
                var model = new ModelRecord
                {
                    ModelId = Hex(e.ModelId), WeightsRoot = Hex(e.WeightsRoot), Verifier = Address(e.Verifier), Registrant = Address(e.Registrant),
                    LayerCount = e.Dims.LayerCount, HeadCount = e.Dims.HeadCount, KvHeadCount = e.Dims.KvHeadCount, Dim = e.Dims.Dim,
                    HiddenDim = e.Dims.HiddenDim, VocabSize = e.Dims.VocabSize, MaxSeqLen = e.Dims.MaxSeqLen, MetadataUri = e.MetadataURI, BlockNumber = block,
                };
                db.Models.Add(model);
                return new ModelRegistered(source, model.ModelId, model.WeightsRoot, model.Verifier);
            }
            case J.JobCreatedEvent e:
            {
                J.JobRequest r = e.Request;
                var job = new JobRecord
                {
                    JobId = Hex(e.JobId), Client = Address(e.Client), ModelId = Hex(e.ModelId), PromptHash = Hex(r.PromptHash), MaxTokens = r.MaxTokens,
                    Temperature = r.Temperature, TopP = r.TopP, Seed = r.Seed, Replicas = r.Replicas, Fee = Amount(r.Fee), Deadline = Time(r.Deadline),
                    Salt = Hex(r.Salt), Status = JobStatus.Open, CreatedAt = time, CreatedBlock = block, UpdatedBlock = block,
                };
                db.Jobs.Add(job);
                return new JobCreated(source, job.JobId, job.Client, job.ModelId, job.Fee, job.Replicas);
            }
            case J.ResultSubmittedEvent e:
            {
                JobRecord job = await JobAsync(e.JobId, cancellation);
                job.Status = JobStatus.Submitted;
                job.SubmittedAt = time;
                job.UpdatedBlock = block;
                db.Replicas.Add(new ReplicaRecord { JobId = job.JobId, Replica = e.Replica, ResultRoot = Hex(e.ResultRoot), OutputHash = Hex(e.OutputHash), TokenCount = e.TokenCount, BlockNumber = block });
                for (int s = 0; s < e.Stages.Count; s++)
                {
                    J.StageRecord st = e.Stages[s];
                    db.StageReceipts.Add(new StageReceiptRecord
                    {
                        JobId = job.JobId, Replica = e.Replica, Stage = s, Node = Address(st.Node), FirstLayer = st.FirstLayer, LastLayer = st.LastLayer,
                        InputRoot = Hex(st.InputRoot), TraceRoot = Hex(st.TraceRoot), OutputRoot = Hex(st.OutputRoot), BlockNumber = block,
                    });
                }
                return new ResultSubmitted(source, job.JobId, e.Replica, Hex(e.ResultRoot), e.TokenCount, e.Stages.Count);
            }
            case J.StagePaidEvent e:
            {
                string jobId = Hex(e.JobId);
                StageReceiptRecord? stage = await db.StageReceipts.FindAsync([jobId, (int)e.Replica, (int)e.Stage], cancellation);
                if (stage is not null) stage.Paid = Amount(e.Amount);
                return new StagePaid(source, jobId, Address(e.Node), e.Replica, e.Stage, Amount(e.Amount));
            }
            case J.JobFinalizedEvent e:
            {
                JobRecord job = await JobAsync(e.JobId, cancellation);
                job.Status = JobStatus.Finalized;
                job.ToOperators = Amount(e.ToOperators);
                job.ToTreasury = Amount(e.ToTreasury);
                job.UpdatedBlock = block;
                return new JobFinalized(source, job.JobId, e.PaidMask, Amount(e.ToOperators), Amount(e.ToTreasury));
            }
            case J.JobRefundedEvent e:
            {
                JobRecord job = await JobAsync(e.JobId, cancellation);
                job.Status = JobStatus.Refunded;
                job.RefundReason = (RefundReason)e.Reason;
                job.UpdatedBlock = block;
                return new JobRefunded(source, job.JobId, Address(e.Client), Amount(e.Amount), job.RefundReason.Value.ToString());
            }
            case J.JobFrozenEvent e:
            {
                JobRecord job = await JobAsync(e.JobId, cancellation);
                job.FreezeCount = e.FreezeCount;
                job.UpdatedBlock = block;
                return new JobFrozen(source, job.JobId, job.FreezeCount);
            }
            case J.JobUnfrozenEvent e:
            {
                JobRecord job = await JobAsync(e.JobId, cancellation);
                job.FreezeCount = e.FreezeCount;
                job.UpdatedBlock = block;
                return new JobUnfrozen(source, job.JobId, job.FreezeCount);
            }
            case J.ReplicaProvenWrongEvent e:
            {
                string jobId = Hex(e.JobId);
                ReplicaRecord? replica = await db.Replicas.FindAsync([jobId, (int)e.Replica], cancellation);
                if (replica is not null) replica.ProvenWrong = true;
                return new ReplicaProvenWrong(source, jobId, e.Replica);
            }
            case J.ReplicaCompensatedEvent e:
            {
                // A refunded job whose honest replica the dispute game paid from a slash: what its operators got.
                JobRecord job = await JobAsync(e.JobId, cancellation);
                job.ToOperators = Amount(e.Amount);
                job.UpdatedBlock = block;
                return new ReplicaCompensated(source, job.JobId, e.Replica, Amount(e.Amount));
            }
            default:
                return new ContractEventIndexed(source, raw.Contract, decoded.Name);
        }
    }

    /// <summary>Deletes every row derived from the events of <paramref name="subjects"/> (before replaying them).</summary>
    public async Task DeleteDerivedAsync(IReadOnlyCollection<string> subjects, CancellationToken cancellation)
    {
        if (subjects.Count == 0) return;
        string[] keys = [.. subjects];
        await db.StakeChanges.Where(s => keys.Contains(s.Node)).ExecuteDeleteAsync(cancellation);
        await db.UnbondingEntries.Where(u => keys.Contains(u.Node)).ExecuteDeleteAsync(cancellation);
        await db.Slashes.Where(s => keys.Contains(s.Node)).ExecuteDeleteAsync(cancellation);
        await db.Nodes.Where(n => keys.Contains(n.Address)).ExecuteDeleteAsync(cancellation);
        await db.StageReceipts.Where(s => keys.Contains(s.JobId)).ExecuteDeleteAsync(cancellation);
        await db.Replicas.Where(r => keys.Contains(r.JobId)).ExecuteDeleteAsync(cancellation);
        await db.Jobs.Where(j => keys.Contains(j.JobId)).ExecuteDeleteAsync(cancellation);
        await db.Models.Where(m => keys.Contains(m.ModelId)).ExecuteDeleteAsync(cancellation);
    }

    private async Task<List<UnbondingEntry>> PendingEntriesAsync(string node, CancellationToken cancellation)
    {
        await db.UnbondingEntries.Where(u => u.Node == node && u.Status == UnbondingStatus.Unbonding).LoadAsync(cancellation);
        return [.. db.UnbondingEntries.Local.Where(u => u.Node == node && u.Status == UnbondingStatus.Unbonding).OrderBy(u => u.StartedAt)];
    }

    private async Task<NodeRecord> NodeAsync(string address, CancellationToken cancellation) =>
        await db.Nodes.FindAsync([Address(address)], cancellation)
        ?? throw new InvalidOperationException($"event for node {address}, which was never registered in the indexed range (is the start block too late?)");

    private async Task<JobRecord> JobAsync(byte[] jobId, CancellationToken cancellation) =>
        await db.Jobs.FindAsync([Hex(jobId)], cancellation)
        ?? throw new InvalidOperationException($"event for job {Hex(jobId)}, which was never created in the indexed range (is the start block too late?)");

    private static void SetHardware(NodeRecord node, uint memory, uint compute, uint bandwidth, ushort region)
    {
        node.MemoryMiB = memory;
        node.ComputeGops = compute;
        node.BandwidthMBps = bandwidth;
        node.RegionCode = region;
    }

    private static StakeChange Change(ChainEvent raw, string node, StakeChangeKind kind, BigInteger amount, BigInteger activeAfter, DateTimeOffset time) => new()
    {
        TxHash = raw.TxHash, LogIndex = raw.LogIndex, Node = node, Kind = kind, Amount = Amount(amount), ActiveStakeAfter = Amount(activeAfter),
        BlockNumber = raw.BlockNumber, Timestamp = time,
    };

    internal static string Address(string address) => address.ToLowerInvariant();

    internal static string Hex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>Token units as decimal: exact, because every amount the contracts emit fits 96 bits.</summary>
    private static decimal Amount(BigInteger units) => (decimal)units;

    private static BigInteger ToBig(decimal units) => new(units);

    private static DateTimeOffset Time(ulong unixSeconds) => DateTimeOffset.FromUnixTimeSeconds((long)unixSeconds);
}
