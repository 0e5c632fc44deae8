using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DePinLedger.Scheduler.Sampling;

/// <summary>
/// Decides which jobs run twice: a per-model share (default for the rest). The draw is HMAC-SHA256(secret, job id), so
/// it is reproducible by the coordinator but a node cannot tell from the public job id whether its job is checked.
/// </summary>
public sealed class RedundancySampler
{
    private readonly byte[] _secret;
    private readonly IReadOnlyDictionary<string, double> _rates;

    /// <param name="secret">The coordinator's sampling key (at least 16 bytes; never published).</param>
    /// <param name="defaultRate">Share of jobs run twice for models without their own rate, in [0, 1].</param>
    /// <param name="ratesByModel">Per-model shares, keyed by model id (0x-hex).</param>
    public RedundancySampler(ReadOnlySpan<byte> secret, double defaultRate, IReadOnlyDictionary<string, double>? ratesByModel = null)
    {
        if (secret.Length < 16) throw new ArgumentException("the sampling secret must be at least 16 bytes", nameof(secret));
        RequireRate(defaultRate, nameof(defaultRate));
        var rates = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach ((string model, double rate) in ratesByModel ?? new Dictionary<string, double>())
        {
            RequireRate(rate, nameof(ratesByModel));
            rates[model] = rate;
        }
        _secret = secret.ToArray();
        DefaultRate = defaultRate;
        _rates = rates;
    }

    public double DefaultRate { get; }

    public double RateFor(string modelId) => _rates.TryGetValue(modelId, out double rate) ? rate : DefaultRate;

    /// <summary>Whether this job gets a second, operator-disjoint replica.</summary>
    public bool RunTwice(string jobId, string modelId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(jobId.ToLowerInvariant()), mac);
        // 53 bits → a uniform double in [0, 1).
        double draw = (BinaryPrimitives.ReadUInt64BigEndian(mac) >> 11) * (1.0 / (1UL << 53));
        return draw < RateFor(modelId);
    }

    private static void RequireRate(double rate, string name)
    {
        if (!(rate is >= 0 and <= 1)) throw new ArgumentException($"a sampling rate must be in [0, 1], got {rate}", name);
    }
}
