using System.Buffers.Binary;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Hosting;
using DePinLedger.Worker.Traces;

namespace DePinLedger.Worker.Sessions;

/// <summary>A batch of positions handed to a stage, already checked for shape by the service.</summary>
public sealed record ForwardBatch(int StartPosition, int Count, IReadOnlyList<int> Tokens, ReadOnlyMemory<byte> Hidden, IReadOnlyList<int> ForcedNext);

/// <summary>What a stage hands on: hidden vectors (packed big-endian int32) or the sampled token, and its leaves.</summary>
public sealed record ForwardResult(byte[] Hidden, int Token, byte[] Leaves, TimeSpan Compute);

/// <summary>
/// One stage of one job replica on this node: a KV cache per block, the embedding when the span starts at block 0,
/// the head when it ends at block L. Positions arrive in order, exactly once.
/// <para>Commitments (the receipt's roots):</para>
/// <list type="bullet">
/// <item>input root = keccak256 of every input the stage received, in position order: for the first stage the tokens
/// it embedded as packed big-endian uint32, otherwise the hidden vectors as packed big-endian int32 (the bytes on the wire);</item>
/// <item>output root = keccak256 of what it sent on, the same way (so stage s's output root is stage s+1's input
/// root, which JobMarket checks); for the last stage the job's output hash: keccak256 of the sampled tokens as packed
/// big-endian uint32 (SPEC.md §9);</item>
/// <item>trace root = Merkle root of the stage's own leaves (SPEC.md §9, n leaves per position).</item>
/// </list>
/// Forced head leaves (prompt positions) commit to prompt tokens the verifier checks against the prompt, not to inputs.
/// </summary>
public sealed class StageSession : IDisposable
{
    private readonly IntegerModel _model;
    private readonly LayerSpan[] _blocks;   // one per block, so that a fault can act between blocks
    private readonly HeadStep? _head;
    private readonly int[] _x;
    private readonly byte[] _scratch;
    private readonly SessionSink _sink;
    private readonly FaultOptions _faults;
    private Keccak256 _inputs = new(), _outputs = new();
    private readonly List<int> _sampled = [];

    public StageSession(string id, SessionSpec spec, IntegerModel model, WorkerOptions options, TraceStore traces)
    {
        Id = id;
        Spec = spec;
        _faults = options.Faults;
        // With the other-weights fault every step computes with those weights; everything else is unchanged.
        _model = _faults.OtherWeights ?? model;
        FirstLayer = options.FirstLayer;
        EndLayer = options.LastLayer + 1;
        var engine = new EngineOptions { Threads = options.Threads };
        _blocks = new LayerSpan[EndLayer - FirstLayer];
        for (int i = 0; i < _blocks.Length; i++) _blocks[i] = new LayerSpan(_model, FirstLayer + i, 1, spec.MaxPositions, engine);
        if (IsLast) _head = new HeadStep(_model, engine);
        _x = new int[model.Config.Dim];
        _scratch = new byte[4 * model.Config.Dim];
        _sink = new SessionSink(traces.BeginSession(spec.TraceKey, id, model.Config), LeavesPerPosition * spec.MaxPositions, _faults.CorruptPosition, _faults.CorruptSlot);
        LastUsed = DateTime.UtcNow;
    }

    public string Id { get; }

    public SessionSpec Spec { get; }

    public int FirstLayer { get; }

    public int EndLayer { get; }

    public bool IsFirst => FirstLayer == 0;

    public bool IsLast => EndLayer == _model.Config.Layers;

    /// <summary>n = blocks + [embedding] + [head] leaves per position (SPEC.md §9).</summary>
    public int LeavesPerPosition => (EndLayer - FirstLayer) + (IsFirst ? 1 : 0) + (IsLast ? 1 : 0);

    /// <summary>Positions computed so far (the next expected start position).</summary>
    public int Length { get; private set; }

    public DateTime LastUsed { get; private set; }

    /// <summary>Serializes calls on this session. Never disposed: a call may still be waiting on it when the session ends.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Set (under the gate) when the session was closed or dropped; later calls find nothing.</summary>
    public bool Ended { get; private set; }

    public static long KvBytes(ModelConfig config, int layerCount, int maxPositions) => 2L * layerCount * maxPositions * config.KvDim * sizeof(int);

