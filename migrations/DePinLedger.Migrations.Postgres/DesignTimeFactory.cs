using DePinLedger.Data;
using Microsoft.EntityFrameworkCore.Design;

namespace DePinLedger.Migrations.Postgres;

/// <summary>
/// What `dotnet ef migrations add` builds the model with (no database is contacted to generate a migration):
/// dotnet ef migrations add NAME --project migrations/DePinLedger.Migrations.Postgres
/// </summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<DePinDbContext>
{
    public DePinDbContext CreateDbContext(string[] args) =>
        new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = "Host=127.0.0.1;Database=depin_design;Username=postgres" }.CreateContext();
}
