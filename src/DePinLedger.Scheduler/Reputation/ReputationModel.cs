namespace DePinLedger.Scheduler.Reputation;

/// <summary>The knobs of the reputation formula (REPUTATION.md explains each).</summary>
public sealed record ReputationOptions
{
    /// <summary>History the uptime part looks at [default: 30 days].</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Age at which a day's uptime counts half [default: 7 days].</summary>
    public TimeSpan UptimeHalfLife { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The workers' heartbeat interval: one heartbeat per interval is full uptime [default: 30 s, the worker's default].</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When this coordinator began receiving heartbeats (its start): none are due before it, so a node is not marked down
    /// for the time nobody was listening [default: null, due from registration].
    /// </summary>
    public DateTimeOffset? ObservedSince { get; init; }

    /// <summary>RTT samples this recent feed the latency part [default: 1 hour].</summary>
    public TimeSpan LatencyWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Latency that scores one half: Q = ref / (ref + mean + 2σ) [default: 50 ms].</summary>
    public double LatencyReferenceMs { get; init; } = 50;

    /// <summary>Stake that scores 1 − 1/e: S = 1 − exp(−stake / ref), in token base units [default: 10,000 tokens of 18 decimals].</summary>
    public decimal StakeReference { get; init; } = 10_000m * 1_000_000_000_000_000_000m;

    /// <summary>Time for a slash's factor to climb back from 0 to the haircut: f = h · min(1, age / T)² [default: 180 days].</summary>
    public TimeSpan SlashRecovery { get; init; } = TimeSpan.FromDays(180);

    /// <summary>What each slash takes off for good [default: 0.8 per slash].</summary>
    public double SlashHaircut { get; init; } = 0.8;

    /// <summary>Multiplier per lost dispute [default: 0.7].</summary>
    public double DisputeLossFactor { get; init; } = 0.7;

    public double UptimeWeight { get; init; } = 0.35;
    public double VerificationWeight { get; init; } = 0.25;
    public double LatencyWeight { get; init; } = 0.20;
    public double StakeWeight { get; init; } = 0.20;

    public ReputationOptions Validated()
    {
        double weights = UptimeWeight + VerificationWeight + LatencyWeight + StakeWeight;
        if (UptimeWeight < 0 || VerificationWeight < 0 || LatencyWeight < 0 || StakeWeight < 0 || Math.Abs(weights - 1) > 1e-9)
            throw new ArgumentException($"the four weights must be non-negative and sum to 1, got {weights}", nameof(UptimeWeight));
        if (Window <= TimeSpan.Zero || UptimeHalfLife <= TimeSpan.Zero || HeartbeatInterval <= TimeSpan.Zero || LatencyWindow <= TimeSpan.Zero || SlashRecovery <= TimeSpan.Zero)
            throw new ArgumentException("every period must be positive", nameof(Window));
        if (LatencyReferenceMs <= 0 || StakeReference <= 0) throw new ArgumentException("references must be positive", nameof(LatencyReferenceMs));
        if (SlashHaircut is <= 0 or > 1 || DisputeLossFactor is <= 0 or > 1) throw new ArgumentException("haircut and dispute factor must be in (0, 1]", nameof(SlashHaircut));
        return this;
    }
}

/// <summary>One day of the uptime window: heartbeats seen, heartbeats due (the part of the day the node was registered), and its age.</summary>
public readonly record struct UptimeDay(double AgeDays, long Heartbeats, double Expected);

/// <summary>What one node's score is computed from.</summary>
public sealed record ReputationInputs(
    IReadOnlyList<UptimeDay> Uptime,
    IReadOnlyList<double> RttMs,
    int VerificationsPassed,
    int VerificationsFailed,
    int DisputesWon,
    int DisputesLost,
    IReadOnlyList<TimeSpan> SlashAges,
    decimal ActiveStake);

/// <summary>A score and its parts; every part is in [0, 1].</summary>
public sealed record ReputationScore(
    double Score, double Uptime, double LatencyScore, double LatencyMeanMs, double LatencyStdDevMs, double LatencyP50Ms, double LatencyP95Ms,
    double VerificationScore, double StakeScore, double DisputeFactor, double SlashFactor);

/// <summary>
/// score = (w_u·U + w_v·V + w_l·Q + w_s·S) · d^lost · Π_slashes h·min(1, age/T)². See REPUTATION.md for the why.
/// </summary>
public static class ReputationModel
{
    public static ReputationScore Compute(ReputationInputs inputs, ReputationOptions options)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);

        double uptime = DecayedUptime(inputs.Uptime, options.UptimeHalfLife.TotalDays);
        (double mean, double stdDev, double p50, double p95) = Latency(inputs.RttMs);
        // No sample yet: neutral, neither rewarded nor punished.
        double latencyScore = inputs.RttMs.Count == 0 ? 0.5 : options.LatencyReferenceMs / (options.LatencyReferenceMs + mean + 2 * stdDev);
        // Laplace's rule: no history reads as 1/2; a long clean history tends to 1.
        double verification = (inputs.VerificationsPassed + 1.0) / (inputs.VerificationsPassed + inputs.VerificationsFailed + 2.0);
        double stake = inputs.ActiveStake <= 0 ? 0 : 1 - Math.Exp(-(double)(inputs.ActiveStake / options.StakeReference));
        double disputes = Math.Pow(options.DisputeLossFactor, inputs.DisputesLost);
        double slashes = 1;
        foreach (TimeSpan age in inputs.SlashAges)
        {
            double recovered = Math.Clamp(age / options.SlashRecovery, 0, 1);
            slashes *= options.SlashHaircut * recovered * recovered;
        }

        double weighted = options.UptimeWeight * uptime + options.VerificationWeight * verification + options.LatencyWeight * latencyScore + options.StakeWeight * stake;
        double score = Math.Clamp(weighted * disputes * slashes, 0, 1);
        return new ReputationScore(score, uptime, latencyScore, mean, stdDev, p50, p95, verification, stake, disputes, slashes);
    }

    /// <summary>Σ w·min(1, seen/due) / Σ w over days with something due, w = 2^(−age/halfLife); 0 with nothing due.</summary>
    public static double DecayedUptime(IReadOnlyList<UptimeDay> days, double halfLifeDays)
    {
        double weighted = 0, weights = 0;
        foreach (UptimeDay day in days)
        {
            if (day.Expected <= 0) continue;
            double w = Math.Pow(2, -day.AgeDays / halfLifeDays);
            weighted += w * Math.Min(1, day.Heartbeats / day.Expected);
            weights += w;
        }
        return weights == 0 ? 0 : weighted / weights;
    }

    private static (double Mean, double StdDev, double P50, double P95) Latency(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0) return (0, 0, 0, 0);
        double mean = samples.Average();
        double variance = samples.Sum(s => (s - mean) * (s - mean)) / samples.Count;
        double[] sorted = [.. samples.Order()];
        return (mean, Math.Sqrt(variance), Percentile(sorted, 0.50), Percentile(sorted, 0.95));
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
