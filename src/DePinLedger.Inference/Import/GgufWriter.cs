using System.Buffers.Binary;
using System.Text;

namespace DePinLedger.Inference.Import;

/// <summary>The ggml tensor types this writer produces (values are ggml's <c>ggml_type</c> numbers).</summary>
public enum GgmlType : uint
{
    /// <summary>float32, little-endian.</summary>
    F32 = 0,

    /// <summary>Blocks of 32 weights: one float16 scale d, then 32 int8 q; w = d · q (34 bytes per block).</summary>
    Q8_0 = 8,
}

/// <summary>GGUF metadata value types (the <c>gguf_type</c> numbers).</summary>
public enum GgufValueType : uint
{
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
}

/// <summary>
/// Writes a GGUF version 3 file (the llama.cpp model format), streaming tensor data from float arrays.
/// </summary>
/// <remarks>
/// Layout, all little-endian, as a sequence of offsets:
/// <code>
/// 0      u32 magic "GGUF" (bytes 47 47 55 46), u32 version 3, u64 tensor count, u64 metadata count
/// 24     metadata: per entry string key, u32 value type, value
///        (string = u64 byte length + UTF-8 bytes; array = u32 element type, u64 count, elements)
/// ...    tensor infos: per tensor string name, u32 n_dims, u64 ne[n_dims] (ne[0] = the contiguous axis,
///        i.e. the columns of a row-major matrix), u32 ggml type, u64 offset from the data section
/// ...    zero padding to <see cref="Alignment"/>
/// data   the tensors in info order, each starting at a multiple of <see cref="Alignment"/> (zero-padded)
/// </code>
/// </remarks>
public sealed class GgufWriter
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;

    public const uint Version = 3;

    /// <summary>The default (and here the only) alignment of the data section and of each tensor in it.</summary>
    public const int Alignment = 32;

    /// <summary>Weights per Q8_0 block.</summary>
    public const int Q8BlockSize = 32;

    /// <summary>Bytes per Q8_0 block: a float16 scale and 32 int8 weights.</summary>
    public const int Q8BlockBytes = 2 + Q8BlockSize;

    private readonly List<(string Key, GgufValueType Type, Action<Stream> Write)> _metadata = [];
    private readonly List<Tensor> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    /// <summary>A tensor to write: its name, its shape in ggml order (ne[0] first), its type and its float source.</summary>
    private sealed record Tensor(string Name, long[] Shape, GgmlType Type, ReadOnlyMemory<float> Data)
    {
        public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

        public long ByteSize => Type == GgmlType.F32 ? Elements * sizeof(float) : Elements / Q8BlockSize * Q8BlockBytes;
    }

    public int TensorCount => _tensors.Count;

    public int MetadataCount => _metadata.Count;

    public void Add(string key, uint value) => AddValue(key, GgufValueType.UInt32, s => WriteU32(s, value));

    public void Add(string key, int value) => AddValue(key, GgufValueType.Int32, s => WriteU32(s, (uint)value));

    public void Add(string key, float value) => AddValue(key, GgufValueType.Float32, s => WriteU32(s, BitConverter.SingleToUInt32Bits(value)));

    public void Add(string key, bool value) => AddValue(key, GgufValueType.Bool, s => s.WriteByte(value ? (byte)1 : (byte)0));

    public void Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        AddValue(key, GgufValueType.String, s => WriteString(s, Encoding.UTF8.GetBytes(value)));
    }

    /// <summary>An array of strings given as raw bytes (token pieces need not be valid UTF-8).</summary>
    public void Add(string key, IReadOnlyList<byte[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        AddArray(key, GgufValueType.String, values.Count, s => { foreach (byte[] v in values) WriteString(s, v); });
    }

    public void Add(string key, IReadOnlyList<float> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        AddArray(key, GgufValueType.Float32, values.Count, s => { foreach (float v in values) WriteU32(s, BitConverter.SingleToUInt32Bits(v)); });
    }

    public void Add(string key, IReadOnlyList<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        AddArray(key, GgufValueType.Int32, values.Count, s => { foreach (int v in values) WriteU32(s, (uint)v); });
    }

    /// <summary>
    /// Adds a tensor of <paramref name="shape"/> (ggml order: ne[0] is the contiguous axis) whose elements are
    /// <paramref name="data"/> in row-major order, to be stored as <paramref name="type"/>.
    /// </summary>
    public void AddTensor(string name, long[] shape, GgmlType type, ReadOnlyMemory<float> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length is < 1 or > 4) throw new ArgumentException($"tensor {name}: a ggml tensor has 1 to 4 dimensions, got {shape.Length}", nameof(shape));
        if (shape.Any(n => n <= 0)) throw new ArgumentException($"tensor {name}: every dimension must be positive, got [{string.Join(", ", shape)}]", nameof(shape));
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"tensor {name} was already added", nameof(name));
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "only F32 and Q8_0 are written");
        var tensor = new Tensor(name, (long[])shape.Clone(), type, data);
        if (tensor.Elements != data.Length)
            throw new ArgumentException($"tensor {name}: shape [{string.Join(", ", shape)}] holds {tensor.Elements} elements, the data has {data.Length}", nameof(data));
        if (type == GgmlType.Q8_0 && shape[0] % Q8BlockSize != 0)
            throw new ArgumentException($"tensor {name}: Q8_0 needs rows (ne[0] = {shape[0]}) that are a multiple of {Q8BlockSize}", nameof(shape));
        _tensors.Add(tensor);
    }

    /// <summary>Writes the whole file. Returns the number of bytes written.</summary>
    public long WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var output = new CountingStream(stream);
        WriteU32(output, Magic);
        WriteU32(output, Version);
        WriteU64(output, (ulong)_tensors.Count);
        WriteU64(output, (ulong)_metadata.Count);
        foreach (var (key, type, write) in _metadata)
        {
            WriteString(output, Encoding.UTF8.GetBytes(key));
            WriteU32(output, (uint)type);
            write(output);
        }

        long offset = 0;
        foreach (Tensor t in _tensors)
        {
            WriteString(output, Encoding.UTF8.GetBytes(t.Name));
            WriteU32(output, (uint)t.Shape.Length);
            foreach (long n in t.Shape) WriteU64(output, (ulong)n);
            WriteU32(output, (uint)t.Type);
            WriteU64(output, (ulong)offset);
            offset = AlignUp(offset + t.ByteSize);
        }
        Pad(output);

        long dataStart = output.Written;
        foreach (Tensor t in _tensors)
        {
            long before = output.Written;
            if (t.Type == GgmlType.F32) WriteF32(output, t.Data.Span);
            else WriteQ8_0(output, t.Data.Span);
            if (output.Written - before != t.ByteSize)
                throw new InvalidOperationException($"tensor {t.Name}: wrote {output.Written - before} bytes, expected {t.ByteSize}");
            Pad(output);
        }
        if (output.Written - dataStart != offset)
            throw new InvalidOperationException($"the data section is {output.Written - dataStart} bytes, the tensor infos promised {offset}");
        return output.Written;
    }

    /// <summary>
    /// Quantizes one Q8_0 block as ggml's reference <c>quantize_row_q8_0</c>: d = max|x| / 127,
    /// q = round(x / d) half away from zero, d stored as float16 (round to nearest even).
    /// </summary>
    public static void QuantizeBlock(ReadOnlySpan<float> block, Span<byte> destination)
    {
        if (block.Length != Q8BlockSize) throw new ArgumentException($"a Q8_0 block holds {Q8BlockSize} weights, got {block.Length}", nameof(block));
        if (destination.Length < Q8BlockBytes) throw new ArgumentException($"a Q8_0 block needs {Q8BlockBytes} bytes", nameof(destination));
        float amax = 0;
        foreach (float x in block) amax = Math.Max(amax, Math.Abs(x));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(destination, (Half)d);
        for (int j = 0; j < Q8BlockSize; j++) destination[2 + j] = (byte)(sbyte)MathF.Round(block[j] * id, MidpointRounding.AwayFromZero);
    }

    /// <summary>The weights of one Q8_0 block: d · q.</summary>
    public static void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> destination)
    {
        if (block.Length < Q8BlockBytes) throw new ArgumentException($"a Q8_0 block is {Q8BlockBytes} bytes", nameof(block));
        if (destination.Length < Q8BlockSize) throw new ArgumentException($"a Q8_0 block holds {Q8BlockSize} weights", nameof(destination));
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        for (int j = 0; j < Q8BlockSize; j++) destination[j] = d * (sbyte)block[2 + j];
    }

    private void AddValue(string key, GgufValueType type, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!_keys.Add(key)) throw new ArgumentException($"metadata key {key} was already added", nameof(key));
        _metadata.Add((key, type, write));
    }

    private void AddArray(string key, GgufValueType elementType, int count, Action<Stream> writeElements) =>
        AddValue(key, GgufValueType.Array, s =>
        {
            WriteU32(s, (uint)elementType);
            WriteU64(s, (ulong)count);
            writeElements(s);
        });

    private static long AlignUp(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(CountingStream output)
    {
        Span<byte> zeros = stackalloc byte[Alignment];
        zeros.Clear();
        output.Write(zeros[..(int)(AlignUp(output.Written) - output.Written)]);
    }

    private static void WriteF32(Stream output, ReadOnlySpan<float> data)
    {
        var buffer = new byte[4096 * sizeof(float)];
        for (int start = 0; start < data.Length; start += 4096)
        {
            int n = Math.Min(4096, data.Length - start);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), data[start + i]);
            output.Write(buffer, 0, n * sizeof(float));
        }
    }

    private static void WriteQ8_0(Stream output, ReadOnlySpan<float> data)
    {
        const int blocksPerChunk = 1024;
        var buffer = new byte[blocksPerChunk * Q8BlockBytes];
        int blocks = data.Length / Q8BlockSize;
        for (int start = 0; start < blocks; start += blocksPerChunk)
        {
            int n = Math.Min(blocksPerChunk, blocks - start);
            for (int b = 0; b < n; b++)
                QuantizeBlock(data.Slice((start + b) * Q8BlockSize, Q8BlockSize), buffer.AsSpan(b * Q8BlockBytes, Q8BlockBytes));
            output.Write(buffer, 0, n * Q8BlockBytes);
        }
    }

    private static void WriteString(Stream output, ReadOnlySpan<byte> utf8)
    {
        WriteU64(output, (ulong)utf8.Length);
        output.Write(utf8);
    }

    private static void WriteU32(Stream output, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        output.Write(bytes);
    }

    private static void WriteU64(Stream output, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        output.Write(bytes);
    }

    /// <summary>A write-only pass-through that counts bytes, so offsets and padding never depend on the stream being seekable.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void WriteByte(byte value)
        {
            inner.WriteByte(value);
            Written++;
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
