using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DePinLedger.Cli.Output;

/// <summary>How the verbs print JSON: snake_case names, indented, non-ASCII text kept readable.</summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = CliJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Output goes to a terminal or a pipe, never into HTML: escape only what JSON requires.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // A diverging perplexity prints as "Infinity" rather than failing the command.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));

    public static T? Read<T>(Stream input) => JsonSerializer.Deserialize<T>(input, Options);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(InferReport))]
[JsonSerializable(typeof(ModelReport))]
[JsonSerializable(typeof(ModelInfoReport))]
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(GgufExportReport))]
[JsonSerializable(typeof(int[][]))]
[JsonSerializable(typeof(Commands.NodesCommands.NodesReport))]
[JsonSerializable(typeof(Commands.NodesCommands.EconomicsReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
