using DePinLedger.Inference.Commitments;
using System.Diagnostics;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;
using DePinLedger.Pipeline;
using DePinLedger.Worker.Contracts;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace DePinLedger.Worker.Tests;

/// <summary>The worker's gRPC surface on real processes: validation statuses, the KV memory budget, retained leaves with proofs, fault injection.</summary>
[Collection(WorkerCollection.Name)]
public sealed class WorkerServiceTests(PipelineFixture fixture)
{
    [Fact]
    public async Task OpenSession_BeyondTheKvBudget_IsRefusedWithResourceExhausted()
    {
        // Stage 0 serves 2 blocks with a 1 MiB budget; a 512-position session holds 2 · 2 · 512 · 32 · 4 B = 256 KiB.
        using var channel = GrpcChannel.ForAddress(fixture.Stage0.Address);
        var client = new Contracts.Worker.WorkerClient(channel);
        var opened = new List<string>();
        try
        {
            RpcException? refusal = null;
            while (refusal is null && opened.Count < 10)
            {
                try
                {
                    OpenSessionReply reply = await client.OpenSessionAsync(Open(512, (byte)opened.Count));
                    Assert.Equal(256 * 1024, reply.KvBytes);
                    opened.Add(reply.SessionId);
                }
                catch (RpcException e)
                {
                    refusal = e;
                }
            }
            Assert.Equal(4, opened.Count);
            Assert.NotNull(refusal);
            Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
            Assert.Contains("KV memory budget exceeded: the session needs 262144 bytes", refusal.Status.Detail);
            InfoReply info = await client.InfoAsync(new InfoRequest());
            Assert.Equal(1 << 20, info.KvUsedBytes);
            Assert.Equal(4, info.OpenSessions);
        }
        finally
        {
            foreach (string id in opened) await client.CloseSessionAsync(new CloseSessionRequest { SessionId = id });
        }
        Assert.Equal(0, (await client.InfoAsync(new InfoRequest())).KvUsedBytes);
        // Freed memory is usable again.
        OpenSessionReply again = await client.OpenSessionAsync(Open(512, 99));
        await client.CloseSessionAsync(new CloseSessionRequest { SessionId = again.SessionId });
    }

