using DePinLedger.Inference.Commitments;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Worker.Contracts;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace DePinLedger.Disputes.Traces;

/// <summary>
/// A replica's trace as its workers retained it: every leaf's fields and Merkle opening fetched over gRPC (GetLeaf)
/// from the worker that ran each stage, each leaf checked against its fields and its opening against the stage's
/// root. This is the trace of what the nodes really computed (faults included), which no recomputation can give.
/// </summary>
public sealed class WorkerTrace : IReplicaTrace
{
    private readonly LeafFields[] _fields;
    private readonly IReadOnlyList<Hash32>[] _proofs;
    private readonly Hash32[] _roots;
    private readonly int _slots;

    private WorkerTrace(StageLayout layout, int positions, LeafFields[] fields, IReadOnlyList<Hash32>[] proofs, Hash32[] roots)
    {
        Layout = layout;
        Positions = positions;
        _fields = fields;
        _proofs = proofs;
        _roots = roots;
        _slots = layout.Layers + 2;
    }

    public StageLayout Layout { get; }

    public int Positions { get; }

    /// <summary>
    /// Fetches the trace of <paramref name="replica"/> of job <paramref name="jobId"/>: <paramref name="positions"/>
    /// positions, stage s from <paramref name="workers"/>[s]. Throws <see cref="InvalidDataException"/> when a worker
    /// serves something that does not open against what it signed, <see cref="RpcException"/> when it cannot serve.
    /// </summary>
    public static async Task<WorkerTrace> LoadAsync(Bytes32 jobId, byte replica, StageLayout layout, int positions, IReadOnlyList<Uri> workers, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(workers);
        if (workers.Count != layout.Stages.Count) throw new ArgumentException($"{layout.Stages.Count} stages need as many workers, got {workers.Count}", nameof(workers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positions);
        int layers = layout.Layers, slots = layers + 2;
        var fields = new LeafFields[positions * slots];
        var proofs = new IReadOnlyList<Hash32>[positions * slots];
        var roots = new Hash32[layout.Stages.Count];
        for (int s = 0; s < layout.Stages.Count; s++)
        {
            StageSpan span = layout.Stages[s];
            int perPosition = span.SlotsPerPosition(layers);
            using var channel = GrpcChannel.ForAddress(workers[s]);
            var client = new Worker.Contracts.Worker.WorkerClient(channel);
            for (int index = 0; index < positions * perPosition; index++)
            {
                GetLeafReply reply = await client.GetLeafAsync(new GetLeafRequest { JobId = ByteString.CopyFrom(jobId.Span), Replica = replica, Stage = (uint)s, Index = index },
                    deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellation);
                var at = new TracePoint(reply.Position, reply.Slot);
                if (at.Position != index / perPosition || !span.Owns(at.Slot, layers) || span.LeafIndex(at.Position, at.Slot, layers) != index)
                    throw new InvalidDataException($"worker {workers[s]} answered leaf {index} of stage {s} with step {at}");
                LeafFields leaf = FieldsOf(reply, at, layers);
                var root = new Hash32(Exactly32(reply.TraceRoot, "trace root", workers[s]));
                Hash32[] proof = [.. reply.Proof.Select(p => new Hash32(Exactly32(p, "proof node", workers[s])))];
                if (index == 0) roots[s] = root;
                else if (root != roots[s]) throw new InvalidDataException($"worker {workers[s]} changed stage {s}'s trace root between leaves");
                if (leaf.Leaf(at) != new Hash32(Exactly32(reply.Leaf, "leaf", workers[s])) || !MerkleTree.Verify(root, leaf.Leaf(at), index, proof))
                    throw new InvalidDataException($"worker {workers[s]} served leaf {at} of stage {s} that does not open against its trace root");
                fields[at.Position * slots + at.Slot] = leaf;
                proofs[at.Position * slots + at.Slot] = proof;
            }
        }
        return new WorkerTrace(layout, positions, fields, proofs, roots);
    }

    public LeafFields Fields(TracePoint at) => _fields[Index(at)];

    public Hash32 StageRoot(int stage) => _roots[stage];

    public IReadOnlyList<Hash32> Proof(TracePoint at) => _proofs[Index(at)];

    /// <summary>The fast path never needs an absence proof; the bisection's, from a worker, is not implemented.</summary>
    public (IReadOnlyList<Hash32> Fields, IReadOnlyList<Hash32> Proof) Absence(int stage, int position) =>
        throw new NotSupportedException("absence proofs from a worker's retained trace are not implemented (the fast path does not need them)");

    /// <summary>The leaf's fields from the retained step (SPEC.md §9): embedding (keccak h, token), block (keccak h, K/V root), head (0, token).</summary>
    private static LeafFields FieldsOf(GetLeafReply reply, TracePoint at, int layers)
    {
        Span<byte> b = stackalloc byte[32];
        if (at.Slot == layers + 1)
        {
            TraceLeaves.TokenField(reply.Token, b);
            return new LeafFields(Hash32.Zero, new Hash32(b));
        }
        if (reply.Hidden.IsEmpty || reply.Hidden.Length % 4 != 0) throw new InvalidDataException($"the retained step {at} has no hidden vector");
        var a = Keccak256.Hash(reply.Hidden.Span);
        if (at.Slot == 0) TraceLeaves.TokenField(reply.Token, b);
        else Exactly32(reply.KvRoot, "K/V root", null).CopyTo(b);
        return new LeafFields(a, new Hash32(b));
    }

    private static ReadOnlySpan<byte> Exactly32(ByteString bytes, string what, Uri? worker) =>
        bytes.Length == 32 ? bytes.Span : throw new InvalidDataException($"worker {worker} sent a {what} of {bytes.Length} bytes");

    private int Index(TracePoint at)
    {
        if ((uint)at.Position >= (uint)Positions || (uint)at.Slot >= (uint)_slots)
            throw new ArgumentOutOfRangeException(nameof(at), $"step {at} is outside the trace ({Positions} positions)");
        return at.Position * _slots + at.Slot;
    }
}
