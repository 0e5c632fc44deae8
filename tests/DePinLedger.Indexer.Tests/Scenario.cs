using System.Numerics;
using System.Text.Json;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Models;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Indexer.Sync;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using ReceiptHash = DePinLedger.Protocol.Receipts.StageReceipt;

namespace DePinLedger.Indexer.Tests;

/// <summary>Drives the contracts on anvil (nodes, stake, a model, a job through submission and settlement) and runs indexers.</summary>
internal sealed class Scenario(AnvilChain anvil)
{
    public static readonly BigInteger Token = BigInteger.Pow(10, 18);

    public AnvilChain Anvil => anvil;

    public async Task<TransactionSender> Sender(int dev) => await anvil.SenderAsync(dev);

    public async Task RegisterAsync(int dev, string endpoint = "https://node")
    {
        TransactionSender s = await Sender(dev);
        await s.SendAsync(anvil.Deployment.StakeManager, new RegisterNodeFunction
        {
            Node = s.Address, Endpoint = endpoint, Hardware = new HardwareProfile { MemoryMiB = 8192, ComputeGops = 100, BandwidthMBps = 1000, RegionCode = 276 },
        }, "register", null, default);
    }

    public async Task ApproveAsync(int dev, string spender)
    {
        await anvil.MintAsync(AnvilChain.DevAddress(dev), 100_000);
        await (await Sender(dev)).SendAsync(anvil.Deployment.Token, new ApproveFunction { Spender = spender, Value = BigInteger.Pow(2, 255) }, "approve", null, default);
    }

    public async Task StakeAsync(int dev, BigInteger tokens) =>
        await (await Sender(dev)).SendAsync(anvil.Deployment.StakeManager, new StakeFunction { Node = AnvilChain.DevAddress(dev), Amount = tokens * Token }, "stake", null, default);

    public async Task UnbondAsync(int dev, BigInteger tokens) =>
        await (await Sender(dev)).SendAsync(anvil.Deployment.StakeManager, new RequestUnbondFunction { Node = AnvilChain.DevAddress(dev), Amount = tokens * Token }, "unbond", null, default);

    public async Task WithdrawAsync(int dev) =>
        await (await Sender(dev)).SendAsync(anvil.Deployment.StakeManager, new WithdrawFunction { Node = AnvilChain.DevAddress(dev) }, "withdraw", null, default);

    /// <summary>Calldata of a stake call, for anvil_reorg's replacement transactions.</summary>
    public string StakeCallData(int dev, BigInteger units) =>
        "0x" + Convert.ToHexStringLower(new StakeFunction { Node = AnvilChain.DevAddress(dev), Amount = units }.GetCallData());

