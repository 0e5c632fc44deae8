using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Pipeline;

using DePinLedger.Inference.Tests;

namespace DePinLedger.Worker.Tests;

/// <summary>
/// Three worker processes serving stories260K's five blocks as 0-1, 2-3, 4-4, plus a second worker for 2-3 (the
/// replacement and hedging replica), and the in-process model for the single-process reference.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public const ulong ChainId = 31337;
    public const string JobMarket = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    internal TestNode Node { get; } = new();

    internal WorkerProcess Stage0 { get; private set; } = null!;

    internal WorkerProcess Stage1 { get; private set; } = null!;

    internal WorkerProcess Stage1Spare { get; private set; } = null!;

    internal WorkerProcess Stage2 { get; private set; } = null!;

    public IntegerModel Model { get; } = ModelResolver.FromPath(SharedModels.Stories260K).Load();

    public int[] Prompt => Model.Tokenizer.Encode("Once upon a time", bos: true, eos: false);

    public async Task InitializeAsync()
    {
        Task<WorkerProcess> s0 = WorkerProcess.StartAsync(Node, "0-1", "--kv-budget-mb", "1");
        Task<WorkerProcess> s1 = WorkerProcess.StartAsync(Node, "2-3");
        Task<WorkerProcess> s1b = WorkerProcess.StartAsync(Node, "2-3");
        Task<WorkerProcess> s2 = WorkerProcess.StartAsync(Node, "4-4");
        (Stage0, Stage1, Stage1Spare, Stage2) = (await s0, await s1, await s1b, await s2);
    }

    /// <summary>The route through the fixture's workers, with the given endpoints for the middle stage.</summary>
    internal IReadOnlyList<StageRoute> Route(params Uri[] middle) =>
    [
        new StageRoute(0, 1, [Stage0.Address]),
        new StageRoute(2, 3, middle.Length > 0 ? middle : [Stage1.Address]),
        new StageRoute(4, 4, [Stage2.Address]),
    ];

    /// <summary>The fixture's route with stage <paramref name="stage"/> (0, 1 or 2) served by <paramref name="worker"/> alone.</summary>
    internal IReadOnlyList<StageRoute> RouteWith(int stage, Uri worker)
    {
        IReadOnlyList<StageRoute> route = Route();
        return [.. route.Select((s, i) => i == stage ? s with { Endpoints = [worker] } : s)];
    }

    internal static PipelineJob Job(int[] prompt, int maxNewTokens, SamplingParams sampling, byte jobSeed = 1)
    {
        var id = new byte[32];
        id[0] = jobSeed;
        id[31] = (byte)maxNewTokens;
        return new PipelineJob(new Hash32(id), 0, prompt, maxNewTokens, sampling, ChainId, JobMarket);
    }

    /// <summary>The single-process Generator's result and leaves for the same job.</summary>
    public (GenerationResult Result, IReadOnlyList<Hash32> Leaves) Reference(int[] prompt, int maxNewTokens, SamplingParams sampling)
    {
        int positions = Math.Min(Model.Config.SeqLen, prompt.Length + maxNewTokens - 1);
        using var generator = new Generator(Model, positions);
        TraceRecorder trace = generator.NewTrace();
        GenerationResult result = generator.Generate(prompt, maxNewTokens, sampling, trace);
        return (result, trace.Leaves());
    }

    public Task DisposeAsync()
    {
        foreach (WorkerProcess? worker in (WorkerProcess?[])[Stage0, Stage1, Stage1Spare, Stage2]) worker?.Dispose();
        Node.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>One set of worker processes for every test class; the classes run one after another (2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class WorkerCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "workers";
}
