using System.Globalization;
using DePinLedger.Chain.Errors;

// Readable messages for the errors an operator or client meets; the rest fall back to "Name(field=value, …)".
namespace DePinLedger.Chain.Contracts.Errors;

public sealed partial class StakeManagerNodeNotRegisteredError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"node {Node} is not registered (run 'depin node register' first)";
}

public sealed partial class StakeManagerNodeAlreadyRegisteredError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"node {Node} is already registered by operator {Operator}";
}

public sealed partial class StakeManagerNotOperatorError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"account {Caller} is not the operator of node {Node}";
}

public sealed partial class StakeManagerInsufficientActiveStakeError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"not enough active stake: the node has {amount(Have)}, asked to unbond {amount(Need)}";
}

public sealed partial class StakeManagerNothingToWithdrawError : IDescribedError
{
    public string Describe(AmountFormatter amount) => NextReleaseAt == 0
        ? $"nothing to withdraw for node {Node}: no stake is unbonding"
        : $"still unbonding: nothing to withdraw for node {Node} before {Time(NextReleaseAt)}";

    internal static string Time(ulong unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds((long)unixSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}

public sealed partial class StakeManagerNodeFrozenError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"node {Node} is in {FreezeCount} open dispute(s); it cannot withdraw until they are settled";
}

public sealed partial class StakeManagerZeroAmountError : IDescribedError
{
    public string Describe(AmountFormatter amount) => "the amount must be more than zero";
}

public sealed partial class StakeManagerEmptyEndpointError : IDescribedError
{
    public string Describe(AmountFormatter amount) => "the endpoint must not be empty";
}

public sealed partial class StakeManagerInvalidNodeSignatureError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the node key's signature recovers to {Recovered}, not to node {Node}";
}

public sealed partial class StakeManagerAmountTooLargeError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"amount {amount(Amount)} is too large: at most {amount(Max)} fits";
}

public sealed partial class StakeManagerTooManyUnbondingsError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"node {Node} already has {Pending} pending unbonding entries; withdraw released ones first";
}

public sealed partial class ERC20InsufficientBalanceError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"insufficient balance: {Sender} holds {amount(Balance)}, needs {amount(Needed)}";
}

public sealed partial class ERC20InsufficientAllowanceError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"insufficient allowance: {Spender} may spend {amount(Allowance)}, needs {amount(Needed)}";
}

public sealed partial class JobMarketNodeNotEligibleError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"stage {Stage} of replica {Replica} is signed by {Node}, which is not an eligible node (registered with the minimum stake)";
}

public sealed partial class JobMarketModelNotRegisteredError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"model 0x{Convert.ToHexStringLower(ModelId)} is not registered";
}
