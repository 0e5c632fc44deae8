using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

/// <summary>
/// SPEC.md §1: the same (model, prompt, parameters, seed) gives the same tokens, trace root and every
/// leaf, whatever the thread count, kernel path, batching or split into spans.
/// </summary>
public class DeterminismTests
{
    private static readonly SamplingParams Sampled = new(800, 900, SamplingParams.SeedFrom(42));

    private sealed record Run(IReadOnlyList<int> Tokens, Hash32 Root, IReadOnlyList<(int, int, Hash32)> Leaves);

    private static Run Generate(IntegerModel model, EngineOptions options, IReadOnlyList<int>? spans = null, bool batched = true, SamplingParams? sampling = null, int maxTokens = 40)
    {
        int[] prompt = model.Tokenizer.Encode("Once upon a time, a small dog", bos: true, eos: false);
        using var generator = new Generator(model, Math.Min(model.Config.SeqLen, prompt.Length + maxTokens), spans, options);
        TraceRecorder trace = generator.NewTrace();
        GenerationResult result = generator.Generate(prompt, maxTokens, sampling ?? Sampled, trace, batchedPrefill: batched);
        Assert.Equal(trace.Root(), result.TraceRoot);
        return new Run(result.OutputTokens, result.TraceRoot, trace.Entries());
    }

