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
/// A stage whose worker cannot serve it (gone, kept nothing, or serves leaves that do not open against what it
/// signed) can be left out (<see cref="LoadAvailableAsync"/>): reading its leaves then throws.
/// </summary>
public sealed class WorkerTrace : IReplicaTrace
{
    private readonly LeafFields[] _fields;
    private readonly IReadOnlyList<Hash32>[] _proofs;
    private readonly Hash32[] _roots;
    private readonly string?[] _missing;
    private readonly Lazy<MerkleTree>[] _trees;
    private readonly int _slots;

    private WorkerTrace(StageLayout layout, int positions, LeafFields[] fields, IReadOnlyList<Hash32>[] proofs, Hash32[] roots, string?[] missing)
    {
        Layout = layout;
        Positions = positions;
        _fields = fields;
        _proofs = proofs;
        _roots = roots;
        _missing = missing;
        _slots = layout.Layers + 2;
        _trees = [.. Enumerable.Range(0, layout.Stages.Count).Select(s => new Lazy<MerkleTree>(() => StageTree(s)))];
    }

    public StageLayout Layout { get; }

    public int Positions { get; }

    /// <summary>Whether every stage's trace was served.</summary>
    public bool Complete => _missing.All(m => m is null);

    /// <summary>The stages whose trace was served and checked.</summary>
    public IReadOnlyList<int> AvailableStages => [.. Enumerable.Range(0, _missing.Length).Where(s => _missing[s] is null)];

    /// <summary>Why each missing stage is missing.</summary>
    public IEnumerable<string> MissingReasons => _missing.OfType<string>();

    /// <summary>
    /// Fetches the trace of <paramref name="replica"/> of job <paramref name="jobId"/>: <paramref name="positions"/>
    /// positions, stage s from <paramref name="workers"/>[s]. Throws <see cref="InvalidDataException"/> when a worker
    /// serves something that does not open against what it signed, <see cref="RpcException"/> when it cannot serve.
    /// </summary>
    public static async Task<WorkerTrace> LoadAsync(Bytes32 jobId, byte replica, StageLayout layout, int positions, IReadOnlyList<Uri> workers, CancellationToken cancellation) =>
        await LoadAsync(jobId, replica, layout, positions, workers, leaveOutFailing: false, cancellation);

    /// <summary>
    /// As <see cref="LoadAsync(Bytes32, byte, StageLayout, int, IReadOnlyList{Uri}, CancellationToken)"/>, but a stage
    /// whose worker cannot serve a checked trace (an RPC failure or a leaf that does not open) is left out, with the reason.
    /// </summary>
    public static async Task<WorkerTrace> LoadAvailableAsync(Bytes32 jobId, byte replica, StageLayout layout, int positions, IReadOnlyList<Uri> workers, CancellationToken cancellation) =>
        await LoadAsync(jobId, replica, layout, positions, workers, leaveOutFailing: true, cancellation);

