using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Tests.Support;
using Xunit.Abstractions;

namespace DePinLedger.Scheduler.Tests;

/// <summary>
/// Heterogeneous swarms: the router's route against a brute-force optimum on small instances (every chain of distinct
/// servable nodes enumerated), and plan sanity on swarms of hundreds of nodes.
/// </summary>
public sealed class SwarmSimulationTests(ITestOutputHelper output)
{
    /// <summary>A 16-layer model: on nodes of at most 12 GiB (7 or 12 layers each) every route has two stages or more.</summary>
    private static readonly ModelShape SmallModel = Swarm.Large(16);

    [Theory]
    [InlineData(0.0)]
    [InlineData(40.0)]
    public void SmallInstances_RouteIsWithinFivePercentOfBruteForce(double reputationPenaltyMs)
    {
        SchedulingPolicy policy = Swarm.Policy with { ReputationPenaltyMs = reputationPenaltyMs };
        var router = new Router(SmallModel, policy);
        int compared = 0, multiStage = 0;
        double worstGap = 0;
        for (int seed = 0; seed < 600; seed++)
        {
            NodeState[] nodes = Swarm.Generate(6 + seed % 10, seed, SmallModel, ineligibleShare: 0.2, maxMemoryGiB: 12);
            double? optimum = BruteForce(router, policy, nodes);
            Route? route = router.Route(nodes, Swarm.Job, Swarm.Now);
            Assert.Equal(optimum is null, route is null);
            if (route is null) continue;
            compared++;
            if (route.Stages.Count > 1) multiStage++;
            double objective = route.PredictedMs + route.Stages.Sum(s => Penalty(policy, s.Node));
            double gap = (objective - optimum!.Value) / optimum.Value;
            worstGap = Math.Max(worstGap, gap);
            Assert.True(gap <= 0.05, $"seed {seed}: route {objective:F3} ms vs optimum {optimum:F3} ms");
        }
        output.WriteLine($"penalty {reputationPenaltyMs} ms: {compared} instances with a route ({multiStage} of them multi-stage); worst gap to the brute-force optimum {worstGap:P3}");
        Assert.True(compared >= 200 && multiStage >= 200, $"only {compared} instances had a route, {multiStage} multi-stage: the generator no longer exercises the router");
    }

    [Theory]
    [InlineData(200, 1)]
    [InlineData(500, 2)]
    [InlineData(800, 3)]
    public void HundredsOfNodes_VerifiedPlansAreValidAndBeatEveryOtherChainTried(int count, int seed)
    {
        var router = new Router(Swarm.Model, Swarm.Policy);
        NodeState[] nodes = Swarm.Generate(count, seed);
        JobPlan plan = router.Plan(nodes, Swarm.Job, verified: true, Swarm.Now);

        Assert.True(plan.Succeeded, $"no plan: {plan.Failure}");
        Route primary = plan.Primary!, replica = plan.Replica!;
        Assert.Equal(primary.PredictedMs, primary.Stages.Sum(s => LatencyModel.StageMs(Swarm.Model, s.Node, s.LastLayer - s.FirstLayer + 1)), 9);
        Assert.True(replica.PredictedMs >= primary.PredictedMs, "the replica routes over a subset of the nodes, so it cannot be faster");
        Assert.Empty(primary.Stages.Select(s => s.Node.Operator).Intersect(replica.Stages.Select(s => s.Node.Operator)));
        // Random greedy chains (each step a random servable continuation) are never faster than the plan.
        var random = new Random(seed);
        NodeState[] servable = [.. nodes.Where(n => router.CanServe(n, Swarm.Job, Swarm.Now))];
        for (int trial = 0; trial < 2_000; trial++)
        {
            double total = 0;
            for (int boundary = 0; boundary < Swarm.Model.Layers;)
            {
                NodeState[] next = [.. servable.Where(n => n.FirstLayer == boundary)];
                if (next.Length == 0) { total = double.PositiveInfinity; break; }
                NodeState pick = next[random.Next(next.Length)];
                total += LatencyModel.StageMs(Swarm.Model, pick, pick.SpanLayers);
                boundary = pick.LastLayer + 1;
            }
            Assert.True(total >= primary.PredictedMs - 1e-9, $"a random chain ({total:F3} ms) beat the plan ({primary.PredictedMs:F3} ms)");
        }
        output.WriteLine($"{count} nodes: primary {primary.Stages.Count} stages {primary.PredictedMs:F1} ms, replica {replica.Stages.Count} stages {replica.PredictedMs:F1} ms");
    }

    [Fact]
    public void StaleHeartbeat_MakesTheOnlyFullSpanNodeUnavailable()
    {
        var router = new Router(Swarm.Model, Swarm.Policy);
        NodeState node = Swarm.Generate(1, 7, ineligibleShare: 0)[0] with { FirstLayer = 0, LastLayer = Swarm.Model.Layers - 1, MemoryBytes = 96L << 30, KvFreeBytes = 8L << 30 };
        Assert.NotNull(router.Route([node], Swarm.Job, Swarm.Now));
        NodeState stale = node with { HeartbeatAt = Swarm.Now - Swarm.Policy.HeartbeatMaxAge - TimeSpan.FromSeconds(1) };
        Assert.Null(router.Route([stale], Swarm.Job, Swarm.Now));
    }

