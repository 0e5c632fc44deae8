using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Transactions;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli.CommandLine;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// What the wallet and node verbs share: the keystore and passphrase options (a passphrase comes from a file, an
/// environment variable or a no-echo prompt, never from the command line), tables, JSON, progress, and the mapping of
/// wallet and chain failures to one error line with exit code 1.
/// </summary>
internal static class ChainCommandSupport
{
    /// <summary>Environment variable read for the passphrase when neither option names a source.</summary>
    public const string PassphraseVariable = "DEPIN_PASSPHRASE";

    public static Option<string> Keystore() => new("--keystore")
    {
        Description = $"Keystore folder (Web3 Secret Storage files) [default: ${Chain.Wallet.Keystore.DirectoryVariable} or ~/.depinledger/keystore]",
        HelpName = "DIR",
    };

    public static Option<string> Account() => new("--account")
    {
        Description = "Keystore account: an address or an index from 'depin wallet list' [default: 0]",
        HelpName = "ADDRESS|INDEX",
    };

    public static Option<string> PassphraseFile() => CommonOptions.ExistingFile("--passphrase-file", "Read the keystore passphrase from this file (first line)", required: false);

    public static Option<string> PassphraseEnv() => new("--passphrase-env")
    {
        Description = $"Read the keystore passphrase from this environment variable [default: ${PassphraseVariable}, else a prompt]",
        HelpName = "NAME",
    };

    public static Chain.Wallet.Keystore OpenKeystore(string? directory) => new(string.IsNullOrEmpty(directory) ? Chain.Wallet.Keystore.DefaultDirectory() : directory);

    /// <summary>The passphrase from --passphrase-file, --passphrase-env, $DEPIN_PASSPHRASE, or a prompt on a terminal.</summary>
    public static string ReadPassphrase(string? file, string? variable, string purpose, bool confirm = false)
    {
        if (!string.IsNullOrEmpty(file))
        {
            string first = File.ReadLines(file).FirstOrDefault() ?? "";
            return first.Length > 0 ? first : throw new WalletException($"passphrase file {file} is empty");
        }
        if (!string.IsNullOrEmpty(variable))
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : throw new WalletException($"environment variable {variable} is not set");
        if (Environment.GetEnvironmentVariable(PassphraseVariable) is { Length: > 0 } fromDefault) return fromDefault;
        if (Console.IsInputRedirected)
            throw new WalletException($"no passphrase: use --passphrase-file FILE, --passphrase-env NAME or ${PassphraseVariable}, or run in a terminal");
        string passphrase = Prompt($"Passphrase to {purpose}: ");
        if (confirm && Prompt("Repeat the passphrase: ") != passphrase) throw new WalletException("the passphrases differ");
        return passphrase;
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    public static string Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new System.Text.StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }

    /// <summary>Runs a verb, turning wallet and chain failures into one error line and exit code 1.</summary>
    public static async Task<int> RunAsync(CliContext context, Func<Task<int>> verb)
    {
        try
        {
            return await verb();
        }
        catch (Exception e) when (e is WalletException or ChainException)
        {
            return context.Fail(ExitCodes.Failure, e.Message);
        }
    }

    /// <summary>Writes a Spectre renderable (a table) as plain text to <paramref name="output"/>.</summary>
    public static void Render(TextWriter output, IRenderable renderable)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // A pipe or file has no width: do not wrap addresses and hashes at 80 columns there.
        if (!terminal) console.Profile.Width = 240;
        console.Write(renderable);
    }

    /// <summary>A two-column key/value table.</summary>
    public static Table Properties(params (string Key, string Value)[] rows)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("").HideHeaders();
        foreach ((string key, string value) in rows) table.AddRow(Markup.Escape(key), Markup.Escape(value));
        return table;
    }

    public static void WriteJson<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, typeof(T), ChainJsonContext.Default));

    /// <summary>
    /// Progress while a transaction is estimated, sent and mined: one stderr line per stage on a terminal; nothing when
    /// stderr is redirected (scripts and tests read only the result).
    /// </summary>
    public static IProgress<TransactionProgress>? Progress(CliContext context)
    {
        if (!ReferenceEquals(context.Error, Console.Error) || Console.IsErrorRedirected) return null;
        IAnsiConsole stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        int lastSecond = -1;
        return new SynchronousProgress(p =>
        {
            // One "waiting" line per second, not one per poll.
            if (p.Stage == TransactionStage.Waiting && (int)p.Elapsed.TotalSeconds == lastSecond) return;
            lastSecond = (int)p.Elapsed.TotalSeconds;
            string line = p.Stage switch
            {
                TransactionStage.Estimating => $"{p.Description}: estimating gas",
                TransactionStage.Sent => $"{p.Description}: sent {p.Hash}",
                TransactionStage.Waiting => $"{p.Description}: waiting for {p.Hash} ({p.Elapsed.TotalSeconds:0} s)",
                _ => $"{p.Description}: mined in block {p.Block} ({p.Elapsed.TotalSeconds:0.0} s)",
            };
            stderr.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
        });
    }

    /// <summary>Reports on the sender's thread, so the lines come out in order.</summary>
    private sealed class SynchronousProgress(Action<TransactionProgress> report) : IProgress<TransactionProgress>
    {
        public void Report(TransactionProgress value) => report(value);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(WalletCommands.AccountsReport))]
[JsonSerializable(typeof(WalletCommands.AddressReport))]
[JsonSerializable(typeof(NodeCommands.TransactionReport))]
[JsonSerializable(typeof(NodeCommands.StatusReport))]
internal sealed partial class ChainJsonContext : JsonSerializerContext;
