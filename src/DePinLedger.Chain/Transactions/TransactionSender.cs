using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using DePinLedger.Chain.Contracts;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Rpc;
using DePinLedger.Protocol.Encoding;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3.Accounts;
using Newtonsoft.Json.Linq;

namespace DePinLedger.Chain.Transactions;

/// <summary>Settings of transaction sending.</summary>
public sealed record TransactionOptions
{
    /// <summary>How often to ask for the receipt while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for the receipt before giving up (the transaction may still be mined later).</summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Blocks that must include the transaction (1 = mined) before it counts as done.</summary>
    public int Confirmations { get; init; } = 1;

    /// <summary>Gas limit = estimate × this factor (headroom for state that changes between estimate and inclusion).</summary>
    public double GasHeadroom { get; init; } = 1.25;

    /// <summary>Tip used when the node does not answer eth_maxPriorityFeePerGas (1 gwei).</summary>
    public BigInteger FallbackPriorityFee { get; init; } = 1_000_000_000;
}

/// <summary>Where a transaction is, for progress displays.</summary>
public enum TransactionStage
{
    Estimating,
    Sent,
    Waiting,
    Mined,
}

/// <summary>Progress of one transaction: what it is, its hash once sent, and how long it has waited.</summary>
public sealed record TransactionProgress(string Description, TransactionStage Stage, string? Hash, TimeSpan Elapsed, ulong? Block = null);

/// <summary>A mined, successful transaction.</summary>
public sealed record SentTransaction(string Hash, ulong BlockNumber, BigInteger GasUsed, TransactionReceipt Receipt);

/// <summary>
/// Sends contract transactions from one account: estimates gas (a revert here is decoded into a typed
/// <see cref="ContractRevertedException"/> before anything is signed), prices it as EIP-1559 (max fee = 2 × base fee +
/// tip), takes the next nonce from an in-process counter shared by every sender of the same account and chain,
/// signs locally, broadcasts with retries (a rebroadcast the node already knows counts as sent), and waits for the
/// receipt (the counter is per endpoint, chain and account: one process, one next nonce). A mined transaction that reverted is replayed with eth_call at its block to decode the error.
/// </summary>
public sealed class TransactionSender(ChainConnection chain, Account account, TransactionOptions? options = null)
{
    private static readonly ConcurrentDictionary<(string Rpc, BigInteger Chain, string Address), NonceCounter> Nonces = new();

    private readonly TransactionOptions _options = options ?? new TransactionOptions();

    public string Address => account.Address;

    public ChainConnection Chain => chain;

    /// <summary>Formats amounts in decoded errors (the caller sets the token's decimals and symbol).</summary>
    public AmountFormatter Amounts { get; set; } = ContractErrorDecoder.Tokens18;

    public async Task<SentTransaction> SendAsync<TFunction>(
        string contract, TFunction function, string description, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
        where TFunction : FunctionMessage, new()
    {
        var clock = Stopwatch.StartNew();
        function.FromAddress = account.Address;
        progress?.Report(new TransactionProgress(description, TransactionStage.Estimating, null, clock.Elapsed));
        CallInput call = function.CreateCallInput(contract);
        call.From = account.Address;
        call.Data = AbiSelector.Fix(function, call.Data);
        BigInteger gas = await EstimateGasAsync(call, cancellation);
        (BigInteger maxFee, BigInteger tip) = await SuggestFeesAsync(cancellation);

        NonceCounter counter = Nonces.GetOrAdd((chain.Options.Rpc.ToString(), chain.ChainId, account.Address.ToLowerInvariant()), _ => new NonceCounter());
        string hash;
        await counter.Lock.WaitAsync(cancellation);
        try
        {
            counter.Next ??= (await chain.ReadAsync(
                () => chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(account.Address, BlockParameter.CreatePending()), cancellation)).Value;
            TransactionInput input = function.CreateTransactionInput(contract);
            input.From = account.Address;
            input.Data = AbiSelector.Fix(function, input.Data);
            input.Gas = new HexBigInteger(gas);
            input.MaxFeePerGas = new HexBigInteger(maxFee);
            input.MaxPriorityFeePerGas = new HexBigInteger(tip);
            input.Nonce = new HexBigInteger(counter.Next.Value);
            input.Type = new HexBigInteger(2);
            input.ChainId = new HexBigInteger(chain.ChainId);
            string signed = new AccountSignerTransactionManager(chain.Client, account, chain.ChainId).SignTransaction(input);
            string raw = signed.StartsWith("0x", StringComparison.Ordinal) ? signed : "0x" + signed;
            hash = Keccak.Hash(Convert.FromHexString(raw.AsSpan(2))).ToString();
            await BroadcastAsync(raw, cancellation);
            counter.Next++;
        }
        catch
        {
            counter.Next = null; // re-read from the chain next time: the failed transaction may or may not be pending
            throw;
        }
        finally
        {
            counter.Lock.Release();
        }

        progress?.Report(new TransactionProgress(description, TransactionStage.Sent, hash, clock.Elapsed));
        TransactionReceipt receipt = await WaitForReceiptAsync(description, hash, clock, progress, cancellation);
        if (receipt.Status?.Value != 1) throw await RevertedAsync(call, receipt, cancellation);
        progress?.Report(new TransactionProgress(description, TransactionStage.Mined, hash, clock.Elapsed, (ulong)receipt.BlockNumber.Value));
        return new SentTransaction(hash, (ulong)receipt.BlockNumber.Value, receipt.GasUsed.Value, receipt);
    }

    private async Task<BigInteger> EstimateGasAsync(CallInput call, CancellationToken cancellation)
    {
        try
        {
            HexBigInteger estimate = await chain.ReadAsync(() => chain.Web3.Eth.Transactions.EstimateGas.SendRequestAsync(call), cancellation);
            return new BigInteger((double)estimate.Value * _options.GasHeadroom) + 21_000;
        }
        catch (RpcResponseException e) when (RevertData(e) is { } data)
        {
            throw ContractErrorDecoder.Decode(data, Amounts);
        }
        catch (RpcResponseException e) when (e.RpcError.Message.Contains("revert", StringComparison.OrdinalIgnoreCase))
        {
            throw ContractErrorDecoder.Decode(null, Amounts);
        }
        catch (RpcResponseException e) when (e.RpcError.Message.Contains("insufficient funds", StringComparison.OrdinalIgnoreCase))
        {
            throw new OperatorException($"account {account.Address} has not enough ether to pay for gas");
        }
    }

    private async Task<(BigInteger MaxFee, BigInteger Tip)> SuggestFeesAsync(CancellationToken cancellation)
    {
        BlockWithTransactionHashes latest = await chain.ReadAsync(
            () => chain.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()), cancellation);
        BigInteger baseFee = latest.BaseFeePerGas?.Value ?? 0;
        BigInteger tip;
        try
        {
            tip = (await chain.RequestAsync<HexBigInteger>("eth_maxPriorityFeePerGas", cancellation)).Value;
        }
        catch (RpcResponseException)
        {
            tip = _options.FallbackPriorityFee;
        }
        return (2 * baseFee + tip, tip);
    }

