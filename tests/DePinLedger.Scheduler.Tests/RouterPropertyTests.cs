using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Tests.Support;
using FsCheck;
using FsCheck.Xunit;

namespace DePinLedger.Scheduler.Tests;

/// <summary>The invariants of planning, over FsCheck-drawn swarms (seed and size drawn; swarms up to 400 nodes).</summary>
public sealed class RouterPropertyTests
{
    private static readonly Router Router = new(Swarm.Model, Swarm.Policy);

    private static NodeState[] Draw(int seed, PositiveInt size) => Swarm.Generate(size.Get % 400 + 1, seed);

    private static IEnumerable<Stage> Stages(JobPlan plan) => (plan.Primary?.Stages ?? []).Concat(plan.Replica?.Stages ?? []);

    [Property(MaxTest = 200)]
    public bool NoPlanOverflowsANodesMemory(int seed, PositiveInt size)
    {
        NodeState[] nodes = Draw(seed, size);
        JobPlan plan = Router.Plan(nodes, Swarm.Job, verified: true, Swarm.Now);
        bool routesFit = Stages(plan).All(s =>
            s.RequiredBytes == MemoryModel.RequiredBytes(Swarm.Model, Swarm.Job, s.FirstLayer, s.LastLayer)
            && s.RequiredBytes <= s.Node.MemoryBytes
            && MemoryModel.KvBytes(Swarm.Model, s.LastLayer - s.FirstLayer + 1, Swarm.Job) <= s.Node.KvFreeBytes);
        IReadOnlyList<SpanAssignment>? partition = Partitioner.FewestSpans(Swarm.Model, Swarm.Job, nodes, Swarm.Policy, Swarm.Now);
        bool partitionFits = partition is null || partition.All(a =>
            a.RequiredBytes == MemoryModel.RequiredBytes(Swarm.Model, Swarm.Job, a.FirstLayer, a.LastLayer) && a.RequiredBytes <= a.Node.MemoryBytes);
        return routesFit && partitionFits;
    }

    [Property(MaxTest = 200)]
    public bool ReplicasNeverShareAnOperator(int seed, PositiveInt size)
    {
        JobPlan plan = Router.Plan(Draw(seed, size), Swarm.Job, verified: true, Swarm.Now);
        if (plan.Replica is null) return plan.Failure != PlanFailure.None;
        var primaryOperators = plan.Primary!.Stages.Select(s => s.Node.Operator).ToHashSet();
        return plan.Replica.Stages.All(s => !primaryOperators.Contains(s.Node.Operator));
    }

    [Property(MaxTest = 200)]
    public bool IneligibleNodesAreNeverChosen(int seed, PositiveInt size)
    {
        NodeState[] nodes = Draw(seed, size);
        JobPlan plan = Router.Plan(nodes, Swarm.Job, verified: true, Swarm.Now);
        IReadOnlyList<SpanAssignment> partition = Partitioner.FewestSpans(Swarm.Model, Swarm.Job, nodes, Swarm.Policy, Swarm.Now) ?? [];
        return Stages(plan).Select(s => s.Node).Concat(partition.Select(a => a.Node)).All(n =>
            n.ActiveStake >= Swarm.Policy.MinStake && !n.Slashed && !n.Frozen && n.Reputation >= Swarm.Policy.ReputationThreshold
            && n.HeartbeatAt is { } at && Swarm.Now - at <= Swarm.Policy.HeartbeatMaxAge);
    }

    [Property(MaxTest = 200)]
    public bool RoutesTileTheModelContiguously(int seed, PositiveInt size)
    {
        JobPlan plan = Router.Plan(Draw(seed, size), Swarm.Job, verified: false, Swarm.Now);
        if (plan.Primary is null) return plan.Failure == PlanFailure.NoRoute;
        int next = 0;
        foreach (Stage stage in plan.Primary.Stages)
        {
            if (stage.FirstLayer != next || stage.LastLayer < stage.FirstLayer) return false;
            next = stage.LastLayer + 1;
        }
        return next == Swarm.Model.Layers && plan.Primary.Stages.Select(s => s.Node.Address).Distinct().Count() == plan.Primary.Stages.Count;
    }

    [Property(MaxTest = 100)]
    public bool FewestSpansIsTheMinimumCount(int seed, PositiveInt size)
    {
        NodeState[] nodes = Draw(seed, size);
        IReadOnlyList<SpanAssignment>? partition = Partitioner.FewestSpans(Swarm.Model, Swarm.Job, nodes, Swarm.Policy, Swarm.Now);
        int[] capacities = [.. nodes.Where(n => Swarm.Policy.IsEligible(n, Swarm.Now) && n.ComputeGops > 0)
            .Select(n => MemoryModel.Capacity(Swarm.Model, Swarm.Job, n.MemoryBytes)).OrderDescending()];
        // The fewest nodes that can hold the model is the shortest prefix of capacities (largest first) reaching the layer count.
        int needed = 0;
        for (long sum = 0; needed < capacities.Length && sum < Swarm.Model.Layers; needed++) sum += capacities[needed];
        if (capacities.Sum() < Swarm.Model.Layers) return partition is null;
        return partition is not null && partition.Count == needed && partition.Sum(a => a.LastLayer - a.FirstLayer + 1) == Swarm.Model.Layers;
    }
}
