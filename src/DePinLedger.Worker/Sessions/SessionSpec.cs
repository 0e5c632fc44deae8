using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Worker.Sessions;

/// <summary>What a session is opened with, validated at the boundary.</summary>
public sealed record SessionSpec(Bytes32 JobId, byte Replica, byte Stage, int MaxPositions, SamplingParams Sampling, Eip712Domain JobMarket)
{
    /// <summary>The file name stem of the session's retained trace.</summary>
    public string TraceKey => $"{Convert.ToHexStringLower(JobId.Span)}-{Replica}-{Stage}";
}
