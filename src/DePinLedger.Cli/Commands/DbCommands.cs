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

    /// <summary>The options that pick the database (shared by every verb that opens it).</summary>
    internal sealed class DatabaseChoice
    {
        public Option<DatabaseProvider> Provider { get; } = new("--provider")
        {
            Description = "postgres (connection string from --connection-env) or sqlite (the embedded devnet file)",
            DefaultValueFactory = _ => DatabaseProvider.Sqlite,
        };

        public Option<string> File { get; } = new("--database") { Description = $"SQLite database file [default: {DefaultSqliteFile}]", HelpName = "FILE" };

        public Option<string> Variable { get; } = new("--connection-env")
        {
            Description = $"Environment variable with the PostgreSQL connection string [default: {ConnectionVariable}]",
            HelpName = "NAME",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Provider);
            command.Options.Add(File);
            command.Options.Add(Variable);
        }

        /// <summary>The chosen database; with <paramref name="mustExist"/>, a SQLite file that is not there is a usage error (opening would create an empty one).</summary>
        public DatabaseOptions Options(ParseResult parsed, bool mustExist)
        {
            if (parsed.GetValue(Provider) == DatabaseProvider.Postgres)
                return new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = PostgresConnection(parsed.GetValue(Variable) ?? ConnectionVariable) };
            string file = parsed.GetValue(File) ?? DefaultSqliteFile;
            if (mustExist && !System.IO.File.Exists(file)) throw new UsageException($"database file {file} does not exist (create it with 'depin db migrate --database {file}')");
            return new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={file}" };
        }
    }

    private static Command Migrate(CliContext context)
    {
        var database = new DatabaseChoice();
        var command = new Command("migrate", "Apply every pending migration (idempotent)");
        database.AddTo(command);
        command.SetAction(async (parsed, cancellation) =>
        {
            DatabaseOptions options = database.Options(parsed, mustExist: false);
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
