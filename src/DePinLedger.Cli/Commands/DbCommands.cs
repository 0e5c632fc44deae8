using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Data;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Cli.Commands;

/// <summary><c>depin db migrate</c>: creates or upgrades the database (PostgreSQL, or the devnet's SQLite file).</summary>
internal static class DbCommands
{
    /// <summary>Environment variable holding the PostgreSQL connection string (it may carry a password: never an argument).</summary>
    public const string ConnectionVariable = "DEPIN_DATABASE";

    /// <summary>The embedded devnet database file.</summary>
    public const string DefaultSqliteFile = "depin.db";

    public static Command Create(CliContext context) =>
        new Command("db", "Create or upgrade the database") { Migrate(context) }
            .WithExamples("depin db migrate", "DEPIN_DATABASE='Host=db;Username=depin;Password=…' depin db migrate --provider postgres");

    private static Command Migrate(CliContext context)
    {
        Option<DatabaseProvider> provider = new("--provider")
        {
            Description = "postgres (connection string from --connection-env) or sqlite (the embedded devnet file)",
            DefaultValueFactory = _ => DatabaseProvider.Sqlite,
        };
        Option<string> file = new("--database") { Description = $"SQLite database file [default: {DefaultSqliteFile}]", HelpName = "FILE" };
        Option<string> variable = new("--connection-env")
        {
            Description = $"Environment variable with the PostgreSQL connection string [default: {ConnectionVariable}]",
            HelpName = "NAME",
        };
        var command = new Command("migrate", "Apply every pending migration (idempotent)") { provider, file, variable };
        command.SetAction(async (parsed, cancellation) =>
        {
            DatabaseOptions options = parsed.GetValue(provider) == DatabaseProvider.Postgres
                ? new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = PostgresConnection(parsed.GetValue(variable) ?? ConnectionVariable) }
                : new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={parsed.GetValue(file) ?? DefaultSqliteFile}" };
            await using DePinDbContext db = options.CreateContext();
            string[] pending = [.. await db.Database.GetPendingMigrationsAsync(cancellation)];
            try
            {
                await db.Database.MigrateAsync(cancellation);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                return context.Fail(ExitCodes.Failure, $"migrating the {options.Provider} database failed: {e.Message}");
            }
            context.Out.WriteLine(pending.Length == 0 ? "database is up to date" : $"applied {pending.Length} migration(s): {string.Join(", ", pending)}");
            return ExitCodes.Success;
        });
        return command.WithExamples("depin db migrate --database devnet.db", "depin db migrate --provider postgres --connection-env DEPIN_DATABASE");
    }

    private static string PostgresConnection(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new UsageException($"environment variable {variable} is not set (it holds the PostgreSQL connection string)");
}
