using System.Numerics;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tests;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using Nethereum.Contracts;
using JobRequest = DePinLedger.Protocol.Jobs.JobRequest;
using ReceiptHash = DePinLedger.Protocol.Receipts.StageReceipt;

namespace DePinLedger.Disputes.Tests.Support;

/// <summary>
/// A verified (two-replica) stories260K job on anvil with the real deployed contracts: replica 0 runs on two stages
/// (blocks 0..2 by dev node 1, blocks 3..4 by dev node 2), replica 1 on one stage (dev node 3); dev 4 is the client,
/// dev 5 the challenger. The replicas' traces are recomputed with the engine, one of them with a fault, and their
/// signed stage receipts are submitted.
/// </summary>
internal sealed class DisputeScenario
{
    public const int Client = 4;
    public const int Challenger = 5;
    public static readonly BigInteger Token = BigInteger.Pow(10, 18);
    public static readonly int[] Replica0Nodes = [1, 2];
    public const int Replica1Node = 3;

    private static readonly Lazy<(IntegerModel Model, ModelOpenings Openings)> Reference = new(() =>
    {
        IntegerModel model = ModelImporter.ImportFiles(SharedModels.Stories260K, SharedModels.Tok512);
        return (model, new ModelOpenings(model));
    });

    private DisputeScenario(AnvilChain anvil) => Anvil = anvil;

    public AnvilChain Anvil { get; }

    public static IntegerModel Model => Reference.Value.Model;

    public static ModelOpenings Openings => Reference.Value.Openings;

    public Bytes32 JobId { get; private set; }

    public JobRequest Request { get; private set; } = null!;

    public int[] Prompt { get; private set; } = [];

    public ReplicaSide[] Replicas { get; private set; } = [];

    /// <summary>
    /// Registers the model (with <paramref name="verifier"/>, default the deployed LayerStepVerifier) and the nodes,
    /// creates the job and submits both replicas, the one named by <paramref name="faultyReplica"/> with <paramref name="fault"/>.
    /// </summary>
    /// <remarks>
    /// With <paramref name="faultyMaxTokens"/> the faulty replica also stops generating after that many tokens. With
    /// <paramref name="replicas"/> = 1 the job runs once (replica 0 only). With <paramref name="pipelineCommitments"/>
    /// every replica commits what a worker pipeline commits (<see cref="PipelineCommitments"/>) instead of placeholder
    /// input, output and result roots (which the dispute game never reads).
    /// </remarks>
    public static async Task<DisputeScenario> StartAsync(AnvilChain anvil, int faultyReplica, TraceFault? fault, string promptText = "Once upon a time", int maxTokens = 6,
        string? verifier = null, int? faultyMaxTokens = null, byte replicas = 2, bool pipelineCommitments = false)
    {
        var s = new DisputeScenario(anvil) { _pipelineCommitments = pipelineCommitments };
        await s.RegisterModelAsync(verifier ?? anvil.Deployment.StepVerifier);
        foreach (int node in (int[])[.. Replica0Nodes, Replica1Node]) await s.RegisterNodeAsync(node);
        s.Prompt = Model.Tokenizer.Encode(promptText, bos: true, eos: false);
        await s.CreateJobAsync(maxTokens, replicas);
        SamplingParams sampling = JobTerms.Sampling(s.Request);
        StageLayout split = StageLayout.Split(Model.Config.Layers, 3, 2), single = StageLayout.Single(Model.Config.Layers);
        var run0 = new ReplicaRun(Model, s.Prompt, faultyReplica == 0 ? faultyMaxTokens ?? maxTokens : maxTokens, sampling, split) { Fault = faultyReplica == 0 ? fault : null };
        var run1 = new ReplicaRun(Model, s.Prompt, faultyReplica == 1 ? faultyMaxTokens ?? maxTokens : maxTokens, sampling, single) { Fault = faultyReplica == 1 ? fault : null };
        var source = new EngineTraceSource();
        IReplicaTrace trace0 = await source.LoadAsync(run0, default), trace1 = await source.LoadAsync(run1, default);
        s.Replicas = replicas == 1
            ? [await s.SubmitSideAsync(0, trace0, Replica0Nodes)]
            : [await s.SubmitSideAsync(0, trace0, Replica0Nodes), await s.SubmitSideAsync(1, trace1, [Replica1Node])];
        await s.SubmitAsync(replicas == 1 ? [trace0] : [trace0, trace1]);
        return s;
    }

