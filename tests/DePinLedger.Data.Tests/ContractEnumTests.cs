using System.Text.RegularExpressions;
using DePinLedger.Data.Jobs;

namespace DePinLedger.Data.Tests;

/// <summary>The indexer casts the contracts' enum values: the C# enums must list the same names in the same order.</summary>
public partial class ContractEnumTests
{
    [Fact]
    public void RefundReason_MatchesJobMarket() =>
        Assert.Equal(SolidityEnum("RefundReason"), Enum.GetNames<RefundReason>());

    [Fact]
    public void JobStatus_MatchesJobMarket_WithoutNone() =>
        Assert.Equal(SolidityEnum("JobStatus").Skip(1), Enum.GetNames<JobStatus>());

    private static string[] SolidityEnum(string name)
    {
        string source = File.ReadAllText(Path.Combine(Root(), "contracts", "src", "interfaces", "IJobMarket.sol"));
        Match match = Regex.Match(source, $@"enum\s+{name}\s*\{{(?<body>[^}}]*)\}}");
        Assert.True(match.Success, $"enum {name} not found in IJobMarket.sol");
        string body = CommentPattern().Replace(match.Groups["body"].Value, "");
        return [.. body.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex CommentPattern();

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "foundry.toml"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
