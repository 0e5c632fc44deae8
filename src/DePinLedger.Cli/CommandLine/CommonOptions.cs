using System.CommandLine;
using System.Globalization;
using DePinLedger.Inference.Engine;

namespace DePinLedger.Cli.CommandLine;

/// <summary>Options shared by several verbs, and factories that give every option the same parsing and messages.</summary>
internal static class CommonOptions
{
    /// <summary>Matrix-product threads; 1 keeps the engine on the calling thread. Results are identical for any count.</summary>
    public const int DefaultThreads = 1;

    public const string ModelHelp =
        "A model file (from 'depin model import'), a llama2.c checkpoint (.bin, with tok<vocab>.bin or tokenizer.bin beside it), " +
        "or a name such as stories260K, looked up in $DEPIN_MODELS (default ~/.cache/depinledger/models) and downloaded when missing";

    public static Option<string> Model() => Text("--model", ModelHelp, "MODEL", required: true);

    /// <summary>MODEL as a positional argument (<c>depin model info MODEL</c>), which must not be empty.</summary>
    public static Argument<string> ModelArgument()
    {
        var model = new Argument<string>("MODEL") { Description = ModelHelp };
        model.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && result.Tokens[0].Value.Length == 0) result.AddError("the MODEL argument must not be empty");
        });
        return model;
    }

    public static Option<int> Threads() => Number("--threads", "Threads for the matrix products (the output does not depend on it)", DefaultThreads, CheckThreads);

    public static Option<bool> Json(string description) => new("--json") { Description = description };

    /// <summary>A required or optional text option that must not be empty.</summary>
    public static Option<string> Text(string name, string description, string helpName, bool required)
    {
        var option = new Option<string>(name) { Description = description, HelpName = helpName, Required = required };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && result.Tokens[0].Value.Length == 0) result.AddError($"{name} must not be empty");
        });
        return option;
    }

    /// <summary>A path to a file that must exist.</summary>
    public static Option<string> ExistingFile(string name, string description, bool required = true)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "FILE", Required = required };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count != 1) return;
            string path = result.Tokens[0].Value;
            if (Directory.Exists(path)) result.AddError($"{name}: {path} is a folder, not a file");
            else if (!File.Exists(path)) result.AddError($"{name}: file not found: {path}");
        });
        return option;
    }

    /// <summary>A path to a file to write, in a folder that must exist.</summary>
    public static Option<string> OutputFile(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "FILE", Required = true };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count != 1) return;
            string path = result.Tokens[0].Value;
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (Directory.Exists(path)) result.AddError($"{name}: {path} is a folder");
            else if (folder is not null && !Directory.Exists(folder)) result.AddError($"{name}: folder not found: {folder}");
        });
        return option;
    }

    /// <summary>
    /// A number parsed with the invariant culture, with a default and a range check
    /// (<paramref name="check"/> returns the problem, or null when the value is fine).
    /// </summary>
    public static Option<T> Number<T>(string name, string description, T defaultValue, Func<T, string?>? check = null)
        where T : IParsable<T> => new(name)
        {
            Description = description,
            HelpName = typeof(T) == typeof(decimal) ? "NUMBER" : "N",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (!T.TryParse(text, CultureInfo.InvariantCulture, out T? value))
                {
                    result.AddError($"{name} expects {(typeof(T) == typeof(decimal) ? "a number" : "a whole number")}, got '{text}'");
                    return defaultValue;
                }
                if (check?.Invoke(value) is { } problem) result.AddError($"{name} {problem}");
                return value;
            },
        };

    public static string? AtLeast(int value, int minimum) => value < minimum ? $"must be at least {minimum}, got {value}" : null;

    private static string? CheckThreads(int threads) =>
        AtLeast(threads, 1) ?? (threads > EngineOptions.MaxThreads ? $"must be at most {EngineOptions.MaxThreads}, got {threads}" : null);
}
