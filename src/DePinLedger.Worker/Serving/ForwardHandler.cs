using DePinLedger.Worker.Contracts;
using DePinLedger.Worker.Sessions;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Worker.Serving;

/// <summary>
/// The Forward call, the same on both transports (the gRPC service and the direct data path): checks the message
/// against its session (sizes, ranges, order), runs the fault schedule, computes. Failures are <see cref="RpcException"/>s
/// whose status each transport reports as is.
/// </summary>
public sealed class ForwardHandler(WorkerNode node, ILogger<ForwardHandler> logger)
{
    public async Task<ForwardReply> HandleAsync(ForwardRequest request, CancellationToken cancellation)
    {
        StageSession session = CallChecks.Session(node, request.SessionId);
        int dim = node.Model.Config.Dim, vocab = node.Model.Config.VocabSize, count = request.Count;
        CallChecks.Require(count >= 1 && count <= node.Options.MaxBatch, $"count must be 1..{node.Options.MaxBatch}");
        CallChecks.Require(request.StartPosition >= 0, "start_position must not be negative");
        if (session.IsFirst)
        {
            CallChecks.Require(request.Tokens.Count == count, $"the first stage takes one token per position: {count} expected, {request.Tokens.Count} given");
            CallChecks.Require(request.Tokens.All(t => t >= 0 && t < vocab), $"tokens must be within 0..{vocab - 1}");
            CallChecks.Require(request.Hidden.IsEmpty, "the first stage takes tokens, not hidden vectors");
        }
        else
        {
            CallChecks.Require(request.Tokens.Count == 0, "only the first stage takes tokens");
            CallChecks.Require(request.Hidden.Length == (long)count * dim * 4, $"hidden must be count × dim × 4 = {(long)count * dim * 4} bytes, got {request.Hidden.Length}");
        }
        if (session.IsLast)
        {
            CallChecks.Require(request.ForcedNext.Count == count || request.ForcedNext.Count == count - 1, "forced_next must have count or count − 1 entries");
            CallChecks.Require(request.ForcedNext.All(t => t >= 0 && t < vocab), $"forced_next tokens must be within 0..{vocab - 1}");
        }
        else CallChecks.Require(request.ForcedNext.Count == 0, "only the last stage takes forced_next");

        long step = node.NextStep();
        var faults = node.Options.Faults;
        if (faults.CrashAtStep > 0 && step >= faults.CrashAtStep)
        {
            WorkerLog.Crashing(logger, step);
            Environment.Exit(137);
        }
        if (faults.StepDelay > TimeSpan.Zero && step >= faults.DelayFromStep) await Task.Delay(faults.StepDelay, cancellation);

        await session.Gate.WaitAsync(cancellation);
        ForwardResult result;
        try
        {
            if (session.Ended) throw new RpcException(new Status(StatusCode.NotFound, $"session {session.Id} has ended"));
            result = session.Forward(new ForwardBatch(request.StartPosition, count, request.Tokens, request.Hidden.Memory, request.ForcedNext));
        }
        catch (SessionStateException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        catch (ArgumentException e)
        {
            throw CallChecks.Invalid(e.Message);
        }
        finally
        {
            session.Gate.Release();
        }
        node.Measured(count, result.Compute);
        return new ForwardReply
        {
            Hidden = UnsafeByteOperations.UnsafeWrap(result.Hidden),
            Token = result.Token,
            Leaves = UnsafeByteOperations.UnsafeWrap(result.Leaves),
            ComputeMicros = (long)result.Compute.TotalMicroseconds,
        };
    }
}
