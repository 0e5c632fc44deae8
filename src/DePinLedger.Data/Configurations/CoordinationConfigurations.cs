using DePinLedger.Data.Coordination;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DePinLedger.Data.Configurations;

// What the coordinator keeps of its own jobs and disputes (not the chain mirror): written by the coordinator only.

internal sealed class CoordinatedJobRecordConfiguration : IEntityTypeConfiguration<CoordinatedJobRecord>
{
    public void Configure(EntityTypeBuilder<CoordinatedJobRecord> b)
    {
        b.ToTable("coordinated_jobs");
        b.HasKey(j => j.JobId);
        b.Property(j => j.JobId).HasMaxLength(Columns.Hash);
        // The dispute catch-up looks for unchecked rows every few seconds; the table grows with every job.
        b.HasIndex(j => j.DisputeCheckedAt);
    }
}

internal sealed class CoordinatedReplicaRecordConfiguration : IEntityTypeConfiguration<CoordinatedReplicaRecord>
{
    public void Configure(EntityTypeBuilder<CoordinatedReplicaRecord> b)
    {
        b.ToTable("coordinated_replicas");
        b.HasKey(r => new { r.JobId, r.Replica });
        b.Property(r => r.JobId).HasMaxLength(Columns.Hash);
    }
}

internal sealed class CoordinatedStageRecordConfiguration : IEntityTypeConfiguration<CoordinatedStageRecord>
{
    public void Configure(EntityTypeBuilder<CoordinatedStageRecord> b)
    {
        b.ToTable("coordinated_stages");
        b.HasKey(s => new { s.JobId, s.Replica, s.Stage });
        b.Property(s => s.JobId).HasMaxLength(Columns.Hash);
        b.Property(s => s.Node).HasMaxLength(Columns.Address);
        b.Property(s => s.WorkerEndpoint).HasMaxLength(2048);
    }
}

internal sealed class BisectionRecordConfiguration : IEntityTypeConfiguration<BisectionRecord>
{
    public void Configure(EntityTypeBuilder<BisectionRecord> b)
    {
        b.ToTable("bisections");
        b.HasKey(d => d.DisputeId);
        b.Property(d => d.DisputeId).HasMaxLength(80);
        b.Property(d => d.JobId).HasMaxLength(Columns.Hash);
        b.Property(d => d.AnswerableStages).HasMaxLength(1024);
        b.Property(d => d.Status).HasConversion<string>().HasMaxLength(32);
        b.Property(d => d.LastAction).HasMaxLength(256);
        b.Property(d => d.Outcome).HasMaxLength(32);
        b.Property(d => d.Reason).HasMaxLength(32);
        b.Property(d => d.Error).HasMaxLength(2048);
        b.HasIndex(d => d.Status);
        b.HasIndex(d => d.JobId);
    }
}
