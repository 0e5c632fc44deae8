using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace DePinLedger.Cli.CommandLine;

/// <summary>The standard help followed by an "Examples:" section (STYLE.md: usage text shows an example).</summary>
internal sealed class ExamplesHelpAction(HelpAction standard) : SynchronousCommandLineAction
{
    private static readonly ConditionalWeakTable<Command, string[]> Examples = [];

    public override bool ClearsParseErrors => true;

    /// <summary>Replaces the help action of <paramref name="root"/>'s help option (which all subcommands share).</summary>
    public static void Install(RootCommand root)
    {
        foreach (HelpOption help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction standard) help.Action = new ExamplesHelpAction(standard);
    }

    public static void Register(Command command, string[] examples) => Examples.AddOrUpdate(command, examples);

    public override int Invoke(ParseResult parseResult)
    {
        int code = standard.Invoke(parseResult);
        if (Examples.TryGetValue(parseResult.CommandResult.Command, out string[]? examples))
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            foreach (string example in examples) output.WriteLine($"  {example}");
            output.WriteLine();
        }
        return code;
    }
}

internal static class CommandExamples
{
    /// <summary>Adds <paramref name="examples"/> to the help of <paramref name="command"/>.</summary>
    public static T WithExamples<T>(this T command, params string[] examples) where T : Command
    {
        ExamplesHelpAction.Register(command, examples);
        return command;
    }
}