    private static async Task<WorkerTrace> LoadAsync(Bytes32 jobId, byte replica, StageLayout layout, int positions, IReadOnlyList<Uri> workers, bool leaveOutFailing, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(workers);
        if (workers.Count != layout.Stages.Count) throw new ArgumentException($"{layout.Stages.Count} stages need as many workers, got {workers.Count}", nameof(workers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positions);
        int slots = layout.Layers + 2;
        var fields = new LeafFields[positions * slots];
        var proofs = new IReadOnlyList<Hash32>[positions * slots];
        var roots = new Hash32[layout.Stages.Count];
        var missing = new string?[layout.Stages.Count];
        for (int s = 0; s < layout.Stages.Count; s++)
        {
            try
            {
                roots[s] = await LoadStageAsync(jobId, replica, layout, s, positions, workers[s], fields, proofs, cancellation);
            }
            catch (Exception e) when (leaveOutFailing && e is RpcException or InvalidDataException or HttpRequestException)
            {
                missing[s] = $"stage {s} ({workers[s]}): {e.Message}";
            }
        }
        return new WorkerTrace(layout, positions, fields, proofs, roots, missing);
    }

    /// <summary>Fetches and checks stage <paramref name="s"/>'s leaves into <paramref name="fields"/> and <paramref name="proofs"/>; returns its root.</summary>
    private static async Task<Hash32> LoadStageAsync(Bytes32 jobId, byte replica, StageLayout layout, int s, int positions, Uri worker,
        LeafFields[] fields, IReadOnlyList<Hash32>[] proofs, CancellationToken cancellation)
    {
        int layers = layout.Layers, slots = layers + 2;
        StageSpan span = layout.Stages[s];
        int perPosition = span.SlotsPerPosition(layers);
        Hash32 stageRoot = Hash32.Zero;
        using var channel = GrpcChannel.ForAddress(worker);
        var client = new Worker.Contracts.Worker.WorkerClient(channel);
        for (int index = 0; index < positions * perPosition; index++)
        {
            GetLeafReply reply = await client.GetLeafAsync(new GetLeafRequest { JobId = ByteString.CopyFrom(jobId.Span), Replica = replica, Stage = (uint)s, Index = index },
                deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellation);
            var at = new TracePoint(reply.Position, reply.Slot);
            if (at.Position != index / perPosition || !span.Owns(at.Slot, layers) || span.LeafIndex(at.Position, at.Slot, layers) != index)
                throw new InvalidDataException($"worker {worker} answered leaf {index} of stage {s} with step {at}");
            LeafFields leaf = FieldsOf(reply, at, layers);
            var root = new Hash32(Exactly32(reply.TraceRoot, "trace root", worker));
            Hash32[] proof = [.. reply.Proof.Select(p => new Hash32(Exactly32(p, "proof node", worker)))];
            if (index == 0) stageRoot = root;
            else if (root != stageRoot) throw new InvalidDataException($"worker {worker} changed stage {s}'s trace root between leaves");
            if (leaf.Leaf(at) != new Hash32(Exactly32(reply.Leaf, "leaf", worker)) || !MerkleTree.Verify(root, leaf.Leaf(at), index, proof))
                throw new InvalidDataException($"worker {worker} served leaf {at} of stage {s} that does not open against its trace root");
            fields[at.Position * slots + at.Slot] = leaf;
            proofs[at.Position * slots + at.Slot] = proof;
        }
        return stageRoot;
    }

    public LeafFields Fields(TracePoint at) => _fields[Index(at)];

    public Hash32 StageRoot(int stage) => _missing[stage] is { } reason ? throw Unavailable(reason) : _roots[stage];

    public IReadOnlyList<Hash32> Proof(TracePoint at) => _proofs[Index(at)];

    /// <summary>The absence proof of a position past the trace's end, from the stage's tree rebuilt from its checked leaves.</summary>
    public (IReadOnlyList<Hash32> Fields, IReadOnlyList<Hash32> Proof) Absence(int stage, int position)
    {
        if (position < Positions) throw new ArgumentOutOfRangeException(nameof(position), $"the trace holds position {position}");
        if (_missing[stage] is { } reason) throw Unavailable(reason);
        StageSpan span = Layout.Stages[stage];
        MerkleTree tree = _trees[stage].Value;
        long index = (long)position * span.SlotsPerPosition(Layout.Layers);
        if (index < 1L << tree.Depth) return ([], tree.PaddingProof((int)index));
        LeafFields first = Fields(new TracePoint(0, span.FirstLayer == 0 ? 0 : span.FirstLayer + 1));
        return ([first.A, first.B], tree.Proof(0));
    }

    /// <summary>A stage's Merkle tree over its leaves in stage order (its root is the checked stage root).</summary>
    private MerkleTree StageTree(int stage)
    {
        StageSpan span = Layout.Stages[stage];
        int layers = Layout.Layers;
        int[] owned = [.. Enumerable.Range(0, _slots).Where(slot => span.Owns(slot, layers))];
        return new MerkleTree([.. Enumerable.Range(0, Positions).SelectMany(t => owned.Select(slot => Fields(new TracePoint(t, slot)).Leaf(new TracePoint(t, slot))))]);
    }

    private static InvalidOperationException Unavailable(string reason) => new($"the trace is unavailable: {reason}");

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
        if (_missing[Layout.StageOf(at.Slot)] is { } reason) throw Unavailable(reason);
        return at.Position * _slots + at.Slot;
    }
}
