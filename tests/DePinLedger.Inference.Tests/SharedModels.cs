namespace DePinLedger.Inference.Tests;

/// <summary>
/// Locates the reference model files (never copied into the repository): <c>$DEPIN_MODELS</c> when set,
/// otherwise <c>../shared/models</c> beside the repository root (the folder holding DePinLedger.sln, found
/// by walking up from the test binaries). Tests that need the model fail, not skip, when it is missing.
/// </summary>
internal static class SharedModels
{
    public const string CheckpointFile = "stories260K.bin";
    public const string TokenizerFile = "tok512.bin";

    public static string Directory => Locate();

    public static string Stories260K => FilePath(CheckpointFile);

    public static string Tok512 => FilePath(TokenizerFile);

    private static string FilePath(string name)
    {
        string path = Path.Combine(Locate(), name);
        if (!File.Exists(path)) throw new FileNotFoundException($"reference model file {name} is missing from {Locate()}", path);
        return path;
    }

    private static string Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("DEPIN_MODELS");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            if (System.IO.Directory.Exists(fromEnvironment)) return fromEnvironment;
            throw new DirectoryNotFoundException($"DEPIN_MODELS points at {fromEnvironment}, which does not exist");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "DePinLedger.sln"))) continue;
            string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models"));
            if (System.IO.Directory.Exists(shared)) return shared;
            throw new DirectoryNotFoundException($"DEPIN_MODELS is unset and {shared} (beside the repository root) does not exist; point DEPIN_MODELS at the folder holding {CheckpointFile} and {TokenizerFile}");
        }
        throw new DirectoryNotFoundException($"DEPIN_MODELS is unset and no DePinLedger.sln was found above {AppContext.BaseDirectory}; point DEPIN_MODELS at the folder holding {CheckpointFile} and {TokenizerFile}");
    }
}
