namespace DePinLedger.Disputes.Traces;

/// <summary>Where two replica traces first differ.</summary>
/// <param name="At">The first differing leaf in token-major order.</param>
/// <param name="BothPresent">False when one trace simply ends there (it stopped generating earlier); the fast path
/// needs both leaves, such a case needs the bisection's absence proofs.</param>
public sealed record Divergence(TracePoint At, bool BothPresent);

/// <summary>Finds the first divergent leaf of two traces of the same job.</summary>
public static class DivergenceFinder
{
    /// <summary>The first leaf index where the traces differ, as (position, slot); null when they are identical.</summary>
    public static Divergence? First(IReplicaTrace a, IReplicaTrace b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int layers = a.Layout.Layers;
        if (b.Layout.Layers != layers) throw new ArgumentException($"the traces are of models with {layers} and {b.Layout.Layers} blocks", nameof(b));
        int common = Math.Min(a.Positions, b.Positions);
        for (int t = 0; t < common; t++)
            for (int s = 0; s < layers + 2; s++)
            {
                var at = new TracePoint(t, s);
                if (a.Fields(at) != b.Fields(at)) return new Divergence(at, BothPresent: true);
            }
        return a.Positions == b.Positions ? null : new Divergence(new TracePoint(common, 0), BothPresent: false);
    }
}