    /// <summary>Registers a 2-layer model, creates a job from <paramref name="client"/>, has node <paramref name="node"/> submit a signed one-stage result, waits out the challenge window and finalizes.</summary>
    public async Task<Bytes32> RunJobAsync(int client, int node, bool finalize = true)
    {
        Bytes32 modelId = Keccak.Hash("stories260K@1");
        await (await Sender(0)).SendAsync(anvil.Deployment.ModelRegistry, new RegisterModelFunction
        {
            ModelId = modelId.ToArray(), WeightsRoot = Keccak.Hash("weights").ToArray(), Verifier = anvil.Deployment.Token,
            Dims = new ModelDims { LayerCount = 2, HeadCount = 8, KvHeadCount = 4, Dim = 64, HiddenDim = 172, VocabSize = 512, MaxSeqLen = 512 },
            MetadataURI = "ipfs://model",
        }, "model", null, default);
        await ApproveAsync(client, anvil.Deployment.JobMarket);
        var latest = await anvil.Deployer.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        var request = new DePinLedger.Protocol.Jobs.JobRequest(modelId, Keccak.Hash("prompt"), 16, 0, 65_536, 7, 1, 50 * Token, (ulong)latest.Timestamp.Value + 3_600, Keccak.Hash("salt"));
        await (await Sender(client)).SendAsync(anvil.Deployment.JobMarket, new CreateJobFunction
        {
            Request = new JobRequest
            {
                ModelId = request.ModelId.ToArray(), PromptHash = request.PromptHash.ToArray(), MaxTokens = request.MaxTokens, Temperature = request.Temperature,
                TopP = request.TopP, Seed = request.Seed, Replicas = request.Replicas, Fee = request.Fee, Deadline = request.Deadline, Salt = request.Salt.ToArray(),
            },
        }, "job", null, default);
        Bytes32 jobId = request.JobId(AnvilChain.DevAddress(client));

        var receipt = new ReceiptHash(jobId, 0, 0, 0, 1, Keccak.Hash("input"), Keccak.Hash("trace"), Keccak.Hash("output"));
        byte[] signature = receipt.Sign(Eip712Domain.For(31337, anvil.Deployment.JobMarket), new NodeKey(AnvilChain.DevKey(node)));
        await (await Sender(node)).SendAsync(anvil.Deployment.JobMarket, new SubmitResultFunction
        {
            JobId = jobId.ToArray(),
            Results =
            [
                new ReplicaResult
                {
                    ResultRoot = Keccak.Hash("result").ToArray(), OutputHash = Keccak.Hash("tokens").ToArray(), TokenCount = 12,
                    Stages = [new SignedStage { FirstLayer = 0, LastLayer = 1, InputRoot = receipt.InputRoot.ToArray(), TraceRoot = receipt.TraceRoot.ToArray(), OutputRoot = receipt.OutputRoot.ToArray(), Signature = signature }],
                },
            ],
        }, "submit", null, default);
        if (!finalize) return jobId;
        await anvil.WarpAsync(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await (await Sender(client)).SendAsync(anvil.Deployment.JobMarket, new FinalizeFunction
        {
            JobId = jobId.ToArray(),
            Stages = [[new StageRecord { Node = AnvilChain.DevAddress(node), FirstLayer = 0, LastLayer = 1, InputRoot = receipt.InputRoot.ToArray(), TraceRoot = receipt.TraceRoot.ToArray(), OutputRoot = receipt.OutputRoot.ToArray() }]],
        }, "finalize", null, default);
        return jobId;
    }

    public ChainIndexer Indexer(TestDatabase db, IndexerOptions? options = null, IPublisher? publisher = null) =>
        new(anvil.Deployer, anvil.Deployment, db.Options, options ?? new IndexerOptions { Confirmations = 0 }, publisher);

    /// <summary>Every chain-derived table as JSON, rows ordered by key, plus the cursor position: two databases that mirror the same chain are equal here.</summary>
    public static async Task<string> DumpAsync(TestDatabase db)
    {
        await using DePinDbContext c = db.Context();
        var dump = new
        {
            events = await c.ChainEvents.AsNoTracking().OrderBy(e => e.BlockNumber).ThenBy(e => e.LogIndex).ToListAsync(),
            nodes = await c.Nodes.AsNoTracking().OrderBy(n => n.Address).ToListAsync(),
            stake = await c.StakeChanges.AsNoTracking().OrderBy(s => s.BlockNumber).ThenBy(s => s.LogIndex).ToListAsync(),
            unbonding = await c.UnbondingEntries.AsNoTracking().OrderBy(u => u.Node).ThenBy(u => u.StartedAt).ToListAsync(),
            slashes = await c.Slashes.AsNoTracking().OrderBy(s => s.BlockNumber).ToListAsync(),
            models = await c.Models.AsNoTracking().OrderBy(m => m.ModelId).ToListAsync(),
            jobs = await c.Jobs.AsNoTracking().OrderBy(j => j.JobId).ToListAsync(),
            replicas = await c.Replicas.AsNoTracking().OrderBy(r => r.JobId).ThenBy(r => r.Replica).ToListAsync(),
            stages = await c.StageReceipts.AsNoTracking().OrderBy(s => s.JobId).ThenBy(s => s.Replica).ThenBy(s => s.Stage).ToListAsync(),
            cursor = await c.IndexerCursors.AsNoTracking().Select(x => new { x.LastBlock, x.LastBlockHash }).SingleOrDefaultAsync(),
        };
        return JsonSerializer.Serialize(dump, new JsonSerializerOptions { WriteIndented = true, Converters = { new PlainDecimal() } });
    }

    /// <summary>Decimals without their storage scale (SQLite reads 1000 back as 1000.0; the value is the same).</summary>
    private sealed class PlainDecimal : System.Text.Json.Serialization.JsonConverter<decimal>
    {
        public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDecimal();

        public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.ToString("0.############################", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>All logs of the four contracts on the canonical chain, straight from eth_getLogs.</summary>
    public async Task<int> CountLogsAsync()
    {
        var logs = await anvil.Deployer.Web3.Eth.Filters.GetLogs.SendRequestAsync(new Nethereum.RPC.Eth.DTOs.NewFilterInput
        {
            FromBlock = new Nethereum.RPC.Eth.DTOs.BlockParameter(new HexBigInteger(anvil.Deployment.StartBlock)),
            ToBlock = Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest(),
            Address = [anvil.Deployment.Token, anvil.Deployment.ModelRegistry, anvil.Deployment.StakeManager, anvil.Deployment.JobMarket],
        });
        return logs.Length;
    }
}

/// <summary>Collects what the indexer publishes.</summary>
internal sealed class RecordingPublisher : IPublisher
{
    public List<object> Published { get; } = [];

    public ValueTask Publish<TNotification>(TNotification notification, CancellationToken cancellationToken = default) where TNotification : INotification
    {
        lock (Published) Published.Add(notification!);
        return ValueTask.CompletedTask;
    }

    public ValueTask Publish(object notification, CancellationToken cancellationToken = default)
    {
        lock (Published) Published.Add(notification);
        return ValueTask.CompletedTask;
    }

    public IEnumerable<T> Of<T>() => Published.OfType<T>();
}
