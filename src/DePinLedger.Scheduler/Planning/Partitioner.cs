namespace DePinLedger.Scheduler.Planning;

/// <summary>A span a node should load (inclusive layers) and the memory it will need for the job shape it was planned for.</summary>
public sealed record SpanAssignment(NodeState Node, int FirstLayer, int LastLayer, long RequiredBytes);

/// <summary>
/// Placement for workers that can choose their span. <see cref="FewestSpans"/> splits the model over as few nodes as
/// fit (each stage costs a hop), sharing layers in proportion to memory like exo; <see cref="RecommendStart"/> puts one
/// joining worker where the swarm's throughput is lowest, like Petals' block selection.
/// </summary>
public static class Partitioner
{
    /// <summary>
    /// The fewest contiguous spans that cover the model on the eligible <paramref name="nodes"/>, or null when even all of
    /// them cannot hold it. The largest nodes are taken first (that gives the minimum count); among equal capacity, the
    /// faster. Every span is at most its node's capacity, counted as if the node held both ends, so none overflows.
    /// </summary>
    public static IReadOnlyList<SpanAssignment>? FewestSpans(ModelShape model, JobShape job, IEnumerable<NodeState> nodes, SchedulingPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        model = model.Validated();
        job = job.Validated();
        policy = policy.Validated();
        // Bucket by capacity (an int in 1..layers): O(nodes), no sort of the whole swarm.
        var byCapacity = new List<NodeState>?[model.Layers + 1];
        foreach (NodeState node in nodes)
        {
            if (!policy.IsEligible(node, now) || node.ComputeGops <= 0) continue;
            int capacity = MemoryModel.Capacity(model, job, node.MemoryBytes);
            if (capacity > 0) (byCapacity[capacity] ??= []).Add(node);
        }

        var chosen = new List<(NodeState Node, int Capacity)>();
        long total = 0;
        for (int capacity = model.Layers; capacity > 0 && total < model.Layers; capacity--)
        {
            if (byCapacity[capacity] is not { } bucket) continue;
            // Only the bucket that completes the set is ordered: the faster (then lower address) of equal capacity first.
            if (total + (long)capacity * bucket.Count >= model.Layers)
                bucket.Sort((a, b) => b.ComputeGops.CompareTo(a.ComputeGops) is var bySpeed and not 0 ? bySpeed : string.CompareOrdinal(a.Address, b.Address));
            foreach (NodeState node in bucket)
            {
                chosen.Add((node, capacity));
                total += capacity;
                if (total >= model.Layers) break;
            }
        }
        if (total < model.Layers) return null;

        // Shares proportional to capacity; rounding leftovers go to nodes with room, one layer each per pass.
        int[] share = [.. chosen.Select(c => (int)((long)model.Layers * c.Capacity / total))];
        for (int left = model.Layers - share.Sum(); left > 0;)
            for (int i = 0; i < share.Length && left > 0; i++)
                if (share[i] < chosen[i].Capacity) { share[i]++; left--; }

        var spans = new List<SpanAssignment>(chosen.Count);
        int first = 0;
        for (int i = 0; i < chosen.Count; i++)
        {
            if (share[i] == 0) continue;
            int last = first + share[i] - 1;
            spans.Add(new SpanAssignment(chosen[i].Node, first, last, MemoryModel.RequiredBytes(model, job, first, last)));
            first = last + 1;
        }
        return spans;
    }

    /// <summary>
    /// Where a worker able to hold <paramref name="spanLayers"/> layers should start: the window whose weakest layer has
    /// the least throughput among the eligible serving nodes (fill the bottleneck), ties broken by least total throughput, then lowest start.
    /// </summary>
    public static int RecommendStart(ModelShape model, IEnumerable<NodeState> serving, int spanLayers, SchedulingPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(serving);
        model = model.Validated();
        if (spanLayers < 1 || spanLayers > model.Layers)
            throw new ArgumentException($"span must be 1..{model.Layers} layers, got {spanLayers}", nameof(spanLayers));

        // Throughput per layer by a difference array over the served spans.
        var delta = new double[model.Layers + 1];
        foreach (NodeState node in serving)
        {
            if (!policy.IsEligible(node, now) || !node.HasSpan || node.LastLayer >= model.Layers) continue;
            delta[node.FirstLayer] += node.PositionsPerSecond;
            delta[node.LastLayer + 1] -= node.PositionsPerSecond;
        }
        var throughput = new double[model.Layers];
        double running = 0;
        for (int l = 0; l < model.Layers; l++) throughput[l] = running += delta[l];

        int bestStart = 0;
        (double Min, double Sum) best = (double.PositiveInfinity, double.PositiveInfinity);
        for (int start = 0; start + spanLayers <= model.Layers; start++)
        {
            (double Min, double Sum) score = (double.PositiveInfinity, 0);
            foreach (double t in throughput.AsSpan(start, spanLayers)) score = (Math.Min(score.Min, t), score.Sum + t);
            if (score.Min < best.Min || (score.Min == best.Min && score.Sum < best.Sum))
            {
                best = score;
                bestStart = start;
            }
        }
        return bestStart;
    }
}
