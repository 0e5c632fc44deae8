using DePinLedger.Data.Coordination;
using DePinLedger.Data.Disputes;
using DePinLedger.Data.Indexing;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Models;
using DePinLedger.Data.Reputation;
using DePinLedger.Data.Staking;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Data;

/// <summary>The network's state as the coordinator sees it: the chain mirror (written only by the indexer) and off-chain observations.</summary>
public sealed class DePinDbContext(DbContextOptions<DePinDbContext> options) : DbContext(options)
{
    public DbSet<NodeRecord> Nodes => Set<NodeRecord>();
    public DbSet<StakeChange> StakeChanges => Set<StakeChange>();
    public DbSet<UnbondingEntry> UnbondingEntries => Set<UnbondingEntry>();
    public DbSet<Slash> Slashes => Set<Slash>();
    public DbSet<ModelRecord> Models => Set<ModelRecord>();
    public DbSet<JobRecord> Jobs => Set<JobRecord>();
    public DbSet<ReplicaRecord> Replicas => Set<ReplicaRecord>();
    public DbSet<StageReceiptRecord> StageReceipts => Set<StageReceiptRecord>();
    public DbSet<DisputeRecord> Disputes => Set<DisputeRecord>();
    public DbSet<DisputeMove> DisputeMoves => Set<DisputeMove>();
    public DbSet<Heartbeat> Heartbeats => Set<Heartbeat>();
    public DbSet<ReputationSnapshot> ReputationSnapshots => Set<ReputationSnapshot>();
    public DbSet<IndexerCursor> IndexerCursors => Set<IndexerCursor>();
    public DbSet<IndexedBlock> IndexedBlocks => Set<IndexedBlock>();
    public DbSet<ChainEvent> ChainEvents => Set<ChainEvent>();
    public DbSet<CoordinatedJobRecord> CoordinatedJobs => Set<CoordinatedJobRecord>();
    public DbSet<CoordinatedReplicaRecord> CoordinatedReplicas => Set<CoordinatedReplicaRecord>();
    public DbSet<CoordinatedStageRecord> CoordinatedStages => Set<CoordinatedStageRecord>();
    public DbSet<BisectionRecord> Bisections => Set<BisectionRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DePinDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks there (PostgreSQL keeps timestamptz).
        if (Database.IsSqlite())
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
    }
}