    private static void AssertSame(Run expected, Run actual)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Leaves.Count, actual.Leaves.Count);
        for (int i = 0; i < expected.Leaves.Count; i++) Assert.Equal(expected.Leaves[i], actual.Leaves[i]);
        Assert.Equal(expected.Root, actual.Root);
    }

    public static TheoryData<int, KernelPath> ThreadsAndPaths()
    {
        var data = new TheoryData<int, KernelPath>();
        foreach (KernelPath path in new[] { KernelPath.Scalar, KernelPath.Vector256, KernelPath.Vector512 })
            if (DotKernels.IsSupported(path))
                foreach (int threads in new[] { 1, 2, 8 }) data.Add(threads, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(ThreadsAndPaths))]
    public void Stories260K_AnyThreadsAndKernelPath_SameTrace(int threads, KernelPath path)
    {
        Run baseline = Generate(ImportedModels.Stories260K, new EngineOptions { Threads = 1, Kernels = KernelPath.Scalar });
        AssertSame(baseline, Generate(ImportedModels.Stories260K, new EngineOptions { Threads = threads, Kernels = path }));
    }

    [Fact]
    public void Stories260K_PrefillVersusTokenByToken_SameTrace()
    {
        var options = new EngineOptions { Threads = 2 };
        AssertSame(Generate(ImportedModels.Stories260K, options, batched: true), Generate(ImportedModels.Stories260K, options, batched: false));
    }

    public static TheoryData<int[]> AllSplitsOfFiveLayers()
    {
        var data = new TheoryData<int[]>();
        // Every composition of 5 into 2..5 positive parts (15 splits).
        for (int mask = 1; mask < 16; mask++)
        {
            var parts = new List<int>();
            int length = 1;
            for (int bit = 0; bit < 4; bit++)
            {
                if ((mask & (1 << bit)) != 0)
                {
                    parts.Add(length);
                    length = 1;
                }
                else
                {
                    length++;
                }
            }
            parts.Add(length);
            data.Add([.. parts]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllSplitsOfFiveLayers))]
    public void Stories260K_SplitIntoSpans_SameTraceAsWholeModel(int[] spans)
    {
        var options = new EngineOptions { Threads = 1 };
        AssertSame(Generate(ImportedModels.Stories260K, options), Generate(ImportedModels.Stories260K, options, spans));
    }

    [Fact]
    public void Stories260K_RepeatedRuns_SameTraceAndDifferentSeedsDiffer()
    {
        var options = new EngineOptions { Threads = 2 };
        Run first = Generate(ImportedModels.Stories260K, options);
        AssertSame(first, Generate(ImportedModels.Stories260K, options));
        Run otherSeed = Generate(ImportedModels.Stories260K, options, sampling: Sampled with { Seed = SamplingParams.SeedFrom(43) });
        Assert.NotEqual(first.Root, otherSeed.Root);
    }

    [Fact]
    public void ModelFile_RoundTrip_SameModelIdAndSameTrace()
    {
        IntegerModel model = ImportedModels.Stories260K;
        IntegerModel reread = ModelFile.Parse(model.Serialized.ToArray());
        Assert.Equal(model.ModelId, reread.ModelId);
        Assert.Equal(model.WeightsRoot, reread.WeightsRoot);
        var options = new EngineOptions { Threads = 1 };
        AssertSame(Generate(model, options), Generate(reread, options));
    }

    /// <summary>Odd sizes exercise vector tails; hidden 4200 exercises the int32-lane flush of long rows.</summary>
    private static readonly Lazy<IntegerModel> OddShape = new(() =>
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(new LlamaConfig(72, 4200, 2, 6, 3, 400, 64, SharedClassifier: false), seed: 7);
        return ModelImporter.Import(checkpoint, tokenizer);
    });

    /// <summary>Many heads and a long context, so attention is split across threads (above its work threshold).</summary>
    private static readonly Lazy<IntegerModel> ManyHeads = new(() =>
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(new LlamaConfig(256, 256, 1, 16, 8, 400, 256, SharedClassifier: true), seed: 3);
        return ModelImporter.Import(checkpoint, tokenizer);
    });

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public void SyntheticManyHeads_ParallelAttention_SameTraceAsOneThread(int threads)
    {
        Run baseline = Generate(ManyHeads.Value, new EngineOptions { Threads = 1 }, maxTokens: 180);
        Assert.True(baseline.Tokens.Count > 100, "the run must reach positions where attention is split");
        AssertSame(baseline, Generate(ManyHeads.Value, new EngineOptions { Threads = threads }, maxTokens: 180));
    }

    /// <summary>A vocabulary above the head's threshold, so the sampling weights are split across threads.</summary>
    private static readonly Lazy<IntegerModel> LargeVocabulary = new(() =>
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(new LlamaConfig(64, 96, 1, 4, 2, 5000, 64, SharedClassifier: false), seed: 11);
        return ModelImporter.Import(checkpoint, tokenizer);
    });

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public void SyntheticLargeVocabulary_ParallelSamplingWeights_SameTraceAsOneThread(int threads)
    {
        foreach (SamplingParams sampling in new[] { Sampled, new SamplingParams(1000, 1000, SamplingParams.SeedFrom(9)) })
        {
            Run baseline = Generate(LargeVocabulary.Value, new EngineOptions { Threads = 1 }, sampling: sampling, maxTokens: 30);
            AssertSame(baseline, Generate(LargeVocabulary.Value, new EngineOptions { Threads = threads }, sampling: sampling, maxTokens: 30));
        }
    }

    [Fact]
    public void HeadStep_SplitSamplingWeights_DrawTheTokenSamplerSampleDraws()
    {
        IntegerModel model = LargeVocabulary.Value;
        using var head = new HeadStep(model, new EngineOptions { Threads = 4 });
        var random = new Random(3);
        var weights = new long[model.Config.VocabSize];
        var sorted = new long[model.Config.VocabSize];
        for (int position = 0; position < 20; position++)
        {
            int[] hidden = Enumerable.Range(0, model.Config.Dim).Select(_ => random.Next(-(4 << 16), 4 << 16)).ToArray();
            var sampling = new SamplingParams(200 + 90 * position, 500 + 25 * position, SamplingParams.SeedFrom((ulong)position));
            int token = head.Next(hidden, sampling, position, sink: null);
            Assert.Equal(Sampler.Sample(head.Logits, sampling, position, weights, sorted, model.Constants.Exp2High, model.Constants.Exp2Low), token);
        }
    }

    [Theory]
    [MemberData(nameof(ThreadsAndPaths))]
    public void SyntheticOddShape_AnyThreadsAndKernelPath_SameTrace(int threads, KernelPath path)
    {
        Run baseline = Generate(OddShape.Value, new EngineOptions { Threads = 1, Kernels = KernelPath.Scalar }, maxTokens: 20);
        Run other = Generate(OddShape.Value, new EngineOptions { Threads = threads, Kernels = path }, [1, 1], batched: false, maxTokens: 20);
        AssertSame(baseline, other);
    }
}

