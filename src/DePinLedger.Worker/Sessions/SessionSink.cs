using DePinLedger.Inference.Commitments;
using DePinLedger.Worker.Traces;

namespace DePinLedger.Worker.Sessions;

/// <summary>Collects a session's leaves in trace order (the stage's steps arrive position by position, slot by slot) and streams every step to its retained trace file.</summary>
/// <para>The corrupted-leaf fault lives here: the leaf at (<paramref name="corruptPosition"/>, <paramref name="corruptSlot"/>)
/// is committed with its last byte flipped, in the leaves and in the retained file alike.</para>
internal sealed class SessionSink(TraceWriter writer, int capacity, int corruptPosition = -1, int corruptSlot = -1) : ITraceSink, IDisposable
{
    private readonly byte[] _leaves = new byte[(long)capacity * 32];

    public int Count { get; private set; }

    public void Record(in TraceStep step)
    {
        if (Count >= capacity) throw new InvalidOperationException("the session's trace is full");
        Span<byte> leaf = _leaves.AsSpan(Count * 32, 32);
        step.Leaf[..32].CopyTo(leaf);
        Count++;
        if (step.Position != corruptPosition || step.Slot != corruptSlot)
        {
            writer.Write(step);
            return;
        }
        leaf[31] ^= 0xFF;
        writer.Write(new TraceStep
        {
            Position = step.Position, Slot = step.Slot, Hidden = step.Hidden, Key = step.Key, Value = step.Value,
            KvRoot = step.KvRoot, Token = step.Token, Leaf = leaf,
        });
    }

    public byte[] LeafBytes(int start, int count) => _leaves.AsSpan(start * 32, count * 32).ToArray();

    /// <summary>The stage's trace root; the trace file is complete from here on.</summary>
    public Hash32 Seal()
    {
        var leaves = new Hash32[Count];
        for (int i = 0; i < Count; i++) leaves[i] = new Hash32(_leaves.AsSpan(i * 32, 32));
        writer.Commit();
        return MerkleTree.ComputeRoot(leaves);
    }

    public void Dispose() => writer.Dispose();
}
