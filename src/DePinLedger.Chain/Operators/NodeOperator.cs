using System.Numerics;
using DePinLedger.Chain.Contracts.Errors;
using DePinLedger.Chain.Contracts.Staking;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Transactions;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Protocol.Tokens;
using Nethereum.Contracts;

namespace DePinLedger.Chain.Operators;

/// <summary>The staking token: address, symbol and decimals, and how to show an amount of it.</summary>
public sealed record TokenInfo(string Address, string Symbol, byte Decimals)
{
    public TokenAmount Amount(BigInteger units) => new(units, Decimals);

    public string Format(BigInteger units) => Amount(units).ToString(Symbol);
}

/// <summary>A node's hardware profile as StakeManager stores it.</summary>
public sealed record Hardware(uint MemoryMiB, uint ComputeGops, uint BandwidthMBps, ushort RegionCode)
{
    internal HardwareProfile ToContract() => new() { MemoryMiB = MemoryMiB, ComputeGops = ComputeGops, BandwidthMBps = BandwidthMBps, RegionCode = RegionCode };

    internal static Hardware FromContract(HardwareProfile h) => new(h.MemoryMiB, h.ComputeGops, h.BandwidthMBps, h.RegionCode);
}

/// <summary>One pending unbonding entry.</summary>
public sealed record UnbondingView(BigInteger Amount, DateTimeOffset StartedAt, DateTimeOffset ReleaseAt, bool Released);

/// <summary>Everything an operator wants to know about a node, read at one moment.</summary>
public sealed record NodeStatus(
    string Node, bool Registered, string? Operator, DateTimeOffset? RegisteredAt, BigInteger ActiveStake, BigInteger UnbondingStake,
    BigInteger Withdrawable, uint FreezeCount, bool Eligible, string Endpoint, Hardware Hardware, IReadOnlyList<UnbondingView> Unbondings,
    BigInteger MinStake, TimeSpan UnbondingDelay, BigInteger OperatorBalance, BigInteger Allowance, TokenInfo Token, DateTimeOffset ChainTime);

/// <summary>What a state-changing operation did.</summary>
public sealed record OperationResult(string Node, string Hash, ulong Block, BigInteger Amount, BigInteger ActiveStake, DateTimeOffset? ReleaseAt = null);

/// <summary>
/// The node operator's commands against StakeManager: register, update, stake (approving the token first when the
/// allowance is short), unbond and withdraw, and the status read. The CLI verbs and any service call these; each
/// refusal is a typed exception with a readable message (the contract's custom error, decoded or pre-checked).
/// </summary>
public sealed class NodeOperator
{
    private readonly TransactionSender _sender;
    private readonly DeploymentFile _deployment;

    private NodeOperator(TransactionSender sender, DeploymentFile deployment, TokenInfo token)
    {
        _sender = sender;
        _deployment = deployment;
        Token = token;
        _sender.Amounts = units => token.Format(units);
    }

    public TokenInfo Token { get; }

    /// <summary>The operator's address (the sending account).</summary>
    public string Operator => _sender.Address;

    /// <summary>Checks the deployment against the chain and reads the token's symbol and decimals.</summary>
    public static async Task<NodeOperator> CreateAsync(TransactionSender sender, DeploymentFile deployment, CancellationToken cancellation)
    {
        await deployment.VerifyAsync(sender.Chain, cancellation);
        string symbol = await sender.Chain.QueryAsync<SymbolFunction, string>(deployment.Token, new SymbolFunction(), cancellation);
        byte decimals = await sender.Chain.QueryAsync<DecimalsFunction, byte>(deployment.Token, new DecimalsFunction(), cancellation);
        return new NodeOperator(sender, deployment, new TokenInfo(deployment.Token, symbol, decimals));
    }

