namespace DePinLedger.Scheduler.Planning;

/// <summary>
/// DESIGN.md's memory model: a stage holding layers [first, last] needs the weights of those layers (plus the embedding on
/// the first stage and the classifier on the last), the KV cache 2 · layers · kv_heads · head_dim · context · batch · bytes,
/// and the activations of one step; the sum must fit the node's memory.
/// </summary>
public static class MemoryModel
{
    public static long WeightBytes(ModelShape model, int firstLayer, int lastLayer) =>
        (lastLayer - firstLayer + 1) * model.WeightBytesPerLayer
        + (firstLayer == 0 ? model.EmbeddingBytes : 0)
        + (lastLayer == model.Layers - 1 ? model.ClassifierBytes : 0);

    public static long KvBytes(ModelShape model, int layers, JobShape job) => layers * KvBytesPerLayer(model, job);

    public static long KvBytesPerLayer(ModelShape model, JobShape job) =>
        2L * model.KvHeads * model.HeadDim * job.Context * job.Batch * model.KvBytesPerElement;

    /// <summary>
    /// One step's working buffers per sequence: x, xb, q, and the attention output (4 · dim), the two feed-forward
    /// halves (2 · hidden), the attention scores (heads · context), and the logits on the last stage.
    /// </summary>
    public static long ActivationBytes(ModelShape model, JobShape job, bool lastStage) =>
        (long)job.Batch * model.ActivationBytesPerElement
        * (4L * model.Dim + 2L * model.HiddenDim + (long)model.Heads * job.Context + (lastStage ? model.Vocab : 0));

    /// <summary>Everything a stage holding layers [first, last] needs for this job.</summary>
    public static long RequiredBytes(ModelShape model, JobShape job, int firstLayer, int lastLayer) =>
        WeightBytes(model, firstLayer, lastLayer)
        + KvBytes(model, lastLayer - firstLayer + 1, job)
        + ActivationBytes(model, job, lastLayer == model.Layers - 1);

    /// <summary>
    /// The most layers a node of <paramref name="memoryBytes"/> can hold wherever its span lands (counted as if it held
    /// both ends, so any span of that length fits).
    /// </summary>
    public static int Capacity(ModelShape model, JobShape job, long memoryBytes)
    {
        long fixedBytes = model.EmbeddingBytes + model.ClassifierBytes + ActivationBytes(model, job, lastStage: true);
        long perLayer = model.WeightBytesPerLayer + KvBytesPerLayer(model, job);
        if (memoryBytes <= fixedBytes) return 0;
        return (int)Math.Min(model.Layers, (memoryBytes - fixedBytes) / perLayer);
    }
}
