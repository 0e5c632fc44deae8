using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DePinLedger.Migrations.Sqlite.Migrations
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
                    TxHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    LogIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false),
                    BlockHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    BlockTimestamp = table.Column<long>(type: "INTEGER", nullable: false),
                    Contract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    EventName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Topics = table.Column<string>(type: "TEXT", nullable: false),
                    Data = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_chain_events", x => new { x.TxHash, x.LogIndex });
                });

            migrationBuilder.CreateTable(
                name: "dispute_moves",
                columns: table => new
                {
                    DisputeId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    MoveIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    Party = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    LeafIndex = table.Column<long>(type: "INTEGER", nullable: false),
                    LeafHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dispute_moves", x => new { x.DisputeId, x.MoveIndex });
                });

            migrationBuilder.CreateTable(
                name: "disputes",
                columns: table => new
                {
                    DisputeId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    JobId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Challenger = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    AccusedNode = table.Column<string>(type: "TEXT", maxLength: 42, nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Bond = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    OpenedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    DivergentLeaf = table.Column<long>(type: "INTEGER", nullable: true),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_disputes", x => x.DisputeId);
                });

            migrationBuilder.CreateTable(
                name: "heartbeats",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Node = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    LatencyMicros = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_heartbeats", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "indexed_blocks",
                columns: table => new
                {
                    Number = table.Column<long>(type: "INTEGER", nullable: false),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    ParentHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Timestamp = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_indexed_blocks", x => x.Number);
                });

            migrationBuilder.CreateTable(
                name: "indexer_cursors",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ChainId = table.Column<long>(type: "INTEGER", nullable: false),
                    LastBlock = table.Column<long>(type: "INTEGER", nullable: false),
                    LastBlockHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_indexer_cursors", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "jobs",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Client = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    ModelId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    PromptHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    MaxTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    Temperature = table.Column<long>(type: "INTEGER", nullable: false),
                    TopP = table.Column<long>(type: "INTEGER", nullable: false),
                    Seed = table.Column<decimal>(type: "TEXT", precision: 20, scale: 0, nullable: false),
                    Replicas = table.Column<int>(type: "INTEGER", nullable: false),
                    Fee = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    Deadline = table.Column<long>(type: "INTEGER", nullable: false),
                    Salt = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    RefundReason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FreezeCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ToOperators = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: true),
                    ToTreasury = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: true),
                    CreatedBlock = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBlock = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_jobs", x => x.JobId);
                });

            migrationBuilder.CreateTable(
                name: "models",
                columns: table => new
                {
                    ModelId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    WeightsRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Verifier = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Registrant = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    LayerCount = table.Column<int>(type: "INTEGER", nullable: false),
                    HeadCount = table.Column<int>(type: "INTEGER", nullable: false),
                    KvHeadCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Dim = table.Column<long>(type: "INTEGER", nullable: false),
                    HiddenDim = table.Column<long>(type: "INTEGER", nullable: false),
                    VocabSize = table.Column<long>(type: "INTEGER", nullable: false),
                    MaxSeqLen = table.Column<long>(type: "INTEGER", nullable: false),
                    MetadataUri = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_models", x => x.ModelId);
                });

            migrationBuilder.CreateTable(
                name: "nodes",
                columns: table => new
                {
                    Address = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Operator = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Endpoint = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    MemoryMiB = table.Column<uint>(type: "INTEGER", nullable: false),
                    ComputeGops = table.Column<uint>(type: "INTEGER", nullable: false),
                    BandwidthMBps = table.Column<uint>(type: "INTEGER", nullable: false),
                    RegionCode = table.Column<ushort>(type: "INTEGER", nullable: false),
                    ActiveStake = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    UnbondingStake = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    FreezeCount = table.Column<int>(type: "INTEGER", nullable: false),
                    RegisteredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RegisteredBlock = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBlock = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_nodes", x => x.Address);
                });

            migrationBuilder.CreateTable(
                name: "replicas",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Replica = table.Column<int>(type: "INTEGER", nullable: false),
                    ResultRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    OutputHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    TokenCount = table.Column<long>(type: "INTEGER", nullable: false),
                    ProvenWrong = table.Column<bool>(type: "INTEGER", nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_replicas", x => new { x.JobId, x.Replica });
                });

            migrationBuilder.CreateTable(
                name: "reputation_snapshots",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Node = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    ScorePpm = table.Column<int>(type: "INTEGER", nullable: false),
                    UptimePpm = table.Column<int>(type: "INTEGER", nullable: false),
                    LatencyMeanMicros = table.Column<int>(type: "INTEGER", nullable: false),
                    LatencyStdDevMicros = table.Column<int>(type: "INTEGER", nullable: false),
                    VerificationsPassed = table.Column<int>(type: "INTEGER", nullable: false),
                    VerificationsFailed = table.Column<int>(type: "INTEGER", nullable: false),
                    DisputesLost = table.Column<int>(type: "INTEGER", nullable: false),
                    Slashes = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reputation_snapshots", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "slashes",
                columns: table => new
                {
                    TxHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    LogIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    Node = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    RewardRecipient = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    InfractionTime = table.Column<long>(type: "INTEGER", nullable: false),
                    FromActive = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    FromUnbonding = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    Reward = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    Burned = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_slashes", x => new { x.TxHash, x.LogIndex });
                });

            migrationBuilder.CreateTable(
                name: "stage_receipts",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Replica = table.Column<int>(type: "INTEGER", nullable: false),
                    Stage = table.Column<int>(type: "INTEGER", nullable: false),
                    Node = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    FirstLayer = table.Column<int>(type: "INTEGER", nullable: false),
                    LastLayer = table.Column<int>(type: "INTEGER", nullable: false),
                    InputRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    TraceRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    OutputRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    Paid = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: true),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_stage_receipts", x => new { x.JobId, x.Replica, x.Stage });
                });

            migrationBuilder.CreateTable(
                name: "stake_changes",
                columns: table => new
                {
                    TxHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    LogIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    Node = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Amount = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    ActiveStakeAfter = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false),
                    Timestamp = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_stake_changes", x => new { x.TxHash, x.LogIndex });
                });

            migrationBuilder.CreateTable(
                name: "unbonding_entries",
                columns: table => new
                {
                    Node = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReleaseAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Amount = table.Column<decimal>(type: "TEXT", precision: 38, scale: 0, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false)
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
