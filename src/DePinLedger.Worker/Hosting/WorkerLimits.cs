using DePinLedger.Inference.Model;

namespace DePinLedger.Worker.Hosting;

/// <summary>Sizes derived from the options, shared by both transports.</summary>
public static class WorkerLimits
{
    /// <summary>
    /// The largest message a worker takes or sends: a full batch of hidden vectors and of leaves (at most L + 2 per
    /// position) plus room for the other fields, and never under gRPC's usual 4 MiB (whose default would refuse a big
    /// model's prefill).
    /// </summary>
    public static int MaxMessageBytes(WorkerOptions options, ModelConfig model) =>
        Math.Max(checked(options.MaxBatch * (model.Dim * 4 + (model.Layers + 2) * 32) + (1 << 16)), 4 << 20);
}
