using System.Numerics;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Transactions;
using DePinLedger.Protocol.Encoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using ProtocolRequest = DePinLedger.Protocol.Jobs.JobRequest;

namespace DePinLedger.Chain.Clients;

/// <summary>A job as a client reads it back: JobMarket's state and, once submitted, replica 0's commitments.</summary>
public sealed record JobState(Bytes32 JobId, string Status, BigInteger Fee, int Replicas, DateTimeOffset Deadline, DateTimeOffset? SubmittedAt,
    byte WrongMask, int OpenDisputes, Bytes32? ServedTraceRoot, Bytes32? ServedOutputHash, uint ServedTokenCount, DateTimeOffset? ChallengeEndsAt, BigInteger ClientCredit);

/// <summary>One stage's pay (JobMarket's StagePaid event): from the escrow of a finalized job, or from a slash for the honest replica of a job refunded by a dispute.</summary>
public sealed record StagePayout(byte Replica, byte Stage, string Node, string Operator, BigInteger Amount);

/// <summary>
/// How a settled job's fee went: every stage's pay and the treasury's part when it was finalized, or the client's
/// refund and why (expired, all replicas wrong, dispute).
/// </summary>
public sealed record JobSettlement(Bytes32 JobId, string Status, IReadOnlyList<StagePayout> Stages, BigInteger ToTreasury, BigInteger Refunded, string? RefundReason);

/// <summary>
/// The client's side of JobMarket: pay for a job (approving the escrow first when the allowance is short) and read its
/// state. The job id is computed locally (keccak256(abi.encode(client, request))) and checked against the event.
/// </summary>
public sealed class JobClient(TransactionSender sender, DeploymentFile deployment)
{
    private static readonly string[] StatusNames = ["none", "open", "submitted", "finalized", "refunded"];
    private static readonly string[] RefundReasons = ["expired", "all replicas wrong", "dispute"];

    public string Client => sender.Address;

    /// <summary>Creates and pays for <paramref name="request"/>; refuses before sending when the balance is short.</summary>
    public async Task<(Bytes32 JobId, string Transaction)> CreateAsync(ProtocolRequest request, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        ChainConnection chain = sender.Chain;
        BigInteger balance = await chain.QueryAsync<BalanceOfFunction, BigInteger>(deployment.Token, new BalanceOfFunction { Account = Client }, cancellation);
        if (balance < request.Fee)
            throw ContractErrors.Exception(new Contracts.Errors.ERC20InsufficientBalanceError { Sender = Client, Balance = balance, Needed = request.Fee }, ContractErrorDecoder.Tokens18);
        BigInteger allowance = await chain.QueryAsync<AllowanceFunction, BigInteger>(deployment.Token, new AllowanceFunction { Owner = Client, Spender = deployment.JobMarket }, cancellation);
        if (allowance < request.Fee)
            await sender.SendAsync(deployment.Token, new ApproveFunction { Spender = deployment.JobMarket, Value = request.Fee }, "approve the job fee", progress, cancellation);
        SentTransaction sent = await sender.SendAsync(deployment.JobMarket, new CreateJobFunction { Request = ChainRequest(request) }, "create and pay the job", progress, cancellation);
        Bytes32 jobId = request.JobId(Client);
        JobCreatedEvent created = sent.Receipt.DecodeAllEvents<JobCreatedEvent>().Single().Event;
        if (new Bytes32(created.JobId) != jobId) throw new InvalidDataException($"JobMarket created job {new Bytes32(created.JobId)}, not the expected {jobId}");
        return (jobId, sent.Hash);
    }

    /// <summary>The request as JobMarket's ABI struct (createJob, createJobFor, jobVoucherDigest).</summary>
    public static JobRequest ChainRequest(ProtocolRequest request) => new()
    {
        ModelId = request.ModelId.ToArray(),
        PromptHash = request.PromptHash.ToArray(),
        MaxTokens = request.MaxTokens,
        Temperature = request.Temperature,
        TopP = request.TopP,
        Seed = request.Seed,
        Replicas = request.Replicas,
        Fee = request.Fee,
        Deadline = request.Deadline,
        Salt = request.Salt.ToArray(),
    };

