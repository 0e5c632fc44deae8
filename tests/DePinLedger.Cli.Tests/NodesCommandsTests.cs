using DePinLedger.Data;
using DePinLedger.Data.Reputation;
using DePinLedger.Data.Staking;

namespace DePinLedger.Cli.Tests;

/// <summary><c>depin nodes list</c> over a migrated SQLite file and <c>depin nodes economics</c>.</summary>
public sealed class NodesCommandsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task List_ShowsStakeReputationAndLatency_AsTableAndJson()
    {
        string file = _folder.File("nodes.db");
        Assert.Equal(0, Cli.Run("db", "migrate", "--database", file).ExitCode);
        string good = $"0x{0xa1:x40}", slashed = $"0x{0xb2:x40}";
        var options = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={file};Pooling=False" };
        await using (DePinDbContext db = options.CreateContext())
        {
            db.Nodes.AddRange(new NodeRecord { Address = good, Operator = good, ActiveStake = 7_000 }, new NodeRecord { Address = slashed, Operator = slashed, ActiveStake = 9_000 });
            db.ReputationSnapshots.AddRange(
                new ReputationSnapshot { Node = good, At = DateTimeOffset.UtcNow, ScorePpm = 812_000, UptimePpm = 990_000, LatencyP50Micros = 21_000, LatencyP95Micros = 48_000, DisputesWon = 1 },
                new ReputationSnapshot { Node = slashed, At = DateTimeOffset.UtcNow, ScorePpm = 0, DisputesLost = 1, Slashes = 1 });
            db.Slashes.Add(new Slash { TxHash = "0x01", Node = slashed, InfractionTime = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        CliResult table = Cli.Run("nodes", "list", "--database", file);
        CliResult json = Cli.Run("nodes", "list", "--database", file, "--sort", "stake", "--json");

        Assert.Equal(0, table.ExitCode);
        string goodRow = Assert.Single(table.Out.Split('\n'), l => l.Contains(good));
        foreach (string cell in new[] { "7000", "0.812", "0.990", "21.0", "48.0", "1/0", "never" }) Assert.Contains(cell, goodRow);
        Assert.True(table.Out.IndexOf(good, StringComparison.Ordinal) < table.Out.IndexOf(slashed, StringComparison.Ordinal), "higher reputation first");
        Assert.Equal(0, json.ExitCode);
        var nodes = json.Json().GetProperty("nodes").EnumerateArray().ToArray();
        Assert.Equal([slashed, good], nodes.Select(n => n.GetProperty("address").GetString()));
        Assert.Equal((1, 0.0), (nodes[0].GetProperty("slashes").GetInt32(), nodes[0].GetProperty("reputation").GetDouble()));
    }

    [Fact]
    public void List_MissingFileOrBadSort_IsAUsageError()
    {
        Cli.Run("nodes", "list", "--database", _folder.File("absent.db")).AssertFailed(2, "does not exist");
        string file = _folder.File("empty.db");
        Cli.Run("db", "migrate", "--database", file);
        Cli.Run("nodes", "list", "--database", file, "--sort", "fastest").AssertFailed(2, "sort must be one of reputation, stake, latency, uptime");
    }

    [Fact]
    public void Economics_PrintsTheBreakEven()
    {
        CliResult safe = Cli.Run("nodes", "economics", "--fee", "10", "--slash", "1000");
        CliResult json = Cli.Run("nodes", "economics", "--fee", "10", "--slash", "1000", "--sampling-rate", "0.005", "--json");

        Assert.Equal(0, safe.ExitCode);
        Assert.Contains("0.009901", safe.Out);
        Assert.Contains("cheating has negative expected value", safe.Out);
        Assert.Equal(0, json.ExitCode);
        Assert.False(json.Json().GetProperty("cheating_is_irrational").GetBoolean());
        Assert.Equal(10.0 / 1010, json.Json().GetProperty("minimum_sampling_rate").GetDouble(), 12);
        Assert.Equal(0.995 * 10 - 0.005 * 1000, json.Json().GetProperty("cheating_expected_value").GetDouble(), 9);
    }

    [Fact]
    public void Economics_BadParameters_AreUsageErrors()
    {
        Cli.Run("nodes", "economics", "--slash", "5").AssertFailed(2, "'--fee' is required");
        Cli.Run("nodes", "economics", "--fee", "1", "--slash", "-5").AssertFailed(2, "--slash must be positive");
        Cli.Run("nodes", "economics", "--fee", "1", "--slash", "5", "--sampling-rate", "2").AssertFailed(2, "--sampling-rate must be in [0, 1]");
    }
}
