using System.Diagnostics;
using System.Numerics;
using System.Text;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Data;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Tests;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using Xunit.Abstractions;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// `depin devnet up --exit-when-done` as a real process, on a chain this test owns (so that it can read the chain after
/// the devnet has stopped): contracts, six staked workers (one faulty), the coordinator on SQLite or PostgreSQL (whose
/// scheduler routes each job) and a client. Asserted from the chain: the faulty node slashed, the client refunded for
/// the wrong result it was served, every job settled and every stage operator of a finalized job paid exactly its share;
/// and no process the devnet started is left behind.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DevnetTests(ITestOutputHelper output)
{
    /// <summary>The devnet's node keys are the mnemonic's accounts 101-106, staked by the operators at accounts 1-6; the fifth is faulty.</summary>
    private const int FirstNodeKey = 101, FaultyNode = 4, Client = 10;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task DevnetUp_SlashesTheFaultyNode_RefundsTheClient_PaysEveryHonestOperator_AndLeavesNothingRunning(DatabaseProvider provider)
    {
        var clock = Stopwatch.StartNew();
        // The devnet's accounts come from anvil's mnemonic: 20 plus up to 200 load clients.
        await using AnvilChain anvil = await AnvilChain.StartAsync(deploy: false, extraArguments: "--accounts 220 --block-time 1 --mixed-mining");
        await using TestDatabase? database = provider == DatabaseProvider.Postgres ? await TestDatabase.PostgresAsync() : null;
        string work = Directory.CreateTempSubdirectory("depin-devnet-test-").FullName;
        try
        {
            (int exit, string text, string errors) = await RunDevnetAsync(anvil.Rpc, work, database);
            output.WriteLine(text);
            Assert.True(exit == 0, $"exit {exit}: {errors}\n{text}");
            // What the devnet says it did (its own account; the chain below is the proof).
            Assert.Contains("six operators registered and staked", text);
            Assert.Equal(3, text.Split('\n').Count(l => l.Contains(" submitted: 8 tokens", StringComparison.Ordinal)));
            // The noise lands after block 2 at position 3, so block 3's leaf there (slot 4) is the first to differ.
            Assert.Contains("the replicas DISAGREE from leaf 25 (position 3, slot 4)", text);
            Assert.Contains("one step recomputed on-chain, ChallengerWon", text);
            Assert.Contains("slash indexed, reputation recomputed to 0.00", text);
            Assert.Contains("load: 3/3 completed, 0 errors, 24 tokens", text);
            Assert.Contains("payouts (", text);

            await AssertSettledOnChainAsync(anvil, DeploymentFile.Load(Path.Combine(work, "deployment.json")));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        // Nothing the devnet started survives it: no worker with its work folder in its command line.
        Assert.DoesNotContain(Processes(), c => c.Contains(work, StringComparison.Ordinal));
        output.WriteLine($"devnet on {provider}: {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static Task<(int Exit, string Output, string Errors)> RunDevnetAsync(Uri rpc, string work, TestDatabase? database)
    {
        List<string> arguments =
        [
            "devnet", "up", "--jobs", "3", "--max-tokens", "8", "--load-clients", "3", "--exit-when-done", "--rpc", rpc.ToString(), "--work-dir", work,
        ];
        var environment = new Dictionary<string, string>();
        if (database is not null)
        {
            const string variable = "DEPIN_DEVNET_TEST_DATABASE";
            environment[variable] = database.Options.ConnectionString;
            arguments.AddRange(["--provider", "postgres", "--connection-env", variable]);
        }
        return RunDepinAsync(arguments, environment, TimeSpan.FromMinutes(8));
    }

    [Theory]
    [InlineData("--challenge-window", "5", "--challenge-window must be 10..86400 seconds, got 5")]
    [InlineData("--rpc", "ftp://127.0.0.1:1", "--rpc: 'ftp://127.0.0.1:1' is not an http(s) URL")]
    public async Task DevnetUp_RefusesABadOption_BeforeStartingAnything(string option, string value, string message)
    {
        (int exit, string text, string errors) = await RunDepinAsync(["devnet", "up", option, value, "--exit-when-done"], new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        Assert.True(exit == 2, $"exit {exit}: {errors}\n{text}");
        Assert.Contains(message, errors + text);
    }

    [Fact]
    public async Task Coordinator_RefusesAFinalizeIntervalThatDividesNoMinuteHourOrDay()
    {
        (int exit, string text, string errors) = await RunDepinAsync(
            ["coordinator", "--model", "stories260K", "--finalize-seconds", "7", "--rpc", "http://127.0.0.1:1"], new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        Assert.True(exit == 2, $"exit {exit}: {errors}\n{text}");
        Assert.Contains("--finalize-seconds", errors + text);
    }

    /// <summary>Runs the built <c>depin</c> from the repository root and returns its exit code and output.</summary>
    private static async Task<(int Exit, string Output, string Errors)> RunDepinAsync(IEnumerable<string> arguments, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
            WorkingDirectory = AnvilChain.RepositoryRoot,
            Environment = { ["DEPIN_MODELS"] = SharedModels.Directory },
        };
        foreach ((string name, string value) in environment) start.Environment[name] = value;
        foreach (string a in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "depin.dll"), .. arguments]) start.ArgumentList.Add(a);

        using Process depin = Process.Start(start)!;
        Task<string> stdout = depin.StandardOutput.ReadToEndAsync(), stderr = depin.StandardError.ReadToEndAsync();
        using (var cancel = new CancellationTokenSource(timeout)) await depin.WaitForExitAsync(cancel.Token);
        return (depin.ExitCode, await stdout, await stderr);
    }

    private static async Task AssertSettledOnChainAsync(AnvilChain anvil, DeploymentFile deployment)
    {
        ChainConnection chain = anvil.Deployer;
        string market = deployment.JobMarket;
        string[] nodes = [.. Enumerable.Range(0, 6).Select(i => new NodeKey(AnvilChain.DevKey(FirstNodeKey + i)).Address)];
        var operatorOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < 6; i++) operatorOf[nodes[i]] = AnvilChain.DevAddress(1 + i);
        string faulty = nodes[FaultyNode];

        // The faulty node lost its whole stake; the five honest ones kept theirs.
        NodeOperator stakes = await NodeOperator.CreateAsync(await anvil.SenderAsync(0), deployment, CancellationToken.None);
        for (int i = 0; i < 6; i++)
        {
            BigInteger stake = (await stakes.StatusAsync(nodes[i], CancellationToken.None)).ActiveStake;
            if (i == FaultyNode) Assert.Equal(BigInteger.Zero, stake);
            else Assert.Equal(1_000 * GatewayFixture.Token, stake);
        }

        // Every job the devnet paid for was settled: finalized after its window, or refunded by the dispute.
        Bytes32[] jobs = [.. (await Settlement.EventsAsync<JobCreatedEvent>(chain, market)).Select(e => new Bytes32(e.JobId))];
        Assert.Equal(3 + 3, jobs.Length);
        var info = new Dictionary<Bytes32, JobInfo>();
        foreach (Bytes32 job in jobs)
            info[job] = (await chain.QueryOutputAsync<GetJobFunction, GetJobOutput>(market, new GetJobFunction { JobId = job.ToArray() }, CancellationToken.None)).Job;
        Assert.All(info.Values, j => Assert.Contains((OnChainStatus)j.Status, (OnChainStatus[])[OnChainStatus.Finalized, OnChainStatus.Refunded]));

        // The client was served the faulty node's result (replica 0) once: that job was refunded by the dispute, in full.
        IReadOnlyList<ResultSubmittedEvent> results = await Settlement.EventsAsync<ResultSubmittedEvent>(chain, market);
        IReadOnlyList<JobRefundedEvent> refunds = await Settlement.EventsAsync<JobRefundedEvent>(chain, market);
        string client = AnvilChain.DevAddress(Client);
        JobRefundedEvent refund = Assert.Single(refunds);
        Assert.Equal((byte)RefundReason.Dispute, refund.Reason);
        Assert.Equal(client, refund.Client, ignoreCase: true);
        Assert.Equal(info[new Bytes32(refund.JobId)].Fee, refund.Amount);
        ResultSubmittedEvent served = Assert.Single(results, r => new Bytes32(r.JobId) == new Bytes32(refund.JobId) && r.Replica == 0);
        Assert.Contains(served.Stages, s => string.Equals(s.Node, faulty, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(refund.Amount, await Settlement.CreditOfAsync(chain, market, client));

        // Every stage of every paid replica of a finalized job was paid its share, to its node's operator.
        int bps = await Settlement.ProtocolFeeBpsAsync(chain, market);
        IReadOnlyList<StagePaidEvent> paid = await Settlement.EventsAsync<StagePaidEvent>(chain, market);
        IReadOnlyList<JobFinalizedEvent> finalized = await Settlement.EventsAsync<JobFinalizedEvent>(chain, market);
        Assert.Equal(jobs.Length - 1, finalized.Count);
        var expected = new Dictionary<string, BigInteger>(StringComparer.OrdinalIgnoreCase);
        int stagesChecked = 0;
        // Every stage of the replica was paid its share as one of paidReplicas paid replicas, to its node's operator; returns the sum.
        BigInteger CheckStagesPaid(Bytes32 job, ResultSubmittedEvent replica, int paidReplicas)
        {
            BigInteger sum = BigInteger.Zero;
            for (int s = 0; s < replica.Stages.Count; s++)
            {
                StageRecord stage = replica.Stages[s];
                StagePaidEvent stagePaid = Assert.Single(paid, p => new Bytes32(p.JobId) == job && p.Replica == replica.Replica && p.Stage == s);
                Assert.Equal(Settlement.StageShare(info[job].Fee, bps, stage.LastLayer - stage.FirstLayer + 1, info[job].LayerCount, paidReplicas), stagePaid.Amount);
                Assert.Equal(operatorOf[stage.Node], stagePaid.Operator, ignoreCase: true);
                expected[stagePaid.Operator] = expected.GetValueOrDefault(stagePaid.Operator) + stagePaid.Amount;
                sum += stagePaid.Amount;
                stagesChecked++;
            }
            return sum;
        }
        foreach (JobFinalizedEvent done in finalized)
        {
            var job = new Bytes32(done.JobId);
            foreach (ResultSubmittedEvent replica in results.Where(r => new Bytes32(r.JobId) == job && (done.PaidMask & (1 << r.Replica)) != 0))
                CheckStagesPaid(job, replica, BitOperations.PopCount(done.PaidMask));
        }
        // The refunded job's other replica did honest work the refund took the pay of: the dispute game paid each of
        // its stages from the cheater's slash, as the only honest replica (the fee is far below the reward).
        var refunded = new Bytes32(refund.JobId);
        ReplicaCompensatedEvent compensated = Assert.Single(await Settlement.EventsAsync<ReplicaCompensatedEvent>(chain, market));
        Assert.Equal(refunded, new Bytes32(compensated.JobId));
        Assert.Equal(1, compensated.Replica);
        ResultSubmittedEvent honest = Assert.Single(results, r => new Bytes32(r.JobId) == refunded && r.Replica == 1);
        BigInteger compensation = CheckStagesPaid(refunded, honest, paidReplicas: 1);
        Assert.Equal(compensation, compensated.Amount);
        Assert.Equal(stagesChecked, paid.Count); // nothing else was paid
        // The cheater earned nothing; every operator that served an honest replica can claim exactly what StagePaid says.
        Assert.DoesNotContain(paid, p => string.Equals(p.Node, faulty, StringComparison.OrdinalIgnoreCase));
        Assert.NotEmpty(expected);
        foreach ((string op, BigInteger credit) in expected)
        {
            Assert.True(credit > 0, $"operator {op} was paid nothing");
            Assert.Equal(credit, await Settlement.CreditOfAsync(chain, market, op));
        }
    }

    private static IEnumerable<string> Processes()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            yield return cmdline;
        }
    }
}