    /// <summary>
    /// Registers a node whose id is <paramref name="nodeKey"/>'s address (it signs its consent), or the operator's own
    /// address when <paramref name="nodeKey"/> is null.
    /// </summary>
    public async Task<OperationResult> RegisterAsync(NodeKey? nodeKey, string endpoint, Hardware hardware, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        string node = nodeKey?.Address ?? Operator;
        byte[] signature = [];
        if (nodeKey is not null && !string.Equals(node, Operator, StringComparison.OrdinalIgnoreCase))
            signature = new NodeKeyAuthorization(Operator).Sign(Eip712Domain.For(_sender.Chain.ChainId, _deployment.StakeManager), nodeKey);
        var message = new RegisterNodeFunction { Node = node, Endpoint = endpoint, Hardware = hardware.ToContract(), NodeSignature = signature };
        SentTransaction tx = await _sender.SendAsync(_deployment.StakeManager, message, $"register node {node}", progress, cancellation);
        return new OperationResult(node, tx.Hash, tx.BlockNumber, 0, 0);
    }

    public async Task<OperationResult> UpdateAsync(string node, string endpoint, Hardware hardware, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        var message = new UpdateNodeFunction { Node = node, Endpoint = endpoint, Hardware = hardware.ToContract() };
        SentTransaction tx = await _sender.SendAsync(_deployment.StakeManager, message, $"update node {node}", progress, cancellation);
        NodeInfo info = await GetNodeAsync(node, cancellation);
        return new OperationResult(node, tx.Hash, tx.BlockNumber, 0, info.ActiveStake);
    }

    /// <summary>
    /// Bonds <paramref name="amount"/> to the node. Refuses before sending anything when the node is not registered or
    /// not the operator's, when the balance is short, or when the active stake would stay below the minimum (unless
    /// <paramref name="allowBelowMinimum"/>); approves the StakeManager first when the allowance is short.
    /// </summary>
    public async Task<OperationResult> StakeAsync(string node, BigInteger amount, bool allowBelowMinimum, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        if (amount.Sign <= 0) throw ContractErrors.Exception(new StakeManagerZeroAmountError(), Token.Format);
        NodeInfo info = await RequireOperatorAsync(node, cancellation);
        BigInteger minimum = await _sender.Chain.QueryAsync<MinStakeFunction, BigInteger>(_deployment.StakeManager, new MinStakeFunction(), cancellation);
        if (info.ActiveStake + amount < minimum && !allowBelowMinimum)
            throw new OperatorException(
                $"below minimum stake: the node would have {Token.Format(info.ActiveStake + amount)} active, the minimum is {Token.Format(minimum)}; " +
                $"stake at least {Token.Format(minimum - info.ActiveStake)}");
        BigInteger balance = await BalanceAsync(Operator, cancellation);
        if (balance < amount)
            throw ContractErrors.Exception(new ERC20InsufficientBalanceError { Sender = Operator, Balance = balance, Needed = amount }, Token.Format);
        BigInteger allowance = await AllowanceAsync(cancellation);
        if (allowance < amount)
        {
            var approve = new ApproveFunction { Spender = _deployment.StakeManager, Value = amount };
            await _sender.SendAsync(_deployment.Token, approve, $"approve {Token.Format(amount)} for staking", progress, cancellation);
        }
        SentTransaction tx = await _sender.SendAsync(_deployment.StakeManager, new StakeFunction { Node = node, Amount = amount }, $"stake {Token.Format(amount)} on {node}", progress, cancellation);
        StakedEvent staked = tx.Receipt.DecodeAllEvents<StakedEvent>().Single().Event;
        return new OperationResult(node, tx.Hash, tx.BlockNumber, staked.Amount, staked.ActiveStake);
    }

    public async Task<OperationResult> UnbondAsync(string node, BigInteger amount, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        if (amount.Sign <= 0) throw ContractErrors.Exception(new StakeManagerZeroAmountError(), Token.Format);
        await RequireOperatorAsync(node, cancellation);
        SentTransaction tx = await _sender.SendAsync(_deployment.StakeManager, new RequestUnbondFunction { Node = node, Amount = amount }, $"unbond {Token.Format(amount)} from {node}", progress, cancellation);
        UnbondRequestedEvent e = tx.Receipt.DecodeAllEvents<UnbondRequestedEvent>().Single().Event;
        return new OperationResult(node, tx.Hash, tx.BlockNumber, e.Amount, e.ActiveStake, DateTimeOffset.FromUnixTimeSeconds((long)e.ReleaseAt));
    }