    [Fact]
    public void VerifiedJob_PrefersAnotherRegion_AndFallsBackToAnotherOperator()
    {
        var router = new Router(Swarm.Model, Swarm.Policy);
        NodeState template = Swarm.Generate(1, 11, ineligibleShare: 0)[0] with { FirstLayer = 0, LastLayer = Swarm.Model.Layers - 1, MemoryBytes = 96L << 30, KvFreeBytes = 8L << 30, PositionsPerSecond = 10 };
        NodeState fast = template with { Address = $"0x{1:x40}", Operator = $"0x{1:x40}", Region = 1, RttMs = 5 };
        NodeState sameRegion = template with { Address = $"0x{2:x40}", Operator = $"0x{2:x40}", Region = 1, RttMs = 10 };
        NodeState otherRegion = template with { Address = $"0x{3:x40}", Operator = $"0x{3:x40}", Region = 2, RttMs = 40 };

        JobPlan both = router.Plan([fast, sameRegion, otherRegion], Swarm.Job, verified: true, Swarm.Now);
        Assert.Equal(fast.Address, both.Primary!.Stages.Single().Node.Address);
        Assert.Equal(otherRegion.Address, both.Replica!.Stages.Single().Node.Address);

        JobPlan fallback = router.Plan([fast, sameRegion], Swarm.Job, verified: true, Swarm.Now);
        Assert.Equal(sameRegion.Address, fallback.Replica!.Stages.Single().Node.Address);

        JobPlan sameOperator = router.Plan([fast, sameRegion with { Operator = fast.Operator }], Swarm.Job, verified: true, Swarm.Now);
        Assert.Equal(PlanFailure.NoDisjointReplica, sameOperator.Failure);
    }

    [Fact]
    public void RecommendStart_FillsTheLeastServedLayers()
    {
        NodeState template = Swarm.Generate(1, 5, ineligibleShare: 0)[0];
        NodeState[] serving =
        [
            template with { Address = $"0x{1:x40}", FirstLayer = 0, LastLayer = 15, PositionsPerSecond = 10 },
            template with { Address = $"0x{2:x40}", FirstLayer = 16, LastLayer = 23, PositionsPerSecond = 3 },
            template with { Address = $"0x{3:x40}", FirstLayer = 24, LastLayer = 31, PositionsPerSecond = 8 },
        ];
        Assert.Equal(16, Partitioner.RecommendStart(Swarm.Large(32), serving, 8, Swarm.Policy, Swarm.Now));
        // Layers nobody serves come first.
        Assert.Equal(24, Partitioner.RecommendStart(Swarm.Large(32), serving[..2], 8, Swarm.Policy, Swarm.Now));
    }

    [Fact]
    public void ReputationPenalty_TradesALittleLatencyForTrust()
    {
        NodeState template = Swarm.Generate(1, 13, ineligibleShare: 0)[0] with { FirstLayer = 0, LastLayer = Swarm.Model.Layers - 1, MemoryBytes = 96L << 30, KvFreeBytes = 8L << 30, PositionsPerSecond = 10 };
        NodeState fastButDoubtful = template with { Address = $"0x{1:x40}", Reputation = 0.55, RttMs = 10 };
        NodeState slowerButTrusted = template with { Address = $"0x{2:x40}", Reputation = 0.95, RttMs = 12 };

        Route latencyOnly = new Router(Swarm.Model, Swarm.Policy).Route([fastButDoubtful, slowerButTrusted], Swarm.Job, Swarm.Now)!;
        Route withTrust = new Router(Swarm.Model, Swarm.Policy with { ReputationPenaltyMs = 10 }).Route([fastButDoubtful, slowerButTrusted], Swarm.Job, Swarm.Now)!;

        Assert.Equal(fastButDoubtful.Address, latencyOnly.Stages.Single().Node.Address);
        Assert.Equal(slowerButTrusted.Address, withTrust.Stages.Single().Node.Address);
        Assert.Equal(112, withTrust.PredictedMs, 9);
    }

    private static double Penalty(SchedulingPolicy policy, NodeState node) => policy.ReputationPenaltyMs * (1 - node.Reputation);

    /// <summary>Every chain of distinct servable nodes from layer 0 to the end, by depth-first search; the least latency plus penalty, or null.</summary>
    private static double? BruteForce(Router router, SchedulingPolicy policy, NodeState[] nodes)
    {
        NodeState[] servable = [.. nodes.Where(n => router.CanServe(n, Swarm.Job, Swarm.Now))];
        double best = double.PositiveInfinity;
        var used = new bool[servable.Length];
        void Extend(int boundary, double cost)
        {
            if (boundary == SmallModel.Layers)
            {
                best = Math.Min(best, cost);
                return;
            }
            for (int i = 0; i < servable.Length; i++)
            {
                if (used[i] || servable[i].FirstLayer != boundary) continue;
                used[i] = true;
                Extend(servable[i].LastLayer + 1, cost + servable[i].RttMs + LatencyModel.ComputeMs(SmallModel, servable[i], servable[i].SpanLayers) + Penalty(policy, servable[i]));
                used[i] = false;
            }
        }
        Extend(0, 0);
        return double.IsPositiveInfinity(best) ? null : best;
    }
}
