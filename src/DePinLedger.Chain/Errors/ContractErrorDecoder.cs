using System.Collections.Frozen;
using System.Globalization;
using System.Numerics;
using System.Reflection;
using DePinLedger.Chain.Contracts.Errors;
using Nethereum.ABI;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace DePinLedger.Chain.Errors;

/// <summary>How a description formats a token amount (units → "12.5 DPIN").</summary>
public delegate string AmountFormatter(BigInteger units);

/// <summary>A custom error that can say what went wrong in words.</summary>
public interface IDescribedError
{
    string Describe(AmountFormatter amount);
}

/// <summary>
/// Turns revert data into a typed <see cref="ContractRevertedException"/>: every custom error of every contract (the
/// generated <c>Contracts.Errors</c> types) by selector, plus Solidity's Error(string) and Panic(uint256).
/// </summary>
public static class ContractErrorDecoder
{
    private const string ErrorStringSelector = "08c379a0";
    private const string PanicSelector = "4e487b71";

    private static readonly FrozenDictionary<string, Func<string, AmountFormatter, ContractRevertedException>> BySelector = Build();

    /// <summary>The default amount format: whole tokens of 18 decimals.</summary>
    public static readonly AmountFormatter Tokens18 = units => new DePinLedger.Protocol.Tokens.TokenAmount(units, 18).ToString();

    /// <summary>Decodes <paramref name="revertData"/> (0x-hex); unknown selectors give a generic exception naming the selector.</summary>
    public static ContractRevertedException Decode(string? revertData, AmountFormatter? amount = null)
    {
        amount ??= Tokens18;
        string hex = (revertData ?? "").StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? revertData![2..] : revertData ?? "";
        if (hex.Length < 8)
            return new ContractRevertedException("revert", "the transaction reverted without a reason", revertData);
        string selector = hex[..8].ToLowerInvariant();
        if (BySelector.TryGetValue(selector, out var create)) return create("0x" + hex, amount);
        if (selector == ErrorStringSelector)
        {
            string reason = new ABIEncode().DecodeEncodedString(Convert.FromHexString(hex[8..]));
            return new ContractRevertedException("Error(string)", $"reverted: {reason}", revertData);
        }
        if (selector == PanicSelector)
        {
            var code = new BigInteger(Convert.FromHexString(hex[8..]), isUnsigned: true, isBigEndian: true);
            return new ContractRevertedException("Panic(uint256)", $"the contract panicked (code 0x{code.ToString("x", CultureInfo.InvariantCulture)})", revertData);
        }
        return new ContractRevertedException("unknown", $"the transaction reverted with unknown error 0x{selector}", revertData);
    }

    private static FrozenDictionary<string, Func<string, AmountFormatter, ContractRevertedException>> Build()
    {
        var map = new Dictionary<string, Func<string, AmountFormatter, ContractRevertedException>>();
        foreach (Type type in typeof(StakeManagerNodeNotRegisteredError).Assembly.GetTypes())
        {
            if (!typeof(IErrorDTO).IsAssignableFrom(type) || type.GetCustomAttribute<ErrorAttribute>() is not { } attribute) continue;
            var abi = ABITypedRegistry.GetError(type);
            string selector = abi.Sha3Signature.ToLowerInvariant();
            MethodInfo factory = typeof(ContractErrorDecoder).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
            string name = attribute.Name;
            map[selector] = (data, amount) => (ContractRevertedException)factory.Invoke(null, [name, data, amount])!;
        }
        return map.ToFrozenDictionary();
    }

    private static ContractRevertedException Create<TError>(string name, string data, AmountFormatter amount) where TError : class, IErrorDTO, new()
    {
        TError error = new SmartContractCustomErrorRevertException(data).DecodeError<TError>();
        string message = error is IDescribedError described ? described.Describe(amount) : Fallback(name, error);
        return new ContractRevertedException<TError>(name, error, message, data);
    }

    /// <summary>"Name(field=value, …)" for errors without a hand-written description.</summary>
    private static string Fallback(string name, object error)
    {
        IEnumerable<string> fields = error.GetType().GetProperties().Select(p => $"{p.Name}={Show(p.GetValue(error))}");
        return $"the contract refused: {name}({string.Join(", ", fields)})";
    }

    internal static string Show(object? value) => value switch
    {
        byte[] bytes => "0x" + Convert.ToHexStringLower(bytes),
        null => "null",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

}

/// <summary>Raises a contract error found by a pre-check exactly as if the contract had reverted with it.</summary>
public static class ContractErrors
{
    public static ContractRevertedException<TError> Exception<TError>(TError error, AmountFormatter? amount = null)
        where TError : IErrorDTO, IDescribedError
    {
        string name = typeof(TError).GetCustomAttribute<ErrorAttribute>()?.Name ?? typeof(TError).Name;
        return new ContractRevertedException<TError>(name, error, error.Describe(amount ?? ContractErrorDecoder.Tokens18), "");
    }
}
