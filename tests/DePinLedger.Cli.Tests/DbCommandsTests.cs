using Npgsql;

namespace DePinLedger.Cli.Tests;

/// <summary><c>depin db migrate</c> on the embedded SQLite file and on PostgreSQL; idempotent.</summary>
public sealed class DbCommandsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Migrate_Sqlite_ThenUpToDate()
    {
        string file = _folder.File("devnet.db");

        CliResult first = Cli.Run("db", "migrate", "--database", file);
        CliResult second = Cli.Run("db", "migrate", "--database", file);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("applied ", first.Out);
        Assert.Contains("_Initial", first.Out);
        Assert.Contains("database is up to date", second.Out);
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task Migrate_Postgres_FromTheConnectionVariable()
    {
        string admin = Environment.GetEnvironmentVariable("DEPIN_TEST_POSTGRES")
            ?? throw new InvalidOperationException("$DEPIN_TEST_POSTGRES is not set: run the tests through tests/run.sh");
        string name = "depin_cli_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await new NpgsqlCommand($"CREATE DATABASE {name}", connection).ExecuteNonQueryAsync();
        string variable = "DEPIN_CLI_TEST_DB_" + name.ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
        try
        {
            CliResult result = Cli.Run("db", "migrate", "--provider", "postgres", "--connection-env", variable);

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("_Initial", result.Out);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            NpgsqlConnection.ClearAllPools();
            await new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection).ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public void Migrate_Postgres_VariableMissing_UsageError() =>
        Cli.Run("db", "migrate", "--provider", "postgres", "--connection-env", "DEPIN_NO_SUCH_VARIABLE").AssertFailed(2, "environment variable DEPIN_NO_SUCH_VARIABLE is not set");
}
