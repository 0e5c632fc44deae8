using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace DePinLedger.Inference.Commitments;

/// <summary>
/// Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA3's 0x06), so that every
/// commitment computed here can be recomputed by the EVM's KECCAK256 opcode.
/// </summary>
public struct Keccak256
{
    private const int RateBytes = 136;

    private static readonly ulong[] RoundConstants =
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
        0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
        0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    private StateBuffer _state;
    private BlockBuffer _pending;
    private int _pendingLength;

    [InlineArray(25)]
    private struct StateBuffer { private ulong _element; }

    [InlineArray(RateBytes)]
    private struct BlockBuffer { private byte _element; }

    /// <summary>Hashes <paramref name="data"/> in one call.</summary>
    public static Hash32 Hash(ReadOnlySpan<byte> data)
    {
        var hasher = new Keccak256();
        hasher.Append(data);
        return hasher.Finish();
    }

    /// <summary>Hashes the concatenation of two 32-byte values (a Merkle node).</summary>
    public static Hash32 HashPair(in Hash32 left, in Hash32 right)
    {
        Span<byte> both = stackalloc byte[64];
        left.AsSpan().CopyTo(both);
        right.AsSpan().CopyTo(both[32..]);
        return Hash(both);
    }

    /// <summary>Absorbs more input.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_pendingLength > 0)
        {
            int take = Math.Min(RateBytes - _pendingLength, data.Length);
            data[..take].CopyTo(((Span<byte>)_pending)[_pendingLength..]);
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength < RateBytes) return;
            AbsorbBlock(_pending);
            _pendingLength = 0;
        }
        while (data.Length >= RateBytes)
        {
            AbsorbBlock(data[..RateBytes]);
            data = data[RateBytes..];
        }
        data.CopyTo(_pending);
        _pendingLength = data.Length;
    }

    /// <summary>Hashes <paramref name="data"/> into <paramref name="digest"/> (32 bytes) without allocating.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        var hasher = new Keccak256();
        hasher.Append(data);
        hasher.Finish(digest);
    }

    /// <summary>Pads, permutes and returns the 32-byte digest. The hasher must not be used afterwards.</summary>
    public Hash32 Finish()
    {
        Span<byte> digest = stackalloc byte[32];
        Finish(digest);
        return new Hash32(digest);
    }

    /// <summary>Pads, permutes and writes the digest into the first 32 bytes of <paramref name="digest"/>.</summary>
    public void Finish(Span<byte> digest)
    {
        if (digest.Length < 32) throw new ArgumentException("a digest is 32 bytes", nameof(digest));
        Span<byte> last = _pending;
        last[_pendingLength..].Clear();
        last[_pendingLength] ^= 0x01;
        last[RateBytes - 1] ^= 0x80;
        AbsorbBlock(last);
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteUInt64LittleEndian(digest[(i * 8)..], _state[i]);
    }

    private void AbsorbBlock(ReadOnlySpan<byte> block)
    {
        for (int i = 0; i < RateBytes / 8; i++) _state[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
        Permute(ref _state);
    }

    // Keccak-f[1600], unrolled over the 25 lanes held in locals (lane (x, y) is a[x + 5y]).
    private static void Permute(ref StateBuffer state)
    {
        ulong a0 = state[0], a1 = state[1], a2 = state[2], a3 = state[3], a4 = state[4], a5 = state[5], a6 = state[6], a7 = state[7], a8 = state[8], a9 = state[9], a10 = state[10], a11 = state[11], a12 = state[12], a13 = state[13], a14 = state[14], a15 = state[15], a16 = state[16], a17 = state[17], a18 = state[18], a19 = state[19], a20 = state[20], a21 = state[21], a22 = state[22], a23 = state[23], a24 = state[24];
        for (int round = 0; round < 24; round++)
        {
            // θ
            ulong c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
            ulong c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
            ulong c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
            ulong c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
            ulong c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
            ulong d0 = c4 ^ BitOperations.RotateLeft(c1, 1);
            ulong d1 = c0 ^ BitOperations.RotateLeft(c2, 1);
            ulong d2 = c1 ^ BitOperations.RotateLeft(c3, 1);
            ulong d3 = c2 ^ BitOperations.RotateLeft(c4, 1);
            ulong d4 = c3 ^ BitOperations.RotateLeft(c0, 1);
            // ρ and π
            ulong b0 = a0 ^ d0;
            ulong b16 = BitOperations.RotateLeft(a5 ^ d0, 36);
            ulong b7 = BitOperations.RotateLeft(a10 ^ d0, 3);
            ulong b23 = BitOperations.RotateLeft(a15 ^ d0, 41);
            ulong b14 = BitOperations.RotateLeft(a20 ^ d0, 18);
            ulong b10 = BitOperations.RotateLeft(a1 ^ d1, 1);
            ulong b1 = BitOperations.RotateLeft(a6 ^ d1, 44);
            ulong b17 = BitOperations.RotateLeft(a11 ^ d1, 10);
            ulong b8 = BitOperations.RotateLeft(a16 ^ d1, 45);
            ulong b24 = BitOperations.RotateLeft(a21 ^ d1, 2);
            ulong b20 = BitOperations.RotateLeft(a2 ^ d2, 62);
            ulong b11 = BitOperations.RotateLeft(a7 ^ d2, 6);
            ulong b2 = BitOperations.RotateLeft(a12 ^ d2, 43);
            ulong b18 = BitOperations.RotateLeft(a17 ^ d2, 15);
            ulong b9 = BitOperations.RotateLeft(a22 ^ d2, 61);
            ulong b5 = BitOperations.RotateLeft(a3 ^ d3, 28);
            ulong b21 = BitOperations.RotateLeft(a8 ^ d3, 55);
            ulong b12 = BitOperations.RotateLeft(a13 ^ d3, 25);
            ulong b3 = BitOperations.RotateLeft(a18 ^ d3, 21);
            ulong b19 = BitOperations.RotateLeft(a23 ^ d3, 56);
            ulong b15 = BitOperations.RotateLeft(a4 ^ d4, 27);
            ulong b6 = BitOperations.RotateLeft(a9 ^ d4, 20);
            ulong b22 = BitOperations.RotateLeft(a14 ^ d4, 39);
            ulong b13 = BitOperations.RotateLeft(a19 ^ d4, 8);
            ulong b4 = BitOperations.RotateLeft(a24 ^ d4, 14);
            // χ
            a0 = b0 ^ (~b1 & b2);
            a1 = b1 ^ (~b2 & b3);
            a2 = b2 ^ (~b3 & b4);
            a3 = b3 ^ (~b4 & b0);
            a4 = b4 ^ (~b0 & b1);
            a5 = b5 ^ (~b6 & b7);
            a6 = b6 ^ (~b7 & b8);
            a7 = b7 ^ (~b8 & b9);
            a8 = b8 ^ (~b9 & b5);
            a9 = b9 ^ (~b5 & b6);
            a10 = b10 ^ (~b11 & b12);
            a11 = b11 ^ (~b12 & b13);
            a12 = b12 ^ (~b13 & b14);
            a13 = b13 ^ (~b14 & b10);
            a14 = b14 ^ (~b10 & b11);
            a15 = b15 ^ (~b16 & b17);
            a16 = b16 ^ (~b17 & b18);
            a17 = b17 ^ (~b18 & b19);
            a18 = b18 ^ (~b19 & b15);
            a19 = b19 ^ (~b15 & b16);
            a20 = b20 ^ (~b21 & b22);
            a21 = b21 ^ (~b22 & b23);
            a22 = b22 ^ (~b23 & b24);
            a23 = b23 ^ (~b24 & b20);
            a24 = b24 ^ (~b20 & b21);
            // ι
            a0 ^= RoundConstants[round];
        }
        state[0] = a0;
        state[1] = a1;
        state[2] = a2;
        state[3] = a3;
        state[4] = a4;
        state[5] = a5;
        state[6] = a6;
        state[7] = a7;
        state[8] = a8;
        state[9] = a9;
        state[10] = a10;
        state[11] = a11;
        state[12] = a12;
        state[13] = a13;
        state[14] = a14;
        state[15] = a15;
        state[16] = a16;
        state[17] = a17;
        state[18] = a18;
        state[19] = a19;
        state[20] = a20;
        state[21] = a21;
        state[22] = a22;
        state[23] = a23;
        state[24] = a24;
    }
}