    public async Task<OperationResult> WithdrawAsync(string node, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        NodeInfo info = await RequireOperatorAsync(node, cancellation);
        SentTransaction tx = await _sender.SendAsync(_deployment.StakeManager, new WithdrawFunction { Node = node }, $"withdraw released stake of {node}", progress, cancellation);
        WithdrawnEvent e = tx.Receipt.DecodeAllEvents<WithdrawnEvent>().Single().Event;
        return new OperationResult(node, tx.Hash, tx.BlockNumber, e.Amount, info.ActiveStake);
    }

    public async Task<NodeStatus> StatusAsync(string node, CancellationToken cancellation)
    {
        var chain = _sender.Chain;
        NodeInfo info = await GetNodeAsync(node, cancellation);
        bool registered = !IsZero(info.Operator);
        BigInteger minimum = await chain.QueryAsync<MinStakeFunction, BigInteger>(_deployment.StakeManager, new MinStakeFunction(), cancellation);
        ulong delay = await chain.QueryAsync<UnbondingDelayFunction, ulong>(_deployment.StakeManager, new UnbondingDelayFunction(), cancellation);
        GetUnbondingsOutput unbondings = await chain.QueryOutputAsync<GetUnbondingsFunction, GetUnbondingsOutput>(_deployment.StakeManager, new GetUnbondingsFunction { Node = node }, cancellation);
        BigInteger withdrawable = await chain.QueryAsync<WithdrawableFunction, BigInteger>(_deployment.StakeManager, new WithdrawableFunction { Node = node }, cancellation);
        var now = DateTimeOffset.FromUnixTimeSeconds((long)await chain.LatestBlockTimeAsync(cancellation));
        string owner = registered ? info.Operator : node;
        return new NodeStatus(
            AddressText.Checksum(node), registered, registered ? AddressText.Checksum(info.Operator) : null,
            registered ? DateTimeOffset.FromUnixTimeSeconds((long)info.RegisteredAt) : null,
            info.ActiveStake, info.UnbondingStake, withdrawable, info.FreezeCount, info.Eligible, info.Endpoint, Hardware.FromContract(info.Hardware),
            [.. unbondings.Unbondings.Select(u => new UnbondingView(u.Amount, DateTimeOffset.FromUnixTimeSeconds((long)u.StartedAt), DateTimeOffset.FromUnixTimeSeconds((long)u.ReleaseAt), u.ReleaseAt <= (ulong)now.ToUnixTimeSeconds()))],
            minimum, TimeSpan.FromSeconds(delay), await BalanceAsync(owner, cancellation),
            await chain.QueryAsync<AllowanceFunction, BigInteger>(_deployment.Token, new AllowanceFunction { Owner = owner, Spender = _deployment.StakeManager }, cancellation),
            Token, now);
    }

    public Task<BigInteger> BalanceAsync(string account, CancellationToken cancellation) =>
        _sender.Chain.QueryAsync<BalanceOfFunction, BigInteger>(_deployment.Token, new BalanceOfFunction { Account = account }, cancellation);

    private Task<BigInteger> AllowanceAsync(CancellationToken cancellation) =>
        _sender.Chain.QueryAsync<AllowanceFunction, BigInteger>(_deployment.Token, new AllowanceFunction { Owner = Operator, Spender = _deployment.StakeManager }, cancellation);

    private async Task<NodeInfo> GetNodeAsync(string node, CancellationToken cancellation) =>
        (await _sender.Chain.QueryOutputAsync<GetNodeFunction, GetNodeOutput>(_deployment.StakeManager, new GetNodeFunction { Node = node }, cancellation)).Info;

    /// <summary>The node's record, after checking that it is registered and that the sender is its operator.</summary>
    private async Task<NodeInfo> RequireOperatorAsync(string node, CancellationToken cancellation)
    {
        NodeInfo info = await GetNodeAsync(node, cancellation);
        if (IsZero(info.Operator)) throw ContractErrors.Exception(new StakeManagerNodeNotRegisteredError { Node = AddressText.Checksum(node) }, Token.Format);
        if (!string.Equals(info.Operator, Operator, StringComparison.OrdinalIgnoreCase))
            throw ContractErrors.Exception(new StakeManagerNotOperatorError { Node = AddressText.Checksum(node), Caller = Operator }, Token.Format);
        return info;
    }

    private static bool IsZero(string address) => string.IsNullOrEmpty(address) || address.TrimStart('0', 'x').Length == 0;
}
