using System.CommandLine;
using System.CommandLine.Parsing;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Commands;
using DePinLedger.Inference.Import;

namespace DePinLedger.Cli;

/// <summary>
/// The <c>depin</c> command line: builds the verb tree, reports a parse error or a failure as one line on
/// stderr (<c>depin: …</c>) and maps it to an exit code. Verbs live in <c>Commands/</c>, one class per group.
/// </summary>
public static class DepinCli
{
    /// <summary>Runs <c>depin</c> with <paramref name="args"/>, resolving model names through <c>$DEPIN_MODELS</c>.</summary>
    /// <returns>An exit code: 0 success, 1 the work failed, 2 the command line is wrong (see <see cref="ExitCodes"/>).</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, new CliContext(stdout, stderr, ModelResolver.FromEnvironment(line => stderr.WriteLine($"{CliContext.Name}: {line}"))));

    internal static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ParseResult parsed = BuildRoot(context).Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
            return context.Fail(ExitCodes.Usage, $"{Describe(parsed.Errors)}; see '{CommandPath(parsed.CommandResult)} --help'");
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            return context.Fail(ExitCodes.Usage, e.Message);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // Expected failures of the work itself: a missing or corrupt file, a failed download.
            return context.Fail(ExitCodes.Failure, e.Message);
        }
        catch (OperationCanceledException)
        {
            return context.Fail(ExitCodes.Failure, "cancelled");
        }
    }

    internal static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("DePinLedger: decentralized, verifiable LLM inference. Import and inspect models; run deterministic integer inference with trace commitments.")
        {
            ModelCommands.Create(context),
            InferCommand.Create(context),
            WalletCommands.Create(context),
            NodeCommands.Create(context),
            WorkerCommand.Create(context),
            CoordinatorCommand.Create(context),
            JobCommands.Create(context),
            DevnetCommand.Create(context),
            ConformanceCommand.Create(context),
            DbCommands.Create(context),
            NodesCommands.Create(context),
            AuditCommands.Create(context),
        };
        root.WithExamples(
            "depin infer --model stories260K --prompt \"Once upon a time\"",
            "depin model info stories260K");
        ExamplesHelpAction.Install(root);
        return root;
    }

    /// <summary>Parse errors as one line: lower-case, without trailing periods, joined by "; ".</summary>
    private static string Describe(IEnumerable<ParseError> errors) =>
        string.Join("; ", errors.Select(e => e.Message.Trim().TrimEnd('.')).Distinct()
            .Select(m => m.Length > 0 ? char.ToLowerInvariant(m[0]) + m[1..] : m));

    private static string CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? r = result; r is CommandResult command; r = r.Parent)
            if (command.Command is not RootCommand) names.Push(command.Command.Name);
        return string.Join(' ', names.Prepend(CliContext.Name));
    }
}
