using DePinLedger.Inference.Import;

namespace DePinLedger.Cli.CommandLine;

/// <summary>Exit codes of every verb.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line was fine but the work failed (missing or corrupt file, failed download).</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong (unknown verb, missing or out-of-range option).</summary>
    public const int Usage = 2;
}

/// <summary>What every verb writes to and resolves models with; tests pass their own.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, ModelResolver Models)
{
    /// <summary>The command name, which prefixes every error line.</summary>
    public const string Name = "depin";

    /// <summary>Writes the one error line and returns <paramref name="exitCode"/>.</summary>
    public int Fail(int exitCode, string message)
    {
        Error.WriteLine($"{Name}: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }
}

/// <summary>A command-line value that is wrong but can only be checked after loading something (e.g. a prompt longer than the model's context).</summary>
internal sealed class UsageException(string message) : Exception(message);
