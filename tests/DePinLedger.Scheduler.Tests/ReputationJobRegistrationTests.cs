using DePinLedger.Scheduler.Reputation;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.Storage;

namespace DePinLedger.Scheduler.Tests;

/// <summary>The recompute is registered as a Hangfire recurring job that calls <see cref="ReputationJob.RunAsync"/>.</summary>
public sealed class ReputationJobRegistrationTests
{
    [Fact]
    public void Register_AddsTheRecurringJob_WithItsSchedule_Idempotently()
    {
        using var storage = new InMemoryStorage();
        var jobs = new RecurringJobManager(storage);

        ReputationJob.Register(jobs);
        ReputationJob.Register(jobs, "*/10 * * * *");

        using IStorageConnection connection = storage.GetConnection();
        RecurringJobDto job = Assert.Single(connection.GetRecurringJobs());
        Assert.Equal((ReputationJob.RecurringJobId, "*/10 * * * *"), (job.Id, job.Cron));
        Assert.Equal((typeof(ReputationJob), nameof(ReputationJob.RunAsync)), (job.Job.Type, job.Job.Method.Name));
    }
}
