using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Steps;
using DePinLedger.Disputes.Tests.Support;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Disputes.Tests;

/// <summary>The recomputed replica traces, stage openings, divergence and step replay, against the engine itself (no chain).</summary>
public sealed class TraceTests
{
    private static IntegerModel Model => DisputeScenario.Model;

    private static int Layers => Model.Config.Layers;

    private static readonly int[] Prompt = Model.Tokenizer.Encode("Once upon a time", bos: true, eos: false);

    private static readonly SamplingParams Sampled = new(800, 900, SamplingParams.SeedFrom(11));

    [Fact]
    public void EngineTrace_OneStage_HasTheGeneratorsTraceRootAndTokens()
    {
        using var generator = new Generator(Model, Prompt.Length + 8 - 1);
        TraceRecorder recorder = generator.NewTrace();
        GenerationResult expected = generator.Generate(Prompt, 8, Sampled, recorder);

        using EngineTrace trace = EngineTrace.Run(new ReplicaRun(Model, Prompt, 8, Sampled, StageLayout.Single(Layers)));

        Assert.Equal(expected.TraceRoot, trace.StageRoot(0));
        Assert.Equal(expected.OutputTokens, trace.Output);
        Assert.Equal(expected.LeafCount, trace.Positions * (Layers + 2));
    }

    [Fact]
    public void StageTraces_AreTheSubsequencesOfTheirSlots_AndOpenEveryLeaf()
    {
        StageLayout layout = StageLayout.Split(Layers, 1, 3, 1);
        using EngineTrace trace = EngineTrace.Run(new ReplicaRun(Model, Prompt, 5, SamplingParams.Greedy, layout));

        // Slots per stage: [0, 1], [2, 3, 4], [5, 6]; ranks restart in each stage.
        Assert.Equal([2, 3, 2], layout.Stages.Select(s => s.SlotsPerPosition(Layers)));
        Assert.Equal([0, 0, 1, 1, 1, 2, 2], Enumerable.Range(0, Layers + 2).Select(layout.StageOf));
        Assert.Equal(3 * 7 + 1, layout.Stages[1].LeafIndex(7, 3, Layers));
        for (int t = 0; t < trace.Positions; t++)
            for (int slot = 0; slot < Layers + 2; slot++)
            {
                var at = new TracePoint(t, slot);
                int stage = layout.StageOf(slot);
                Assert.True(MerkleTree.Verify(trace.StageRoot(stage), trace.Leaf(at), layout.Stages[stage].LeafIndex(t, slot, Layers), trace.Proof(at)));
            }
        Assert.Throws<ArgumentException>(() => new StageLayout(Layers, [new StageSpan(0, 1), new StageSpan(3, 4)]));
        Assert.Throws<ArgumentException>(() => new StageLayout(Layers, [new StageSpan(0, 3)]));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(3, 5)]
    [InlineData(4, 6)]
    [InlineData(7, 3)]
    [InlineData(8, 6)]
    public void Fault_IsTheFirstDivergence_AndTheReplayedStepIsTheHonestLeaf(int position, int slot)
    {
        var at = new TracePoint(position, slot);
        using EngineTrace honest = EngineTrace.Run(new ReplicaRun(Model, Prompt, 6, Sampled, StageLayout.Single(Layers)));
        using EngineTrace faulty = EngineTrace.Run(new ReplicaRun(Model, Prompt, 6, Sampled, StageLayout.Split(Layers, 2, 3)) { Fault = new TraceFault(at) });

        Divergence? divergence = DivergenceFinder.First(honest, faulty);

        Assert.Equal(new Divergence(at, BothPresent: true), divergence);
        Assert.Equal(position * (Layers + 2) + slot, divergence!.At.Index(Layers));
        Assert.NotEqual(honest.Leaf(at), faulty.Leaf(at));
        var openings = DisputeScenario.Openings;
        Hash32 replayed = slot == 0 ? StepWitness.Embedding(honest, openings, at).Leaf
            : slot == Layers + 1 ? StepWitness.Head(honest, openings, at).Leaf
            : StepWitness.Layer(honest, openings, at).Leaf;
        Assert.Equal(honest.Leaf(at), replayed);
        StepAnalysis analysis = DisputeClient.Analyse(
            new ReplicaSide(0, [], honest), new ReplicaSide(1, [], faulty), honest, openings);
        Assert.False(analysis.FirstWrong);
        Assert.True(analysis.SecondWrong);
    }

    [Fact]
    public void IdenticalTraces_HaveNoDivergence_AndAShorterOneEndsWhereItStops()
    {
        using EngineTrace a = EngineTrace.Run(new ReplicaRun(Model, Prompt, 4, SamplingParams.Greedy, StageLayout.Single(Layers)));
        using EngineTrace b = EngineTrace.Run(new ReplicaRun(Model, Prompt, 4, SamplingParams.Greedy, StageLayout.Split(Layers, 4, 1)));
        using EngineTrace longer = EngineTrace.Run(new ReplicaRun(Model, Prompt, 6, SamplingParams.Greedy, StageLayout.Single(Layers)));

        Assert.Null(DivergenceFinder.First(a, b));
        Assert.Equal(new Divergence(new TracePoint(a.Positions, 0), BothPresent: false), DivergenceFinder.First(a, longer));
        // The stop rule decides which one is wrong: for a 4-token job the longer trace, for a 6-token job the shorter.
        StepAnalysis fourTokenJob = DisputeClient.Analyse(new ReplicaSide(0, [], a), new ReplicaSide(1, [], longer), a, DisputeScenario.Openings);
        Assert.True(fourTokenJob.OneAbsent);
        Assert.Equal(Hash32.Zero, fourTokenJob.CorrectLeaf);
        Assert.False(fourTokenJob.FirstWrong);
        Assert.True(fourTokenJob.SecondWrong);
        StepAnalysis sixTokenJob = DisputeClient.Analyse(new ReplicaSide(0, [], a), new ReplicaSide(1, [], longer), longer, DisputeScenario.Openings);
        Assert.True(sixTokenJob.FirstWrong);
        Assert.False(sixTokenJob.SecondWrong);
        Assert.Equal(longer.Leaf(new TracePoint(a.Positions, 0)), sixTokenJob.CorrectLeaf);

        // An absence opening: position 8 of a one-stage trace of 8 positions × 7 leaves is leaf 56, padding (of 64).
        (IReadOnlyList<Hash32> fields, IReadOnlyList<Hash32> proof) = a.Absence(0, a.Positions);
        int index = a.Positions * (Layers + 2);
        Assert.Empty(fields);
        Assert.True(MerkleTree.Verify(a.StageRoot(0), Hash32.Zero, index, proof));
    }

    [Fact]
    public void StepReplay_RefusesInputsThatDoNotChainToTheAgreedRoot()
    {
        using EngineTrace trace = EngineTrace.Run(new ReplicaRun(Model, Prompt, 3, SamplingParams.Greedy, StageLayout.Single(Layers)));
        var at = new TracePoint(3, 2);
        var (step, _) = StepWitness.Layer(trace, DisputeScenario.Openings, at);
        int[] kv = StepReplay.Unpack(step.Kv);
        kv[5]++;

        var e = Assert.Throws<StepInputException>(() => StepReplay.Layer(Model, 3, 2, StepReplay.Unpack(step.Hidden), kv, new Hash32(step.KvRootPrev)));
        Assert.Contains("not to the agreed kvRootPrev", e.Message);
    }
}
