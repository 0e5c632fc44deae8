namespace DePinLedger.Inference.Commitments;

/// <summary>One recorded step, as handed to a trace sink. Spans are only valid during the call.</summary>
public readonly ref struct TraceStep
{
    public int Position { get; init; }

    /// <summary>0 = embedding, 1..L = block slot−1, L+1 = head.</summary>
    public int Slot { get; init; }

    /// <summary>The step's output hidden vector (empty for a head step).</summary>
    public ReadOnlySpan<int> Hidden { get; init; }

    /// <summary>Key and value the block wrote at this position (empty for embedding and head steps).</summary>
    public ReadOnlySpan<int> Key { get; init; }

    public ReadOnlySpan<int> Value { get; init; }

    /// <summary>The block's running key/value root after this position (empty otherwise).</summary>
    public ReadOnlySpan<byte> KvRoot { get; init; }

    /// <summary>Embedded or sampled token; −1 for block steps.</summary>
    public int Token { get; init; }

    public ReadOnlySpan<byte> Leaf { get; init; }
}

/// <summary>Receives every step of a forward pass (a trace recorder, a disk retainer, or both).</summary>
public interface ITraceSink
{
    void Record(in TraceStep step);
}

/// <summary>
/// Keeps the leaf hashes of a trace in a buffer allocated once, indexed by (position, slot), so
/// that prefill (span by span) and decode (token by token) fill it identically. The trace is the
/// recorded leaves in token-major order: by position, then slot.
/// </summary>
public sealed class TraceRecorder : ITraceSink
{
    private readonly byte[] _leaves;
    private readonly bool[] _present;

    public TraceRecorder(int maxPositions, int slotsPerPosition)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPositions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotsPerPosition);
        MaxPositions = maxPositions;
        SlotsPerPosition = slotsPerPosition;
        _leaves = new byte[(long)maxPositions * slotsPerPosition * 32];
        _present = new bool[maxPositions * slotsPerPosition];
    }

    public int MaxPositions { get; }

    public int SlotsPerPosition { get; }

    public void Record(in TraceStep step)
    {
        if ((uint)step.Position >= (uint)MaxPositions || (uint)step.Slot >= (uint)SlotsPerPosition)
            throw new ArgumentOutOfRangeException(nameof(step), $"step ({step.Position}, {step.Slot}) outside the trace");
        int index = step.Position * SlotsPerPosition + step.Slot;
        step.Leaf[..32].CopyTo(_leaves.AsSpan(index * 32, 32));
        _present[index] = true;
    }

    /// <summary>(position, slot, leaf) in trace order.</summary>
    public IReadOnlyList<(int Position, int Slot, Hash32 Leaf)> Entries()
    {
        var entries = new List<(int, int, Hash32)>();
        for (int index = 0; index < _present.Length; index++)
            if (_present[index])
                entries.Add((index / SlotsPerPosition, index % SlotsPerPosition, new Hash32(_leaves.AsSpan(index * 32, 32))));
        return entries;
    }

    public IReadOnlyList<Hash32> Leaves() => Entries().Select(e => e.Leaf).ToArray();

    public MerkleTree Tree() => new(Leaves());

    public Hash32 Root() => Tree().Root;

    /// <summary>Forgets everything (a new job reusing the buffer).</summary>
    public void Clear() => Array.Clear(_present);
}
