using System.Numerics;
using DePinLedger.Chain.Contracts.Errors;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Chain.Tests;

/// <summary>The operator flow against a real anvil with the real contracts, and every refusal decoded.</summary>
public sealed class NodeOperatorTests : IAsyncLifetime
{
    private static readonly BigInteger Token = BigInteger.Pow(10, 18);
    private static readonly Hardware Gpu = new(24_576, 300_000, 900_000, 276);

    private AnvilChain _anvil = null!;
    private NodeOperator _operator = null!;
    private string _me = "";

    public async Task InitializeAsync()
    {
        _anvil = await AnvilChain.StartAsync();
        _me = AnvilChain.DevAddress(1);
        await _anvil.MintAsync(_me, 5_000);
        _operator = await NodeOperator.CreateAsync(await _anvil.SenderAsync(1), _anvil.Deployment, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task Register_Stake_Unbond_Withdraw_AfterTheDelay()
    {
        var progress = new List<TransactionProgress>();
        await _operator.RegisterAsync(null, "https://node.example:7443", Gpu, new SyncProgress(progress), default);
        OperationResult staked = await _operator.StakeAsync(_me, 1_500 * Token, false, null, default);
        OperationResult unbond = await _operator.UnbondAsync(_me, 400 * Token, null, default);

        var early = await Assert.ThrowsAsync<ContractRevertedException<StakeManagerNothingToWithdrawError>>(() => _operator.WithdrawAsync(_me, null, default));
        Assert.Contains("still unbonding", early.Message);
        await _anvil.WarpAsync(TimeSpan.FromDays(14));
        OperationResult withdrawn = await _operator.WithdrawAsync(_me, null, default);
        NodeStatus status = await _operator.StatusAsync(_me, default);

        Assert.Contains(progress, p => p.Stage == TransactionStage.Mined && p.Hash is not null);
        Assert.Equal(1_500 * Token, staked.ActiveStake);
        Assert.Equal(1_100 * Token, unbond.ActiveStake);
        Assert.NotNull(unbond.ReleaseAt);
        Assert.Equal(400 * Token, withdrawn.Amount);
        Assert.True(status.Registered);
        Assert.True(status.Eligible);
        Assert.Equal(1_100 * Token, status.ActiveStake);
        Assert.Equal(BigInteger.Zero, status.UnbondingStake);
        Assert.Equal(3_900 * Token, status.OperatorBalance);
        Assert.Equal("https://node.example:7443", status.Endpoint);
        Assert.Equal(Gpu, status.Hardware);
        Assert.Equal("DPIN", status.Token.Symbol);
    }

    [Fact]
    public async Task Register_WithSeparateNodeKey_SignsConsent()
    {
        var nodeKey = new NodeKey(AnvilChain.DevKey(7));

        OperationResult result = await _operator.RegisterAsync(nodeKey, "grpc://10.0.0.7:7443", Gpu, null, default);
        NodeStatus status = await _operator.StatusAsync(nodeKey.Address, default);

        Assert.Equal(nodeKey.Address, result.Node);
        Assert.Equal(_me, status.Operator);
    }

    [Fact]
    public async Task Register_Twice_AlreadyRegistered()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);

        var e = await Assert.ThrowsAsync<ContractRevertedException<StakeManagerNodeAlreadyRegisteredError>>(() => _operator.RegisterAsync(null, "https://b", Gpu, null, default));

        Assert.Equal("StakeManager_NodeAlreadyRegistered", e.ErrorName);
        Assert.Contains("already registered", e.Message);
    }

    [Fact]
    public async Task Register_EmptyEndpoint_DecodedFromEstimate() =>
        Assert.Contains("endpoint must not be empty",
            (await Assert.ThrowsAsync<ContractRevertedException<StakeManagerEmptyEndpointError>>(() => _operator.RegisterAsync(null, "", Gpu, null, default))).Message);

