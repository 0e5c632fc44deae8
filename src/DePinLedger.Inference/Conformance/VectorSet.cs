using System.Text.Json;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Conformance;

/// <summary>
/// Writes step vectors, one JSON object per file, and the index that lists them. Field names are the
/// verifier's input names; <c>expected*</c> fields are the engine's outputs; <c>previousLeaf</c> and
/// <c>kvLeaf</c> are the agreed leaves (t, slot−1) and (t−1, slot) a dispute game checks the inputs against.
/// </summary>
internal sealed class VectorSet(string directory)
{
    private readonly List<string> _files = [];
    private readonly SortedDictionary<string, string> _labels = new(StringComparer.Ordinal);
    private readonly List<(string Name, string? Shape, ulong Seed, Hash32 WeightsRoot, int[] Tokens)> _models = [];

    public int Count => _files.Count;

    /// <summary>Names a vector for the gas report (the forge gas test looks vectors up by label); the first one named wins.</summary>
    public void Label(string label, string file) => _labels.TryAdd(label, file);

    /// <summary>
    /// Records a model's trajectory in the index: its name, the synthetic shape and seed that rebuild it
    /// (none for the reference model), its weights root and the token at every position, so that a test can
    /// rerun the engine and check every vector against its own trace.
    /// </summary>
    public void Model(string name, string? shape, ulong seed, Hash32 weightsRoot, int[] tokens) =>
        _models.Add((name, shape, seed, weightsRoot, tokens.ToArray()));

    /// <summary>Block slot−1 at position t, from the trajectory's agreed inputs.</summary>
    public string Layer(string model, ModelOpenings m, Trajectory run, int t, int slot)
    {
        ModelConfig c = m.Model.Config;
        int layer = slot - 1;
        LayerSpan span = run.Span;
        var kv = new byte[t * 8 * c.KvDim];
        for (int s = 0; s < t; s++)
        {
            StepVectors.Pack(span.Key(layer, s)).CopyTo(kv, s * 8 * c.KvDim);
            StepVectors.Pack(span.Value(layer, s)).CopyTo(kv, s * 8 * c.KvDim + 4 * c.KvDim);
        }
        byte[] hiddenIn = StepVectors.Pack(run.Hidden(t, slot - 1));
        Hash32 kvRootPrev = t == 0 ? Hash32.Zero : new Hash32(span.KvRoot(layer, t - 1));

        string name = $"{model}-layer-t{t:D3}-s{slot}.json";
        return Write(name, w =>
        {
            Header(w, "layer", name, m, t, slot);
            Bytes(w, "config", m.ConfigBytes);
            Proof(w, "configProof", m.ConfigProof);
            Bytes(w, "layer", m.LayerBytes(layer));
            Proof(w, "layerProof", m.LayerProof(layer));
            Hash(w, "ropeRoot", m.RopeRoot);
            Proof(w, "ropeRootProof", m.RopeRootProof);
            Bytes(w, "rotaryRow", m.RotaryRow(t));
            Proof(w, "rotaryProof", m.RotaryProof(t));
            Bytes(w, "hidden", hiddenIn);
            Bytes(w, "kv", kv);
            Hash(w, "kvRootPrev", kvRootPrev);
            Hash(w, "previousLeaf", run.Leaf(t, slot - 1));
            Hash(w, "previousLeafB", run.LeafB(t, slot - 1));
            Hash(w, "kvLeaf", t == 0 ? Hash32.Zero : run.Leaf(t - 1, slot));
            Hash(w, "kvLeafA", t == 0 ? Hash32.Zero : Keccak256.Hash(StepVectors.Pack(run.Hidden(t - 1, slot))));
            Bytes(w, "expectedHidden", StepVectors.Pack(run.Hidden(t, slot)));
            Bytes(w, "expectedKey", StepVectors.Pack(span.Key(layer, t)));
            Bytes(w, "expectedValue", StepVectors.Pack(span.Value(layer, t)));
            Hash(w, "expectedKvRoot", new Hash32(span.KvRoot(layer, t)));
            Hash(w, "expectedHiddenInHash", Keccak256.Hash(hiddenIn));
            Hash(w, "expectedLeaf", run.Leaf(t, slot));
        });
    }

