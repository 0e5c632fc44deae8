namespace DePinLedger.Scheduler.Planning;

/// <summary>
/// DESIGN.md's latency model for one decode step: each stage costs its compute (from measured throughput, or from the
/// registered compute before the first measurement) plus one round trip from the coordinator, which relays
/// activations between stages.
/// </summary>
public static class LatencyModel
{
    /// <summary>Milliseconds for <paramref name="node"/> to run <paramref name="layers"/> layers for one position; +∞ when unknown.</summary>
    public static double ComputeMs(ModelShape model, NodeState node, int layers)
    {
        if (node.PositionsPerSecond > 0 && node.HasSpan)
            return 1000.0 / node.PositionsPerSecond * layers / node.SpanLayers;
        if (node.ComputeGops > 0)
            return model.OperationsPerLayer * layers / (node.ComputeGops * 1e9) * 1000.0;
        return double.PositiveInfinity;
    }

    /// <summary>One stage's share of the step: compute plus the hop to it.</summary>
    public static double StageMs(ModelShape model, NodeState node, int layers) => ComputeMs(model, node, layers) + node.RttMs;
}
