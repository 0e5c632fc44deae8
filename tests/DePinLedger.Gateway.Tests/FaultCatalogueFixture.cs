using System.Numerics;
using System.Text;
using System.Text.Json;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Disputes.Client;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tests;
using DePinLedger.Inference.Tokenization;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Worker.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using ProtocolRequest = DePinLedger.Protocol.Jobs.JobRequest;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// What the catalogue of dishonest behaviour shares: anvil with the dispute game (stories260K registered with the
/// deployed LayerStepVerifier, a one-hour challenge window), PostgreSQL for the coordinator, and the honest
/// `depin worker` processes of two operators — operator A (dev 1) runs node A for the served pipeline (blocks 0-1,
/// 2-3, 4-4), operator B (dev 6) runs node B for the check pipeline (0-2, 3-4). Each case stakes a fresh faulty node
/// under the operator of the replica it joins, starts its worker, and runs a coordinator (dev 2 submits and
/// challenges) on routes where that worker takes its span's place.
/// </summary>
public sealed class FaultCatalogueFixture : IAsyncLifetime
{
    public const string Prompt = "Once upon a time";
    public const uint MaxTokens = 8;
    public const int OperatorA = 1, OperatorB = 6, Coordinator = 2, Client = 3;
    public static readonly BigInteger Token = BigInteger.Pow(10, 18);
    public static readonly BigInteger Stake = 1_000 * Token, Fee = 10 * Token;

    private readonly List<WorkerProcess> _honest = [];

    public AnvilChain Chain { get; private set; } = null!;

    public IntegerModel Model { get; } = ModelResolver.FromPath(SharedModels.Stories260K).Load();

    internal TestNode NodeA { get; } = new();

    internal TestNode NodeB { get; } = new("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f");

    public TestDatabase Database { get; private set; } = null!;

    /// <summary>The deployment file `depin audit replay` reads.</summary>
    public string DeploymentPath { get; } = Path.Combine(Path.GetTempPath(), $"depin-catalogue-{Guid.NewGuid():N}.json");

    /// <summary>A model file with stories260K's shape and other (seeded random) weights, for --fault-other-weights.</summary>
    public string OtherWeightsPath { get; } = Path.Combine(Path.GetTempPath(), $"depin-other-weights-{Guid.NewGuid():N}.dplm");

    public IReadOnlyList<StageRoute> RouteA { get; private set; } = [];

    public IReadOnlyList<StageRoute> RouteB { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Chain = await AnvilChain.StartAsync(settings: new DeploymentSettings { DeployDisputeGame = true, ChallengeWindow = 3_600 });
        Chain.Deployment.Save(DeploymentPath);
        await ModelRegistration.RegisterAsync(await Chain.SenderAsync(0), Chain.Deployment, Model, Chain.Deployment.StepVerifier, "stories260K", CancellationToken.None);
        await Chain.RegisterAndStakeAsync(OperatorA, NodeA, mintTokens: 1_000);
        await Chain.RegisterAndStakeAsync(OperatorB, NodeB, mintTokens: 1_000);
        await Chain.MintAsync(AnvilChain.DevAddress(Coordinator), 10_000); // challenger bonds
        await Chain.MintAsync(AnvilChain.DevAddress(Client), 1_000);
        string rpc = Chain.Rpc.ToString();
        _honest.AddRange(await Task.WhenAll(
            WorkerProcess.StartAsync(NodeA, "0-1", "--rpc", rpc), WorkerProcess.StartAsync(NodeA, "2-3", "--rpc", rpc), WorkerProcess.StartAsync(NodeA, "4-4", "--rpc", rpc),
            WorkerProcess.StartAsync(NodeB, "0-2", "--rpc", rpc), WorkerProcess.StartAsync(NodeB, "3-4", "--rpc", rpc)));
        RouteA = [new StageRoute(0, 1, [_honest[0].Address]), new StageRoute(2, 3, [_honest[1].Address]), new StageRoute(4, 4, [_honest[2].Address])];
        RouteB = [new StageRoute(0, 2, [_honest[3].Address]), new StageRoute(3, 4, [_honest[4].Address])];
        Database = await TestDatabase.PostgresAsync();
        ModelConfig c = Model.Config;
        (LlamaCheckpoint checkpoint, Tokenizer tokenizer) = SyntheticModel.Create(
            new LlamaConfig(c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize, c.SeqLen, c.SharedClassifier), seed: 99);
        ModelFile.Write(ModelImporter.Import(checkpoint, tokenizer), OtherWeightsPath);
    }