    /// <summary>The embedding of <paramref name="token"/> at position t; <paramref name="expected"/> is recomputed when null.</summary>
    public string Embedding(string model, ModelOpenings m, int t, int token, int[]? expected)
    {
        if (expected is null)
        {
            expected = new int[m.Model.Config.Dim];
            EmbeddingStep.Embed(m.Model, token, expected);
        }
        byte[] hidden = StepVectors.Pack(expected);
        Span<byte> tokenField = stackalloc byte[32], leaf = stackalloc byte[32];
        TraceLeaves.TokenField(token, tokenField);
        TraceLeaves.Leaf(t, 0, Keccak256.Hash(hidden).AsSpan(), tokenField, leaf);
        var leafHash = new Hash32(leaf);

        string name = $"{model}-embedding-t{t:D3}-tok{token}.json";
        return Write(name, w =>
        {
            Header(w, "embedding", name, m, t, 0);
            w.WriteNumber("token", token);
            Bytes(w, "row", m.EmbeddingRow(token));
            Proof(w, "rowProof", m.EmbeddingRowProof(token));
            Hash(w, "embeddingRoot", m.EmbeddingRoot);
            Proof(w, "embeddingRootProof", m.EmbeddingRootProof);
            Bytes(w, "expectedHidden", hidden);
            Hash(w, "expectedLeaf", leafHash);
        });
    }

    /// <summary>The head step at position t on the last block's output there, with <paramref name="sampling"/>.</summary>
    public string Head(string model, ModelOpenings m, Trajectory run, int t, SamplingParams sampling)
    {
        IntegerModel integer = m.Model;
        int slot = TraceLeaves.HeadSlot(integer.Config.Layers);
        int[] hidden = run.Hidden(t, slot - 1);
        using var head = new HeadStep(integer, new EngineOptions { Threads = 1 });
        int token = head.Next(hidden, sampling, t, null);
        long threshold = StepVectors.Threshold(head.Logits, sampling, integer.Constants);
        byte[] hiddenIn = StepVectors.Pack(hidden);

        string name = $"{model}-head-t{t:D3}-T{sampling.TemperatureMilli}-P{sampling.TopPMilli}.json";
        return Write(name, w =>
        {
            Header(w, "head", name, m, t, slot);
            Bytes(w, "config", m.ConfigBytes);
            Proof(w, "configProof", m.ConfigProof);
            Bytes(w, "final", m.FinalBytes);
            Proof(w, "finalProof", m.FinalProof);
            Bytes(w, "hidden", hiddenIn);
            Bytes(w, "classifier", m.Classifier);
            w.WriteNumber("temperature", sampling.TemperatureMilli);
            w.WriteNumber("topP", sampling.TopPMilli);
            Hash(w, "seed", sampling.Seed);
            w.WriteNumber("threshold", threshold);
            Hash(w, "previousLeaf", run.Leaf(t, slot - 1));
            Hash(w, "previousLeafB", run.LeafB(t, slot - 1));
            w.WriteNumber("expectedToken", token);
            Hash(w, "expectedHiddenInHash", Keccak256.Hash(hiddenIn));
            Hash(w, "expectedLeaf", TraceLeaves.HeadLeaf(t, slot, token));
        });
    }

    /// <summary>Writes the index: the count, every file in order, and the labelled vectors.</summary>
    public void WriteIndex()
    {
        using FileStream stream = File.Create(Path.Combine(directory, StepVectors.IndexFileName));
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("count", _files.Count);
        w.WriteStartArray("files");
        foreach (string file in _files) w.WriteStringValue(file);
        w.WriteEndArray();
        w.WriteStartObject("labels");
        foreach (var (label, file) in _labels) w.WriteString(label, file);
        w.WriteEndObject();
        w.WriteStartArray("models");
        foreach (var (name, shape, seed, root, tokens) in _models)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            if (shape is null) w.WriteNull("shape");
            else w.WriteString("shape", shape);
            w.WriteString("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Hash(w, "weightsRoot", root);
            w.WriteStartArray("tokens");
            foreach (int token in tokens) w.WriteNumberValue(token);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private string Write(string name, Action<Utf8JsonWriter> body)
    {
        if (_files.Contains(name)) throw new InvalidOperationException($"vector {name} written twice");
        using (FileStream stream = File.Create(Path.Combine(directory, name)))
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        _files.Add(name);
        return name;
    }

    private static void Header(Utf8JsonWriter w, string kind, string name, ModelOpenings m, int position, int slot)
    {
        w.WriteString("kind", kind);
        w.WriteString("name", name[..^".json".Length]);
        Hash(w, "weightsRoot", m.WeightsRoot);
        w.WriteNumber("position", position);
        w.WriteNumber("slot", slot);
    }

    private static void Bytes(Utf8JsonWriter w, string field, ReadOnlySpan<byte> bytes) =>
        w.WriteString(field, "0x" + Convert.ToHexStringLower(bytes));

    private static void Hash(Utf8JsonWriter w, string field, Hash32 hash) => w.WriteString(field, hash.ToString());

    private static void Proof(Utf8JsonWriter w, string field, IEnumerable<Hash32> proof)
    {
        w.WriteStartArray(field);
        foreach (Hash32 node in proof) w.WriteStringValue(node.ToString());
        w.WriteEndArray();
    }
}
