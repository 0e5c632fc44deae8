using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Disputes.Client;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tests;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Worker.Tests;
using Microsoft.AspNetCore.Builder;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using ProtocolRequest = DePinLedger.Protocol.Jobs.JobRequest;

namespace DePinLedger.Gateway.Tests;

/// <summary>The terms a client pays for: everything that decides a job's tokens besides the model.</summary>
public sealed record JobTermsDraft(string Prompt, uint MaxTokens, uint TemperatureQ16, uint TopPQ16, ulong Seed);

/// <summary>What a client saw of one job: the streamed tokens and the final event.</summary>
public sealed record StreamedJob(Bytes32 JobId, JobTermsDraft Terms, int Configuration, IReadOnlyList<int> Tokens, JsonElement Done);

/// <summary>
/// A network with the dispute game deployed: anvil (DeployDisputeGame, stories260K registered with its LayerStepVerifier),
/// four operators (dev accounts 1, 6, 7, 8), each with one staked node, ten real <c>depin worker</c> processes serving
/// varied spans of the five blocks with 1, 2 or 3 threads, and six in-process coordinators, one per route configuration
/// (served and check pipelines on disjoint operators), all submitting with dev account 2; the first one also has the
/// PostgreSQL database (indexer, Hangfire). Clients are dev accounts 3, 4, 5 and 10–14; dev 9 is an attacker.
/// </summary>
public sealed class HonestJobsFixture : IAsyncLifetime
{
    public static readonly BigInteger Token = BigInteger.Pow(10, 18);

    /// <summary>Client lanes: each account runs its jobs one after another; the lanes run side by side.</summary>
    public static readonly int[] Clients = [3, 4, 5, 10, 11, 12, 13, 14];

    public const int Attacker = 9;

    private static readonly int[] Operators = [1, 6, 7, 8];

    // Four node keys (any scalar below the curve order); operator i registers node i.
    private static readonly string[] NodeKeys =
    [
        TestNode.DefaultKey, "8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f",
        "3b1c6d2e8f0a4b5c7d9e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e", "5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
    ];

    // (node, span, threads) of every worker process.
    private static readonly (int Node, string Span, int Threads)[] WorkerPlan =
    [
        (0, "0-4", 1), (0, "0-1", 2), (0, "2-4", 3),
        (1, "0-2", 2), (1, "3-4", 1),
        (2, "0-0", 3), (2, "1-3", 1), (2, "4-4", 2),
        (3, "0-4", 3), (3, "3-4", 2),
    ];

    // Route configurations as worker indexes per stage: (served, check), the two on disjoint operators.
    private static readonly (int[] Served, int[] Check)[] Configurations =
    [
        ([0], [3, 4]),         // A 0-4        | B 0-2, 3-4
        ([1, 2], [5, 6, 7]),   // A 0-1, 2-4   | C 0-0, 1-3, 4-4
        ([5, 6, 7], [8]),      // C 0-0, 1-3, 4-4 | D 0-4
        ([3, 4], [1, 2]),      // B 0-2, 3-4   | A 0-1, 2-4
        ([8], [0]),            // D 0-4        | A 0-4
        ([3, 9], [5, 6, 7]),   // B 0-2 + D 3-4 | C 0-0, 1-3, 4-4
    ];

    public AnvilChain Chain { get; private set; } = null!;

    public IntegerModel Model { get; } = ModelResolver.FromPath(SharedModels.Stories260K).Load();

    internal IReadOnlyList<TestNode> Nodes { get; } = [.. NodeKeys.Select(k => new TestNode(k))];

    internal IReadOnlyList<WorkerProcess> Workers { get; private set; } = [];

    public IReadOnlyList<WebApplication> Coordinators { get; private set; } = [];

    public IReadOnlyList<HttpClient> Http { get; private set; } = [];

    public int ConfigurationCount => Configurations.Length;

    /// <summary>The first coordinator's database (PostgreSQL from $DEPIN_TEST_POSTGRES).</summary>
    public TestDatabase Database { get; private set; } = null!;

    /// <summary>Each node's address (operator i's node is node i).</summary>
    public IReadOnlyList<string> NodeAddresses => [.. Nodes.Select(n => n.Address)];

