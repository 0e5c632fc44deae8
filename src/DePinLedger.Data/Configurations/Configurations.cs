using DePinLedger.Data.Disputes;
using DePinLedger.Data.Indexing;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Models;
using DePinLedger.Data.Reputation;
using DePinLedger.Data.Staking;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DePinLedger.Data.Configurations;

// One configuration per entity: explicit table names, natural keys where the chain gives one, enums as strings.
// Addresses are 42 characters (lower-case 0x-hex), 32-byte values 66. Token amounts are numeric(38,0): every amount
// the contracts emit is bounded by a uint96 field (stake, fee), and 2^96 < 10^29 fits decimal exactly.

internal static class Columns
{
    public const int Address = 42;
    public const int Hash = 66;

    public static PropertyBuilder<decimal> Amount(this PropertyBuilder<decimal> p) => p.HasPrecision(38, 0);

    public static PropertyBuilder<decimal?> Amount(this PropertyBuilder<decimal?> p) => p.HasPrecision(38, 0);
}

internal sealed class NodeRecordConfiguration : IEntityTypeConfiguration<NodeRecord>
{
    public void Configure(EntityTypeBuilder<NodeRecord> b)
    {
        b.ToTable("nodes");
        b.HasKey(n => n.Address);
        b.Property(n => n.Address).HasMaxLength(Columns.Address);
        b.Property(n => n.Operator).HasMaxLength(Columns.Address);
        b.Property(n => n.Endpoint).HasMaxLength(2048);
        b.Property(n => n.ActiveStake).Amount();
        b.Property(n => n.UnbondingStake).Amount();
        b.HasIndex(n => n.Operator);
    }
}

internal sealed class StakeChangeConfiguration : IEntityTypeConfiguration<StakeChange>
{
    public void Configure(EntityTypeBuilder<StakeChange> b)
    {
        b.ToTable("stake_changes");
        b.HasKey(s => new { s.TxHash, s.LogIndex });
        b.Property(s => s.TxHash).HasMaxLength(Columns.Hash);
        b.Property(s => s.Node).HasMaxLength(Columns.Address);
        b.Property(s => s.Kind).HasConversion<string>().HasMaxLength(32);
        b.Property(s => s.Amount).Amount();
        b.Property(s => s.ActiveStakeAfter).Amount();
        b.HasIndex(s => new { s.Node, s.BlockNumber });
        b.HasIndex(s => s.BlockNumber);
    }
}

internal sealed class UnbondingEntryConfiguration : IEntityTypeConfiguration<UnbondingEntry>
{
    public void Configure(EntityTypeBuilder<UnbondingEntry> b)
    {
        b.ToTable("unbonding_entries");
        b.HasKey(u => new { u.Node, u.StartedAt });
        b.Property(u => u.Node).HasMaxLength(Columns.Address);
        b.Property(u => u.Amount).Amount();
        b.Property(u => u.Status).HasConversion<string>().HasMaxLength(32);
        b.HasIndex(u => u.BlockNumber);
    }
}

internal sealed class SlashConfiguration : IEntityTypeConfiguration<Slash>
{
    public void Configure(EntityTypeBuilder<Slash> b)
    {
        b.ToTable("slashes");
        b.HasKey(s => new { s.TxHash, s.LogIndex });
        b.Property(s => s.TxHash).HasMaxLength(Columns.Hash);
        b.Property(s => s.Node).HasMaxLength(Columns.Address);
        b.Property(s => s.RewardRecipient).HasMaxLength(Columns.Address);
        b.Property(s => s.FromActive).Amount();
        b.Property(s => s.FromUnbonding).Amount();
        b.Property(s => s.Reward).Amount();
        b.Property(s => s.Burned).Amount();
        b.HasIndex(s => s.Node);
        b.HasIndex(s => s.BlockNumber);
    }
}

internal sealed class ModelRecordConfiguration : IEntityTypeConfiguration<ModelRecord>
{
    public void Configure(EntityTypeBuilder<ModelRecord> b)
    {
        b.ToTable("models");
        b.HasKey(m => m.ModelId);
        b.Property(m => m.ModelId).HasMaxLength(Columns.Hash);
        b.Property(m => m.WeightsRoot).HasMaxLength(Columns.Hash);
        b.Property(m => m.Verifier).HasMaxLength(Columns.Address);
        b.Property(m => m.Registrant).HasMaxLength(Columns.Address);
        b.Property(m => m.MetadataUri).HasMaxLength(4096);
    }
}

internal sealed class JobRecordConfiguration : IEntityTypeConfiguration<JobRecord>
{
    public void Configure(EntityTypeBuilder<JobRecord> b)
    {
        b.ToTable("jobs");
        b.HasKey(j => j.JobId);
        b.Property(j => j.JobId).HasMaxLength(Columns.Hash);
        b.Property(j => j.Client).HasMaxLength(Columns.Address);
        b.Property(j => j.ModelId).HasMaxLength(Columns.Hash);
        b.Property(j => j.PromptHash).HasMaxLength(Columns.Hash);
        b.Property(j => j.Salt).HasMaxLength(Columns.Hash);
        b.Property(j => j.Fee).Amount();
        b.Property(j => j.Seed).HasPrecision(20, 0);
        b.Property(j => j.ToOperators).Amount();
        b.Property(j => j.ToTreasury).Amount();
        b.Property(j => j.Status).HasConversion<string>().HasMaxLength(32);
        b.Property(j => j.RefundReason).HasConversion<string>().HasMaxLength(32);
        b.HasIndex(j => j.Status);
        b.HasIndex(j => j.Client);
    }
}

