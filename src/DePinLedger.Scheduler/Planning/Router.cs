namespace DePinLedger.Scheduler.Planning;

/// <summary>One stage of a route: a node and the layers it runs (inclusive), with the model's predictions.</summary>
public sealed record Stage(NodeState Node, int FirstLayer, int LastLayer, double PredictedMs, long RequiredBytes);

/// <summary>A pipeline from layer 0 to the last layer; its predicted step latency is the sum of its stages'.</summary>
public sealed record Route(IReadOnlyList<Stage> Stages)
{
    public double PredictedMs => Stages.Sum(s => s.PredictedMs);
}

/// <summary>Why no plan came out.</summary>
public enum PlanFailure
{
    None,

    /// <summary>The eligible nodes' spans do not chain from layer 0 to the last layer.</summary>
    NoRoute,

    /// <summary>A verified job's second replica found no route on other operators.</summary>
    NoDisjointReplica,
}

/// <summary>The routes of one job: one, or two on disjoint operators for a verified job.</summary>
public sealed record JobPlan(PlanFailure Failure, Route? Primary, Route? Replica)
{
    public bool Succeeded => Failure == PlanFailure.None;
}

/// <summary>
/// Routes a job over the nodes that have a span of the model loaded. A worker serves exactly its loaded span, so a route
/// is a chain of spans [0, a), [a, b), … [z, L) and the step latency is a sum over stages: the shortest path over layer
/// boundaries, computed by a DP in boundary order (Dijkstra on this DAG), which is exact. O(nodes + layers) per route.
/// </summary>
public sealed class Router(ModelShape model, SchedulingPolicy policy)
{
    private readonly ModelShape _model = model.Validated();
    private readonly SchedulingPolicy _policy = policy.Validated();

    /// <summary>Eligible, its span inside the model, the job's memory fits (weights + KV + activations, and KV in the worker's free budget), throughput known.</summary>
    public bool CanServe(NodeState node, JobShape job, DateTimeOffset now) =>
        _policy.IsEligible(node, now)
        && node.HasSpan && node.LastLayer < _model.Layers
        && MemoryModel.RequiredBytes(_model, job, node.FirstLayer, node.LastLayer) <= node.MemoryBytes
        && MemoryModel.KvBytes(_model, node.SpanLayers, job) <= node.KvFreeBytes
        && double.IsFinite(LatencyModel.StageMs(_model, node, node.SpanLayers));

    /// <summary>The plan of a job: the fastest route, and for a verified job the fastest route on other operators (other regions where known).</summary>
    public JobPlan Plan(IReadOnlyList<NodeState> nodes, JobShape job, bool verified, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        job = job.Validated();
        var candidates = new Candidates(this, nodes, job, now);
        Route? primary = candidates.Shortest(exclude: null);
        if (primary is null) return new JobPlan(PlanFailure.NoRoute, null, null);
        if (!verified) return new JobPlan(PlanFailure.None, primary, null);

        var operators = primary.Stages.Select(s => s.Node.Operator).ToHashSet(StringComparer.Ordinal);
        var regions = primary.Stages.Select(s => s.Node.Region).Where(r => r != 0).ToHashSet();
        // Different regions are preferred, not required: fall back to operator-disjoint only.
        Route? replica = candidates.Shortest(n => operators.Contains(n.Operator) || regions.Contains(n.Region))
            ?? candidates.Shortest(n => operators.Contains(n.Operator));
        return replica is null ? new JobPlan(PlanFailure.NoDisjointReplica, primary, null) : new JobPlan(PlanFailure.None, primary, replica);
    }

    /// <summary>The fastest route, or null when none chains through.</summary>
    public Route? Route(IReadOnlyList<NodeState> nodes, JobShape job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return new Candidates(this, nodes, job.Validated(), now).Shortest(exclude: null);
    }

    /// <summary>The servable nodes bucketed by first layer (counting sort), with their stage costs computed once.</summary>
    private sealed class Candidates
    {
        private readonly Router _router;
        private readonly JobShape _job;
        private readonly NodeState[] _nodes;
        private readonly double[] _cost;
        private readonly int[] _bucketStart;

        public Candidates(Router router, IReadOnlyList<NodeState> nodes, JobShape job, DateTimeOffset now)
        {
            _router = router;
            _job = job;
            int layers = router._model.Layers;
            var servable = new List<NodeState>(nodes.Count);
            foreach (NodeState node in nodes)
                if (router.CanServe(node, job, now)) servable.Add(node);

            _bucketStart = new int[layers + 1];
            foreach (NodeState node in servable) _bucketStart[node.FirstLayer + 1]++;
            for (int b = 0; b < layers; b++) _bucketStart[b + 1] += _bucketStart[b];
            _nodes = new NodeState[servable.Count];
            _cost = new double[servable.Count];
            int[] next = _bucketStart[..layers];
            foreach (NodeState node in servable)
            {
                int slot = next[node.FirstLayer]++;
                _nodes[slot] = node;
                _cost[slot] = LatencyModel.StageMs(router._model, node, node.SpanLayers);
            }
        }

        public Route? Shortest(Func<NodeState, bool>? exclude)
        {
            int layers = _router._model.Layers;
            var best = new double[layers + 1];
            var via = new int[layers + 1];
            Array.Fill(best, double.PositiveInfinity);
            best[0] = 0;
            // Boundaries in increasing order are a topological order: every span moves forward.
            for (int boundary = 0; boundary < layers; boundary++)
            {
                if (double.IsPositiveInfinity(best[boundary])) continue;
                for (int i = _bucketStart[boundary]; i < _bucketStart[boundary + 1]; i++)
                {
                    if (exclude is not null && exclude(_nodes[i])) continue;
                    int end = _nodes[i].LastLayer + 1;
                    double cost = best[boundary] + _cost[i];
                    if (cost < best[end])
                    {
                        best[end] = cost;
                        via[end] = i;
                    }
                }
            }
            if (double.IsPositiveInfinity(best[layers])) return null;

            var stages = new List<Stage>();
            for (int boundary = layers; boundary > 0;)
            {
                int i = via[boundary];
                NodeState node = _nodes[i];
                stages.Add(new Stage(node, node.FirstLayer, node.LastLayer, _cost[i], MemoryModel.RequiredBytes(_router._model, _job, node.FirstLayer, node.LastLayer)));
                boundary = node.FirstLayer;
            }
            stages.Reverse();
            return new Route(stages);
        }
    }
}
