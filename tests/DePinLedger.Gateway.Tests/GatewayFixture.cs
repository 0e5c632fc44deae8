using System.Numerics;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Disputes.Client;
using DePinLedger.Chain.Transactions;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tests;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Worker.Tests;
using Microsoft.AspNetCore.Builder;
using ProtocolRequest = DePinLedger.Protocol.Jobs.JobRequest;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// A real network on loopback: anvil with the contracts, stories260K registered, two nodes registered and staked by two
/// operators, `depin worker` processes for replica 0 (blocks 0-1, 2-3, 4-4, first node) and replica 1 (0-2, 3-4, second
/// node), and the coordinator in this process,
/// submitting results with dev account 2. Clients are dev accounts 3 and up.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    private readonly bool _startsCoordinator;

    public GatewayFixture()
        : this(startsCoordinator: true)
    {
    }

    /// <summary>Without <paramref name="startsCoordinator"/> the test starts (and stops) its own coordinators; <see cref="Coordinator"/> and <see cref="Http"/> stay unset.</summary>
    protected GatewayFixture(bool startsCoordinator) => _startsCoordinator = startsCoordinator;

    public static readonly BigInteger Token = BigInteger.Pow(10, 18);

    public AnvilChain Chain { get; private set; } = null!;

    public IntegerModel Model { get; } = ModelResolver.FromPath(SharedModels.Stories260K).Load();

    internal TestNode Node { get; } = new();

    /// <summary>The node of replica 1's pipeline, run by another operator (verified jobs need disjoint operators).</summary>
    internal TestNode CheckNode { get; } = new("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f");

    internal IReadOnlyList<WorkerProcess> Workers { get; private set; } = [];

    public IReadOnlyList<StageRoute> Route { get; private set; } = [];

    public IReadOnlyList<StageRoute> CheckRoute { get; private set; } = [];

    public WebApplication Coordinator { get; private set; } = null!;

    /// <summary>The coordinator's database (PostgreSQL from $DEPIN_TEST_POSTGRES): indexer, heartbeats, node list.</summary>
    public TestDatabase Database { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Chain = await AnvilChain.StartAsync();
        string outDir = Path.Combine(AnvilChain.RepositoryRoot, "out");
        string verifier = await ContractDeployer.DeployAsync(Chain.Deployer, AnvilChain.DevAddress(0), ContractArtifact.Load(outDir, "LayerStepVerifier"), CancellationToken.None);
        await RegisterModelAsync(new Bytes32(Model.ModelId.AsSpan()), verifier);

        // Each pipeline's node key, registered and staked (the minimum) by its own operator: dev accounts 1 and 6.
        await Chain.RegisterAndStakeAsync(1, Node);
        await Chain.RegisterAndStakeAsync(6, CheckNode);
        string rpc = Chain.Rpc.ToString();
        Task<WorkerProcess>[] starting =
        [
            WorkerProcess.StartAsync(Node, "0-1", "--rpc", rpc), WorkerProcess.StartAsync(Node, "2-3", "--rpc", rpc), WorkerProcess.StartAsync(Node, "4-4", "--rpc", rpc),
            WorkerProcess.StartAsync(CheckNode, "0-2", "--rpc", rpc), WorkerProcess.StartAsync(CheckNode, "3-4", "--rpc", rpc),
        ];
        Workers = await Task.WhenAll(starting);
        Route = [new StageRoute(0, 1, [Workers[0].Address]), new StageRoute(2, 3, [Workers[1].Address]), new StageRoute(4, 4, [Workers[2].Address])];
        CheckRoute = [new StageRoute(0, 2, [Workers[3].Address]), new StageRoute(3, 4, [Workers[4].Address])];
        Database = await TestDatabase.PostgresAsync();
        if (!_startsCoordinator) return;
        Coordinator = await StartCoordinatorAsync(CoordinatorOptions());
        Http = new HttpClient { BaseAddress = CoordinatorHost.Address(Coordinator), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The options of the fixture's coordinator: its fixed routes and its database.</summary>
    public CoordinatorOptions CoordinatorOptions() => new()
    {
        ServedRoute = Route, CheckRoute = CheckRoute, RequestsPerMinute = 10_000, ModelName = "stories260K", Database = Database.Options,
    };

    /// <summary>A coordinator on a free port with the fixture's chain and model (the caller stops and disposes it).</summary>
    public async Task<WebApplication> StartCoordinatorAsync(CoordinatorOptions options)
    {
        TransactionSender submitter = await Chain.SenderAsync(2);
        return await CoordinatorHost.StartAsync(Model, new CoordinatorChain(submitter.Chain, submitter, Chain.Deployment), options, CancellationToken.None);
    }

    /// <summary>Registers a model id with stories260K's shape (another id gives a job for "another model").</summary>
    public async Task RegisterModelAsync(Bytes32 modelId, string? verifier = null) =>
        // Any contract will do as the verifier when none is given: the registry only checks that code exists there.
        await ModelRegistration.RegisterAsync(await Chain.SenderAsync(0), Chain.Deployment, Model, verifier ?? Chain.Deployment.StakeManager, "", CancellationToken.None, modelId);

    /// <summary>Client dev account <paramref name="client"/> creates and pays a job whose prompt hash is that of <paramref name="promptHashOf"/>.</summary>
    /// <paramref name="deadline"/> defaults to an hour from the wall clock (pass one from <see cref="ChainTimeAsync"/> once the chain's clock was warped).
    public async Task<Bytes32> CreateJobAsync(int client, string promptHashOf, uint maxTokens, uint temperatureQ16 = 0, uint topPQ16 = ProtocolRequest.Q16One,
        ulong seed = 1, byte replicas = 1, Bytes32? modelId = null, DateTimeOffset? deadline = null)
    {
        await Chain.MintAsync(AnvilChain.DevAddress(client), 100);
        int[] tokens = Model.Tokenizer.Encode(promptHashOf, bos: true, eos: false);
        var request = new ProtocolRequest(modelId ?? new Bytes32(Model.ModelId.AsSpan()), JobConventions.PromptHash(tokens), maxTokens, temperatureQ16, topPQ16, seed, replicas,
            10 * Token, (ulong)(deadline ?? DateTimeOffset.UtcNow.AddHours(1)).ToUnixTimeSeconds(), new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        (Bytes32 jobId, _) = await new JobClient(await Chain.SenderAsync(client), Chain.Deployment).CreateAsync(request, null, CancellationToken.None);
        return jobId;
    }

    public async Task<JobInfo> OnChainAsync(Bytes32 jobId) =>
        (await Chain.Deployer.QueryOutputAsync<GetJobFunction, GetJobOutput>(Chain.Deployment.JobMarket, new GetJobFunction { JobId = jobId.ToArray() }, CancellationToken.None)).Job;

    /// <summary>The latest block's timestamp: the chain's clock, which tests warp.</summary>
    public async Task<DateTimeOffset> ChainTimeAsync()
    {
        var latest = await Chain.Deployer.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        return DateTimeOffset.FromUnixTimeSeconds((long)latest.Timestamp.Value);
    }

    public async Task<ReplicaInfo> ReplicaAsync(Bytes32 jobId, byte replica) =>
        (await Chain.Deployer.QueryOutputAsync<GetReplicaFunction, GetReplicaOutput>(Chain.Deployment.JobMarket, new GetReplicaFunction { JobId = jobId.ToArray(), Replica = replica }, CancellationToken.None)).Replica;

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Coordinator is not null)
        {
            await Coordinator.StopAsync();
            await Coordinator.DisposeAsync();
        }
        foreach (WorkerProcess worker in Workers) worker.Dispose();
        Node.Dispose();
        CheckNode.Dispose();
        if (Database is not null) await Database.DisposeAsync();
        if (Chain is not null) await Chain.DisposeAsync();
    }
}