    /// <summary>Runs the batch (shape already validated; positions checked here).</summary>
    public ForwardResult Forward(ForwardBatch batch)
    {
        if (batch.StartPosition != Length)
            throw new SessionStateException($"positions arrive in order: expected start {Length}, got {batch.StartPosition}");
        if (batch.StartPosition + batch.Count > Spec.MaxPositions)
            throw new ArgumentException($"the session holds {Spec.MaxPositions} positions; {Length} used, {batch.Count} more requested");
        var started = System.Diagnostics.Stopwatch.StartNew();
        int dim = _model.Config.Dim;
        byte[] hiddenOut = IsLast ? [] : new byte[batch.Count * dim * 4];
        int leafStart = _sink.Count, token = -1;
        Span<byte> tokenBytes = stackalloc byte[4];
        for (int p = 0; p < batch.Count; p++)
        {
            int position = batch.StartPosition + p;
            if (IsFirst)
            {
                int input = batch.Tokens[p];
                EmbeddingStep.Embed(_model, input, position, _x, _sink, _scratch);
                BinaryPrimitives.WriteUInt32BigEndian(tokenBytes, (uint)input);
                _inputs.Append(tokenBytes);
            }
            else
            {
                ReadOnlySpan<byte> packed = batch.Hidden.Span.Slice(p * dim * 4, dim * 4);
                for (int i = 0; i < dim; i++) _x[i] = BinaryPrimitives.ReadInt32BigEndian(packed[(i * 4)..]);
                _inputs.Append(packed);
            }
            for (int b = 0; b < _blocks.Length; b++)
            {
                if (FirstLayer + b == _faults.SkipLayer && position >= _faults.SkipFromPosition) RecordSkipped(b, position);
                else _blocks[b].Forward(_x, 1, _sink);
                if (position == _faults.NoisePosition && FirstLayer + b == _faults.NoiseLayer) _x[0] = unchecked(_x[0] + 1);
            }
            if (IsLast)
            {
                if (p < batch.ForcedNext.Count) _head!.RecordForced(_sink, position, batch.ForcedNext[p]);
                else if (_faults.RandomTokensFromPosition >= 0 && position >= _faults.RandomTokensFromPosition)
                {
                    token = RandomToken(position);
                    _head!.RecordForced(_sink, position, token);
                    _sampled.Add(token);
                }
                else
                {
                    token = _head!.Next(_x, Spec.Sampling, position, _sink);
                    _sampled.Add(token);
                }
            }
            else
            {
                Span<byte> packed = hiddenOut.AsSpan(p * dim * 4, dim * 4);
                for (int i = 0; i < dim; i++) BinaryPrimitives.WriteInt32BigEndian(packed[(i * 4)..], _x[i]);
                _outputs.Append(packed);
            }
            Length++;
        }
        LastUsed = DateTime.UtcNow;
        return new ForwardResult(hiddenOut, token, _sink.LeafBytes(leafStart, _sink.Count - leafStart), started.Elapsed);
    }

    /// <summary>
    /// The skip-layer fault: block <paramref name="block"/> passes its input through and writes no K/V, so its leaf
    /// commits to the unchanged hidden vector and to the running K/V root of the last position it did compute.
    /// </summary>
    private void RecordSkipped(int block, int position)
    {
        LayerSpan span = _blocks[block];
        Span<byte> kvRoot = stackalloc byte[32], hiddenHash = stackalloc byte[32], leaf = stackalloc byte[32];
        kvRoot.Clear();
        if (span.Length > 0) span.KvRoot(span.FirstLayer, span.Length - 1).CopyTo(kvRoot);
        TraceLeaves.HashVector(_x, _scratch, hiddenHash);
        int slot = FirstLayer + block + 1;
        TraceLeaves.Leaf(position, slot, hiddenHash, kvRoot, leaf);
        int kvDim = _model.Config.KvDim;
        _sink.Record(new TraceStep { Position = position, Slot = slot, Hidden = _x, Key = new int[kvDim], Value = new int[kvDim], KvRoot = kvRoot, Token = -1, Leaf = leaf });
    }

    /// <summary>The random-tokens fault: a token from keccak(job seed ‖ position), no head computed.</summary>
    private int RandomToken(int position)
    {
        Span<byte> material = stackalloc byte[36], digest = stackalloc byte[32];
        Spec.Sampling.Seed.AsSpan().CopyTo(material);
        BinaryPrimitives.WriteInt32BigEndian(material[32..], position);
        Keccak256.Hash(material, digest);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(digest) % (uint)_model.Config.VocabSize);
    }

    /// <summary>Ends the session: seals the trace file and signs the receipt.</summary>
    public (StageReceipt Receipt, byte[] Signature) Close(NodeKey key)
    {
        Hash32 traceRoot = _sink.Seal();
        Hash32 input = _inputs.Finish();
        Hash32 output = IsLast ? TraceLeaves.OutputHash(_sampled) : _outputs.Finish();
        var receipt = new StageReceipt(Spec.JobId, Spec.Replica, Spec.Stage, (ushort)FirstLayer, (ushort)(EndLayer - 1),
            new Bytes32(input.AsSpan()), new Bytes32(traceRoot.AsSpan()), new Bytes32(output.AsSpan()));
        return (receipt, receipt.Sign(Spec.JobMarket, key));
    }

    public void Dispose()
    {
        Ended = true;
        foreach (LayerSpan block in _blocks) block.Dispose();
        _head?.Dispose();
        _sink.Dispose();
    }
}

/// <summary>A call that does not fit the session's state (wrong start position): FAILED_PRECONDITION.</summary>
public sealed class SessionStateException(string message) : Exception(message);
