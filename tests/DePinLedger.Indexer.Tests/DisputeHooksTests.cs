using System.Numerics;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data;
using DePinLedger.Data.Jobs;
using DePinLedger.Data.Staking;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Indexer.Notifications;
using DePinLedger.Protocol.Encoding;
using Microsoft.EntityFrameworkCore;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace DePinLedger.Indexer.Tests;

/// <summary>
/// The dispute game's effects (slash by infraction time, node and job freezes, a replica proven wrong, the refund)
/// through a stand-in game that forwards calls: the database must hold what the contracts hold.
/// </summary>
public sealed class DisputeHooksTests : IAsyncLifetime
{
    private static readonly BigInteger Token = Scenario.Token;

    private AnvilChain _anvil = null!;
    private Scenario _scenario = null!;
    private TransactionSender _deployer = null!;
    private string _game = "";

    public async Task InitializeAsync()
    {
        _anvil = await AnvilChain.StartAsync();
        _scenario = new Scenario(_anvil);
        _deployer = await _anvil.SenderAsync(0);
        string bytecode = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "MockDisputeGame.bin")).Trim();
        _game = await ContractDeployer.DeployAsync(_anvil.Deployer, _deployer.Address, new ContractArtifact("MockDisputeGame", "[]", bytecode), default);
        await _deployer.SendAsync(_anvil.Deployment.StakeManager, new SetDisputeGameFunction { Game = _game }, "set game", null, default);
    }

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task Slash_Freezes_ProvenWrong_Refund_MirrorTheContracts()
    {
        string node = AnvilChain.DevAddress(1);
        await _scenario.RegisterAsync(1);
        await _scenario.ApproveAsync(1, _anvil.Deployment.StakeManager);
        await _scenario.StakeAsync(1, 2_000);
        await _scenario.UnbondAsync(1, 100);                  // before the infraction: not slashable
        await _anvil.WarpAsync(TimeSpan.FromSeconds(10));
        Bytes32 jobId = await _scenario.RunJobAsync(client: 3, node: 1, finalize: false);
        ulong infraction = (await _anvil.Deployer.QueryOutputAsync<GetJobFunction, GetJobOutput>(_anvil.Deployment.JobMarket, new GetJobFunction { JobId = jobId.ToArray() }, default)).Job.CreatedAt;
        await _scenario.UnbondAsync(1, 300);                  // after it: slashable
        await _anvil.WarpAsync(TimeSpan.FromSeconds(1));
        await _scenario.UnbondAsync(1, 50);                   // a newer entry: the slash empties it and the contract pops it
        await Game(_anvil.Deployment.StakeManager, new FreezeNodeFunction { Node = node });
        await Game(_anvil.Deployment.JobMarket, new FreezeJobFunction { JobId = jobId.ToArray() });
        await Game(_anvil.Deployment.JobMarket, new MarkReplicaWrongFunction { JobId = jobId.ToArray(), Replica = 0 });
        await Game(_anvil.Deployment.StakeManager, new SlashFunction { Node = node, Amount = 1_700 * Token, InfractionTime = infraction, RewardRecipient = AnvilChain.DevAddress(5) });
        await Game(_anvil.Deployment.StakeManager, new UnfreezeNodeFunction { Node = node });
        await Game(_anvil.Deployment.JobMarket, new UnfreezeJobFunction { JobId = jobId.ToArray() });
        await _anvil.WarpAsync(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await (await _scenario.Sender(3)).SendAsync(_anvil.Deployment.JobMarket, new FinalizeFunction { JobId = jobId.ToArray(), Stages = [[]] }, "finalize", null, default);
        await using TestDatabase db = await TestDatabase.PostgresAsync();
        var publisher = new RecordingPublisher();

        await _scenario.Indexer(db, publisher: publisher).SyncAsync(default);

        NodeInfo chainNode = (await _anvil.Deployer.QueryOutputAsync<GetNodeFunction, GetNodeOutput>(_anvil.Deployment.StakeManager, new GetNodeFunction { Node = node }, default)).Info;
        List<Unbonding> chainEntries = (await _anvil.Deployer.QueryOutputAsync<GetUnbondingsFunction, GetUnbondingsOutput>(_anvil.Deployment.StakeManager, new GetUnbondingsFunction { Node = node }, default)).Unbondings;
        await using DePinDbContext c = db.Context();
        NodeRecord record = await c.Nodes.SingleAsync();
        Slash slash = await c.Slashes.SingleAsync();
        JobRecord job = await c.Jobs.SingleAsync();
        Assert.Equal((decimal)chainNode.ActiveStake, record.ActiveStake);
        Assert.Equal((decimal)chainNode.UnbondingStake, record.UnbondingStake);
        Assert.Equal(0, record.FreezeCount);
        Assert.Equal([.. chainEntries.Select(u => (decimal)u.Amount)], await c.UnbondingEntries.OrderBy(u => u.StartedAt).Select(u => u.Amount).ToListAsync());
        Assert.Equal(100m * 1_000_000_000_000_000_000m, (await c.UnbondingEntries.OrderBy(u => u.StartedAt).FirstAsync()).Amount); // started before the infraction
        Assert.Equal(1_700m * 1_000_000_000_000_000_000m, slash.FromActive + slash.FromUnbonding);
        Assert.Equal(slash.FromActive + slash.FromUnbonding, slash.Reward + slash.Burned);
        Assert.Equal(JobStatus.Refunded, job.Status);
        Assert.Equal(RefundReason.AllReplicasWrong, job.RefundReason);
        Assert.Equal(0, job.FreezeCount);
        Assert.True((await c.Replicas.SingleAsync()).ProvenWrong);
        Assert.Single(publisher.Of<NodeSlashed>());
        Assert.Single(publisher.Of<NodeFrozen>());
        Assert.Single(publisher.Of<JobFrozen>());
        Assert.Single(publisher.Of<ReplicaProvenWrong>());
        Assert.Single(publisher.Of<JobRefunded>());
    }

    /// <summary>Calls <paramref name="target"/> as the dispute game.</summary>
    private Task Game<TFunction>(string target, TFunction function) where TFunction : FunctionMessage, new() =>
        _deployer.SendAsync(_game, new ExecFunction { Target = target, Data = function.GetCallData() }, "game", null, default);

    [Function("exec", "bytes")]
    private sealed class ExecFunction : FunctionMessage
    {
        [Parameter("address", "target", 1)]
        public string Target { get; set; } = "";

        [Parameter("bytes", "data", 2)]
        public byte[] Data { get; set; } = [];
    }
}