    /// <summary>The client's own honest recomputation of the job (what the dispute service runs from the job's inputs).</summary>
    public EngineTrace Recompute() =>
        EngineTrace.Run(new ReplicaRun(Model, Prompt, (int)Request.MaxTokens, JobTerms.Sampling(Request), StageLayout.Single(Model.Config.Layers)));

    /// <summary>The dispute case as a dispute service builds it: the job and its stages from the chain, the traces and prompt from off-chain.</summary>
    public async Task<DisputeCase> CaseFromChainAsync()
    {
        JobOnChain job = await JobOnChain.LoadAsync(Anvil.Deployer, Anvil.Deployment, JobId, default);
        Assert.Equal(Request, job.Request);
        Assert.Equal(AnvilChain.DevAddress(Client), job.Client, StringComparer.OrdinalIgnoreCase);
        Assert.All(job.Replicas, r => Assert.Equal(Replicas[r.Replica].Stages, r.Stages));
        Assert.Throws<ArgumentException>(() => job.Case([.. Prompt, 5], Replicas[0].Trace, Replicas[1].Trace));
        return job.Case(Prompt, Replicas[0].Trace, Replicas[1].Trace);
    }

    public async Task<BigInteger> ActiveStakeAsync(int dev) =>
        await Anvil.Deployer.QueryAsync<ActiveStakeFunction, BigInteger>(Anvil.Deployment.StakeManager, new ActiveStakeFunction { Node = AnvilChain.DevAddress(dev) }, default);

    public async Task<BigInteger> BalanceAsync(int dev) =>
        await Anvil.Deployer.QueryAsync<BalanceOfFunction, BigInteger>(Anvil.Deployment.Token, new BalanceOfFunction { Account = AnvilChain.DevAddress(dev) }, default);

    private async Task RegisterModelAsync(string verifier) =>
        await ModelRegistration.RegisterAsync(await Anvil.SenderAsync(0), Anvil.Deployment, Model, verifier, "stories260K", default);

    private async Task RegisterNodeAsync(int dev)
    {
        TransactionSender sender = await Anvil.SenderAsync(dev);
        await Anvil.MintAsync(sender.Address, 10_000);
        await sender.SendAsync(Anvil.Deployment.Token, new ApproveFunction { Spender = Anvil.Deployment.StakeManager, Value = BigInteger.Pow(2, 255) }, "approve", null, default);
        await sender.SendAsync(Anvil.Deployment.StakeManager, new RegisterNodeFunction
        {
            Node = sender.Address, Endpoint = $"https://node{dev}",
            Hardware = new HardwareProfile { MemoryMiB = 8192, ComputeGops = 100, BandwidthMBps = 1000, RegionCode = 276 },
        }, "register node", null, default);
        await sender.SendAsync(Anvil.Deployment.StakeManager, new StakeFunction { Node = sender.Address, Amount = 1_000 * Token }, "stake", null, default);
    }