internal sealed class ReplicaRecordConfiguration : IEntityTypeConfiguration<ReplicaRecord>
{
    public void Configure(EntityTypeBuilder<ReplicaRecord> b)
    {
        b.ToTable("replicas");
        b.HasKey(r => new { r.JobId, r.Replica });
        b.Property(r => r.JobId).HasMaxLength(Columns.Hash);
        b.Property(r => r.ResultRoot).HasMaxLength(Columns.Hash);
        b.Property(r => r.OutputHash).HasMaxLength(Columns.Hash);
    }
}

internal sealed class StageReceiptRecordConfiguration : IEntityTypeConfiguration<StageReceiptRecord>
{
    public void Configure(EntityTypeBuilder<StageReceiptRecord> b)
    {
        b.ToTable("stage_receipts");
        b.HasKey(s => new { s.JobId, s.Replica, s.Stage });
        b.Property(s => s.JobId).HasMaxLength(Columns.Hash);
        b.Property(s => s.Node).HasMaxLength(Columns.Address);
        b.Property(s => s.InputRoot).HasMaxLength(Columns.Hash);
        b.Property(s => s.TraceRoot).HasMaxLength(Columns.Hash);
        b.Property(s => s.OutputRoot).HasMaxLength(Columns.Hash);
        b.Property(s => s.Paid).Amount();
        b.HasIndex(s => s.Node);
    }
}

internal sealed class DisputeRecordConfiguration : IEntityTypeConfiguration<DisputeRecord>
{
    public void Configure(EntityTypeBuilder<DisputeRecord> b)
    {
        b.ToTable("disputes");
        b.HasKey(d => d.DisputeId);
        b.Property(d => d.DisputeId).HasMaxLength(Columns.Hash);
        b.Property(d => d.JobId).HasMaxLength(Columns.Hash);
        b.Property(d => d.Challenger).HasMaxLength(Columns.Address);
        b.Property(d => d.AccusedNode).HasMaxLength(Columns.Address);
        b.Property(d => d.Status).HasConversion<string>().HasMaxLength(32);
        b.Property(d => d.Bond).Amount();
        b.HasIndex(d => d.JobId);
    }
}

internal sealed class DisputeMoveConfiguration : IEntityTypeConfiguration<DisputeMove>
{
    public void Configure(EntityTypeBuilder<DisputeMove> b)
    {
        b.ToTable("dispute_moves");
        b.HasKey(m => new { m.DisputeId, m.MoveIndex });
        b.Property(m => m.DisputeId).HasMaxLength(Columns.Hash);
        b.Property(m => m.LeafHash).HasMaxLength(Columns.Hash);
        b.Property(m => m.Party).HasConversion<string>().HasMaxLength(32);
    }
}

internal sealed class HeartbeatConfiguration : IEntityTypeConfiguration<Heartbeat>
{
    public void Configure(EntityTypeBuilder<Heartbeat> b)
    {
        b.ToTable("heartbeats");
        b.HasKey(h => h.Id);
        b.Property(h => h.Node).HasMaxLength(Columns.Address);
        b.Property(h => h.ModelId).HasMaxLength(Columns.Hash);
        b.Property(h => h.Signature).HasMaxLength(2 + 2 * 65);
        b.HasIndex(h => new { h.Node, h.At });
        // A signed body is accepted once: the worker's signed time is its sequence number.
        b.HasIndex(h => new { h.Node, h.ReportedAt }).IsUnique();
    }
}

internal sealed class ReputationSnapshotConfiguration : IEntityTypeConfiguration<ReputationSnapshot>
{
    public void Configure(EntityTypeBuilder<ReputationSnapshot> b)
    {
        b.ToTable("reputation_snapshots");
        b.HasKey(r => r.Id);
        b.Property(r => r.Node).HasMaxLength(Columns.Address);
        b.HasIndex(r => new { r.Node, r.At });
    }
}

internal sealed class IndexerCursorConfiguration : IEntityTypeConfiguration<IndexerCursor>
{
    public void Configure(EntityTypeBuilder<IndexerCursor> b)
    {
        b.ToTable("indexer_cursors");
        b.HasKey(c => c.Name);
        b.Property(c => c.Name).HasMaxLength(64);
        b.Property(c => c.LastBlockHash).HasMaxLength(Columns.Hash);
    }
}

internal sealed class IndexedBlockConfiguration : IEntityTypeConfiguration<IndexedBlock>
{
    public void Configure(EntityTypeBuilder<IndexedBlock> b)
    {
        b.ToTable("indexed_blocks");
        b.HasKey(x => x.Number);
        b.Property(x => x.Number).ValueGeneratedNever();
        b.Property(x => x.Hash).HasMaxLength(Columns.Hash);
        b.Property(x => x.ParentHash).HasMaxLength(Columns.Hash);
    }
}

internal sealed class ChainEventConfiguration : IEntityTypeConfiguration<ChainEvent>
{
    public void Configure(EntityTypeBuilder<ChainEvent> b)
    {
        b.ToTable("chain_events");
        b.HasKey(e => new { e.TxHash, e.LogIndex });
        b.Property(e => e.TxHash).HasMaxLength(Columns.Hash);
        b.Property(e => e.BlockHash).HasMaxLength(Columns.Hash);
        b.Property(e => e.Contract).HasMaxLength(Columns.Address);
        b.Property(e => e.EventName).HasMaxLength(64);
        b.Property(e => e.Subject).HasMaxLength(Columns.Hash);
        b.HasIndex(e => e.BlockNumber);
        b.HasIndex(e => new { e.Subject, e.BlockNumber });
    }
}
