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

    private static void Permute(ref StateBuffer a)
    {
        Span<ulong> c = stackalloc ulong[5];
        for (int round = 0; round < 24; round++)
        {
            // θ
            for (int x = 0; x < 5; x++) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            for (int x = 0; x < 5; x++)
            {
                ulong d = c[(x + 4) % 5] ^ BitOperations.RotateLeft(c[(x + 1) % 5], 1);
                for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
            }
            // ρ and π along the single 24-step cycle of lane positions
            ulong current = a[1];
            int px = 1, py = 0;
            for (int t = 0; t < 24; t++)
            {
                int nx = py, ny = (2 * px + 3 * py) % 5;
                int target = nx + 5 * ny;
                ulong next = a[target];
                a[target] = BitOperations.RotateLeft(current, (t + 1) * (t + 2) / 2 % 64);
                current = next;
                px = nx;
                py = ny;
            }
            // χ
            for (int y = 0; y < 25; y += 5)
            {
                ulong a0 = a[y], a1 = a[y + 1], a2 = a[y + 2], a3 = a[y + 3], a4 = a[y + 4];
                a[y] = a0 ^ (~a1 & a2);
                a[y + 1] = a1 ^ (~a2 & a3);
                a[y + 2] = a2 ^ (~a3 & a4);
                a[y + 3] = a3 ^ (~a4 & a0);
                a[y + 4] = a4 ^ (~a0 & a1);
            }
            // ι
            a[0] ^= RoundConstants[round];
        }
    }
}
