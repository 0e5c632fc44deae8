using DePinLedger.Chain.Contracts;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace DePinLedger.Disputes.Client;

/// <summary>Reads contract logs and the calldata of the transactions that emitted them.</summary>
internal static class ChainRecords
{
    // Public endpoints cap the block range of one eth_getLogs (commonly 10 000 blocks): ask in windows.
    private const ulong LogWindow = 10_000;

    /// <summary>
    /// Logs of <paramref name="address"/> whose first indexed topic is <paramref name="topic1"/> (and second
    /// <paramref name="topic2"/> when given; null matches any), from the deployment's start block.
    /// </summary>
    public static async Task<FilterLog[]> LogsAsync(ChainConnection chain, DeploymentFile deployment, string address, string? topic1, CancellationToken cancellation, string? topic2 = null)
    {
        ulong latest = await chain.GetBlockNumberAsync(cancellation);
        var all = new List<FilterLog>();
        for (ulong from = deployment.StartBlock; from <= latest; from += LogWindow)
        {
            var filter = new NewFilterInput
            {
                FromBlock = new BlockParameter(new HexBigInteger(from)),
                ToBlock = new BlockParameter(new HexBigInteger(Math.Min(latest, from + LogWindow - 1))),
                Address = [address],
                Topics = topic2 is null ? [null, topic1] : [null, topic1, topic2],
            };
            FilterLog[]? logs = await chain.ReadAsync(() => chain.Web3.Eth.Filters.GetLogs.SendRequestAsync(filter), cancellation);
            all.AddRange(logs ?? throw new InvalidDataException($"the node returned no answer to eth_getLogs for {address}"));
        }
        return [.. all];
    }

    /// <summary>A uint256 (a dispute id) as a log topic.</summary>
    public static string Topic(System.Numerics.BigInteger value) => "0x" + value.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A transaction by hash (cached), refusing an answer without sender or input.</summary>
    public static async Task<Transaction> TransactionAsync(ChainConnection chain, string hash, Dictionary<string, Transaction> cache, CancellationToken cancellation)
    {
        if (cache.TryGetValue(hash, out Transaction? known)) return known;
        Transaction? tx = await chain.ReadAsync(() => chain.Web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(hash), cancellation);
        if (tx?.Input is null || tx.From is null) throw new InvalidDataException($"the node does not know transaction {hash}, which emitted a logged event");
        return cache[hash] = tx;
    }

    /// <summary>Decodes calldata as <typeparamref name="TFunction"/> when its selector is that function's; null otherwise.</summary>
    public static TFunction? Decode<TFunction>(string? input) where TFunction : FunctionMessage, IAbiFunction, new()
    {
        if (input is null || input.Length < 10) return null;
        var function = new TFunction();
        return string.Equals(input[..10], AbiSelector.Of(function.AbiSignature), StringComparison.OrdinalIgnoreCase)
            ? Decoded(() => function.DecodeInput(input), $"calldata of {function.AbiSignature}")
            : null;
    }

    /// <summary>
    /// Runs a decoder over what a node returned; a malformed answer (bad ABI encoding, duplicate records) becomes an
    /// <see cref="InvalidDataException"/> naming <paramref name="what"/> instead of an arbitrary library exception.
    /// </summary>
    public static T Decoded<T>(Func<T> decode, string what)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is not (InvalidDataException or OperationCanceledException))
        {
            throw new InvalidDataException($"the node's answer for {what} could not be decoded: {e.Message}", e);
        }
    }
}
