using System.Numerics;
using System.Text.Json;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Tests;
using DePinLedger.Protocol.Encoding;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DePinLedger.Gateway.Tests;

/// <summary>A network of its own for the client's wait for settlement: the test moves the chain's clock by a day.</summary>
public sealed class JobSettlementFixture() : GatewayFixture(startsCoordinator: false);

[CollectionDefinition(Name)]
public sealed class JobSettlementCollection : ICollectionFixture<JobSettlementFixture>
{
    public const string Name = "job settlement";
}

/// <summary>
/// `depin job submit --wait-settled`: after the stream and the result on-chain, the client waits out the challenge window
/// (moved past here) until the coordinator's finalizer has paid the stages, then prints every stage's pay as JobMarket
/// emitted it; `depin job status` shows the same settlement.
/// </summary>
[Collection(JobSettlementCollection.Name)]
public sealed class JobSettlementCommandTests(JobSettlementFixture fixture) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("depin-job-settle-").FullName;

    [Fact]
    public async Task Submit_WaitSettled_PrintsEveryStagesPay_OnceTheFinalizerPaidThem()
    {
        string[] chain = await JobCommandTests.ClientAsync(fixture.Chain, 7, _root);
        WebApplication coordinator = await fixture.StartCoordinatorAsync(fixture.CoordinatorOptions());
        try
        {
            Task<(int Code, string Out, string Error)> submit = Task.Run(() => JobCommandTests.Run(["job", "submit", "--model", SharedModels.Stories260K, "--prompt", "Once upon a time",
                "--max-tokens", "6", "--fee", "2", "--gateway", CoordinatorHost.Address(coordinator).ToString(), "--wait-settled", "--settle-timeout-minutes", "5", "--json", .. chain]));

            // Once the result is on-chain the window (a day) is moved past; the finalizer's next pass pays the stages.
            string jobMarket = fixture.Chain.Deployment.JobMarket;
            using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
                while ((await Settlement.EventsAsync<ResultSubmittedEvent>(fixture.Chain.Deployer, jobMarket)).Count == 0 && !submit.IsCompleted)
                    await Task.Delay(500, patience.Token);
            await fixture.Chain.WarpAsync(TimeSpan.FromSeconds(fixture.Chain.Deployment.Params.ChallengeWindow + 1));
            // The finalizer's passes run here rather than on Hangfire's schedule: Hangfire keeps process-wide state, and
            // this test process hosts other fixtures' coordinators. A pass finds the job once the indexer has followed it.
            JobFinalizer finalizer = coordinator.Services.GetRequiredService<JobFinalizer>();
            using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
                while ((await finalizer.RunAsync(patience.Token)).Finalized == 0 && !submit.IsCompleted)
                {
                    await fixture.Chain.MineAsync(1);
                    await Task.Delay(500, patience.Token);
                }

            (int code, string output, string error) = await submit.WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(code == 0, error);
            JsonElement report = JsonDocument.Parse(output).RootElement;
            Assert.Equal("finalized", report.GetProperty("status").GetString());
            Bytes32 jobId = Bytes32.Parse(report.GetProperty("job_id").GetString()!);
            JsonElement settlement = report.GetProperty("settlement");
            Assert.Equal("finalized", settlement.GetProperty("status").GetString());

            // What it printed is what JobMarket paid: the fixture's three-stage route, each stage by its layers.
            JobInfo info = await fixture.OnChainAsync(jobId);
            int bps = await Settlement.ProtocolFeeBpsAsync(fixture.Chain.Deployer, jobMarket);
            JsonElement[] payouts = [.. settlement.GetProperty("payouts").EnumerateArray()];
            Assert.Equal(fixture.Route.Count, payouts.Length);
            BigInteger toOperators = 0;
            for (int s = 0; s < payouts.Length; s++)
            {
                BigInteger share = Settlement.StageShare(info.Fee, bps, fixture.Route[s].LastLayer - fixture.Route[s].FirstLayer + 1, info.LayerCount, 1);
                Assert.Equal(0, payouts[s].GetProperty("replica").GetInt32());
                Assert.Equal(s, payouts[s].GetProperty("stage").GetInt32());
                Assert.Equal(AnvilChain.DevAddress(1), payouts[s].GetProperty("operator").GetString(), ignoreCase: true);
                Assert.Equal(Protocol.Tokens.TokenAmount.Dpin(share), payouts[s].GetProperty("amount").GetString());
                toOperators += share;
            }
            Assert.Equal(Protocol.Tokens.TokenAmount.Dpin(info.Fee - toOperators), settlement.GetProperty("to_treasury").GetString());

            (code, output, error) = JobCommandTests.Run(["job", "status", jobId.ToString(), "--json", .. chain]);
            Assert.True(code == 0, error);
            JsonElement status = JsonDocument.Parse(output).RootElement;
            Assert.Equal("finalized", status.GetProperty("status").GetString());
            Assert.Equal(payouts.Length, status.GetProperty("settlement").GetProperty("payouts").GetArrayLength());
        }
        finally
        {
            await coordinator.StopAsync();
            await coordinator.DisposeAsync();
        }
    }


    public void Dispose() => Directory.Delete(_root, recursive: true);
}