    [Fact]
    public async Task EveryMalformedMessage_GetsAClearStatus_AndTheWorkerKeepsServing()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Stage1.Address);
        var client = new Contracts.Worker.WorkerClient(channel);
        int dim = fixture.Model.Config.Dim;

        await Expect(StatusCode.InvalidArgument, "job_id must be 32 bytes", client.OpenSessionAsync(With(Open(8, 1), r => r.JobId = ByteString.CopyFrom(1, 2, 3))));
        await Expect(StatusCode.InvalidArgument, "max_positions must be 1..512", client.OpenSessionAsync(Open(513, 1)));
        await Expect(StatusCode.InvalidArgument, "max_positions must be 1..512", client.OpenSessionAsync(Open(0, 1)));
        await Expect(StatusCode.InvalidArgument, "temperature", client.OpenSessionAsync(With(Open(8, 1), r => r.TemperatureMilli = 2001)));
        await Expect(StatusCode.InvalidArgument, "top-p", client.OpenSessionAsync(With(Open(8, 1), r => r.TopPMilli = 0)));
        await Expect(StatusCode.InvalidArgument, "job_market must be a 0x-address", client.OpenSessionAsync(With(Open(8, 1), r => r.JobMarket = "nowhere")));
        await Expect(StatusCode.InvalidArgument, "replica must be 0 or 1", client.OpenSessionAsync(With(Open(8, 1), r => r.Replica = 2)));
        await Expect(StatusCode.NotFound, "unknown session", client.ForwardAsync(new ForwardRequest { SessionId = "feed", Count = 1, Hidden = Hidden(1, dim) }));

        string session = (await client.OpenSessionAsync(Open(8, 1))).SessionId;
        await Expect(StatusCode.InvalidArgument, "hidden must be count × dim × 4 = 256 bytes, got 255",
            client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 1, Hidden = ByteString.CopyFrom(new byte[255]) }));
        await Expect(StatusCode.InvalidArgument, "only the first stage takes tokens",
            client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 1, Hidden = Hidden(1, dim), Tokens = { 5 } }));
        await Expect(StatusCode.InvalidArgument, "count must be 1..512", client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 0 }));
        await Expect(StatusCode.InvalidArgument, "count must be 1..512", client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 513, Hidden = Hidden(513, dim) }));
        await Expect(StatusCode.InvalidArgument, "only the last stage takes forced_next",
            client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 1, Hidden = Hidden(1, dim), ForcedNext = { 3 } }));
        await Expect(StatusCode.FailedPrecondition, "expected start 0, got 3",
            client.ForwardAsync(new ForwardRequest { SessionId = session, StartPosition = 3, Count = 1, Hidden = Hidden(1, dim) }));
        await Expect(StatusCode.InvalidArgument, "the session holds 8 positions",
            client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 9, Hidden = Hidden(9, dim) }));
        ForwardReply ok = await client.ForwardAsync(new ForwardRequest { SessionId = session, Count = 2, Hidden = Hidden(2, dim) });
        Assert.Equal(2 * dim * 4, ok.Hidden.Length);
        Assert.Equal(2 * 2 * 32, ok.Leaves.Length);
        await Expect(StatusCode.FailedPrecondition, "expected start 2, got 0",
            client.ForwardAsync(new ForwardRequest { SessionId = session, StartPosition = 0, Count = 1, Hidden = Hidden(1, dim) }));
        await client.CloseSessionAsync(new CloseSessionRequest { SessionId = session });
        await Expect(StatusCode.NotFound, "unknown session", client.CloseSessionAsync(new CloseSessionRequest { SessionId = session }));

        // First and last stages check tokens.
        using var first = GrpcChannel.ForAddress(fixture.Stage0.Address);
        var firstClient = new Contracts.Worker.WorkerClient(first);
        string s0 = (await firstClient.OpenSessionAsync(Open(8, 2))).SessionId;
        await Expect(StatusCode.InvalidArgument, "tokens must be within 0..511", firstClient.ForwardAsync(new ForwardRequest { SessionId = s0, Count = 1, Tokens = { 512 } }));
        await Expect(StatusCode.InvalidArgument, "one token per position", firstClient.ForwardAsync(new ForwardRequest { SessionId = s0, Count = 2, Tokens = { 1 } }));
        await firstClient.CloseSessionAsync(new CloseSessionRequest { SessionId = s0 });
        using var last = GrpcChannel.ForAddress(fixture.Stage2.Address);
        var lastClient = new Contracts.Worker.WorkerClient(last);
        string s2 = (await lastClient.OpenSessionAsync(Open(8, 3))).SessionId;
        await Expect(StatusCode.InvalidArgument, "forced_next must have count or count − 1 entries",
            lastClient.ForwardAsync(new ForwardRequest { SessionId = s2, Count = 3, Hidden = Hidden(3, dim), ForcedNext = { 1 } }));
        await lastClient.CloseSessionAsync(new CloseSessionRequest { SessionId = s2 });

        Assert.False(fixture.Stage1.HasExited);
    }

    [Fact]
    public async Task RetainedLeaves_AreServedWithMerkleProofs_AgainstTheSignedTraceRoot()
    {
        PipelineJob job = PipelineFixture.Job(fixture.Prompt, 10, SamplingParams.Greedy, 77);
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(), job);
        SignedStageReceipt middle = result.Receipts[1];
        using var channel = GrpcChannel.ForAddress(middle.Endpoint);
        var client = new Contracts.Worker.WorkerClient(channel);
        int layers = fixture.Model.Config.Layers;
        int positions = result.LeafCount / (layers + 2);
        var hidden = new byte[32];
        var recomputed = new byte[32];
        for (long index = 0; index < 2L * positions; index += 5)
        {
            GetLeafReply leaf = await client.GetLeafAsync(new GetLeafRequest { JobId = ByteString.CopyFrom(job.JobId.AsSpan()), Stage = 1, Index = index });
            var hash = new Hash32(leaf.Leaf.Span);
            Assert.Equal(middle.Receipt.TraceRoot.ToArray(), leaf.TraceRoot.ToByteArray());
            Assert.True(MerkleTree.Verify(new Hash32(leaf.TraceRoot.Span), hash, (int)index, leaf.Proof.Select(p => new Hash32(p.Span)).ToArray()));
            // Stage 1 owns slots 3 and 4: leaf (t, slot) of the job's trace is at t · (L + 2) + slot.
            Assert.Equal((int)(index / 2), leaf.Position);
            Assert.Equal(3 + (int)(index % 2), leaf.Slot);
            Assert.Equal(result.Leaves[leaf.Position * (layers + 2) + leaf.Slot], hash);
            // The retained data opens the leaf.
            Keccak256.Hash(leaf.Hidden.Span, hidden);
            TraceLeaves.Leaf(leaf.Position, leaf.Slot, hidden, leaf.KvRoot.Span, recomputed);
            Assert.Equal(hash, new Hash32(recomputed));
        }
        await Expect(StatusCode.OutOfRange, "outside it", client.GetLeafAsync(new GetLeafRequest { JobId = ByteString.CopyFrom(job.JobId.AsSpan()), Stage = 1, Index = 2L * positions }));
        await Expect(StatusCode.NotFound, "no retained trace", client.GetLeafAsync(new GetLeafRequest { JobId = ByteString.CopyFrom(new byte[32]), Stage = 1, Index = 0 }));
    }

    [Fact]
    public async Task NoiseFault_ChangesTheLeaves_FromTheFirstAffectedLeafOn_AndOnlyFromThere()
    {
        int[] prompt = fixture.Prompt;
        (GenerationResult _, IReadOnlyList<Hash32> reference) = fixture.Reference(prompt, 12, SamplingParams.Greedy);
        using WorkerProcess noisy = await WorkerProcess.StartAsync(fixture.Node, "2-3", "--fault-noise", "6:2");
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.Route(noisy.Address), PipelineFixture.Job(prompt, 12, SamplingParams.Greedy, 66));

        // Noise lands on block 2's output at position 6 after its leaf (slot 3) was hashed: block 3's leaf (slot 4) is the first to differ.
        int stride = fixture.Model.Config.Layers + 2, firstAffected = 6 * stride + 4;
        int firstDifferent = Enumerable.Range(0, result.Leaves.Count).First(i => result.Leaves[i] != reference[i]);
        Assert.Equal(firstAffected, firstDifferent);
    }

    [Fact]
    public async Task CorruptLeafFault_ChangesExactlyThatLeaf_AndNothingElse()
    {
        // Slot 4 is block 3's leaf, on the middle stage (blocks 2-3); the computation itself stays honest.
        (PipelineResult result, IReadOnlyList<Hash32> reference, GenerationResult expected) = await RunWithFault(1, "2-3", "--fault-corrupt-leaf", "7:4");
        int stride = fixture.Model.Config.Layers + 2;
        Assert.Equal([7 * stride + 4], Differences(result.Leaves, reference));
        Assert.Equal(expected.OutputTokens, result.OutputTokens);
    }

    [Fact]
    public async Task SkipLayerFault_ChangesTheLeaves_FromTheSkippedBlocksFirstLeafOn()
    {
        (PipelineResult result, IReadOnlyList<Hash32> reference, _) = await RunWithFault(1, "2-3", "--fault-skip-layer", "3:5");
        int stride = fixture.Model.Config.Layers + 2;
        Assert.Equal(5 * stride + 4, Differences(result.Leaves, reference)[0]);
    }

    [Fact]
    public async Task OtherWeightsFault_ChangesTheLeaves_FromTheStagesFirstLeafOn()
    {
        // Same shape as stories260K, other (seeded random) weights: the stage's first leaf already differs.
        ModelConfig c = fixture.Model.Config;
        (LlamaCheckpoint checkpoint, Tokenizer tokenizer) = SyntheticModel.Create(
            new LlamaConfig(c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize, c.SeqLen, c.SharedClassifier), seed: 99);
        string other = Path.Combine(fixture.Node.Root, "other-weights.dplm");
        ModelFile.Write(ModelImporter.Import(checkpoint, tokenizer), other);
        (PipelineResult result, IReadOnlyList<Hash32> reference, _) = await RunWithFault(1, "2-3", "--fault-other-weights", other);
        Assert.Equal(3, Differences(result.Leaves, reference)[0]);
    }

    [Fact]
    public async Task RandomTokensFault_ChangesTheLeaves_FromTheFirstSampledHeadLeafOn()
    {
        (PipelineResult result, IReadOnlyList<Hash32> reference, GenerationResult expected) = await RunWithFault(2, "4-4", "--fault-random-tokens", "0");
        // Prompt positions carry forced head leaves; the first sampled one is at the prompt's last position.
        int layers = fixture.Model.Config.Layers, stride = layers + 2;
        Assert.Equal((fixture.Prompt.Length - 1) * stride + layers + 1, Differences(result.Leaves, reference)[0]);
        Assert.NotEqual(expected.OutputTokens, result.OutputTokens);
    }

    [Fact]
    public async Task AFaultThatCouldNeverFire_IsRefusedAtStart()
    {
        using var process = Process.Start(WorkerProcess.StartInfo(fixture.Node, "2-3", "--fault-corrupt-leaf", "0:1"))!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("fault injection: slot 1 is not a slot of this stage", error);
    }

    /// <summary>A 14-token greedy job through the fixture's route with stage <paramref name="stage"/> replaced by a worker started with the fault flags, and the single-process reference.</summary>
    private async Task<(PipelineResult, IReadOnlyList<Hash32>, GenerationResult)> RunWithFault(int stage, string layers, params string[] fault)
    {
        (GenerationResult expected, IReadOnlyList<Hash32> reference) = fixture.Reference(fixture.Prompt, 14, SamplingParams.Greedy);
        using WorkerProcess faulty = await WorkerProcess.StartAsync(fixture.Node, layers, fault);
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.RouteWith(stage, faulty.Address), PipelineFixture.Job(fixture.Prompt, 14, SamplingParams.Greedy, 44));
        Assert.Equal(reference.Count, result.Leaves.Count);
        return (result, reference, expected);
    }

    private static int[] Differences(IReadOnlyList<Hash32> leaves, IReadOnlyList<Hash32> reference) =>
        [.. Enumerable.Range(0, leaves.Count).Where(i => leaves[i] != reference[i])];

    [Fact]
    public async Task CrashFault_FailsOverToTheReplica_WithIdenticalResult()
    {
        var sampling = new SamplingParams(700, 1000, SamplingParams.SeedFrom(5));
        (GenerationResult expected, IReadOnlyList<Hash32> leaves) = fixture.Reference(fixture.Prompt, 20, sampling);
        using WorkerProcess crashing = await WorkerProcess.StartAsync(fixture.Node, "4-4", "--fault-crash-at-step", "6");
        IReadOnlyList<StageRoute> route = [.. fixture.Route().Take(2), new StageRoute(4, 4, [crashing.Address, fixture.Stage2.Address])];
        PipelineResult result = await new PipelineRunner(new PipelineOptions { Hedging = false }).RunAsync(route, PipelineFixture.Job(fixture.Prompt, 20, sampling, 55));

        Assert.True(crashing.HasExited);
        Assert.Equal(expected.OutputTokens, result.OutputTokens);
        Assert.Equal(leaves, result.Leaves);
        Assert.Equal(expected.TraceRoot, result.TraceRoot);
        Assert.Equal(1, result.Stages[2].Failovers);
    }

    internal static OpenSessionRequest Open(int positions, byte job)
    {
        var id = new byte[32];
        id[5] = job;
        return new OpenSessionRequest
        {
            JobId = ByteString.CopyFrom(id),
            MaxPositions = positions,
            TopPMilli = 1000,
            Seed = ByteString.CopyFrom(new byte[32]),
            ChainId = PipelineFixture.ChainId,
            JobMarket = PipelineFixture.JobMarket,
        };
    }

    private static OpenSessionRequest With(OpenSessionRequest request, Action<OpenSessionRequest> change)
    {
        change(request);
        return request;
    }

    internal static ByteString Hidden(int count, int dim)
    {
        var bytes = new byte[count * dim * 4];
        for (int i = 3; i < bytes.Length; i += 4) bytes[i] = (byte)(i % 200); // small positive Q16 values
        return ByteString.CopyFrom(bytes);
    }

    private static async Task Expect<T>(StatusCode code, string detail, AsyncUnaryCall<T> call)
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(detail, e.Status.Detail);
    }
}
