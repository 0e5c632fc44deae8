using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DePinLedger.Data.Tests.Support;

/// <summary>
/// A fresh, migrated database for one test: a uniquely named PostgreSQL database on the server of
/// $DEPIN_TEST_POSTGRES (tests/run.sh starts one), dropped on dispose; or a SQLite file. Shared (linked) by the
/// Data and Indexer tests.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string Variable = "DEPIN_TEST_POSTGRES";

    private readonly string? _adminConnection;
    private readonly string _name;

    private TestDatabase(DatabaseOptions options, string? adminConnection, string name)
    {
        Options = options;
        _adminConnection = adminConnection;
        _name = name;
    }

    public DatabaseOptions Options { get; }

    public DePinDbContext Context() => Options.CreateContext();

    /// <summary>Creates and migrates a PostgreSQL database; fails with a clear message when no server is configured.</summary>
    public static async Task<TestDatabase> PostgresAsync()
    {
        string admin = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"${Variable} is not set: run the tests through tests/run.sh, or point it at a PostgreSQL server (Npgsql connection string to the 'postgres' database)");
        string name = "depin_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        var db = new TestDatabase(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = builder.ConnectionString }, admin, name);
        await using DePinDbContext context = db.Context();
        await context.Database.MigrateAsync();
        return db;
    }

    /// <summary>Creates and migrates a SQLite database file.</summary>
    public static async Task<TestDatabase> SqliteAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"depin-test-{Guid.NewGuid():N}.db");
        var db = new TestDatabase(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={path};Pooling=False" }, null, path);
        await using DePinDbContext context = db.Context();
        await context.Database.MigrateAsync();
        return db;
    }

    public async ValueTask DisposeAsync()
    {
        if (_adminConnection is null)
        {
            File.Delete(_name);
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnection);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
