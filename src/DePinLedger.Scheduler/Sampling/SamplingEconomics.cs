namespace DePinLedger.Scheduler.Sampling;

/// <summary>
/// Proof-of-Sampling arithmetic for one job (ECONOMICS in REPUTATION.md). A node that cheats gains G (at most the fee it
/// is paid without computing, plus any outside gain). With sampling rate p and detection probability d (the second
/// replica is honest and the dispute is played), it is caught with probability p·d and then loses the slash S (and the
/// gain). Expected value of cheating: EV = (1 − p·d)·G − p·d·S. Cheating is irrational when EV &lt; 0, i.e.
/// p &gt; G / (d·(G + S)), or, for a given p, S &gt; G·(1 − p·d) / (p·d).
/// </summary>
public sealed record SamplingEconomics(decimal Gain, decimal Slash, double SamplingRate, double Detection)
{
    public SamplingEconomics Validated()
    {
        if (Gain < 0) throw new ArgumentException($"gain must not be negative, got {Gain}", nameof(Gain));
        if (Slash <= 0) throw new ArgumentException($"slash must be positive, got {Slash}", nameof(Slash));
        if (!(SamplingRate is >= 0 and <= 1)) throw new ArgumentException($"sampling rate must be in [0, 1], got {SamplingRate}", nameof(SamplingRate));
        if (!(Detection is > 0 and <= 1)) throw new ArgumentException($"detection must be in (0, 1], got {Detection}", nameof(Detection));
        return this;
    }

    /// <summary>Probability a cheat is caught and slashed.</summary>
    public double CatchProbability => SamplingRate * Detection;

    /// <summary>Expected value of one cheat, in the same units as gain and slash.</summary>
    public double CheatingExpectedValue => (1 - CatchProbability) * (double)Gain - CatchProbability * (double)Slash;

    /// <summary>The smallest sampling rate that makes cheating a loss (the cheat breaks even exactly at it).</summary>
    public double MinimumSamplingRate => (double)Gain / (Detection * (double)(Gain + Slash));

    /// <summary>The smallest slash that makes cheating a loss at the current rate; +∞ when nothing is sampled.</summary>
    public double MinimumSlash => CatchProbability == 0 ? double.PositiveInfinity : (double)Gain * (1 - CatchProbability) / CatchProbability;

    /// <summary>What redundancy costs: the expected extra fee share per job (a sampled job pays a second pipeline).</summary>
    public double OverheadPerJob => SamplingRate;

    public bool CheatingIsIrrational => CheatingExpectedValue < 0;
}
