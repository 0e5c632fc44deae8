using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Contracts;
using DePinLedger.Worker.DataPath;
using DePinLedger.Worker.Serving;
using DePinLedger.Worker.Sessions;
using DePinLedger.Worker.Traces;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using InferenceHash = DePinLedger.Inference.Commitments.Hash32;

namespace DePinLedger.Worker.Grpc;

/// <summary>
/// The gRPC surface, kept thin: checks every message (sizes, ranges, session, order) and maps failures to a status
/// (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, RESOURCE_EXHAUSTED); the work is in <see cref="WorkerNode"/>, and
/// Forward is <see cref="ForwardHandler"/>, which the direct data path shares.
/// </summary>
public sealed class WorkerGrpcService(WorkerNode node, ForwardHandler forward, DataPathServer dataPath, ILogger<WorkerGrpcService> logger) : Contracts.Worker.WorkerBase
{
    public override Task<InfoReply> Info(InfoRequest request, ServerCallContext context)
    {
        var c = node.Model.Config;
        return Task.FromResult(new InfoReply
        {
            ModelId = node.Model.ModelId.ToString(),
            FirstLayer = node.Options.FirstLayer,
            EndLayer = node.Options.LastLayer + 1,
            Layers = c.Layers,
            Dim = c.Dim,
            Vocab = c.VocabSize,
            MaxPositions = c.SeqLen,
            KvBudgetBytes = node.Options.KvBudgetBytes,
            KvUsedBytes = node.KvUsedBytes,
            OpenSessions = node.OpenSessions,
            PositionsPerSecond = node.PositionsPerSecond,
            NodeAddress = node.Key.Address,
            DataPort = dataPath.Port,
        });
    }

    public override Task<OpenSessionReply> OpenSession(OpenSessionRequest request, ServerCallContext context)
    {
        CallChecks.Require(request.JobId.Length == 32, "job_id must be 32 bytes");
        CallChecks.Require(request.Replica <= 1, "replica must be 0 or 1");
        CallChecks.Require(request.Stage <= byte.MaxValue, "stage must be 0..255");
        CallChecks.Require(request.MaxPositions >= 1 && request.MaxPositions <= node.Model.Config.SeqLen, $"max_positions must be 1..{node.Model.Config.SeqLen}");
        CallChecks.Require(request.Seed.Length == 32, "seed must be 32 bytes");
        CallChecks.Require(request.ChainId > 0, "chain_id must be positive");
        CallChecks.Require(node.Options.ChainId is null || node.Options.ChainId == request.ChainId, $"this node serves chain {node.Options.ChainId}, not {request.ChainId}");
        CallChecks.Require(AddressText.IsValid(request.JobMarket), "job_market must be a 0x-address");
        var sampling = new SamplingParams(request.TemperatureMilli, request.TopPMilli, new InferenceHash(request.Seed.Span));
        try
        {
            sampling.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CallChecks.Invalid(e.Message);
        }
        var spec = new SessionSpec(new Bytes32(request.JobId.Span), (byte)request.Replica, (byte)request.Stage, request.MaxPositions, sampling,
            Eip712Domain.For(request.ChainId, request.JobMarket));
        try
        {
            StageSession session = node.Open(spec);
            WorkerLog.SessionOpened(logger, session.Id, spec.JobId.ToString(), spec.Stage, spec.MaxPositions);
            return Task.FromResult(new OpenSessionReply { SessionId = session.Id, KvBytes = StageSession.KvBytes(node.Model.Config, node.Options.LayerCount, spec.MaxPositions) });
        }
        catch (BudgetExceededException e)
        {
            WorkerLog.SessionRefused(logger, e.Message);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }

    public override Task<ForwardReply> Forward(ForwardRequest request, ServerCallContext context) => forward.HandleAsync(request, context.CancellationToken);

    public override async Task<CloseSessionReply> CloseSession(CloseSessionRequest request, ServerCallContext context)
    {
        StageSession session = CallChecks.Session(node, request.SessionId);
        await session.Gate.WaitAsync(context.CancellationToken);
        (StageReceipt receipt, byte[] signature) signed;
        int positions = session.Length;
        try
        {
            if (session.Ended) throw new RpcException(new Status(StatusCode.NotFound, $"session {session.Id} has ended"));
            signed = session.Close(node.Key);
        }
        finally
        {
            node.Remove(session);
            session.Gate.Release();
        }
        StageReceipt r = signed.receipt;
        WorkerLog.SessionClosed(logger, session.Id, positions, r.TraceRoot.ToString());
        return new CloseSessionReply
        {
            JobId = ByteString.CopyFrom(r.JobId.Span),
            Replica = r.Replica,
            Stage = r.Stage,
            FirstLayer = r.FirstLayer,
            LastLayer = r.LastLayer,
            InputRoot = ByteString.CopyFrom(r.InputRoot.Span),
            TraceRoot = ByteString.CopyFrom(r.TraceRoot.Span),
            OutputRoot = ByteString.CopyFrom(r.OutputRoot.Span),
            Signature = ByteString.CopyFrom(signed.signature),
            Signer = node.Key.Address,
            Positions = positions,
        };
    }

    public override Task<GetLeafReply> GetLeaf(GetLeafRequest request, ServerCallContext context)
    {
        CallChecks.Require(request.JobId.Length == 32, "job_id must be 32 bytes");
        CallChecks.Require(request.Replica <= 1 && request.Stage <= byte.MaxValue, "replica must be 0 or 1 and stage 0..255");
        CallChecks.Require(request.Index >= 0, "index must not be negative");
        string key = $"{Convert.ToHexStringLower(request.JobId.Span)}-{request.Replica}-{request.Stage}";
        RetainedLeaf? leaf;
        try
        {
            leaf = node.Traces.Read(key, request.Index);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange, e.Message));
        }
        if (leaf is null) throw new RpcException(new Status(StatusCode.NotFound, $"no retained trace for job {key}"));
        var reply = new GetLeafReply
        {
            Leaf = ByteString.CopyFrom(leaf.Leaf.AsSpan()),
            TraceRoot = ByteString.CopyFrom(leaf.TraceRoot.AsSpan()),
            Position = leaf.Position,
            Slot = leaf.Slot,
            Token = leaf.Token,
            Hidden = ByteString.CopyFrom(leaf.Hidden),
            Key = ByteString.CopyFrom(leaf.Key),
            Value = ByteString.CopyFrom(leaf.Value),
            KvRoot = ByteString.CopyFrom(leaf.KvRoot),
        };
        reply.Proof.AddRange(leaf.Proof.Select(h => ByteString.CopyFrom(h.AsSpan())));
        return Task.FromResult(reply);
    }
}
