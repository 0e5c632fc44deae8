using DePinLedger.Worker.Sessions;
using Grpc.Core;

namespace DePinLedger.Worker.Serving;

/// <summary>The checks every call shares, failing with the gRPC status both transports report (INVALID_ARGUMENT, NOT_FOUND).</summary>
internal static class CallChecks
{
    /// <summary>The open session with this id.</summary>
    public static StageSession Session(WorkerNode node, string id)
    {
        Require(!string.IsNullOrEmpty(id) && id.Length <= 64, "session_id is required");
        return node.Find(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"unknown session {id}"));
    }

    public static void Require(bool condition, string message)
    {
        if (!condition) throw Invalid(message);
    }

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
