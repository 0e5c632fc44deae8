using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Events;
using DePinLedger.Chain.Rpc;
using DePinLedger.Protocol.Encoding;
using Nethereum.RPC.Eth.DTOs;
using ProtocolRequest = DePinLedger.Protocol.Jobs.JobRequest;

namespace DePinLedger.Gateway.Jobs;

/// <summary>JobMarket's JobStatus.</summary>
public enum OnChainStatus : byte
{
    None,
    Open,
    Submitted,
    Finalized,
    Refunded,
}

/// <summary>A job as the chain holds it: the request the client paid for (from its JobCreated event) and its state.</summary>
public sealed record OnChainJob(Bytes32 JobId, string Client, ProtocolRequest Request, OnChainStatus Status, int LayerCount, DateTimeOffset Deadline);

/// <summary>
/// Reads a job from JobMarket: its state by <c>getJob</c>, its request from the JobCreated log (the only place the
/// sampling parameters live). The request is checked against the job id (keccak256(abi.encode(client, request))), so
/// a lying RPC endpoint cannot substitute another one.
/// </summary>
public sealed class OnChainJobReader(ChainConnection chain, string jobMarket)
{
    private static readonly string JobCreatedTopic = "0x" + Nethereum.Contracts.ABITypedRegistry.GetEvent<JobCreatedEvent>().Sha3Signature;

    /// <summary>The job, or null when JobMarket has none with this id.</summary>
    public async Task<OnChainJob?> ReadAsync(Bytes32 jobId, CancellationToken cancellation)
    {
        JobInfo info = (await chain.QueryOutputAsync<GetJobFunction, GetJobOutput>(jobMarket, new GetJobFunction { JobId = jobId.ToArray() }, cancellation)).Job;
        if (info.Status == (byte)OnChainStatus.None) return null;
        if (info.Status > (byte)OnChainStatus.Refunded) throw new InvalidDataException($"JobMarket reports an unknown status {info.Status} for job {jobId}");

        string idTopic = jobId.ToString();
        var filter = new NewFilterInput
        {
            Address = [jobMarket],
            FromBlock = BlockParameter.CreateEarliest(),
            ToBlock = BlockParameter.CreateLatest(),
            Topics = [JobCreatedTopic, idTopic],
        };
        FilterLog[] logs = await chain.ReadAsync(() => chain.Web3.Eth.Filters.GetLogs.SendRequestAsync(filter), cancellation);
        FilterLog log = logs.FirstOrDefault(l => l.Topics is { Length: > 1 } && string.Equals(l.Topics[1]?.ToString(), idTopic, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidDataException($"job {jobId} exists but the RPC endpoint returned no JobCreated log for it");
        if (ContractEvents.Decode(ContractKind.JobMarket, [.. log.Topics.Select(t => t.ToString()!)], log.Data)?.Event is not JobCreatedEvent created)
            throw new InvalidDataException($"the JobCreated log of job {jobId} does not decode");

        JobRequest r = created.Request;
        var request = new ProtocolRequest(new Bytes32(r.ModelId), new Bytes32(r.PromptHash), r.MaxTokens, r.Temperature, r.TopP, r.Seed, r.Replicas, r.Fee, r.Deadline, new Bytes32(r.Salt));
        if (request.JobId(info.Client) != jobId)
            throw new InvalidDataException($"the JobCreated log returned for job {jobId} is not that job's request");
        return new OnChainJob(jobId, info.Client, request, (OnChainStatus)info.Status, info.LayerCount, DateTimeOffset.FromUnixTimeSeconds((long)info.Deadline));
    }
}