    [Fact]
    public async Task Stake_NotRegistered_Refused() =>
        Assert.Contains("is not registered",
            (await Assert.ThrowsAsync<ContractRevertedException<StakeManagerNodeNotRegisteredError>>(() => _operator.StakeAsync(_me, 1_000 * Token, false, null, default))).Message);

    [Fact]
    public async Task Stake_BelowMinimum_RefusedUnlessAllowed()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);

        var e = await Assert.ThrowsAsync<OperatorException>(() => _operator.StakeAsync(_me, 10 * Token, false, null, default));
        OperationResult allowed = await _operator.StakeAsync(_me, 10 * Token, true, null, default);

        Assert.Contains("below minimum stake", e.Message);
        Assert.Contains("1000 DPIN", e.Message);
        Assert.Equal(10 * Token, allowed.ActiveStake);
        Assert.False((await _operator.StatusAsync(_me, default)).Eligible);
    }

    [Fact]
    public async Task Stake_MoreThanBalance_InsufficientBalance()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);

        var e = await Assert.ThrowsAsync<ContractRevertedException<ERC20InsufficientBalanceError>>(() => _operator.StakeAsync(_me, 6_000 * Token, false, null, default));

        Assert.Contains("insufficient balance", e.Message);
        Assert.Contains("holds 5000 DPIN, needs 6000 DPIN", e.Message);
    }

    [Fact]
    public async Task Stake_WithoutAllowance_DecodedTokenErrorFromTheContract()
    {
        // Bypass the operator's approve step: the token's own custom error must come back decoded through StakeManager.
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);
        TransactionSender sender = await _anvil.SenderAsync(1);

        var e = await Assert.ThrowsAsync<ContractRevertedException<ERC20InsufficientAllowanceError>>(() =>
            sender.SendAsync(_anvil.Deployment.StakeManager, new Contracts.Staking.StakeFunction { Node = _me, Amount = Token }, "stake", null, default));

        Assert.Contains("insufficient allowance", e.Message);
    }

    [Fact]
    public async Task Unbond_MoreThanActive_InsufficientActiveStake()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);
        await _operator.StakeAsync(_me, 1_000 * Token, false, null, default);

        var e = await Assert.ThrowsAsync<ContractRevertedException<StakeManagerInsufficientActiveStakeError>>(() => _operator.UnbondAsync(_me, 2_000 * Token, null, default));

        Assert.Contains("has 1000 DPIN, asked to unbond 2000 DPIN", e.Message);
    }

    [Fact]
    public async Task Withdraw_NothingUnbonding_Explains()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);

        var e = await Assert.ThrowsAsync<ContractRevertedException<StakeManagerNothingToWithdrawError>>(() => _operator.WithdrawAsync(_me, null, default));

        Assert.Contains("no stake is unbonding", e.Message);
    }

    [Fact]
    public async Task Stake_SomeoneElsesNode_NotOperator()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);
        NodeOperator other = await NodeOperator.CreateAsync(await _anvil.SenderAsync(2), _anvil.Deployment, default);

        await Assert.ThrowsAsync<ContractRevertedException<StakeManagerNotOperatorError>>(() => other.StakeAsync(_me, Token, true, null, default));
    }

    [Fact]
    public async Task Sender_ConcurrentTransactions_GetConsecutiveNonces()
    {
        await _operator.RegisterAsync(null, "https://a", Gpu, null, default);
        await _operator.StakeAsync(_me, 2_000 * Token, false, null, default);

        OperationResult[] results = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => _operator.UnbondAsync(_me, i * Token, null, default)));

        Assert.Equal(5, results.Select(r => r.Hash).Distinct().Count());
        Assert.Equal(1_985 * Token, (await _operator.StatusAsync(_me, default)).ActiveStake);
    }

    private sealed class SyncProgress(List<TransactionProgress> list) : IProgress<TransactionProgress>
    {
        public void Report(TransactionProgress value) => list.Add(value);
    }
}
