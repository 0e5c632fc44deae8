using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Disputes.Traces;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Jobs = DePinLedger.Chain.Contracts.Jobs;

namespace DePinLedger.Disputes.Client;

/// <summary>A replica's result as submitted: the stage records JobMarket emitted and the signatures in the submit calldata.</summary>
public sealed record SubmittedReplica(byte Replica, IReadOnlyList<StageCommitment> Stages, IReadOnlyList<byte[]> Signatures, string Transaction)
{
    /// <summary>The result root (Merkle root over the whole job's leaves), output hash and token count ResultSubmitted logged.</summary>
    public Bytes32 ResultRoot { get; init; }

    public Bytes32 OutputHash { get; init; }

    public uint TokenCount { get; init; }
}

/// <summary>
/// A job as the chain records it: the request (JobCreated) and each replica's verified stages (ResultSubmitted, with
/// the receipt signatures from the submit transaction's calldata). What a dispute needs besides the traces and the
/// prompt (which travels off-chain; its hash is in the request).
/// </summary>
public sealed record JobOnChain(Bytes32 JobId, string Client, JobRequest Request, IReadOnlyList<SubmittedReplica> Replicas)
{
    public static async Task<JobOnChain> LoadAsync(ChainConnection chain, DeploymentFile deployment, Bytes32 jobId, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(deployment);
        FilterLog[] logs = await ChainRecords.LogsAsync(chain, deployment, deployment.JobMarket, jobId.ToString(), cancellation);
        Jobs.JobCreatedEvent created = ChainRecords.Decoded(
            () => logs.Where(l => l.IsLogForEvent<Jobs.JobCreatedEvent>()).Select(l => l.DecodeEvent<Jobs.JobCreatedEvent>().Event).SingleOrDefault(), $"JobCreated of job {jobId}")
            ?? throw new InvalidDataException($"job {jobId} has no JobCreated event at {deployment.JobMarket}");
        var transactions = new Dictionary<string, Transaction>(StringComparer.OrdinalIgnoreCase);
        var replicas = new List<SubmittedReplica>();
        foreach (FilterLog log in logs.Where(l => l.IsLogForEvent<Jobs.ResultSubmittedEvent>()))
        {
            Jobs.ResultSubmittedEvent result = ChainRecords.Decoded(() => log.DecodeEvent<Jobs.ResultSubmittedEvent>().Event, $"ResultSubmitted of job {jobId}");
            Transaction tx = await ChainRecords.TransactionAsync(chain, log.TransactionHash, transactions, cancellation);
            Jobs.SubmitResultFunction? submit = ChainRecords.Decode<Jobs.SubmitResultFunction>(tx.Input);
            List<byte[]> signatures = submit is not null && result.Replica < submit.Results.Count
                ? submit.Results[result.Replica].Stages.Select(s => s.Signature).ToList()
                : [];
            replicas.Add(new SubmittedReplica(result.Replica, result.Stages.Select(StageCommitment.From).ToList(), signatures, log.TransactionHash)
            {
                ResultRoot = StageCommitment.Word(result.ResultRoot), OutputHash = StageCommitment.Word(result.OutputHash), TokenCount = result.TokenCount,
            });
        }
        Jobs.JobRequest r = created.Request;
        var request = new JobRequest(StageCommitment.Word(r.ModelId), StageCommitment.Word(r.PromptHash), r.MaxTokens, r.Temperature, r.TopP, r.Seed, r.Replicas,
            r.Fee, r.Deadline, StageCommitment.Word(r.Salt));
        if (request.JobId(created.Client) != jobId) throw new InvalidDataException($"the JobCreated event of {jobId} carries a request that hashes to another id");
        return new JobOnChain(jobId, AddressText.Checksum(created.Client), request, replicas);
    }

    /// <summary>Replica <paramref name="replica"/>'s side of a dispute, with its trace (checked against the signed roots when disputing).</summary>
    public ReplicaSide Side(byte replica, IReplicaTrace trace) =>
        new(replica, (Replicas.FirstOrDefault(r => r.Replica == replica) ?? throw new InvalidOperationException($"replica {replica} of job {JobId} has submitted no result")).Stages, trace);

    /// <summary>The dispute case of replicas 0 and 1, after checking that <paramref name="prompt"/> is the job's.</summary>
    public DisputeCase Case(IReadOnlyList<int> prompt, IReplicaTrace replica0, IReplicaTrace replica1)
    {
        CheckPrompt(prompt);
        return new DisputeCase(JobId, Request, prompt, Side(0, replica0), Side(1, replica1));
    }

    /// <summary>
    /// The dispute case of one replica against the challenger's own commitment (a job run once, or a replica checked
    /// by anyone): <paramref name="own"/> is the challenger's trace, committed as stages with node zero.
    /// </summary>
    public DisputeCase OwnCommitmentCase(IReadOnlyList<int> prompt, byte replica, IReplicaTrace trace, IReplicaTrace own)
    {
        ArgumentNullException.ThrowIfNull(own);
        CheckPrompt(prompt);
        const string none = "0x0000000000000000000000000000000000000000";
        var stages = own.Layout.Stages.Select((span, i) => new StageCommitment(none, span, Bytes32.Zero, new Bytes32(own.StageRoot(i).AsSpan()), Bytes32.Zero)).ToList();
        return new DisputeCase(JobId, Request, prompt, Side(replica, trace), new ReplicaSide(DisputeClient.OwnCommitment, stages, own));
    }

    private void CheckPrompt(IReadOnlyList<int> prompt)
    {
        if (JobTerms.PromptHash(prompt) != Request.PromptHash) throw new ArgumentException($"the prompt does not hash to job {JobId}'s promptHash {Request.PromptHash}", nameof(prompt));
    }
}
