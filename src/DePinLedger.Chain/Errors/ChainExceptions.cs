using Nethereum.ABI.FunctionEncoding.Attributes;

namespace DePinLedger.Chain.Errors;

/// <summary>Base of every failure the chain client reports with a message meant for a person.</summary>
public abstract class ChainException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The RPC endpoint cannot be reached (after the retries), or answered something that is not JSON-RPC.</summary>
public sealed class ChainUnavailableException(string message, Exception? inner = null) : ChainException(message, inner);

/// <summary>The endpoint serves another chain than the deployment is for, or the contracts are not where the deployment says.</summary>
public sealed class ChainMismatchException(string message) : ChainException(message);

/// <summary>A transaction was not mined in time, or the node refused it for a reason that is not a revert.</summary>
public sealed class TransactionFailedException(string message, Exception? inner = null) : ChainException(message, inner);

/// <summary>An operation was refused before sending anything (e.g. the balance is too low); the message says why.</summary>
public sealed class OperatorException(string message) : ChainException(message);

/// <summary>
/// A contract call reverted. <see cref="ErrorName"/> is the Solidity error (e.g. StakeManager_NothingToWithdraw,
/// Error(string), Panic(uint256)); the message is readable. Decoded custom errors are thrown as
/// <see cref="ContractRevertedException{TError}"/> so callers can catch one error type.
/// </summary>
public class ContractRevertedException(string errorName, string message, string? revertData) : ChainException(message)
{
    public string ErrorName { get; } = errorName;

    /// <summary>The raw revert data (0x-hex), when the node returned it.</summary>
    public string? RevertData { get; } = revertData;
}

/// <summary>A revert with the custom error <typeparamref name="TError"/>, decoded.</summary>
public sealed class ContractRevertedException<TError>(string errorName, TError error, string message, string revertData)
    : ContractRevertedException(errorName, message, revertData) where TError : IErrorDTO
{
    public TError Error { get; } = error;
}
