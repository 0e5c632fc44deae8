namespace DePinLedger.Inference.Model;

/// <summary>
/// The integer constants and tables of SPEC.md that the importer computes once (the only place
/// floating point is used) and the model commits to.
/// </summary>
public sealed class ModelConstants
{
    public const int ExpTableSize = 256;

    public ModelConstants(long epsilonQ32, int invSqrtHeadSizeQ16, int[] exp2High, int[] exp2Low, int[] ropeCos, int[] ropeSin)
    {
        if (epsilonQ32 is <= 0 or > 1L << 32) throw new InvalidDataException($"RMSNorm epsilon must lie in (0, 2^32] (Q32), got {epsilonQ32}");
        if (invSqrtHeadSizeQ16 is <= 0 or > 1 << 16) throw new InvalidDataException($"1/sqrt(head size) must lie in (0, 2^16] (Q16), got {invSqrtHeadSizeQ16}");
        if (exp2High.Length != ExpTableSize || exp2Low.Length != ExpTableSize)
            throw new InvalidDataException($"exp tables have {ExpTableSize} entries each");
        if (ropeCos.Length != ropeSin.Length) throw new InvalidDataException("rotary cos and sin tables differ in size");
        foreach (int v in exp2High.Concat(exp2Low))
            if (v <= 0 || v > 1 << 30) throw new InvalidDataException("exp table entries lie in (0, 2^30]");
        foreach (int v in ropeCos.Concat(ropeSin))
            if (v < -(1 << 30) || v > 1 << 30) throw new InvalidDataException("rotary table entries lie in [-2^30, 2^30]");
        EpsilonQ32 = epsilonQ32;
        InvSqrtHeadSizeQ16 = invSqrtHeadSizeQ16;
        Exp2High = exp2High;
        Exp2Low = exp2Low;
        RopeCos = ropeCos;
        RopeSin = ropeSin;
    }

    /// <summary>RMSNorm epsilon in Q32 (the unit of a mean of squared Q16 values).</summary>
    public long EpsilonQ32 { get; }

    /// <summary>round(2^16 / sqrt(head size)).</summary>
    public int InvSqrtHeadSizeQ16 { get; }

    /// <summary>round(2^(−i/256) · 2^30), i = 0..255.</summary>
    public int[] Exp2High { get; }

    /// <summary>round(2^(−j/65536) · 2^30), j = 0..255.</summary>
    public int[] Exp2Low { get; }

    /// <summary>[seqLen, headSize/2] round(cos(pos · θ_i) · 2^30).</summary>
    public int[] RopeCos { get; }

    /// <summary>[seqLen, headSize/2] round(sin(pos · θ_i) · 2^30).</summary>
    public int[] RopeSin { get; }
}
