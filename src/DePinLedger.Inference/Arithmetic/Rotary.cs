using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Arithmetic;

/// <summary>Rotary position embedding by committed Q30 tables (SPEC.md §7.2).</summary>
public static class Rotary
{
    /// <summary>Rotates each pair (2i, 2i+1) of every head in <paramref name="vector"/> by the angle of (position, i).</summary>
    public static void Apply(Span<int> vector, int position, int headSize, ModelConstants constants)
    {
        int half = headSize / 2;
        ReadOnlySpan<int> cos = constants.RopeCos.AsSpan(position * half, half);
        ReadOnlySpan<int> sin = constants.RopeSin.AsSpan(position * half, half);
        for (int head = 0; head < vector.Length; head += headSize)
        {
            for (int i = 0; i < half; i++)
            {
                long x0 = vector[head + 2 * i], x1 = vector[head + 2 * i + 1];
                vector[head + 2 * i] = FixedPoint.Sat32(FixedPoint.Rshr(x0 * cos[i] - x1 * sin[i], 30));
                vector[head + 2 * i + 1] = FixedPoint.Sat32(FixedPoint.Rshr(x0 * sin[i] + x1 * cos[i], 30));
            }
        }
    }
}
