using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DePinLedger.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class CoordinatorDisputeCatchUp : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "DisputeCheckedAt",
                table: "coordinated_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "FirstDifferingPosition",
                table: "coordinated_jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_coordinated_jobs_DisputeCheckedAt",
                table: "coordinated_jobs",
                column: "DisputeCheckedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_coordinated_jobs_DisputeCheckedAt",
                table: "coordinated_jobs");

            migrationBuilder.DropColumn(
                name: "DisputeCheckedAt",
                table: "coordinated_jobs");

            migrationBuilder.DropColumn(
                name: "FirstDifferingPosition",
                table: "coordinated_jobs");
        }
    }
}
