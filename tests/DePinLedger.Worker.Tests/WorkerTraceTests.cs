using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using Grpc.Core;

namespace DePinLedger.Worker.Tests;

/// <summary>
/// The dispute service's view of a replica: its trace fetched from the workers that retained it (gRPC GetLeaf), every
/// leaf re-derived from its fields and opened against the root each stage signed.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class WorkerTraceTests(PipelineFixture fixture)
{
    [Fact]
    public async Task ARetainedTrace_OpensEveryLeaf_AgainstTheSignedStageRoots()
    {
        PipelineJob job = PipelineFixture.Job(fixture.Prompt, 9, new SamplingParams(700, 900, SamplingParams.SeedFrom(3)), 88);
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(), job);
        int layers = fixture.Model.Config.Layers, positions = result.LeafCount / (layers + 2);
        var layout = new StageLayout(layers, [.. result.Receipts.Select(r => new StageSpan(r.Receipt.FirstLayer, r.Receipt.LastLayer))]);

        WorkerTrace trace = await WorkerTrace.LoadAsync(new Bytes32(job.JobId.AsSpan()), 0, layout, positions, [.. result.Receipts.Select(r => r.Endpoint)], default);

        Assert.Equal(positions, trace.Positions);
        for (int s = 0; s < result.Receipts.Count; s++) Assert.Equal(result.Receipts[s].Receipt.TraceRoot.ToArray(), trace.StageRoot(s).ToArray());
        for (int t = 0; t < positions; t++)
            for (int slot = 0; slot < layers + 2; slot++)
            {
                var at = new TracePoint(t, slot);
                Hash32 leaf = trace.Fields(at).Leaf(at);
                Assert.Equal(result.Leaves[at.Index(layers)], leaf);
                int stage = layout.StageOf(slot);
                Assert.True(MerkleTree.Verify(trace.StageRoot(stage), leaf, layout.Stages[stage].LeafIndex(t, slot, layers), trace.Proof(at).ToArray()));
            }
    }

    [Fact]
    public async Task AStageItsWorkerCannotServe_IsLeftOut_TheOthersOpen_AndAbsenceProofsAreTheEngines()
    {
        var sampling = new SamplingParams(700, 900, SamplingParams.SeedFrom(5));
        PipelineJob job = PipelineFixture.Job(fixture.Prompt, 6, sampling, 89);
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(), job);
        int layers = fixture.Model.Config.Layers, positions = result.LeafCount / (layers + 2);
        var layout = new StageLayout(layers, [.. result.Receipts.Select(r => new StageSpan(r.Receipt.FirstLayer, r.Receipt.LastLayer))]);
        Uri[] workers = [.. result.Receipts.Select(r => r.Endpoint)];
        workers[1] = workers[0]; // stage 0's worker never ran stage 1: NotFound

        WorkerTrace trace = await WorkerTrace.LoadAvailableAsync(new Bytes32(job.JobId.AsSpan()), 0, layout, positions, workers, default);

        Assert.False(trace.Complete);
        Assert.Equal([0, 2], trace.AvailableStages);
        Assert.Contains("stage 1", Assert.Single(trace.MissingReasons));
        Assert.Throws<InvalidOperationException>(() => trace.Fields(new TracePoint(0, 3)));
        Assert.Throws<InvalidOperationException>(() => trace.StageRoot(1));
        Assert.Equal(result.Leaves[new TracePoint(1, 6).Index(layers)], trace.Fields(new TracePoint(1, 6)).Leaf(new TracePoint(1, 6)));
        // Past the end of the trace, inside the padded tree and beyond it: the same proofs the engine's trace gives.
        using EngineTrace engine = EngineTrace.Run(new ReplicaRun(fixture.Model, fixture.Prompt, 6, sampling, layout));
        foreach (int stage in (int[])[0, 2])
            foreach (int position in (int[])[positions, 300])
            {
                (IReadOnlyList<Hash32> fields, IReadOnlyList<Hash32> proof) = trace.Absence(stage, position);
                (IReadOnlyList<Hash32> expectedFields, IReadOnlyList<Hash32> expectedProof) = engine.Absence(stage, position);
                Assert.Equal(expectedFields, fields);
                Assert.Equal(expectedProof, proof);
            }
    }

    [Fact]
    public async Task AStageAskedForAJobItNeverRan_IsAClearFailure()
    {
        var layout = new StageLayout(fixture.Model.Config.Layers, [new StageSpan(0, 1), new StageSpan(2, 3), new StageSpan(4, 4)]);
        var e = await Assert.ThrowsAsync<RpcException>(() => WorkerTrace.LoadAsync(new Bytes32(new byte[32]), 0, layout, 3,
            [fixture.Stage0.Address, fixture.Stage1.Address, fixture.Stage2.Address], default));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }
}
