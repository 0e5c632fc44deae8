using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DePinLedger.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class SchedulerHeartbeatsAndReputation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "DisputesWon",
                table: "reputation_snapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "LatencyP50Micros",
                table: "reputation_snapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "LatencyP95Micros",
                table: "reputation_snapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "LatencyScorePpm",
                table: "reputation_snapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "SlashFactorPpm",
                table: "reputation_snapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "StakeScorePpm",
                table: "reputation_snapshots",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AlterColumn<int>(
                name: "LatencyMicros",
                table: "heartbeats",
                type: "INTEGER",
                nullable: true,
                oldClrType: typeof(int),
                oldType: "INTEGER");

            migrationBuilder.AddColumn<int>(
                name: "FirstLayer",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "KvBudgetBytes",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "KvUsedBytes",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "LastLayer",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ModelId",
                table: "heartbeats",
                type: "TEXT",
                maxLength: 66,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "OpenSessions",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "PositionsPerSecond",
                table: "heartbeats",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<long>(
                name: "ReportedAt",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "Signature",
                table: "heartbeats",
                type: "TEXT",
                maxLength: 132,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_heartbeats_Node_ReportedAt",
                table: "heartbeats",
                columns: new[] { "Node", "ReportedAt" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_heartbeats_Node_ReportedAt",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "DisputesWon",
                table: "reputation_snapshots");

            migrationBuilder.DropColumn(
                name: "LatencyP50Micros",
                table: "reputation_snapshots");

            migrationBuilder.DropColumn(
                name: "LatencyP95Micros",
                table: "reputation_snapshots");

            migrationBuilder.DropColumn(
                name: "LatencyScorePpm",
                table: "reputation_snapshots");

            migrationBuilder.DropColumn(
                name: "SlashFactorPpm",
                table: "reputation_snapshots");

            migrationBuilder.DropColumn(
                name: "StakeScorePpm",
                table: "reputation_snapshots");

            migrationBuilder.DropColumn(
                name: "FirstLayer",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "KvBudgetBytes",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "KvUsedBytes",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "LastLayer",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "ModelId",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "OpenSessions",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "PositionsPerSecond",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "ReportedAt",
                table: "heartbeats");

            migrationBuilder.DropColumn(
                name: "Signature",
                table: "heartbeats");

            migrationBuilder.AlterColumn<int>(
                name: "LatencyMicros",
                table: "heartbeats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0,
                oldClrType: typeof(int),
                oldType: "INTEGER",
                oldNullable: true);
        }
    }
}
