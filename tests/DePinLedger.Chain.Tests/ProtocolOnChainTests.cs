using System.Numerics;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using JobRequest = DePinLedger.Protocol.Jobs.JobRequest;
using StageReceipt = DePinLedger.Protocol.Receipts.StageReceipt;

namespace DePinLedger.Chain.Tests;

/// <summary>The C# hashing of receipts, node-key consents and job ids equals what the deployed contracts compute.</summary>
public sealed class ProtocolOnChainTests : IAsyncLifetime
{
    private AnvilChain _anvil = null!;

    public async Task InitializeAsync() => _anvil = await AnvilChain.StartAsync();

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task StageReceipt_TypeHashAndDigest_MatchJobMarket()
    {
        var receipt = new StageReceipt(Keccak.Hash("job"), 1, 2, 3, 4, Keccak.Hash("in"), Keccak.Hash("trace"), Keccak.Hash("out"));
        var onChain = new Contracts.Jobs.StageReceipt
        {
            JobId = receipt.JobId.ToArray(), Replica = 1, Stage = 2, FirstLayer = 3, LastLayer = 4,
            InputRoot = receipt.InputRoot.ToArray(), TraceRoot = receipt.TraceRoot.ToArray(), OutputRoot = receipt.OutputRoot.ToArray(),
        };
        string jobMarket = _anvil.Deployment.JobMarket;

        byte[] typeHash = await _anvil.Deployer.QueryAsync<StageReceiptTypehashFunction, byte[]>(jobMarket, new(), default);
        byte[] digest = await _anvil.Deployer.QueryAsync<StageReceiptDigestFunction, byte[]>(jobMarket, new() { Receipt = onChain }, default);

        Assert.Equal(StageReceipt.TypeHash.ToArray(), typeHash);
        Assert.Equal(receipt.Digest(Eip712Domain.For(31337, jobMarket)).ToArray(), digest);
    }

    [Fact]
    public async Task NodeKeyDigest_MatchesStakeManager()
    {
        string op = AnvilChain.DevAddress(3);

        byte[] digest = await _anvil.Deployer.QueryAsync<NodeKeyDigestFunction, byte[]>(_anvil.Deployment.StakeManager, new() { Operator = op }, default);

        Assert.Equal(new NodeKeyAuthorization(op).Digest(Eip712Domain.For(31337, _anvil.Deployment.StakeManager)).ToArray(), digest);
    }

    [Fact]
    public async Task JobId_MatchesComputeJobId()
    {
        var request = new JobRequest(Keccak.Hash("model"), Keccak.Hash("prompt"), 256, 45_875, 58_982, ulong.MaxValue - 5, 2,
            BigInteger.Parse("79228162514264337593543950335"), 1_900_000_000, Keccak.Hash("salt"));
        var message = new ComputeJobIdFunction
        {
            Client = AnvilChain.DevAddress(4),
            Request = new Contracts.Jobs.JobRequest
            {
                ModelId = request.ModelId.ToArray(), PromptHash = request.PromptHash.ToArray(), MaxTokens = request.MaxTokens, Temperature = request.Temperature,
                TopP = request.TopP, Seed = request.Seed, Replicas = request.Replicas, Fee = request.Fee, Deadline = request.Deadline, Salt = request.Salt.ToArray(),
            },
        };

        byte[] id = await _anvil.Deployer.QueryAsync<ComputeJobIdFunction, byte[]>(_anvil.Deployment.JobMarket, message, default);

        Assert.Equal(request.JobId(AnvilChain.DevAddress(4)).ToArray(), id);
    }
}
