using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Transactions;
using DePinLedger.Chain.Wallet;
using Nethereum.Hex.HexTypes;
using Nethereum.Web3.Accounts;

namespace DePinLedger.Chain.Tests.Support;

/// <summary>
/// A private anvil on a free loopback port with the four contracts deployed from the forge artifacts (out/), and
/// helpers to fund accounts and move time. Killed by PID on dispose. Shared (linked) by the Chain, Indexer and CLI tests.
/// </summary>
public sealed class AnvilChain : IAsyncDisposable
{
    /// <summary>anvil's dev mnemonic; account i is m/44'/60'/0'/0/i.</summary>
    public const string DevMnemonic = "test test test test test test test test test test test junk";

    private static readonly HdWallet DevWallet = HdWallet.Import(DevMnemonic);

    private readonly Process _process;

    private AnvilChain(Process process, Uri rpc)
    {
        _process = process;
        Rpc = rpc;
    }

    public Uri Rpc { get; }

    public DeploymentFile Deployment { get; private set; } = new();

    /// <summary>Connection signing as dev account 0 (the deployer and token minter).</summary>
    public ChainConnection Deployer { get; private set; } = null!;

    public static string RepositoryRoot { get; } = FindRoot();

    public static byte[] DevKey(int index) => DevWallet.PrivateKey(index);

    public static string DevAddress(int index) => new Account(DevKey(index)).Address;

    /// <summary>Starts anvil and, unless <paramref name="deploy"/> is false, deploys the contracts.</summary>
    public static async Task<AnvilChain> StartAsync(bool deploy = true, DeploymentSettings? settings = null, string extraArguments = "")
    {
        string anvil = Path.Combine(RepositoryRoot, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
        if (!File.Exists(anvil)) throw new InvalidOperationException($"anvil not found at {anvil}: run 'npm ci' at the repository root");
        int port = FreePort();
        var start = new ProcessStartInfo(anvil, $"--host 127.0.0.1 --port {port} --silent {extraArguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException("anvil did not start");
        var chain = new AnvilChain(process, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await chain.WaitReadyAsync();
            chain.Deployer = await ChainConnection.ConnectAsync(chain.Options(), new Account(DevKey(0), 31337));
            if (deploy)
            {
                string outDir = Path.Combine(RepositoryRoot, "out");
                if (!Directory.Exists(outDir)) throw new InvalidOperationException($"no forge artifacts in {outDir}: run 'forge build' at the repository root first");
                chain.Deployment = await ContractDeployer.DeployAsync(chain.Deployer, DevAddress(0), outDir, settings ?? new DeploymentSettings(), CancellationToken.None);
            }
        }
        catch
        {
            await chain.DisposeAsync();
            throw;
        }
        return chain;
    }

    public ChainOptions Options() => new() { Rpc = Rpc, RetryDelay = TimeSpan.FromMilliseconds(20) };

    public static TransactionOptions FastTransactions => new() { PollInterval = TimeSpan.FromMilliseconds(20), ReceiptTimeout = TimeSpan.FromSeconds(30) };

    /// <summary>A sender for dev account <paramref name="index"/>.</summary>
    public async Task<TransactionSender> SenderAsync(int index)
    {
        var account = new Account(DevKey(index), 31337);
        return new TransactionSender(await ChainConnection.ConnectAsync(Options(), account), account, FastTransactions);
    }

    /// <summary>Mints whole tokens (18 decimals) to <paramref name="to"/>.</summary>
    public async Task MintAsync(string to, BigInteger tokens)
    {
        var sender = new TransactionSender(Deployer, new Account(DevKey(0), 31337), FastTransactions);
        await sender.SendAsync(Deployment.Token, new MintFunction { To = to, Amount = tokens * BigInteger.Pow(10, 18) }, "mint", null, CancellationToken.None);
    }

    /// <summary>Moves the chain clock forward and mines a block at the new time.</summary>
    public async Task WarpAsync(TimeSpan by)
    {
        await Deployer.RequestAsync<object>("evm_increaseTime", CancellationToken.None, (long)by.TotalSeconds);
        await MineAsync(1);
    }

    public Task MineAsync(int blocks) => Deployer.RequestAsync<object>("anvil_mine", CancellationToken.None, new HexBigInteger(blocks));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ChainConnection.ConnectAsync(Options() with { MaxRetries = 1 });
                return;
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(15) && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "foundry.toml"))) return dir.FullName;
        throw new InvalidOperationException("repository root (foundry.toml) not found above " + AppContext.BaseDirectory);
    }
}