    private async Task BroadcastAsync(string raw, CancellationToken cancellation)
    {
        try
        {
            await chain.ReadAsync(() => chain.Web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(raw), cancellation);
        }
        catch (RpcResponseException e) when (e.RpcError.Message.Contains("already known", StringComparison.OrdinalIgnoreCase))
        {
            // A retry after a lost answer: the node has the transaction.
        }
        catch (RpcResponseException e)
        {
            throw new TransactionFailedException($"the node refused the transaction: {e.RpcError.Message}", e);
        }
    }

    private async Task<TransactionReceipt> WaitForReceiptAsync(
        string description, string hash, Stopwatch clock, IProgress<TransactionProgress>? progress, CancellationToken cancellation)
    {
        TimeSpan deadline = clock.Elapsed + _options.ReceiptTimeout;
        while (true)
        {
            TransactionReceipt? receipt = await chain.ReadAsync(
                () => chain.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash), cancellation);
            if (receipt?.BlockNumber is not null)
            {
                if (_options.Confirmations <= 1) return receipt;
                ulong head = await chain.GetBlockNumberAsync(cancellation);
                if (head + 1 >= (ulong)receipt.BlockNumber.Value + (ulong)_options.Confirmations) return receipt;
            }
            if (clock.Elapsed > deadline)
                throw new TransactionFailedException($"transaction {hash} was not mined within {_options.ReceiptTimeout.TotalSeconds:0} s (it may still be)");
            progress?.Report(new TransactionProgress(description, TransactionStage.Waiting, hash, clock.Elapsed));
            await Task.Delay(_options.PollInterval, cancellation);
        }
    }

    /// <summary>Replays the call at the receipt's block to learn why it reverted.</summary>
    private async Task<Exception> RevertedAsync(CallInput call, TransactionReceipt receipt, CancellationToken cancellation)
    {
        try
        {
            await chain.ReadAsync(() => chain.Web3.Eth.Transactions.Call.SendRequestAsync(call, new BlockParameter(receipt.BlockNumber)), cancellation);
        }
        catch (RpcResponseException e) when (RevertData(e) is { } data)
        {
            return ContractErrorDecoder.Decode(data, Amounts);
        }
        return new TransactionFailedException($"transaction {receipt.TransactionHash} reverted in block {receipt.BlockNumber.Value} (out of gas or no reason given)");
    }

    /// <summary>The 0x-hex revert data in a JSON-RPC error (geth and anvil put it in error.data).</summary>
    internal static string? RevertData(RpcResponseException e)
    {
        object? data = e.RpcError?.Data;
        string? text = data switch
        {
            string s => s,
            JValue v => v.Value?.ToString(),
            JObject o => o["data"]?.ToString(),
            _ => data?.ToString(),
        };
        return text is not null && text.StartsWith("0x", StringComparison.Ordinal) && text.Length >= 10 ? text : null;
    }

    private sealed class NonceCounter
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public BigInteger? Next { get; set; }
    }
}
