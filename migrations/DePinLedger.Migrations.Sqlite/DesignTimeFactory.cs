using DePinLedger.Data;
using Microsoft.EntityFrameworkCore.Design;

namespace DePinLedger.Migrations.Sqlite;

/// <summary>
/// What `dotnet ef migrations add` builds the model with (no database is contacted to generate a migration):
/// dotnet ef migrations add NAME --project migrations/DePinLedger.Migrations.Sqlite
/// </summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<DePinDbContext>
{
    public DePinDbContext CreateDbContext(string[] args) =>
        new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=design.db" }.CreateContext();
}