/// <summary>SPEC.md §9: every computed position has all L+2 leaves, at index t·(L+2) + slot.</summary>
public class TraceLayoutTests
{
    [Fact]
    public void Trace_HasUniformLayoutAndHeadLeavesCarryPromptThenSampledTokens()
    {
        var model = ImportedModels.Stories260K;
        int[] prompt = model.Tokenizer.Encode("Once upon a time", bos: true, eos: false);
        using var generator = new Generator(model, 64);
        TraceRecorder trace = generator.NewTrace();
        GenerationResult result = generator.Generate(prompt, 10, SamplingParams.Greedy, trace);
        int slots = model.Config.Layers + 2, positions = prompt.Length + result.OutputTokens.Count - 1;
        var entries = trace.Entries();
        Assert.Equal(positions * slots, entries.Count);
        for (int i = 0; i < entries.Count; i++) Assert.Equal((i / slots, i % slots), (entries[i].Position, entries[i].Slot));
        int[] expectedNext = [.. prompt.Skip(1), .. result.OutputTokens];
        for (int t = 0; t < positions; t++)
            Assert.Equal(TraceLeaves.HeadLeaf(t, slots - 1, expectedNext[t]), entries[t * slots + slots - 1].Leaf);
        MerkleTree tree = trace.Tree();
        int index = 3 * slots + 2;
        Assert.True(MerkleTree.Verify(result.TraceRoot, entries[index].Leaf, index, tree.Proof(index)));
    }
}

/// <summary>Every leaf a span reports is recomputed here from the step's own data (SPEC.md §9), independently of the engine's hashing.</summary>
public class LeafRecomputationTests
{
    private sealed class RecomputingSink(int layers) : ITraceSink
    {
        private readonly Dictionary<int, byte[]> _kvRoots = [];
        public int Checked { get; private set; }

        public void Record(in TraceStep step)
        {
            byte[] a = new byte[32], b = new byte[32], leaf = new byte[32];
            if (step.Slot == 0 || step.Slot == layers + 1)
            {
                if (step.Slot == 0) a = Keccak256.Hash(Pack(step.Hidden)).ToArray();
                TraceLeaves.TokenField(step.Token, b);
            }
            else
            {
                byte[] previous = _kvRoots.TryGetValue(step.Slot, out byte[]? p) ? p : new byte[32];
                b = Keccak256.Hash([.. previous, .. Pack(step.Key), .. Pack(step.Value)]).ToArray();
                Assert.Equal(b, step.KvRoot.ToArray());
                _kvRoots[step.Slot] = b;
                a = Keccak256.Hash(Pack(step.Hidden)).ToArray();
            }
            TraceLeaves.Leaf(step.Position, step.Slot, a, b, leaf);
            Assert.Equal(leaf, step.Leaf.ToArray());
            Checked++;
        }

        private static byte[] Pack(ReadOnlySpan<int> values)
        {
            var bytes = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
            return bytes;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EveryReportedLeaf_MatchesItsRecomputation(int threads)
    {
        var model = ImportedModels.Stories260K;
        int[] prompt = model.Tokenizer.Encode("Once upon a time", bos: true, eos: false);
        var sink = new RecomputingSink(model.Config.Layers);
        int dim = model.Config.Dim;
        using var spanA = new LayerSpan(model, 0, 2, 64, new EngineOptions { Threads = threads });
        using var spanB = new LayerSpan(model, 2, 3, 64, new EngineOptions { Threads = threads });
        var hidden = new int[prompt.Length * dim];
        var scratch = new byte[4 * dim];
        for (int t = 0; t < prompt.Length; t++) EmbeddingStep.Embed(model, prompt[t], t, hidden.AsSpan(t * dim, dim), sink, scratch);
        spanA.Forward(hidden, prompt.Length, sink);
        spanB.Forward(hidden, prompt.Length, sink);
        Assert.Equal(prompt.Length * (1 + model.Config.Layers), sink.Checked);
    }
}
