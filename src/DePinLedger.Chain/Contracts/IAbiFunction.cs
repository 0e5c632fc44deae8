using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Chain.Contracts;

/// <summary>
/// A generated function message that knows its canonical Solidity signature. Nethereum 6.1.0 derives a wrong
/// selector for parameters of type <c>tuple[][]</c> (JobMarket.finalize): senders take the selector from here.
/// </summary>
public interface IAbiFunction
{
    string AbiSignature { get; }
}

/// <summary>Selector fix-up for call data built by Nethereum.</summary>
public static class AbiSelector
{
    /// <summary>The first four bytes of keccak256(signature), 0x-hex.</summary>
    public static string Of(string signature) => Keccak.Hash(signature).ToString()[..10];

    /// <summary>Replaces the selector of <paramref name="callData"/> with the one of <paramref name="function"/>'s signature.</summary>
    public static string Fix(object function, string callData) =>
        function is IAbiFunction f && callData.Length >= 10 ? Of(f.AbiSignature) + callData[10..] : callData;
}
