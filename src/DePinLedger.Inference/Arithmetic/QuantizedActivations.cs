namespace DePinLedger.Inference.Arithmetic;

/// <summary>
/// A Q16 activation vector quantized to symmetric int16 for the matrix kernels (SPEC.md §3):
/// amax = max|x|, q[i] = rshr(x[i] · floor(32767 · 2^32 / amax), 32) ∈ [−32767, 32767].
/// The buffer is reused; quantizing is a pure function of x, so it does not matter how often it runs.
/// </summary>
public sealed class QuantizedActivations(int capacity)
{
    private readonly short[] _values = new short[capacity];

    public int Length { get; private set; }

    /// <summary>max|x| of the source vector; 0 means every value and every product is 0.</summary>
    public int Amax { get; private set; }

    public ReadOnlySpan<short> Values => _values.AsSpan(0, Length);

    public void Quantize(ReadOnlySpan<int> x)
    {
        if (x.Length > _values.Length) throw new ArgumentException($"vector of {x.Length} exceeds capacity {_values.Length}");
        Length = x.Length;
        int amax = 0;
        foreach (int v in x) amax = Math.Max(amax, Math.Abs(v)); // |v| ≤ 2^31−1: activations are symmetric
        Amax = amax;
        Span<short> q = _values.AsSpan(0, x.Length);
        if (amax == 0)
        {
            q.Clear();
            return;
        }
        long inverse = ((long)FixedPoint.ActivationLevels << 32) / amax;
        for (int i = 0; i < x.Length; i++) q[i] = (short)FixedPoint.Rshr(x[i] * inverse, 32);
    }
}
