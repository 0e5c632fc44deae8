using System.Buffers.Binary;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Disputes.Tests.Support;

/// <summary>
/// What a worker pipeline would commit for a replica whose steps are an engine trace's, built from the
/// pipeline's own helpers (PipelineRunner.EmbeddedTokensHash, TraceLeaves.OutputHash, the whole-trace Merkle root) and
/// the worker's packing of the hidden vectors a stage receives and sends (StageSession): the commitments a faulty
/// node would sign for its own (wrong) computation.
/// </summary>
internal static class PipelineCommitments
{
    /// <summary>Stage <paramref name="stage"/>'s input root: the embedded tokens for the first stage, else the hidden vectors it received.</summary>
    public static Bytes32 Input(EngineTrace trace, int stage)
    {
        StageSpan span = trace.Layout.Stages[stage];
        if (span.FirstLayer > 0) return Hidden(trace, span.FirstLayer);
        var prompt = trace.Prompt.ToList();
        return new Bytes32(PipelineRunner.EmbeddedTokensHash(prompt, trace.Output, trace.Positions).AsSpan());
    }

    /// <summary>Stage <paramref name="stage"/>'s output root: the hidden vectors it sent on, or the job's output hash for the last stage.</summary>
    public static Bytes32 Output(EngineTrace trace, int stage)
    {
        StageSpan span = trace.Layout.Stages[stage];
        return span.LastLayer == trace.Layout.Layers - 1 ? new Bytes32(TraceLeaves.OutputHash(trace.Output).AsSpan()) : Hidden(trace, span.LastLayer + 1);
    }

    /// <summary>The replica's result as the coordinator submits it (ResultSubmitter): whole-trace root, output hash, token count.</summary>
    public static ReplicaResult Result(EngineTrace trace, List<SignedStage> stages)
    {
        var leaves = new List<Hash32>();
        for (int t = 0; t < trace.Positions; t++)
            for (int s = 0; s < trace.Layout.Layers + 2; s++) leaves.Add(trace.Leaf(new TracePoint(t, s)));
        return new ReplicaResult
        {
            ResultRoot = MerkleTree.ComputeRoot(leaves).AsSpan().ToArray(), OutputHash = TraceLeaves.OutputHash(trace.Output).AsSpan().ToArray(),
            TokenCount = (uint)trace.Output.Count, Stages = stages,
        };
    }

    // The bytes on the wire between two stages: every position's hidden vector, packed big-endian int32, hashed at once.
    private static Bytes32 Hidden(EngineTrace trace, int slot)
    {
        int dim = trace.Model.Config.Dim;
        var bytes = new byte[trace.Positions * dim * 4];
        for (int t = 0; t < trace.Positions; t++)
        {
            ReadOnlySpan<int> hidden = trace.Hidden(new TracePoint(t, slot));
            for (int i = 0; i < dim; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan((t * dim + i) * 4), hidden[i]);
        }
        return new Bytes32(Keccak256.Hash(bytes).AsSpan());
    }
}
