using DePinLedger.Data;
using DePinLedger.Data.Indexing;
using DePinLedger.Data.Staking;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace DePinLedger.Indexer.Projection;

/// <summary>
/// The rows a batch only ever inserts (raw logs and stake changes: the bulk of every batch). On PostgreSQL they go
/// in with one binary COPY each inside the batch's transaction, bypassing EF Core's change tracker (the indexer's
/// bottleneck); on SQLite through EF Core.
/// </summary>
internal sealed class AppendOnlyRows
{
    public List<ChainEvent> Events { get; } = [];

    public List<StakeChange> StakeChanges { get; } = [];

    public async Task FlushAsync(DePinDbContext db, CancellationToken cancellation)
    {
        if (!db.Database.IsNpgsql())
        {
            db.ChainEvents.AddRange(Events);
            db.StakeChanges.AddRange(StakeChanges);
        }
        else
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            if (Events.Count > 0)
            {
                await using NpgsqlBinaryImporter copy = await connection.BeginBinaryImportAsync(
                    "COPY chain_events (\"TxHash\", \"LogIndex\", \"BlockNumber\", \"BlockHash\", \"BlockTimestamp\", \"Contract\", \"EventName\", \"Subject\", \"Topics\", \"Data\") FROM STDIN (FORMAT BINARY)",
                    cancellation);
                foreach (ChainEvent e in Events)
                {
                    await copy.StartRowAsync(cancellation);
                    await copy.WriteAsync(e.TxHash, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(e.LogIndex, NpgsqlDbType.Integer, cancellation);
                    await copy.WriteAsync(e.BlockNumber, NpgsqlDbType.Bigint, cancellation);
                    await copy.WriteAsync(e.BlockHash, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(e.BlockTimestamp, NpgsqlDbType.TimestampTz, cancellation);
                    await copy.WriteAsync(e.Contract, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(e.EventName, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(e.Subject, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(e.Topics, NpgsqlDbType.Text, cancellation);
                    await copy.WriteAsync(e.Data, NpgsqlDbType.Text, cancellation);
                }
                await copy.CompleteAsync(cancellation);
            }
            if (StakeChanges.Count > 0)
            {
                await using NpgsqlBinaryImporter copy = await connection.BeginBinaryImportAsync(
                    "COPY stake_changes (\"TxHash\", \"LogIndex\", \"Node\", \"Kind\", \"Amount\", \"ActiveStakeAfter\", \"BlockNumber\", \"Timestamp\") FROM STDIN (FORMAT BINARY)",
                    cancellation);
                foreach (StakeChange s in StakeChanges)
                {
                    await copy.StartRowAsync(cancellation);
                    await copy.WriteAsync(s.TxHash, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(s.LogIndex, NpgsqlDbType.Integer, cancellation);
                    await copy.WriteAsync(s.Node, NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(s.Kind.ToString(), NpgsqlDbType.Varchar, cancellation);
                    await copy.WriteAsync(s.Amount, NpgsqlDbType.Numeric, cancellation);
                    await copy.WriteAsync(s.ActiveStakeAfter, NpgsqlDbType.Numeric, cancellation);
                    await copy.WriteAsync(s.BlockNumber, NpgsqlDbType.Bigint, cancellation);
                    await copy.WriteAsync(s.Timestamp, NpgsqlDbType.TimestampTz, cancellation);
                }
                await copy.CompleteAsync(cancellation);
            }
        }
        Events.Clear();
        StakeChanges.Clear();
    }
}
