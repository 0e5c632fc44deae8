namespace DePinLedger.Inference.Model;

/// <summary>The weights of one transformer block. Norm gains are Q16.</summary>
public sealed record LayerWeights(
    int[] RmsAttention,        // [dim]
    QuantizedMatrix Wq,        // [dim, dim]
    QuantizedMatrix Wk,        // [kvDim, dim]
    QuantizedMatrix Wv,        // [kvDim, dim]
    QuantizedMatrix Wo,        // [dim, dim]
    int[] RmsFeedForward,      // [dim]
    QuantizedMatrix W1,        // [hidden, dim]
    QuantizedMatrix W2,        // [dim, hidden]
    QuantizedMatrix W3)        // [hidden, dim]
{
    /// <summary>Checks every shape against <paramref name="config"/>.</summary>
    public void Validate(ModelConfig config, int layer)
    {
        Expect(RmsAttention.Length == config.Dim, layer, "rms_att");
        Expect(RmsFeedForward.Length == config.Dim, layer, "rms_ffn");
        Shape(Wq, config.Dim, config.Dim, layer, "wq");
        Shape(Wk, config.KvDim, config.Dim, layer, "wk");
        Shape(Wv, config.KvDim, config.Dim, layer, "wv");
        Shape(Wo, config.Dim, config.Dim, layer, "wo");
        Shape(W1, config.HiddenDim, config.Dim, layer, "w1");
        Shape(W2, config.Dim, config.HiddenDim, layer, "w2");
        Shape(W3, config.HiddenDim, config.Dim, layer, "w3");
    }

    private static void Shape(QuantizedMatrix m, int rows, int cols, int layer, string name) =>
        Expect(m.Rows == rows && m.Cols == cols, layer, $"{name} is {m.Rows}x{m.Cols}, expected {rows}x{cols}");

    private static void Expect(bool condition, int layer, string what)
    {
        if (!condition) throw new InvalidDataException($"layer {layer}: wrong shape of {what}");
    }
}
