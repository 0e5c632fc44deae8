using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using Xunit.Abstractions;

namespace DePinLedger.Inference.Tests;

/// <summary>Greedy output of the integer engine on stories260K against the float reference (SPEC.md §11).</summary>
public class GoldenOutputTests(ITestOutputHelper output)
{
    [Fact]
    public void Greedy_OnceUponATime_IsCloseToFloatReference()
    {
        var model = ImportedModels.Stories260K;
        int[] prompt = model.Tokenizer.Encode("Once upon a time", bos: true, eos: false);
        using var generator = new Generator(model, 256);
        GenerationResult result = generator.Generate(prompt, 200, SamplingParams.Greedy);
        string text = model.Tokenizer.DecodeAll([.. prompt, .. result.OutputTokens]);
        IReadOnlyList<int> reference = FloatTransformer.Greedy(ImportedModels.Stories260KFloat, prompt, 200);
        int matching = result.OutputTokens.Zip(reference).TakeWhile(p => p.First == p.Second).Count();
        output.WriteLine(text);
        output.WriteLine($"leading tokens equal to the float reference: {matching} of {reference.Count}");
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", text);
        Assert.True(matching >= 20, $"only {matching} leading tokens match the float reference");
    }
}