    /// <summary>The job's on-chain state; null when JobMarket has no such job.</summary>
    public async Task<JobState?> StateAsync(Bytes32 jobId, CancellationToken cancellation)
    {
        ChainConnection chain = sender.Chain;
        JobInfo job = (await chain.QueryOutputAsync<GetJobFunction, GetJobOutput>(deployment.JobMarket, new GetJobFunction { JobId = jobId.ToArray() }, cancellation)).Job;
        if (job.Status == 0) return null;
        if (job.Status >= StatusNames.Length) throw new InvalidDataException($"JobMarket reports an unknown status {job.Status}");
        ReplicaInfo? served = null;
        DateTimeOffset? challengeEnds = null;
        if (job.SubmittedAt != 0)
        {
            served = (await chain.QueryOutputAsync<GetReplicaFunction, GetReplicaOutput>(deployment.JobMarket, new GetReplicaFunction { JobId = jobId.ToArray(), Replica = 0 }, cancellation)).Replica;
            challengeEnds = DateTimeOffset.FromUnixTimeSeconds((long)await chain.QueryAsync<ChallengeDeadlineFunction, BigInteger>(deployment.JobMarket, new ChallengeDeadlineFunction { JobId = jobId.ToArray() }, cancellation));
        }
        BigInteger credit = await chain.QueryAsync<CreditOfFunction, BigInteger>(deployment.JobMarket, new CreditOfFunction { Account = job.Client }, cancellation);
        return new JobState(jobId, StatusNames[job.Status], job.Fee, job.Replicas, DateTimeOffset.FromUnixTimeSeconds((long)job.Deadline),
            job.SubmittedAt == 0 ? null : DateTimeOffset.FromUnixTimeSeconds((long)job.SubmittedAt), job.WrongMask, job.FreezeCount,
            served is null ? null : new Bytes32(served.ResultRoot), served is null ? null : new Bytes32(served.OutputHash), served?.TokenCount ?? 0, challengeEnds, credit);
    }

    /// <summary>
    /// Waits until the job is settled on-chain (finalized after its challenge window, or refunded), polling every
    /// <paramref name="poll"/>, and returns how its fee went. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<JobSettlement> WaitSettledAsync(Bytes32 jobId, TimeSpan timeout, TimeSpan poll, Action<JobState>? progress, CancellationToken cancellation)
    {
        DateTimeOffset giveUp = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            JobState state = await StateAsync(jobId, cancellation) ?? throw new InvalidOperationException($"JobMarket has no job {jobId}");
            if (state.Status is "finalized" or "refunded") return await SettlementAsync(jobId, state.Status, cancellation);
            progress?.Invoke(state);
            if (DateTimeOffset.UtcNow >= giveUp)
                throw new TimeoutException($"job {jobId} is still {state.Status} after {timeout.TotalMinutes:F0} min" + (state.ChallengeEndsAt is { } ends ? $" (its challenge window ends {ends:u})" : ""));
            await Task.Delay(poll, cancellation);
        }
    }

    /// <summary>How a settled job's fee went, from JobMarket's StagePaid, JobFinalized and JobRefunded events of the job.</summary>
    public async Task<JobSettlement> SettlementAsync(Bytes32 jobId, string status, CancellationToken cancellation)
    {
        IReadOnlyList<StagePaidEvent> paid = await EventsAsync<StagePaidEvent>(jobId, cancellation);
        IReadOnlyList<JobFinalizedEvent> finalized = await EventsAsync<JobFinalizedEvent>(jobId, cancellation);
        IReadOnlyList<JobRefundedEvent> refunded = await EventsAsync<JobRefundedEvent>(jobId, cancellation);
        JobRefundedEvent? refund = refunded.Count > 0 ? refunded[0] : null;
        return new JobSettlement(jobId, status,
            [.. paid.Select(p => new StagePayout(p.Replica, p.Stage, p.Node, p.Operator, p.Amount))],
            finalized.Count > 0 ? finalized[0].ToTreasury : BigInteger.Zero,
            refund?.Amount ?? BigInteger.Zero,
            refund is null ? null : refund.Reason < RefundReasons.Length ? RefundReasons[refund.Reason] : $"reason {refund.Reason}");
    }

    /// <summary>
    /// Every <typeparamref name="TEvent"/> JobMarket emitted since its deployment; with <paramref name="jobId"/>, only
    /// those of that job (the job id is the first indexed parameter of every job event).
    /// </summary>
    public async Task<IReadOnlyList<TEvent>> EventsAsync<TEvent>(Bytes32? jobId, CancellationToken cancellation) where TEvent : IEventDTO, new()
    {
        ChainConnection chain = sender.Chain;
        Event<TEvent> handler = chain.Web3.Eth.GetEvent<TEvent>(deployment.JobMarket);
        var filter = handler.CreateFilterInput(new BlockParameter(new HexBigInteger(deployment.StartBlock)), BlockParameter.CreateLatest());
        // A job id narrows the second topic, a bytes32 as it stands.
        if (jobId is { } job) filter.Topics = [filter.Topics[0], job.ToString()];
        return [.. (await chain.ReadAsync(() => handler.GetAllChangesAsync(filter), cancellation)).Select(e => e.Event)];
    }
}
