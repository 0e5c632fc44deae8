using System.Diagnostics;
using System.Globalization;
using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Tests.Support;

// Plan + route time for a verified job (eligibility and memory checks over every node, fastest route, operator-disjoint
// replica), for one route alone (an unverified job) and for partitioning (fewest spans + span recommendation), on the seeded swarm of the simulation tests
// (80-layer 70B-sized model). Warm: each size runs a few times untimed, then the median and p95 of the timed runs.
// Usage: dotnet run -c Release --project tests/DePinLedger.Scheduler.Benchmarks [-- SIZES... ] [--runs N]

int[] sizes = [1_000, 10_000, 100_000];
int runs = 31;
var sizeArgs = new List<int>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--runs" && i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int r) && r > 0) runs = r;
    else if (int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0) sizeArgs.Add(n);
    else
    {
        Console.Error.WriteLine($"usage: [SIZES...] [--runs N]; got '{args[i]}'");
        return 2;
    }
}
if (sizeArgs.Count > 0) sizes = [.. sizeArgs];

var router = new Router(Swarm.Model, Swarm.Policy);
Console.WriteLine($"{Environment.ProcessorCount} logical cores, {runs} timed runs per size, model {Swarm.Model.Layers} layers");
Console.WriteLine("nodes     verified plan median   p95       stages (primary/replica)   one route median   p95        partition median   p95");
foreach (int size in sizes)
{
    NodeState[] nodes = Swarm.Generate(size, seed: size);
    JobPlan plan = router.Plan(nodes, Swarm.Job, verified: true, Swarm.Now);
    double[] route = Time(runs, () => router.Plan(nodes, Swarm.Job, verified: true, Swarm.Now));
    double[] single = Time(runs, () => router.Plan(nodes, Swarm.Job, verified: false, Swarm.Now));
    double[] partition = Time(runs, () =>
    {
        Partitioner.FewestSpans(Swarm.Model, Swarm.Job, nodes, Swarm.Policy, Swarm.Now);
        Partitioner.RecommendStart(Swarm.Model, nodes, 16, Swarm.Policy, Swarm.Now);
    });
    string stages = plan.Succeeded ? $"{plan.Primary!.Stages.Count}/{plan.Replica!.Stages.Count}" : plan.Failure.ToString();
    Console.WriteLine(FormattableString.Invariant(
        $"{size,-9} {Percentile(route, 0.5),13:F3} ms   {Percentile(route, 0.95),7:F3} ms   {stages,-26} {Percentile(single, 0.5),9:F3} ms   {Percentile(single, 0.95),7:F3} ms   {Percentile(partition, 0.5),10:F3} ms   {Percentile(partition, 0.95),7:F3} ms"));
}
return 0;

static double[] Time(int runs, Action action)
{
    for (int i = 0; i < 3; i++) action();
    var times = new double[runs];
    for (int i = 0; i < runs; i++)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(times);
    return times;
}

static double Percentile(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