    /// <summary>A fresh node key, registered and staked (the minimum) by <paramref name="operatorAccount"/>.</summary>
    internal async Task<TestNode> StakedNodeAsync(int operatorAccount)
    {
        var node = new TestNode(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        await Chain.RegisterAndStakeAsync(operatorAccount, node, mintTokens: 1_000);
        return node;
    }

    /// <summary>A coordinator (PostgreSQL, dev 2 submitting and challenging) on fixed routes; the caller stops and disposes it.</summary>
    public async Task<WebApplication> StartCoordinatorAsync(IReadOnlyList<StageRoute> served, IReadOnlyList<StageRoute> check)
    {
        TransactionSender submitter = await Chain.SenderAsync(Coordinator);
        return await CoordinatorHost.StartAsync(Model, new CoordinatorChain(submitter.Chain, submitter, Chain.Deployment), new CoordinatorOptions
        {
            ServedRoute = served, CheckRoute = check, ModelName = "stories260K", Database = Database.Options,
        }, CancellationToken.None);
    }

    /// <summary>
    /// The client pays a verified greedy job for <see cref="Prompt"/>, posts it to the coordinator's API and reads its
    /// stream to the end (the served replica's tokens); returns the job id, the streamed tokens and the coordinator's job.
    /// </summary>
    public async Task<(Bytes32 JobId, IReadOnlyList<int> Streamed, CoordinatedJob Job)> RunVerifiedJobAsync(WebApplication coordinator)
    {
        int[] tokens = Model.Tokenizer.Encode(Prompt, bos: true, eos: false);
        // The chain's clock runs ahead of the wall clock once a case has warped it: the deadline follows the chain.
        ulong deadline = await ChainTimeAsync() + 3_600;
        var request = new ProtocolRequest(new Bytes32(Model.ModelId.AsSpan()), JobConventions.PromptHash(tokens), MaxTokens, 0, ProtocolRequest.Q16One, 1, 2,
            Fee, deadline, new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        (Bytes32 jobId, _) = await new JobClient(await Chain.SenderAsync(Client), Chain.Deployment).CreateAsync(request, null, CancellationToken.None);

        using var http = new HttpClient { BaseAddress = CoordinatorHost.Address(coordinator), Timeout = TimeSpan.FromMinutes(2) };
        using (HttpResponseMessage posted = await http.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(new { job_id = jobId.ToString(), prompt = Prompt }), Encoding.UTF8, "application/json")))
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        var streamed = new List<int>();
        using (var stream = new StreamReader(await http.GetStreamAsync($"/v1/jobs/{jobId}/stream")))
        {
            string? name = null;
            while (await stream.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (name == "token" && line.StartsWith("data: ", StringComparison.Ordinal)) streamed.Add(JsonDocument.Parse(line[6..]).RootElement.GetProperty("token").GetInt32());
            }
        }
        CoordinatedJob job = coordinator.Services.GetRequiredService<JobCoordinator>().Find(jobId) ?? throw new InvalidOperationException($"the coordinator lost job {jobId}");
        return (jobId, streamed, job);
    }

