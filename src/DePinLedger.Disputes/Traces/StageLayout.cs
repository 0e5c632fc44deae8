namespace DePinLedger.Disputes.Traces;

/// <summary>
/// A pipeline stage: transformer blocks <see cref="FirstLayer"/>..<see cref="LastLayer"/> (inclusive, as in a stage
/// receipt). It owns slots FirstLayer+1..LastLayer+1, plus slot 0 (embedding) when it runs block 0 and slot L+1
/// (head) when it runs the last block (SPEC.md §9).
/// </summary>
public readonly record struct StageSpan(int FirstLayer, int LastLayer)
{
    /// <summary>Leaves per position in this stage's own trace: blocks + [first] + [last].</summary>
    public int SlotsPerPosition(int layers) => LastLayer - FirstLayer + 1 + (FirstLayer == 0 ? 1 : 0) + (LastLayer == layers - 1 ? 1 : 0);

    public bool Owns(int slot, int layers) =>
        slot == 0 ? FirstLayer == 0
        : slot == layers + 1 ? LastLayer == layers - 1
        : slot - 1 >= FirstLayer && slot - 1 <= LastLayer;

    /// <summary>Rank of an owned slot among the stage's slots (its offset within a position of the stage trace).</summary>
    public int Rank(int slot) => slot - FirstLayer - (FirstLayer == 0 ? 0 : 1);

    /// <summary>Index of leaf (position, slot) in this stage's trace.</summary>
    public int LeafIndex(int position, int slot, int layers) => position * SlotsPerPosition(layers) + Rank(slot);
}

/// <summary>The stages of one replica, contiguous over blocks 0..L−1 (what JobMarket accepts).</summary>
public sealed class StageLayout
{
    public StageLayout(int layers, IReadOnlyList<StageSpan> stages)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentNullException.ThrowIfNull(stages);
        if (stages.Count == 0) throw new ArgumentException("a replica has at least one stage", nameof(stages));
        int next = 0;
        foreach (StageSpan s in stages)
        {
            if (s.FirstLayer != next || s.LastLayer < s.FirstLayer)
                throw new ArgumentException($"stages must cover blocks 0..{layers - 1} contiguously; stage {s.FirstLayer}..{s.LastLayer} follows block {next - 1}", nameof(stages));
            next = s.LastLayer + 1;
        }
        if (next != layers) throw new ArgumentException($"stages end at block {next - 1}; the model has {layers}", nameof(stages));
        Layers = layers;
        Stages = [.. stages];
    }

    public int Layers { get; }

    public IReadOnlyList<StageSpan> Stages { get; }

    /// <summary>One stage running every block.</summary>
    public static StageLayout Single(int layers) => new(layers, [new StageSpan(0, layers - 1)]);

    /// <summary>Stages of the given block counts, in order.</summary>
    public static StageLayout Split(int layers, params int[] blocks)
    {
        var stages = new List<StageSpan>();
        int first = 0;
        foreach (int n in blocks)
        {
            stages.Add(new StageSpan(first, first + n - 1));
            first += n;
        }
        return new StageLayout(layers, stages);
    }

    /// <summary>The stage that owns <paramref name="slot"/>.</summary>
    public int StageOf(int slot)
    {
        if ((uint)slot > (uint)(Layers + 1)) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} outside 0..{Layers + 1}");
        for (int i = 0; i < Stages.Count; i++)
            if (Stages[i].Owns(slot, Layers)) return i;
        throw new InvalidOperationException($"no stage owns slot {slot}");
    }
}
