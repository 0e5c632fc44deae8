using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

/// <summary>The reference model imported once per test run (import is deterministic).</summary>
internal static class ImportedModels
{
    private static readonly Lazy<IntegerModel> LazyStories = new(() => ModelImporter.ImportFiles(SharedModels.Stories260K, SharedModels.Tok512));
    private static readonly Lazy<LlamaCheckpoint> LazyCheckpoint = new(() => LlamaCheckpoint.Read(SharedModels.Stories260K));

    public static IntegerModel Stories260K => LazyStories.Value;

    public static LlamaCheckpoint Stories260KFloat => LazyCheckpoint.Value;
}
