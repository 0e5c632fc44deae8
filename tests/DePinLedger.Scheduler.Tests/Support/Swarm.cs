using DePinLedger.Scheduler.Planning;

namespace DePinLedger.Scheduler.Tests.Support;

/// <summary>
/// Seeded heterogeneous swarms: memory from 8 to 40 GiB, spans that fit it (mostly on 4-layer boundaries, as span
/// recommendation makes them, some odd), measured or unmeasured throughput, RTT 2–250 ms, operators running one to
/// several nodes, regions known or not, and a share of nodes that fail one eligibility gate.
/// </summary>
public static class Swarm
{
    /// <summary>A Llama-3-70B-sized int8 model (80 layers, ~0.86 GB per layer): no node of the swarm holds it whole.</summary>
    public static readonly ModelShape Model = Large(80);

    /// <summary>Llama-3-70B's layer shape with <paramref name="layers"/> layers.</summary>
    public static ModelShape Large(int layers) => ModelShape.Int8(layers, dim: 8192, heads: 64, kvHeads: 8, hiddenDim: 28672, vocab: 128256);

    public static readonly JobShape Job = new(Context: 2048, Batch: 1);

    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public static readonly SchedulingPolicy Policy = new() { MinStake = 1_000, ReputationThreshold = 0.5 };

    private static readonly long[] MemoryGiB = [8, 12, 16, 24, 32, 40];

    public static NodeState[] Generate(int count, int seed, ModelShape? model = null, double ineligibleShare = 0.15, long maxMemoryGiB = long.MaxValue)
    {
        model ??= Model;
        long[] memories = [.. MemoryGiB.Where(m => m <= maxMemoryGiB)];
        var random = new Random(seed);
        int operators = Math.Max(1, count * 2 / 3);
        var nodes = new NodeState[count];
        for (int i = 0; i < count; i++)
        {
            long memory = memories[random.Next(memories.Length)] << 30;
            int capacity = Math.Max(1, MemoryModel.Capacity(model, Job, memory));
            int length = Math.Min(model.Layers, random.Next(4) == 0 ? random.Next(1, capacity + 1) : Math.Max(1, capacity / 4 * 4));
            int first = random.Next(3) == 0 ? random.Next(model.Layers - length + 1) : random.Next((model.Layers - length) / 4 + 1) * 4;
            double gops = random.Next(20, 400);
            bool ineligible = random.NextDouble() < ineligibleShare;
            int gate = ineligible ? random.Next(5) : -1;
            nodes[i] = new NodeState
            {
                Address = $"0x{i + 1:x40}",
                Operator = $"0x{random.Next(operators) + 1:x39}f",
                Region = (ushort)random.Next(0, 9),
                MemoryBytes = memory,
                ComputeGops = gops,
                ActiveStake = gate == 0 ? random.Next(0, 1_000) : random.Next(1_000, 1_000_000),
                Slashed = gate == 1,
                Frozen = gate == 2,
                HeartbeatAt = gate == 3 ? Now - TimeSpan.FromMinutes(random.Next(2, 60)) : Now - TimeSpan.FromSeconds(random.Next(0, 60)),
                Reputation = gate == 4 ? random.NextDouble() * 0.5 : 0.5 + random.NextDouble() * 0.5,
                FirstLayer = first,
                LastLayer = first + length - 1,
                // Mostly room for a job; some workers nearly full (the memory check must skip them).
                KvFreeBytes = random.Next(5) == 0 ? random.Next(1, 1 << 20) : 8L << 30,
                PositionsPerSecond = random.Next(3) == 0 ? 0 : gops * 1e9 / (model.OperationsPerLayer * length) * (0.5 + random.NextDouble()),
                RttMs = 2 + random.NextDouble() * 248,
            };
        }
        return nodes;
    }
}
