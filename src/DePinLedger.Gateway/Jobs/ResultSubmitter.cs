using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Transactions;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Gateway.Jobs;

/// <summary>
/// Submits a job's replicas to JobMarket (<c>submitResult</c>): per replica the trace root, output hash, token count
/// and every stage's receipt roots with the node's signature. Anyone may submit; the contract recovers each stage's
/// node from its signature, so the submitter's account only pays the gas.
/// </summary>
public sealed class ResultSubmitter(TransactionSender sender, string jobMarket)
{
    public async Task<string> SubmitAsync(Bytes32 jobId, IReadOnlyList<PipelineResult> replicas, CancellationToken cancellation)
    {
        var function = new SubmitResultFunction { JobId = jobId.ToArray(), Results = [.. replicas.Select(Replica)] };
        SentTransaction sent = await sender.SendAsync(jobMarket, function, $"submit the result of job {jobId}", null, cancellation);
        return sent.Hash;
    }

    private static ReplicaResult Replica(PipelineResult result) => new()
    {
        ResultRoot = result.TraceRoot.AsSpan().ToArray(),
        OutputHash = result.OutputHash.AsSpan().ToArray(),
        TokenCount = (uint)result.OutputTokens.Count,
        Stages =
        [
            .. result.Receipts.Select(r => new SignedStage
            {
                FirstLayer = r.Receipt.FirstLayer,
                LastLayer = r.Receipt.LastLayer,
                InputRoot = r.Receipt.InputRoot.ToArray(),
                TraceRoot = r.Receipt.TraceRoot.ToArray(),
                OutputRoot = r.Receipt.OutputRoot.ToArray(),
                Signature = r.Signature,
            }),
        ],
    };
}
