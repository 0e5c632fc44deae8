using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace DePinLedger.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "chain_events",
                columns: table => new
                {
                    TxHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    LogIndex = table.Column<int>(type: "integer", nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false),
                    BlockHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    BlockTimestamp = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Contract = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    EventName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Subject = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Topics = table.Column<string>(type: "text", nullable: false),
                    Data = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_chain_events", x => new { x.TxHash, x.LogIndex });
                });

            migrationBuilder.CreateTable(
                name: "dispute_moves",
                columns: table => new
                {
                    DisputeId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    MoveIndex = table.Column<int>(type: "integer", nullable: false),
                    Party = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    LeafIndex = table.Column<long>(type: "bigint", nullable: false),
                    LeafHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dispute_moves", x => new { x.DisputeId, x.MoveIndex });
                });

            migrationBuilder.CreateTable(
                name: "disputes",
                columns: table => new
                {
                    DisputeId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Challenger = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    AccusedNode = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: true),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Bond = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    OpenedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ResolvedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    DivergentLeaf = table.Column<long>(type: "bigint", nullable: true),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_disputes", x => x.DisputeId);
                });

            migrationBuilder.CreateTable(
                name: "heartbeats",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LatencyMicros = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_heartbeats", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "indexed_blocks",
                columns: table => new
                {
                    Number = table.Column<long>(type: "bigint", nullable: false),
                    Hash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    ParentHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Timestamp = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_indexed_blocks", x => x.Number);
                });

            migrationBuilder.CreateTable(
                name: "indexer_cursors",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ChainId = table.Column<long>(type: "bigint", nullable: false),
                    LastBlock = table.Column<long>(type: "bigint", nullable: false),
                    LastBlockHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_indexer_cursors", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "jobs",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Client = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    ModelId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    PromptHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    MaxTokens = table.Column<long>(type: "bigint", nullable: false),
                    Temperature = table.Column<long>(type: "bigint", nullable: false),
                    TopP = table.Column<long>(type: "bigint", nullable: false),
                    Seed = table.Column<decimal>(type: "numeric(20,0)", precision: 20, scale: 0, nullable: false),
                    Replicas = table.Column<int>(type: "integer", nullable: false),
                    Fee = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    Deadline = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Salt = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    RefundReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SubmittedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    FreezeCount = table.Column<int>(type: "integer", nullable: false),
                    ToOperators = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: true),
                    ToTreasury = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: true),
                    CreatedBlock = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedBlock = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_jobs", x => x.JobId);
                });

            migrationBuilder.CreateTable(
                name: "models",
                columns: table => new
                {
                    ModelId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    WeightsRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Verifier = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    Registrant = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    LayerCount = table.Column<int>(type: "integer", nullable: false),
                    HeadCount = table.Column<int>(type: "integer", nullable: false),
                    KvHeadCount = table.Column<int>(type: "integer", nullable: false),
                    Dim = table.Column<long>(type: "bigint", nullable: false),
                    HiddenDim = table.Column<long>(type: "bigint", nullable: false),
                    VocabSize = table.Column<long>(type: "bigint", nullable: false),
                    MaxSeqLen = table.Column<long>(type: "bigint", nullable: false),
                    MetadataUri = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_models", x => x.ModelId);
                });

            migrationBuilder.CreateTable(
                name: "nodes",
                columns: table => new
                {
                    Address = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    Operator = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    Endpoint = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    MemoryMiB = table.Column<long>(type: "bigint", nullable: false),
                    ComputeGops = table.Column<long>(type: "bigint", nullable: false),
                    BandwidthMBps = table.Column<long>(type: "bigint", nullable: false),
                    RegionCode = table.Column<int>(type: "integer", nullable: false),
                    ActiveStake = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    UnbondingStake = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    FreezeCount = table.Column<int>(type: "integer", nullable: false),
                    RegisteredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RegisteredBlock = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedBlock = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_nodes", x => x.Address);
                });

            migrationBuilder.CreateTable(
                name: "replicas",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Replica = table.Column<int>(type: "integer", nullable: false),
                    ResultRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    OutputHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    TokenCount = table.Column<long>(type: "bigint", nullable: false),
                    ProvenWrong = table.Column<bool>(type: "boolean", nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_replicas", x => new { x.JobId, x.Replica });
                });

            migrationBuilder.CreateTable(
                name: "reputation_snapshots",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ScorePpm = table.Column<int>(type: "integer", nullable: false),
                    UptimePpm = table.Column<int>(type: "integer", nullable: false),
                    LatencyMeanMicros = table.Column<int>(type: "integer", nullable: false),
                    LatencyStdDevMicros = table.Column<int>(type: "integer", nullable: false),
                    VerificationsPassed = table.Column<int>(type: "integer", nullable: false),
                    VerificationsFailed = table.Column<int>(type: "integer", nullable: false),
                    DisputesLost = table.Column<int>(type: "integer", nullable: false),
                    Slashes = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reputation_snapshots", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "slashes",
                columns: table => new
                {
                    TxHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    LogIndex = table.Column<int>(type: "integer", nullable: false),
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    RewardRecipient = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    InfractionTime = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    FromActive = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    FromUnbonding = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    Reward = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    Burned = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_slashes", x => new { x.TxHash, x.LogIndex });
                });

            migrationBuilder.CreateTable(
                name: "stage_receipts",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Replica = table.Column<int>(type: "integer", nullable: false),
                    Stage = table.Column<int>(type: "integer", nullable: false),
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    FirstLayer = table.Column<int>(type: "integer", nullable: false),
                    LastLayer = table.Column<int>(type: "integer", nullable: false),
                    InputRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    TraceRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    OutputRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Paid = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: true),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_stage_receipts", x => new { x.JobId, x.Replica, x.Stage });
                });

            migrationBuilder.CreateTable(
                name: "stake_changes",
                columns: table => new
                {
                    TxHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    LogIndex = table.Column<int>(type: "integer", nullable: false),
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Amount = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    ActiveStakeAfter = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false),
                    Timestamp = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_stake_changes", x => new { x.TxHash, x.LogIndex });
                });

            migrationBuilder.CreateTable(
                name: "unbonding_entries",
                columns: table => new
                {
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ReleaseAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Amount = table.Column<decimal>(type: "numeric(38,0)", precision: 38, scale: 0, nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    BlockNumber = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_unbonding_entries", x => new { x.Node, x.StartedAt });
                });

            migrationBuilder.CreateIndex(
                name: "IX_chain_events_BlockNumber",
                table: "chain_events",
                column: "BlockNumber");

            migrationBuilder.CreateIndex(
                name: "IX_chain_events_Subject_BlockNumber",
                table: "chain_events",
                columns: new[] { "Subject", "BlockNumber" });

            migrationBuilder.CreateIndex(
                name: "IX_disputes_JobId",
                table: "disputes",
                column: "JobId");

            migrationBuilder.CreateIndex(
                name: "IX_heartbeats_Node_At",
                table: "heartbeats",
                columns: new[] { "Node", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_jobs_Client",
                table: "jobs",
                column: "Client");

            migrationBuilder.CreateIndex(
                name: "IX_jobs_Status",
                table: "jobs",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_nodes_Operator",
                table: "nodes",
                column: "Operator");

            migrationBuilder.CreateIndex(
                name: "IX_reputation_snapshots_Node_At",
                table: "reputation_snapshots",
                columns: new[] { "Node", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_slashes_BlockNumber",
                table: "slashes",
                column: "BlockNumber");

            migrationBuilder.CreateIndex(
                name: "IX_slashes_Node",
                table: "slashes",
                column: "Node");

            migrationBuilder.CreateIndex(
                name: "IX_stage_receipts_Node",
                table: "stage_receipts",
                column: "Node");

            migrationBuilder.CreateIndex(
                name: "IX_stake_changes_BlockNumber",
                table: "stake_changes",
                column: "BlockNumber");

            migrationBuilder.CreateIndex(
                name: "IX_stake_changes_Node_BlockNumber",
                table: "stake_changes",
                columns: new[] { "Node", "BlockNumber" });

            migrationBuilder.CreateIndex(
                name: "IX_unbonding_entries_BlockNumber",
                table: "unbonding_entries",
                column: "BlockNumber");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "chain_events");

            migrationBuilder.DropTable(
                name: "dispute_moves");

            migrationBuilder.DropTable(
                name: "disputes");

            migrationBuilder.DropTable(
                name: "heartbeats");

            migrationBuilder.DropTable(
                name: "indexed_blocks");

            migrationBuilder.DropTable(
                name: "indexer_cursors");

            migrationBuilder.DropTable(
                name: "jobs");

            migrationBuilder.DropTable(
                name: "models");

            migrationBuilder.DropTable(
                name: "nodes");

            migrationBuilder.DropTable(
                name: "replicas");

            migrationBuilder.DropTable(
                name: "reputation_snapshots");

            migrationBuilder.DropTable(
                name: "slashes");

            migrationBuilder.DropTable(
                name: "stage_receipts");

            migrationBuilder.DropTable(
                name: "stake_changes");

            migrationBuilder.DropTable(
                name: "unbonding_entries");
        }
    }
}
