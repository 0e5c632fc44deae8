using System.Net.Sockets;
using System.Numerics;
using DePinLedger.Chain.Errors;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using Polly;
using Polly.Retry;

namespace DePinLedger.Chain.Rpc;

/// <summary>Settings of the connection to an EVM JSON-RPC endpoint.</summary>
public sealed record ChainOptions
{
    /// <summary>Default endpoint: a local anvil or devnet node.</summary>
    public const string DefaultRpc = "http://127.0.0.1:8545";

    /// <summary>JSON-RPC endpoint (http or https).</summary>
    public Uri Rpc { get; init; } = new(DefaultRpc);

    /// <summary>Retries of a read or a broadcast on a transient error (connection refused or reset, timeout, HTTP 429/5xx).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First retry delay; doubles with jitter on each retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

}

/// <summary>
/// One JSON-RPC endpoint with its chain id, and the retry policy every read goes through. Reads that still fail on a
/// transient error become a <see cref="ChainUnavailableException"/> naming the endpoint.
/// </summary>
public sealed class ChainConnection
{
    private readonly ResiliencePipeline _retry;

    private ChainConnection(ChainOptions options, Web3 web3, BigInteger chainId)
    {
        Options = options;
        Web3 = web3;
        ChainId = chainId;
        _retry = BuildRetry(options);
    }

    public ChainOptions Options { get; }

    /// <summary>The Nethereum client (with the signing account when one was given).</summary>
    public Web3 Web3 { get; }

    public BigInteger ChainId { get; }

    public IClient Client => Web3.Client;

    /// <summary>Connects and reads the chain id; fails with a clear message when nothing answers at the endpoint.</summary>
    public static async Task<ChainConnection> ConnectAsync(ChainOptions options, Account? account = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Rpc.Scheme is not ("http" or "https"))
            throw new ArgumentException($"the RPC endpoint must be an http(s) URL, got {options.Rpc}", nameof(options));
        var client = new RpcClient(options.Rpc);
        Web3 web3 = account is null ? new Web3(client) : new Web3(account, client);
        var probe = new ChainConnection(options, web3, 0);
        HexBigInteger chainId = await probe.ReadAsync(() => web3.Eth.ChainId.SendRequestAsync(), cancellation);
        if (account is not null && account.ChainId is { } accountChain && accountChain != chainId.Value)
            throw new ChainMismatchException($"the account signs for chain {accountChain}, but {options.Rpc} serves chain {chainId.Value}");
        return new ChainConnection(options, web3, chainId.Value);
    }

    /// <summary>Runs a read with retries on transient errors.</summary>
    public async Task<T> ReadAsync<T>(Func<Task<T>> read, CancellationToken cancellation)
    {
        try
        {
            return await _retry.ExecuteAsync(async _ => await read(), cancellation);
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>Calls a view function and returns its single value.</summary>
    public Task<TResult> QueryAsync<TFunction, TResult>(string contract, TFunction function, CancellationToken cancellation, BlockParameter? block = null)
        where TFunction : FunctionMessage, new() =>
        ReadAsync(() => Web3.Eth.GetContractQueryHandler<TFunction>().QueryAsync<TResult>(contract, function, block), cancellation);

    /// <summary>Calls a view function that returns a struct or several values.</summary>
    public Task<TOutput> QueryOutputAsync<TFunction, TOutput>(string contract, TFunction function, CancellationToken cancellation)
        where TFunction : FunctionMessage, new() where TOutput : Nethereum.ABI.FunctionEncoding.Attributes.IFunctionOutputDTO, new() =>
        ReadAsync(() => Web3.Eth.GetContractQueryHandler<TFunction>().QueryDeserializingToObjectAsync<TOutput>(function, contract), cancellation);

    public async Task<ulong> GetBlockNumberAsync(CancellationToken cancellation) =>
        (ulong)(await ReadAsync(() => Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), cancellation)).Value;

    /// <summary>The chain's clock: the latest block's timestamp (Unix seconds), what contracts compare deadlines with.</summary>
    public async Task<ulong> LatestBlockTimeAsync(CancellationToken cancellation)
    {
        Nethereum.RPC.Eth.DTOs.BlockWithTransactionHashes? latest = await ReadAsync(
            () => Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest()), cancellation);
        return latest?.Timestamp is { } time ? (ulong)time.Value : throw new InvalidDataException("the RPC endpoint returned no latest block");
    }

    /// <summary>Whether code is deployed at <paramref name="address"/>.</summary>
    public async Task<bool> HasCodeAsync(string address, CancellationToken cancellation)
    {
        string code = await ReadAsync(() => Web3.Eth.GetCode.SendRequestAsync(address), cancellation);
        return code is not null && code.Length > 2 && code != "0x0";
    }

    /// <summary>A raw JSON-RPC call (anvil cheat codes, eth_getLogs with our own decoding), with retries.</summary>
    public Task<T> RequestAsync<T>(string method, CancellationToken cancellation, params object[] parameters) =>
        ReadAsync(() => Client.SendRequestAsync<T>(method, null, parameters), cancellation);

    internal ChainUnavailableException Unavailable(Exception e) =>
        new($"cannot reach the chain at {Options.Rpc}: {Innermost(e).Message.TrimEnd('.')}", e);

    /// <summary>Connection refused or reset, DNS failure, timeout, HTTP 429 or 5xx: worth retrying.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RpcClientTimeoutException => true,
        HttpRequestException http => http.StatusCode is null || (int)http.StatusCode >= 500 || (int)http.StatusCode == 429,
        SocketException or TimeoutException or IOException => true,
        TaskCanceledException t => t.InnerException is TimeoutException,
        RpcClientUnknownException unknown => unknown.InnerException is null || IsTransient(unknown.InnerException),
        _ => e.InnerException is not null && e is not RpcResponseException && IsTransient(e.InnerException),
    };

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static ResiliencePipeline BuildRetry(ChainOptions options) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = Math.Max(1, options.MaxRetries),
            Delay = options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();
}