    private async Task CreateJobAsync(int maxTokens, byte replicas)
    {
        TransactionSender client = await Anvil.SenderAsync(Client);
        await Anvil.MintAsync(client.Address, 1_000);
        await client.SendAsync(Anvil.Deployment.Token, new ApproveFunction { Spender = Anvil.Deployment.JobMarket, Value = BigInteger.Pow(2, 255) }, "approve", null, default);
        var latest = await Anvil.Deployer.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        Request = new JobRequest(new Bytes32(Model.ModelId.AsSpan()), JobTerms.PromptHash(Prompt), (uint)maxTokens, 0, JobRequest.Q16One, 7, replicas, 50 * Token,
            (ulong)latest.Timestamp.Value + 3_600, Keccak.Hash("dispute-test"));
        await client.SendAsync(Anvil.Deployment.JobMarket, new CreateJobFunction
        {
            Request = new Chain.Contracts.Jobs.JobRequest
            {
                ModelId = Request.ModelId.ToArray(), PromptHash = Request.PromptHash.ToArray(), MaxTokens = Request.MaxTokens, Temperature = Request.Temperature,
                TopP = Request.TopP, Seed = Request.Seed, Replicas = Request.Replicas, Fee = Request.Fee, Deadline = Request.Deadline, Salt = Request.Salt.ToArray(),
            },
        }, "create job", null, default);
        JobId = Request.JobId(client.Address);
    }

    // Placeholders: stage i's output root is keccak(its trace root) and the next stage's input root; the first input is
    // the prompt hash. With pipeline commitments, the roots a worker pipeline signs.
    private readonly List<List<SignedStage>> _signed = [];
    private bool _pipelineCommitments;

    private Task<ReplicaSide> SubmitSideAsync(byte replica, IReplicaTrace trace, int[] nodes)
    {
        var domain = Eip712Domain.For(31337, Anvil.Deployment.JobMarket);
        var signed = new List<SignedStage>();
        var stages = new List<StageCommitment>();
        Bytes32 input = _pipelineCommitments ? PipelineCommitments.Input((EngineTrace)trace, 0) : Request.PromptHash;
        for (int i = 0; i < nodes.Length; i++)
        {
            StageSpan span = trace.Layout.Stages[i];
            var traceRoot = new Bytes32(trace.StageRoot(i).AsSpan());
            Bytes32 output = _pipelineCommitments ? PipelineCommitments.Output((EngineTrace)trace, i) : Keccak.Hash(traceRoot.Span);
            var receipt = new ReceiptHash(JobId, replica, (byte)i, (ushort)span.FirstLayer, (ushort)span.LastLayer, input, traceRoot, output);
            signed.Add(new SignedStage
            {
                FirstLayer = (ushort)span.FirstLayer, LastLayer = (ushort)span.LastLayer, InputRoot = input.ToArray(), TraceRoot = traceRoot.ToArray(),
                OutputRoot = output.ToArray(), Signature = receipt.Sign(domain, new NodeKey(AnvilChain.DevKey(nodes[i]))),
            });
            stages.Add(new StageCommitment(AddressText.Checksum(AnvilChain.DevAddress(nodes[i])), span, input, traceRoot, output));
            input = output;
        }
        _signed.Add(signed);
        return Task.FromResult(new ReplicaSide(replica, stages, trace));
    }

    private async Task SubmitAsync(IReplicaTrace[] traces)
    {
        TransactionSender client = await Anvil.SenderAsync(Client);
        var submit = new SubmitResultFunction
        {
            JobId = JobId.ToArray(),
            Results = traces.Select((trace, i) => _pipelineCommitments ? PipelineCommitments.Result((EngineTrace)trace, _signed[i]) : Result(trace, _signed[i])).ToList(),
        };
        SentTransaction sent = await client.SendAsync(Anvil.Deployment.JobMarket, submit, "submit result", null, default);
        // The stage records as JobMarket emitted them are what the game checks re-supplied stages against.
        foreach (var e in sent.Receipt.DecodeAllEvents<ResultSubmittedEvent>())
            Assert.Equal(Replicas[e.Event.Replica].Stages, e.Event.Stages.Select(StageCommitment.From).ToList());
    }

    private static ReplicaResult Result(IReplicaTrace trace, List<SignedStage> stages)
    {
        int tokens = trace is EngineTrace engine ? engine.Output.Count : 1;
        return new ReplicaResult { ResultRoot = Keccak.Hash("unsigned result root").ToArray(), OutputHash = Keccak.Hash("unsigned output hash").ToArray(), TokenCount = (uint)tokens, Stages = stages };
    }
}