/// <summary>What JobMarket settled, read from the chain: its events and its credits (what each account may claim).</summary>
internal static class Settlement
{
    public static async Task<IReadOnlyList<TEvent>> EventsAsync<TEvent>(ChainConnection chain, string jobMarket) where TEvent : Nethereum.ABI.FunctionEncoding.Attributes.IEventDTO, new()
    {
        var handler = chain.Web3.Eth.GetEvent<TEvent>(jobMarket);
        return [.. (await handler.GetAllChangesAsync(handler.CreateFilterInput(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateEarliest(), Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest()))).Select(e => e.Event)];
    }

    public static Task<BigInteger> CreditOfAsync(ChainConnection chain, string jobMarket, string account) =>
        chain.QueryAsync<CreditOfFunction, BigInteger>(jobMarket, new CreditOfFunction { Account = account }, CancellationToken.None);

    /// <summary>What JobMarket pays one stage: the fee after the protocol's cut, times its layers, over all paid layers (integer division, as the contract does).</summary>
    public static BigInteger StageShare(BigInteger fee, int protocolFeeBps, int layers, int layerCount, int paidReplicas) =>
        (fee - fee * protocolFeeBps / 10_000) * layers / (layerCount * paidReplicas);

    public static async Task<int> ProtocolFeeBpsAsync(ChainConnection chain, string jobMarket) =>
        (int)await chain.QueryAsync<ProtocolFeeBpsFunction, ushort>(jobMarket, new ProtocolFeeBpsFunction(), CancellationToken.None);

    public static Task<string> TreasuryAsync(ChainConnection chain, string jobMarket) =>
        chain.QueryAsync<TreasuryFunction, string>(jobMarket, new TreasuryFunction(), CancellationToken.None);
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
