using System.Globalization;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Disputes.Client;
using DePinLedger.Protocol.Encoding;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Game = DePinLedger.Chain.Contracts.Game;
using Jobs = DePinLedger.Chain.Contracts.Jobs;
using Models = DePinLedger.Chain.Contracts.Models;

namespace DePinLedger.Disputes.Audit;

/// <summary>The job cannot be audited: it does not exist, nothing was submitted yet, or the prompt is not the job's.</summary>
public sealed class JobAuditException(string message) : Exception(message);

/// <summary>A dispute opened about the job (its DisputeOpened log), for the reader to replay with <c>depin audit replay</c>.</summary>
public sealed record JobDispute(string DisputeId, string Challenger, int DefenderReplica, int ConflictingReplica, ulong Block, string Transaction);

/// <summary>
/// One verified stage of a replica: what its node signed next to what the recomputation gives for the same span;
/// <c>Differs</c> names the roots that differ, in pipeline order (input_root, trace_root, output_root).
/// </summary>
public sealed record AuditedJobStage(
    int Stage, string Node, int FirstLayer, int LastLayer, string InputRoot, string ExpectedInputRoot, string TraceRoot, string ExpectedTraceRoot,
    string OutputRoot, string ExpectedOutputRoot, bool SignatureValid, IReadOnlyList<string> Differs);

/// <summary>
/// Where a replica first departs from the recomputation: a stage and one of its roots (input_root, trace_root,
/// output_root), or without a stage a replica-wide value (result_root, output_hash, token_count).
/// </summary>
public sealed record CommitmentMismatch(int? Stage, string Commitment, string Committed, string Recomputed);

/// <summary>A submitted replica compared with the recomputation; <c>Differs</c> names the replica-wide values that differ (result_root, output_hash, token_count).</summary>
public sealed record AuditedReplica(
    int Replica, string Transaction, bool Consistent, CommitmentMismatch? FirstMismatch, string ResultRoot, string OutputHash, uint TokenCount,
    IReadOnlyList<string> Differs, IReadOnlyList<AuditedJobStage> Stages);

/// <summary>
/// What <see cref="JobAuditor"/> concluded about a whole job: the recomputed values, each replica's comparison, the
/// disputes about it; <c>Consistent</c> when every submitted replica matches and every receipt signature recovers to its node.
/// </summary>
public sealed record JobAuditReport(
    string JobId, string Client, string ModelId, string WeightsRoot, string Status, IReadOnlyList<int> WrongReplicas, int PromptTokens, uint MaxTokens,
    int Positions, int TokenCount, string OutputHash, string ResultRoot, IReadOnlyList<AuditedReplica> Replicas, IReadOnlyList<JobDispute> Disputes,
    bool Consistent, IReadOnlyList<string> Problems);

/// <summary>
/// Everything the chain says about one job that its audit needs, from JobMarket's state, event logs and calldata only:
/// the request and each replica's commitments (<see cref="JobOnChain"/>), its status and wrong-replica mask, the
/// registered model and the disputes opened about it.
/// </summary>
public sealed class JobAuditSubject
{
    // JobMarket's JobStatus enum, in order.
    private static readonly string[] StatusNames = ["none", "open", "submitted", "finalized", "refunded"];

    public required JobOnChain Job { get; init; }
    public required ulong ChainId { get; init; }
    public required string JobMarket { get; init; }
    public required string Status { get; init; }
    public required byte WrongMask { get; init; }
    public required Models.ModelRegisteredEvent Model { get; init; }
    public required IReadOnlyList<JobDispute> Disputes { get; init; }

    /// <summary>Reads job <paramref name="jobId"/>; throws <see cref="JobAuditException"/> when it is unknown or has no result yet.</summary>
    public static async Task<JobAuditSubject> LoadAsync(ChainConnection chain, DeploymentFile deployment, Bytes32 jobId, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(deployment);
        if (!AddressText.IsValid(deployment.JobMarket) || !await chain.HasCodeAsync(deployment.JobMarket, cancellation))
            throw new InvalidDataException($"no JobMarket at '{deployment.JobMarket}' on chain {chain.ChainId}: the deployment file is stale");
        Jobs.JobInfo info = (await chain.QueryOutputAsync<Jobs.GetJobFunction, Jobs.GetJobOutput>(deployment.JobMarket, new Jobs.GetJobFunction { JobId = jobId.ToArray() }, cancellation)).Job;
        if (info.Status == 0) throw new JobAuditException($"job {jobId} does not exist on chain {chain.ChainId} (JobMarket {deployment.JobMarket} has no such job)");
        if (info.Status >= StatusNames.Length) throw new InvalidDataException($"JobMarket reports an unknown status {info.Status} for job {jobId}");
        string status = StatusNames[info.Status];
        JobOnChain job = await JobOnChain.LoadAsync(chain, deployment, jobId, cancellation);
        if (job.Replicas.Count == 0) throw new JobAuditException($"job {jobId} has no submitted result yet (it is {status}): there is nothing to compare");
        return new JobAuditSubject
        {
            Job = job,
            ChainId = (ulong)chain.ChainId,
            JobMarket = deployment.JobMarket,
            Status = status,
            WrongMask = info.WrongMask,
            Model = await DisputeHistory.RegisteredModelAsync(chain, deployment, job, cancellation),
            Disputes = await DisputesAsync(chain, deployment, jobId, cancellation),
        };
    }

    // DisputeOpened indexes (disputeId, jobId, challenger): the job id is the second topic.
    private static async Task<IReadOnlyList<JobDispute>> DisputesAsync(ChainConnection chain, DeploymentFile deployment, Bytes32 jobId, CancellationToken cancellation)
    {
        if (!AddressText.IsValid(deployment.DisputeGame) || !await chain.HasCodeAsync(deployment.DisputeGame, cancellation)) return [];
        FilterLog[] logs = await ChainRecords.LogsAsync(chain, deployment, deployment.DisputeGame, null, cancellation, topic2: jobId.ToString());
        return ChainRecords.Decoded(() => logs.Where(l => l.IsLogForEvent<Game.DisputeOpenedEvent>())
            .Select(l => (Log: l, Event: l.DecodeEvent<Game.DisputeOpenedEvent>().Event))
            .Where(d => StageCommitment.Word(d.Event.JobId) == jobId)
            .OrderBy(d => d.Log.BlockNumber.Value).ThenBy(d => d.Log.LogIndex.Value)
            .Select(d => new JobDispute(d.Event.DisputeId.ToString(CultureInfo.InvariantCulture), AddressText.Checksum(d.Event.Challenger), d.Event.DefenderReplica,
                d.Event.ConflictingReplica, (ulong)d.Log.BlockNumber.Value, d.Log.TransactionHash))
            .ToList(), $"DisputeOpened logs of job {jobId}");
    }
}
