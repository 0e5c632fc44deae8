using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DePinLedger.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class CoordinatorJobsAndBisections : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "bisections",
                columns: table => new
                {
                    DisputeId = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    DefenderReplica = table.Column<int>(type: "integer", nullable: false),
                    AnswerableStages = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    FirstPosition = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    LastAction = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    StepPosition = table.Column<int>(type: "integer", nullable: true),
                    StepSlot = table.Column<int>(type: "integer", nullable: true),
                    Gas = table.Column<long>(type: "bigint", nullable: false),
                    Error = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    OpenedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_bisections", x => x.DisputeId);
                });

            migrationBuilder.CreateTable(
                name: "coordinated_jobs",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    PromptTokens = table.Column<string>(type: "text", nullable: false),
                    SubmittedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_coordinated_jobs", x => x.JobId);
                });

            migrationBuilder.CreateTable(
                name: "coordinated_replicas",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Replica = table.Column<int>(type: "integer", nullable: false),
                    LeafCount = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_coordinated_replicas", x => new { x.JobId, x.Replica });
                });

            migrationBuilder.CreateTable(
                name: "coordinated_stages",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: false),
                    Replica = table.Column<int>(type: "integer", nullable: false),
                    Stage = table.Column<int>(type: "integer", nullable: false),
                    FirstLayer = table.Column<int>(type: "integer", nullable: false),
                    LastLayer = table.Column<int>(type: "integer", nullable: false),
                    Node = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    WorkerEndpoint = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_coordinated_stages", x => new { x.JobId, x.Replica, x.Stage });
                });

            migrationBuilder.CreateIndex(
                name: "IX_bisections_JobId",
                table: "bisections",
                column: "JobId");

            migrationBuilder.CreateIndex(
                name: "IX_bisections_Status",
                table: "bisections",
                column: "Status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "bisections");

            migrationBuilder.DropTable(
                name: "coordinated_jobs");

            migrationBuilder.DropTable(
                name: "coordinated_replicas");

            migrationBuilder.DropTable(
                name: "coordinated_stages");
        }
    }
}
