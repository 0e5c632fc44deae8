using System.Buffers.Binary;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Protocol.Jobs;

/// <summary>
/// How a <see cref="JobRequest"/>'s fields map to what the engine runs, exactly as the contracts read them
/// (JobMarket, StepProver): the prompt hash over the prompt tokens, Q16.16 sampling values to thousandths, the seed.
/// </summary>
public static class JobConventions
{
    /// <summary>The largest temperature the engine accepts, in thousandths (StepProver clamps to it).</summary>
    public const int MaxTemperatureMilli = 2000;

    /// <summary>keccak256 of the prompt tokens (BOS included) as packed big-endian uint32.</summary>
    public static Bytes32 PromptHash(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var packed = new byte[tokens.Count * 4];
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] < 0) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {i} is negative");
            BinaryPrimitives.WriteUInt32BigEndian(packed.AsSpan(i * 4), (uint)tokens[i]);
        }
        return Keccak.Hash(packed);
    }

    /// <summary>⌈q · 1000 / 2^16⌉: a Q16.16 value in thousandths, rounded up (StepProver's <c>_ceilMilli</c>).</summary>
    public static int CeilMilli(uint q16) => (int)(((ulong)q16 * 1000 + JobRequest.Q16One - 1) / JobRequest.Q16One);

    /// <summary>
    /// ⌊milli · 2^16 / 1000⌋: the Q16.16 value a client puts in a request for <paramref name="milli"/> thousandths
    /// (within 2^-16 below it, so <see cref="CeilMilli"/> maps it back; 1000 gives exactly 1.0).
    /// </summary>
    public static uint Q16FromMilli(int milli)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(milli);
        return checked((uint)((ulong)milli * JobRequest.Q16One / 1000));
    }

    /// <summary>The sampling temperature in thousandths, clamped to <see cref="MaxTemperatureMilli"/> as on-chain.</summary>
    public static int TemperatureMilli(JobRequest request) => Math.Min(CeilMilli(request.Temperature), MaxTemperatureMilli);

    /// <summary>The nucleus mass in thousandths (JobMarket admits topP in (0, 2^16], hence 1..1000).</summary>
    public static int TopPMilli(JobRequest request) => CeilMilli(request.TopP);

    /// <summary>The sampler seed as the engine takes it: the uint64 big-endian in the low bytes of 32 (bytes32(uint256(seed))).</summary>
    public static Bytes32 Seed(JobRequest request)
    {
        Span<byte> seed = stackalloc byte[32];
        seed.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(seed[24..], request.Seed);
        return new Bytes32(seed);
    }
}
