using DePinLedger.Disputes.Traces;
using DePinLedger.Protocol.Encoding;
using Game = DePinLedger.Chain.Contracts.Game;
using Jobs = DePinLedger.Chain.Contracts.Jobs;
using Prover = DePinLedger.Chain.Contracts.Prover;

namespace DePinLedger.Disputes.Client;

/// <summary>A verified stage of a replica as JobMarket stored it (its ResultSubmitted StageRecord).</summary>
public sealed record StageCommitment(string Node, StageSpan Span, Bytes32 InputRoot, Bytes32 TraceRoot, Bytes32 OutputRoot)
{
    public static StageCommitment From(Jobs.StageRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(AddressText.Checksum(r.Node), new StageSpan(r.FirstLayer, r.LastLayer), Word(r.InputRoot), Word(r.TraceRoot), Word(r.OutputRoot));
    }

    public static StageCommitment From(Game.StageRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(AddressText.Checksum(r.Node), new StageSpan(r.FirstLayer, r.LastLayer), Word(r.InputRoot), Word(r.TraceRoot), Word(r.OutputRoot));
    }

    public static StageCommitment From(Prover.StageRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(AddressText.Checksum(r.Node), new StageSpan(r.FirstLayer, r.LastLayer), Word(r.InputRoot), Word(r.TraceRoot), Word(r.OutputRoot));
    }

    public Game.StageRecord ToGame() => new()
    {
        Node = Node, FirstLayer = (ushort)Span.FirstLayer, LastLayer = (ushort)Span.LastLayer,
        InputRoot = InputRoot.ToArray(), TraceRoot = TraceRoot.ToArray(), OutputRoot = OutputRoot.ToArray(),
    };

    public Prover.StageRecord ToProver() => new()
    {
        Node = Node, FirstLayer = (ushort)Span.FirstLayer, LastLayer = (ushort)Span.LastLayer,
        InputRoot = InputRoot.ToArray(), TraceRoot = TraceRoot.ToArray(), OutputRoot = OutputRoot.ToArray(),
    };

    /// <summary>A 32-byte word from an RPC answer, refusing anything else.</summary>
    public static Bytes32 Word(byte[]? bytes) =>
        bytes is { Length: Bytes32.Length } ? new Bytes32(bytes) : throw new InvalidDataException($"expected a 32-byte word, got {bytes?.Length ?? 0} bytes");
}

/// <summary>One replica's side of a dispute: its index, its stages as verified on chain, and its trace.</summary>
public sealed record ReplicaSide(byte Replica, IReadOnlyList<StageCommitment> Stages, IReplicaTrace Trace)
{
    /// <summary>Checks that the trace is the one the stage nodes signed (same spans, same roots).</summary>
    public void CheckTrace()
    {
        StageLayout layout = Trace.Layout;
        if (layout.Stages.Count != Stages.Count)
            throw new InvalidOperationException($"replica {Replica} has {Stages.Count} stages on chain; its trace has {layout.Stages.Count}");
        for (int i = 0; i < Stages.Count; i++)
        {
            if (layout.Stages[i] != Stages[i].Span)
                throw new InvalidOperationException($"replica {Replica} stage {i} runs blocks {Stages[i].Span.FirstLayer}..{Stages[i].Span.LastLayer} on chain; the trace has {layout.Stages[i]}");
            if (!Trace.StageRoot(i).AsSpan().SequenceEqual(Stages[i].TraceRoot.Span))
                throw new InvalidOperationException($"replica {Replica} stage {i}: the trace's root {Trace.StageRoot(i)} is not the signed trace root {Stages[i].TraceRoot}");
        }
    }
}