    public async Task<ulong> ChainTimeAsync()
    {
        BlockWithTransactionHashes latest = await Chain.Deployer.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());
        return (ulong)latest.Timestamp.Value;
    }

    public async Task<BigInteger> ActiveStakeAsync(string node) =>
        await Chain.Deployer.QueryAsync<ActiveStakeFunction, BigInteger>(Chain.Deployment.StakeManager, new ActiveStakeFunction { Node = node }, CancellationToken.None);

    public async Task<BigInteger> CreditAsync(string account) =>
        await Chain.Deployer.QueryAsync<CreditOfFunction, BigInteger>(Chain.Deployment.JobMarket, new CreditOfFunction { Account = account }, CancellationToken.None);

    public async Task<JobInfo> JobAsync(Bytes32 jobId) =>
        (await Chain.Deployer.QueryOutputAsync<GetJobFunction, GetJobOutput>(Chain.Deployment.JobMarket, new GetJobFunction { JobId = jobId.ToArray() }, CancellationToken.None)).Job;

    /// <summary>JobMarket's logs of <typeparamref name="TEvent"/> about <paramref name="jobId"/> (its first indexed topic).</summary>
    public async Task<IReadOnlyList<TEvent>> JobEventsAsync<TEvent>(Bytes32 jobId) where TEvent : IEventDTO, new()
    {
        IReadOnlyList<EventLog<TEvent>> logs = await EventsAsync<TEvent>(Chain.Deployment.JobMarket);
        return [.. logs.Where(l => string.Equals(l.Log.Topics[1]?.ToString(), jobId.ToString(), StringComparison.OrdinalIgnoreCase)).Select(l => l.Event)];
    }

    /// <summary>Every <typeparamref name="TEvent"/> <paramref name="contract"/> has logged.</summary>
    public async Task<IReadOnlyList<EventLog<TEvent>>> EventsAsync<TEvent>(string contract) where TEvent : IEventDTO, new()
    {
        Event<TEvent> handler = Chain.Deployer.Web3.Eth.GetEvent<TEvent>(contract);
        return await handler.GetAllChangesAsync(handler.CreateFilterInput(BlockParameter.CreateEarliest(), BlockParameter.CreateLatest()));
    }

    /// <summary>
    /// The one test helper that settles a job after its challenge window: warps past it and, when the job is still
    /// unsettled, sends JobMarket.finalize with the stages the chain recorded (a coordinator's finalizer may win the race).
    /// </summary>
    public async Task FinalizeAfterWindowAsync(Bytes32 jobId)
    {
        await Chain.WarpAsync(TimeSpan.FromSeconds(Chain.Deployment.Params.ChallengeWindow + 1));
        if ((await JobAsync(jobId)).Status != (byte)2) return; // settled already (refunded, or paid by the dispute game)
        JobOnChain onChain = await JobOnChain.LoadAsync(Chain.Deployer, Chain.Deployment, jobId, CancellationToken.None);
        var finalize = new FinalizeFunction
        {
            JobId = jobId.ToArray(),
            Stages = [.. onChain.Replicas.OrderBy(r => r.Replica).Select(r => r.Stages.Select(s => new StageRecord
            {
                Node = s.Node, FirstLayer = (ushort)s.Span.FirstLayer, LastLayer = (ushort)s.Span.LastLayer,
                InputRoot = s.InputRoot.ToArray(), TraceRoot = s.TraceRoot.ToArray(), OutputRoot = s.OutputRoot.ToArray(),
            }).ToList())],
        };
        try
        {
            await (await Chain.SenderAsync(0)).SendAsync(Chain.Deployment.JobMarket, finalize, $"finalize job {jobId}", null, CancellationToken.None);
        }
        catch (ContractRevertedException e) when (e.ErrorName == "JobMarket_JobNotSubmitted")
        {
            // A coordinator's own finalizer settled it first: fine, the payment is what the caller checks.
        }
    }

    public async Task DisposeAsync()
    {
        foreach (WorkerProcess worker in _honest) worker.Dispose();
        NodeA.Dispose();
        NodeB.Dispose();
        if (Database is not null) await Database.DisposeAsync();
        if (Chain is not null) await Chain.DisposeAsync();
        File.Delete(DeploymentPath);
        File.Delete(OtherWeightsPath);
    }
}

[CollectionDefinition(Name)]
public sealed class FaultCatalogueCollection : ICollectionFixture<FaultCatalogueFixture>
{
    public const string Name = "fault catalogue";
}
