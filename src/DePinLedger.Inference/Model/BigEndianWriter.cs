using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DePinLedger.Inference.Model;

/// <summary>Appends big-endian integers (the EVM's byte order) to a growing buffer.</summary>
internal sealed class BigEndianWriter(int initialCapacity = 1024)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(initialCapacity);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public int Length => _buffer.WrittenCount;

    public void Bytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void SBytes(ReadOnlySpan<sbyte> values) => _buffer.Write(MemoryMarshal.AsBytes(values));

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void I32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void I32s(ReadOnlySpan<int> values)
    {
        Span<byte> target = _buffer.GetSpan(values.Length * 4);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(target[(i * 4)..], values[i]);
        _buffer.Advance(values.Length * 4);
    }

    public void I64s(ReadOnlySpan<long> values)
    {
        Span<byte> target = _buffer.GetSpan(values.Length * 8);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64BigEndian(target[(i * 8)..], values[i]);
        _buffer.Advance(values.Length * 8);
    }

    /// <summary>An int8 matrix followed by its row multipliers (SPEC.md §8).</summary>
    public void Matrix(QuantizedMatrix matrix)
    {
        var row = new sbyte[matrix.Cols];
        for (int r = 0; r < matrix.Rows; r++)
        {
            matrix.CopyRow(r, row);
            SBytes(row);
        }
        I64s(matrix.Multipliers);
    }
}

/// <summary>Reads what <see cref="BigEndianWriter"/> writes, failing with a clear message at the end of data.</summary>
internal ref struct BigEndianReader(ReadOnlySpan<byte> data, string what)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _offset;

    public readonly int Remaining => _data.Length - _offset;

    public readonly int Offset => _offset;

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || count > Remaining)
            throw new InvalidDataException($"{what} is truncated: needed {count} bytes at offset {_offset}, {Remaining} left");
        ReadOnlySpan<byte> slice = _data.Slice(_offset, count);
        _offset += count;
        return slice;
    }

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Bytes(4));

    public int I32() => BinaryPrimitives.ReadInt32BigEndian(Bytes(4));

    public long I64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

    public int[] I32s(int count)
    {
        ReadOnlySpan<byte> bytes = Bytes(checked(count * 4));
        var values = new int[count];
        for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(i * 4)..]);
        return values;
    }

    public long[] I64s(int count)
    {
        ReadOnlySpan<byte> bytes = Bytes(checked(count * 8));
        var values = new long[count];
        for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64BigEndian(bytes[(i * 8)..]);
        return values;
    }

    public sbyte[] SBytes(int count) => MemoryMarshal.Cast<byte, sbyte>(Bytes(count)).ToArray();

    public QuantizedMatrix Matrix(int rows, int cols, string name)
    {
        sbyte[] weights = SBytes(checked(rows * cols));
        long[] multipliers = I64s(rows);
        try
        {
            return new QuantizedMatrix(rows, cols, weights, multipliers);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{what}: matrix {name}: {e.Message}", e);
        }
    }
}
