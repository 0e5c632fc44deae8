using System.Buffers.Binary;
using System.Text.Json;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

/// <summary>
/// The conformance vectors the forge tests replay on-chain (StepVectors): there are enough of them, they cover the
/// edge cases, and every expected output is the engine's own, checked against a separate run of the engine (the
/// Generator with batched prefill and a TraceRecorder), so the vectors cannot drift from the engine.
/// </summary>
public sealed class ConformanceTests(ConformanceTests.GeneratedVectors vectors) : IClassFixture<ConformanceTests.GeneratedVectors>
{
    /// <summary>One generation of every vector into a temporary folder, shared by the tests of this class.</summary>
    public sealed class GeneratedVectors : IDisposable
    {
        public GeneratedVectors()
        {
            Directory = Path.Combine(Path.GetTempPath(), "depin-step-vectors-" + Guid.NewGuid().ToString("N"));
            Count = StepVectors.WriteAll(Directory, ImportedModels.Stories260K);
            using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, StepVectors.IndexFileName)));
            Files = index.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToArray();
            Models = index.RootElement.GetProperty("models").EnumerateArray().Select(m => new IndexedModel(
                m.GetProperty("name").GetString()!,
                m.GetProperty("shape").GetString(),
                ulong.Parse(m.GetProperty("seed").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                Hash32.Parse(m.GetProperty("weightsRoot").GetString()!),
                m.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray())).ToArray();
            IndexCount = index.RootElement.GetProperty("count").GetInt32();
        }

        public string Directory { get; }

        public int Count { get; }

        public int IndexCount { get; }

        public string[] Files { get; }

        public IndexedModel[] Models { get; }

        public JsonElement Read(string file)
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, file)));
            return document.RootElement.Clone();
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    public sealed record IndexedModel(string Name, string? Shape, ulong Seed, Hash32 WeightsRoot, int[] Tokens);

    [Fact]
    public void WriteAll_WritesAtLeast200VectorsListedInTheIndex()
    {
        Assert.True(vectors.Count >= 200, $"only {vectors.Count} vectors");
        Assert.Equal(vectors.Count, vectors.IndexCount);
        Assert.Equal(vectors.Count, vectors.Files.Length);
        Assert.Equal(vectors.Count, vectors.Files.Distinct().Count());
        foreach (string file in vectors.Files) Assert.True(File.Exists(Path.Combine(vectors.Directory, file)), file);
    }

    [Fact]
    public void WriteAll_IsDeterministicAndReplacesItsPreviousFiles()
    {
        string again = Path.Combine(Path.GetTempPath(), "depin-step-vectors-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(again);
            File.WriteAllText(Path.Combine(again, StepVectors.IndexFileName), """{"files": ["stale.json", "../escape.json"]}""");
            File.WriteAllText(Path.Combine(again, "stale.json"), "{}");
            Assert.Equal(vectors.Count, StepVectors.WriteAll(again, ImportedModels.Stories260K));
            Assert.False(File.Exists(Path.Combine(again, "stale.json")));
            Assert.Equal(vectors.Count + 1, Directory.GetFiles(again).Length);
            foreach (string file in vectors.Files.Append(StepVectors.IndexFileName))
                Assert.True(File.ReadAllBytes(Path.Combine(vectors.Directory, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again, file))), file);
        }
        finally
        {
            Directory.Delete(again, recursive: true);
        }
    }

    [Fact]
    public void EveryVector_AgreesWithTheEnginesOwnTrace()
    {
        int checkedVectors = 0;
        foreach (IndexedModel indexed in vectors.Models)
        {
            IntegerModel model = indexed.Shape is null
                ? ImportedModels.Stories260K
                : StepVectors.BuildSynthetic(StepVectors.SyntheticShapes.Single(s => s.Name == indexed.Shape), indexed.Seed);
            Assert.Equal(model.WeightsRoot, indexed.WeightsRoot);
            Dictionary<(int, int), Hash32> trace = EngineTrace(model, indexed.Tokens);
            foreach (string file in vectors.Files.Where(f => f.StartsWith(indexed.Name + "-", StringComparison.Ordinal)))
            {
                JsonElement v = vectors.Read(file);
                Assert.Equal(model.WeightsRoot, HashOf(v, "weightsRoot"));
                switch (v.GetProperty("kind").GetString())
                {
                    case "layer": CheckLayer(model, v, trace); break;
                    case "embedding": CheckEmbedding(model, v, trace, indexed.Tokens); break;
                    case "head": CheckHead(model, v, trace); break;
                    default: Assert.Fail($"{file}: unknown kind"); break;
                }
                checkedVectors++;
            }
        }
        Assert.Equal(vectors.Count, checkedVectors);
    }

    [Fact]
    public void Vectors_CoverTheEdgeCases()
    {
        var names = vectors.Files.ToHashSet();
        foreach (int t in new[] { 0, 1, 64, 256, 511 })
            for (int slot = 1; slot <= ImportedModels.Stories260K.Config.Layers; slot++)
                Assert.Contains($"stories260K-layer-t{t:D3}-s{slot}.json", names);
        Assert.Contains(vectors.Files, f => f.StartsWith("stories260K-embedding-", StringComparison.Ordinal));
        Assert.Contains(vectors.Files, f => f.StartsWith("stories260K-head-t511-T0-", StringComparison.Ordinal));

        bool saturated = false, clamped = false, zeroHidden = false, topP = false, unshared = false, grouped = false;
        var headSizes = new HashSet<int>();
        foreach (StepVectors.SyntheticShape shape in StepVectors.SyntheticShapes)
        {
            unshared |= !shape.Config.SharedClassifier;
            grouped |= shape.Config.KvHeads < shape.Config.Heads;
            headSizes.Add(shape.Config.HeadSize);
        }
        foreach (string file in vectors.Files)
        {
            JsonElement v = vectors.Read(file);
            string kind = v.GetProperty("kind").GetString()!;
            if (kind is "layer" or "embedding")
            {
                int[] hidden = Ints(v, "expectedHidden");
                saturated |= hidden.Any(x => x is int.MaxValue or -int.MaxValue);
                zeroHidden |= hidden.All(x => x == 0);
            }
            if (kind == "layer") clamped |= Ints(v, "expectedKey").Any(k => Math.Abs((long)k) > (1L << 26) - 1);
            if (kind == "head") topP |= v.GetProperty("temperature").GetInt32() > 0 && v.GetProperty("topP").GetInt32() < 1000;
        }
        Assert.True(saturated, "no vector saturates an activation");
        Assert.True(clamped, "no vector has a key beyond the attention clamp");
        Assert.True(zeroHidden, "no vector has an all-zero hidden vector");
        Assert.True(topP, "no head vector samples with top-p below 1");
        Assert.True(unshared && grouped, "no unshared classifier or grouped-query attention");
        Assert.Superset(new HashSet<int> { 2, 4, 6, 10, 16 }, headSizes);
    }

    // The leaves of an independent engine run: the whole trajectory as one prompt, prefilled in one batch.
    private static Dictionary<(int, int), Hash32> EngineTrace(IntegerModel model, int[] tokens)
    {
        using var generator = new Generator(model, tokens.Length);
        TraceRecorder recorder = generator.NewTrace();
        generator.Generate(tokens, 1, SamplingParams.Greedy, recorder);
        return recorder.Entries().ToDictionary(e => (e.Position, e.Slot), e => e.Leaf);
    }

    private static void CheckLayer(IntegerModel model, JsonElement v, Dictionary<(int, int), Hash32> trace)
    {
        ModelConfig c = model.Config;
        int t = v.GetProperty("position").GetInt32(), slot = v.GetProperty("slot").GetInt32();
        Hash32 root = model.WeightsRoot;
        Assert.Equal(trace[(t, slot)], HashOf(v, "expectedLeaf"));
        Assert.Equal(trace[(t, slot - 1)], HashOf(v, "previousLeaf"));

        // The leaf is made of the outputs, and the outputs extend the agreed chain.
        byte[] hidden = Bytes(v, "hidden"), kv = Bytes(v, "kv");
        Hash32 kvRootPrev = HashOf(v, "kvRootPrev");
        Assert.Equal(Leaf(t, slot, Keccak256.Hash(Bytes(v, "expectedHidden")), HashOf(v, "expectedKvRoot")), HashOf(v, "expectedLeaf"));
        Assert.Equal(Keccak256.Hash([.. kvRootPrev.AsSpan(), .. Bytes(v, "expectedKey"), .. Bytes(v, "expectedValue")]), HashOf(v, "expectedKvRoot"));
        Assert.Equal(Keccak256.Hash(hidden), HashOf(v, "expectedHiddenInHash"));
        Assert.Equal(Leaf(t, slot - 1, Keccak256.Hash(hidden), HashOf(v, "previousLeafB")), HashOf(v, "previousLeaf"));
        int entry = 8 * c.KvDim;
        Assert.Equal(t * entry, kv.Length);
        Hash32 chained = Hash32.Zero;
        for (int s = 0; s < t; s++) chained = Keccak256.Hash([.. chained.AsSpan(), .. kv.AsSpan(s * entry, entry)]);
        Assert.Equal(chained, kvRootPrev);
        if (t > 0)
        {
            Assert.Equal(trace[(t - 1, slot)], HashOf(v, "kvLeaf"));
            Assert.Equal(Leaf(t - 1, slot, HashOf(v, "kvLeafA"), kvRootPrev), HashOf(v, "kvLeaf"));
        }

        // Every opening verifies.
        Assert.True(MerkleTree.Verify(root, Keccak256.Hash(Bytes(v, "config")), ModelCommitment.ConfigLeafIndex, Proof(v, "configProof")));
        Assert.True(MerkleTree.Verify(root, Keccak256.Hash(Bytes(v, "layer")), ModelCommitment.LayerLeafIndex(slot - 1), Proof(v, "layerProof")));
        Assert.True(MerkleTree.Verify(root, HashOf(v, "ropeRoot"), ModelCommitment.RopeLeafIndex, Proof(v, "ropeRootProof")));
        Assert.True(MerkleTree.Verify(HashOf(v, "ropeRoot"), Keccak256.Hash(Bytes(v, "rotaryRow")), t, Proof(v, "rotaryProof")));
    }

    private static void CheckEmbedding(IntegerModel model, JsonElement v, Dictionary<(int, int), Hash32> trace, int[] tokens)
    {
        int t = v.GetProperty("position").GetInt32(), token = v.GetProperty("token").GetInt32();
        var hidden = new int[model.Config.Dim];
        EmbeddingStep.Embed(model, token, hidden);
        byte[] packed = StepVectors.Pack(hidden);
        Assert.Equal(packed, Bytes(v, "expectedHidden"));
        Span<byte> field = stackalloc byte[32];
        TraceLeaves.TokenField(token, field);
        Hash32 leaf = Leaf(t, 0, Keccak256.Hash(packed), new Hash32(field));
        Assert.Equal(leaf, HashOf(v, "expectedLeaf"));
        if (tokens[t] == token) Assert.Equal(trace[(t, 0)], leaf);
        Assert.True(MerkleTree.Verify(model.WeightsRoot, HashOf(v, "embeddingRoot"), ModelCommitment.EmbeddingLeafIndex, Proof(v, "embeddingRootProof")));
        Assert.True(MerkleTree.Verify(HashOf(v, "embeddingRoot"), Keccak256.Hash(Bytes(v, "row")), token, Proof(v, "rowProof")));
    }

    private static void CheckHead(IntegerModel model, JsonElement v, Dictionary<(int, int), Hash32> trace)
    {
        ModelConfig c = model.Config;
        int t = v.GetProperty("position").GetInt32(), slot = v.GetProperty("slot").GetInt32();
        Assert.Equal(TraceLeaves.HeadSlot(c.Layers), slot);
        byte[] hiddenBytes = Bytes(v, "hidden");
        Assert.Equal(trace[(t, slot - 1)], HashOf(v, "previousLeaf"));
        Assert.Equal(Leaf(t, slot - 1, Keccak256.Hash(hiddenBytes), HashOf(v, "previousLeafB")), HashOf(v, "previousLeaf"));

        var sampling = new SamplingParams(v.GetProperty("temperature").GetInt32(), v.GetProperty("topP").GetInt32(), HashOf(v, "seed"));
        using var head = new HeadStep(model);
        int token = head.Next(Ints(v, "hidden"), sampling, t, null);
        Assert.Equal(token, v.GetProperty("expectedToken").GetInt32());
        Assert.Equal(TraceLeaves.HeadLeaf(t, slot, token), HashOf(v, "expectedLeaf"));

        // The τ hint passes the verifier's O(vocab) check (SPEC.md §10) and is 0 without top-p.
        long threshold = v.GetProperty("threshold").GetInt64();
        if (sampling.TemperatureMilli == 0 || sampling.TopPMilli == 1000) Assert.Equal(0, threshold);
        else
        {
            long[] weights = StepVectors.Weights(head.Logits, sampling, model.Constants);
            long mass = weights.Sum();
            long above = weights.Where(e => e > threshold).Sum(), atOrAbove = weights.Where(e => e >= threshold).Sum();
            Assert.True(1000 * above < sampling.TopPMilli * mass && sampling.TopPMilli * mass <= 1000 * atOrAbove, $"τ {threshold} fails the check");
        }

        byte[] final = Bytes(v, "final"), classifier = Bytes(v, "classifier");
        Assert.True(MerkleTree.Verify(model.WeightsRoot, Keccak256.Hash(final), ModelCommitment.FinalLeafIndex(c.Layers), Proof(v, "finalProof")));
        int row = c.Dim + 8;
        Assert.Equal(c.VocabSize * row, classifier.Length);
        Hash32 classifierRoot = MerkleTree.ComputeRoot(Enumerable.Range(0, c.VocabSize).Select(r => Keccak256.Hash(classifier.AsSpan(r * row, row))).ToArray());
        Assert.Equal(new Hash32(final.AsSpan(final.Length - 32)), classifierRoot);
    }

    private static Hash32 Leaf(int position, int slot, Hash32 a, Hash32 b)
    {
        Span<byte> digest = stackalloc byte[32];
        TraceLeaves.Leaf(position, slot, a.AsSpan(), b.AsSpan(), digest);
        return new Hash32(digest);
    }

    private static byte[] Bytes(JsonElement v, string field) => Convert.FromHexString(v.GetProperty(field).GetString()!.AsSpan(2));

    private static Hash32 HashOf(JsonElement v, string field) => Hash32.Parse(v.GetProperty(field).GetString()!);

    private static Hash32[] Proof(JsonElement v, string field) =>
        v.GetProperty(field).EnumerateArray().Select(p => Hash32.Parse(p.GetString()!)).ToArray();

    private static int[] Ints(JsonElement v, string field)
    {
        byte[] bytes = Bytes(v, field);
        var values = new int[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i * 4));
        return values;
    }
}
