using DePinLedger.Inference.Commitments;

namespace DePinLedger.Disputes.Traces;

/// <summary>A step of a trace: token position and slot (0 embedding, 1..L blocks, L+1 head).</summary>
public readonly record struct TracePoint(int Position, int Slot)
{
    /// <summary>Index in the whole-job trace: t·(L+2)+slot.</summary>
    public int Index(int layers) => Position * (layers + 2) + Slot;

    public override string ToString() => $"(position {Position}, slot {Slot})";
}

/// <summary>The two fields a leaf hashes besides its position and slot (SPEC.md §9).</summary>
public readonly record struct LeafFields(Hash32 A, Hash32 B)
{
    public Hash32 Leaf(TracePoint at)
    {
        Span<byte> digest = stackalloc byte[32];
        TraceLeaves.Leaf(at.Position, at.Slot, A.AsSpan(), B.AsSpan(), digest);
        return new Hash32(digest);
    }
}

/// <summary>
/// One replica's trace as its stages committed to it: every leaf's fields and, per stage, the Merkle tree its node
/// signed the root of. What the fast narrowing path opens.
/// </summary>
public interface IReplicaTrace
{
    StageLayout Layout { get; }

    /// <summary>Positions the trace holds (every one with all L+2 leaves).</summary>
    int Positions { get; }

    LeafFields Fields(TracePoint at);

    /// <summary>The signed trace root of stage <paramref name="stage"/>.</summary>
    Hash32 StageRoot(int stage);

    /// <summary>Merkle opening of leaf <paramref name="at"/> in the trace of the stage that owns its slot.</summary>
    IReadOnlyList<Hash32> Proof(TracePoint at);

    /// <summary>
    /// Proof that stage <paramref name="stage"/>'s trace holds no leaves at <paramref name="position"/> (at or past
    /// <see cref="Positions"/>), as the game's PartReveal takes it: with j = position · n, a zero padding leaf at j
    /// (no fields) when j is inside the padded tree, else the stage's first leaf (its a, b) at index 0, whose
    /// proof length shows the tree is too small for j.
    /// </summary>
    (IReadOnlyList<Hash32> Fields, IReadOnlyList<Hash32> Proof) Absence(int stage, int position);
}

/// <summary>Where replica traces come from.</summary>
/// <remarks>
/// <see cref="EngineTraceSource"/> recomputes a trace with the in-process engine (what an auditor or a coordinator
/// holding the job's inputs can always do). Fetching the leaves a worker retained (gRPC GetLeaf) is a later
/// implementation of this interface.
/// </remarks>
public interface ITraceSource
{
    Task<IReplicaTrace> LoadAsync(ReplicaRun run, CancellationToken cancellation);
}
