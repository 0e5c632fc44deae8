using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Data;

/// <summary>Which database engine holds the state.</summary>
public enum DatabaseProvider
{
    /// <summary>PostgreSQL through Npgsql: production and tests.</summary>
    Postgres,

    /// <summary>SQLite: the embedded default of the one-machine devnet.</summary>
    Sqlite,
}

/// <summary>Where the database is.</summary>
public sealed record DatabaseOptions
{
    /// <summary>Engine [default: SQLite, the embedded devnet database].</summary>
    public DatabaseProvider Provider { get; init; } = DatabaseProvider.Sqlite;

    /// <summary>Npgsql or SQLite connection string [default: a depin.db file in the current folder].</summary>
    public string ConnectionString { get; init; } = "Data Source=depin.db";

    /// <summary>The migrations assembly of each provider (migrations/DePinLedger.Migrations.*; the host must reference it).</summary>
    public string MigrationsAssembly => Provider == DatabaseProvider.Postgres ? "DePinLedger.Migrations.Postgres" : "DePinLedger.Migrations.Sqlite";

    /// <summary>Applies these options to a context builder.</summary>
    public DbContextOptionsBuilder<DePinDbContext> Configure(DbContextOptionsBuilder<DePinDbContext> builder) => Provider switch
    {
        DatabaseProvider.Postgres => builder.UseNpgsql(ConnectionString, o => o.MigrationsAssembly(MigrationsAssembly)),
        _ => builder.UseSqlite(ConnectionString, o => o.MigrationsAssembly(MigrationsAssembly)),
    };

    public DbContextOptions<DePinDbContext> Build() => Configure(new DbContextOptionsBuilder<DePinDbContext>()).Options;

    public DePinDbContext CreateContext() => new(Build());
}
