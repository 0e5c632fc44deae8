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
/// The DP minimizes latency plus the policy's optional per-stage reputation penalty (0 by default).
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
        Route? primary = candidates.Shortest(excluded: null);
        if (primary is null) return new JobPlan(PlanFailure.NoRoute, null, null);
        if (!verified) return new JobPlan(PlanFailure.None, primary, null);

        var operators = primary.Stages.Select(s => s.Node.Operator).ToHashSet(StringComparer.Ordinal);
        var regions = primary.Stages.Select(s => s.Node.Region).Where(r => r != 0).ToHashSet();
        // Different regions are preferred, not required: fall back to operator-disjoint only.
        Route? replica = candidates.Shortest(candidates.Mask(n => operators.Contains(n.Operator) || regions.Contains(n.Region)))
            ?? candidates.Shortest(candidates.Mask(n => operators.Contains(n.Operator)));
        return replica is null ? new JobPlan(PlanFailure.NoDisjointReplica, primary, null) : new JobPlan(PlanFailure.None, primary, replica);
    }

    /// <summary>The fastest route, or null when none chains through.</summary>
    public Route? Route(IReadOnlyList<NodeState> nodes, JobShape job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return new Candidates(this, nodes, job.Validated(), now).Shortest(excluded: null);
    }

    /// <summary>
    /// The servable nodes bucketed by first layer (counting sort), with their stage costs and end boundaries computed once
    /// into flat arrays: the DP then reads no node object (at 100k nodes, pointer chasing was most of the time).
    /// </summary>
    private sealed class Candidates
    {
        private readonly Router _router;
        private readonly JobShape _job;
        private readonly NodeState[] _nodes;
        /// <summary>The servable nodes in input order and the slot each landed in: masks are built walking memory in order.</summary>
        private readonly List<NodeState> _servable;
        private readonly int[] _slotOf;
        private readonly double[] _cost;
        /// <summary>What the DP minimizes: the predicted latency plus the policy's reputation penalty.</summary>
        private readonly double[] _objective;
        private readonly int[] _end;
        private readonly int[] _bucketStart;

        public Candidates(Router router, IReadOnlyList<NodeState> nodes, JobShape job, DateTimeOffset now)
        {
            _router = router;
            _job = job;
            int layers = router._model.Layers;
            var servable = _servable = new List<NodeState>(nodes.Count);
            foreach (NodeState node in nodes)
                if (router.CanServe(node, job, now)) servable.Add(node);

            _bucketStart = new int[layers + 1];
            foreach (NodeState node in servable) _bucketStart[node.FirstLayer + 1]++;
            for (int b = 0; b < layers; b++) _bucketStart[b + 1] += _bucketStart[b];
            _nodes = new NodeState[servable.Count];
            _cost = new double[servable.Count];
            _objective = new double[servable.Count];
            _end = new int[servable.Count];
            _slotOf = new int[servable.Count];
            int[] next = _bucketStart[..layers];
            for (int k = 0; k < servable.Count; k++)
            {
                NodeState node = servable[k];
                int slot = _slotOf[k] = next[node.FirstLayer]++;
                _nodes[slot] = node;
                _end[slot] = node.LastLayer + 1;
                _cost[slot] = LatencyModel.StageMs(router._model, node, node.SpanLayers);
                _objective[slot] = _cost[slot] + router._policy.ReputationPenaltyMs * (1 - node.Reputation);
            }
        }

        /// <summary>Which candidates <paramref name="exclude"/> rules out, by slot.</summary>
        public bool[] Mask(Func<NodeState, bool> exclude)
        {
            var mask = new bool[_nodes.Length];
            for (int k = 0; k < _servable.Count; k++) mask[_slotOf[k]] = exclude(_servable[k]);
            return mask;
        }

        public Route? Shortest(bool[]? excluded)
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
                    if (excluded is not null && excluded[i]) continue;
                    int end = _end[i];
                    double cost = best[boundary] + _objective[i];
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
