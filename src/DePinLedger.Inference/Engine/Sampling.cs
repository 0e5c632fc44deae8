using System.Buffers.Binary;
using DePinLedger.Inference.Arithmetic;
using DePinLedger.Inference.Commitments;

namespace DePinLedger.Inference.Engine;

/// <summary>
/// Sampling parameters in the integer units the chain stores: temperature and top-p in thousandths.
/// Temperature 0 is greedy decoding.
/// </summary>
public readonly record struct SamplingParams(int TemperatureMilli, int TopPMilli, Hash32 Seed)
{
    public const int MaxTemperatureMilli = 2000;

    public static SamplingParams Greedy => new(0, 1000, Hash32.Zero);

    public void Validate()
    {
        if (TemperatureMilli is < 0 or > MaxTemperatureMilli)
            throw new ArgumentOutOfRangeException(nameof(TemperatureMilli), TemperatureMilli, $"temperature must be within 0..{MaxTemperatureMilli / 1000.0:0.0}");
        if (TopPMilli is < 1 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(TopPMilli), TopPMilli, "top-p must be within (0, 1]");
    }

    /// <summary>A seed from a 64-bit number (big-endian in the low bytes of the 32-byte seed).</summary>
    public static Hash32 SeedFrom(ulong value)
    {
        Span<byte> seed = stackalloc byte[32];
        seed.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(seed[24..], value);
        return new Hash32(seed);
    }
}

/// <summary>Turns logits into a token (SPEC.md §10). Needs a scratch buffer of vocabulary size.</summary>
public static class Sampler
{
    /// <summary>argmax, ties to the lowest id.</summary>
    public static int Argmax(ReadOnlySpan<int> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public static int Sample(ReadOnlySpan<int> logits, in SamplingParams p, int position, Span<long> weights, Span<long> sorted,
        ReadOnlySpan<int> exp2High, ReadOnlySpan<int> exp2Low)
    {
        if (p.TemperatureMilli == 0) return Argmax(logits);
        int max = logits[Argmax(logits)];
        weights = weights[..logits.Length];
        long mass = Weights(logits, p.TemperatureMilli, max, weights, exp2High, exp2Low);
        return Choose(weights, mass, p, position, sorted);
    }

    /// <summary>
    /// weights[i] = exp((logits[i] − max) / T) in Q30 for every i of <paramref name="logits"/> (a slice of the
    /// vocabulary may be done apart: each weight depends on its own logit and the overall max alone); returns their sum.
    /// </summary>
    public static long Weights(ReadOnlySpan<int> logits, int temperatureMilli, int max, Span<long> weights, ReadOnlySpan<int> exp2High, ReadOnlySpan<int> exp2Low)
    {
        long inverseTemperature = (1000L << 16) / temperatureMilli;
        long mass = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            long d = Math.Max((long)logits[i] - max, -(1L << 26));
            long e = FixedPoint.ExpQ30(FixedPoint.Rshr(d * inverseTemperature, 16), exp2High, exp2Low);
            weights[i] = e;
            mass += e;
        }
        return mass;
    }

    /// <summary>Top-p over the weights of the whole vocabulary (their sum is <paramref name="mass"/>), then the seeded draw.</summary>
    public static int Choose(ReadOnlySpan<long> weights, long mass, in SamplingParams p, int position, Span<long> sorted)
    {
        int n = weights.Length;
        long threshold = 0, keptMass = mass;
        if (p.TopPMilli < 1000)
        {
            // τ = the largest weight v with 1000 · Σ_{e ≥ v} e ≥ topP · mass; keep every e ≥ τ.
            sorted = sorted[..n];
            weights.CopyTo(sorted);
            sorted.Sort();
            long target = p.TopPMilli * mass, cumulative = 0;
            for (int k = n - 1; k >= 0; k--)
            {
                cumulative += sorted[k];
                if (k > 0 && sorted[k - 1] == sorted[k]) continue;
                if (1000 * cumulative >= target)
                {
                    threshold = sorted[k];
                    keptMass = cumulative;
                    break;
                }
            }
        }

        ulong r = RandomBelow(p.Seed, position, (ulong)keptMass);
        long acc = 0;
        for (int i = 0; i < n; i++)
        {
            if (weights[i] < threshold) continue;
            acc += weights[i];
            if ((ulong)acc > r) return i;
        }
        throw new InvalidOperationException("sampling walked past the kept mass"); // unreachable: acc ends at keptMass > r
    }

    /// <summary>uint256(keccak256(seed ‖ uint256(position))) mod <paramref name="modulus"/>.</summary>
    public static ulong RandomBelow(Hash32 seed, int position, ulong modulus)
    {
        if (modulus == 0) throw new ArgumentOutOfRangeException(nameof(modulus));
        Span<byte> preimage = stackalloc byte[64];
        seed.AsSpan().CopyTo(preimage);
        preimage[32..].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(preimage[60..], (uint)position);
        Span<byte> digest = stackalloc byte[32];
        Keccak256.Hash(preimage, digest);
        UInt128 remainder = 0;
        foreach (byte b in digest) remainder = ((remainder << 8) | b) % modulus;
        return (ulong)remainder;
    }
}
