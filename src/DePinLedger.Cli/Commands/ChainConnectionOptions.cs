using System.CommandLine;
using System.Numerics;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Transactions;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli.CommandLine;
using Nethereum.Web3.Accounts;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>The options every chain verb takes (RPC, deployment, keystore account, passphrase, JSON) and the connection they open.</summary>
internal sealed class ChainConnectionOptions
{
    public Option<string> Rpc { get; } = new("--rpc")
    {
        Description = $"JSON-RPC endpoint [default: ${NodeCommands.RpcVariable} or {ChainOptions.DefaultRpc}]",
        HelpName = "URL",
    };

    public Option<string> Deployment { get; } = CommonOptions.ExistingFile("--deployment", $"Deployment addresses file [default: ${DeploymentFile.PathVariable} or deploy/addresses/<chainId>.json]", required: false);

    public Option<string> Keystore { get; } = ChainCommandSupport.Keystore();

    public Option<string> Account { get; } = ChainCommandSupport.Account();

    public Option<string> PassphraseFile { get; } = ChainCommandSupport.PassphraseFile();

    public Option<string> PassphraseEnv { get; } = ChainCommandSupport.PassphraseEnv();

    public Option<bool> Json { get; } = CommonOptions.Json("Print the result as JSON");

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Rpc, Deployment, Keystore, Account, PassphraseFile, PassphraseEnv, Json }) command.Options.Add(option);
        Rpc.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !(Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https"))
                result.AddError($"--rpc expects an http(s) URL, got '{result.Tokens[0].Value}'");
        });
    }

    /// <summary>Unlocks the account, connects, checks the deployment against the chain and reads the token.</summary>
    public async Task<NodeOperator> OperatorAsync(ParseResult parsed, bool unlock, CancellationToken cancellation)
    {
        (TransactionSender sender, DeploymentFile deployment) = await ConnectAsync(parsed, unlock, cancellation);
        return await NodeOperator.CreateAsync(sender, deployment, cancellation);
    }

    /// <summary>Unlocks the account (or makes a throwaway one for reads), connects and loads the deployment of the chain.</summary>
    public async Task<(TransactionSender Sender, DeploymentFile Deployment)> ConnectAsync(ParseResult parsed, bool unlock, CancellationToken cancellation)
    {
        // Reads need no key (nor a keystore): a read-only verb holds a throwaway key that never sends anything.
        byte[] key;
        if (unlock)
        {
            KeystoreAccount keyFile = OpenKeystore(parsed.GetValue(Keystore)).Find(parsed.GetValue(Account));
            key = Chain.Wallet.Keystore.Unlock(keyFile, ReadPassphrase(parsed.GetValue(PassphraseFile), parsed.GetValue(PassphraseEnv), $"unlock {keyFile.Address}")).ExportPrivateKey();
        }
        else
        {
            key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        }
        var options = new ChainOptions { Rpc = new Uri(RpcOf(parsed)) };
        BigInteger chainId = (await ChainConnection.ConnectAsync(options, null, cancellation)).ChainId;
        var account = new Account(key, chainId);
        Array.Clear(key);
        ChainConnection chain = await ChainConnection.ConnectAsync(options, account, cancellation);
        DeploymentFile deployment = DeploymentFile.Load(parsed.GetValue(Deployment) ?? DeploymentFile.DefaultPath(chain.ChainId));
        var sender = new TransactionSender(chain, account, new TransactionOptions { PollInterval = TimeSpan.FromMilliseconds(250) });
        return (sender, deployment);
    }

    public string Address(ParseResult parsed) => OpenKeystore(parsed.GetValue(Keystore)).Find(parsed.GetValue(Account)).Address;

    private string RpcOf(ParseResult parsed) =>
        parsed.GetValue(Rpc) ?? (Environment.GetEnvironmentVariable(NodeCommands.RpcVariable) is { Length: > 0 } env ? env : ChainOptions.DefaultRpc);
}
