using System.Buffers.Binary;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;

namespace DePinLedger.Worker.Traces;

/// <summary>
/// The traces of closed sessions, kept on disk for the challenge window so that the dispute service can ask for any
/// leaf, its preimage data and its Merkle proof. One file per (job, replica, stage): fixed-size records in trace order
/// (record i is leaf i of the stage), each
/// <c>u32 position ‖ u16 slot ‖ i32 token ‖ bytes32 leaf ‖ bytes32 kvRoot ‖ i32[dim] hidden ‖ i32[kvDim] key ‖ i32[kvDim] value</c>
/// (big-endian; fields a step lacks are zero). Bounded: files older than the retention time go first, then the oldest
/// until the total fits the byte limit.
/// </summary>
public sealed class TraceStore(string directory, long maxBytes, TimeSpan retention, ModelConfig config)
{
    public const string Extension = ".trace";

    public string Directory { get; } = directory;

    public int RecordLength { get; } = 4 + 2 + 4 + 32 + 32 + 4 * (config.Dim + 2 * config.KvDim);

    internal TraceWriter BeginSession(string key, string sessionId, ModelConfig model)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return new TraceWriter(this, Path.Combine(Directory, $"{key}.{sessionId}.partial"), Path.Combine(Directory, key + Extension), model);
    }

    /// <summary>Deletes expired traces, then the oldest until the rest fit.</summary>
    public void Enforce()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        var files = new DirectoryInfo(Directory).GetFiles("*" + Extension).OrderBy(f => f.LastWriteTimeUtc).ToList();
        DateTime cutoff = DateTime.UtcNow - retention;
        long total = files.Sum(f => f.Length);
        foreach (FileInfo file in files)
        {
            if (file.LastWriteTimeUtc >= cutoff && total <= maxBytes) break;
            total -= file.Length;
            file.Delete();
        }
    }

    /// <summary>Leaf <paramref name="index"/> of a retained trace with its proof, or null when no such trace is kept.</summary>
    public RetainedLeaf? Read(string key, long index)
    {
        string path = Path.Combine(Directory, key + Extension);
        if (!File.Exists(path)) return null;
        byte[] bytes = File.ReadAllBytes(path);
        long count = bytes.Length / RecordLength;
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"the trace has {count} leaves; index {index} is outside it");
        var leaves = new Hash32[count];
        for (int i = 0; i < count; i++) leaves[i] = new Hash32(bytes.AsSpan(i * RecordLength + 10, 32));
        var tree = new MerkleTree(leaves);
        ReadOnlySpan<byte> record = bytes.AsSpan((int)index * RecordLength, RecordLength);
        int dim = config.Dim, kvDim = config.KvDim;
        int slot = BinaryPrimitives.ReadUInt16BigEndian(record[4..]);
        bool block = slot >= 1 && slot <= config.Layers, head = slot == config.Layers + 1;
        return new RetainedLeaf(
            (int)BinaryPrimitives.ReadUInt32BigEndian(record), slot, BinaryPrimitives.ReadInt32BigEndian(record[6..]),
            leaves[index], tree.Proof((int)index), tree.Root,
            block ? record.Slice(42, 32).ToArray() : [],
            head ? [] : record.Slice(74, 4 * dim).ToArray(),
            block ? record.Slice(74 + 4 * dim, 4 * kvDim).ToArray() : [],
            block ? record.Slice(74 + 4 * (dim + kvDim), 4 * kvDim).ToArray() : []);
    }
}

/// <summary>A retained leaf, its proof against the stage's trace root, and the data the leaf hashes.</summary>
public sealed record RetainedLeaf(int Position, int Slot, int Token, Hash32 Leaf, Hash32[] Proof, Hash32 TraceRoot, byte[] KvRoot, byte[] Hidden, byte[] Key, byte[] Value);

/// <summary>Streams one session's steps to a partial file; <see cref="Commit"/> publishes it under the trace key.</summary>
internal sealed class TraceWriter(TraceStore store, string partialPath, string finalPath, ModelConfig config) : IDisposable
{
    private readonly FileStream _file = new(partialPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
    private readonly byte[] _record = new byte[store.RecordLength];
    private bool _committed;

    public void Write(in TraceStep step)
    {
        Span<byte> r = _record;
        r.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(r, (uint)step.Position);
        BinaryPrimitives.WriteUInt16BigEndian(r[4..], (ushort)step.Slot);
        BinaryPrimitives.WriteInt32BigEndian(r[6..], step.Token);
        step.Leaf[..32].CopyTo(r[10..]);
        if (!step.KvRoot.IsEmpty) step.KvRoot[..32].CopyTo(r[42..]);
        WriteInts(step.Hidden, r[74..]);
        WriteInts(step.Key, r[(74 + 4 * config.Dim)..]);
        WriteInts(step.Value, r[(74 + 4 * (config.Dim + config.KvDim))..]);
        _file.Write(r);
    }

    public void Commit()
    {
        _file.Flush();
        _file.Dispose();
        File.Move(partialPath, finalPath, overwrite: true);
        _committed = true;
        store.Enforce();
    }

    public void Dispose()
    {
        _file.Dispose();
        if (!_committed && File.Exists(partialPath)) File.Delete(partialPath);
    }

    private static void WriteInts(ReadOnlySpan<int> values, Span<byte> destination)
    {
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(destination[(i * 4)..], values[i]);
    }
}