    /// <summary>How long the network took to start (anvil, contracts, nodes, workers, database, coordinators).</summary>
    public TimeSpan StartupTime { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Chain = await AnvilChain.StartAsync(settings: new DeploymentSettings { DeployDisputeGame = true }, extraArguments: "--accounts 16");
        // The workers and the database start while the chain is set up (the workers only read the chain id).
        string rpc = Chain.Rpc.ToString();
        Task<WorkerProcess[]> workers = Task.WhenAll(WorkerPlan.Select(w =>
            WorkerProcess.StartAsync(Nodes[w.Node], w.Span, "--rpc", rpc, "--threads", w.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Task<TestDatabase> database = TestDatabase.PostgresAsync();
        try
        {
            await ModelRegistration.RegisterAsync(await Chain.SenderAsync(0), Chain.Deployment, Model, Chain.Deployment.StepVerifier, "stories260K", CancellationToken.None);
            for (int i = 0; i < Operators.Length; i++) await Chain.RegisterAndStakeAsync(Operators[i], Nodes[i]);
            foreach (int client in Clients) await FundClientAsync(client);
        }
        finally
        {
            Workers = await workers;
            Database = await database;
        }
        var coordinators = new List<WebApplication>();
        TransactionSender submitter = await Chain.SenderAsync(2);
        var chain = new CoordinatorChain(submitter.Chain, submitter, Chain.Deployment);
        for (int c = 0; c < Configurations.Length; c++)
        {
            var options = new CoordinatorOptions
            {
                ServedRoute = Route(Configurations[c].Served), CheckRoute = Route(Configurations[c].Check), RequestsPerMinute = 100_000, ModelName = "stories260K",
                Database = c == 0 ? Database.Options : null, DefenderPollInterval = TimeSpan.FromSeconds(1),
            };
            coordinators.Add(await CoordinatorHost.StartAsync(Model, chain, options, CancellationToken.None));
        }
        Coordinators = coordinators;
        Http = [.. coordinators.Select(c => new HttpClient { BaseAddress = CoordinatorHost.Address(c), Timeout = TimeSpan.FromSeconds(120) })];
        StartupTime = clock.Elapsed;
    }

    private List<StageRoute> Route(int[] workers) =>
        [.. workers.Select(w => (Span: WorkerPlan[w].Span.Split('-'), Worker: Workers[w]))
            .Select(s => new StageRoute(int.Parse(s.Span[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(s.Span[1], System.Globalization.CultureInfo.InvariantCulture), [s.Worker.Address]))];

    /// <summary>Tokens for many jobs and one allowance for all of them, so a job costs the client one transaction.</summary>
    private async Task FundClientAsync(int client)
    {
        await Chain.MintAsync(AnvilChain.DevAddress(client), 100_000);
        TransactionSender sender = await Chain.SenderAsync(client);
        await sender.SendAsync(Chain.Deployment.Token, new ApproveFunction { Spender = Chain.Deployment.JobMarket, Value = BigInteger.Pow(2, 255) }, "approve job fees", null, CancellationToken.None);
    }

    /// <summary>
    /// One job as a client runs it through the real API: create and pay on-chain (redundancy 2), POST /v1/jobs to the
    /// coordinator of <paramref name="configuration"/>, read the stream to its end.
    /// </summary>
    public async Task<StreamedJob> RunJobAsync(int client, int configuration, JobTermsDraft terms, CancellationToken cancellation)
    {
        int[] prompt = Model.Tokenizer.Encode(terms.Prompt, bos: true, eos: false);
        ulong now = (ulong)(await Chain.Deployer.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest())).Timestamp.Value;
        // The deadline by the chain's clock (a test may have moved it ahead of the wall clock).
        var request = new ProtocolRequest(new Bytes32(Model.ModelId.AsSpan()), JobConventions.PromptHash(prompt), terms.MaxTokens, terms.TemperatureQ16, terms.TopPQ16, terms.Seed, 2,
            Token, Math.Max(now, (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds()) + 3_600, new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        (Bytes32 jobId, _) = await new JobClient(await Chain.SenderAsync(client), Chain.Deployment).CreateAsync(request, null, cancellation);

        HttpClient http = Http[configuration];
        string body = JsonSerializer.Serialize(new { job_id = jobId.ToString(), prompt = terms.Prompt });
        using (HttpResponseMessage posted = await http.PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"), cancellation))
            if (posted.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"POST /v1/jobs for {terms} answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync(cancellation)}");

        using HttpResponseMessage stream = await http.GetAsync($"/v1/jobs/{jobId}/stream", HttpCompletionOption.ResponseHeadersRead, cancellation);
        stream.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cancellation));
        var tokens = new List<int>();
        JsonElement? done = null;
        string eventName = "message";
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line["event: ".Length..];
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            JsonElement data = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            if (eventName == "token") tokens.Add(data.GetProperty("token").GetInt32());
            else if (eventName == "done") done = data;
        }
        return new StreamedJob(jobId, terms, configuration, tokens, done ?? throw new InvalidDataException($"the stream of job {jobId} ended without a done event"));
    }

    /// <summary>CPU time the worker processes have used so far (what the jobs cost them, on a machine shared with others).</summary>
    public TimeSpan WorkerProcessorTime() => ProcessorTime(Workers.Select(w => w.Pid));

    /// <summary>CPU time this fixture's anvil has used so far (found by its port in /proc; zero where there is no /proc).</summary>
    public TimeSpan AnvilProcessorTime()
    {
        string port = $"--port\0{Chain.Rpc.Port}\0";
        IEnumerable<int> anvil = Directory.Exists("/proc")
            ? Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)).Select(d => int.Parse(d!, System.Globalization.CultureInfo.InvariantCulture))
                .Where(pid => ReadCommandLine(pid).Contains(port, StringComparison.Ordinal))
            : [];
        return ProcessorTime(anvil);
    }

    private static string ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return ""; // the process ended meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static TimeSpan ProcessorTime(IEnumerable<int> pids) =>
        pids.Aggregate(TimeSpan.Zero, (sum, pid) =>
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return sum + process.TotalProcessorTime;
        });

    public async Task<JobInfo> OnChainAsync(Bytes32 jobId) =>
        (await Chain.Deployer.QueryOutputAsync<GetJobFunction, GetJobOutput>(Chain.Deployment.JobMarket, new GetJobFunction { JobId = jobId.ToArray() }, CancellationToken.None)).Job;

    public async Task<ReplicaInfo> ReplicaAsync(Bytes32 jobId, byte replica) =>
        (await Chain.Deployer.QueryOutputAsync<GetReplicaFunction, GetReplicaOutput>(Chain.Deployment.JobMarket, new GetReplicaFunction { JobId = jobId.ToArray(), Replica = replica }, CancellationToken.None)).Replica;

    /// <summary>Every <typeparamref name="TEvent"/> log of <paramref name="contract"/> from block <paramref name="fromBlock"/> on.</summary>
    public async Task<List<TEvent>> LogsAsync<TEvent>(string contract, ulong fromBlock) where TEvent : Nethereum.ABI.FunctionEncoding.Attributes.IEventDTO, new()
    {
        Nethereum.Contracts.Event<TEvent> logs = Chain.Deployer.Web3.Eth.GetEvent<TEvent>(contract);
        var filter = logs.CreateFilterInput(new BlockParameter(new HexBigInteger(fromBlock)), BlockParameter.CreateLatest());
        return [.. (await logs.GetAllChangesAsync(filter)).Select(l => l.Event)];
    }

    public Task<BigInteger> ActiveStakeAsync(string node) =>
        Chain.Deployer.QueryAsync<ActiveStakeFunction, BigInteger>(Chain.Deployment.StakeManager, new ActiveStakeFunction { Node = node }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        foreach (HttpClient http in Http) http.Dispose();
        foreach (WebApplication coordinator in Coordinators)
        {
            await coordinator.StopAsync();
            await coordinator.DisposeAsync();
        }
        foreach (WorkerProcess worker in Workers) worker.Dispose();
        foreach (TestNode node in Nodes) node.Dispose();
        if (Database is not null) await Database.DisposeAsync();
        if (Chain is not null) await Chain.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class HonestJobsCollection : ICollectionFixture<HonestJobsFixture>
{
    public const string Name = "honest jobs";
}
