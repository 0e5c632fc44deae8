using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using Xunit.Abstractions;

namespace DePinLedger.Inference.Tests;

/// <summary>
/// Quality of the integer engine (SPEC.md §3–§7) on held-out text: tests/data/heldout-stories.txt holds
/// 20 stories sampled (temperature 1) from the float reference with a fixed seed, never used for tuning.
/// </summary>
public class PerplexityTests(ITestOutputHelper output)
{
    [Fact]
    public void Stories260K_IntegerPerplexity_WithinThreePercentOfFloat()
    {
        var model = ImportedModels.Stories260K;
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "tests", "data", "heldout-stories.txt"));
        IReadOnlyList<int>[] sequences = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(story => (IReadOnlyList<int>)model.Tokenizer.Encode(story, bos: true, eos: false).Take(model.Config.SeqLen).ToArray())
            .ToArray();
        Assert.Equal(20, sequences.Length);

        var (integer, predicted) = Evaluation.Perplexity.Measure(model, sequences, new EngineOptions { Threads = 2 });
        double reference = FloatTransformer.Perplexity(ImportedModels.Stories260KFloat, sequences);
        double gap = integer / reference - 1;
        output.WriteLine($"{predicted} predicted tokens: integer perplexity {integer:F4}, float {reference:F4}, gap {gap:P2}");
        Assert.True(Math.Abs(gap) < 0.03, $"integer {integer} vs float {reference}: {gap:P2}");
        Assert.True(predicted > 4000);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DePinLedger.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("DePinLedger.sln not found above the test binaries");
    }
}
